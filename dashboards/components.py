"""Shared page parts: period selector, paginated tables with downloads, charts, KPI tiles."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from functools import partial

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.i18n import (
    fmt_change,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_value,
    format_frame,
    t,
)
from dashboards.queries.common import MART_SOURCES, data_as_of
from dashboards.state import lkey
from warehouse.export import frame_to_csv_bytes, frame_to_xlsx_bytes

PAGE_SIZE = 50
GOOD, BAD, NEUTRAL = "#2e7d32", "#c62828", "#1f4e79"
PALETTE = ["#1f4e79", "#e08a00", "#2e7d32", "#8e44ad", "#c62828", "#00838f", "#6d4c41",
           "#546e7a", "#ad1457", "#9e9d24"]
px.defaults.template = "plotly_white"
px.defaults.color_discrete_sequence = PALETTE

WHAT = {  # what is missing, for empty states: mart -> (Polish, English)
    "director_kpis": ("wskaźników dla dyrekcji", "director KPI"),
    "incident_sla": ("o zgłoszeniach IT", "IT ticket"),
    "incident_sla_monthly": ("o zgłoszeniach IT", "IT ticket"),
    "kck_queue_service": ("o połączeniach KCK", "KCK call"),
    "kck_call_topics": ("o tematach połączeń KCK", "KCK call topic"),
    "kck_calls_hourly": ("o połączeniach KCK", "KCK call"),
    "submissions": ("o zgłoszeniach elektronicznych (DK-03)", "electronic submission (DK-03)"),
    "unit_workload": ("o obciążeniu jednostek", "unit workload"),
    "dim_org_units": ("o jednostkach organizacyjnych", "organisational unit"),
    "publications": ("o publikacjach", "publication"),
    "service_card_freshness": ("o kartach usług", "service card"),
    "smart_city_portfolio": ("o projektach Smart City", "Smart City project"),
    "smart_city_milestones": ("o kamieniach milowych Smart City", "Smart City milestone"),
}


def as_of_text(lang: str) -> str:
    """The date of the data (the build's as_of) as shown in titles; never empty."""
    from dashboards.state import q

    return fmt_date(q(data_as_of), lang) or t("as_of_unknown", lang)


def empty_state(mart: str, lang: str) -> None:
    """Say what is missing and how to get it."""
    what = WHAT.get(mart, (mart, mart))[0 if lang == "pl" else 1]
    st.info(t("empty_mart", lang, what=what, files=MART_SOURCES.get(mart, "?")), icon="ℹ️")


def period_selector(months: list[date], lang: str, key: str, default_months: int = 12
                    ) -> tuple[date, date]:
    """A month range slider; the default is the last ``default_months`` months."""
    if len(months) == 1:
        return months[0], months[0]
    first_default = months[max(0, len(months) - default_months)]
    first, last = st.select_slider(
        t("period", lang), options=months, value=(first_default, months[-1]),
        format_func=lambda m: fmt_month(m, lang), key=lkey(key),
    )
    return first, last


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "tabela"


def _csv(fetch: Callable[[], pl.DataFrame], dialect: str) -> bytes:
    return frame_to_csv_bytes(fetch(), dialect)


def _xlsx(fetch: Callable[[], pl.DataFrame]) -> bytes:
    return frame_to_xlsx_bytes(fetch())


def downloads(df: pl.DataFrame | Callable[[], pl.DataFrame], name: str, key: str, lang: str
              ) -> None:
    """Three download buttons for the full table; files are generated on click.

    ``df`` is the table, or a callable that fetches it (for tables shown a page at a time)."""
    fetch = df if callable(df) else (lambda: df)
    row = st.container(horizontal=True, wrap=True, gap="small")
    row.download_button(
        t("download_csv_pl", lang), data=partial(_csv, fetch, "excel-pl"),
        file_name=f"{slug(name)}.csv", mime="text/csv", key=f"{key}_csvpl",
        on_click="ignore", icon=":material/download:",
    )
    row.download_button(
        t("download_csv_std", lang), data=partial(_csv, fetch, "standard"),
        file_name=f"{slug(name)}_standard.csv", mime="text/csv", key=f"{key}_csv",
        on_click="ignore", icon=":material/download:",
    )
    row.download_button(
        t("download_xlsx", lang), data=partial(_xlsx, fetch),
        file_name=f"{slug(name)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", on_click="ignore", icon=":material/download:",
    )


def table(df: pl.DataFrame, name: str, key: str, lang: str, page_size: int = PAGE_SIZE,
          caption: str | None = None, shown_as: pl.DataFrame | None = None) -> None:
    """A formatted table (a page of it when long) with downloads of the whole table.

    ``shown_as``: an already formatted copy to display (same rows) instead of ``df``."""
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
    st.caption(t("rows_total", lang, n=fmt_number(df.height, lang)) +
               (f" · {t('page_n', lang)} {page}/{pages}" if pages > 1 else ""))
    downloads(df, name, key, lang)


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
                page_size: int = PAGE_SIZE) -> None:
    """A long table read one page at a time from the warehouse; downloads fetch it whole."""
    if total == 0:
        st.caption(t("empty_filter", lang))
        return
    pages = max(1, math.ceil(total / page_size))
    page = st.pagination(pages, key=f"{key}_page", max_visible_pages=7) if pages > 1 else 1
    shown = fetch_page((page - 1) * page_size, page_size)
    st.dataframe(format_frame(shown, lang), hide_index=True, width="stretch", placeholder="—",
                 height=min(38 + 35 * shown.height, 38 + 35 * 15))
    st.caption(t("rows_total", lang, n=fmt_number(total, lang)) +
               (f" · {t('page_n', lang)} {page}/{pages}" if pages > 1 else ""))
    downloads(fetch_all, name, key, lang)


