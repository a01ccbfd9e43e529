"""Working calendars: the ones imports declare (``raw.working_calendars``) and the public
holidays of every country they name (``raw.public_holidays``).

A **working calendar** is the business clock of a source: the ISO weekdays it works, its
day start and end — the *source's own* local wall clock, in its time zone (the mapping's
or profile's ``timezone``), so 08:00–18:00 in São Paulo is 11:00–21:00 in Kraków in
January and 13:00–23:00 in July, as the two summer times move — and the country whose
public holidays it does not work (a code the ``holidays`` package knows; none = no
holidays). ``UMK`` is the default and no row of ``raw.working_calendars``: the UMK office
calendar of dbt_project.yml (Mon–Fri ``office_day_start``–``office_day_end``
Europe/Warsaw, Polish holidays), the calendar of every ticket whose ``calendar_code`` is
empty. dbt's ``int_working_periods``
makes one period per working day of each calendar; dbt/DECISIONS.md § 2.

The ``holidays`` package knows the Polish calendar, including 24 December as a public
holiday from 2025 on (the 2024 amendment of the Act on public holidays); the function
still checks that fact and adds the day itself if an older package lacks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import duckdb

from warehouse.contracts import DEFAULT_CALENDAR, DEFAULT_CALENDAR_HOLIDAYS, event_moments
from warehouse.migrations import HOLIDAYS_DDL, WORKING_CALENDARS_DDL

CHRISTMAS_EVE_FROM = 2025
UMK_HOLIDAYS = DEFAULT_CALENDAR_HOLIDAYS  # always written

# (table, column) pairs whose timestamps / dates bound the years the data spans: the
# events (the business clock measures nothing else; a plan may lie years ahead)
DATED_COLUMNS: tuple[tuple[str, str], ...] = event_moments()

CALENDAR_KEYS = ("code", "weekdays", "day_start", "day_end", "holidays", "timezone")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_TIME = re.compile(r"^([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(ValueError):
    """A [calendar] that cannot be used; the message names where and which key."""


@dataclass(frozen=True)
class WorkingCalendar:
    """One source's business clock. ``day_start`` / ``day_end`` are ``HH:MM:SS`` of the
    source's local wall clock in ``timezone`` (``day_end`` may be ``24:00:00``, the
    midnight that ends the day); ``holidays`` a country code of the ``holidays`` package,
    or None (the calendar knows no holidays)."""

    code: str
    weekdays: tuple[int, ...]  # ISO: 1 = Monday … 7 = Sunday, as declared
    day_start: str
    day_end: str
    timezone: str
    holidays: str | None

    def describe(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[d - 1] for d in self.weekdays)
        return (f"{self.code}: {days} {self.day_start[:5]}–{self.day_end[:5]} "
                f"{self.timezone}, holidays {self.holidays or 'none'}")

    def rows(self) -> list[tuple]:
        """Its rows of raw.working_calendars (without who declared it)."""
        return [(self.code, d, self.day_start, self.day_end, self.timezone, self.holidays)
                for d in sorted(self.weekdays)]


def _time(value: Any, where: str, key: str) -> tuple[str, int]:
    match = _TIME.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise CalendarError(f"{where}: {key} = {value!r} is not a time \"HH:MM\"")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    seconds = h * 3600 + m * 60 + s
    if m > 59 or s > 59 or seconds > 24 * 3600:
        raise CalendarError(f"{where}: {key} = {value!r} is not a time of day "
                            "(00:00 … 24:00)")
    return f"{h:02d}:{m:02d}:{s:02d}", seconds


def holiday_countries() -> frozenset[str]:
    """The country codes the installed ``holidays`` package knows."""
    import holidays  # ~0.4 s to start: only when a calendar names a country

    return frozenset(holidays.list_supported_countries())


def parse_calendar(table: Any, where: str, timezone: str) -> WorkingCalendar | None:
    """A profile's or mapping's ``[calendar]``, checked; None for UMK (``code = "UMK"``
    alone, the default). ``timezone``: the source's (the calendar's hours are its wall
    clock) unless the table names another."""
    if not isinstance(table, dict):
        raise CalendarError(f"{where}: [calendar] is a table (code, weekdays, day_start, "
                            "day_end, holidays)")
    unknown = sorted(set(table) - set(CALENDAR_KEYS))
    if unknown:
        raise CalendarError(f"{where}: unknown key(s) {unknown} (the keys: "
                            f"{', '.join(CALENDAR_KEYS)})")
    code = table.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise CalendarError(f"{where}: code = {code!r}: a calendar needs a code of letters, "
                            "digits, '.', '_' or '-' (at most 40), e.g. \"IL-SUN-THU\"")
    if code == DEFAULT_CALENDAR:
        if set(table) != {"code"}:
            raise CalendarError(
                f"{where}: {DEFAULT_CALENDAR} is the UMK office calendar (Mon–Fri, the "
                "office hours of dbt_project.yml, Polish holidays) and cannot be redefined: "
                "give your calendar another code, or write code = \"UMK\" alone")
        return None
    missing = [k for k in ("weekdays", "day_start", "day_end", "holidays") if k not in table]
    if missing:
        raise CalendarError(f"{where}: calendar {code} lacks {', '.join(missing)} "
                            "(holidays = \"\" for none)")
    days = table["weekdays"]
    if (not isinstance(days, list) or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7
                       for d in days) or len(set(days)) != len(days)):
        raise CalendarError(f"{where}: weekdays = {days!r}: a list of distinct ISO weekdays, "
                            "1 = Monday … 7 = Sunday (e.g. [7, 1, 2, 3, 4] for Sunday–Thursday)")
    start, start_s = _time(table["day_start"], where, "day_start")
    end, end_s = _time(table["day_end"], where, "day_end")
    if end_s <= start_s:
        raise CalendarError(f"{where}: day_end {table['day_end']} is not after day_start "
                            f"{table['day_start']} (a working day lies within one local day; "
                            "24:00 ends it at midnight)")
    zone = table.get("timezone", timezone)
    try:
        if zone not in available_timezones():
            raise ZoneInfoNotFoundError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarError(f"{where}: timezone = {zone!r} is not an IANA time zone "
                            "(e.g. \"Asia/Jerusalem\")") from None
    country = table["holidays"]
    if not isinstance(country, str):
        raise CalendarError(f"{where}: holidays = {country!r}: a country code (\"IL\") or "
                            "\"\" for none")
    country = country.strip().upper() or None
    if country is not None and country not in holiday_countries():
        raise CalendarError(f"{where}: holidays = {table['holidays']!r} is not a country the "
                            "holidays package knows (ISO 3166-1 alpha-2, e.g. \"IL\", \"BR\"; "
                            "\"\" for none)")
    return WorkingCalendar(code, tuple(days), start, end, zone, country)


def declared_calendar(con: duckdb.DuckDBPyConnection, code: str) -> list[tuple]:
    """The rows raw.working_calendars holds for ``code`` (as :meth:`WorkingCalendar.rows`)."""
    # as text: a Python time cannot be 24:00:00
    return [tuple(row) for row in con.execute(
        "SELECT calendar_code, iso_weekday, CAST(day_start AS VARCHAR), "
        "CAST(day_end AS VARCHAR), timezone, holiday_country FROM raw.working_calendars "
        "WHERE calendar_code = ? ORDER BY iso_weekday", [code]).fetchall()]


def declare_calendar(con: duckdb.DuckDBPyConnection, calendar: WorkingCalendar,
                     declared_in: str, load_id: str) -> bool:
    """Make raw.working_calendars hold ``calendar`` — the newest declaration of a code
    wins; True when its definition changed (a new code, or other days, hours, zone or
    holidays: the build then recomputes the tickets on it). A definition declared again
    unchanged keeps its row."""
    con.execute(WORKING_CALENDARS_DDL)
    held = declared_calendar(con, calendar.code)
    if held == calendar.rows():
        return False
    con.execute("DELETE FROM raw.working_calendars WHERE calendar_code = ?", [calendar.code])
    now = datetime.now()
    con.executemany("INSERT INTO raw.working_calendars VALUES (?, ?, CAST(? AS TIME), "
                    "CAST(? AS TIME), ?, ?, ?, ?, ?)",
                    [[*row, declared_in, now, load_id] for row in calendar.rows()])
    return True


def polish_holidays(years: range) -> list[tuple[date, str]]:
    """Polish public holidays for ``years``, sorted; 24 December from 2025 guaranteed."""
    import holidays

    days: dict[date, str] = dict(holidays.Poland(years=list(years)).items())
    for year in years:
        eve = date(year, 12, 24)
        if year >= CHRISTMAS_EVE_FROM and eve not in days:
            days[eve] = "Wigilia Bożego Narodzenia"
    return sorted(days.items())


def country_holidays(country: str, years: range) -> list[tuple[date, str]]:
    """The public holidays of ``country`` for ``years``, sorted (Poland's by
    :func:`polish_holidays`)."""
    if country == UMK_HOLIDAYS:
        return polish_holidays(years)
    import holidays

    return sorted(holidays.country_holidays(country, years=list(years)).items())


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


def calendar_countries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The countries whose holidays the calendars need: Poland (UMK's) and every country a
    declared calendar names."""
    con.execute(WORKING_CALENDARS_DDL)
    named = {c for (c,) in con.execute(
        "SELECT DISTINCT holiday_country FROM raw.working_calendars "
        "WHERE holiday_country IS NOT NULL").fetchall()}
    return sorted(named | {UMK_HOLIDAYS})


def write_public_holidays(con: duckdb.DuckDBPyConnection, years: range,
                          force: bool = False) -> bool:
    """Make raw.public_holidays the holidays of ``years`` in every country a calendar
    needs (:func:`calendar_countries`); True when it was rewritten.

    Left alone when it already holds exactly those years of those countries (every daily
    build but the first of a new year or after a calendar naming a new country; the
    `holidays` package takes ~0.4 s to start) unless ``force`` (a full refresh, e.g. after
    upgrading the package)."""
    con.execute(HOLIDAYS_DDL)
    countries = calendar_countries(con)
    held = set(con.execute(
        "SELECT DISTINCT country_code, year(holiday_date) FROM raw.public_holidays").fetchall())
    if not force and held == {(c, y) for c in countries for y in years}:
        return False
    rows = [(d, n, c) for c in countries for d, n in country_holidays(c, years)]
    con.execute("DELETE FROM raw.public_holidays")
    con.execute("INSERT INTO raw.public_holidays SELECT unnest($dates), unnest($names), "
                "unnest($countries)", {"dates": [d for d, _, _ in rows],
                                       "names": [n for _, n, _ in rows],
                                       "countries": [c for _, _, c in rows]})
    return True
