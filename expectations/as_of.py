"""The build's ``as_of`` and the raw rows known at it, as staging sees them.

``cityops build --as-of T`` builds the warehouse as known at T: dbt staging keeps, per raw
table, the latest version of each key (``qualify row_number() … = 1`` on the contract key)
and then only the rows that had happened by T (``dbt/macros/as_of.sql``,
``dbt/DECISIONS.md`` § 8).  Relations that compare marts with raw must count the same
rows, so this module is the one place that knows those rules:

* :data:`AS_OF` — the as_of of the current build (``raw.build_log``, latest build; every
  build writes its row inside the copy it swaps in, so the row belongs to these marts);
* :func:`known` — a subquery of a raw table as staging keeps it at :data:`AS_OF`;
* :func:`unreviewed_at_as_of` — service cards staging shows with no review.

The key and the known-at rule of each table come from its contract
(:mod:`warehouse.contracts`), the same facts the staging models read from dbt's sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.contracts import CONTRACTS

BUILD_LOG = "raw.build_log"
AS_OF = f"(select as_of from {BUILD_LOG} order by built_at desc limit 1)"


@dataclass(frozen=True)
class KnownRule:
    key: tuple[str, ...]  # staging's deduplication key (latest _load_id, _source_row wins)
    known_at: str | None  # the moment a row becomes known; None: every row is known


KNOWN_AT: dict[str, KnownRule] = {
    name: KnownRule(contract.key, contract.known_at) for name, contract in CONTRACTS.items()
}


def known(table: str) -> str:
    """``(select … ) as <table>``: raw.<table> deduplicated and cut at the build's as_of,
    exactly as its staging model does (later timestamps on kept rows are not blanked here;
    see the staging models for those columns)."""
    rule = KNOWN_AT[table]
    keys = ", ".join(rule.key)
    latest = (f"select * from raw.{table} qualify row_number() over "
              f"(partition by {keys} order by _load_id desc, _source_row desc) = 1")
    where = f" where {rule.known_at} <= {AS_OF}" if rule.known_at else ""
    return f"(select * from ({latest}){where}) as {table}"


def unreviewed_at_as_of() -> str:
    """Scalar SQL: service cards with no review known at as_of — their latest review is
    after it (staging blanks ``last_reviewed_at``) or missing."""
    return (f"select count(*) from {known('service_cards')} "
            f"where not coalesce(last_reviewed_at <= {AS_OF}, false)")
