"""Suites for the raw layer, derived from the source contracts (warehouse/contracts.py).

One suite per contract table ``raw.<contract>``: required columns not null, the column
types, allowed sets, ranges, text lengths, the natural key unique, the order rules (a later
timestamp never before an earlier one), foreign keys into the seeds (units, topics, portal
areas) and into other raw tables (services, tickets, projects, working calendars: an anti
join, GX's UnexpectedRowsExpectation), PII stored only as a 32-hex keyed hash, at least one row; for
a contract with PII also ``raw.<contract>__rejected`` (the rejected rows keep their text,
but PII only hashed); and ``raw.load_audit`` (rows_read = rows_loaded + rows_rejected +
rows_pending).

The loader already refuses rows that break these rules; the suites prove that what reached
the warehouse obeys them (a loader bug, a hand edit, an old file all show up here).
"""

from __future__ import annotations

from warehouse import reference
from warehouse.contracts import (
    CONTRACTS,
    DEFAULT_CALENDAR,
    REF_CALENDARS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TICKETS,
    REF_TOPICS,
    REF_UNITS,
    Contract,
)
from warehouse.loading.core import UNMAPPABLE

from .spec import (
    Expectation,
    Suite,
    between,
    in_set,
    matches,
    max_length,
    not_before,
    not_null,
    of_type,
    row_count_between,
    unexpected_rows,
    unique,
)

PII_HASH_REGEX = r"^[0-9a-f]{32}$"  # warehouse/pii.py: HMAC-SHA256, first 32 hex chars

# The type GX reports for a raw column of each logical type: the SQLAlchemy type that
# duckdb-engine reflects for its DuckDB type (contracts.DUCKDB_TYPES); GX compares it by name
# with SQLAlchemy's top-level types, as it does for a dialect it does not know.
SQL_TYPE_NAMES: dict[str, str] = {
    "str": "String",  # VARCHAR
    "int": "BigInteger",  # BIGINT
    "float": "FLOAT",  # DOUBLE
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}

# foreign keys into other raw tables: (table, column)
_RAW_REFS: dict[str, tuple[str, str]] = {
    REF_SERVICES: ("raw.it_services", "service_code"),
    REF_TICKETS: ("raw.tickets", "ticket_id"),
    REF_PROJECTS: ("raw.sc_projects", "project_id"),
}


def _seed_codes(ref: str) -> set[str]:
    return {
        REF_UNITS: reference.unit_codes,
        REF_TOPICS: reference.topic_codes,
        REF_PORTAL_AREAS: reference.portal_area_codes,
    }[ref]()


_UNLESS = ", unless its file's reader kept unknown codes unmapped"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _kept_unmapped_files(contract: Contract, ref: str) -> str:
    """SQL: an anti join of a raw row ``c`` against the files whose reader kept unknown
    ``ref`` codes unmapped (raw.load_audit.unmapped; an importer without a mapping does)."""
    return (" anti join (select load_id, file_name from raw.load_audit "
            f"where contract = '{contract.name}' "
            f"and list_contains(string_split(unmapped, ','), '{ref}')) k "
            "on k.load_id = c._load_id and k.file_name = c._source_file")


def contract_suite(contract: Contract) -> Suite:
    exps: list[Expectation] = []
    for col in contract.columns:
        name = col.stored_name
        if col.required:
            exps.append(not_null(name))
        exps.append(of_type(name, SQL_TYPE_NAMES[col.type]))
        if col.allowed is not None:
            exps.append(in_set(name, set(col.allowed)))
        if col.min is not None or col.max is not None:
            exps.append(between(name, col.min, col.max))
        if col.max_chars is not None and not col.pii:
            exps.append(max_length(name, col.max_chars))
        if col.pii:
            exps.append(matches(name, PII_HASH_REGEX))
        # an unknown unit, service or topic code is an error, unless its file's reader
        # kept such codes unmapped (the marts label them)
        # (GX leaves the aliasing of {batch} to a query with a join)
        kept = _kept_unmapped_files(contract, col.ref) if col.ref in UNMAPPABLE else ""
        unless = _UNLESS if kept else ""
        if col.ref in (REF_UNITS, REF_TOPICS, REF_PORTAL_AREAS):
            codes = sorted(_seed_codes(col.ref))
            exps.append(unexpected_rows(
                f'select c."{name}" from {{batch}} c{kept} where c."{name}" not in '
                f'({", ".join(_sql_text(code) for code in codes)})',
                name, f"a code of seeds/{col.ref}.csv{unless}")
                if kept else in_set(name, set(codes)))
        if col.ref == REF_CALENDARS:  # UMK, the default, is no row of the table
            exps.append(unexpected_rows(
                f'select c."{name}" from {{batch}} c anti join raw.working_calendars p '
                f'on p.calendar_code = c."{name}" where c."{name}" is not null '
                f"and c.\"{name}\" <> '{DEFAULT_CALENDAR}'",
                name, f"{DEFAULT_CALENDAR} or a calendar of raw.working_calendars"))
        if col.ref in _RAW_REFS:
            parent, parent_col = _RAW_REFS[col.ref]
            exps.append(unexpected_rows(
                f'select c."{name}" from {{batch}} c anti join {parent} p '
                f'on p."{parent_col}" = c."{name}"{kept} where c."{name}" is not null',
                name, f"foreign key into {parent}.{parent_col}{unless}"))
    exps.append(unique(*contract.key))
    for later, earlier in contract.order_rules:
        exps.append(not_before(later, earlier))
    exps.append(not_null("_load_id"))
    exps.append(row_count_between(1))
    return Suite(
        name=f"raw.{contract.name}",
        table=f"raw.{contract.name}",
        expectations=tuple(exps),
        description=contract.description,
        source=contract.name,
    )


def rejected_suite(contract: Contract) -> Suite | None:
    """``raw.<contract>__rejected`` of a contract with PII: the original text of each
    rejected row is kept (to fix and resend), its PII only as the keyed hash; every row
    says why it was rejected. None for a contract without PII."""
    pii = [c.stored_name for c in contract.columns if c.pii]
    if not pii:
        return None
    return Suite(
        name=f"raw.{contract.name}__rejected",
        table=f"raw.{contract.name}__rejected",
        expectations=(*(matches(c, PII_HASH_REGEX) for c in pii), not_null("reject_reason"),
                      not_null("_load_id")),
        description=f"Rejected rows of {contract.name}: PII only as a 32-hex keyed hash.",
        source=contract.name,
    )


def load_audit_suite() -> Suite:
    return Suite(
        name="raw.load_audit",
        sql="select load_id, contract, file_name, status, "
        "rows_read - rows_loaded - rows_rejected - rows_pending as rows_unaccounted, "
        "rows_read, rows_loaded, rows_rejected, rows_pending from raw.load_audit",
        expectations=(
            not_null("load_id"),
            not_null("file_name"),
            between("rows_unaccounted", 0, 0),
            between("rows_read", 0),
            between("rows_loaded", 0),
            between("rows_rejected", 0),
            between("rows_pending", 0),
        ),
        description="Every file loaded: rows_read = rows_loaded + rows_rejected + "
                    "rows_pending.",
        requires=("raw.load_audit",),
    )


def raw_suites() -> list[Suite]:
    suites: list[Suite] = []
    for contract in CONTRACTS.values():
        suites.append(contract_suite(contract))
        rejected = rejected_suite(contract)
        if rejected is not None:
            suites.append(rejected)
    return [*suites, load_audit_suite()]
