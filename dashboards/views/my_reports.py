"""Moje raporty / My reports: the saved reports the reader pinned, each run and shown.

Pins are kept per signed-in user with single sign-on on, else per browser in the address
(the ``pin`` parameter: :mod:`dashboards.links`); the page says which. Each pinned report
shows its chart and table (:func:`dashboards.report_view.show_report`) and a link that opens
it in the builder; a pin whose report was deleted or no longer runs says so and can be
removed. Nothing pinned: how to pin.
"""

from __future__ import annotations

import streamlit as st

from dashboards import links, report_view, reports
from dashboards.auth import signed_in_user
from dashboards.i18n import t
from dashboards.state import lang, q, warehouse_path

L = lang()
st.title(t("page_my_reports", L))
st.caption(t("pins_kept_per_user", L) if signed_in_user() else t("pins_kept_in_url", L))
BUILDER = links.page_of("builder")
names = links.pins()
if not names:
    st.info(t("pins_empty", L, builder=t(BUILDER.title_key, L)), icon=":material/push_pin:")
    st.page_link(BUILDER.file, label=t(BUILDER.title_key, L), icon=BUILDER.icon,
                 query_params={links.LANG_PARAM: L})
    st.stop()

directory = reports.reports_dir(warehouse_path())
schema = q(reports.mart_schema)


def unpin(name: str) -> None:
    links.set_pins([n for n in links.pins() if n != name])


for i, name in enumerate(names):
    with st.container(border=True):
        c_name, c_open, c_unpin = st.columns([6, 2, 1], vertical_alignment="center")
        c_name.subheader(name)
        c_unpin.button(t("saved_unpin", L), key=f"pin{i}_unpin", on_click=unpin, args=(name,),
                       icon=":material/push_pin:")
        try:
            defn = reports.load_report(directory, name)
        except reports.ReportError as exc:
            st.warning(t(exc.key, L, **exc.params))
            continue
        if defn.mart not in schema:
            st.error(t("report_unknown_mart", L, mart=defn.mart))
            continue
        c_open.page_link(BUILDER.file, label=t("pins_open", L), icon=":material/open_in_new:",
                         query_params={links.REPORT_PARAM: name, links.LANG_PARAM: L})
        report_view.show_report(defn, schema[defn.mart], L, f"pin{i}")
