"""The build's ``as_of`` and the raw rows known at it, for the freshness suites.

``cityops build --as-of T`` builds the warehouse as known at T: dbt staging leaves out,
per raw table, the rows that had not happened by T (``dbt/macros/as_of.sql``,
``dbt/DECISIONS.md`` § 8).  Freshness is the age of the newest row known at T, so this
module is the one place the checks learn those rules:

* :data:`AS_OF` — the as_of of the current build, from ``marts.build_info`` (the one-row
  mart every reader uses; each build writes it inside the copy it swaps in, so it belongs
  to these marts);
* :func:`known_at` — the moment a row of a raw table becomes known (``Contract.known_at``
  in :mod:`warehouse.contracts`, the same SQL dbt's staging models read from their
  sources), or None for a catalogue, whose rows are all known when loaded.

No deduplication is needed for the newest row: the loader keeps one row per contract key
(a newer extract replaces the older row; the raw suites check the key is unique).
"""

from __future__ import annotations

from warehouse.contracts import CONTRACTS

BUILD_INFO = "marts.build_info"
AS_OF = f"(select as_of_at from {BUILD_INFO})"


def known_at(table: str) -> str | None:
    """SQL over raw.<table>'s columns: when a row becomes known; None: always known."""
    return CONTRACTS[table].known_at
