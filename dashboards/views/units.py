"""Obciążenie jednostek / Unit workload."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.components import (
    PALETTE,
    About,
    chart,
    empty_state,
    month_axis,
    period_selector,
    style_figure,
    table,
    unit_axis,
)
from dashboards.formats import fmt_period
from dashboards.i18n import N_, column_label, drop_other_languages, localized, t, value_label
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


first, last = period_selector(months, L, key="units_period",
                              until=q(newest_month, units.SOURCES))
period = fmt_period(first, last, L)

# one picker over the whole tree, searchable by code or name (typing filters it); the unit
# with the most work in the period first, so a warehouse of imported data (whose units are
# codes the reference data does not name) opens on a unit that has some
unit_key = lkey("units_unit")
codes = org["unit_code"].to_list()
busiest = [u for u in q(units.busiest_units, first, last) if u in codes] or codes[:1]
if st.session_state.get(unit_key) not in codes:
    st.session_state[unit_key] = busiest[0]
unit = st.selectbox(t("unit", L), codes, format_func=unit_label, key=unit_key)
place = org.row(codes.index(unit), named=True)
st.caption(t("units_unmapped", L) if not place["is_mapped"] else " · ".join(
    f"{t(part, L)}: {text}" for part, text in (
        (N_("department"), unit_label(place["department"]) if place["department"] else None),
        (N_("reporting_line"), value_label("reporting_line", place["reporting_line"], L)
         if place["reporting_line"] else None)) if text))

data = q(units.workload, (unit,), first, last)
# small multiples: a panel per kind of work the unit had, each on its own scale (tickets,
# calls and publications are not one quantity)
worked = [m for m in units.WORKLOAD_MEASURES if data[m].sum()]
if not worked:
    st.info(t("units_no_work", L, unit=unit_label(unit), period=period), icon="ℹ️")
else:
    long = data.unpivot(index=["month_start"], on=worked, variable_name="measure",
                        value_name="value").with_columns(
        pl.col("measure").replace_strict({m: column_label(m, L) for m in worked}))
    fig = px.bar(long, x="month_start", y="value", facet_col="measure", facet_col_wrap=2,
                 facet_row_spacing=0.12, facet_col_spacing=0.08,
                 labels={"value": "", "measure": ""}, color_discrete_sequence=[PALETTE[0]])
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))
    fig.update_yaxes(matches=None, showticklabels=True, rangemode="tozero", title=None)
    fig.update_yaxes(**unit_axis("n", L), col=1)  # every panel counts things
    rows_of_panels = (len(worked) + 1) // 2
    chart(month_axis(style_figure(fig, t("unit_over_time", L, unit=unit_label(unit),
                                         period=period), L, height=160 + 190 * rows_of_panels),
                     L), "units_over_time", L,
          About(counts=N_("about_unit_workload"), mart="unit_workload"))
table(data.drop("unit_name_pl"), f"workload_{unit}_{first}_{last}", "units_table", L,
      about=ExportAbout(period=period, filters=((t("unit", L), unit_label(unit)),),
                        source="marts.unit_workload"))

st.divider()
st.subheader(t("units_compare", L))
compare_key = lkey("units_compare")
st.session_state.setdefault(compare_key, list(dict.fromkeys([unit, *busiest]))[:3])
chosen = st.multiselect(t("unit", L), org["unit_code"].to_list(), format_func=unit_label,
                        key=compare_key)
measure_key = lkey("units_measure")
if measure_key not in st.session_state and chosen:  # the first kind of work they have
    totals = q(units.workload_totals, tuple(chosen), first, last)
    st.session_state[measure_key] = next(
        (m for m in units.WORKLOAD_MEASURES if totals[m].sum()), units.WORKLOAD_MEASURES[0])
measure = st.selectbox(t("measure", L), list(units.WORKLOAD_MEASURES),
                       format_func=lambda m: column_label(m, L), key=measure_key)
if chosen:
    compare = q(units.workload, tuple(chosen), first, last)
    fig = px.bar(compare.with_columns(pl.col("unit_code").alias("unit")), x="month_start",
                 y=measure, color="unit", barmode="group",
                 labels={measure: column_label(measure, L), "unit": t("unit", L)})
    chart(month_axis(style_figure(fig, t("units_side_by_side", L, measure=column_label(measure, L),
                                         period=period), L), L), "units_compare_chart", L,
          About(counts=N_("about_unit_workload"), mart="unit_workload"))
    table(drop_other_languages(q(units.workload_totals, tuple(chosen), first, last),
                               "unit_name", L), f"units_compared_{first}_{last}",
          "units_compare_table", L, caption=f"{t('units_compare', L)}, {period}",
          about=ExportAbout(period=period, filters=(
              (t("unit", L), ", ".join(unit_label(u) for u in chosen)),),
              source="marts.unit_workload"))
