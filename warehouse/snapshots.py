"""The versions of the Smart City portfolio each load delivered: ``raw.sc_projects__snapshots``.

``raw.sc_projects`` is a snapshot source: the portfolio extract says how every project
stands *now* (status, spending, planned dates), with no history. The loader keeps one
version per project — the newest extract's — and a version from an older extract only
when it loses to a newer one (``raw.sc_projects__history``); a version a newer extract
replaces is gone. A month's RAG needs the version that was current in that month, so
after every load :func:`keep_snapshots` appends every good ``sc_projects`` row the load
delivered — the ones that won (now in raw.sc_projects) and the ones that lost (in
raw.sc_projects__history) — to this table, which nothing else writes or deletes from.

Each version also says when it was known, ``_snapshot_at``: its extraction time, or the
start of the load that brought it when that is earlier. A portfolio file that does not say
when it was taken gets its latest moment as its extraction time, and a planned end years
ahead is one; a version was known no later than the day it was loaded.

It is part of the raw layer (the system of record: a full refresh of the marts cannot
rebuild it), keyed by (project_id, _extracted_at); a load of the same bytes is skipped by
the loader and adds nothing, and the same extracts loaded in any order give the same rows.
Migration 6 (:mod:`warehouse.migrations`) creates it and fills it with every version raw
still held. dbt reads it as ``source('raw', 'sc_projects__snapshots')``
(``stg_smart_city__project_snapshots``: the latest version extracted in each month).
"""

from __future__ import annotations

import duckdb

from warehouse.contracts import CONTRACTS, DUCKDB_TYPES, EXTRACTED_AT

SNAPSHOTS = "sc_projects__snapshots"
_CONTRACT = CONTRACTS["sc_projects"]
_META = ("_load_id", "_source_file", "_source_row", EXTRACTED_AT)
SNAPSHOT_AT = "_snapshot_at"


def _columns() -> str:
    return ", ".join(f'"{c}"' for c in [col.stored_name for col in _CONTRACT.columns]
                     + list(_META))


def snapshots_table_ddl() -> str:
    """CREATE TABLE for raw.sc_projects__snapshots: the contract's typed columns and the
    load metadata, as raw.sc_projects holds them, and when the version was known."""
    cols = [f'"{c.stored_name}" {DUCKDB_TYPES[c.type]}' for c in _CONTRACT.columns]
    cols += ['"_load_id" VARCHAR', '"_source_file" VARCHAR', '"_source_row" BIGINT',
             f'"{EXTRACTED_AT}" TIMESTAMP', f'"{SNAPSHOT_AT}" TIMESTAMP']
    return f"CREATE TABLE IF NOT EXISTS raw.{SNAPSHOTS} (\n  " + ",\n  ".join(cols) + "\n)"


def _insert_new(con: duckdb.DuckDBPyConnection, where: str, params: list) -> int:
    """Append the rows of raw.sc_projects and raw.sc_projects__history matching ``where``
    that the table does not hold yet (same project, extract, file and row)."""
    cols = _columns()
    before = con.execute(f"SELECT count(*) FROM raw.{SNAPSHOTS}").fetchone()[0]
    loads = ("(SELECT load_id, file_name, min(started_at) AS started_at FROM raw.load_audit "
             "GROUP BY ALL)")
    con.execute(
        f"INSERT INTO raw.{SNAPSHOTS} ({cols}, {SNAPSHOT_AT}) SELECT {cols}, "
        f"least(v.{EXTRACTED_AT}, a.started_at) FROM ("
        f"SELECT {cols} FROM raw.sc_projects WHERE {where} UNION ALL "
        f"SELECT {cols} FROM raw.sc_projects__history WHERE {where}) AS v "
        f"LEFT JOIN {loads} AS a ON a.load_id = v._load_id AND a.file_name = v._source_file "
        f"WHERE NOT EXISTS (SELECT 1 FROM raw.{SNAPSHOTS} AS s WHERE s.project_id = "
        f"v.project_id AND s.{EXTRACTED_AT} IS NOT DISTINCT FROM v.{EXTRACTED_AT} AND "
        "s._load_id IS NOT DISTINCT FROM v._load_id AND s._source_file IS NOT DISTINCT "
        "FROM v._source_file AND s._source_row IS NOT DISTINCT FROM v._source_row) "
        f"ORDER BY v._load_id, v._source_file, v._source_row", params * 2)
    return con.execute(f"SELECT count(*) FROM raw.{SNAPSHOTS}").fetchone()[0] - before


def keep_snapshots(con: duckdb.DuckDBPyConnection, load_id: str) -> int:
    """Append the portfolio versions load ``load_id`` delivered; returns how many."""
    return _insert_new(con, "_load_id = ?", [load_id])


def keep_all_versions(con: duckdb.DuckDBPyConnection) -> int:
    """Migration 6: every version raw still holds (the current one of each project and the
    older ones kept in the history); the versions earlier loads replaced are lost."""
    con.execute(snapshots_table_ddl())
    return _insert_new(con, "true", [])
