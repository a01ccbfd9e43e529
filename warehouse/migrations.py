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

from warehouse.contracts import (
    CONTRACTS,
    EXTRACTED_AT,
    LOAD_AUDIT_DDL,
    Contract,
    history_table_ddl,
    latest_moment_sql,
    pending_table_ddl,
    raw_table_ddl,
    rejected_table_ddl,
)
from warehouse.snapshots import keep_all_versions, snapshots_table_ddl

BUILD_LOG_DDL = ("CREATE TABLE IF NOT EXISTS raw.build_log "
                 "(built_at TIMESTAMP, as_of TIMESTAMP, full_refresh BOOLEAN, reason VARCHAR)")
HOLIDAYS_DDL = ("CREATE TABLE IF NOT EXISTS raw.public_holidays "
                "(holiday_date DATE, name VARCHAR, country_code VARCHAR)")
# the working calendars imports declare (warehouse/calendar.py): one row per calendar and
# weekday it works, newest declaration wins; UMK's is not here (dbt_project.yml's vars)
WORKING_CALENDARS_DDL = """
CREATE TABLE IF NOT EXISTS raw.working_calendars (
  calendar_code VARCHAR,
  iso_weekday INTEGER,
  day_start TIME,
  day_end TIME,
  timezone VARCHAR,
  holiday_country VARCHAR,
  declared_in VARCHAR,
  declared_at TIMESTAMP,
  _load_id VARCHAR
)
"""
SCHEMA_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS raw.schema_version (
  version INTEGER,
  description VARCHAR,
  migrated_at TIMESTAMP
)
"""
FIRST_VERSION = "release 0.1: the raw layer before schema versions"

Migration = Callable[[duckdb.DuckDBPyConnection], None]



def _extraction_times(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: every raw row and audit row says when its extract was taken
    (``_extracted_at``; "newer" means extracted later), and each contract has a history
    table for the versions an older extract delivered. Rows loaded before have no such
    time: they get the default a file without one gets now — the latest moment of the rows
    their file loaded (:func:`warehouse.contracts.latest_moment_sql`), else the time their
    load started."""
    for contract in CONTRACTS.values():
        name = contract.name
        con.execute(f'ALTER TABLE raw.{name} ADD COLUMN "{EXTRACTED_AT}" TIMESTAMP')
        latest = latest_moment_sql(contract) or "NULL::TIMESTAMP"
        con.execute(
            f"UPDATE raw.{name} AS r SET {EXTRACTED_AT} = coalesce(f.e, a.started_at) "
            f"FROM (SELECT _load_id, _source_file, max({latest}) AS e FROM raw.{name} "
            "GROUP BY ALL) AS f LEFT JOIN (SELECT load_id, file_name, min(started_at) AS "
            "started_at FROM raw.load_audit GROUP BY ALL) AS a ON a.load_id = f._load_id "
            "AND a.file_name = f._source_file WHERE r._load_id IS NOT DISTINCT FROM "
            "f._load_id AND r._source_file IS NOT DISTINCT FROM f._source_file")
        con.execute(history_table_ddl(contract))
    con.execute("ALTER TABLE raw.load_audit ADD COLUMN extracted_at TIMESTAMP")
    files = " UNION ALL ".join(
        f"SELECT _load_id, _source_file, max({EXTRACTED_AT}) AS e FROM raw.{c.name} "
        "GROUP BY ALL" for c in CONTRACTS.values())
    con.execute(f"UPDATE raw.load_audit AS a SET extracted_at = f.e FROM ({files}) AS f "
                "WHERE a.load_id = f._load_id AND a.file_name = f._source_file")


def _pending_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: rows of a child contract waiting for their parent record have a table
    (raw.<contract>__pending) and the audit counts them (``rows_pending``; 0 for every
    earlier file, which rejected such rows instead)."""
    for contract in CONTRACTS.values():
        if contract.parent is not None:
            con.execute(pending_table_ddl(contract))
    con.execute("ALTER TABLE raw.load_audit ADD COLUMN rows_pending BIGINT")
    con.execute("UPDATE raw.load_audit SET rows_pending = 0")


def _rebuild(con: duckdb.DuckDBPyConnection, table: str, ddl: str) -> None:
    """Recreate raw.<table> by ``ddl`` (the current columns, in contract order) keeping
    every row, matched by column name; a column the old table lacks is NULL."""
    con.execute(f"ALTER TABLE raw.{table} RENAME TO {table}__old")
    con.execute(ddl)
    con.execute(f"INSERT INTO raw.{table} BY NAME SELECT * FROM raw.{table}__old")
    con.execute(f"DROP TABLE raw.{table}__old")


def _rebuild_contract(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Rebuild a contract's raw, rejected and history tables as the contract has them now."""
    for table, ddl in ((contract.name, raw_table_ddl(contract)),
                       (f"{contract.name}__rejected", rejected_table_ddl(contract)),
                       (f"{contract.name}__history", history_table_ddl(contract))):
        _rebuild(con, table, ddl)


