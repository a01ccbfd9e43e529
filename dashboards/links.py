"""What the address bar carries: the language, a shared report, the pins kept per browser.

- ``lang`` (``?lang=en`` / ``?lang=pl``) is read at the start of every run, on every page,
  and written back when the reader switches the language, so a reload or a bookmark keeps
  it. Streamlit clears a page's query parameters when the reader moves to another page in
  the navigation; the session still knows them, and :func:`keep_in_url` writes them back
  on the next run.
- ``report`` (the builder, ``views/builder.py``): the saved report to open and run. A
  shared link is the builder's address with ``report`` and ``lang``
  (:func:`share_url`); nothing else of the session (no pins) goes into it.
- ``pin`` (repeated, one per report): with single sign-on off, the pins of the personal
  page live here, in the address of every page — no cookie, no browser storage (Streamlit
  offers neither without custom JavaScript); bookmarking a page keeps them, in that browser.
  With single sign-on on, pins are the signed-in user's, in ``pins.json`` beside the
  reports (:func:`dashboards.reports.load_pins`), and no ``pin`` parameter is written.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from dashboards import reports
from dashboards.auth import signed_in_user
from dashboards.i18n import LANGS
from dashboards.navigation import PAGES, Page
from dashboards.state import LANG_KEY, lang, warehouse_path

LANG_PARAM = "lang"
REPORT_PARAM = "report"
PIN_PARAM = "pin"
PINS_KEY = "cityops_pins"  # the session's pins while single sign-on is off


def owner() -> str:
    """The owner of what this session saves (see :mod:`dashboards.reports`)."""
    return signed_in_user() or reports.LOCAL_OWNER


def language_from_url() -> None:
    """Before the language switch is drawn: the language the address asks for, if any."""
    asked = st.query_params.get(LANG_PARAM)
    if asked in LANGS:
        st.session_state[LANG_KEY] = asked


def _set_param(name: str, values: list[str]) -> None:
    if st.query_params.get_all(name) == values:
        return
    if values:
        st.query_params[name] = values if len(values) > 1 else values[0]
    else:
        del st.query_params[name]


def keep_in_url() -> None:
    """Write the session's language (and, single sign-on off, its pins) into the address."""
    _set_param(LANG_PARAM, [lang()])
    if signed_in_user() is None:
        if PIN_PARAM in st.query_params:  # opened from a bookmark, or the page's own pins
            st.session_state[PINS_KEY] = list(dict.fromkeys(st.query_params.get_all(PIN_PARAM)))
        _set_param(PIN_PARAM, st.session_state.get(PINS_KEY, []))


def pins() -> list[str]:
    """The saved reports pinned to the personal page (the user's, or this browser's)."""
    user = signed_in_user()
    if user is not None:
        return reports.load_pins(reports.reports_dir(warehouse_path()), user)
    return list(st.session_state.get(PINS_KEY, []))


def set_pins(names: list[str]) -> None:
    names = list(dict.fromkeys(names))
    user = signed_in_user()
    if user is not None:
        reports.save_pins(reports.reports_dir(warehouse_path()), user, names)
    else:
        st.session_state[PINS_KEY] = names
        _set_param(PIN_PARAM, names)


def toggle_pin(name: str) -> None:
    current = pins()
    set_pins([n for n in current if n != name] if name in current else [*current, name])


def page_of(name: str) -> Page:
    return next(p for p in PAGES if p.name == name)


def app_root() -> str:
    """The app's address in the reader's browser (``http://host:port``), or "" when the
    browser has not said (AppTest)."""
    url = (st.context.url or "").rstrip("/")
    for page in PAGES:
        if url.endswith("/" + page.url_path):
            return url[: -len(page.url_path) - 1]
    return url


def share_url(page: str, **params: str) -> str:
    """A link to ``page`` with ``params`` and the page's language."""
    query = urlencode({**params, LANG_PARAM: lang()})
    return f"{app_root()}/{page_of(page).url_path}?{query}"
