"""A report builder definition shown as the reader sees it: its chart and its table.

The builder (``views/builder.py``) and the personal page of pinned reports
(``views/my_reports.py``) both run a :class:`dashboards.reports.ReportDefinition` through
:func:`show_report`: the rows from the marts-only sandbox (cached per build), breakdowns
as the reader's text (months "10.2026", quarters, ISO weeks, words for codes, "brak" for
empty values, "pozostałe" for top N's rest), every measure charted — measures in two units
get a second y axis, more than two units a chart per unit (the unit is read from the
column name: ``_pct``, ``_seconds``, ``_minutes``, ``days``, ``_pln``; counts and the rest
are numbers) — and the table with its downloads.
"""

from __future__ import annotations

import json
from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from babel.dates import format_date
from plotly.subplots import make_subplots

from dashboards import reports
from dashboards.components import UNIT_AXES, About, chart, style_figure, table
from dashboards.formats import fmt_date, fmt_month, fmt_number, fmt_period
from dashboards.i18n import N_, column_label, locale, t, value_label
from dashboards.marts import mart_label
from dashboards.state import q
from warehouse.export import ExportAbout

ROWS = "*"
AGG_LABELS = {"sum": N_("agg_sum"), "avg": N_("agg_avg"), "min": N_("agg_min"),
              "max": N_("agg_max"), "count": N_("agg_count"), "median": N_("agg_median")}
OP_LABELS = {"in": N_("op_in"), "not_in": N_("op_not_in"), "between": N_("op_between"),
             "period": N_("op_period"), "is_empty": N_("op_is_empty"),
             "is_not_empty": N_("op_is_not_empty")}
PERIOD_LABELS = {"last_month": N_("period_last_month"),
                 "last_quarter": N_("period_last_quarter"),
                 "last_12_months": N_("period_last_12_months"),
                 "year_to_date": N_("period_year_to_date")}


def measure_name(col: str, lang: str) -> str:
    return t("row_count", lang) if col == ROWS else column_label(col, lang)


def measure_title(col: str, agg: str, lang: str) -> str:
    return t("row_count", lang) if col == ROWS \
        else f"{t(AGG_LABELS[agg], lang)}: {column_label(col, lang)}"


def measure_unit(col: str, agg: str) -> str:
    """The unit a measure is in, from its column's name (see the module docstring)."""
    if col == ROWS or agg == "count":
        return "n"
    words = col.split("_")
    for word, unit in (("pct", "%"), ("seconds", "s"), ("minutes", "min"), ("days", "days"),
                       ("pln", "PLN")):
        if word in words:
            return unit
    return "n"


def value_text(column: str, value: object, columns: dict[str, str], lang: str) -> str:
    """A value as the reader sees it: a month "10.2026", a word for a code, "brak"."""
    if value is None or value == "":
        return t("value_empty", lang)
    dtype = columns.get(column, "")
    if reports.is_date(dtype) and isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, date):
        return fmt_month(value, lang) if column == "month_start" or column.endswith("_month") \
            else fmt_date(value, lang)
    if dtype.upper() == "BOOLEAN" or isinstance(value, bool):
        return t("yes", lang) if str(value).lower() == "true" else t("no", lang)
    return str(value_label(column, value, lang))


def filter_text(f: reports.Filter, columns: dict[str, str], lang: str) -> str:
    """A filter as the reader set it: "jest jedną z: wysoki, brak", "od – do: 01.2026 –
    06.2026", "okres względny: ostatni pełny kwartał, rok wcześniej (ten sam okres)"."""
    op = t(OP_LABELS.get(f.op, f.op), lang)
    if f.op in ("is_empty", "is_not_empty"):
        return op
    if f.op == "period":
        text = t(PERIOD_LABELS.get(f.values[0], f.values[0]), lang) if f.values else ""
        if reports.YEAR_AGO in f.values[1:]:
            text += f", {t('filter_year_ago', lang)}"
        return f"{op}: {text}"
    if f.op == "between":  # an open end is "…"
        return f"{op}: " + " – ".join(value_text(f.column, v, columns, lang) if v else "…"
                                      for v in f.values)
    return f"{op}: " + ", ".join(value_text(f.column, v, columns, lang) for v in f.values)


def report_about(defn: reports.ReportDefinition, columns: dict[str, str], title: str,
                 period: str, lang: str) -> ExportAbout:
    """What an export of the report holds: its title (measures, breakdowns, mart), the
    period its relative filter resolved to, every filter as set, the source mart."""
    return ExportAbout(title=title, period=period, source=f"marts.{defn.mart}",
                       filters=tuple((column_label(f.column, lang),
                                      filter_text(f, columns, lang)) for f in defn.filters))


