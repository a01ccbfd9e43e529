"""Shared page parts: period selector, paginated tables with downloads, charts, KPI tiles."""

from __future__ import annotations

import html
import math
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.formats import (
    d3_date_format,
    fmt_change,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_value,
    format_frame,
    plotly_separators,
)
from dashboards.i18n import DEFAULT_LANG, N_, column_label, localized, t, tn, value_label
from dashboards.marts import empty_message
from dashboards.queries.common import data_as_of, kpi_definitions
from dashboards.state import lkey, q, warehouse_path
from dashboards.verdicts import judged_value, kpi_definition, verdict
from warehouse.export import ExportAbout, frame_to_csv_bytes, frame_to_xlsx_bytes

PAGE_SIZE = 50
# every colour a chart draws has at least 4.5:1 contrast on the white page (WCAG 2.1 AA for
# text, so it may also colour a label; 3:1 would do for a bar or a line, 1.4.11)
PALETTE = ["#1f4e79", "#b45309", "#2e7d32", "#7b1fa2", "#c62828", "#00838f", "#6d4c41",
           "#546e7a", "#ad1457", "#827717"]
px.defaults.template = "plotly_white"
px.defaults.color_discrete_sequence = PALETTE

# ---------------------------------------------------------------- one colour per category

# The one mapping of the app's categories to colours: P1 is the same red, a queue the same
# colour, on every chart of every page. Each category also has a marker symbol (lines) and
# a bar pattern, and its legend entry names it, so colour is never the only carrier of
# meaning (WCAG 2.1 1.4.1). A value the mapping does not know (a queue named in a new
# extract) gets a colour of the palette chosen by its name, the same on every chart.
COLOURS: dict[str, dict[str, str]] = {
    "priority": {"1": "#b71c1c", "2": "#b45309", "3": "#1f4e79", "4": "#00838f"},
    "rag": {"red": "#c62828", "amber": "#b45309", "green": "#2e7d32", "completed": "#546e7a",
            "cancelled": "#757575"},
    "queue": {"KCK_INFOLINIA": "#1f4e79", "KCK_PODATKI": "#b45309",
              "KCK_ZGLOSZENIA": "#2e7d32", "KCK_WYBORY": "#7b1fa2", "KCK_ANKIETY": "#00838f"},
    "topic_group": {"information": "#1f4e79", "city_services": "#2e7d32",
                    "taxes_fees": "#b45309", "infrastructure": "#6d4c41",
                    "environment": "#33691e", "events": "#ad1457", "elections": "#7b1fa2",
                    "participation": "#0277bd", "survey": "#00838f", "other": "#757575"},
    "portal": {"KPUM": "#1f4e79", "MPI": "#ad1457", "BIP": "#00695c"},
}
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon",
           "triangle-down", "pentagon")
PATTERNS = ("", "/", "x", ".", "\\", "-", "|", "+")
# the few categories whose shape says something of its own: a red project's bars are crossed
PATTERN_OF = {"rag": {"red": "x", "amber": "/", "green": "", "completed": ".",
                      "cancelled": "-"}}
# a chart's legend title for each kind (what its entries are)
LEGEND_TITLES: dict[str, Callable[[str], str]] = {
    "priority": lambda lang: t("priority", lang), "rag": lambda lang: t("legend_rag", lang),
    "queue": lambda lang: column_label("queue", lang),
    "topic_group": lambda lang: column_label("topic_group", lang),
    "portal": lambda lang: column_label("portal", lang)}


def _position(kind: str, value: object) -> int:
    """The category's place in its kind: the mapping's order, else one chosen by its name
    (crc32: the same in every process, unlike hash())."""
    known = list(COLOURS[kind])
    key = str(value)
    return known.index(key) if key in known else len(known) + zlib.crc32(key.encode())


def colour(kind: str, value: object) -> str:
    """The colour of ``value`` (a priority, RAG state, queue, topic group, portal)."""
    key = str(value)
    return COLOURS[kind].get(key) or PALETTE[_position(kind, key) % len(PALETTE)]


def symbol(kind: str, value: object) -> str:
    """The marker symbol of ``value`` on line charts."""
    return SYMBOLS[_position(kind, value) % len(SYMBOLS)]


