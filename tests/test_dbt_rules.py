"""The SLA clock, checked independently of SQL: a plain-Python reimplementation of the
rules in dbt/DECISIONS.md is compared with marts.incident_sla on real generated tickets,
plus the pure helpers of warehouse.calendar and warehouse.build, and the per-model data
tests (columns_not_null, columns_accepted_values, expressions_are_true, relationships_all)
failing on planted bad values."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from warehouse.build import (
    DBT_DIR,
    BuildFailed,
    build,
    dbt_session,
    docs_dir,
    normalise_as_of,
)
from warehouse.calendar import polish_holidays
from warehouse.store import current_file, writable_copy

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


def test_publication_delays_match_the_python_clock_and_one_working_day_is_480(marts_con):
    """DECISIONS.md § 11: business minutes ready → published on UMK's office clock, and
    "without delay" = within one working day = ≤ 480 of them, recomputed in Python for
    every publication of the sample (office_minutes above, polish_holidays)."""
    rows = marts_con.execute(
        "select ready_at, published_at, business_minutes_to_publish, "
        "is_published_within_1_working_day from marts.publications").fetchall()
    holidays = {d for d, _ in polish_holidays(range(2024, 2028))}
    published = within = late = 0
    for ready, published_at, minutes, is_within in rows:
        if published_at is None:
            assert minutes is None and is_within is False
            continue
        expected = office_minutes(instant(ready), instant(published_at), holidays)
        assert minutes == pytest.approx(expected, abs=0.01), (ready, published_at)
        assert is_within == (expected <= 480), (ready, published_at, expected)
        published += 1
        within += expected <= 480
        late += expected > 480
    assert published > 100 and within > 0 and late > 0  # both sides of the line


def test_late_replies_and_stale_cards_follow_their_rules_recomputed_from_raw(marts_con):
    """DECISIONS.md §§ 10, 12: a reply is due 30 calendar days after receipt and late when
    due by as_of and not closed by the due time (still open counts); a card is stale when
    its last review known at as_of is over 12 months before as_of. Recomputed in Python
    from raw and build_info for every submission and card of the sample."""
    (as_of,) = marts_con.execute("select as_of_at from marts.build_info").fetchone()
    raw = dict((sid, (received, closed)) for sid, received, closed in marts_con.execute(
        "select submission_id, received_at, closed_at from raw.submissions").fetchall())
    late = dict(marts_con.execute(
        "select submission_id, is_reply_late from marts.submissions").fetchall())
    assert set(late) == {k for k, (received, _) in raw.items() if received <= as_of}
    open_late = closed_late = 0
    for sid, is_late in late.items():
        received, closed = raw[sid]
        due = received + timedelta(days=30)
        expected = due <= as_of and (closed is None or closed > due)
        assert is_late == expected, (sid, received, closed, as_of)
        open_late += expected and (closed is None or closed > as_of)
        closed_late += expected and closed is not None and closed <= as_of
    assert open_late > 0 and closed_late > 0  # both kinds of late reply are in the sample
    year, month0 = divmod(as_of.year * 12 + as_of.month - 1 - 12, 12)  # 12 months back
    cutoff = as_of.replace(year=year, month=month0 + 1)  # (the same day: a year back)
    stale = fresh = 0
    for card, reviewed, is_stale in marts_con.execute(
            "select card_id, last_reviewed_at, is_stale from marts.service_card_freshness"
    ).fetchall():
        expected = reviewed is not None and reviewed < cutoff
        assert is_stale == expected, (card, reviewed, cutoff)
        stale += expected
        fresh += not expected
    assert stale > 0 and fresh > 0


# tickets of their own that cross Christmas 2025 (24–26 December holidays from 2025, then
# a weekend): (event_at, event, group) on the UMK office clock, and what it gives by hand
CHRISTMAS = {
    # 23 Dec 14:00–15:30 = 90, 29 Dec 07:30–09:00 = 90 → resolution 180; response 30
    "XMAS-1": ([(datetime(2025, 12, 23, 14), "opened", "IT-02-3"),
                (datetime(2025, 12, 23, 14, 30), "acknowledged", "IT-02-3"),
                (datetime(2025, 12, 29, 9), "resolved", "IT-02-3")], 30, 180),
    # opened on 24 Dec itself: nothing runs until 29 Dec 07:30 → response 30, resolution 150
    "XMAS-2": ([(datetime(2025, 12, 24, 10), "opened", "IT-02-3"),
                (datetime(2025, 12, 29, 8), "acknowledged", "IT-02-3"),
                (datetime(2025, 12, 29, 10), "resolved", "IT-02-3")], 30, 150),
}


@pytest.fixture(scope="module")
def christmas_con(built_warehouse, tmp_path_factory):
    """The built fixture with the CHRISTMAS tickets loaded (a business-hours service) and
    built again."""
    from helpers import audit_load, plant_ticket

    wh = tmp_path_factory.mktemp("wh_christmas") / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    with writable_copy(wh) as path, duckdb.connect(str(path)) as con:
        for ticket, (events, _, _) in CHRISTMAS.items():
            plant_ticket(con, ticket, "APP-EZD", events, "load-christmas")
        audit_load(con, "load-christmas", "tickets")
        audit_load(con, "load-christmas", "ticket_events")
    build(wh, docs=False)
    con = duckdb.connect(str(current_file(wh)), read_only=True)
    yield con
    con.close()


def test_a_ticket_across_24_december_2025_on_the_business_clock(christmas_con):
    """24 December is a holiday from 2025 (test_christmas_eve_is_a_holiday_from_2025_only):
    the SQL clock, from raw.public_holidays through its staging model, must skip it as the
    Python clock does. None of the sample's tickets is sure to cross it: these do."""
    holidays = {d for d, _ in polish_holidays(range(2025, 2027))}
    assert {date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)} <= holidays
    rows = {r[0]: r[1:] for r in christmas_con.execute(
        "select ticket_id, support_hours, response_business_minutes, "
        "resolution_business_minutes from marts.incident_sla where ticket_id like 'XMAS-%'"
    ).fetchall()}
    assert set(rows) == set(CHRISTMAS)
    for ticket, (events, response, resolution) in CHRISTMAS.items():
        exp = expected_measures(events, holidays)
        assert (exp["response"], exp["resolution"]) == (response, resolution), ticket
        assert rows[ticket] == ("business", pytest.approx(response, abs=0.01),
                                pytest.approx(resolution, abs=0.01)), ticket


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
            from raw.ticket_events e, (select as_of_at as as_of from marts.build_info) a
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


