"""Smart City (IT-01-4): the project portfolio."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards.components import (
    as_of_text,
    chart,
    empty_state,
    style_figure,
    table,
)
from dashboards.formats import d3_date_format
from dashboards.i18n import rag_reason_label, t, value_labels
from dashboards.queries import smart_city
from dashboards.queries.common import data_as_of
from dashboards.state import lang, q
from dashboards.verdicts import BAD

L = lang()
st.title(t("page_smart_city", L))
as_of_at = q(data_as_of)
as_of = as_of_text(L)

projects = q(smart_city.portfolio)
if projects.is_empty():
    empty_state("smart_city_portfolio", L)
    st.stop()

rag_label = value_labels("rag_status", ("green", "amber", "red"), L)
counts = projects.group_by("rag_status").len()
cols = st.columns(3)
for col, rag in zip(cols, ("red", "amber", "green"), strict=True):
    n = counts.filter(pl.col("rag_status") == rag)["len"].sum()
    col.metric(f"RAG: {rag_label[rag]}", int(n), border=True)

shown = projects.with_columns(
    pl.col("rag_status").replace_strict(rag_label, default=pl.col("rag_status")),
    pl.col("rag_reason").map_elements(lambda r: rag_reason_label(r, L),
                                      return_dtype=pl.String))
table(shown, "smart_city_portfolio", "sc_table", L, caption=t("sc_projects", L, as_of=as_of))

timeline = q(smart_city.timeline)
if not timeline.is_empty():
    bars = timeline.with_columns(pl.col("kind").replace_strict(
        {"plan": t("plan", L), "actual": t("actual", L)}).alias("kind_label"))
    fig = px.timeline(bars, x_start="start_on", x_end="end_on", y="name", color="kind_label",
                      color_discrete_sequence=["#9fb3c8", "#1f4e79"],
                      labels={"kind_label": "", "name": ""})
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed")
    if as_of_at is not None:
        fig.add_vline(x=as_of_at, line_dash="dot", line_color=BAD)
    fig.update_xaxes(tickformat=d3_date_format(L, month=True))
    chart(style_figure(fig, t("sc_gantt", L, as_of=as_of), L,
                       height=max(320, 60 * projects.height + 120)), "sc_gantt")

overdue = q(smart_city.overdue_milestones)
st.markdown(f":{'red' if len(overdue) else 'green'}[●] **{t('sc_milestones', L, as_of=as_of)}**"
            f": {len(overdue)}")
table(overdue, "smart_city_overdue_milestones", "sc_milestones", L)
