"""Obciążenie jednostek / Unit workload."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.components import (
    About,
    chart,
    empty_state,
    month_axis,
    period_selector,
    style_figure,
    table,
)
from dashboards.formats import fmt_period
from dashboards.i18n import N_, column_label, localized, t, value_label
from dashboards.queries import units
from dashboards.queries.common import newest_month
from dashboards.state import lang, lkey, q
from warehouse.export import ExportAbout

L = lang()
st.title(t("page_units", L))

org = q(units.org_units)
months = q(units.workload_months)
if org.is_empty() or not months:
    empty_state("unit_workload" if not org.is_empty() else "organisation_units", L)
    st.stop()

names = dict(zip(org["unit_code"], localized(org, "name", L), strict=True))


def unit_label(code: str) -> str:
    return f"{code} — {names.get(code) or ''}".rstrip(" —")


# the tree: department → reporting line → unit; the unit codes the data holds that the
# reference data does not name (unmapped: no department, no line) form a branch of their own
c1, c2, c3 = st.columns(3)
department = c1.selectbox(
    t("department", L), org["department"].unique(maintain_order=True).to_list(),
    format_func=lambda d: t("units_unmapped", L) if d is None else unit_label(d),
    key="units_dept")
in_dept = org.filter(pl.col("department").eq_missing(department))
line = c2.selectbox(
    t("reporting_line", L), in_dept["reporting_line"].unique(maintain_order=True).to_list(),
    format_func=lambda v: t("units_unmapped", L) if v is None else value_label(
        "reporting_line", v, L), key="units_line")
in_line = in_dept.filter(pl.col("reporting_line").eq_missing(line))
unit = c3.selectbox(t("unit", L), in_line["unit_code"].to_list(), format_func=unit_label,
                    key=lkey("units_unit"))

first, last = period_selector(months, L, key="units_period",
                              until=q(newest_month, units.SOURCES))
period = fmt_period(first, last, L)
data = q(units.workload, (unit,), first, last)
long = data.unpivot(index=["month_start"], on=list(units.WORKLOAD_MEASURES),
                    variable_name="measure", value_name="value").with_columns(
    pl.col("measure").replace_strict({m: column_label(m, L) for m in units.WORKLOAD_MEASURES}))
fig = px.line(long, x="month_start", y="value", color="measure", markers=True,
              labels={"value": "", "measure": t("measure", L)})
chart(month_axis(style_figure(fig, t("unit_over_time", L, unit=unit_label(unit), period=period),
                              L, height=420), L), "units_over_time", L,
      About(counts=N_("about_unit_workload"), mart="unit_workload"))
table(data.drop("unit_name_pl"), f"workload_{unit}_{first}_{last}", "units_table", L,
      about=ExportAbout(period=period, filters=((t("unit", L), unit_label(unit)),),
                        source="marts.unit_workload"))

st.divider()
st.subheader(t("units_compare", L))
default = [u for u in [unit, *org["unit_code"].to_list()] if u][:3]
compare_key = lkey("units_compare")
st.session_state.setdefault(compare_key, list(dict.fromkeys(default)))
chosen = st.multiselect(t("unit", L), org["unit_code"].to_list(), format_func=unit_label,
                        key=compare_key)
measure = st.selectbox(t("measure", L), list(units.WORKLOAD_MEASURES),
                       format_func=lambda m: column_label(m, L), key=lkey("units_measure"))
if chosen:
    compare = q(units.workload, tuple(chosen), first, last)
    fig = px.bar(compare.with_columns(pl.col("unit_code").alias("unit")), x="month_start",
                 y=measure, color="unit", barmode="group",
                 labels={measure: column_label(measure, L), "unit": t("unit", L)})
    chart(month_axis(style_figure(fig, t("units_side_by_side", L, measure=column_label(measure, L),
                                         period=period), L), L), "units_compare_chart", L,
          About(counts=N_("about_unit_workload"), mart="unit_workload"))
    table(q(units.workload_totals, tuple(chosen), first, last), f"units_compared_{first}_{last}",
          "units_compare_table", L, caption=f"{t('units_compare', L)}, {period}",
          about=ExportAbout(period=period, filters=(
              (t("unit", L), ", ".join(unit_label(u) for u in chosen)),),
              source="marts.unit_workload"))