def pattern(kind: str, value: object) -> str:
    """The bar pattern of ``value``."""
    key = str(value)
    own = PATTERN_OF.get(kind, {})
    return own[key] if key in own else PATTERNS[_position(kind, key) % len(PATTERNS)]


def ordered(kind: str, values: Iterable[object]) -> list:
    """``values`` in their kind's order (P1 first, red before amber), unknown ones by name."""
    return sorted(dict.fromkeys(values), key=lambda v: (_position(kind, v) >= len(COLOURS[kind]),
                                                         _position(kind, v), str(v)))


def priority_label(priority: object) -> str:
    """A priority as its legend entry and bar label: ``P1``."""
    return f"P{priority}"


def line_style(kind: str, value: object) -> dict:
    """``add_scatter`` arguments drawing ``value``'s series in its colour and symbol."""
    c = colour(kind, value)
    return {"line": {"color": c}, "marker": {"color": c, "symbol": symbol(kind, value),
                                             "size": 8}}


def bar_style(kind: str, value: object) -> dict:
    """``add_bar`` marker drawing ``value``'s bars in its colour and pattern."""
    return {"color": colour(kind, value),
            "pattern": {"shape": pattern(kind, value), "fgcolor": "#ffffff", "solidity": 0.35}}


def px_colours(kind: str, column: str, labels: Mapping[object, str], lang: str,
               patterns: bool = False, symbols: bool = False) -> dict:
    """plotly express arguments colouring ``column`` (holding the labels of ``labels``:
    value → the label shown) by the one mapping: ``color_discrete_map``, the legend in the
    kind's order, its title (``labels``), and a pattern (bars) or symbol (lines) per value
    when asked — pass them as ``px.bar(…, color=column, **px_colours(…))``."""
    order = ordered(kind, labels)
    out: dict = {"color_discrete_map": {labels[v]: colour(kind, v) for v in order},
                 "category_orders": {column: [labels[v] for v in order]},
                 "labels": {column: LEGEND_TITLES[kind](lang)}}
    if patterns:
        out |= {"pattern_shape": column,
                "pattern_shape_map": {labels[v]: pattern(kind, v) for v in order}}
    if symbols:
        out |= {"symbol": column, "symbol_map": {labels[v]: symbol(kind, v) for v in order}}
    return out

def as_of_text(lang: str) -> str:
    """The date of the data (the build's as_of) as shown in titles; never empty."""
    from dashboards.state import q

    return fmt_date(q(data_as_of), lang) or t("as_of_unknown", lang)


def empty_state(mart: str, lang: str) -> None:
    """Say what is missing and which files to load (the served build's lineage)."""
    st.info(empty_message(mart, lang, warehouse_path()), icon="ℹ️")


def period_selector(months: list[date], lang: str, key: str, until: date | None = None,
                    default_months: int = 12) -> tuple[date, date]:
    """A month range slider over ``months``; the default is the ``default_months``
    calendar months up to ``until`` (the newest month of the page's own sources,
    queries.common.newest_month), or up to the last month when that is not given — calendar
    months, not list entries: a source with gaps does not stretch the default over years."""
    if len(months) == 1:
        return months[0], months[0]
    first, last = st.select_slider(
        t("period", lang), options=months, value=default_period(months, until, default_months),
        format_func=lambda m: fmt_month(m, lang), key=lkey(key),
    )
    return first, last


def default_period(months: list[date], until: date | None, default_months: int
                   ) -> tuple[date, date]:
    """The months of ``months`` (sorted) in the ``default_months`` calendar months up to
    ``until`` (or the last month): the first and the last of them."""
    end = max(0, sum(1 for m in months if until is None or m <= until) - 1)
    back = months[end].year * 12 + months[end].month - default_months
    return next(m for m in months if m.year * 12 + m.month > back), months[end]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "tabela"


def _csv(fetch: Callable[[], pl.DataFrame], dialect: str, lang: str = DEFAULT_LANG,
         about: ExportAbout | None = None) -> bytes:
    return frame_to_csv_bytes(fetch(), dialect, lang, about)


def _xlsx(fetch: Callable[[], pl.DataFrame], lang: str = DEFAULT_LANG,
          about: ExportAbout | None = None) -> bytes:
    return frame_to_xlsx_bytes(fetch(), lang=lang, about=about)


