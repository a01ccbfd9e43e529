"""What residents ask and report about, and when: topic shares and calendar multipliers.

Shares are relative weights per topic code of ``seeds/kck_topics.csv`` (a topic missing
here gets ``DEFAULT_SHARE``).  Calendar multipliers turn public facts into peaks:

- **local taxes**: instalments due 15 March, 15 May, 15 September and 15 November.
  Residents call in the ten days before the deadline, most on the last two days
  (``1 + 7·e^(−d/2.5)`` for ``d`` days before), and in February when tax decisions arrive;
- **elections**: the elections topic rises over the three weeks before every election
  day (``1 + 30·e^(−d/5)``): registers of voters, voting away from home, commissions;
- **winter**: snow clearing December–February; heating/air quality October–March;
- **summer**: city, cultural and sport events June–August; greenery April–September;
- **education**: school and kindergarten enrolment in February–March and August–September.
"""

from __future__ import annotations

import numpy as np

from .calendar import ELECTION_DAYS, Period

DEFAULT_SHARE = 1.0

#: Infoline calls: information dominates (service cards, opening hours, documents).
CALL_SHARES: dict[str, float] = {
    "service_cards": 10, "unit_hours": 8, "culture_events": 2.5, "sport_events": 1.2,
    "city_events": 2, "elections": 0.4, "survey": 3, "registration": 5, "id_cards": 5,
    "civil_status": 3, "vehicle_registration": 6, "driving_licences": 4, "krakow_card": 5,
    "housing": 3, "social_help": 3, "education": 3, "building_permits": 2,
    "participation": 1.5, "local_taxes": 5, "waste_fee": 5, "parking_zone": 4, "waste": 5,
    "greenery": 1.5, "air_quality": 2.5, "noise": 1, "animals": 1, "water_sewerage": 1,
    "roads": 3, "snow_clearing": 0.6, "street_lighting": 1, "traffic": 1.5,
    "public_transport": 4, "public_order": 1, "other": 4,
}

#: Electronic submissions: problems in public space dominate.
SUBMISSION_SHARES: dict[str, float] = {
    "roads": 14, "waste": 12, "greenery": 9, "public_transport": 8, "street_lighting": 6,
    "traffic": 6, "public_order": 5, "noise": 4, "snow_clearing": 2.5, "animals": 3,
    "water_sewerage": 2, "parking_zone": 4, "air_quality": 3, "krakow_card": 2, "housing": 2,
    "education": 1.5, "city_events": 1.5, "culture_events": 1, "participation": 2,
    "other": 6, "social_help": 1, "vehicle_registration": 0.5, "sport_events": 0.5,
    "local_taxes": 0.5, "waste_fee": 1,
}

MONTHS = {
    "snow_clearing": [6, 5, 1.5, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.3, 1.5, 5],
    "air_quality": [1.8, 1.7, 1.4, 0.9, 0.6, 0.5, 0.5, 0.5, 0.7, 1.3, 1.7, 1.8],
    "greenery": [0.4, 0.4, 0.8, 1.5, 1.8, 1.7, 1.6, 1.5, 1.3, 1.0, 0.7, 0.4],
    "culture_events": [0.8, 0.7, 0.8, 0.9, 1.1, 1.6, 1.9, 1.8, 1.0, 0.9, 0.8, 1.3],
    "city_events": [0.8, 0.7, 0.8, 0.9, 1.1, 1.6, 1.8, 1.7, 1.0, 0.9, 0.8, 1.4],
    "sport_events": [0.7, 0.7, 0.8, 1.0, 1.3, 1.5, 1.5, 1.4, 1.3, 1.0, 0.7, 0.6],
    "education": [1.0, 2.0, 2.0, 1.2, 0.8, 0.7, 0.6, 1.5, 1.5, 0.8, 0.7, 0.6],
    "local_taxes": [1.0, 1.6, 1.0, 0.8, 1.0, 0.8, 0.6, 0.6, 1.0, 0.8, 1.0, 0.7],
    "roads": [1.0, 1.2, 1.4, 1.4, 1.2, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
    "noise": [0.7, 0.7, 0.8, 1.0, 1.2, 1.4, 1.5, 1.4, 1.1, 0.9, 0.7, 0.8],
    "water_sewerage": [1.1, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.9, 0.9, 1.0],
}

TAX_TOPIC = "local_taxes"
ELECTIONS_TOPIC = "elections"


def tax_boost(period: Period) -> np.ndarray:
    """Multiplier per day for the local-tax topic: the run-up to every instalment."""
    d = period.days_before_next(period.tax_deadlines())
    return np.where(d <= 10, 1 + 7 * np.exp(-d / 2.5), 1.0)


def election_boost(period: Period) -> np.ndarray:
    """Multiplier per day for the elections topic: three weeks before an election day."""
    d = period.days_before_next(list(ELECTION_DAYS))
    return np.where(d <= 21, 1 + 30 * np.exp(-d / 5), 1.0)


def topic_matrix(period: Period, topics: list[str], shares: dict[str, float]) -> np.ndarray:
    """Relative weight per (day, topic): share × month curve × tax/election peaks."""
    m = np.empty((period.n_days, len(topics)))
    for j, code in enumerate(topics):
        w = np.full(period.n_days, shares.get(code, DEFAULT_SHARE), dtype=float)
        if code in MONTHS:
            w *= np.asarray(MONTHS[code])[period.month - 1]
        if code == TAX_TOPIC:
            w *= tax_boost(period)
        if code == ELECTIONS_TOPIC:
            w *= election_boost(period)
        m[:, j] = w
    return m