def style_figure(fig: go.Figure, title: str, lang: str, height: int = 380, wrap: int = 120
                 ) -> go.Figure:
    """Title (what is counted, over which period), the language's number format, sober look.

    ``wrap``: characters per title line (about 55 for a chart in half the page width)."""
    wrapped = wrap_title(title, wrap)
    fig.update_layout(
        title={"text": wrapped, "font": {"size": 15}},
        separators=", " if lang == "pl" else ".,",  # decimal, thousands
        height=height, margin={"l": 10, "r": 10, "t": 40 + 22 * (wrapped.count("<br>") + 1),
                               "b": 70},
        template="plotly_white", colorway=PALETTE,
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0,
                "x": 0.0, "title": None},
    )
    fig.update_xaxes(title=None)
    return fig


def month_axis(fig: go.Figure, lang: str) -> go.Figure:
    fig.update_xaxes(tickformat="%m.%Y" if lang == "pl" else "%Y-%m", dtick="M1")
    return fig


def chart(fig: go.Figure, key: str) -> None:
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    st.plotly_chart(fig, key=key, width="stretch", config=config)


def kpi_tile(row: dict, lang: str) -> None:
    """Value, target, change against the previous month; green/red by the KPI's direction."""
    name = row["kpi_name_pl"] if lang == "pl" else row["kpi_name_en"]
    unit = row["unit"]
    change = fmt_change(row.get("change"), unit, lang)
    delta = None if change is None else f"{change} {t('vs_prev', lang)}"
    moved = change is not None and change[:1] in "+-"
    better_higher = row["direction"] == "higher_is_better"
    target = "—" if row.get("target") is None else fmt_value(row["target"], unit, lang)
    on_target = row.get("is_on_target")
    with st.container(border=True):
        st.markdown(f"**{name}**", help=t(row["direction"], lang))
        st.metric(name, fmt_value(row["value"], unit, lang), delta=delta,
                  delta_color=("normal" if better_higher else "inverse") if moved else "off",
                  delta_arrow="auto" if moved else "off", label_visibility="collapsed")
        if on_target is None:
            st.caption(f"{t('target', lang)}: {target}")
        else:
            colour = "green" if on_target else "red"
            label = t("on_target" if on_target else "off_target", lang)
            st.markdown(f":{colour}[● {label}] · {t('target', lang)}: {target}")