def downloads(df: pl.DataFrame | Callable[[], pl.DataFrame], name: str, key: str, lang: str,
              about: ExportAbout | None = None) -> None:
    """Three download buttons for the full table; files are generated on click.

    ``df`` is the table, or a callable that fetches it (for tables shown a page at a time).
    ``about``: what the table holds (title, period, filters, source mart) — the files say
    it with the data's as-of (the excel-pl CSV's ``#`` block, the XLSX's second sheet;
    warehouse/export.py)."""
    fetch = df if callable(df) else (lambda: df)
    about = replace(about or ExportAbout(), as_of=as_of_text(lang))
    row = st.container(horizontal=True, wrap=True, gap="small")
    row.download_button(
        t("download_csv_pl", lang), data=partial(_csv, fetch, "excel-pl", lang, about),
        file_name=f"{slug(name)}.csv", mime="text/csv", key=f"{key}_csvpl",
        on_click="ignore", icon=":material/download:",
    )
    row.download_button(
        t("download_csv_std", lang), data=partial(_csv, fetch, "standard"),
        file_name=f"{slug(name)}_standard.csv", mime="text/csv", key=f"{key}_csv",
        on_click="ignore", icon=":material/download:",
    )
    row.download_button(
        t("download_xlsx", lang), data=partial(_xlsx, fetch, lang, about),
        file_name=f"{slug(name)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", on_click="ignore", icon=":material/download:",
    )


def table(df: pl.DataFrame, name: str, key: str, lang: str, page_size: int = PAGE_SIZE,
          caption: str | None = None, shown_as: pl.DataFrame | None = None,
          download: bool = True, about: ExportAbout | None = None) -> None:
    """A formatted table (a page of it when long) with downloads of the whole table.

    ``shown_as``: an already formatted copy to display (same rows) instead of ``df``;
    ``download=False`` for a table that is not the whole result (the SQL box's cut one
    offers the full result its own way); ``about``: what it holds, for the downloads (the
    caption is its title unless it has one)."""
    if caption:
        st.markdown(f"**{caption}**")
    if df.is_empty():
        st.caption(t("empty_filter", lang))
        return
    pages = max(1, math.ceil(df.height / page_size))
    page = 1
    if pages > 1:
        page = st.pagination(pages, key=f"{key}_page", max_visible_pages=7)
    shown = (df if shown_as is None else shown_as).slice((page - 1) * page_size, page_size)
    st.dataframe(format_frame(shown, lang), hide_index=True, width="stretch", placeholder="—",
                 height=min(38 + 35 * shown.height, 38 + 35 * 15))
    st.caption(rows_caption(df.height, lang) +
               (f" · {t('page_n', lang)} {page}/{pages}" if pages > 1 else ""))
    if download:
        about = about or ExportAbout()
        downloads(df, name, key, lang, about if about.title or not caption
                  else replace(about, title=caption))


def rows_caption(n: int, lang: str) -> str:
    """``1 wiersz``, ``2 wiersze``, ``5 wierszy``: the row count under a table."""
    return tn("rows_total", n, lang, n=fmt_number(n, lang))


def wrap_title(title: str, width: int) -> str:
    """Break a long chart title at commas or spaces (plotly does not wrap titles)."""
    lines: list[str] = []
    line = ""
    for word in title.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines)


def paged_table(total: int, fetch_page: Callable[[int, int], pl.DataFrame],
                fetch_all: Callable[[], pl.DataFrame], name: str, key: str, lang: str,
                page_size: int = PAGE_SIZE, about: ExportAbout | None = None) -> None:
    """A long table read one page at a time from the warehouse; downloads fetch it whole."""
    if total == 0:
        st.caption(t("empty_filter", lang))
        return
    pages = max(1, math.ceil(total / page_size))
    page = st.pagination(pages, key=f"{key}_page", max_visible_pages=7) if pages > 1 else 1
    shown = fetch_page((page - 1) * page_size, page_size)
    st.dataframe(format_frame(shown, lang), hide_index=True, width="stretch", placeholder="—",
                 height=min(38 + 35 * shown.height, 38 + 35 * 15))
    st.caption(rows_caption(total, lang) +
               (f" · {t('page_n', lang)} {page}/{pages}" if pages > 1 else ""))
    downloads(fetch_all, name, key, lang, about)


