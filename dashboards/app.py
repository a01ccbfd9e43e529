"""CityOps dashboards — the entry point (`cityops serve` runs `streamlit run` on this file).

It sets the page, the language switch (kept in the address: ``?lang=en``, see
dashboards/links.py) and the navigation; each page in views/ only lays
out what the query functions in dashboards/queries return. The page files are not in a
folder called ``pages``: Streamlit would then also run its legacy multipage mode, which serves
each file at its own address (``/incidents``) without this script — no sign-in, no language
switch, developer file names in the sidebar.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboards/app.py` puts only dashboards/ first
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards.auth import require_login  # noqa: E402
from dashboards.formats import fmt_date  # noqa: E402
from dashboards.i18n import LANGS, language_name, t  # noqa: E402
from dashboards.links import keep_in_url, language_from_url  # noqa: E402
from dashboards.navigation import PAGES  # noqa: E402
from dashboards.queries.common import data_as_of, mart_tables  # noqa: E402
from dashboards.state import LANG_KEY, build_file, lang, q, warehouse_path  # noqa: E402
from warehouse.store import WarehouseError  # noqa: E402

# a local icon: a Material icon as page_icon makes the browser fetch it from fonts.gstatic.com
# (fails on an offline intranet; tests/test_browser.py checks no request leaves the machine)
st.set_page_config(page_title="CityOps", layout="wide",
                   page_icon=str(ROOT / "dashboards" / "static" / "favicon.png"))
require_login()  # with single sign-on switched on, nothing below runs before login

language_from_url()  # ?lang=en: a reload, a bookmark or a shared link keeps the language
with st.sidebar:
    st.radio(t("language", lang()), options=list(LANGS), key=LANG_KEY, horizontal=True,
             format_func=language_name, on_change=keep_in_url)
L = lang()
keep_in_url()

navigation = st.navigation([
    st.Page(page.file, title=t(page.title_key, L), url_path=page.url_path, icon=page.icon,
            default=(i == 0))
    for i, page in enumerate(PAGES)
])

if build_file() is None:
    st.title(t("app_title", L))
    st.error(t("no_warehouse", L, path=warehouse_path()), icon=":material/database_off:")
    st.stop()
try:
    marts_built = q(mart_tables)
except WarehouseError as exc:  # a corrupt current build: the CLI's message, not a traceback
    st.title(t("app_title", L))
    st.error(t("warehouse_unreadable", L, error=str(exc)), icon=":material/database_off:")
    st.stop()
if not marts_built:
    st.title(t("app_title", L))
    st.error(t("no_marts", L, path=warehouse_path()), icon=":material/database_off:")
    st.stop()

with st.sidebar:
    as_of = q(data_as_of)
    if as_of is not None:
        st.caption(f"{t('data_as_of', L)}: {fmt_date(as_of, L)}")

navigation.run()