def _event_seq(con: duckdb.DuckDBPyConnection) -> None:
    """Version 4: ``ticket_events.event_seq``, the source's order of a ticket's events
    (part of the key; empty on every row loaded before, as in a file without it). The
    tables are rebuilt so the column sits where the contract puts it."""
    _rebuild_contract(con, CONTRACTS["ticket_events"])


def _portfolio_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    """Version 5: the versions of the Smart City portfolio each load delivers are kept
    (raw.sc_projects__snapshots, :mod:`warehouse.snapshots`), filled with every version
    raw already held."""
    keep_all_versions(con)


def _submissions_register(con: duckdb.DuckDBPyConnection) -> None:
    """Version 6: submissions become the register of citizens' reports from every
    channel: the channel takes phone, walk_in, letter, staff and other besides DK-03's
    electronic ones (stored as the same text: nothing to convert), and a report taken by
    phone carries the ``call_id`` of the KCK call it came from (optional: NULL on every
    row kept)."""
    _rebuild_contract(con, CONTRACTS["submissions"])


def _kept_unmapped(con: duckdb.DuckDBPyConnection) -> None:
    """Version 7: a file's audit row (``raw.load_audit.unmapped``) and its waiting rows
    (``raw.<contract>__pending._unmapped``) name the reference kinds whose unknown codes
    its reader kept unmapped, so a release keeps them too and the raw suites accept them;
    empty for everything loaded before (``cityops load`` keeps none)."""
    # (version 3 creates the pending tables as the contract has them now: with the column)
    con.execute("ALTER TABLE raw.load_audit ADD COLUMN IF NOT EXISTS unmapped VARCHAR")
    con.execute("UPDATE raw.load_audit SET unmapped = '' WHERE unmapped IS NULL")
    for contract in CONTRACTS.values():
        if contract.parent is not None:
            table = f"raw.{contract.name}__pending"
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS _unmapped VARCHAR")
            con.execute(f"UPDATE {table} SET _unmapped = '' WHERE _unmapped IS NULL")


def _working_calendars(con: duckdb.DuckDBPyConnection) -> None:
    """Version 8: working calendars per source. A ticket names the calendar of its
    business clock (``tickets.calendar_code``; NULL on every row kept = UMK, the only
    calendar there was), the calendars an import declares are kept in
    raw.working_calendars, and each public holiday says its country (``country_code``:
    'PL' for every holiday held, the only country written before)."""
    _rebuild_contract(con, CONTRACTS["tickets"])
    con.execute(WORKING_CALENDARS_DDL)
    con.execute(HOLIDAYS_DDL)  # (a raw layer written without a build has none yet)
    con.execute("ALTER TABLE raw.public_holidays ADD COLUMN IF NOT EXISTS country_code VARCHAR")
    con.execute("UPDATE raw.public_holidays SET country_code = 'PL' WHERE country_code IS NULL")


# version -> (what it changes, the step from version - 1); in order, without gaps
MIGRATIONS: dict[int, tuple[str, Migration]] = {
    2: ("extraction times (_extracted_at, raw.load_audit.extracted_at) and history tables",
        _extraction_times),
    3: ("rows waiting for their parent record (raw.<contract>__pending, "
        "raw.load_audit.rows_pending)", _pending_rows),
    4: ("ticket_events.event_seq: the source's order of a ticket's events, part of the key",
        _event_seq),
    5: ("the Smart City portfolio's versions each load delivered "
        "(raw.sc_projects__snapshots)", _portfolio_snapshots),
    6: ("submissions from every channel: channel phone, walk_in, letter, staff, other; "
        "call_id", _submissions_register),
    7: ("the codes a reader kept unmapped, per file (raw.load_audit.unmapped) and waiting "
        "row (raw.<contract>__pending._unmapped)", _kept_unmapped),
    8: ("working calendars per source: tickets.calendar_code, raw.working_calendars, "
        "raw.public_holidays.country_code", _working_calendars),
}

SCHEMA_VERSION = 1 + len(MIGRATIONS)
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))


def _create_current(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw table at the current version (CREATE … IF NOT EXISTS): the contracts and
    their rejects, the load audit, the build log, the holiday calendar, the working
    calendars, the portfolio's snapshots."""
    for contract in CONTRACTS.values():
        con.execute(raw_table_ddl(contract))
        con.execute(rejected_table_ddl(contract))
        con.execute(history_table_ddl(contract))
        if contract.parent is not None:
            con.execute(pending_table_ddl(contract))
    for ddl in (LOAD_AUDIT_DDL, BUILD_LOG_DDL, HOLIDAYS_DDL, WORKING_CALENDARS_DDL,
                snapshots_table_ddl()):
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
    reached = version
    for target in sorted(v for v in MIGRATIONS if v > version):
        description, step = MIGRATIONS[target]
        step(con)
        con.execute(f"INSERT INTO raw.schema_version VALUES (?, ?, {stamp})",
                    [target, description])
        done.append(f"raw schema {reached} → {target}: {description}")
        reached = target
    _create_current(con)  # tables of contracts no migration had to touch
    return done
