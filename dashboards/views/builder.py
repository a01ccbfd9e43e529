"""Kreator raportów (DK-05) / Report builder: measures × breakdowns × filters, saved by name.

Choices (issue 15):

- **Filters**: any number of rows (column, operator, values), compiled by
  :mod:`dashboards.reports` to parameterised SQL. The values of ``in`` / ``not in`` are
  *pills* (``st.pills``): a value is in the filter only when it was clicked. Streamlit 1.67's
  ``st.multiselect`` adds the first visible row on Enter — seen in chromium: typing
  ``10.2026`` and Enter with ``filter_mode=None`` added ``01.2026``; with the default fuzzy
  filter, Enter adds the best subsequence match or bulk-selects "all matches" — so it is
  not used for filter values. A search box (our own ``contains``, on the value and its
  word) narrows the pills shown (at most ``PILLS_SHOWN``; picked ones always stay); Enter
  there only narrows. Months are "10.2026", enumerations words, empty values "brak".
- **Dates**: ``between`` by whole months (two select boxes, "from" and "to"), or a
  relative period taken at the build's as_of (never the clock), optionally a year back.
- **Breakdowns**: a date breakdown may be grouped by week / month / quarter / year;
  top N keeps the largest values of one breakdown and sums the rest as "other".
- **Charts and table**: :func:`dashboards.report_view.show_report` (shared with the page of
  pinned reports): every measure drawn, a second y axis only for a second unit.
- **Saved reports**: opened from the select box or from a shared link (``?report=NAME``,
  :mod:`dashboards.links`; the address always names the report open, so it is the link);
  the owner's own can be overwritten, renamed and deleted, anyone's duplicated and pinned.
  Others' reports open read-only. The storage rules are in :mod:`dashboards.reports`.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from dashboards import links, report_view, reports
from dashboards.components import as_of_text, md_text, rows_caption, table
from dashboards.formats import fmt_date, fmt_month, fmt_number
from dashboards.i18n import N_, column_label, t
from dashboards.marts import manifest_path, mart_label, marts_docs
from dashboards.report_view import AGG_LABELS, OP_LABELS, PERIOD_LABELS, ROWS, measure_name
from dashboards.state import build_file, lang, lkey, q, warehouse_path
from warehouse.export import ExportAbout
from warehouse.safe_sql import EXPORT_BYTES, EXPORT_SECONDS, QueryRefused, export_query, run_query

L = lang()
st.title(t("page_builder", L))
schema = q(reports.mart_schema)
marts = sorted(schema)
directory = reports.reports_dir(warehouse_path())
AGG_KEYS = list(reports.AGGREGATIONS)
PILLS_SHOWN = 40
CHART_LABELS = {"bar": N_("chart_bar"), "line": N_("chart_line"), "none": N_("chart_none")}
GRAIN_LABELS = {None: N_("grain_none"), "week": N_("grain_week"), "month": N_("grain_month"),
                "quarter": N_("grain_quarter"), "year": N_("grain_year")}
# the SQL box's refusals (warehouse.safe_sql.QueryRefused.key) as catalogue messages
SQL_MESSAGES = {
    "sql_empty": N_("sql_empty"), "sql_syntax": N_("sql_syntax"),
    "sql_one_statement": N_("sql_one_statement"), "sql_select_only": N_("sql_select_only"),
    "sql_unchecked": N_("sql_unchecked"), "sql_table_function": N_("sql_table_function"),
    "sql_show": N_("sql_show"), "sql_table_unavailable": N_("sql_table_unavailable"),
    "sql_time_limit": N_("sql_time_limit"), "sql_result_too_big": N_("sql_result_too_big"),
    "sql_permission": N_("sql_permission"), "sql_error": N_("sql_error"),
    "sql_export_too_big": N_("sql_export_too_big"),
}
K = {name: lkey(name) for name in ("b_open", "b_mart", "b_measures", "b_breakdowns",
                                   "b_chart", "b_top_col")}
state = st.session_state
OWNER = links.owner()


def value_text(column: str, value: object) -> str:
    return report_view.value_text(column, value, columns, L)


# ---------------------------------------------------------------- filter rows
def filter_ids() -> list[int]:
    return state.setdefault("b_filter_ids", [])


def add_filter() -> int:
    ids = filter_ids()
    new = max(ids, default=-1) + 1
    ids.append(new)
    return new


def remove_filter(fid: int) -> None:
    state["b_filter_ids"] = [i for i in filter_ids() if i != fid]


def ops_for(dtype: str) -> list[str]:
    if reports.is_date(dtype):
        return ["between", "period", "is_empty", "is_not_empty"]
    if reports.is_numeric(dtype):
        return ["in", "not_in", "between", "is_empty", "is_not_empty"]
    return ["in", "not_in", "is_empty", "is_not_empty"]


def set_filter_state(fid: int, f: reports.Filter) -> None:
    """The widgets of filter row ``fid`` showing ``f`` (a saved report being opened)."""
    state[lkey(f"b_f{fid}_col")] = f.column
    state[lkey(f"b_f{fid}_op")] = f.op
    if f.op in ("in", "not_in"):
        state[f"b_f{fid}_vals"] = list(f.values)
    elif f.op == "between":
        low, high = (f.values + ["", ""])[:2]
        if reports.is_date(schema[state[K["b_mart"]]].get(f.column, "")):
            state[lkey(f"b_f{fid}_from")] = low[:7] + "-01" if low else None
            state[lkey(f"b_f{fid}_to")] = high[:7] + "-01" if high else None
        else:
            state[f"b_f{fid}_lownum"] = float(low) if low else None
            state[f"b_f{fid}_highnum"] = float(high) if high else None
    elif f.op == "period":
        state[lkey(f"b_f{fid}_period")] = f.values[0] if f.values else "last_month"
        state[f"b_f{fid}_year_ago"] = reports.YEAR_AGO in f.values[1:]


def open_saved() -> None:
    """Fill the widgets from the chosen saved definition (and name it in the address)."""
    name = state.get(K["b_open"])
    opened_in_url(name)
    if not name:
        return
    try:
        defn = reports.load_report(directory, name)
    except reports.ReportError as exc:
        state["b_error"] = t(exc.key, L, **exc.params)
        return
    if defn.mart not in schema:
        state["b_error"] = t("report_unknown_mart", L, mart=defn.mart)
        return
    state[K["b_mart"]] = defn.mart
    state[K["b_measures"]] = [c for c, _ in defn.measures]
    for col, agg in defn.measures:
        state[lkey(f"b_agg_{col}")] = agg
    state[K["b_breakdowns"]] = defn.breakdowns
    for col in defn.breakdowns:
        state[lkey(f"b_grain_{col}")] = defn.grains.get(col)
    state["b_top_n"] = defn.top_n or 0
    state[K["b_top_col"]] = defn.top_column
    state["b_filter_ids"] = []
    for f in defn.filters:
        set_filter_state(add_filter(), f)
    state[K["b_chart"]] = defn.chart
    state["b_name"] = defn.name


# ---------------------------------------------------------------- the saved report's life cycle
def opened_in_url(name: str | None) -> None:
    """The address names the report open (a reload, or the link copied, opens it again)."""
    state["b_link_opened"] = name
    state["b_delete_asked"] = False
    if name:
        st.query_params[links.REPORT_PARAM] = name
    elif links.REPORT_PARAM in st.query_params:
        del st.query_params[links.REPORT_PARAM]


def show_open(name: str | None, notice: str) -> None:
    """After a change: the select box on ``name`` (its widgets refilled) and a notice."""
    state[K["b_open"]] = name
    open_saved()
    state["b_notice"] = notice


def life_cycle(action: Callable[..., object], *args: object) -> None:
    """Run a save, rename, duplicate or delete (a button's callback); a refusal is shown
    in the page's language at the next run."""
    try:
        action(*args)
    except reports.ReportError as exc:
        state["b_error"] = t(exc.key, L, **exc.params)


def save(defn: reports.ReportDefinition) -> None:
    defn.name = state.get("b_name") or ""
    reports.save_report(directory, defn, OWNER)
    show_open(defn.name, t("builder_saved", L, name=defn.name))


def rename(name: str) -> None:
    new = reports.rename_report(directory, name, state.get("b_rename") or "", OWNER)
    links.set_pins([new if n == name else n for n in links.pins()])  # this browser's pins
    show_open(new, t("saved_renamed", L, old=name, name=new))


def duplicate(name: str) -> None:
    new = reports.duplicate_report(directory, name, OWNER, prefix=t("saved_copy_prefix", L))
    show_open(new, t("saved_duplicated", L, name=new))


def delete(name: str) -> None:
    reports.delete_report(directory, name, OWNER)
    links.set_pins([n for n in links.pins() if n != name])
    state["b_delete_asked"] = False
    show_open(None, t("saved_deleted", L, name=name))


def owner_text(owner: str) -> str:
    if owner == reports.LOCAL_OWNER:
        return t("saved_owner_local", L)
    return t("saved_owner_you", L) if owner == OWNER else md_text(owner)  # plain, no mailto


def when(stamp: str | None) -> str:
    """A stored UTC time in Kraków's, as the reader writes it ('—' for a report saved
    before the times were kept)."""
    if not stamp:
        return "—"
    return fmt_date(datetime.fromisoformat(stamp).astimezone(ZoneInfo("Europe/Warsaw"))
                    .replace(tzinfo=None), L)


def saved_panel(name: str) -> None:
    """Who owns the open report and when it changed, its link, and what the reader may do."""
    try:
        info = reports.report_info(directory, name)
    except reports.ReportError as exc:
        st.error(t(exc.key, L, **exc.params))
        return
    mine = info.owned_by(OWNER)
    with st.container(border=True):
        st.caption(t("saved_facts", L, owner=owner_text(info.owner),
                     created=when(info.created_at), updated=when(info.updated_at)))
        if not mine:
            st.info(t("saved_read_only", L, owner=owner_text(info.owner)),
                    icon=":material/lock:")
        st.caption(t("saved_link", L))
        st.code(links.share_url("builder", **{links.REPORT_PARAM: name}), language=None,
                wrap_lines=True)
        c_name, c_rename = st.columns([3, 1], vertical_alignment="bottom")
        if state.get("b_rename_of") != name:  # the box starts on the report's own name
            state["b_rename_of"], state["b_rename"] = name, name
        c_name.text_input(t("saved_new_name", L), key="b_rename", disabled=not mine)
        c_rename.button(t("saved_rename", L), key="b_rename_btn", disabled=not mine,
                        on_click=life_cycle, args=(rename, name), icon=":material/edit:")
        c_dup, c_pin, c_del = st.columns(3)
        c_dup.button(t("saved_duplicate", L), key="b_duplicate", on_click=life_cycle,
                     args=(duplicate, name), icon=":material/content_copy:")
        pinned = name in links.pins()
        c_pin.button(t("saved_unpin", L) if pinned else t("saved_pin", L), key="b_pin",
                     on_click=links.toggle_pin, args=(name,), icon=":material/push_pin:")
        if c_del.button(t("saved_delete", L), key="b_delete", disabled=not mine,
                        icon=":material/delete:"):
            state["b_delete_asked"] = True
        if mine and state.get("b_delete_asked"):
            st.warning(t("saved_delete_confirm", L, name=name))
            st.button(t("saved_delete_yes", L), key="b_delete_yes", type="primary",
                      on_click=life_cycle, args=(delete, name))


def month_options(column: str) -> list[str]:
    return [m.isoformat() for m in q(reports.distinct_months, mart, column)]


def filter_row(fid: int) -> reports.Filter | None:
    """One filter row's widgets; the filter they make (None while incomplete)."""
    c_col, c_op, c_del = st.columns([4, 3, 1], vertical_alignment="bottom")
    col_key = lkey(f"b_f{fid}_col")
    if state.get(col_key) not in columns:
        state[col_key] = None
    column = c_col.selectbox(t("filter_column", L), [None, *columns], key=col_key,
                             format_func=lambda c: t("none", L) if c is None
                             else column_label(c, L))
    c_del.button(t("filter_remove", L), key=f"b_f{fid}_del", on_click=remove_filter,
                 args=(fid,), icon=":material/close:")
    if column is None:
        return None
    ops = ops_for(columns[column])
    op_key = lkey(f"b_f{fid}_op")
    if state.get(op_key) not in ops:
        state[op_key] = ops[0]
    op = c_op.selectbox(t("filter_operator", L), ops, key=op_key,
                        format_func=lambda o: t(OP_LABELS[o], L))
    if op in ("is_empty", "is_not_empty"):
        return reports.Filter(column, op)
    if op in ("in", "not_in"):
        search = st.text_input(t("filter_search", L), key=f"b_f{fid}_search")
        values = q(reports.distinct_values, mart, column)
        picked = [v for v in state.get(f"b_f{fid}_vals", []) if v in values]
        needle = search.strip().casefold()
        matches = [v for v in values if v not in picked and
                   (needle in v.casefold() or needle in value_text(column, v).casefold())]
        state[f"b_f{fid}_vals"] = picked
        chosen = st.pills(t("filter_values", L), picked + matches[:PILLS_SHOWN],
                          selection_mode="multi", key=f"b_f{fid}_vals",
                          format_func=lambda v: value_text(column, v))
        if len(matches) > PILLS_SHOWN:
            st.caption(t("filter_more_values", L, n=fmt_number(len(matches) - PILLS_SHOWN, L)))
        return reports.Filter(column, op, list(chosen or []))
    if op == "period":
        c_period, c_ago = st.columns([3, 2], vertical_alignment="bottom")
        period = c_period.selectbox(t("filter_period", L), list(reports.PERIODS),
                                    key=lkey(f"b_f{fid}_period"),
                                    format_func=lambda p: t(PERIOD_LABELS[p], L))
        year_ago = c_ago.checkbox(t("filter_year_ago", L), key=f"b_f{fid}_year_ago")
        as_of = q(reports.as_of_date)
        if as_of is not None:
            first, last = reports.period_range(period, as_of, year_ago)
            st.caption(t("filter_period_is", L, first=fmt_date(first, L),
                         last=fmt_date(last, L), as_of=fmt_date(as_of, L)))
        return reports.Filter(column, op, [period, *([reports.YEAR_AGO] if year_ago else [])])
    # between
    if reports.is_date(columns[column]):
        months = month_options(column)
        c_from, c_to = st.columns(2)
        from_key, to_key = lkey(f"b_f{fid}_from"), lkey(f"b_f{fid}_to")
        for key in (from_key, to_key):
            if state.get(key) not in (None, *months):
                state[key] = None
        shown = [None, *months]
        first = c_from.selectbox(t("filter_from", L), shown, key=from_key,
                                 format_func=lambda m: t("filter_open_end", L) if m is None
                                 else fmt_month(date.fromisoformat(m), L))
        last = c_to.selectbox(t("filter_to", L), shown, key=to_key,
                              format_func=lambda m: t("filter_open_end", L) if m is None
                              else fmt_month(date.fromisoformat(m), L))
        high = "" if last is None else reports.month_end(date.fromisoformat(last)).isoformat()
        return reports.Filter(column, op, [first or "", high])
    c_from, c_to = st.columns(2)
    low = c_from.number_input(t("filter_from", L), value=None, key=f"b_f{fid}_lownum")
    high = c_to.number_input(t("filter_to", L), value=None, key=f"b_f{fid}_highnum")
    return reports.Filter(column, op, ["" if low is None else repr(float(low)),
                                       "" if high is None else repr(float(high))])


if links.signed_in_user() is None:
    st.caption(t("saved_shared_owner", L))
saved = reports.list_reports(directory)
wanted = st.query_params.get(links.REPORT_PARAM)
if wanted and state.get("b_link_opened") != wanted:  # a shared link, opened
    if (current := reports.current_name(directory, wanted)) is not None:  # renamed since?
        state[K["b_open"]] = current
        open_saved()
    else:
        state["b_error"] = t("report_not_found", L, name=wanted)
        opened_in_url(None)
if state.get(K["b_open"]) not in saved:  # deleted meanwhile
    state[K["b_open"]] = None
opened = st.selectbox(t("builder_open", L), [None, *saved], key=K["b_open"],
                      on_change=open_saved,
                      format_func=lambda v: t("builder_none", L) if v is None else v)
if error := state.pop("b_error", None):
    st.error(error)
if notice := state.pop("b_notice", None):
    st.success(notice)
if opened:
    saved_panel(opened)

if state.get(K["b_mart"]) not in marts:
    state[K["b_mart"]] = "kck_call_topics" if "kck_call_topics" in marts else marts[0]
mart = st.selectbox(t("builder_mart", L), marts, key=K["b_mart"],
                    format_func=lambda m: mart_label(m, L))
columns = schema[mart]
measure_options = [ROWS, *reports.measure_columns(columns)]
breakdown_options = reports.breakdown_columns(columns)
# keep the widgets' state valid for the chosen mart (a saved report or another mart)
state.setdefault(K["b_measures"], [c for c in ("answered",) if c in measure_options] or [ROWS])
state.setdefault(K["b_breakdowns"], [c for c in ("month_start",) if c in breakdown_options])
state[K["b_measures"]] = [c for c in state[K["b_measures"]] if c in measure_options]
state[K["b_breakdowns"]] = [c for c in state[K["b_breakdowns"]] if c in breakdown_options]
left, right = st.columns(2)
with left:
    measure_cols = st.multiselect(t("builder_measures", L), measure_options,
                                  key=K["b_measures"], format_func=lambda c: measure_name(c, L),
                                  select_all=False)
    measures: list[tuple[str, str]] = []
    for col in measure_cols:
        allowed = ["count"] if col == ROWS else AGG_KEYS
        agg = st.selectbox(f"{t('builder_agg', L)}: {measure_name(col, L)}", allowed,
                           key=lkey(f"b_agg_{col}"), format_func=lambda a: t(AGG_LABELS[a], L))
        measures.append((col, agg))
with right:
    breakdowns = st.multiselect(t("builder_breakdowns", L), breakdown_options,
                                key=K["b_breakdowns"], format_func=lambda c: column_label(c, L),
                                select_all=False)
    grains: dict[str, str] = {}
    for col in breakdowns:
        if reports.is_date(columns[col]):
            grain = st.selectbox(f"{t('builder_grain', L)}: {column_label(col, L)}",
                                 list(GRAIN_LABELS), key=lkey(f"b_grain_{col}"),
                                 format_func=lambda g: t(GRAIN_LABELS[g], L),
                                 # None set from a saved report shows the placeholder,
                                 # Streamlit's own "Choose an option" unless it is ours
                                 placeholder=t(GRAIN_LABELS[None], L))
            if grain:
                grains[col] = grain
    rankable = [b for b in breakdowns if not reports.is_date(columns[b])]
    top_n = 0
    top_col = None
    if rankable:
        c_n, c_col = st.columns(2)
        top_n = int(c_n.number_input(t("builder_top_n", L), min_value=0, step=1,
                                     key="b_top_n", help=t("builder_top_n_help", L)) or 0)
        if len(rankable) > 1 and top_n:
            if state.get(K["b_top_col"]) not in rankable:
                state[K["b_top_col"]] = rankable[0]
            top_col = c_col.selectbox(t("builder_top_column", L), rankable, key=K["b_top_col"],
                                      format_func=lambda c: column_label(c, L))
    chart_type = st.radio(t("builder_chart", L), list(reports.CHART_TYPES), horizontal=True,
                          key=K["b_chart"], format_func=lambda c: t(CHART_LABELS[c], L))

st.markdown(f"**{t('builder_filters', L)}**")
filters: list[reports.Filter] = []
for fid in list(filter_ids()):
    with st.container(border=True):
        made = filter_row(fid)
        if made is not None:
            filters.append(made)
st.button(t("filter_add", L), key="b_filter_add", on_click=add_filter,
          icon=":material/add:")


if not measures:
    st.info(t("builder_pick_measure", L))
else:
    defn = reports.ReportDefinition(
        name=state.get("b_name") or "raport", mart=mart, measures=measures,
        breakdowns=breakdowns, filters=filters, chart=chart_type, grains=grains,
        top_n=top_n or None, top_column=top_col)
    if report_view.show_report(defn, columns, L, "b") is None:
        st.stop()
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.text_input(t("builder_name", L), key="b_name")
    c2.button(t("builder_save", L), key="b_save", on_click=life_cycle, args=(save, defn))

st.divider()
st.subheader(t("builder_sql", L))


def refusal(exc: Exception) -> None:
    """A refusal in the page's language; DuckDB's own message apart, labelled as such."""
    key = SQL_MESSAGES.get(getattr(exc, "key", None) or "")
    params = dict(getattr(exc, "params", {}))
    database_text = params.pop("error", None)
    params = {k: fmt_number(v, L) if isinstance(v, (int, float)) else v
              for k, v in params.items()}
    st.error(t(key, L, **params) if key else t("sql_error", L))
    if database_text:
        st.caption(t("sql_database_message", L))
        st.code(database_text, language=None, wrap_lines=True)


def mart_browser() -> None:
    """The marts and their columns: type, the reader's name and dbt's description."""
    docs = marts_docs(str(manifest_path(warehouse_path())))
    with st.expander(t("sql_browser", L)):
        st.caption(t("sql_browser_note", L))
        chosen = st.selectbox(t("builder_mart", L), marts, key=lkey("b_sql_browse"),
                              format_func=lambda m: f"{mart_label(m, L)} (marts.{m})")
        description, column_docs = docs.get(chosen, ("", {}))
        if description:
            st.markdown(md_text(description))
        st.dataframe(pl.DataFrame({
            t("sql_col_name", L): list(schema[chosen]),
            t("sql_col_type", L): list(schema[chosen].values()),
            t("sql_col_label", L): [column_label(c, L) for c in schema[chosen]],
            t("sql_col_description", L): [column_docs.get(c, "") for c in schema[chosen]],
        }), hide_index=True, width="stretch")


def full_export(sql_text: str) -> None:
    """The whole result written to a file on the server (within the limits), then offered."""
    out = Path(tempfile.gettempdir()) / f"cityops-sql-{uuid.uuid4().hex}.csv"
    try:
        n = export_query(build_file(), sql_text, out, lang=L, about=ExportAbout(
            title=t("sql_export_title", L), as_of=as_of_text(L),
            filters=((t("sql_query", L), " ".join(sql_text.split())),)))
    except QueryRefused as exc:
        state["b_sql_export"] = None
        refusal(exc)
        return
    try:
        state["b_sql_export"] = (out.read_bytes(), n)
    finally:
        out.unlink(missing_ok=True)


mart_browser()
sql = st.text_area("SQL", value="select * from marts.director_kpis limit 20", key="b_sql",
                   label_visibility="collapsed")
if st.button(t("builder_sql_run", L), key="b_sql_run"):
    state["b_sql_export"] = None
    try:  # kept for the session's reruns (the result is at most the limits)
        state["b_sql_answer"] = (sql, run_query(build_file(), sql))
    except QueryRefused as exc:
        state["b_sql_answer"] = (sql, exc)
ran, answer = state.get("b_sql_answer") or (None, None)
if ran is not None:
    if isinstance(answer, QueryRefused):
        refusal(answer)
    else:
        if answer.truncated:
            total = (fmt_number(answer.total_rows, L) if answer.total_rows is not None
                     else t("sql_more_rows", L, n=fmt_number(answer.frame.height, L)))
            st.warning(t("sql_cut", L, shown=fmt_number(answer.frame.height, L),
                         total=total))
            table(answer.frame, "zapytanie_sql", "b_sql_table", L, download=False)
            limits = t("sql_export_limits", L, megabytes=fmt_number(EXPORT_BYTES / 1e6, L),
                       seconds=fmt_number(EXPORT_SECONDS, L))
            if st.button(t("sql_export_full", L), key="b_sql_export_btn", help=limits,
                         icon=":material/download:"):
                with st.spinner(t("sql_exporting", L)):
                    full_export(ran)
            st.caption(limits)
            prepared = state.get("b_sql_export")
            if prepared:
                data, n = prepared
                st.download_button(
                    t("sql_export_download", L, rows=rows_caption(n, L),
                      megabytes=fmt_number(round(len(data) / 1e6, 1), L)),
                    data=data, file_name="zapytanie_sql_calosc.csv", mime="text/csv",
                    key="b_sql_export_file", on_click="ignore")
        else:
            table(answer.frame, "zapytanie_sql", "b_sql_table", L)
