"""IT-02-3 — SLA zgłoszeń / incident SLAs."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.components import (
    About,
    as_of_text,
    chart,
    empty_state,
    line_style,
    month_axis,
    ordered,
    paged_table,
    period_selector,
    priority_label,
    px_colours,
    style_figure,
    table,
)
from dashboards.formats import fmt_period
from dashboards.i18n import N_, column_label, drop_other_languages, t
from dashboards.queries import incidents
from dashboards.queries.common import newest_month
from dashboards.state import fresh, lang, lkey, q
from dashboards.verdicts import BAD
from warehouse.export import ExportAbout

L = lang()
st.title(t("page_incidents", L))

months = q(incidents.sla_months)
if not months:
    empty_state("incident_sla", L)
    st.stop()

first, last = period_selector(months, L, key="inc_period",
                              until=q(newest_month, incidents.SOURCES))
period = fmt_period(first, last, L)
as_of = as_of_text(L)
target = q(incidents.sla_target_pct)
CLOCKS = {"business": N_("business"), "calendar": N_("calendar")}
HOURS = {"business": N_("unit_working_hours"), "calendar": N_("unit_hours")}  # axis titles

by_priority = q(incidents.sla_by_priority_month, first, last)
fig = go.Figure()
for prio in ordered("priority", by_priority["priority"].to_list()):
    part = by_priority.filter(pl.col("priority") == prio)
    fig.add_scatter(x=part["month_start"], y=part["sla_met_pct"], mode="lines+markers",
                    name=priority_label(prio), **line_style("priority", prio))
if target is not None:
    fig.add_hline(y=target, line_dash="dash", line_color=BAD,
                  annotation_text=f"{t('sla_target', L)}", annotation_font_color=BAD)
fig.update_yaxes(ticksuffix=" %", title=column_label("sla_met_pct", L))
chart(month_axis(style_figure(fig, t("inc_sla_by_priority", L, period=period), L,
                              legend=t("priority", L)), L), "inc_sla",
      L, About(kpi="incident_sla_met_pct"))

left, right = st.columns(2)
with left:
    clock = st.radio(t("clock", L), list(CLOCKS), horizontal=True,
                     format_func=lambda c: t(CLOCKS[c], L), key=lkey("inc_clock"))
    dist = q(incidents.distributions, first, last, None)
    fig = go.Figure()
    fig.add_bar(x=dist["month_start"], y=dist[f"median_resolution_{clock}_hours"],
                name=t("median", L))
    fig.add_bar(x=dist["month_start"], y=dist[f"p90_resolution_{clock}_hours"],
                name=t("p90", L), marker_pattern_shape="/")
    fig.update_yaxes(title=t(HOURS[clock], L))
    chart(month_axis(style_figure(fig, t("inc_resolution_dist", L, clock=t(CLOCKS[clock], L),
                                         period=period), L, wrap=55), L), "inc_resolution",
          L, About(counts=N_("about_inc_resolution"), mart="incident_sla"))
with right:
    st.write("")
    st.write("")
    fig = go.Figure()
    fig.add_bar(x=dist["month_start"], y=dist["median_response_business_hours"],
                name=t("median", L))
    fig.add_bar(x=dist["month_start"], y=dist["p90_response_business_hours"],
                name=t("p90", L), marker_pattern_shape="/")
    fig.update_yaxes(title=t(HOURS["business"], L))
    chart(month_axis(style_figure(fig, t("inc_response_dist", L, period=period), L, wrap=55), L),
          "inc_response", L, About(counts=N_("about_inc_response"), mart="incident_sla"))

totals = q(incidents.monthly_totals, first, last)
fig = go.Figure()
fig.add_scatter(x=totals["month_start"], y=totals["first_line_resolved_pct"],
                name=column_label("first_line_resolved_pct", L), mode="lines+markers")
fig.add_bar(x=totals["month_start"], y=totals["escalations_without_comment"],
            name=column_label("escalations_without_comment", L), yaxis="y2", opacity=0.6)
fig.update_layout(yaxis={"ticksuffix": " %", "title": column_label("first_line_resolved_pct", L)},
                  yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                          "rangemode": "tozero", "exponentformat": "none",
                          "title": column_label("escalations_without_comment", L)})
chart(month_axis(style_figure(fig, t("inc_first_line", L, period=period), L), L), "inc_first",
      L, About(kpi="first_line_resolution_pct"))



def bucket_bars(frame: pl.DataFrame, bucket: str, order: list[str], title: str,
                key: str, about: About) -> None:
    """Open tickets per bucket, stacked by priority (P1 …, each in its one colour and
    pattern), as of the data's date."""
    labels = {p: priority_label(p) for p in frame["priority"].unique().to_list()}
    frame = frame.with_columns(pl.col("priority").replace_strict(labels, return_dtype=pl.String))
    colours = px_colours("priority", "priority", labels, L, patterns=True)
    fig = px.bar(frame, x=bucket, y="tickets", color="priority",
                 category_orders={bucket: order} | colours.pop("category_orders"),
                 labels={bucket: column_label(bucket, L), "tickets": column_label("tickets", L)}
                 | colours.pop("labels"), **colours)
    fig.update_xaxes(type="category")
    chart(style_figure(fig, title, L, wrap=55), key, L, about)