def style_figure(fig: go.Figure, title: str, lang: str, height: int = 380, wrap: int = 120,
                 legend: str | None = None) -> go.Figure:
    """Title (what is counted, over which period), the language's number format, sober look.

    ``wrap``: characters per title line (about 55 for a chart in half the page width);
    ``legend``: the legend's title (what its entries are: "Priorytet"), else the one plotly
    express gave it (the colour column's label), never a bare list of values. Numbers in
    the language's symbols in ticks and hover (``1 234,5``, never ``1.2k``); bars from zero;
    the horizontal axis untitled unless it carries the values (horizontal bars)."""
    wrapped = wrap_title(html.escape(title, quote=False), wrap)
    legend_title = legend if legend is not None else fig.layout.legend.title.text
    fig.update_layout(
        title={"text": wrapped, "font": {"size": 15}},
        separators=plotly_separators(lang),  # the locale's decimal and thousands symbols
        height=height, margin={"l": 10, "r": 10, "t": 40 + 22 * (wrapped.count("<br>") + 1),
                               "b": 70},
        template="plotly_white", colorway=PALETTE,
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0,
                "x": 0.0, "title": {"text": f"{legend_title}:" if legend_title else None}},
    )
    # no SI suffixes ("15k"), the thousands grouped with the locale's separator
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    fig.update_yaxes(exponentformat="none", separatethousands=True)
    bars = [tr for tr in fig.data if tr.type == "bar"]
    horizontal = any(tr.orientation == "h" for tr in bars)
    if bars:
        (fig.update_xaxes if horizontal else fig.update_yaxes)(rangemode="tozero")
    if not horizontal:
        fig.update_xaxes(title=None)
    return fig


def month_axis(fig: go.Figure, lang: str) -> go.Figure:
    fig.update_xaxes(tickformat=d3_date_format(lang, month=True), dtick="M1")
    return fig


# the units a value axis can be in (a KPI's registry unit, a builder measure's) in words
UNIT_AXES = {"%": N_("unit_pct"), "s": N_("unit_seconds"), "min": N_("unit_minutes"),
             "days": N_("unit_days"), "PLN": N_("unit_pln"), "n": N_("unit_number"),
             "count": N_("unit_number")}


def unit_axis(unit: str, lang: str) -> dict:
    """The value axis of a quantity in ``unit``: its title in words, percents ticked " %"."""
    return {"title": t(UNIT_AXES.get(unit, "unit_number"), lang),
            **({"ticksuffix": " %"} if unit == "%" else {})}


# the trace attributes that carry data values plotly draws as (HTML-subset) text: category
# axes and hover (x, y, …), bar texts, pie labels, hover data (customdata), legend entries
_TEXT_ATTRS = ("x", "y", "z", "text", "hovertext", "labels", "customdata", "name",
               "legendgroup", "parents", "ids")


