"""KCK staffing (issue 14 § 9): the agents DK-02 needs per weekday × hour for 80 % of calls
answered within 20 s, by Erlang C (marts.kck_staffing, DECISIONS.md § 9a).

A plain-Python Erlang C in exact factorials is checked against the textbook example, then
every row of the mart is recomputed with it — and the mart's load from the raw calls by
the window rule — and the KCK page is read for the same numbers.

The textbook example (Call Centre Helper, "Erlang C Formula – Made Simple With an Easy
Worked Example", callcentrehelper.com; the same figures in the staffing primers that
follow it): 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s → 10 erlangs; 13 agents give
a 79.6 % service level, 14 agents 88.8 % (P(wait) 17.4 %, ASA 7.8 s, occupancy 71.4 %):
14 agents. The dbt unit test kck_staffing_matches_the_textbook_erlang_c_example runs the
same example through the SQL.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import query
from streamlit.testing.v1 import AppTest

from dashboards.i18n import column_label

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def wait_probability(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a call waits, for ``agents`` > ``traffic`` erlangs."""
    below = sum(traffic ** k / math.factorial(k) for k in range(agents))
    top = traffic ** agents / math.factorial(agents) * agents / (agents - traffic)
    return top / (below + top)


def service_level(traffic: float, agents: int, aht: float, threshold: float = 20) -> float:
    return 1 - wait_probability(traffic, agents) * math.exp(-(agents - traffic) * threshold / aht)


def agents_needed(traffic: float, aht: float, target: float = 0.8) -> int:
    if traffic == 0:
        return 0
    agents = math.floor(traffic) + 1
    while service_level(traffic, agents, aht) < target:
        agents += 1
    return agents


def test_python_erlang_c_matches_the_textbook_example():
    traffic = 100 / (30 * 60) * 180  # 100 calls per 30 min × 180 s
    assert traffic == pytest.approx(10)
    assert service_level(traffic, 13, 180) == pytest.approx(0.7956, abs=5e-5)
    assert service_level(traffic, 14, 180) == pytest.approx(0.8884, abs=5e-5)
    assert wait_probability(traffic, 14) == pytest.approx(0.1741, abs=5e-5)
    assert wait_probability(traffic, 14) * 180 / (14 - traffic) == pytest.approx(7.8, abs=0.05)
    assert agents_needed(traffic, 180) == 14


def test_every_hour_of_the_mart_is_erlang_c_of_its_load(built_warehouse):
    rows = query(built_warehouse, """
        select weekday, hour, traffic_erlangs, aht_seconds, agents_needed,
               predicted_service_level_pct, wait_probability_pct, target_service_level_pct,
               answer_threshold_seconds, calls_per_hour
        from marts.kck_staffing order by 1, 2""")
    assert len(rows) >= 30  # Monday–Friday, 07:00–15:00
    for (weekday, hour, traffic, aht, needed, sl, wait, target, threshold, per_hour) in rows:
        assert (target, threshold) == (80, 20)
        assert traffic == pytest.approx(per_hour * aht / 3600)
        assert needed == agents_needed(traffic, aht), (weekday, hour)
        if traffic > 0:
            assert sl == pytest.approx(100 * service_level(traffic, needed, aht), abs=1e-9)
            assert wait == pytest.approx(100 * wait_probability(traffic, needed), abs=1e-9)
            assert sl >= 80
            if needed - 1 > traffic:  # one agent fewer misses the target
                assert 100 * service_level(traffic, needed - 1, aht) < 80


def test_the_load_is_the_mean_of_the_whole_weeks_before_the_week_of_as_of(built_warehouse):
    """8 Monday–Sunday weeks before as_of's week, holidays left out; arrivals that need an
    agent are the offered calls less the short abandons, per working day of the weekday."""
    (as_of,) = query(built_warehouse, "select as_of_date from marts.build_info")[0]
    week_start = as_of - timedelta(days=as_of.isoweekday() - 1)
    first, last = week_start - timedelta(weeks=8), week_start - timedelta(days=1)
    window = query(built_warehouse, "select distinct window_start, window_end "
                                    "from marts.kck_staffing")
    assert window == [(first, last)]
    holidays = {r[0] for r in query(built_warehouse, "select cast(holiday_date as date) from "
                                                    "raw.public_holidays")}
    expected = {}
    for offered_at, answered_at, ended_at in query(built_warehouse, """
            select offered_at, answered_at, ended_at from raw.calls
            where cast(offered_at as date) between ? and ?""", [first, last]):
        if offered_at.date() in holidays:
            continue
        wait = ((answered_at or ended_at) - offered_at).total_seconds()
        if answered_at is None and wait < 5:
            continue  # a short abandon needs no agent
        key = (offered_at.isoweekday(), offered_at.hour)
        expected[key] = expected.get(key, 0) + 1
    days = {d: 8 - sum(1 for h in holidays if first <= h <= last and h.isoweekday() == d)
            for d in range(1, 8)}
    got = {(w, h): (per_hour, open_days) for w, h, per_hour, open_days in query(
        built_warehouse, "select weekday, hour, calls_per_hour, open_days "
                         "from marts.kck_staffing")}
    assert set(got) == set(expected) and got
    for key, calls in expected.items():
        assert got[key][1] == days[key[0]]
        assert got[key][0] == pytest.approx(calls / days[key[0]]), key


def test_the_kck_page_shows_the_marts_agents_beside_the_heat_map(built_warehouse,
                                                                monkeypatch):
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(built_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    at.switch_page("views/kck.py").run()
    assert not at.exception, [e.value for e in at.exception]
    column = column_label("agents_needed", "pl")
    table = next(d.value for d in at.dataframe if column in d.value.columns)
    shown = [int(v) for v in table[column]]
    expected = [r[0] for r in query(built_warehouse, "select agents_needed from "
                                                    "marts.kck_staffing order by weekday, hour")]
    assert shown == expected
    titles = [json.loads(e.proto.spec)["layout"]["title"]["text"].replace("<br>", " ")
              .replace("\u00a0", " ") for e in at.get("plotly_chart")]
    assert any(s.startswith("Potrzebni konsultanci na telefonach (80 % w 20 s, Erlang C)")
               for s in titles), titles
    assumptions = next(m.value for m in at.markdown if m.value.startswith("**Założenia obsady"))
    assert "bez absencji, przerw i szkoleń" in assumptions and "8 pełnych tygodni" in assumptions