left, right = st.columns(2)
with left:
    bucket_bars(q(incidents.backlog_by_age), "age_bucket", list(incidents.AGE_BUCKETS),
                t("inc_backlog_age", L, as_of=as_of), "inc_backlog",
                About(counts=N_("about_inc_backlog_age"), mart="incident_sla"))
with right:
    bucket_bars(q(incidents.near_breach), "target_used_bucket",
                list(incidents.TARGET_USED_BUCKETS), t("inc_target_used", L, as_of=as_of),
                "inc_near", About(counts=N_("about_inc_near_breach"), mart="incident_sla"))
# breached tickets apart from those still within their target: the longest overrun first,
# then the ones closest to breach


def named(frame: pl.DataFrame) -> pl.DataFrame:
    """The services named in the page's language (the seeds' English names)."""
    return drop_other_languages(frame, "service_name", L)


table(named(q(incidents.breached_tickets)), "tickets_breached", "inc_breached_table", L,
      caption=t("inc_breached", L, as_of=as_of))
table(named(q(incidents.nearing_breach_tickets)), "tickets_nearing_breach", "inc_near_table", L,
      caption=t("inc_nearing", L, as_of=as_of))
st.caption(t("inc_durations_note", L))

left, right = st.columns(2)
with left:
    table(named(q(incidents.by_service, first, last)), "tickets_by_service", "inc_service", L,
          caption=t("inc_by_service", L, period=period),
          about=ExportAbout(period=period, source="marts.incident_sla"))
with right:
    table(q(incidents.by_group, first, last), "tickets_by_group", "inc_group", L,
          caption=t("inc_by_group", L, period=period),
          about=ExportAbout(period=period, source="marts.incident_sla"))

st.subheader(t("inc_ticket_list", L))
options = q(incidents.filter_options)
c1, c2, c3, c4 = st.columns(4)
prio = c1.selectbox(t("priority", L), [None, *options["priority"]], key=lkey("inc_f_prio"),
                    format_func=lambda v: t("all", L) if v is None else str(v))
service = c2.selectbox(t("service", L), [None, *options["service_code"]], key=lkey("inc_f_service"),
                       format_func=lambda v: t("all", L) if v is None else str(v))
group = c3.selectbox(t("group", L), [None, *options["final_group_code"]], key=lkey("inc_f_group"),
                     format_func=lambda v: t("all", L) if v is None else str(v))
only_open = c4.checkbox(t("only_open", L), key="inc_f_open")
only_breached = c4.checkbox(t("only_breached", L), key="inc_f_breached")
filters = (first, last, prio, service, group, only_open, only_breached)
fetch_all = fresh(incidents.ticket_list, *filters)
paged_table(
    q(incidents.ticket_count, *filters),
    lambda offset, limit: named(q(incidents.ticket_list, *filters, offset, limit)),
    lambda: named(fetch_all()),
    f"tickets_{first}_{last}", "inc_tickets", L,
    about=ExportAbout(title=t("inc_ticket_list", L), period=period, source="marts.incident_sla",
                      filters=tuple((label, str(value)) for label, value in (
                          (t("priority", L), prio), (t("service", L), service),
                          (t("group", L), group),
                          (t("only_open", L), t("yes", L) if only_open else None),
                          (t("only_breached", L), t("yes", L) if only_breached else None))
                          if value is not None)))
