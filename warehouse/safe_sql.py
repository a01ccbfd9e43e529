"""Run a user's SQL (the SQL box, the report builder) so that it can only read the marts.

Layers, each enough on its own for most tricks, together for all we know of:

1. **Parse first** (DuckDB's own parser, ``extract_statements``): exactly one statement, and
   it must be a SELECT (``WITH … SELECT``, ``FROM …``, ``VALUES``, ``DESCRIBE``/``SUMMARIZE``
   of a mart are SELECTs too). COPY, ATTACH, INSTALL/LOAD, SET, PRAGMA, CALL, EXPORT, any
   write or DDL, and ``select 1; drop …`` are refused before anything runs.
2. **Walk the syntax tree** (``json_serialize_sql``): every table it reads must be a table of
   schema ``marts`` (or a CTE of the query); table functions are refused except
   ``range``/``generate_series``/``unnest`` — so ``read_csv('/etc/passwd')``,
   ``'/etc/passwd'`` as a table name, ``duckdb_settings()``, ``query(…)``, raw and staging
   tables and ``information_schema`` are refused with a message saying why.
3. **A locked sandbox connection**: an in-memory DuckDB with extension auto-install/-load and
   community extensions off, the warehouse build file ATTACHed ``READ_ONLY``, then
   ``enable_external_access = false`` and ``lock_configuration = true``: no file access, no
   extension, no setting can be changed back even if something slipped through (1) and (2).
   (An in-memory database with an ATTACH, not ``duckdb.connect(path, config=…)``: DuckDB
   refuses a second connection to a file with a different configuration in the same
   process, and the dashboard already holds a plain read-only one.)
4. **Limits**: at most ``row_limit`` rows come back (the query is wrapped in
   ``LIMIT row_limit + 1`` so a truncation can be reported), and a timer interrupts the
   query after ``timeout_s`` seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.store import current_file

ALLOWED_SCHEMA = "marts"
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_CATALOG = "wh"

SANDBOX_CONFIG: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # no scans of Python variables by name
    "threads": 2,
    "memory_limit": "1GB",
}


class QueryRefused(Exception):
    """The query is not allowed, or was stopped; ``message`` says why (Polish and English)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more than row_limit rows matched; only the first row_limit came back
    elapsed_s: float


def _refuse(pl_text: str, en_text: str) -> QueryRefused:
    return QueryRefused(f"{pl_text} / {en_text}")


# --------------------------------------------------------------------------- checking
def _single_select(sql: str) -> str:
    """The text of the one SELECT statement in ``sql``, or QueryRefused."""
    if not sql or not sql.strip():
        raise _refuse("Zapytanie jest puste.", "The query is empty.")
    parser = duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(sql)
    except duckdb.Error as exc:
        raise _refuse(f"Błąd składni: {exc}", f"Syntax error: {exc}") from None
    finally:
        parser.close()
    if len(statements) != 1:
        raise _refuse(
            f"Dozwolone jest dokładnie jedno zapytanie SELECT, a podano {len(statements)}.",
            f"Exactly one SELECT statement is allowed; got {len(statements)}.",
        )
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        kind = statement.type.name
        raise _refuse(
            f"Dozwolone są tylko zapytania SELECT (odczyt); {kind} jest zabronione.",
            f"Only SELECT (read-only) queries are allowed; {kind} is refused.",
        )
    return statement.query.strip().rstrip(";").strip()


def _syntax_tree(sql: str) -> dict[str, Any]:
    con = duckdb.connect(":memory:")
    try:
        raw = con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0]
    finally:
        con.close()
    tree = json.loads(raw)
    if tree.get("error"):
        raise _refuse(
            f"Tego zapytania nie da się sprawdzić: {tree.get('error_message')}",
            f"This query cannot be checked: {tree.get('error_message')}",
        )
    return tree


