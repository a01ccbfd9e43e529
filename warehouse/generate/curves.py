"""Curves that shape volumes: hour of day, weekday, season, and sampling helpers.

Every curve is a plain array of weights, so a test (or a reader) can look at it.  The
shapes are modelling assumptions, stated next to each curve:

- **Service desk, hour of day**: users call when they start work; ticket intake rises from
  07:30, peaks 08:30–10:00 (log-in problems, overnight faults found in the morning), dips at
  lunch and fades towards 15:30.  A few tickets arrive before and after office hours
  (early starters, e-mails in the evening).  Monitoring tickets come at any hour.
- **Infoline, hour of day**: Mon–Fri 07:40–15:30 with the morning peak 09:00–11:00 usual for
  municipal contact centres; ~2 % of calls are offered in the ten minutes before opening
  or the half hour after closing (they meet a closed line and are abandoned).
- **Electronic submissions**: residents write at any hour, mostly 08:00–23:00, with an
  evening bump of mobile-app reports.
- **Weekday**: Monday is the heaviest day in every public contact channel (weekend backlog),
  Friday the lightest working day; the service desk and the infoline see next to nothing at
  weekends, electronic submissions keep ~60 % of a weekday's volume.
- **Season**: the service desk dips in July–August (holidays, fewer staff at work) and at
  the end of December; the infoline has its own topic seasons (see :mod:`.kck`).
"""

from __future__ import annotations

import numpy as np

from .calendar import MINUTE, Period

BIN = 5 * MINUTE  # hour curves are piecewise constant on 5-minute bins
BINS_PER_DAY = 24 * 60 // 5


def _hourly(points: dict[float, float]) -> np.ndarray:
    """A 5-minute-bin density from (hour → weight) knots, linear in between, 0 outside."""
    hours = np.arange(BINS_PER_DAY) * 5 / 60 + 2.5 / 60
    xs = sorted(points)
    w = np.interp(hours, xs, [points[x] for x in xs], left=0.0, right=0.0)
    return w / w.sum()


#: Service-desk intake on a working day (office hours 07:30–15:30, morning peak).
DESK_HOURS = _hourly({
    6.5: 0.02, 7.25: 0.10, 7.5: 0.6, 8.0: 1.0, 8.5: 1.2, 9.5: 1.15, 10.5: 0.95, 11.5: 0.8,
    12.0: 0.65, 12.75: 0.7, 13.5: 0.75, 14.5: 0.55, 15.4: 0.3, 15.6: 0.06, 18.0: 0.03,
    21.0: 0.015, 22.5: 0.0,
})
#: Weekend/holiday service-desk intake (a few duty tickets in daytime).
DESK_OFF_HOURS = _hourly({7.0: 0.1, 9.0: 1.0, 14.0: 0.8, 18.0: 0.4, 22.0: 0.1, 23.5: 0.0})
#: Monitoring alarms: flat over the day with a slight bump in the nightly batch window.
MONITORING_HOURS = _hourly({0.0: 1.0, 1.5: 1.3, 4.0: 1.3, 6.0: 0.9, 12.0: 1.0, 23.99: 1.0})


def _infoline() -> np.ndarray:
    core = _hourly({7.66: 0.85, 8.0: 1.0, 9.0: 1.25, 10.5: 1.3, 11.5: 1.1, 12.25: 0.9,
                    13.0: 0.95, 14.0: 0.8, 15.0: 0.55, 15.49: 0.4})
    # calls meeting a closed line: 07:30–07:40 and 15:30–16:00
    edge = _hourly({7.5: 1.0, 7.65: 1.0, 7.66: 0.0, 15.5: 0.0, 15.51: 0.6, 16.0: 0.1})
    w = 0.99 * core + 0.01 * edge
    return w / w.sum()


#: KCK infoline offered calls on a working day.
INFOLINE_HOURS = _infoline()
#: Electronic submissions (portal, e-mail, app, ePUAP): all day, evening bump.
SUBMISSION_HOURS = _hourly({0.0: 0.15, 3.0: 0.04, 6.0: 0.15, 8.0: 0.8, 10.0: 1.0,
                            13.0: 0.9, 16.0: 0.95, 19.0: 1.05, 21.5: 0.85, 23.99: 0.3})
#: Publication requests: prepared by editors in office hours.
EDITOR_HOURS = _hourly({7.5: 0.4, 8.5: 1.0, 11.0: 1.1, 13.0: 0.9, 15.0: 0.6, 15.5: 0.05,
                        16.5: 0.0})

#: Weekday multipliers (Mon … Sun).
DESK_WEEKDAY = np.array([1.22, 1.08, 1.0, 0.96, 0.80, 0.03, 0.02])
INFOLINE_WEEKDAY = np.array([1.30, 1.06, 1.0, 0.96, 0.82, 0.0, 0.0])
SUBMISSION_WEEKDAY = np.array([1.18, 1.05, 1.0, 0.98, 0.92, 0.62, 0.60])
EDITOR_WEEKDAY = np.array([1.05, 1.05, 1.05, 1.0, 0.85, 0.0, 0.0])

#: Service-desk month multipliers (Jan … Dec): summer holidays and the year end dip.
DESK_MONTH = np.array([1.10, 1.05, 1.05, 1.0, 1.0, 0.95, 0.78, 0.76, 1.05, 1.08, 1.04, 0.86])


def day_weights(period: Period, weekday: np.ndarray, month: np.ndarray | None = None,
                holiday_factor: float = 0.0) -> np.ndarray:
    """Relative volume per day: weekday × month curve, holidays × ``holiday_factor``."""
    w = weekday[period.weekday].astype(float)
    if month is not None:
        w = w * month[period.month - 1]
    return np.where(period.is_holiday, w * holiday_factor, w)


def sample_times(rng: np.random.Generator, day_index: np.ndarray, period: Period,
                 hours: np.ndarray) -> np.ndarray:
    """Wall-clock seconds for events on the given days (indices into ``period.days``),
    the time of day drawn from the 5-minute-bin density ``hours``."""
    n = day_index.size
    b = rng.choice(BINS_PER_DAY, size=n, p=hours)
    within = rng.integers(0, BIN, size=n)
    return period.days[day_index] * 86_400 + b * BIN + within


def counts_per_day(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Poisson counts for an array of expected values (any shape)."""
    return rng.poisson(np.maximum(expected, 0.0))


def expand(counts: np.ndarray) -> np.ndarray:
    """Row indices repeated by counts (``[2,0,1]`` → ``[0,0,2]``)."""
    return np.repeat(np.arange(counts.size), counts.ravel())


def lognormal_seconds(rng: np.random.Generator, median_s: np.ndarray | float, sigma: float,
                      size: int) -> np.ndarray:
    """Heavy-tailed durations (lognormal) with the given median, as int64 seconds."""
    return np.round(np.asarray(median_s) * np.exp(sigma * rng.standard_normal(size))).astype(
        np.int64)