def grain_text(grain: str, value: date | None, lang: str) -> str:
    if value is None:
        return t("value_empty", lang)
    if grain == "week":
        year, week, _ = value.isocalendar()
        return t("week_label", lang, week=week, year=year)
    if grain == "quarter":
        return format_date(value, locale(lang).datetime_skeletons["yQQQ"].pattern,
                           locale=locale(lang))
    if grain == "year":
        return str(value.year)
    return fmt_month(value, lang)


def labelled(result: pl.DataFrame, defn: reports.ReportDefinition, columns: dict[str, str],
             lang: str) -> pl.DataFrame:
    """The result with every breakdown as the reader's text (grains, words, "brak")."""
    other = t("value_other", lang)
    exprs = []
    for b in defn.breakdowns:
        if b in defn.grains:
            fmt = (lambda g: lambda v: grain_text(g, v, lang))(defn.grains[b])
        else:
            fmt = (lambda c: lambda v: other if v == other
                   else value_text(c, v, columns, lang))(b)
        exprs.append(pl.col(b).map_elements(fmt, return_dtype=pl.String, skip_nulls=False)
                     .alias(b))
    return result.with_columns(exprs) if exprs else result


def draw(shown: pl.DataFrame, defn: reports.ReportDefinition, labels: dict[str, str],
         title: str, lang: str, key: str) -> None:
    """Every measure on the chart: one axis per unit (two at most in one chart)."""
    x = defn.breakdowns[0]
    color = defn.breakdowns[1] if len(defn.breakdowns) > 1 else None
    units: dict[str, list[str]] = {}
    for c, a in defn.measures:
        units.setdefault(measure_unit(c, a), []).append(reports.measure_alias(c, a))
    groups = list(units.items())
    figures = [groups] if len(groups) <= 2 else [[g] for g in groups]
    order = list(dict.fromkeys(shown[x].to_list()))
    for n, part in enumerate(figures):
        fig = make_subplots(specs=[[{"secondary_y": len(part) == 2}]])
        trace_no = 0
        for axis, (unit, aliases) in enumerate(part):
            for alias in aliases:
                series = [(None, shown)] if color is None else \
                    [(k, shown.filter(pl.col(color) == k))
                     for k in dict.fromkeys(shown[color].to_list())]
                for value, rows in series:
                    name = labels[alias] if value is None else f"{labels[alias]} — {value}"
                    if defn.chart == "bar":
                        trace = go.Bar(x=rows[x].to_list(), y=rows[alias].to_list(), name=name,
                                       offsetgroup=str(trace_no) if len(part) == 2 else None)
                    else:
                        trace = go.Scatter(x=rows[x].to_list(), y=rows[alias].to_list(),
                                           name=name, mode="lines+markers")
                    fig.add_trace(trace, secondary_y=axis == 1 if len(part) == 2 else None)
                    trace_no += 1
            fig.update_yaxes(title_text=t(UNIT_AXES[unit], lang),
                             secondary_y=axis == 1 if len(part) == 2 else None)
        fig.update_layout(barmode="group", showlegend=True)
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
        chart(style_figure(fig, title, lang), f"{key}_chart_fig_{n}", lang,
              About(counts=N_("about_builder"), mart=defn.mart))


def show_report(defn: reports.ReportDefinition, columns: dict[str, str], lang: str,
                key: str) -> pl.DataFrame | None:
    """Run ``defn`` and show its chart (unless ``none``) and table; its rows, or None after
    showing why it could not run (a message in the page's language)."""
    other = t("value_other", lang)
    try:
        result = q(reports.run_report_json, json.dumps(defn.to_json(), sort_keys=True), other)
    except reports.ReportError as exc:
        st.error(t(exc.key, lang, **exc.params))
        return None
    if reports.report_truncated(result):
        st.warning(t("builder_truncated", lang, n=fmt_number(reports.ROW_LIMIT, lang)))
        result = result.head(reports.ROW_LIMIT)
    labels = {reports.measure_alias(c, a): measure_title(c, a, lang) for c, a in defn.measures}
    shown = labelled(result, defn, columns, lang)
    title = t("builder_title", lang, measures=", ".join(labels.values()),
              breakdowns=", ".join(column_label(b, lang) for b in defn.breakdowns)
              or t("builder_no_breakdown", lang), mart=mart_label(defn.mart, lang))
    period = next((f for f in defn.filters if f.op == "period"), None)
    period_text = ""
    if period is not None and (as_of := q(reports.as_of_date)) is not None:
        first, last = reports.period_range(period.values[0], as_of,
                                           reports.YEAR_AGO in period.values[1:])
        period_text = fmt_period(first, last, lang)
        title += f" ({period_text})"
    if defn.chart != "none" and defn.breakdowns and not result.is_empty():
        draw(shown, defn, labels, title, lang, key)
    table(result, f"raport_{defn.mart}", f"{key}_table", lang, caption=title,
          shown_as=shown.rename(labels),
          about=report_about(defn, columns, title, period_text, lang))
    return result
