"""Suites for the raw layer, derived from the source contracts (warehouse/contracts.py).

One suite per contract table ``raw.<contract>``: required columns not null, allowed sets,
ranges, text lengths, the natural key unique, the order rules (a later timestamp never
before an earlier one), foreign keys into the seeds (units, topics, portal areas) and into
other raw tables (services, tickets, projects), PII stored only as a 32-hex keyed hash —
plus ``raw.load_audit`` (rows_read = rows_loaded + rows_rejected).

The loader already refuses rows that break these rules; the suites prove that what reached
the warehouse obeys them (a loader bug, a hand edit, an old file all show up here).
"""

from __future__ import annotations

from warehouse import reference
from warehouse.contracts import (
    CONTRACTS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TICKETS,
    REF_TOPICS,
    REF_UNITS,
    Contract,
)

from .spec import (
    Expectation,
    Suite,
    between,
    in_set,
    matches,
    max_length,
    not_before,
    not_null,
    row_count_between,
    unique,
)

PII_HASH_REGEX = r"^[0-9a-f]{32}$"  # warehouse/pii.py: HMAC-SHA256, first 32 hex chars

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


def contract_suite(contract: Contract) -> Suite:
    exps: list[Expectation] = []
    for col in contract.columns:
        name = col.stored_name
        if col.required:
            exps.append(not_null(name))
        if col.allowed is not None:
            exps.append(in_set(name, set(col.allowed)))
        if col.min is not None or col.max is not None:
            exps.append(between(name, col.min, col.max))
        if col.max_chars is not None and not col.pii:
            exps.append(max_length(name, col.max_chars))
        if col.pii:
            exps.append(matches(name, PII_HASH_REGEX))
        if col.ref in (REF_UNITS, REF_TOPICS, REF_PORTAL_AREAS):
            exps.append(in_set(name, _seed_codes(col.ref)))
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
    )


def raw_reference_suite() -> Suite:
    """Foreign keys between raw tables, as orphan counts that must be 0."""
    selects: list[str] = []
    exps: list[Expectation] = []
    for contract in CONTRACTS.values():
        for col in contract.columns:
            if col.ref not in _RAW_REFS:
                continue
            parent, parent_col = _RAW_REFS[col.ref]
            alias = f"orphan_{contract.name}__{col.name}"
            selects.append(
                f"(select count(*) from raw.{contract.name} c where c.{col.name} is not null "
                f"and not exists (select 1 from {parent} p where p.{parent_col} = c.{col.name}))"
                f" as {alias}"
            )
            exps.append(between(alias, 0, 0))
    return Suite(
        name="raw.references",
        sql="select " + ",\n  ".join(selects),
        expectations=tuple(exps),
        description="Every service, ticket and project a raw row names exists in raw.",
        requires=tuple(f"raw.{c}" for c in CONTRACTS),
    )


def load_audit_suite() -> Suite:
    return Suite(
        name="raw.load_audit",
        sql="select load_id, contract, file_name, status, "
        "rows_read - rows_loaded - rows_rejected as rows_unaccounted, "
        "rows_read, rows_loaded, rows_rejected from raw.load_audit",
        expectations=(
            not_null("load_id"),
            not_null("file_name"),
            between("rows_unaccounted", 0, 0),
            between("rows_read", 0),
            between("rows_loaded", 0),
            between("rows_rejected", 0),
        ),
        description="Every file loaded: rows_read = rows_loaded + rows_rejected.",
        requires=("raw.load_audit",),
    )


def raw_suites() -> list[Suite]:
    return [contract_suite(c) for c in CONTRACTS.values()] + [
        raw_reference_suite(),
        load_audit_suite(),
    ]
