"""What real data needs from the contracts and marts (issue 13): reports from every channel
with the call they came from, DK-03's KPIs on the electronic channels only, days to close,
and unknown reference codes kept by an importer as unmapped units, services and topics
(dbt/DECISIONS.md §§ 10, 13, 18).

An importer's file is fed to the loader's core as an importer feeds it: a relation of text
columns named as the contract, described by a ``Staged`` (here with ``unmapped``), loaded
with ``load_stage`` inside a writable copy of the warehouse. Every figure a test checks
against is computed here, from the rows planted, not read back from the mart under test.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import query

from warehouse.build import build
from warehouse.contracts import CONTRACTS, REF_SERVICES, REF_TICKETS, REF_TOPICS, REF_UNITS
from warehouse.load import load_directory, seed_codes
from warehouse.loading.core import CHECKED, LoadContext, Staged, check, load_stage
from warehouse.loading.reading import FIELD_PROBLEM, ROW
from warehouse.migrations import migrate
from warehouse.pii import hmac_pads, pii_key
from warehouse.store import writable_copy

UNIT, SERVICE, TOPIC = "Group 56", "Category 26", "Pothole (311)"
NEW_SERVICE = "Category 99"


def _stage(con: duckdb.DuckDBPyConnection, contract: str, rows: list[dict]) -> str:
    """A temp table of the rows as text, named as the contract, as a reader stages them."""
    cols = CONTRACTS[contract].column_names
    name = f"__import_{contract}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ("
                + ", ".join(f'"{c}" VARCHAR' for c in cols)
                + f", {ROW} BIGINT, {FIELD_PROBLEM} VARCHAR)")
    for i, row in enumerate(rows, start=1):
        con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in cols)}, ?, NULL)",
                    [None if row.get(c) is None else str(row[c]) for c in cols] + [i])
    return name


def _context(wh: Path) -> LoadContext:
    return LoadContext(datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8],
                       seed_codes(), hmac_pads(pii_key(wh)), loaded_at=datetime.now())


def _import(wh: Path, files: list[tuple[str, list[dict], frozenset[str]]]) -> list:
    """Load native rows converted to contracts, as an importer does: one load, one copy."""
    results = []
    load = _context(wh)
    with writable_copy(wh) as path, duckdb.connect(str(path)) as con:
        migrate(con)
        for contract, rows, unmapped in files:
            relation = _stage(con, contract, rows)
            digest = hashlib.sha256(repr((contract, rows)).encode()).hexdigest()
            staged = Staged(CONTRACTS[contract], relation, f"native-{contract}.csv (test)",
                            digest, unmapped=unmapped)
            results.append(load_stage(con, staged, load))
    return results


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------ Staged.unmapped (rules)

TICKET = {"ticket_id": "T-1", "opened_at": "2025-06-07 10:00:00", "ticket_type": "incident",
          "service_code": SERVICE, "requester_unit": UNIT, "channel": "email", "priority": "3"}


def _reasons(tmp_path: Path, rows: list[dict], unmapped: frozenset[str],
             contract: str = "tickets") -> list[str | None]:
    con = duckdb.connect(str(tmp_path / "rules.duckdb"))
    try:
        migrate(con)
        relation = _stage(con, contract, rows)
        staged = Staged(CONTRACTS[contract], relation, "x.csv", "0" * 64, unmapped=unmapped)
        check(con, staged, _context(tmp_path / "rules.duckdb"))
        return [r for (r,) in con.execute(
            f"SELECT reject_reason FROM {CHECKED} ORDER BY {ROW}").fetchall()]
    finally:
        con.close()


def test_unknown_codes_are_rejected_unless_the_file_keeps_them_unmapped(tmp_path):
    # today's rule (cityops load): both unknown codes are reasons
    (reason,) = _reasons(tmp_path, [TICKET], frozenset())
    assert "service_code='Category 26' unknown service code" in reason
    assert "requester_unit='Group 56' unknown unit code" in reason
    # only the kinds named are kept: the other rule still fires
    (reason,) = _reasons(tmp_path, [TICKET], frozenset({REF_SERVICES}))
    assert reason == "requester_unit='Group 56' unknown unit code"
    (reason,) = _reasons(tmp_path, [TICKET], frozenset({REF_SERVICES, REF_UNITS}))
    assert reason is None
    # every other rule still runs on a kept column
    (reason,) = _reasons(tmp_path, [{**TICKET, "requester_unit": "G" * 300}],
                         frozenset({REF_SERVICES, REF_UNITS}))
    assert reason is None  # requester_unit has no max_chars: nothing else to say …
    (reason,) = _reasons(tmp_path, [{**TICKET, "priority": "9"}],
                         frozenset({REF_SERVICES, REF_UNITS}))
    assert reason == "priority=9 not in 1..4"  # … and the other columns are checked as ever


def test_unmapped_is_only_for_units_services_and_topics():
    with pytest.raises(ValueError, match="tickets"):
        Staged(CONTRACTS["ticket_events"], "x", "x.csv", "0", unmapped=frozenset({REF_TICKETS}))
    with pytest.raises(TypeError, match="frozenset"):
        Staged(CONTRACTS["tickets"], "x", "x.csv", "0", unmapped={REF_UNITS})  # type: ignore
    assert Staged(CONTRACTS["calls"], "x", "x.csv", "0").unmapped == frozenset()
    Staged(CONTRACTS["calls"], "x", "x.csv", "0", unmapped=frozenset({REF_TOPICS, REF_UNITS}))


def test_cityops_load_still_rejects_an_unknown_unit(tmp_path, sample_dir):
    src = tmp_path / "src"
    src.mkdir()
    with open(sample_dir / "submissions.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:3]
    rows[0]["responsible_unit"] = UNIT
    rows[1]["channel"] = "phone"  # a channel of the register: loads
    with open(src / "submissions.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = load_directory(src, tmp_path / "wh.duckdb")
    (result,) = report.files
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert "responsible_unit='Group 56' unknown unit code" in result.reject_reasons[0]


# ------------------------------------------------------------- an import, built (the marts)

@pytest.fixture(scope="module")
def imported(sample_dir, tmp_path_factory) -> dict:
    """The session sample loaded with `cityops load`, then an importer's file of tickets,
    events and reports with codes the reference data does not know (kept unmapped), phone,
    staff, letter, walk-in and other reports, one taken from a forwarded KCK call; built."""
    wh = tmp_path_factory.mktemp("wh_imported") / "warehouse.duckdb"
    load_directory(sample_dir, wh)
    # a forwarded call early in a month, so its report is forwarded in the same month
    call_id, unit, offered, topic = query(wh, """
        select call_id, forwarded_unit, offered_at, topic_code from raw.calls
        where forwarded_unit is not null and topic_code is not null
          and day(offered_at) between 3 and 20 and offered_at < timestamp '2025-12-01'
        order by offered_at, call_id limit 1""")[0]
    received = offered + timedelta(minutes=10)
    opened = datetime(2025, 6, 7, 10, 0)  # a Saturday
    tickets = [{**TICKET, "ticket_id": "T-UNMAPPED-1", "opened_at": _ts(opened)}]
    events = [
        {"ticket_id": "T-UNMAPPED-1", "event_at": _ts(opened), "event": "opened",
         "group_code": UNIT, "priority": 3, "comment_chars": 0},
        {"ticket_id": "T-UNMAPPED-1", "event_at": "2025-06-09 08:00:00", "event": "acknowledged",
         "group_code": UNIT, "priority": 3, "comment_chars": 0},
        {"ticket_id": "T-UNMAPPED-1", "event_at": "2025-06-09 09:30:00", "event": "resolved",
         "group_code": UNIT, "priority": 3, "comment_chars": 40},
        {"ticket_id": "T-UNMAPPED-1", "event_at": "2025-06-12 09:30:00", "event": "closed",
         "group_code": UNIT, "priority": 3, "comment_chars": 0},
    ]
    base = {"kind": "problem", "outcome": "resolved"}
    reports = [
        {**base, "submission_id": "R-PHONE-1", "channel": "phone", "call_id": call_id,
         "topic_code": topic, "received_at": _ts(received),
         "forwarded_at": _ts(received + timedelta(hours=1)), "responsible_unit": unit,
         "closed_at": _ts(received + timedelta(days=2, hours=6))},
        {**base, "submission_id": "R-STAFF-1", "channel": "staff", "topic_code": TOPIC,
         "received_at": "2025-06-02 08:00:00", "forwarded_at": "2025-06-02 09:00:00",
         "responsible_unit": UNIT, "closed_at": "2025-06-03 20:00:00"},
        {**base, "submission_id": "R-LETTER-1", "channel": "letter", "topic_code": TOPIC,
         "received_at": "2025-06-05 10:00:00", "forwarded_at": "2025-06-06 10:00:00",
         "responsible_unit": UNIT, "outcome": "open"},
        {**base, "submission_id": "R-WALK-IN-1", "channel": "walk_in", "topic_code": topic,
         "received_at": "2025-06-05 11:00:00", "forwarded_at": "2025-06-05 12:00:00",
         "responsible_unit": unit, "closed_at": "2025-06-06 11:00:00"},
        {**base, "submission_id": "R-OTHER-1", "channel": "other", "topic_code": topic,
         "received_at": "2025-06-05 12:00:00", "forwarded_at": "2025-06-05 13:00:00",
         "responsible_unit": unit, "closed_at": "2025-06-07 12:00:00"},
    ]
    results = _import(wh, [
        ("tickets", tickets, frozenset({REF_SERVICES, REF_UNITS})),
        ("ticket_events", events, frozenset({REF_UNITS})),
        ("submissions", reports, frozenset({REF_UNITS, REF_TOPICS})),
    ])
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(1, 0), (4, 0), (5, 0)], \
        [r.reject_reasons for r in results]
    first = build(wh, docs=False)
    return {"wh": wh, "call_id": call_id, "unit": unit, "offered": offered, "topic": topic,
            "reports": {r["submission_id"]: r for r in reports}, "first": first}


def test_reports_from_every_channel_keep_their_channel_and_call(imported):
    got = dict(query(imported["wh"], "select submission_id, (channel, is_electronic, call_id) "
                                     "from marts.submissions where submission_id like 'R-%'"))
    assert got == {
        "R-PHONE-1": ("phone", False, imported["call_id"]),
        "R-STAFF-1": ("staff", False, None), "R-LETTER-1": ("letter", False, None),
        "R-WALK-IN-1": ("walk_in", False, None), "R-OTHER-1": ("other", False, None)}
    electronic = query(imported["wh"], "select distinct channel from marts.submissions "
                                       "where is_electronic order by 1")
    assert [c for (c,) in electronic] == ["email", "epuap", "mobile_app", "portal"]


def test_days_to_close_is_exact_calendar_days_and_null_while_open(imported):
    wh = imported["wh"]
    days = dict(query(wh, "select submission_id, days_to_close from marts.submissions "
                          "where submission_id like 'R-%'"))
    assert days["R-STAFF-1"] == Decimal("1.5")  # 2 Jun 08:00 → 3 Jun 20:00
    assert days["R-PHONE-1"] == Decimal("2.25")
    assert days["R-LETTER-1"] is None  # open
    (dtype,) = query(wh, "select data_type from information_schema.columns where "
                         "table_schema = 'marts' and table_name = 'submissions' "
                         "and column_name = 'days_to_close'")[0]
    assert dtype == "DECIMAL(18,9)"
    # every closed submission: real elapsed days, exact to 9 decimals, computed here
    # from the instants (Europe/Warsaw wall clock → UTC)
    off = query(wh, """
        select count(*) from marts.submissions
        where closed_at is not null and days_to_close <> round(
            (epoch(timezone('Europe/Warsaw', closed_at)) -
             epoch(timezone('Europe/Warsaw', received_at))) / 86400, 9)""")[0][0]
    assert off == 0
    # across the DST change of 30 Mar 2025 a wall-clock day is 23 hours
    dst = query(wh, """
        select days_to_close, date_diff('second', received_at, closed_at) / 86400
        from marts.submissions
        where received_at < timestamp '2025-03-30 02:00'
          and closed_at > timestamp '2025-03-30 03:00'
          and closed_at < timestamp '2025-10-26 02:00' limit 1""")
    if dst:
        exact, wall = dst[0]
        assert float(exact) == pytest.approx(wall - 1 / 24, abs=1e-9)


def test_dk03_kpis_count_only_the_electronic_channels(imported):
    """The registry's scope: the non-electronic reports planted fall due or are forwarded
    in months where they would move the DK-03 KPIs; the parts are counted here from the
    electronic rows only."""
    wh = imported["wh"]
    scopes = dict(query(wh, "select kpi_code, scope from marts.kpis where source_mart = "
                            "'submissions'"))
    assert scopes == {"submissions_overdue_pct": "electronic_channels",
                      "submission_days_to_forward": "electronic_channels"}
    forward = dict(query(wh, """
        select month_start, denominator from marts.kpi_values
        where kpi_code = 'submission_days_to_forward' and breakdown = 'all'"""))
    expected = dict(query(wh, """
        select cast(date_trunc('month', forwarded_at) as date), count(*)
        from marts.submissions, marts.build_info
        where forwarded_at <= as_of_at and channel in ('portal', 'email', 'mobile_app', 'epuap')
        group by 1"""))
    assert forward == {m: float(n) for m, n in expected.items()}
    june = date(2025, 6, 1)
    every_channel = query(wh, "select count(*) from marts.submissions where "
                              "date_trunc('month', forwarded_at) = ?", [june])[0][0]
    assert every_channel >= forward[june] + 4  # the four June reports are not counted
    due = dict(query(wh, """
        select month_start, denominator from marts.kpi_values
        where kpi_code = 'submissions_overdue_pct' and breakdown = 'all'"""))
    expected = dict(query(wh, """
        select cast(date_trunc('month', reply_due_at) as date), count(*)
        from marts.submissions, marts.build_info
        where reply_due_at <= as_of_at and channel in ('portal', 'email', 'mobile_app', 'epuap')
        group by 1"""))
    assert due == {m: float(n) for m, n in expected.items()}


def test_a_report_taken_from_a_forwarded_call_is_one_matter(imported):
    wh, unit, offered = imported["wh"], imported["unit"], imported["offered"]
    month = offered.date().replace(day=1)
    calls, reports = query(wh, """
        select (select count(*) from raw.calls where forwarded_unit = $u
                and date_trunc('month', offered_at) = $m),
               (select count(*) from raw.submissions where responsible_unit = $u
                and date_trunc('month', forwarded_at) = $m)""", {"u": unit, "m": month})[0]
    got = query(wh, "select calls_forwarded, submissions_forwarded, kck_matters_forwarded "
                    "from marts.unit_workload where unit_code = ? and month_start = ?",
                [unit, month])[0]
    assert got == (calls, reports, calls + reports - 1)  # R-PHONE-1 is its call


def test_unknown_codes_show_as_unmapped_in_the_dimensions_and_facts(imported):
    wh = imported["wh"]
    assert query(wh, "select unit_code, name_pl, name_en, unit_kind, department from "
                     "marts.organisation_units where not is_mapped") == [
        (UNIT, f"niezmapowane: {UNIT}", f"unmapped: {UNIT}", "unmapped", None)]
    assert query(wh, "select topic_code, name_pl, name_en, topic_group from marts.topics "
                     "where not is_mapped") == [
        (TOPIC, f"niezmapowane: {TOPIC}", f"unmapped: {TOPIC}", "unmapped")]
    assert query(wh, "select service_code, name_pl, support_hours, status, tickets "
                     "from marts.service_catalogue where not is_mapped") == [
        (SERVICE, f"niezmapowane: {SERVICE}", "business", None, 1)]
    seeds = query(wh, "select (select count(*) from reference.org_units), "
                      "(select count(*) from marts.organisation_units where is_mapped)")[0]
    assert seeds[0] == seeds[1] > 50
    # the facts keep the code and show the label
    assert query(wh, "select topic_name_pl, responsible_unit_name_pl from marts.submissions "
                     "where submission_id = 'R-STAFF-1'") == [
        (f"niezmapowane: {TOPIC}", f"niezmapowane: {UNIT}")]
    assert query(wh, "select unit_name_pl from marts.unit_workload where unit_code = ? "
                     "limit 1", [UNIT]) == [(f"niezmapowane: {UNIT}",)]


def test_a_service_without_a_catalogue_entry_runs_on_business_hours(imported):
    """Opened Sat 7 Jun 10:00, acknowledged Mon 9 Jun 08:00, resolved 09:30: on the UMK
    office clock 30 and 120 minutes (Mon 07:30–08:00, 07:30–09:30), not 2 760 and 2 850."""
    got = query(imported["wh"], """
        select support_hours, service_name_pl, requester_unit, final_group_code,
               response_business_minutes, resolution_business_minutes
        from marts.incident_sla where ticket_id = 'T-UNMAPPED-1'""")
    assert got == [("business", f"niezmapowane: {SERVICE}", UNIT, UNIT, 30, 120)]


def test_a_daily_import_of_a_new_service_stays_incremental(imported):
    """Services learned from the data never trip the full refresh on a new catalogue; a
    catalogue that names a service built tickets use (another clock or name) does, once."""
    wh = imported["wh"]
    day = datetime(2025, 12, 30, 9, 0)
    _import(wh, [
        ("tickets", [{**TICKET, "ticket_id": "T-UNMAPPED-2", "opened_at": _ts(day),
                      "service_code": NEW_SERVICE}], frozenset({REF_SERVICES, REF_UNITS})),
        ("ticket_events", [{"ticket_id": "T-UNMAPPED-2", "event_at": _ts(day),
                            "event": "opened", "group_code": UNIT, "priority": 3,
                            "comment_chars": 0}], frozenset({REF_UNITS}))])
    daily = build(wh, docs=False)
    assert not daily.full_refresh, daily.refresh_reason
    assert query(wh, "select service_code, tickets from marts.service_catalogue "
                     "where not is_mapped order by 1") == [(SERVICE, 1), (NEW_SERVICE, 1)]
    # the city's catalogue now describes the service: 24x7, with its name
    src = wh.parent / "catalogue"
    src.mkdir()
    cols = CONTRACTS["it_services"].column_names
    with open(src / "it_services.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=cols)
        writer.writeheader()
        writer.writerow({"service_code": SERVICE, "name_pl": "Poczta elektroniczna",
                         "name_en": "E-mail", "owner_unit": "IT-04-1", "criticality": 2,
                         "support_hours": "24x7", "status": "active",
                         "valid_from": "2020-01-01"})
    load_directory(src, wh)
    named = build(wh, docs=False)
    assert named.full_refresh and SERVICE in (named.refresh_reason or "")
    assert query(wh, "select support_hours, service_name_pl, resolution_business_minutes "
                     "from marts.incident_sla where ticket_id = 'T-UNMAPPED-1'") == [
        ("24x7", "Poczta elektroniczna", 2850)]
    assert query(wh, "select is_mapped from marts.service_catalogue where service_code = ?",
                 [SERVICE]) == [(True,)]
    # the same catalogue again (a new file, the same rows): nothing the tickets read moved
    (src / "it_services.csv").write_text((src / "it_services.csv").read_text() + "\n")
    load_directory(src, wh)
    again = build(wh, docs=False)
    assert not again.full_refresh, again.refresh_reason


# ------------------------------------------------------------------------ the dashboards

def test_the_dk03_page_counts_electronic_channels_and_shows_days_to_close(imported,
                                                                         monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboards import reports
    from dashboards.formats import fmt_value
    from dashboards.queries import kck
    from warehouse.store import connect_read_only

    wh = imported["wh"]
    con = connect_read_only(wh)
    try:
        june = date(2025, 6, 1)
        forwarded = kck.submissions_forwarded(con, june, june)
        electronic = query(wh, "select count(*) from marts.submissions where received_month = ?"
                               " and channel in ('portal', 'email', 'mobile_app', 'epuap')",
                           [june])[0][0]
        assert forwarded["submissions"].sum() == electronic
        register = kck.register_by_channel(con, june, june)
        by_channel = dict(zip(register["channel"], register["submissions"], strict=True))
        assert {by_channel[c] for c in ("staff", "letter", "walk_in", "other")} == {1}
        assert sum(by_channel.values()) == electronic + 4
        months = kck.submission_months(con)
        first, last = months[max(0, len(months) - 12)], months[-1]
        closed, median = kck.days_to_close(con, first, last)
        values = sorted(float(d) for (d,) in query(wh, """
            select days_to_close from marts.submissions
            where channel in ('portal', 'email', 'mobile_app', 'epuap') and closed_at is not null
              and date_trunc('month', closed_at) between ? and ?""", [first, last]))
        assert closed == len(values) > 10
        middle = len(values) // 2
        assert median == pytest.approx(values[middle] if len(values) % 2 else
                                       (values[middle - 1] + values[middle]) / 2, abs=1e-9)
        schema = reports.mart_schema(con)
        assert "days_to_close" in reports.measure_columns(schema["submissions"])
    finally:
        con.close()
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(wh))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py"),
                           default_timeout=90)
    at.run()
    at.switch_page("views/kck.py").run()
    assert not at.exception, [e.value for e in at.exception]
    metric = next(m for m in at.metric if m.label.startswith("DK-03: mediana dni"))
    assert metric.value == fmt_value(median, "days", "pl")
    at.switch_page("views/units.py").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="units_unit__pl")  # the whole tree, the unmapped codes last
    assert picker.options[-1] == f"{UNIT} — niezmapowane: {UNIT}"
    picker.select(UNIT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Niezmapowane (kody spoza danych referencyjnych)" in [c.value for c in at.caption]
    shown = at.dataframe[0].value  # the unit's months: R-STAFF-1 and R-LETTER-1 in June
    june = shown[shown["Miesiąc"] == "06.2025"]
    assert june["Sprawy przekazane przez KCK"].tolist() == ["2"]
