"""The moment a build is made as of: ``--as-of`` read, or the default taken from the data.

``as_of`` builds the warehouse as it was known at that moment: staging leaves out what
happened after it (``dbt/macros/as_of.sql``) and every time-dependent column (age, open,
overdue) is computed at it. A date means the end of that day (23:59:59 local), a timestamp
is taken as it is, and the default is the latest event timestamp in the raw data (the
contracts' event timestamps), so the same data always gives the same marts. The default is
never taken from the clock: a warehouse with no dated rows cannot be built without
``--as-of``. An implausible timestamp (in the future or before its contract's floor) never
reaches raw — the loader rejects it — so it cannot move the default either.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from warehouse.build.errors import BuildFailed
from warehouse.contracts import event_timestamps

NO_DATED_ROWS = ("the warehouse has no dated rows (no event timestamp in raw.*) to take the "
                 "default as_of from, and it is never taken from the clock: load extracts "
                 "first, or pass --as-of YYYY-MM-DD")

# Raw timestamps whose maximum is the default as_of (the latest moment the data knows).
AS_OF_COLUMNS: tuple[tuple[str, str], ...] = event_timestamps()


def normalise_as_of(as_of: str | date | datetime | None) -> str | None:
    """'YYYY-MM-DD HH:MM:SS' local; a bare date means the end of that day."""
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        return as_of.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(as_of, date):
        return f"{as_of.isoformat()} 23:59:59"
    text = str(as_of).strip()
    try:
        return f"{date.fromisoformat(text).isoformat()} 23:59:59"
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise BuildFailed(
            f"--as-of {text!r} is neither a date (YYYY-MM-DD) nor a timestamp "
            f"(YYYY-MM-DD HH:MM[:SS])."
        ) from exc


def default_as_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest event timestamp anywhere in the raw data, or None when raw is empty."""
    parts = [f"select max({col}) as m from raw.{table}" for table, col in AS_OF_COLUMNS]
    (latest,) = con.execute(
        "select max(m) from (" + " union all ".join(parts) + ")"
    ).fetchone()
    return latest.strftime("%Y-%m-%d %H:%M:%S") if latest is not None else None