def test_kck_asa_and_aht_keep_their_precision(marts_con):
    """ASA and AHT of every month × queue equal the means computed here from the raw calls
    (polars, not SQL), to 1e-9 s — a mart that rounds (18.75 s → 18.8 s) fails; so do
    the additive totals an analyst re-aggregates."""
    import polars as pl

    con = marts_con.cursor()  # its own result set: the fixture's connection is shared
    calls = con.sql("select queue, offered_at, answered_at, ended_at from raw.calls "
                    "where answered_at is not null").pl()
    expected = (calls
                .with_columns(
                    pl.col("queue").str.replace_all(r"\s+", " ").str.strip_chars()
                    .str.to_uppercase(),
                    pl.col("offered_at").dt.truncate("1mo").dt.date().alias("month_start"),
                    ((pl.col("answered_at") - pl.col("offered_at")).dt.total_milliseconds()
                     / 1000).alias("wait"),
                    ((pl.col("ended_at") - pl.col("answered_at")).dt.total_milliseconds()
                     / 1000).alias("handle"))
                .group_by("month_start", "queue")
                .agg(pl.col("wait").mean().alias("asa"), pl.col("handle").mean().alias("aht"),
                     pl.col("wait").sum().alias("total_wait")))
    mart = con.sql("select month_start, queue, asa_seconds, aht_seconds, "
                   "total_wait_seconds from marts.kck_queue_service where answered > 0").pl()
    joined = expected.join(mart, on=["month_start", "queue"], how="full", coalesce=True)
    assert joined.height == mart.height == expected.height > 10
    for ours, theirs in (("asa", "asa_seconds"), ("aht", "aht_seconds"),
                         ("total_wait", "total_wait_seconds")):
        worst = joined.select((pl.col(ours) - pl.col(theirs)).abs().max()).item()
        assert worst < 1e-9, (theirs, worst)
    fractional = joined.filter((pl.col("asa_seconds") * 10).round(6) % 1 != 0).height
    assert fractional > 0  # more precision than one decimal is really there