def _nodes(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _nodes(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _nodes(value)


def _cte_names(tree: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            names.update(entry["key"].lower() for entry in cte_map.get("map", []))
    return names


def check_query(sql: str, mart_tables: set[str]) -> str:
    """Return the statement to run if ``sql`` only reads marts; raise QueryRefused otherwise."""
    statement = _single_select(sql)
    tree = _syntax_tree(statement)
    ctes = _cte_names(tree)
    marts = {t.lower() for t in mart_tables}
    for node in _nodes(tree):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            name = str(node.get("function", {}).get("function_name", "?")).lower()
            if name not in ALLOWED_TABLE_FUNCTIONS:
                raise _refuse(
                    f"Funkcja tabelaryczna {name}() jest niedozwolona (czytaj tylko tabele marts).",
                    f"Table function {name}() is not allowed (read marts tables only).",
                )
        elif kind == "BASE_TABLE":
            _check_table(node.get("catalog_name", ""), node.get("schema_name", ""),
                         node.get("table_name", ""), ctes, marts)
        elif kind == "SHOW_REF" and node.get("show_type") == "SHOW_SPECIAL":
            raise _refuse(
                "SHOW … jest niedozwolone; użyj DESCRIBE marts.<tabela>.",
                "SHOW … is not allowed; use DESCRIBE marts.<table>.",
            )
        elif kind == "SHOW_REF" and node.get("table_name"):
            _check_table(node.get("catalog_name", ""), node.get("schema_name", ""),
                         node["table_name"], ctes, marts)
    return statement


def _check_table(catalog: str, schema: str, table: str, ctes: set[str], marts: set[str]) -> None:
    name = ".".join(p for p in (catalog, schema, table) if p)
    catalog, schema, table = catalog.lower(), schema.lower(), table.lower()
    if catalog not in ("", _CATALOG):
        ok = False
    elif schema == ALLOWED_SCHEMA:
        ok = table in marts
    elif schema == "":
        ok = table in ctes or table in marts
    else:
        ok = False
    if not ok:
        raise _refuse(
            f"Tabela {name!r} jest niedostępna: można czytać tylko tabele schematu marts.",
            f"Table {name!r} is not available: only tables of schema marts can be read.",
        )


# --------------------------------------------------------------------------- running
def sandbox_connection(build_file: Path) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the build ATTACHed read-only, external access off, config locked."""
    con = duckdb.connect(":memory:", config=SANDBOX_CONFIG)
    try:
        con.execute(f"ATTACH ? AS {_CATALOG} (READ_ONLY)", [str(build_file)])
        con.execute(f"USE {_CATALOG}.{ALLOWED_SCHEMA}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _mart_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ?"
        " union all "
        "select view_name from duckdb_views() where database_name = ? and schema_name = ?",
        [_CATALOG, ALLOWED_SCHEMA, _CATALOG, ALLOWED_SCHEMA],
    ).fetchall()
    return {r[0] for r in rows}


def run_query(
    warehouse_or_path: Path | str, sql: str, row_limit: int = 10_000, timeout_s: float = 10
) -> QueryResult:
    """Run one read-only SELECT on the marts; see the module docstring for the guards."""
    if row_limit < 1:
        raise ValueError("row_limit must be at least 1")
    build_file = current_file(Path(warehouse_or_path))
    if build_file is None:
        raise FileNotFoundError(f"No warehouse at {warehouse_or_path}.")
    # Cheap syntactic checks before touching the warehouse at all.
    _single_select(sql)
    con = sandbox_connection(build_file)
    try:
        statement = check_query(sql, _mart_tables(con))
        wrapped = f"select * from (\n{statement}\n) as user_query limit {int(row_limit) + 1}"
        timer = threading.Timer(timeout_s, con.interrupt)
        started = time.perf_counter()
        timer.start()
        try:
            table = con.sql(wrapped).to_arrow_table()
        except duckdb.InterruptException:
            raise _refuse(
                f"Zapytanie przerwano po {timeout_s:g} s (limit czasu).",
                f"The query was stopped after {timeout_s:g} s (time limit).",
            ) from None
        except duckdb.PermissionException as exc:
            raise _refuse(f"Odmowa dostępu: {exc}", f"Permission denied: {exc}") from None
        except duckdb.Error as exc:
            if time.perf_counter() - started >= timeout_s:
                raise _refuse(
                    f"Zapytanie przerwano po {timeout_s:g} s (limit czasu).",
                    f"The query was stopped after {timeout_s:g} s (time limit).",
                ) from None
            raise _refuse(f"Błąd zapytania: {exc}", f"Query error: {exc}") from None
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - started
    finally:
        con.close()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    truncated = frame.height > row_limit
    if truncated:
        frame = frame.head(row_limit)
    return QueryResult(frame=frame, truncated=truncated, elapsed_s=elapsed)


def run_readonly_query(
    warehouse_or_path: Path | str, sql: str, row_limit: int = 10_000, timeout_s: float = 10
) -> pl.DataFrame:
    """The rows of one read-only SELECT on the marts (at most ``row_limit``).

    Raises QueryRefused with a Polish/English message for anything else, and when the
    query runs longer than ``timeout_s``. Use :func:`run_query` to learn whether the
    result was truncated.
    """
    return run_query(warehouse_or_path, sql, row_limit=row_limit, timeout_s=timeout_s).frame
