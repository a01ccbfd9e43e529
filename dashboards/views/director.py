"""Przegląd dla dyrekcji / Director overview."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.components import (
    About,
    chart,
    empty_state,
    kpi_tile,
    md_text,
    month_axis,
    period_selector,
    style_figure,
    table,
    unit_axis,
)
from dashboards.formats import fmt_change, fmt_month, fmt_number, fmt_period, fmt_value
from dashboards.i18n import N_, localized, t, tn, value_label
from dashboards.queries import director
from dashboards.queries.common import data_as_of, kpi_definitions
from dashboards.state import lang, lkey, q, warehouse_path
from dashboards.verdicts import BAD, GOOD, NEUTRAL, alert_mark, alert_text, data_notices
from warehouse.export import ExportAbout
from warehouse.store import last_update

L = lang()
st.title(t("page_director", L))

months = q(director.kpi_months)
if not months:
    empty_state("director_kpis", L)
    st.stop()

COMPARE = {"previous_month": N_("compare_previous_month"), "year_ago": N_("compare_year_ago")}
pick_month, pick_compare = st.columns([1, 2])
with pick_month:
    month = st.selectbox(t("month", L), options=months[::-1],
                         format_func=lambda m: fmt_month(m, L), key=lkey("director_month"))
with pick_compare:
    compare = st.radio(t("compare_with", L), options=list(COMPARE), horizontal=True,
                       format_func=lambda c: t(COMPARE[c], L), key=lkey("director_compare"))
for notice in data_notices(last_update(warehouse_path()), q(director.source_freshness).to_dicts(),
                          q(data_as_of), L):
    st.warning(notice, icon=":material/warning:")

tiles = q(director.kpi_tiles, month)
priorities = q(director.kpi_priorities, month)

score = q(director.city_score, month).filter(pl.col("month_start") == month)
if score.height and score["city_score"][0] is not None:
    s = score.row(0, named=True)
    previous = s["previous_city_score"]
    change = None if previous is None else s["city_score"] - previous
    cols = st.columns([1, 3])
    with cols[0]:
        st.metric(t("city_score", L), fmt_number(s["city_score"], L, 2),
                  delta=None if change is None else fmt_number(change, L, 2),
                  help=t("city_score_help", L))
    with cols[1]:
        st.caption(tn("city_score_kpis", s["kpis_scored"], L,
                      n=s["kpis_scored"], below=s["kpis_below_target"]))
        alerts = q(director.alerts, month)
        if alerts.is_empty():
            st.markdown(t("no_alerts", L))
        for a in alerts.iter_rows(named=True):
            colour, shape = alert_mark(a["alert_kind"])
            st.markdown(f":{colour}[{shape}] {md_text(alert_text(a, L))}")

per_row = 4
rows = tiles.to_dicts()
for start in range(0, len(rows), per_row):
    cols = st.columns(per_row)
    for col, row in zip(cols, rows[start:start + per_row], strict=False):
        with col:
            kpi_tile(row, L, priorities.filter(pl.col("kpi_code") == row["kpi_code"]).to_dicts(),
                     compare)

st.divider()
names = dict(zip(tiles["kpi_code"], localized(tiles, "kpi_name", L), strict=True))
kpi = st.selectbox(t("kpi", L), options=list(names), format_func=lambda c: names[c],
                   key=lkey("director_kpi"))
first = months[max(0, months.index(month) - 11)]
trend = q(director.kpi_trend, kpi, first, month)
period = fmt_period(first, month, L)
fig = go.Figure()
fig.add_scatter(x=trend["month_start"], y=trend["value"], mode="lines+markers",
                name=names[kpi], line={"color": NEUTRAL, "width": 3})
fig.add_scatter(x=trend["month_start"], y=trend["target"], mode="lines",
                name=t("target", L), line={"color": GOOD, "dash": "dash"})
kpi_unit = tiles.filter(pl.col("kpi_code") == kpi)["unit"].item()
fig.update_yaxes(**unit_axis(kpi_unit, L))
chart(month_axis(style_figure(fig, t("trend_vs_target", L, kpi=names[kpi], period=period), L), L),
      "director_trend", L, About(kpi=kpi))

if kpi in q(director.kpis_with_units):
    by_unit = q(director.kpi_by_unit, month, kpi).drop("kpi_code")
    title = t("by_unit", L, kpi=names[kpi], period=fmt_month(month, L))
    target = tiles.filter(pl.col("kpi_code") == kpi)["target"].item()
    # a bar per unit, named in the page's language (the mart names every row, no unit's too)
    by_unit = by_unit.with_columns(localized(by_unit, "unit_name", L).alias("unit_name_pl")
                                   ).drop("unit_name_en")
    bar = go.Figure(go.Bar(x=by_unit["value"], y=by_unit["unit_name_pl"], orientation="h",
                           marker_color=NEUTRAL, name=names[kpi]))
    if target is not None:
        bar.add_vline(x=target, line_dash="dash", line_color=BAD)
    bar.update_yaxes(autorange="reversed")
    bar.update_xaxes(**unit_axis(kpi_unit, L))
    chart(style_figure(bar, title, L, height=max(300, 28 * by_unit.height + 100)), "director_unit",
          L, About(kpi=kpi))
    # the parts named by what they count (the registry's words): 1 710 "IT tickets resolved
    # in the month" is not the workload page's 2 737 tickets handled
    definition = q(kpi_definitions).filter(pl.col("kpi_code") == kpi).to_dicts()
    parts = {} if not definition else {
        part: definition[0][f"{part}_{L}"][:1].upper() + definition[0][f"{part}_{L}"][1:]
        for part in ("numerator", "denominator") if definition[0][f"{part}_{L}"]}
    # the row no unit holds has no code to show: "brak", as every empty value
    by_unit = by_unit.with_columns(pl.col("unit_code").replace(director.NO_UNIT,
                                                               t("value_empty", L)))
    table(by_unit.rename(parts).drop([c for c in ("numerator", "denominator")
                                      if c in by_unit.columns and c not in parts]),
          f"kpi_{kpi}_by_unit_{month}", "director_unit_table", L,
          about=ExportAbout(title=title, period=fmt_month(month, L),
                            source="marts.director_kpis_by_unit"))
else:
    st.caption(t("no_unit_breakdown", L))

st.divider()
export = tiles.select(localized(tiles, "kpi_name", L), "value", "target", "unit",
                      "previous_value", "change", "is_on_target")
shown = pl.DataFrame({
    "kpi_name": export["kpi_name"],
    "value": [fmt_value(r["value"], r["unit"], L) for r in export.iter_rows(named=True)],
    "target": [fmt_value(r["target"], r["unit"], L) for r in export.iter_rows(named=True)],
    "previous_value": [fmt_value(r["previous_value"], r["unit"], L)
                       for r in export.iter_rows(named=True)],
    "change": [fmt_change(r["change"], r["unit"], L) or "—" for r in export.iter_rows(named=True)],
    "is_on_target": export["is_on_target"],
    "unit": [value_label("unit", u, L) for u in export["unit"]],
})
table(export, f"director_kpis_{month}", "director_table", L, shown_as=shown,
      caption=f"{t('page_director', L)}, {fmt_month(month, L)}",
      about=ExportAbout(period=fmt_month(month, L), source="marts.director_kpis"))

# the KPIs over more than a month: the year to date or any period, against the same months
# a year before (a flow sums its months' parts, a stock is its last month's)
st.divider()
st.subheader(t("kpi_period_title", L))
SPANS = {"ytd": N_("period_ytd"), "free": N_("period_free")}
span = st.radio(t("period", L), options=list(SPANS), horizontal=True,
                format_func=lambda s: t(SPANS[s], L), key=lkey("director_span"))
if span == "ytd":
    first, last = director.year_to_date(months, month)
else:
    first, last = period_selector(months, L, key="director_free_period")
over = q(director.kpi_period, first, last)
over_shown = pl.DataFrame({
    "kpi_name": localized(over, "kpi_name", L),
    "value": [fmt_value(r["value"], r["unit"], L) for r in over.iter_rows(named=True)],
    "target": [fmt_value(r["target"], r["unit"], L) for r in over.iter_rows(named=True)],
    "year_ago_value": [fmt_value(r["year_ago_value"], r["unit"], L)
                       for r in over.iter_rows(named=True)],
    "change_year_ago": [fmt_change(r["change_year_ago"], r["unit"], L) or "—"
                        for r in over.iter_rows(named=True)],
})
table(over.select(localized(over, "kpi_name", L), "value", "target", "year_ago_value",
                  "change_year_ago", "unit"),
      f"director_kpis_{first}_{last}", "director_period_table", L, shown_as=over_shown,
      caption=t("kpi_period_caption", L, period=fmt_period(first, last, L)),
      about=ExportAbout(period=fmt_period(first, last, L)))
