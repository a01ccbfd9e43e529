"""Freshness against the build's as_of: one suite per source whose rows happen in time.

``freshness.<contract>`` is a one-row frame computed by DuckDB: the build's as_of
(``marts.build_info``), the newest row of ``raw.<contract>`` known at it
(``Contract.known_at``; a build at an earlier ``--as-of`` cuts raw there, so the lag is
never negative) and its lag in days, which must be at most the contract's
``freshness_days`` (``warehouse/contracts.py``; ``marts.source_freshness`` applies the same
number for the overview and the monthly pack). A
source that was loaded and then stopped arriving fails here; one never loaded is skipped
("not loaded", :mod:`expectations.runner`). Catalogues and snapshots (services, service
cards, Smart City) have no known-at moment and no freshness.
"""

from __future__ import annotations

from warehouse.contracts import CONTRACTS

from .as_of import AS_OF, BUILD_INFO, known_at
from .spec import Suite, between, not_null


def freshness_suite(table: str) -> Suite:
    days = CONTRACTS[table].freshness_days
    moment = known_at(table)
    assert moment is not None, table
    sql = (f"select {AS_OF} as as_of_at, max({moment}) as newest_known_at, "
           f"date_diff('day', max({moment}), {AS_OF}) as lag_days "
           f"from raw.{table} where {moment} <= {AS_OF}")
    return Suite(
        name=f"freshness.{table}",
        sql=sql,
        expectations=(not_null("as_of_at"), not_null("lag_days"),
                      between("lag_days", 0, days)),
        description=f"the newest raw.{table} row known at the build's as_of is at most "
                    f"{days} days older than it",
        requires=(BUILD_INFO, f"raw.{table}"),
        source=table,
    )


def freshness_suites() -> list[Suite]:
    return [freshness_suite(name) for name, contract in CONTRACTS.items() if contract.known_at]
