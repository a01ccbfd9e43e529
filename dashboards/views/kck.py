"""KCK — połączenia i tematy / calls and topics (DK-02), and DK-03 electronic channels.

The DK-03 part counts the electronic channels only (its KPIs do the same, through the KPI
registry's scope); the register of every channel is the last table, for the director who
asks how many reports came in altogether."""

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
    period_selector,
    px_colours,
    style_figure,
    table,
)
from dashboards.formats import (
    fmt_date,
    fmt_number,
    fmt_percent,
    fmt_period,
    fmt_value,
    weekday_names,
)
from dashboards.i18n import (
    N_,
    column_label,
    drop_other_languages,
    localized,
    localized_column,
    t,
    tn,
    value_labels,
)
from dashboards.queries import common, kck
from dashboards.state import lang, q
from dashboards.verdicts import BAD
from warehouse.export import ExportAbout

L = lang()


def heat_grid(frame: pl.DataFrame, values: str, colours: str, title: str) -> go.Figure:
    """Weekday × hour heat map of ``values``, each cell's number written in it."""
    grid = (frame.pivot(on="hour", index="weekday", values=values, sort_columns=True)
            .sort("weekday"))
    hours = [c for c in grid.columns if c != "weekday"]
    z = grid.select(hours).to_numpy()
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{int(h):02d}:00" for h in hours],
        y=[weekday_names(L)[int(d) - 1] for d in grid["weekday"]], colorscale=colours,
        text=[["" if v != v or v is None else fmt_number(v, L) for v in row] for row in z],
        texttemplate="%{text}", hovertemplate="%{y} %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return style_figure(fig, title, L, height=330, wrap=55)


def fmt_period_days(first, last) -> str:
    return f"{fmt_date(first, L)}–{fmt_date(last, L)}"


st.title(t("page_kck", L))
as_of = as_of_text(L)

months = q(kck.call_months)
if not months:
    empty_state("kck_queue_service", L)
else:
    first, last = period_selector(months, L, key="kck_period",
                                  until=q(common.newest_month, kck.CALL_SOURCES))
    period = fmt_period(first, last, L)
    shares = q(kck.topic_shares, first, last)
    topic_col = localized_column(shares.columns, "topic_name", L)
    topics = q(kck.topics_by_month, first, last)
    groups = value_labels("topic_group", topics["topic_group"].unique().to_list(), L)
    by_group = (topics
                .with_columns(pl.col("topic_group").replace(groups).alias("group"))
                .group_by("month_start", "group").agg(pl.col("answered").sum())
                .sort("month_start", "answered", descending=[False, True]))
    colours = px_colours("topic_group", "group", groups, L, patterns=True)
    fig = px.bar(by_group, x="month_start", y="answered", color="group",
                 labels={"answered": column_label("answered", L)} | colours.pop("labels"),
                 **colours)
    chart(month_axis(style_figure(fig, t("kck_topics_trend", L, period=period), L), L),
          "kck_topics", L, About(counts=N_("about_kck_topics"), mart="kck_call_topics"))
    ranked = shares.select(topic_col, "share_of_answered_pct", "answered")
    fig = px.bar(ranked, x="share_of_answered_pct", y=topic_col, orientation="h",
                 text_auto=".1f", hover_data={"answered": True},
                 labels={"share_of_answered_pct": column_label("share_of_answered_pct", L),
                         "answered": column_label("answered", L), topic_col: ""})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(ticksuffix=" %")
    chart(style_figure(fig, t("kck_topics_share", L, period=period), L,
                       height=120 + 22 * ranked.height), "kck_share", L,
          About(counts=N_("about_kck_topic_share"), mart="kck_call_topics"))
    table(drop_other_languages(shares, "topic_name", L), "kck_topics",
          "kck_topics_table", L, caption=t("kck_topics_share", L, period=period),
          about=ExportAbout(period=period, source="marts.kck_call_topics"))

    queues = q(kck.queue_service, first, last)
    fig = go.Figure()
    for queue in ordered("queue", queues["queue"].to_list()):
        part = queues.filter(pl.col("queue") == queue)
        fig.add_scatter(x=part["month_start"], y=part["service_level_pct"], name=queue,
                        mode="lines+markers", **line_style("queue", queue))
    target = queues["target_service_level_pct"].max()
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", line_color=BAD,
                      annotation_text=column_label("target_service_level_pct", L))
    fig.update_yaxes(ticksuffix=" %", title=column_label("service_level_pct", L))
    chart(month_axis(style_figure(fig, t("kck_queue_sl", L, period=period), L,
                                  legend=column_label("queue", L)), L), "kck_sl", L,
          About(kpi="kck_service_level_pct"))
    table(queues, f"kck_queues_{first}_{last}", "kck_queue_table", L,
          caption=t("kck_queue_table", L, period=period),
          about=ExportAbout(period=period, source="marts.kck_queue_service"))

    hourly = q(kck.heatmap, first, last)
    staffing = q(kck.staffing)
    heat_col, staff_col = st.columns(2)
    if not hourly.is_empty():
        with heat_col:
            chart(heat_grid(hourly, "offered", "Blues", t("kck_heatmap", L, period=period)),
                  "kck_heat", L, About(counts=N_("about_kck_heatmap"), mart="kck_calls_hourly"))
    if not staffing.is_empty():
        window = fmt_period_days(staffing["window_start"][0], staffing["window_end"][0])
        target = staffing["target_service_level_pct"].max()
        threshold = int(staffing["answer_threshold_seconds"].max())
        with staff_col:
            chart(heat_grid(staffing, "agents_needed", "Oranges",
                            t("kck_staffing", L, target=fmt_percent(target, L, 0),
                              seconds=threshold, window=window)), "kck_staffing", L,
                  About(counts=N_("about_kck_staffing"), mart="kck_staffing"))
        st.markdown(t("kck_staffing_assumptions", L, window=window,
                      weeks=((staffing["window_end"][0] - staffing["window_start"][0]).days
                             + 1) // 7,
                      target=fmt_percent(target, L, 0), seconds=threshold))
        table(staffing.drop("window_start", "window_end", "target_service_level_pct",
                            "answer_threshold_seconds"),
              "kck_staffing", "kck_staffing_table", L,
              caption=t("kck_staffing", L, target=fmt_percent(target, L, 0),
                        seconds=threshold, window=window))

