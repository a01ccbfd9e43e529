"""Smart City (IT-01-4): the project portfolio — RAG state month by month, the Gantt chart,
budget against spending.

Every count of projects by state on this page is a count of
``marts.smart_city_project_months.rag_status``, the column the director's red-projects
tile counts (``kpi_values``: sc_projects_red): only active projects are rated red, amber or
green; completed and cancelled ones have their own states. A state is never carried by
colour alone: each has its word and its own bar pattern.
"""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.components import (
    About,
    as_of_text,
    chart,
    colour,
    empty_state,
    month_axis,
    pattern,
    style_figure,
    table,
    unit_axis,
)
from dashboards.formats import d3_date_format, fmt_date, fmt_month, fmt_percent, fmt_period
from dashboards.i18n import N_, rag_reason_label, t, value_labels
from dashboards.queries import smart_city
from dashboards.queries.common import data_as_of
from dashboards.state import lang, lkey, q
from dashboards.verdicts import NEUTRAL
from warehouse.export import ExportAbout

RATED = ("red", "amber", "green")
# a state's colour and pattern are the app's one mapping (components.COLOURS["rag"]): the
# pattern lets a state read without colour (WCAG 2.1 1.4.1)
STATUSES = ("planned", "in_progress", "on_hold", "completed", "cancelled")

L = lang()
st.title(t("page_smart_city", L))
as_of_at = q(data_as_of)
as_of = as_of_text(L)

projects = q(smart_city.portfolio)
months = q(smart_city.months)
if projects.is_empty() or not months:
    empty_state("smart_city_portfolio", L)
    st.stop()

rag_label = value_labels("rag_status", smart_city.RAG_STATES, L)
status_label = value_labels("status", STATUSES, L)
basis_label = value_labels("basis", ("current", "snapshot", "reconstructed"), L)

col_month, col_status, col_area = st.columns(3)
month = col_month.selectbox(t("month", L), options=months[::-1],
                            format_func=lambda m: fmt_month(m, L), key=lkey("sc_month"))
statuses = col_status.multiselect(
    t("sc_filter_status", L), options=list(STATUSES), format_func=lambda s: status_label[s],
    key=lkey("sc_status"), placeholder=t("sc_filter_all", L))
areas = col_area.multiselect(
    t("sc_filter_area", L), options=sorted(a for a in projects["strategy_area"].unique()
                                           if a is not None),
    key=lkey("sc_area"), placeholder=t("sc_filter_all", L))


def keep(df: pl.DataFrame) -> pl.DataFrame:
    """The rows the filters keep (none chosen: all)."""
    if statuses:
        df = df.filter(pl.col("status").is_in(statuses))
    if areas:
        df = df.filter(pl.col("strategy_area").is_in(areas))
    return df


def state_label(state: str) -> str:
    """'RAG: czerwony' for a rated state, 'Zakończony' / 'Anulowany' for the others."""
    word = rag_label[state]
    return f"RAG: {word}" if state in RATED else word[:1].upper() + word[1:]


def actual_label(state: str) -> str:
    """A Gantt bar of the actual (or forecast) span, named with the project's state."""
    return f"{t('actual', L)} · {state_label(state)}"


# ---------------------------------------------------------------- the month's states
in_month = keep(q(smart_city.project_month, month))
st.subheader(t("sc_month_states", L, month=fmt_month(month, L)))
cols = st.columns(len(smart_city.RAG_STATES))
for col, state in zip(cols, smart_city.RAG_STATES, strict=True):
    n = in_month.filter(pl.col("rag_status") == state).height
    col.metric(state_label(state), n, border=True)
basis = in_month.group_by("basis").len()
counts = dict(zip(basis["basis"], basis["len"], strict=True))
total = in_month.height
if counts.get("reconstructed"):
    st.warning(t("sc_basis_reconstructed", L, n=counts["reconstructed"], total=total),
               icon="🕓")
if counts.get("snapshot"):
    st.caption(t("sc_basis_snapshot", L, n=counts["snapshot"], total=total))
if counts.get("current"):
    st.caption(t("sc_basis_current", L, as_of=as_of))

shown_month = in_month.select(
    "project_id", "name", "strategy_area", "owner_unit", "status", "rag_status", "rag_reason",
    "basis", "judged_on").with_columns(
    pl.col("status").replace_strict(status_label, default=pl.col("status")),
    pl.col("rag_status").replace_strict(rag_label, default=pl.col("rag_status")),
    pl.col("rag_reason").map_elements(lambda r: rag_reason_label(r, L), return_dtype=pl.String),
    pl.col("basis").replace_strict(basis_label, default=pl.col("basis")))
table(shown_month, f"smart_city_project_months_{month}", "sc_month_table", L,
      caption=t("sc_month_states", L, month=fmt_month(month, L)),
      about=ExportAbout(period=fmt_month(month, L), source="marts.smart_city_project_months"))

