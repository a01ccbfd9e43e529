"""Kreator raportów (DK-05) / Report builder: measures × breakdowns × filters, saved by name."""

from __future__ import annotations

import json

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import reports
from dashboards.components import About, chart, month_axis, style_figure, table
from dashboards.formats import fmt_number
from dashboards.i18n import N_, column_label, t
from dashboards.marts import mart_label
from dashboards.state import build_file, lang, lkey, q, warehouse_path

try:  # written by another module owner; the page works without it
    from warehouse.safe_sql import QueryRefused, run_readonly_query
except ImportError:  # pragma: no cover - depends on the checkout
    run_readonly_query = None
    QueryRefused = ValueError

L = lang()
st.title(t("page_builder", L))
schema = q(reports.mart_schema)
marts = sorted(schema)
directory = reports.reports_dir(warehouse_path())
AGG_KEYS = list(reports.AGGREGATIONS)
ROWS = "*"
AGG_LABELS = {"sum": N_("agg_sum"), "avg": N_("agg_avg"), "min": N_("agg_min"),
              "max": N_("agg_max"), "count": N_("agg_count"), "median": N_("agg_median")}
CHART_LABELS = {"bar": N_("chart_bar"), "line": N_("chart_line"), "none": N_("chart_none")}
# the SQL box's refusals (warehouse.safe_sql.QueryRefused.key) as catalogue messages
SQL_MESSAGES = {
    "sql_empty": N_("sql_empty"), "sql_syntax": N_("sql_syntax"),
    "sql_one_statement": N_("sql_one_statement"), "sql_select_only": N_("sql_select_only"),
    "sql_unchecked": N_("sql_unchecked"), "sql_table_function": N_("sql_table_function"),
    "sql_show": N_("sql_show"), "sql_table_unavailable": N_("sql_table_unavailable"),
    "sql_time_limit": N_("sql_time_limit"), "sql_result_too_big": N_("sql_result_too_big"),
    "sql_permission": N_("sql_permission"), "sql_error": N_("sql_error"),
}
K = {name: lkey(name) for name in ("b_open", "b_mart", "b_measures", "b_breakdowns",
                                   "b_filter_col", "b_chart")}


def measure_name(col: str) -> str:
    return t("row_count", L) if col == ROWS else column_label(col, L)


def measure_title(col: str, agg: str) -> str:
    return t("row_count", L) if col == ROWS else f"{t(AGG_LABELS[agg], L)}: {column_label(col, L)}"


def open_saved() -> None:
    """Fill the widgets from the chosen saved definition."""
    name = st.session_state.get(K["b_open"])
    if not name:
        return
    try:
        defn = reports.load_report(directory, name)
    except reports.ReportError as exc:
        st.session_state["b_error"] = t(exc.key, L, **exc.params)
        return
    if defn.mart not in schema:
        st.session_state["b_error"] = t("report_unknown_mart", L, mart=defn.mart)
        return
    st.session_state[K["b_mart"]] = defn.mart
    st.session_state[K["b_measures"]] = [c for c, _ in defn.measures]
    for col, agg in defn.measures:
        st.session_state[lkey(f"b_agg_{col}")] = agg
    st.session_state[K["b_breakdowns"]] = defn.breakdowns
    fcol, fvals = next(iter(defn.filters.items()), (None, []))
    st.session_state[K["b_filter_col"]] = fcol
    st.session_state["b_filter_vals"] = fvals
    st.session_state[K["b_chart"]] = defn.chart
    st.session_state["b_name"] = defn.name


saved = reports.list_reports(directory)
st.selectbox(t("builder_open", L), [None, *saved], key=K["b_open"], on_change=open_saved,
             format_func=lambda v: t("builder_none", L) if v is None else v)
if error := st.session_state.pop("b_error", None):
    st.error(error)

if st.session_state.get(K["b_mart"]) not in marts:
    st.session_state[K["b_mart"]] = "kck_call_topics" if "kck_call_topics" in marts else marts[0]
mart = st.selectbox(t("builder_mart", L), marts, key=K["b_mart"],
                    format_func=lambda m: mart_label(m, L))
columns = schema[mart]
measure_options = [ROWS, *reports.measure_columns(columns)]
breakdown_options = reports.breakdown_columns(columns)
# keep the widgets' state valid for the chosen mart (a saved report or another mart)
state = st.session_state
state.setdefault(K["b_measures"], [c for c in ("answered",) if c in measure_options] or [ROWS])
state.setdefault(K["b_breakdowns"], [c for c in ("month_start",) if c in breakdown_options])
state[K["b_measures"]] = [c for c in state[K["b_measures"]] if c in measure_options]
state[K["b_breakdowns"]] = [c for c in state[K["b_breakdowns"]] if c in breakdown_options]
if state.get(K["b_filter_col"]) not in (None, *columns):
    state[K["b_filter_col"]] = None
