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
3. **A connection that holds nothing but the marts** (:func:`sandbox_connection`): the
   current build's marts copied into a compressed in-memory catalogue, the build file
   detached again, directory settings emptied, extension auto-install/-load and community
   extensions off, then ``enable_external_access = false`` and ``lock_configuration =
   true``. The checks of (1) and (2) are parsing, and parsing can be fooled (a CTE named
   like a catalog view inside a subquery, the same name outside it, passed them); so the
   engine itself has nothing else to show — no raw or staging schema, no view SQL, no
   file path or directory, whether asked for by a table, a catalog view, a scalar
   function or an error message. One copy per build file per process
   (:func:`marts_connection`; compressed by a checkpoint after each table: 13 MB in
   0.4 s at 1×, 93 MB in 4.7 s at 10×), queried through cursors; the report builder's
   queries run on it too.
4. **Limits**: the result is fetched in Arrow batches of ``FETCH_ROWS`` rows; at most
   ``row_limit`` rows come back (the query is wrapped in ``LIMIT row_limit + 1`` so a
   truncation can be reported), a result past ``byte_limit`` bytes is stopped while it is
   fetched (memory stays at the limit plus one batch and one DuckDB vector, 2048 rows),
   and a timer interrupts the query after ``timeout_s`` seconds (also checked per batch).
   When the row limit cuts a result, its full size is counted (``count(*)`` of the same
   statement, in what is left of the time limit; ``total_rows`` is None when that runs out,
   and the SQL box says "more than 10 000").
5. **The full result** (:func:`export_query`): the same statement, through the same checks
   and the same connection, streamed in Arrow batches to a CSV file on the server (one
   batch in memory at a time, written by :func:`warehouse.export.frame_to_csv_bytes`, so
   formulas are neutralised as in every export) — no row limit, but a byte limit on the
   file (``EXPORT_BYTES``, 200 MB) and a time limit (``EXPORT_SECONDS``, 60 s); past
   either the file is deleted and QueryRefused says which. The sandbox itself can write no
   file (``COPY … TO`` is refused, and external access is off): the Python side writes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from dashboards.i18n import DEFAULT_LANG
from warehouse.export import ExportAbout, frame_to_csv_bytes, with_about
from warehouse.store import current_file

ALLOWED_SCHEMA = "marts"
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_CATALOG = "wh"
_SOURCE = "build_source"  # the build file, attached only while its marts are copied
# settings that name a directory: emptied before the configuration is locked
_PATH_SETTINGS = ("home_directory", "secret_directory", "temp_directory",
                  "extension_directory")
