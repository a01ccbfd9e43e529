"""The raw schema's version, and the steps that bring an older warehouse forward.

Raw is the system of record: a city that has loaded nightly for a year cannot rebuild it
from scratch, so a new release must carry its raw layer forward. Every build file records
the raw schema version it holds in ``raw.schema_version`` (one row per version reached).
Version 1 is the raw layer of release 0.1, which had no version table. A change to a
contract (a new column, a new table, a new allowed value stored differently) ships a
migration: a function taking raw.* from version N - 1 to N, keeping every row.

:func:`migrate` runs on the writable copy every load and build works on: on a new file it
creates the raw schema at the current version; on an older one it applies the missing
steps in order and records them, so a failed migration leaves the served warehouse as it
was. The marts are rebuilt by the build that follows (new code → full refresh).
``tests/test_migrations.py`` holds a warehouse saved by release 0.1 and checks that
migrating it gives exactly the schema of a new file, with every row kept.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse.contracts import CONTRACTS, LOAD_AUDIT_DDL, raw_table_ddl, rejected_table_ddl

BUILD_LOG_DDL = ("CREATE TABLE IF NOT EXISTS raw.build_log "
                 "(built_at TIMESTAMP, as_of TIMESTAMP, full_refresh BOOLEAN, reason VARCHAR)")
HOLIDAYS_DDL = "CREATE TABLE IF NOT EXISTS raw.public_holidays (holiday_date DATE, name VARCHAR)"
SCHEMA_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS raw.schema_version (
  version INTEGER,
  description VARCHAR,
  migrated_at TIMESTAMP
)
"""
FIRST_VERSION = "release 0.1: the raw layer before schema versions"

Migration = Callable[[duckdb.DuckDBPyConnection], None]

# version -> (what it changes, the step from version - 1); in order, without gaps
MIGRATIONS: dict[int, tuple[str, Migration]] = {}

SCHEMA_VERSION = 1 + len(MIGRATIONS)
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))


def _create_current(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw table at the current version (CREATE … IF NOT EXISTS): the contracts and
    their rejects, the load audit, the build log, the holiday calendar."""
    for contract in CONTRACTS.values():
        con.execute(raw_table_ddl(contract))
        con.execute(rejected_table_ddl(contract))
    for ddl in (LOAD_AUDIT_DDL, BUILD_LOG_DDL, HOLIDAYS_DDL):
        con.execute(ddl)


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The raw schema version of the file: None when it has no raw layer yet, 1 for a
    release-0.1 file (raw tables, no version table)."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()}
    if "schema_version" in tables:
        return con.execute("select max(version) from raw.schema_version").fetchone()[0]
    return 1 if tables & set(CONTRACTS) else None


def migrate(con: duckdb.DuckDBPyConnection, now: str | None = None) -> list[str]:
    """Bring the raw schema of ``con``'s file to :data:`SCHEMA_VERSION`; returns what was
    done (empty when it was current). Refuses a file from a newer release."""
    version = schema_version(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    stamp = "localtimestamp" if now is None else f"timestamp '{now}'"
    if version is None:  # a new warehouse: the current schema
        _create_current(con)
        con.execute(SCHEMA_VERSION_DDL)
        con.execute(f"INSERT INTO raw.schema_version VALUES (?, ?, {stamp})",
                    [SCHEMA_VERSION, "created"])
        return []
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the warehouse's raw schema is version {version}, newer than this release's "
            f"({SCHEMA_VERSION}): upgrade cityops before loading or building it")
    done = []
    con.execute(SCHEMA_VERSION_DDL)
    if not con.execute("select count(*) from raw.schema_version").fetchone()[0]:
        con.execute(f"INSERT INTO raw.schema_version VALUES (1, ?, {stamp})", [FIRST_VERSION])
    for target in range(version + 1, SCHEMA_VERSION + 1):
        description, step = MIGRATIONS[target]
        step(con)
        con.execute(f"INSERT INTO raw.schema_version VALUES (?, ?, {stamp})",
                    [target, description])
        done.append(f"raw schema {target - 1} → {target}: {description}")
    _create_current(con)  # tables of contracts no migration had to touch
    return done