def test_no_mart_rounds_a_measure():
    """Rounding happens where a number is shown, never in a mart (DECISIONS § 1)."""
    marts = Path(__file__).resolve().parent.parent / "dbt" / "models" / "marts"
    rounded = [f"{p.relative_to(marts)}:{n}" for p in marts.rglob("*.sql")
               for n, line in enumerate(p.read_text().splitlines(), 1)
               if re.search(r"\bround\s*\(", line)]
    assert rounded == []


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


# ------------------------------------------------------------ one data test per model

def _tested(node: dict) -> str:
    """The unique id of the model, seed or source a generic test tests (a test of a source
    has no attached node: its one dependency is the source)."""
    if node.get("attached_node"):
        return node["attached_node"]
    (source,) = node["depends_on"]["nodes"]
    return source


def _tested_name(node: dict) -> str:
    """The tested model or seed as test names spell it; a source as `<source>_<table>`."""
    uid = _tested(node)
    return "_".join(uid.split(".")[2:]) if uid.startswith("source.") else uid.split(".")[-1]


def test_not_null_and_accepted_values_are_one_test_per_model(built_warehouse):
    """A dbt test node costs ~40 ms whatever it checks: a model (or seed) has one
    columns_not_null and one columns_accepted_values test, not one node per column, and
    each columns_accepted_values test is named after its columns (by default dbt names it
    after the accepted values only, and a failed build prints nothing but node names)."""
    manifest = json.loads((docs_dir(built_warehouse) / "manifest.json").read_text())
    tests = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "test" and n.get("test_metadata")]
    kinds = Counter(n["test_metadata"]["name"] for n in tests)
    assert not {"not_null", "accepted_values"} & set(kinds), kinds
    per_model = Counter((n["test_metadata"]["name"], _tested(n)) for n in tests
                        if n["test_metadata"]["name"].startswith("columns_"))
    assert set(per_model.values()) == {1}, [k for k, v in per_model.items() if v > 1]
    assert kinds["columns_accepted_values"] >= 10
    for node in tests:
        if node["test_metadata"]["name"] == "columns_accepted_values":
            model = _tested_name(node)
            columns = node["test_metadata"]["kwargs"]["columns"]
            assert node["name"] == f"columns_accepted_values_{model}__" + "__".join(columns)


def _config_key(node: dict) -> tuple:
    """What keeps two tests of a model apart: a warn test is not grouped with an error one,
    nor a test with a `where` with one without."""
    c = node["config"]
    return (c.get("severity", "ERROR").lower(), c.get("where"), c.get("warn_if"),
            c.get("error_if"), json.dumps(c.get("meta") or {}, sort_keys=True))


