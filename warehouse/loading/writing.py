"""Writing into raw.*: upsert good rows, append rejects, record the audit, read lookups.

Upsert: rows of ``raw.<contract>`` whose natural key appears in the new rows are deleted,
then the new rows are inserted — a newer extract replaces older versions of the same
records, and loading overlapping files never duplicates a key.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from warehouse.contracts import (
    CONTRACTS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TOPICS,
    REF_UNITS,
    Contract,
)
from warehouse.loading.reading import ROW
from warehouse.loading.validation import Lookups

LOADED_STATUSES = ("loaded", "loaded with rejects")


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    """The load_id that already loaded a file with these bytes, if any."""
    row = con.execute(
        "SELECT load_id FROM raw.load_audit WHERE sha256 = ? AND status IN (?, ?) "
        "ORDER BY started_at LIMIT 1", [sha256, *LOADED_STATUSES]).fetchone()
    return row[0] if row else None


def _codes(con: duckdb.DuckDBPyConnection, table: str, column: str) -> frozenset[str]:
    rows = con.execute(f'SELECT DISTINCT "{column}" FROM raw.{table} '
                       f'WHERE "{column}" IS NOT NULL').fetchall()
    return frozenset(r[0] for r in rows)


def lookups_for(con: duckdb.DuckDBPyConnection, contract: Contract,
                seeds: dict[str, frozenset[str]]) -> Lookups:
    """Reference codes for ``contract``: the seeds plus what raw.* holds now.

    raw.* already contains this load's earlier files (contracts load in LOAD_ORDER), so
    tickets in tickets.csv of the same load count for ticket_events.csv.
    """
    refs = {c.ref for c in contract.columns if c.ref}
    codes = {k: v for k, v in seeds.items() if k in (REF_UNITS, REF_TOPICS, REF_PORTAL_AREAS)}
    if REF_SERVICES in refs:
        codes[REF_SERVICES] = _codes(con, "it_services", "service_code")
    if REF_PROJECTS in refs:
        codes[REF_PROJECTS] = _codes(con, "sc_projects", "project_id")
    lookups = Lookups(codes=codes)
    if contract.name == "ticket_events":
        lookups.tickets = con.sql(
            "SELECT ticket_id, opened_at FROM raw.tickets").pl()
        lookups.opened_events = con.sql(
            "SELECT ticket_id, min(event_at) AS opened_event_at FROM raw.ticket_events "
            "WHERE event = 'opened' GROUP BY ticket_id").pl()
    return lookups


def upsert(con: duckdb.DuckDBPyConnection, contract: Contract, rows: pl.DataFrame,
           load_id: str, source_file: str) -> None:
    """Replace rows with the same key, then insert ``rows`` (stored column names)."""
    if rows.height == 0:
        return
    stored = [c.stored_name for c in contract.columns]
    frame = rows.select(
        [pl.col(n) for n in stored]
        + [pl.lit(load_id).alias("_load_id"), pl.lit(source_file).alias("_source_file"),
           pl.col(ROW).alias("_source_row")])
    con.register("__new_rows", frame)
    try:
        match = " AND ".join(f't."{k}" = n."{k}"' for k in contract.key)
        con.execute(f"DELETE FROM raw.{contract.name} AS t USING __new_rows AS n WHERE {match}")
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO raw.{contract.name} ({cols}) SELECT {cols} FROM __new_rows")
    finally:
        con.unregister("__new_rows")


def insert_rejected(con: duckdb.DuckDBPyConnection, contract: Contract, rows: pl.DataFrame,
                    load_id: str, source_file: str) -> None:
    if rows.height == 0:
        return
    stored = [c.stored_name for c in contract.columns]
    frame = rows.select(
        [pl.col(n).cast(pl.String) for n in stored]
        + [pl.col("reject_reason"), pl.lit(load_id).alias("_load_id"),
           pl.lit(source_file).alias("_source_file"), pl.col(ROW).alias("_source_row")])
    con.register("__rejected_rows", frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO raw.{contract.name}__rejected ({cols}) "
                    f"SELECT {cols} FROM __rejected_rows")
    finally:
        con.unregister("__rejected_rows")


def insert_audit(con: duckdb.DuckDBPyConnection, *, load_id: str, contract: str,
                 file_name: str, sha256: str, rows_read: int, rows_loaded: int,
                 rows_rejected: int, status: str, message: str, started_at: datetime,
                 finished_at: datetime) -> None:
    assert rows_read == rows_loaded + rows_rejected, (file_name, rows_read, rows_loaded,
                                                      rows_rejected)
    assert contract in CONTRACTS
    con.execute(
        "INSERT INTO raw.load_audit (load_id, contract, file_name, sha256, rows_read, "
        "rows_loaded, rows_rejected, status, message, started_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, contract, file_name, sha256, rows_read, rows_loaded, rows_rejected, status,
         message, started_at, finished_at])