st.divider()
st.subheader("DK-03")
sub_months = q(kck.submission_months)
if not sub_months:
    empty_state("submissions", L)
    st.stop()
first, last = period_selector(sub_months, L, key="dk03_period",
                              until=q(common.newest_month, kck.SUBMISSION_SOURCES))
period = fmt_period(first, last, L)
forwarded = q(kck.submissions_forwarded, first, last)
KIND_SERIES = {"problem": N_("dk03_problems"), "idea": N_("dk03_ideas")}  # legend: plural
forwarded_plot = forwarded.with_columns(
    pl.col("kind").replace_strict({k: t(key, L) for k, key in KIND_SERIES.items()},
                                  default=pl.col("kind")).alias("kind_label"))
fig = px.bar(forwarded_plot, x="month_start", y="forwarded", color="kind_label", barmode="group",
             labels={"forwarded": column_label("forwarded", L),
                     "kind_label": column_label("kind", L)})
chart(month_axis(style_figure(fig, t("kck_dk03", L, period=period), L), L), "dk03_forwarded", L,
      About(counts=N_("about_dk03_forwarded"), mart="submissions"))
kpis = q(common.kpi_definitions)
kpi_names = dict(zip(kpis["kpi_code"], localized(kpis, "kpi_name", L), strict=True))
# the table's "unanswered past due" is not the KPI's late answers: the caption says how
table(forwarded, f"dk03_{first}_{last}", "dk03_table", L,
      caption=t("dk03_table_note", L, kpi=kpi_names.get("submissions_overdue_pct", "—")),
      about=ExportAbout(title=t("kck_dk03", L, period=period), period=period,
                        source="marts.submissions"))
closed, median_days = q(kck.days_to_close, first, last)
st.metric(t("dk03_days_to_close", L, period=period), fmt_value(median_days, "days", L),
          help=tn("dk03_days_to_close_help", closed, L, n=fmt_number(closed, L)), border=True)
left, right = st.columns(2)
with left:
    table(drop_other_languages(q(kck.overdue_by_unit), "responsible_unit_name", L),
          "dk03_overdue_by_unit", "dk03_unit", L,
          caption=t("kck_overdue_unit", L, as_of=as_of))
with right:
    table(q(kck.overdue_by_district), "dk03_overdue_by_district", "dk03_district", L,
          caption=t("kck_overdue_district", L, as_of=as_of))

register = q(kck.register_by_channel, first, last)
table(register, f"register_{first}_{last}", "register_by_channel", L,
      caption=t("kck_register", L, period=period), about=ExportAbout(period=period))
