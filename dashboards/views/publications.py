"""Publikacje / Publications (KPUM, MPI, BIP)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards.components import (
    About,
    as_of_text,
    chart,
    empty_state,
    month_axis,
    period_selector,
    px_colours,
    style_figure,
    table,
)
from dashboards.formats import fmt_period
from dashboards.i18n import column_label, drop_other_languages, t
from dashboards.queries import publications
from dashboards.queries.common import newest_month
from dashboards.state import lang, q
from warehouse.export import ExportAbout

L = lang()
st.title(t("page_publications", L))
st.caption(t("pub_note", L))

months = q(publications.publication_months)
if not months:
    empty_state("publications", L)
else:
    first, last = period_selector(months, L, key="pub_period",
                                  until=q(newest_month, publications.SOURCES))
    period = fmt_period(first, last, L)
    by_portal = q(publications.by_portal_month, first, last)
    colours = px_colours("portal", "portal", {p: p for p in by_portal["portal"].unique()}, L,
                         symbols=True)
    fig = px.line(by_portal, x="month_start", y="within_1wd_pct", color="portal", markers=True,
                  labels={"within_1wd_pct": column_label("within_1wd_pct", L)}
                  | colours.pop("labels"), **colours)
    fig.update_yaxes(ticksuffix=" %")
    chart(month_axis(style_figure(fig, t("pub_by_portal", L, period=period), L), L), "pub_portal",
          L, About(kpi="publications_within_1wd_pct"))
    table(by_portal, f"publications_by_portal_{first}_{last}", "pub_portal_table", L,
          about=ExportAbout(title=t("pub_by_portal", L, period=period), period=period))
    by_unit = drop_other_languages(q(publications.by_unit, first, last), "owner_unit_name", L)
    table(by_unit, f"publications_by_unit_{first}_{last}", "pub_unit_table", L,
          caption=t("pub_by_unit", L, period=period), about=ExportAbout(period=period))

awaiting = q(publications.awaiting_publication)
if not awaiting.is_empty():
    st.metric(t("pub_awaiting", L, as_of=as_of_text(L)),
              int(awaiting["awaiting_publication"].sum()))
    table(awaiting, "publications_awaiting", "pub_awaiting_table", L)

st.divider()
stale = drop_other_languages(q(publications.stale_cards), "responsible_unit_name", L)
title = t("pub_stale", L, as_of=as_of_text(L))
st.metric(title, len(stale))
table(stale, "stale_service_cards", "pub_stale_table", L)