def test_expressions_and_relationships_are_one_test_per_model_and_config(built_warehouse):
    """The expression and foreign-key rules of a model are one expressions_are_true and one
    relationships_all test per config (severity, where), not one node per rule; each is
    named after its model (and a relationships_all test after its columns too), and every
    relationships_all target is a dependency of the test node, so it runs after it."""
    manifest = json.loads((docs_dir(built_warehouse) / "manifest.json").read_text())
    tests = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "test" and n.get("test_metadata")]
    kinds = Counter(n["test_metadata"]["name"] for n in tests)
    assert not {"expression_is_true", "relationships"} & set(kinds), kinds
    grouped = [n for n in tests
               if n["test_metadata"]["name"] in ("expressions_are_true", "relationships_all")]
    per_config = Counter((n["test_metadata"]["name"], _tested(n), _config_key(n))
                         for n in grouped)
    assert set(per_config.values()) == {1}, [k for k, v in per_config.items() if v > 1]
    assert kinds["expressions_are_true"] >= 10 and kinds["relationships_all"] >= 10
    per_model = Counter((n["test_metadata"]["name"], _tested(n)) for n in grouped)
    for node in grouped:
        kind, kwargs = node["test_metadata"]["name"], node["test_metadata"]["kwargs"]
        model = _tested_name(node)
        if kind == "expressions_are_true":
            assert kwargs["expressions"], node["name"]
            if per_model[(kind, _tested(node))] == 1:
                assert node["name"] == f"expressions_are_true_{model}"
            else:  # one per config: the name says which
                assert node["name"].startswith(f"expressions_are_true_{model}__"), node["name"]
        else:
            columns = [r["column"] for r in kwargs["relations"]]
            assert node["name"] == f"relationships_all_{model}__" + "__".join(columns)
            parents = {d.split(".")[-1] for d in node["depends_on"]["nodes"]}
            for r in kwargs["relations"]:
                target = re.fullmatch(r"\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*", r["to"])
                assert target and target.group(1) in parents, (node["name"], r, parents)
    # the severity of a warn-only rule survived the grouping
    warn = {n["name"] for n in grouped if _config_key(n)[0] == "warn"}
    assert {"expressions_are_true_service_card_freshness__warn",
            "relationships_all_incident_sla__service_code"} <= warn, warn


BAD_PORTAL = "FAX"
# forwarded to the unit a day before it was received: breaks one of the two expressions of
# expressions_are_true_submissions
BAD_EXPRESSION = "days_to_forward >= 0 and coalesce(days_to_unit_reply, 0) >= 0"
# a copy of an existing publication and submission as a new one, of a new load (so the
# incremental marts take it in)
PLANT_BAD_VALUES = (
    f"""insert into raw.publications select * replace ('BAD-1' as publication_id,
        '{BAD_PORTAL}' as portal, 'load-bad' as _load_id) from raw.publications
        where publication_id = (select min(publication_id) from raw.publications)""",
    """insert into raw.submissions select * replace ('BAD-1' as submission_id,
        null as channel, 'load-bad' as _load_id) from raw.submissions
        where submission_id = (select min(submission_id) from raw.submissions)""",
    """insert into raw.submissions select * replace ('BAD-2' as submission_id,
        received_at - interval 1 day as forwarded_at, 'load-bad' as _load_id)
        from raw.submissions where submission_id = (select min(submission_id)
        from raw.submissions where forwarded_at is not null and _load_id != 'load-bad')""",
)


@pytest.fixture(scope="module")
def bad_values_build(built_warehouse, tmp_path_factory):
    """The sample with one publication on a portal that does not exist, one submission
    without a channel and one forwarded before it was received, planted in raw: the build
    fails on the three per-model tests.
    Returns the warehouse (still serving the good build) and the failure."""
    wh = tmp_path_factory.mktemp("wh_bad_values") / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        for sql in PLANT_BAD_VALUES:
            con.execute(sql)
        con.close()
    with pytest.raises(BuildFailed) as info:
        build(wh, docs=False)
    return wh, info.value