# ---------------------------------------------------------------- history
history = keep(q(smart_city.rag_history)).filter(pl.col("rag_status").is_in(RATED))
reconstructed = set(q(smart_city.reconstructed_months))
if not history.is_empty():
    per_month = history.group_by("month_start", "rag_status").agg(pl.col("projects").sum())
    all_months = [m for m in months if m <= months[-1]]
    fig = go.Figure()
    for state in RATED:
        part = dict(per_month.filter(pl.col("rag_status") == state)
                    .select("month_start", "projects").iter_rows())
        values = [part.get(m, 0) for m in all_months]
        fig.add_bar(x=all_months, y=values, name=state_label(state),
                    marker={"color": colour("rag", state),
                            "pattern": {"shape": ["/" if m in reconstructed else ""
                                                  for m in all_months],
                                        "fgcolor": "#ffffff", "solidity": 0.3}},
                    hovertemplate="%{x|" + d3_date_format(L, month=True) + "}: %{y}"
                                  f"<extra>{state_label(state)}</extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(**unit_axis("n", L))
    period = fmt_period(all_months[0], all_months[-1], L)
    styled = month_axis(style_figure(fig, t("sc_history", L, period=period), L,
                                     legend=t("legend_rag", L)), L)
    styled.update_xaxes(dtick="M3" if len(all_months) <= 36 else "M6", tickangle=-45)
    chart(styled, "sc_history", L, About(kpi="sc_projects_red"))
    recon = sorted(m for m in reconstructed if m in all_months)
    if recon:
        st.caption(t("sc_history_reconstructed", L,
                     months=fmt_period(recon[0], recon[-1], L), n=len(recon)))

# ---------------------------------------------------------------- Gantt
timeline = keep(q(smart_city.timeline))
if not timeline.is_empty():
    has_actual = set(timeline.filter(pl.col("kind") == "actual")["project_id"])
    bars = timeline.with_columns(
        pl.when(pl.col("kind") == "plan").then(pl.lit(t("plan", L)))
        .otherwise(pl.col("rag_status").replace_strict(
            {s: actual_label(s) for s in smart_city.RAG_STATES}, default=pl.col("rag_status")))
        .alias("bar"),
        # the state in words on the project's last bar (the actual one, else its plan)
        pl.when((pl.col("kind") == "actual") | ~pl.col("project_id").is_in(list(has_actual)))
        .then(pl.col("rag_status").replace_strict(rag_label, default=pl.col("rag_status")))
        .otherwise(pl.lit("")).alias("state_text"))
    legend = [t("plan", L)] + [actual_label(s) for s in smart_city.RAG_STATES]
    colours = {t("plan", L): "#cfd8e3"} | {actual_label(s): colour("rag", s)
                                          for s in smart_city.RAG_STATES}
    patterns = {t("plan", L): ""} | {actual_label(s): pattern("rag", s)
                                    for s in smart_city.RAG_STATES}
    fig = px.timeline(bars, x_start="start_on", x_end="end_on", y="name", color="bar",
                      pattern_shape="bar", text="state_text",
                      color_discrete_map=colours, pattern_shape_map=patterns,
                      category_orders={"bar": legend}, labels={"bar": "", "name": ""})
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed")
    span = (bars["end_on"].max() - bars["start_on"].min()).days / 365.25
    fig.update_xaxes(tickformat=d3_date_format(L, month=True),
                     dtick="M3" if span <= 3 else "M6" if span <= 6 else "M12",
                     tickangle=-45, showgrid=True, gridcolor="#e0e0e0")
    if as_of_at is not None:  # the date of the data, never the wall clock
        fig.add_shape(type="line", x0=as_of_at, x1=as_of_at, y0=0, y1=1, yref="paper",
                      line={"color": NEUTRAL, "dash": "dash", "width": 2})
        fig.add_annotation(x=as_of_at, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=t("sc_today", L, date=fmt_date(as_of_at, L)),
                           font={"color": NEUTRAL})
    n_projects = bars["project_id"].n_unique()
    chart(style_figure(fig, t("sc_gantt", L, as_of=as_of), L,
                       height=max(360, 60 * n_projects + 160)), "sc_gantt", L,
          About(counts=N_("about_sc_gantt"), mart="smart_city_portfolio"))

# ---------------------------------------------------------------- budget and spending
spend = keep(projects).filter(pl.col("budget_pln").is_not_null()).sort("budget_pln")
if not spend.is_empty():
    over = [b is not None and b > 100 for b in spend["budget_burn_pct"]]
    fig = go.Figure()
    fig.add_bar(y=spend["name"], x=spend["budget_pln"], orientation="h", name=t("budget", L),
                marker={"color": "#cfd8e3"})
    fig.add_bar(y=spend["name"], x=spend["spent_pln"], orientation="h", name=t("spent", L),
                marker={"color": NEUTRAL,
                        "pattern": {"shape": ["x" if o else "" for o in over]}},
                text=[fmt_percent(b, L) + (f" · {t('rag_over_budget', L)}" if o else "")
                      if b is not None else "" for b, o in zip(spend["budget_burn_pct"], over,
                                                              strict=True)],
                textposition="outside", cliponaxis=False)
    fig.update_layout(barmode="group")
    fig.update_xaxes(**unit_axis("PLN", L))
    chart(style_figure(fig, t("sc_budget", L, as_of=as_of), L,
                       height=max(360, 40 * spend.height + 160)), "sc_budget", L,
          About(counts=N_("about_sc_budget"), mart="smart_city_portfolio"))

# ---------------------------------------------------------------- the portfolio today
shown = keep(projects).with_columns(
    pl.col("rag_status").replace_strict(rag_label, default=pl.col("rag_status")),
    pl.col("rag_reason").map_elements(lambda r: rag_reason_label(r, L),
                                      return_dtype=pl.String))
table(shown, "smart_city_portfolio", "sc_table", L, caption=t("sc_projects", L, as_of=as_of))

overdue = keep(q(smart_city.overdue_milestones)).drop("status", "strategy_area")
st.markdown(f"{'▲' if len(overdue) else '●'} **{t('sc_milestones', L, as_of=as_of)}**"
            f": {len(overdue)}")
table(overdue, "smart_city_overdue_milestones", "sc_milestones", L)
