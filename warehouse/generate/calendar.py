"""The working calendar the generator shapes its data on.

Time is handled as **naive local wall-clock seconds** (``int64`` seconds since
1970-01-01 00:00 read as Europe/Warsaw wall clock), because every contract carries local
wall-clock timestamps (docs/CONTRACTS.md) and office hours are wall-clock hours.  The only place
where the real clock matters is the spring DST gap: wall-clock times between 02:00 and
03:00 on the last Sunday of March do not exist, so :func:`fix_dst_gap` moves them one hour
on (as a real clock would show them).  Times in the repeated autumn hour are left as they
are; the warehouse resolves them when it turns wall clock into instants.

Assumptions (UMK, ordinances 002/004; calibration in the README, "Sample data"):
- office hours Mon–Fri 07:30–15:30, none on Polish public holidays (``holidays`` package,
  which knows 24 December is a holiday from 2025 on);
- the KCK infoline answers Mon–Fri about 07:40–15:30 (local press), not on holidays;
- local-tax instalments fall due on 15 March, 15 May, 15 September and 15 November; a
  deadline on a weekend or holiday moves to the next working day (Ordynacja podatkowa
  art. 12 § 5), so the peak of calls comes in the working days just before it;
- election days of the period (national and local) drive the elections topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import holidays
import numpy as np

DAY = 86_400
HOUR = 3_600
MINUTE = 60

OFFICE_OPEN = 7 * HOUR + 30 * MINUTE  # 07:30
OFFICE_CLOSE = 15 * HOUR + 30 * MINUTE  # 15:30
OFFICE_MINUTES = (OFFICE_CLOSE - OFFICE_OPEN) // MINUTE  # 480 business minutes a day
INFOLINE_OPEN = 7 * HOUR + 40 * MINUTE  # 07:40
INFOLINE_CLOSE = OFFICE_CLOSE

#: Polish elections 2019–2025 (PKW).  Dates after 2025 are not yet set and are left out.
ELECTION_DAYS: tuple[date, ...] = (
    date(2019, 5, 26),  # European Parliament
    date(2019, 10, 13),  # Sejm and Senate
    date(2020, 6, 28),  # presidential, round 1
    date(2020, 7, 12),  # presidential, round 2
    date(2023, 10, 15),  # Sejm and Senate (+ referendum)
    date(2024, 4, 7),  # local (city council, district councils, mayor round 1)
    date(2024, 4, 21),  # local, mayor round 2
    date(2024, 6, 9),  # European Parliament
    date(2025, 5, 18),  # presidential, round 1
    date(2025, 6, 1),  # presidential, round 2
)

#: Local-tax instalment deadlines (month, day): property tax and agricultural/forest tax.
TAX_DEADLINES: tuple[tuple[int, int], ...] = ((3, 15), (5, 15), (9, 15), (11, 15))


def epoch_seconds(d: date) -> int:
    """Wall-clock seconds of midnight starting day ``d``."""
    return (d - date(1970, 1, 1)).days * DAY


def default_start(years: int) -> date:
    """1 November 2026 minus ``years`` years: fixed, so a default run never depends on today."""
    return date(2026 - years, 11, 1)


@dataclass(frozen=True)
class Period:
    """The generated period: ``start`` inclusive, ``end`` exclusive (``years`` whole years)."""

    start: date
    years: int

    @property
    def end(self) -> date:
        try:
            return self.start.replace(year=self.start.year + self.years)
        except ValueError:  # 29 February
            return self.start.replace(year=self.start.year + self.years, day=28)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days

    @property
    def start_s(self) -> int:
        return epoch_seconds(self.start)

    @property
    def end_s(self) -> int:
        return epoch_seconds(self.end)

    @cached_property
    def days(self) -> np.ndarray:
        """Day numbers (days since 1970-01-01) of every day of the period."""
        first = (self.start - date(1970, 1, 1)).days
        return np.arange(first, first + self.n_days, dtype=np.int64)

    @cached_property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.n_days)]

    @cached_property
    def weekday(self) -> np.ndarray:
        """0 = Monday … 6 = Sunday."""
        return ((self.days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday

    @cached_property
    def month(self) -> np.ndarray:
        return np.array([d.month for d in self.dates], dtype=np.int64)

    @cached_property
    def day_of_year(self) -> np.ndarray:
        return np.array([d.timetuple().tm_yday for d in self.dates], dtype=np.int64)

    @cached_property
    def holiday_set(self) -> set[date]:
        years = range(self.start.year - 1, self.end.year + 2)
        return set(holidays.country_holidays("PL", years=years).keys())

    @cached_property
    def is_holiday(self) -> np.ndarray:
        return np.array([d in self.holiday_set for d in self.dates], dtype=bool)

    @cached_property
    def is_workday(self) -> np.ndarray:
        return (self.weekday < 5) & ~self.is_holiday

    @cached_property
    def years_since_2025(self) -> np.ndarray:
        """Fractional years since 2025-01-01 per day (the anchor of growth trends)."""
        anchor = (date(2025, 1, 1) - date(1970, 1, 1)).days
        return (self.days - anchor) / 365.25

    def days_before_next(self, targets: list[date]) -> np.ndarray:
        """For each day, calendar days until the next target day (inf when none follows)."""
        t = np.array(sorted((d - date(1970, 1, 1)).days for d in targets), dtype=np.int64)
        if t.size == 0:
            return np.full(self.n_days, np.inf)
        idx = np.searchsorted(t, self.days, side="left")
        out = np.full(self.n_days, np.inf)
        ok = idx < t.size
        out[ok] = t[idx[ok]] - self.days[ok]
        return out

    def tax_deadlines(self) -> list[date]:
        """Instalment deadlines of the period, moved to the next working day when needed."""
        out: list[date] = []
        hol = set(holidays.country_holidays("PL", years=range(self.start.year - 1,
                                                                self.end.year + 2)).keys())
        for y in range(self.start.year - 1, self.end.year + 2):
            for m, d in TAX_DEADLINES:
                day = date(y, m, d)
                while day.weekday() >= 5 or day in hol:
                    day += timedelta(days=1)
                out.append(day)
        return out

    def business_periods(self) -> tuple[np.ndarray, np.ndarray]:
        """(start_s, end_s) of every office-hours period from the period start to 60 days
        beyond its end (work started near the end may finish after it)."""
        extra = 60
        first = self.days[0]
        days = np.arange(first, first + self.n_days + extra, dtype=np.int64)
        wd = (days + 3) % 7
        hol = self.holiday_set
        epoch = date(1970, 1, 1)
        is_hol = np.array([(epoch + timedelta(days=int(x))) in hol for x in days], dtype=bool)
        work = days[(wd < 5) & ~is_hol]
        return work * DAY + OFFICE_OPEN, work * DAY + OFFICE_CLOSE


class BusinessClock:
    """Vectorised arithmetic in office-hours minutes (Mon–Fri 07:30–15:30, no holidays)."""

    def __init__(self, period: Period) -> None:
        self.starts, self.ends = period.business_periods()
        length = self.ends - self.starts
        self.cum_start = np.concatenate([[0], np.cumsum(length)[:-1]])  # business s at start

    def position(self, t: np.ndarray) -> np.ndarray:
        """Business seconds elapsed from the first period start to wall-clock ``t``."""
        i = np.searchsorted(self.starts, t, side="right") - 1
        i = np.clip(i, 0, len(self.starts) - 1)
        inside = np.clip(t - self.starts[i], 0, self.ends[i] - self.starts[i])
        pos = self.cum_start[i] + inside
        return np.where(t < self.starts[0], 0, pos)

    def at(self, pos: np.ndarray) -> np.ndarray:
        """Wall-clock time of business position ``pos`` (start of the next period at a seam)."""
        j = np.searchsorted(self.cum_start, pos, side="right") - 1
        j = np.clip(j, 0, len(self.starts) - 1)
        return self.starts[j] + (pos - self.cum_start[j])

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """``t`` plus ``seconds`` of office time (a start outside hours waits for the next
        opening, so the result always lies within office hours)."""
        return self.at(self.position(t) + np.maximum(seconds, 0).astype(np.int64))

    def next_open(self, t: np.ndarray) -> np.ndarray:
        """``t`` itself when inside office hours, else the next opening."""
        return self.add(t, np.zeros_like(t))


def fix_dst_gap(t: np.ndarray, period: Period) -> np.ndarray:
    """Move wall-clock times that fall into the spring-forward gap (02:00–03:00 on the last
    Sunday of March) one hour on, as a Warsaw clock shows them."""
    gaps = []
    for y in range(period.start.year - 1, period.end.year + 2):
        d = date(y, 3, 31)
        while d.weekday() != 6:
            d -= timedelta(days=1)
        gaps.append(epoch_seconds(d) + 2 * HOUR)
    g = np.array(gaps, dtype=np.int64)
    i = np.searchsorted(g, t, side="right") - 1
    in_gap = (i >= 0) & (t - g[np.clip(i, 0, None)] < HOUR) & (t >= g[np.clip(i, 0, None)])
    return np.where(in_gap, t + HOUR, t)
