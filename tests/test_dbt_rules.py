"""The SLA clock, checked independently of SQL: a plain-Python reimplementation of the
rules in dbt/DECISIONS.md is compared with marts.incident_sla on real generated tickets,
plus the pure helpers of warehouse.calendar and warehouse.build."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from warehouse.build import BuildFailed, normalise_as_of
from warehouse.calendar import polish_holidays
from warehouse.store import current_file

WAW = ZoneInfo("Europe/Warsaw")
RANK = {e: i for i, e in enumerate(
    ["opened", "acknowledged", "assigned", "escalated", "on_hold", "resumed", "resolved",
     "reopened", "closed"], start=1)}
STATE = {"on_hold": "on_hold", "resolved": "resolved", "closed": "closed"}


def instant(local: datetime) -> datetime:
    """Local wall clock -> UTC instant; an ambiguous autumn time is the later (winter) one.

    (Arithmetic between datetimes sharing one tzinfo is wall-clock arithmetic in Python,
    so every instant is moved to UTC before it is subtracted or compared.)"""
    return local.replace(tzinfo=WAW, fold=1).astimezone(UTC)


def office_minutes(a: datetime, b: datetime, holidays: set[date]) -> float:
    """Minutes of [a, b) inside Mon–Fri 07:30–15:30 local, holidays excluded, day by day."""
    total = 0.0
    day = a.astimezone(WAW).date() - timedelta(days=1)
    while day <= b.astimezone(WAW).date():
        if day.weekday() < 5 and day not in holidays:
            start = datetime.combine(day, time(7, 30), tzinfo=WAW).astimezone(UTC)
            end = datetime.combine(day, time(15, 30), tzinfo=WAW).astimezone(UTC)
            overlap = (min(b, end) - max(a, start)).total_seconds() / 60
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return total


def expected_measures(events: list[tuple[datetime, str, str]], holidays: set[date]) -> dict:
    """Response / resolution / on-hold office minutes of one ticket, as DECISIONS.md says."""
    events = sorted(events, key=lambda e: (instant(e[0]), RANK[e[1]]))
    seq = [(instant(t), ev, grp) for t, ev, grp in events]
    resolved = [i for i, (_, ev, _) in enumerate(seq) if ev == "resolved"]
    reopened = [i for i, (_, ev, _) in enumerate(seq) if ev == "reopened"]
    final = resolved[-1] if resolved and (not reopened or resolved[-1] > reopened[-1]) else None
    ack = [i for i, (_, ev, _) in enumerate(seq) if ev == "acknowledged"]
    act = [i for i, (_, ev, _) in enumerate(seq)
           if ev in ("assigned", "escalated", "on_hold", "resolved")]
    first = ack[0] if ack else (act[0] if act else None)
    response = office_minutes(seq[0][0], seq[first][0], holidays) if first is not None else None
    resolution = hold = 0.0
    for i in range(len(seq) - 1):
        if final is not None and i >= final:
            break
        minutes = office_minutes(seq[i][0], seq[i + 1][0], holidays)
        state = STATE.get(seq[i][1], "open")
        if state == "open":
            resolution += minutes
        elif state == "on_hold":
            hold += minutes
    first_line = final is not None and all(g == "IT-02-3" for _, _, g in seq[: final + 1])
    return {"response": response, "resolution": resolution if final is not None else None,
            "hold": hold, "first_line": first_line}


@pytest.fixture(scope="module")
def marts_con(built_warehouse):
    con = duckdb.connect(str(current_file(built_warehouse)), read_only=True)
    yield con
    con.close()


def test_business_minutes_match_an_independent_python_clock(marts_con):
    # business-clock tickets, preferring those with holds, reopens and escalations
    rows = marts_con.execute("""
        select ticket_id, response_business_minutes, resolution_business_minutes,
               on_hold_business_minutes, is_first_line_resolved
        from marts.incident_sla
        where support_hours = 'business' and is_resolved
        order by reopen_count desc, on_hold_business_minutes desc, escalation_count desc, ticket_id
        limit 25
    """).fetchall()
    assert len(rows) == 25
    ids = [r[0] for r in rows]
    events: dict[str, list] = {}
    for tid, at, ev, grp in marts_con.execute(
        "select ticket_id, event_at, event, group_code from raw.ticket_events "
        "where list_contains(?, ticket_id)", [ids]
    ).fetchall():
        events.setdefault(tid, []).append((at, ev, grp))
    years = range(2024, 2028)
    holidays = {d for d, _ in polish_holidays(years)}
    checked_reopen = checked_hold = 0
    for tid, response, resolution, hold, first_line in rows:
        exp = expected_measures(events[tid], holidays)
        assert response == pytest.approx(exp["response"], abs=0.01), tid
        assert resolution == pytest.approx(exp["resolution"], abs=0.01), tid
        assert hold == pytest.approx(exp["hold"], abs=0.01), tid
        assert first_line == exp["first_line"], tid
        checked_reopen += any(e[1] == "reopened" for e in events[tid])
        checked_hold += exp["hold"] > 0
    assert checked_reopen > 0 and checked_hold > 0  # the sample exercises both rules


def test_incident_sla_has_one_row_per_raw_ticket_and_open_means_latest_event(marts_con):
    n_raw, n_mart = marts_con.execute(
        "select (select count(distinct ticket_id) from raw.tickets), "
        "(select count(*) from marts.incident_sla)").fetchone()
    assert n_raw == n_mart > 1000
    # is_open agrees with the latest event up to as_of, computed straight from raw
    disagree = marts_con.execute("""
        with last_event as (
            select e.ticket_id, arg_max(e.event, (e.event_at, case e.event
                when 'opened' then 1 when 'acknowledged' then 2 when 'assigned' then 3
                when 'escalated' then 4 when 'on_hold' then 5 when 'resumed' then 6
                when 'resolved' then 7 when 'reopened' then 8 else 9 end)) as event
            from raw.ticket_events e, (select max(as_of_at) as as_of from marts.incident_sla) a
            where e.event_at <= a.as_of
            group by 1
        )
        select count(*) from marts.incident_sla s join last_event l using (ticket_id)
        where s.is_open != (l.event not in ('resolved', 'closed'))
    """).fetchone()[0]
    assert disagree == 0


def test_kck_service_level_recomputed_from_raw_calls(marts_con):
    mart = marts_con.execute(
        "select sum(offered), sum(short_abandoned), sum(answered_within_20s) "
        "from marts.kck_queue_service").fetchone()
    raw = marts_con.execute("""
        select count(*),
               count(*) filter (where answered_at is null
                                and epoch_ms(ended_at) - epoch_ms(offered_at) < 5000),
               count(*) filter (where answered_at is not null
                                and epoch_ms(answered_at) - epoch_ms(offered_at) <= 20000)
        from raw.calls""").fetchone()
    assert mart == raw
    assert raw[0] > 1000


def test_christmas_eve_is_a_holiday_from_2025_only():
    days = dict(polish_holidays(range(2024, 2027)))
    assert date(2025, 12, 24) in days and date(2026, 12, 24) in days
    assert date(2024, 12, 24) not in days
    assert date(2025, 11, 11) in days  # Independence Day


@pytest.mark.parametrize(("given", "expected"), [
    ("2025-12-24", "2025-12-24 23:59:59"),
    (date(2025, 1, 31), "2025-01-31 23:59:59"),
    ("2025-10-26 01:30", "2025-10-26 01:30:00"),
    (datetime(2025, 3, 30, 3, 30, 5), "2025-03-30 03:30:05"),
    (None, None),
])
def test_as_of_normalisation(given, expected):
    assert normalise_as_of(given) == expected


def test_as_of_that_is_not_a_date_is_refused():
    with pytest.raises(BuildFailed, match="neither a date"):
        normalise_as_of("yesterday")


def test_python_clock_itself_handles_dst_and_holidays():
    hol = {d for d, _ in polish_holidays(range(2025, 2026))}
    # autumn change: 01:30 CEST -> 04:30 CET is 240 real minutes
    assert (instant(datetime(2025, 10, 26, 4, 30)) - instant(datetime(2025, 10, 26, 1, 30))
            ) == timedelta(minutes=240)
    # 23 Dec 15:00 -> 29 Dec 08:00 crosses 24-26 Dec (holidays) and a weekend: 30 + 30
    assert office_minutes(instant(datetime(2025, 12, 23, 15)), instant(datetime(2025, 12, 29, 8)),
                          hol) == 60
