"""Polish public holidays for the working calendar, written into ``raw.public_holidays``.

dbt's ``int_working_periods`` (one row per working day, 07:30–15:30 local) excludes these
days.  The ``holidays`` package knows the Polish calendar, including 24 December as a
public holiday from 2025 on (the 2024 amendment of the Act on public holidays); the
function still checks that fact and adds the day itself if an older package lacks it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import holidays

from warehouse.contracts import event_moments
from warehouse.migrations import HOLIDAYS_DDL

CHRISTMAS_EVE_FROM = 2025

# (table, column) pairs whose timestamps / dates bound the years the data spans: the
# events (the business clock measures nothing else; a plan may lie years ahead)
DATED_COLUMNS: tuple[tuple[str, str], ...] = event_moments()



def polish_holidays(years: range) -> list[tuple[date, str]]:
    """Polish public holidays for ``years``, sorted; 24 December from 2025 guaranteed."""
    days: dict[date, str] = dict(holidays.Poland(years=list(years)).items())
    for year in years:
        eve = date(year, 12, 24)
        if year >= CHRISTMAS_EVE_FROM and eve not in days:
            days[eve] = "Wigilia Bożego Narodzenia"
    return sorted(days.items())


def data_years(con: duckdb.DuckDBPyConnection, extra: list[date] | None = None) -> range:
    """Years spanned by the raw data (plus ``extra`` dates), widened by one year each side.

    With no data at all, the current year ±1 is used so the calendar is never empty.
    """
    parts = [
        # year(min()) rather than min(year()): DuckDB answers min/max from its statistics
        f"select year(min({col})) as lo, year(max({col})) as hi from raw.{table}"
        for table, col in DATED_COLUMNS
    ]
    lo, hi = con.execute(
        "select min(lo), max(hi) from (" + " union all ".join(parts) + ")"
    ).fetchone()
    years = [y for y in (lo, hi) if y is not None] + [d.year for d in extra or []]
    if not years:
        years = [date.today().year]
    return range(min(years) - 1, max(years) + 2)


def write_public_holidays(con: duckdb.DuckDBPyConnection, years: range,
                          force: bool = False) -> bool:
    """Make raw.public_holidays the holidays of ``years``; True when it was rewritten.

    Left alone when it already holds exactly those years (every daily build but the first
    of a new year; the `holidays` package takes ~0.4 s to start) unless ``force`` (a full
    refresh, e.g. after upgrading the package)."""
    con.execute(HOLIDAYS_DDL)
    held = {y for (y,) in con.execute(
        "SELECT DISTINCT year(holiday_date) FROM raw.public_holidays").fetchall()}
    if not force and held == set(years):
        return False
    rows = polish_holidays(years)
    con.execute("DELETE FROM raw.public_holidays")
    con.execute("INSERT INTO raw.public_holidays SELECT unnest($dates), unnest($names)",
                {"dates": [d for d, _ in rows], "names": [n for _, n in rows]})
    return True