left, right = st.columns(2)
with left:
    measure_cols = st.multiselect(t("builder_measures", L), measure_options,
                                  key=K["b_measures"], format_func=measure_name)
    measures: list[tuple[str, str]] = []
    for col in measure_cols:
        allowed = ["count"] if col == ROWS else AGG_KEYS
        agg = st.selectbox(f"{t('builder_agg', L)}: {measure_name(col)}", allowed,
                           key=lkey(f"b_agg_{col}"), format_func=lambda a: t(AGG_LABELS[a], L))
        measures.append((col, agg))
with right:
    breakdowns = st.multiselect(t("builder_breakdowns", L), breakdown_options,
                                key=K["b_breakdowns"], format_func=lambda c: column_label(c, L))
    filter_col = st.selectbox(t("filter_column", L), [None, *columns], key=K["b_filter_col"],
                              format_func=lambda c: t("none", L) if c is None
                              else column_label(c, L))
    filter_vals: list[str] = []
    if filter_col:
        values = q(reports.distinct_values, mart, filter_col)
        state["b_filter_vals"] = [v for v in state.get("b_filter_vals", []) if v in values]
        filter_vals = st.multiselect(t("filter_values", L), values, key="b_filter_vals")
    chart_type = st.radio(t("builder_chart", L), list(reports.CHART_TYPES), horizontal=True,
                          key=K["b_chart"], format_func=lambda c: t(CHART_LABELS[c], L))

if not measures:
    st.info(t("builder_pick_measure", L))
else:
    defn = reports.ReportDefinition(
        name=st.session_state.get("b_name") or "raport", mart=mart, measures=measures,
        breakdowns=breakdowns, filters={filter_col: filter_vals} if filter_col and filter_vals
        else {}, chart=chart_type)
    result = q(reports.run_report_json, json.dumps(defn.to_json(), sort_keys=True))
    labels = {reports.measure_alias(c, a): measure_title(c, a) for c, a in measures}
    shown = result.rename(labels)
    measure_labels = list(labels.values())
    title = t("builder_title", L, measures=", ".join(measure_labels),
              breakdowns=", ".join(column_label(b, L) for b in breakdowns)
              or t("builder_no_breakdown", L), mart=mart_label(mart, L))
    if chart_type != "none" and breakdowns and not result.is_empty():
        x = breakdowns[0]
        color = breakdowns[1] if len(breakdowns) > 1 else None
        plot = shown.with_columns(pl.col(color).cast(pl.String)) if color else shown
        draw = px.bar if chart_type == "bar" else px.line
        fig = draw(plot, x=x, y=measure_labels[0], color=color,
                   labels={x: column_label(x, L), **({color: column_label(color, L)}
                                                     if color else {})})
        if result.schema[x] == pl.Date:
            month_axis(fig, L)
        chart(style_figure(fig, title, L), "b_chart_fig", L,
              About(counts=N_("about_builder"), mart=mart))
    table(shown, f"raport_{mart}", "b_table", L, caption=title)

    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(t("builder_name", L), key="b_name")
    if c2.button(t("builder_save", L), key="b_save"):
        try:
            defn.name = name
            reports.save_report(directory, defn)
        except reports.ReportError as exc:
            st.error(t(exc.key, L, **exc.params))
        else:
            st.success(t("builder_saved", L, name=defn.name))

st.divider()
st.subheader(t("builder_sql", L))
sql = st.text_area("SQL", value="select * from marts.director_kpis limit 20", key="b_sql",
                   label_visibility="collapsed")
if run_readonly_query is None:
    st.warning(t("builder_sql_missing", L))
elif st.button(t("builder_sql_run", L), key="b_sql_run"):
    try:
        result = run_readonly_query(build_file(), sql)
    except QueryRefused as exc:
        key = SQL_MESSAGES.get(getattr(exc, "key", None) or "")
        params = {k: fmt_number(v, L) if isinstance(v, (int, float)) else v
                  for k, v in getattr(exc, "params", {}).items()}
        st.error(t(key, L, **params) if key else str(exc))
    else:
        table(result, "zapytanie_sql", "b_sql_table", L)