def plain_text(value: object) -> object:
    """Source text as plotly should draw it: ``<``, ``>`` and ``&`` escaped, so a project
    named ``<a href="…">`` shows those characters instead of becoming a live link (plotly
    renders a subset of HTML in every text and decodes the entities back)."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return np.vectorize(plain_text, otypes=[object])(value) if value.size else value
    if isinstance(value, (list, tuple)):
        return type(value)(plain_text(v) for v in value)
    return value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def md_text(value: str) -> str:
    """Source text put into Streamlit markdown (a label, a tile's title) as plain text:
    every markdown character escaped, so ``[klik](http://…)`` or ``<a href>`` stays text
    (Streamlit escapes raw HTML itself, but renders markdown links and emphasis)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def escape_figure(fig: go.Figure) -> go.Figure:
    """Every data value and legend name of ``fig``'s traces as :func:`plain_text`.

    Titles, axis titles and hover templates are the dashboards' own (catalogue messages,
    with the ``<br>`` of :func:`wrap_title`); every chart goes through :func:`chart`,
    which calls this, so no page can forget it."""
    for trace in fig.data:
        for attr in _TEXT_ATTRS:
            value = getattr(trace, attr, None) if attr in trace else None
            if value is not None:
                escaped = plain_text(value)
                if escaped is not value:
                    trace[attr] = escaped
    for axis in ("xaxis", "yaxis"):  # category orders name the same values
        layout_axis = fig.layout[axis] if axis in fig.layout else None
        if layout_axis is not None and layout_axis.categoryarray is not None:
            layout_axis.categoryarray = plain_text(layout_axis.categoryarray)
    return fig


@dataclass(frozen=True)
class About:
    """What a chart shows, opened under it: a director KPI of the registry (``kpi``: its
    definition, formula, period basis, source, owner unit, target and its origin), or
    ``counts`` (a message key saying what the chart counts) and the ``mart`` it reads."""

    kpi: str | None = None
    counts: str | None = None
    mart: str | None = None

    def __post_init__(self) -> None:
        if (self.kpi is None) == (self.counts is None) or (self.counts and not self.mart):
            raise ValueError(f"About: a kpi, or what it counts and its mart: {self}")


def about_lines(about: About, lang: str) -> list[str]:
    """The definition of a chart, line by line (the first is its title)."""
    if about.kpi is not None:
        rows = q(kpi_definitions).filter(pl.col("kpi_code") == about.kpi).to_dicts()
        if not rows:  # the registry holds no definition in force yet
            return [about.kpi, t("def_missing", lang)]
        return [localized(rows[0], "kpi_name", lang), *kpi_definition(rows[0], lang)]
    return [t(about.counts, lang), t("def_source", lang, mart=f"marts.{about.mart}")]


def chart(fig: go.Figure, key: str, lang: str, about: About) -> None:
    """The chart, and under it its definition (what it counts, where from) to open."""
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    st.plotly_chart(escape_figure(fig), key=key, width="stretch", config=config)
    title, *rest = about_lines(about, lang)
    with st.expander(t("chart_definition", lang)):
        st.markdown(f"**{md_text(title)}**\n\n" + "\n\n".join(md_text(r) for r in rest))


# what a tile's change is against: (the change, its noise verdict, the words after it)
COMPARISONS = {"previous_month": ("change", "is_change_notable", N_("vs_prev")),
               "year_ago": ("change_year_ago", "is_change_year_ago_notable",
                            N_("vs_year_ago"))}


def kpi_tile(row: dict, lang: str, breakdowns: list[dict] | None = None,
             compare: str = "previous_month") -> None:
    """Value, target, change against the previous month (``compare``: or the same month a
    year before); the verdict as colour, shape and
    words (green on target, orange within the warning band, red beyond it), taken on the
    unrounded value and shown with the precision that decides it; below it the breakdowns
    with targets of their own (the priorities), each with its verdict. The change is
    coloured only when it is more than noise (director_kpis.is_change_notable). The "?"
    gives the KPI's definition, direction and where its target comes from."""
    name = localized(row, "kpi_name", lang)
    unit = row["unit"]
    change_column, notable_column, against = COMPARISONS[compare]
    change = fmt_change(row.get(change_column), unit, lang)
    delta = None if change is None else f"{change} {t(against, lang)}"
    moved = change is not None and change[:1] in "+-"
    coloured = moved and bool(row.get(notable_column))
    better_higher = row["direction"] == "higher_is_better"
    target = "—" if row.get("target") is None else fmt_value(row["target"], unit, lang)
    status = row.get("target_status")
    definition = localized(row, "definition", lang) if "definition_pl" in row else None
    help_parts = [p for p in (definition, value_label("direction", row["direction"], lang))
                  if p]
    if row.get("target_origin_pl"):
        assumed = f" ({t('target_is_assumption', lang)})" if row.get("target_is_assumption") \
            else ""
        help_parts.append(t("target_origin", lang, origin=localized(row, "target_origin", lang),
                            set_by=localized(row, "target_set_by", lang) or "—") + assumed)
    if moved:
        help_parts.append(t("change_noise_rule", lang))
    with st.container(border=True):
        st.markdown(f"**{md_text(name)}**", help="\n\n".join(help_parts))
        st.metric(name, judged_value(row["value"], row.get("target"), unit, lang), delta=delta,
                  delta_color=("normal" if better_higher else "inverse") if coloured else "off",
                  delta_arrow="auto" if moved else "off", label_visibility="collapsed")
        if status is None:
            st.caption(f"{t('target', lang)}: {target}")
        else:
            st.markdown(f"{verdict(status, lang)} · {t('target', lang)}: {target}")
        for part in breakdowns or []:
            if part.get("target_status") is None:
                continue
            shown = judged_value(part["value"], part["target"], unit, lang)
            st.markdown(f"P{part['priority']}: {shown} {verdict(part['target_status'], lang)} "
                        f"· {t('target', lang)}: {fmt_value(part['target'], unit, lang)}")