@pytest.fixture(scope="module")
def bad_values_rows(bad_values_build, tmp_path_factory) -> dict[str, list[tuple]]:
    """The rows the three failing tests return, by test name (a failed build names only the
    nodes and discards its copy): the same rows planted in a copy of the served
    warehouse, the two marts rebuilt with `dbt run` and the tests run with `dbt show`."""
    from dbt.cli.main import dbtRunner

    wh, _ = bad_values_build
    work = tmp_path_factory.mktemp("show_bad_values")
    db = work / "cityops.duckdb"
    shutil.copyfile(current_file(wh), db)
    con = duckdb.connect(str(db))
    for sql in PLANT_BAD_VALUES:
        con.execute(sql)
    con.close()
    common = ["--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    with dbt_session(db):
        parsed = dbtRunner().invoke(["parse", *common])
        assert parsed.success, parsed.exception
        runner = dbtRunner(manifest=parsed.result)
        ran = runner.invoke(["run", *common, "--select", "publications", "submissions"])
        assert ran.success, ran.exception
        shown = runner.invoke(["show", *common, "--select",
                               "test_name:columns_accepted_values,publications",
                               "test_name:columns_not_null,submissions",
                               "test_name:expressions_are_true,submissions"])
        assert shown.success, shown.exception
    return {r.node.name: [tuple(row) for row in r.agate_table.rows]
            for r in shown.result.results}


def test_value_not_accepted_fails_the_build_naming_column_and_value(bad_values_build,
                                                                     bad_values_rows):
    wh, failed = bad_values_build
    names = [name for name, _ in failed.failures]
    accepted = [n for n in names if ".columns_accepted_values_publications__" in n]
    assert len(accepted) == 1, names
    assert "__portal__" in accepted[0] and "__portal__" in str(failed)
    rows = next(v for k, v in bad_values_rows.items() if k.startswith("columns_accepted"))
    assert rows == [("portal", BAD_PORTAL, 1)]  # column, offending value, rows holding it
    with duckdb.connect(str(current_file(wh)), read_only=True) as con:  # still served: good
        assert con.execute("select count(*) from marts.publications where portal = ?",
                           [BAD_PORTAL]).fetchone()[0] == 0


def test_null_fails_the_build_naming_the_column(bad_values_build, bad_values_rows):
    _, failed = bad_values_build
    names = [name for name, _ in failed.failures]
    not_null = [n for n in names if ".columns_not_null_submissions_" in n]
    assert len(not_null) == 1, names
    assert "_channel_" in not_null[0]
    # NULL is not an accepted-values failure: on submissions only the not-null test fails
    assert not [n for n in names if ".columns_accepted_values_submissions__" in n], names
    rows = next(v for k, v in bad_values_rows.items() if k.startswith("columns_not_null"))
    assert rows == [("channel", 1)]  # column, rows with NULL


def test_false_expression_fails_the_build_naming_the_test_and_expression(bad_values_build,
                                                                        bad_values_rows):
    _, failed = bad_values_build
    names = [name for name, _ in failed.failures]
    expressions = [n for n in names if ".expressions_are_true_" in n]
    assert [n.split(".")[2] for n in expressions] == ["expressions_are_true_submissions"], names
    # one row per false expression (the other one of the test holds): its text, rows
    rows = next(v for k, v in bad_values_rows.items() if k.startswith("expressions_are_true"))
    assert rows == [(BAD_EXPRESSION, 1)]


LAYER_PREFIX = {"staging": "stg_", "intermediate": "int_"}
LAYERS = ("staging", "intermediate", "marts")
BUILD_PARAMETERS = "model.cityops.build_info"  # the build's as_of: every layer reads it


def test_models_are_named_and_layered_by_one_convention(built_warehouse):
    """staging models are stg_<source>__<table>, intermediate ones int_<what>, marts plain
    nouns (no dim_/fct_/int_/stg_ prefix); a model reads only its own layer or the ones
    below it (an intermediate model never reads a mart) — except the one-row build_info,
    the build's as_of, which every layer reads (DECISIONS § 8)."""
    manifest = json.loads((docs_dir(built_warehouse) / "manifest.json").read_text())
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    wrong_names, upward = [], []
    for uid, node in models.items():
        layer = node["fqn"][1]
        assert layer in LAYERS, uid
        prefix = LAYER_PREFIX.get(layer)
        if prefix and not node["name"].startswith(prefix):
            wrong_names.append(node["name"])
        if layer == "staging" and "__" not in node["name"]:
            wrong_names.append(node["name"])
        if layer == "marts" and re.match(r"(dim|fct|int|stg)_", node["name"]):
            wrong_names.append(node["name"])
        for parent in node["depends_on"]["nodes"]:
            if parent == BUILD_PARAMETERS:
                continue
            if parent in models and LAYERS.index(models[parent]["fqn"][1]) > LAYERS.index(layer):
                upward.append((node["name"], models[parent]["name"]))
    assert wrong_names == [] and upward == []
