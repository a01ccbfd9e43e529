"""Streamlit glue: the language, the read-only connection and the query cache.

The warehouse name (env ``CITYOPS_WAREHOUSE``) is resolved to its current build file on
every rerun. The connection is cached per build file and query results per
(build file, query, parameters), so a rebuild swapped in is read at the next rerun and the
old build's connection is released, never reused. The report builder's queries run on
the build's marts-only sandbox (:func:`warehouse.safe_sql.marts_connection`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from dashboards.i18n import DEFAULT_LANG, LANGS
from warehouse.safe_sql import marts_cursor
from warehouse.store import DEFAULT_WAREHOUSE, connect_read_only, current_file

T = TypeVar("T")
LANG_KEY = "lang"


def lang() -> str:
    """The language chosen in the sidebar: one of the catalogues (Polish by default)."""
    value = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def lkey(name: str) -> str:
    """The key of a widget whose option labels depend on the language.

    Streamlit keeps a keyed widget's formatted options when only the labels change, so each
    language gets its own key; the chosen value is carried over from the other language.
    """
    current = lang()
    key = f"{name}__{current}"
    if key not in st.session_state:
        for other in LANGS:
            if f"{name}__{other}" in st.session_state:
                st.session_state[key] = st.session_state[f"{name}__{other}"]
                break
    return key


def warehouse_path() -> Path:
    return Path(os.environ.get("CITYOPS_WAREHOUSE", str(DEFAULT_WAREHOUSE)))


def build_file() -> str | None:
    path = current_file(warehouse_path())
    return None if path is None else str(path)


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=3, show_spinner=False, on_release=_close)
def _connection(build: str) -> duckdb.DuckDBPyConnection:
    return connect_read_only(Path(build))


def _resolve(qualname: str) -> Callable[..., Any]:
    module, _, name = qualname.rpartition(".")
    if not (module.startswith("dashboards.queries.") or module == "dashboards.reports"):
        raise ValueError(f"Not a dashboard query: {qualname}")
    return getattr(importlib.import_module(module), name)


@st.cache_data(max_entries=2000, show_spinner=False)
def _cached(build: str, qualname: str, args: tuple[Any, ...]) -> Any:
    if qualname.startswith("dashboards.reports."):
        # the report builder names marts and columns a user chose: it runs on the
        # connection that holds nothing but the marts, like the SQL box
        cursor = marts_cursor(Path(build))
    else:  # a cursor per query: safe across sessions' threads
        cursor = _connection(build).cursor()
    try:
        return _resolve(qualname)(cursor, *args)
    finally:
        cursor.close()


def q(fn: Callable[..., T], *args: Any) -> T:
    """Run a query function of dashboards.queries on the current build, cached."""
    build = build_file()
    if build is None:
        raise FileNotFoundError(str(warehouse_path()))
    return _cached(build, f"{fn.__module__}.{fn.__qualname__}", tuple(args))


def fresh(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """A no-argument callable running ``fn`` on the build current now, on its own connection
    (for downloads generated on click, outside the script run)."""
    build = build_file()
    if build is None:
        raise FileNotFoundError(str(warehouse_path()))

    def run() -> T:
        con = connect_read_only(Path(build))
        try:
            return fn(con, *args)
        finally:
            con.close()

    return run