FETCH_ROWS = 256  # rows per Arrow batch while fetching (the byte check runs per batch)
EXPORT_BYTES = 200_000_000  # the full result's CSV file at most
EXPORT_SECONDS = 60.0
EXPORT_ROWS = 8192  # rows per Arrow batch written to the file

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
    """The query is not allowed, or was stopped; ``message`` says why (Polish and English).

    ``key`` and ``params`` name the same message in the dashboards' catalogues (the SQL
    box shows ``t(key, lang, **params)``)."""

    def __init__(self, message: str, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.params = params


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more than row_limit rows matched; only the first row_limit came back
    elapsed_s: float
    total_rows: int | None = None  # the full result's rows; None if counting ran out of time


def _refuse(pl_text: str, en_text: str, key: str | None = None, **params: Any
            ) -> QueryRefused:
    return QueryRefused(f"{pl_text} / {en_text}", key, **params)


# --------------------------------------------------------------------------- checking
def _single_select(sql: str) -> str:
    """The text of the one SELECT statement in ``sql``, or QueryRefused."""
    if not sql or not sql.strip():
        raise _refuse("Zapytanie jest puste.", "The query is empty.", "sql_empty")
    parser = duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(sql)
    except duckdb.Error as exc:
        raise _refuse(f"Błąd składni: {exc}", f"Syntax error: {exc}", "sql_syntax",
                      error=str(exc)) from None
    finally:
        parser.close()
    if len(statements) != 1:
        raise _refuse(
            f"Dozwolone jest dokładnie jedno zapytanie SELECT, a podano {len(statements)}.",
            f"Exactly one SELECT statement is allowed; got {len(statements)}.",
            "sql_one_statement", n=len(statements),
        )
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        kind = statement.type.name
        raise _refuse(
            f"Dozwolone są tylko zapytania SELECT (odczyt); {kind} jest zabronione.",
            f"Only SELECT (read-only) queries are allowed; {kind} is refused.",
            "sql_select_only", kind=kind,
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
            "sql_unchecked", error=str(tree.get("error_message")),
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
                    "sql_table_function", name=name,
                )
        elif kind == "BASE_TABLE":
            _check_table(node.get("catalog_name", ""), node.get("schema_name", ""),
                         node.get("table_name", ""), ctes, marts)
        elif kind == "SHOW_REF" and node.get("show_type") == "SHOW_SPECIAL":
            raise _refuse(
                "SHOW … jest niedozwolone; użyj DESCRIBE marts.<tabela>.",
                "SHOW … is not allowed; use DESCRIBE marts.<table>.",
                "sql_show",
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
            "sql_table_unavailable", name=name,
        )


# --------------------------------------------------------------------------- running
def sandbox_connection(build_file: Path) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection that holds nothing but the marts of ``build_file``.

    The marts are copied into a compressed in-memory catalogue ``wh`` (schema ``marts``),
    the build file is DETACHed again, every setting that names a directory is emptied,
    then ``enable_external_access = false`` and ``lock_configuration = true``. What a query
    on it can reach — tables, catalog views, ``duckdb_databases()``, ``current_setting()``,
    error messages' "did you mean" — is the marts and nothing else: no raw or staging
    schema, no view definitions, no file path (an in-memory catalogue has none; a database
    *file*, even a marts-only one, shows its path in ``duckdb_databases()``).
    """
    con = duckdb.connect(":memory:", config=SANDBOX_CONFIG)
    try:
        con.execute(f"ATTACH ':memory:' AS {_CATALOG} (COMPRESS)")
        con.execute(f"CREATE SCHEMA {_CATALOG}.{ALLOWED_SCHEMA}")
        con.execute(f"ATTACH ? AS {_SOURCE} (READ_ONLY)", [str(build_file)])
        marts = con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?"
            " union all select view_name from duckdb_views() where database_name = ?"
            " and schema_name = ? order by 1",
            [_SOURCE, ALLOWED_SCHEMA, _SOURCE, ALLOWED_SCHEMA]).fetchall()
        for (name,) in marts:  # views become tables: their SQL names other schemas
            quoted = '"' + name.replace('"', '""') + '"'
            con.execute(f"CREATE TABLE {_CATALOG}.{ALLOWED_SCHEMA}.{quoted} AS "
                        f"SELECT * FROM {_SOURCE}.{ALLOWED_SCHEMA}.{quoted}")
            # an in-memory catalogue is compressed when it is checkpointed (≈ 600 MB of
            # marts at 10× become ≈ 90 MB); one table at a time keeps the peak low
            con.execute(f"CHECKPOINT {_CATALOG}")
        con.execute(f"DETACH {_SOURCE}")
        con.execute(f"USE {_CATALOG}.{ALLOWED_SCHEMA}")
        con.execute("DETACH memory")  # the empty default catalogue: only wh is left
        con.execute("SET enable_progress_bar = false")  # no bar on a server's stdout
        for setting in _PATH_SETTINGS:
            con.execute(f"SET {setting} = ''")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


_SANDBOXES: OrderedDict[str, duckdb.DuckDBPyConnection] = OrderedDict()
_SANDBOXES_LOCK = threading.Lock()
_SANDBOXES_KEPT = 2  # the build served now and the one before (sessions finishing on it)


def marts_connection(build_file: Path) -> duckdb.DuckDBPyConnection:
    """The process's shared :func:`sandbox_connection` of ``build_file`` (made once).

    Each build file is a new path (:mod:`warehouse.store`), so a cached copy always holds
    the marts of the build it was made from. Use it through ``.cursor()`` (one per query:
    a cursor can be interrupted on its own) and never close it; the oldest of more than
    two builds is closed here.
    """
    key = str(Path(build_file).resolve())
    with _SANDBOXES_LOCK:
        con = _SANDBOXES.get(key)
        if con is None:
            con = sandbox_connection(Path(key))
            _SANDBOXES[key] = con
            while len(_SANDBOXES) > _SANDBOXES_KEPT:
                _, old = _SANDBOXES.popitem(last=False)
                old.close()
        _SANDBOXES.move_to_end(key)
        return con


def marts_cursor(build_file: Path) -> duckdb.DuckDBPyConnection:
    """A cursor of :func:`marts_connection` with ``marts`` as its schema (close it after)."""
    cursor = marts_connection(build_file).cursor()
    cursor.execute(f"USE {_CATALOG}.{ALLOWED_SCHEMA}")
    return cursor


def _mart_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ?",
        [_CATALOG, ALLOWED_SCHEMA],
    ).fetchall()
    return {r[0] for r in rows}


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


def _time_limit(timeout_s: float) -> QueryRefused:
    return _refuse(
        f"Zapytanie przerwano po {timeout_s:g} s (limit czasu). Zawęź je (WHERE, mniej "
        "złączeń) albo użyj raportu z gotowych miar.",
        f"The query was stopped after {timeout_s:g} s (time limit). Narrow it down "
        "(WHERE, fewer joins) or build a report from the measures above.",
        "sql_time_limit", seconds=timeout_s,
    )


def _fetch(cursor: duckdb.DuckDBPyConnection, statement: str, row_limit: int,
           byte_limit: int, timeout_s: float, started: float
           ) -> tuple[pa.Table, bool]:
    """The result's Arrow batches, fetched a few rows at a time, within the limits.

    The rows are counted and their Arrow bytes summed as each batch arrives; past
    ``byte_limit`` (or ``timeout_s``) the stream is dropped, which stops the query, so no
    more than the limit plus one batch (and one DuckDB vector) is ever held.
    """
    wrapped = f"select * from (\n{statement}\n) as user_query limit {int(row_limit) + 1}"
    with rolled_back(cursor):
        return _fetch_batches(cursor.sql(wrapped).to_arrow_reader(FETCH_ROWS), row_limit,
                              byte_limit, timeout_s, started)


@contextlib.contextmanager
def rolled_back(cursor: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in a transaction that is always rolled back.

    The in-memory marts are shared by every session of the process and, unlike a file
    opened read-only, writable by the engine: a write that got past the checks (none is
    known) would be undone here and never be seen by another session (MVCC).
    """
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")


def _fetch_batches(reader: Any, row_limit: int, byte_limit: int, timeout_s: float,
                   started: float) -> tuple[pa.Table, bool]:
    batches: list[Any] = []
    rows = size = 0
    try:
        for batch in reader:
            rows += batch.num_rows
            size += batch.nbytes
            if size > byte_limit:
                raise _refuse(
                    f"Wynik przekracza limit {_mb(byte_limit)} (zatrzymano po {rows} "
                    "wierszach). Wybierz mniej kolumn lub wierszy albo skróć długie teksty.",
                    f"The result exceeds the {_mb(byte_limit)} limit (stopped after {rows} "
                    "rows). Select fewer columns or rows, or shorten long texts.",
                    "sql_result_too_big", megabytes=byte_limit / 1_000_000, rows=rows,
                )
            if time.perf_counter() - started > timeout_s:
                raise _time_limit(timeout_s)
            batches.append(batch)
            if rows > row_limit:
                break
        schema = reader.schema
    finally:
        reader.close()
    return pa.Table.from_batches(batches, schema=schema), rows > row_limit


@contextlib.contextmanager
def _guarded(cursor: duckdb.DuckDBPyConnection, timeout_s: float, started: float
             ) -> Iterator[None]:
    """Interrupt ``cursor`` after ``timeout_s``; DuckDB's errors as QueryRefused (the
    catalogue key, and DuckDB's own text as ``error``)."""
    timer = threading.Timer(max(0.0, timeout_s - (time.perf_counter() - started)),
                            cursor.interrupt)
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        raise _time_limit(timeout_s) from None
    except duckdb.PermissionException as exc:
        raise _refuse(f"Odmowa dostępu: {exc}", f"Permission denied: {exc}",
                      "sql_permission", error=str(exc)) from None
    except duckdb.Error as exc:
        if time.perf_counter() - started >= timeout_s:
            raise _time_limit(timeout_s) from None
        raise _refuse(f"Błąd zapytania: {exc}", f"Query error: {exc}", "sql_error",
                      error=str(exc)) from None
    finally:
        timer.cancel()


def _checked_cursor(warehouse_or_path: Path | str, sql: str
                    ) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A cursor of the build's sandbox and the checked statement (QueryRefused if not)."""
    build_file = current_file(Path(warehouse_or_path))
    if build_file is None:
        raise FileNotFoundError(f"No warehouse at {warehouse_or_path}.")
    _single_select(sql)  # cheap syntactic checks before touching the warehouse at all
    cursor = marts_cursor(build_file)
    try:
        return cursor, check_query(sql, _mart_tables(cursor))
    except BaseException:
        cursor.close()
        raise


def _count(cursor: duckdb.DuckDBPyConnection, statement: str, timeout_s: float,
           started: float) -> int | None:
    """The rows of ``statement`` (None when the time limit runs out while counting)."""
    try:
        with _guarded(cursor, timeout_s, started), rolled_back(cursor):
            rows = cursor.execute(
                f"select count(*) from (\n{statement}\n) as user_query").fetchall()
    except QueryRefused as exc:
        if exc.key == "sql_time_limit":
            return None
        raise
    return int(rows[0][0])


def run_query(
    warehouse_or_path: Path | str, sql: str, row_limit: int = 10_000, timeout_s: float = 10,
    byte_limit: int = 50_000_000,
) -> QueryResult:
    """Run one read-only SELECT on the marts; see the module docstring for the guards."""
    if row_limit < 1:
        raise ValueError("row_limit must be at least 1")
    cursor, statement = _checked_cursor(warehouse_or_path, sql)
    try:
        started = time.perf_counter()
        with _guarded(cursor, timeout_s, started):
            table, truncated = _fetch(cursor, statement, row_limit, byte_limit, timeout_s,
                                      started)
        total = _count(cursor, statement, timeout_s, started) if truncated else table.num_rows
        elapsed = time.perf_counter() - started
    finally:
        cursor.close()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if truncated:
        frame = frame.head(row_limit)
    return QueryResult(frame=frame, truncated=truncated, elapsed_s=elapsed, total_rows=total)


def export_query(warehouse_or_path: Path | str, sql: str, out: Path, dialect: str = "excel-pl",
                 byte_limit: int = EXPORT_BYTES, timeout_s: float = EXPORT_SECONDS,
                 lang: str = DEFAULT_LANG, about: ExportAbout | None = None) -> int:
    """Write the whole result of one read-only SELECT to ``out`` as CSV; the rows written.

    The same checks and sandbox as :func:`run_query`; the result is streamed in batches of
    ``EXPORT_ROWS`` rows, each written as it arrives, so memory holds one batch. Past
    ``byte_limit`` bytes of file or ``timeout_s`` seconds the file is removed and
    QueryRefused raised. excel-pl is written in ``lang`` (headers, tak/nie, words for
    codes) with the "what it holds" block of ``about`` first, its row count the rows
    written (the block is put before the rows once they are all in)."""
    cursor, statement = _checked_cursor(warehouse_or_path, sql)
    out = Path(out)
    body_file = out.with_name(out.name + ".rows") if about is not None else out
    rows = size = 0
    try:
        started = time.perf_counter()
        with _guarded(cursor, timeout_s, started), rolled_back(cursor), \
                open(body_file, "wb") as fh:
            reader = cursor.sql(statement).to_arrow_reader(EXPORT_ROWS)
            try:
                header = frame_to_csv_bytes(pl.from_arrow(reader.schema.empty_table()),
                                            dialect, lang, commented=about is not None)
                fh.write(header)
                size = len(header)
                for batch in reader:
                    chunk = frame_to_csv_bytes(pl.from_arrow(pa.Table.from_batches([batch])),
                                               dialect, lang, commented=about is not None)
                    assert chunk.startswith(header)
                    body = chunk[len(header):]
                    size += len(body)
                    if size > byte_limit:
                        raise _refuse(
                            f"Pełny wynik przekracza limit {_mb(byte_limit)} (zatrzymano po "
                            f"{rows} wierszach).",
                            f"The full result exceeds the {_mb(byte_limit)} limit (stopped "
                            f"after {rows} rows).",
                            "sql_export_too_big", megabytes=byte_limit / 1_000_000, rows=rows)
                    if time.perf_counter() - started > timeout_s:
                        raise _time_limit(timeout_s)
                    fh.write(body)
                    rows += batch.num_rows
            finally:
                reader.close()
        if about is not None:
            with open(body_file, "rb") as rows_in, open(out, "wb") as fh:
                fh.write(with_about(rows_in.read(len(header)), about, rows, dialect, lang))
                shutil.copyfileobj(rows_in, fh)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        cursor.close()
        if body_file != out:
            body_file.unlink(missing_ok=True)
    return rows


def run_readonly_query(
    warehouse_or_path: Path | str, sql: str, row_limit: int = 10_000, timeout_s: float = 10,
    byte_limit: int = 50_000_000,
) -> pl.DataFrame:
    """The rows of one read-only SELECT on the marts (at most ``row_limit``).

    Raises QueryRefused with a Polish/English message for anything else, when the
    query runs longer than ``timeout_s`` and when its result passes ``byte_limit``
    bytes. Use :func:`run_query` to learn whether the result was truncated.
    """
    return run_query(warehouse_or_path, sql, row_limit=row_limit, timeout_s=timeout_s,
                     byte_limit=byte_limit).frame
