"""Issue 5 §1: every GX suite passes on the built fixture and fails on a planted bad row.

The shared fixture is never changed: each test copies its current build file to tmp_path,
plants the bad row there (read-write), and runs the one suite against the copy.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from rich.console import Console

from expectations.runner import SuiteOutcome, docs_dir, run_checks, run_suites, suite_names
from expectations.spec import Suite
from warehouse.store import current_file


def _first(table: str) -> str:
    return f"rowid = (select min(rowid) from {table})"


# suite → (SQL that plants a bad row in a copy, text the failure report must contain)
PLANTS: dict[str, tuple[str, str]] = {
    "raw.tickets": (f"update raw.tickets set priority = 9 where {_first('raw.tickets')}",
                    "priority"),
    "raw.ticket_events": (
        f"update raw.ticket_events set event = 'teleported' where {_first('raw.ticket_events')}",
        "event"),
    "raw.calls": (
        f"update raw.calls set answered_at = offered_at - interval 1 minute "
        f"where {_first('raw.calls')}", "answered_at/offered_at"),
    "raw.submissions": (
        f"update raw.submissions set district = 19 where {_first('raw.submissions')}",
        "district"),
    "raw.publications": (
        f"update raw.publications set portal = 'FACEBOOK' where {_first('raw.publications')}",
        "portal"),
    "raw.it_services": (
        "insert into raw.it_services select * from raw.it_services limit 1", "service_code"),
    "raw.service_cards": (
        f"update raw.service_cards set responsible_unit = 'NO-SUCH-UNIT' "
        f"where {_first('raw.service_cards')}", "responsible_unit"),
    "raw.sc_projects": (
        f"update raw.sc_projects set spent_pln = -5 where {_first('raw.sc_projects')}",
        "spent_pln"),
    "raw.sc_milestones": (
        f"update raw.sc_milestones set due_on = null where {_first('raw.sc_milestones')}",
        "due_on"),
    "raw.references": (
        "insert into raw.ticket_events select 'NO-SUCH-TICKET', event_at, event, group_code, "
        "priority, comment_chars, _load_id, _source_file, _source_row "
        "from raw.ticket_events limit 1", "orphan_ticket_events__ticket_id"),
    "raw.load_audit": (
        f"update raw.load_audit set rows_loaded = rows_loaded + 1 "
        f"where {_first('raw.load_audit')}", "rows_unaccounted"),
    "marts.dim_org_units": (
        "insert into marts.dim_org_units select * from marts.dim_org_units limit 1",
        "unit_code"),
    "marts.incident_sla": (
        f"update marts.incident_sla set priority = 5 where {_first('marts.incident_sla')}",
        "priority"),
    "marts.incident_sla_monthly": (
        f"update marts.incident_sla_monthly set sla_met_pct = 120 "
        f"where {_first('marts.incident_sla_monthly')}", "sla_met_pct"),
    "marts.kck_queue_service": (
        f"update marts.kck_queue_service set abandoned = abandoned + 1 "
        f"where {_first('marts.kck_queue_service')}", "offered_unbalanced"),
    "marts.kck_call_topics": (
        f"update marts.kck_call_topics set topic_code = 'no_such_topic' "
        f"where {_first('marts.kck_call_topics')}", "topic_code"),
    "marts.kck_calls_hourly": (
        f"update marts.kck_calls_hourly set hour = 24 where {_first('marts.kck_calls_hourly')}",
        "hour"),
    "marts.submissions": (
        f"update marts.submissions set kind = 'complaint' where {_first('marts.submissions')}",
        "kind"),
    "marts.unit_workload": (
        f"update marts.unit_workload set tickets_requested = -1 "
        f"where {_first('marts.unit_workload')}", "tickets_requested"),
    "marts.publications": (
        "update marts.publications set published_at = ready_at - interval 1 day where rowid = "
        "(select min(rowid) from marts.publications where published_at is not null)",
        "published_at/ready_at"),
    "marts.service_card_freshness": (
        f"update marts.service_card_freshness set is_stale = null "
        f"where {_first('marts.service_card_freshness')}", "is_stale"),
    "marts.service_catalogue": (
        f"update marts.service_catalogue set criticality = 4 "
        f"where {_first('marts.service_catalogue')}", "criticality"),
    "marts.smart_city_portfolio": (
        f"update marts.smart_city_portfolio set rag_status = 'blue' "
        f"where {_first('marts.smart_city_portfolio')}", "rag_status"),
    "marts.smart_city_milestones": (
        "insert into marts.smart_city_milestones select * from marts.smart_city_milestones "
        "limit 1", "project_id,milestone"),
    "marts.director_kpis": (
        f"update marts.director_kpis set kpi_code = 'made_up_kpi' "
        f"where {_first('marts.director_kpis')}", "kpi_code"),
    "marts.director_kpis_by_unit": (
        f"update marts.director_kpis_by_unit set unit_code = 'XX-99' "
        f"where {_first('marts.director_kpis_by_unit')}", "unit_code"),
    "relations.service_desk": (  # a raw ticket the marts have not seen (no rebuild)
        "insert into raw.tickets select 'NEW-' || ticket_id, opened_at, ticket_type, "
        "service_code, requester_unit, channel, priority, summary, _load_id, _source_file, "
        "_source_row from raw.tickets limit 1", "incident_sla_rows/raw_tickets"),
    "relations.kck": (
        f"delete from raw.calls where {_first('raw.calls')}", "queue_offered/raw_calls"),
    "relations.portals": (
        f"delete from marts.publications where {_first('marts.publications')}",
        "publications_rows/raw_publications"),
    "relations.catalogue": (
        f"delete from marts.smart_city_milestones where {_first('marts.smart_city_milestones')}",
        "milestone_rows/raw_milestones"),
    "relations.freshness": (
        "update marts.build_info set as_of_at = as_of_at + interval 1 day", "as_of_values"),
}
EXTRA_PLANTS: list[tuple[str, str, str]] = [
    # the marts were built at another as_of than the build log records
    ("relations.freshness",
     "insert into raw.build_log select current_localtimestamp() + interval 1 hour, "
     "as_of + interval 1 day, false, null from raw.build_log limit 1", "as_of_values"),
    # a card without a review although raw knows one before as_of
    ("relations.portals",
     "update marts.service_card_freshness set last_reviewed_at = null, days_since_review = null "
     f"where {_first('marts.service_card_freshness')}",
     "cards_without_review/raw_cards_unreviewed"),
    ("marts.service_card_freshness",
     "update marts.service_card_freshness set last_reviewed_at = null "
     f"where {_first('marts.service_card_freshness')}", "is_review_consistent"),
    # the newest calls are a month older than as_of: stale source
    ("relations.freshness",
     "delete from raw.calls where offered_at > "
     "(select as_of_at from marts.build_info) - interval 30 day",
     "lag_days__calls"),
    ("raw.calls",
     f"update raw.calls set caller_number_hash = '+48 600 123 456' where {_first('raw.calls')}",
     "caller_number_hash"),
    ("marts.incident_sla",
     "insert into marts.incident_sla select * from marts.incident_sla limit 1", "ticket_id"),
]
CASES = [(s, sql, text) for s, (sql, text) in PLANTS.items()] + EXTRA_PLANTS


WIDE = {"COLUMNS": "200"}  # rich wraps the summary table at the terminal width


def _copy(built_warehouse: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), dest)
    return dest


def _suite(name: str) -> Suite:
    from expectations.runner import all_suites

    return next(s for s in all_suites() if s.name == name)


def test_every_suite_has_a_planted_bad_row() -> None:
    names = suite_names()
    assert len(names) == len(set(names))
    assert set(names) == set(PLANTS)
    raw = {n for n in names if n.startswith("raw.")}
    marts = {n for n in names if n.startswith("marts.")}
    assert len(raw) >= 9 + 2 and len(marts) == 15


@pytest.fixture(scope="module")
def good(built_warehouse, tmp_path_factory) -> tuple[Path, dict[str, SuiteOutcome]]:
    """Every suite run once on an untouched copy of the fixture, Data Docs written."""
    wh = _copy(built_warehouse, tmp_path_factory.mktemp("gx_good"))
    return wh, {o.name: o for o in run_suites(wh)}


def test_all_suites_pass_on_good_data_and_write_data_docs(good) -> None:
    wh, outcomes = good
    failed = {n: o.error or o.failures for n, o in outcomes.items() if not o.success}
    assert failed == {}
    assert set(outcomes) == set(PLANTS)
    assert all(o.rows > 0 for o in outcomes.values())
    html = (docs_dir(wh) / "index.html").read_text(encoding="utf-8")
    assert "marts.incident_sla" in html and "relations.kck" in html


def test_cli_check_exit_code(built_warehouse, tmp_path, monkeypatch) -> None:
    import expectations.runner as runner
    from warehouse.cli import main

    wh = _copy(built_warehouse, tmp_path)
    two = [_suite("raw.sc_projects"), _suite("marts.director_kpis")]
    monkeypatch.setattr(runner, "all_suites", lambda: two)
    result = CliRunner().invoke(main, ["check", "--warehouse", str(wh)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "2 suites" in result.output and "0 failed: all passed" in result.output
    con = duckdb.connect(str(wh))
    con.execute("update raw.sc_projects set status = 'abandoned' "
                f"where {_first('raw.sc_projects')}")
    con.close()
    result = CliRunner().invoke(main, ["check", "--warehouse", str(wh)], env=WIDE)
    assert result.exit_code == 1
    assert "abandoned" in result.output and "1 suite(s) failed" in result.output


@pytest.mark.parametrize(("suite_name", "plant", "reported"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_suite_passes_on_good_data_and_fails_on_planted_row(
        built_warehouse, good, tmp_path, suite_name: str, plant: str, reported: str) -> None:
    _, outcomes = good
    assert outcomes[suite_name].success, outcomes[suite_name].failures
    assert not any(f.startswith(reported + ":") for f in outcomes[suite_name].failures)

    wh = _copy(built_warehouse, tmp_path)
    con = duckdb.connect(str(wh))
    try:
        con.execute(plant)
    finally:
        con.close()
    [bad] = run_suites(wh, [_suite(suite_name)], write_docs=False)
    assert not bad.success
    assert bad.failed >= 1
    assert any(f.startswith(reported + ":") for f in bad.failures), bad.failures


def test_run_checks_returns_false_names_suite_and_values(built_warehouse, tmp_path) -> None:
    wh = _copy(built_warehouse, tmp_path)
    con = duckdb.connect(str(wh))
    con.execute(f"update raw.tickets set channel = 'pigeon' where {_first('raw.tickets')}")
    con.close()
    out = io.StringIO()
    console = Console(file=out, width=200)
    ok = run_checks(wh, [_suite("raw.tickets"), _suite("raw.calls")], console=console)
    text = out.getvalue()
    assert ok is False
    assert "pigeon" in text and "channel" in text
    assert "1 suite(s) failed" in text


def test_missing_mart_is_a_failure_not_a_crash(built_warehouse, tmp_path) -> None:
    wh = _copy(built_warehouse, tmp_path)
    con = duckdb.connect(str(wh))
    con.execute("drop table marts.kck_calls_hourly")
    con.close()
    outcomes = run_suites(wh, [_suite("marts.kck_calls_hourly"), _suite("relations.kck")],
                          write_docs=False)
    assert [o.success for o in outcomes] == [False, False]
    assert all("missing table(s): marts.kck_calls_hourly" in (o.error or "") for o in outcomes)


# ----------------------------------------------------------------- a build at an earlier as_of
AS_OF = "2025-06-30 15:00"  # mid-year: the fixture data runs to the end of 2025


@pytest.fixture(scope="module")
def as_of_warehouse(built_warehouse, tmp_path_factory) -> Path:
    """The fixture rebuilt as known at AS_OF (staging cuts raw there)."""
    from warehouse.build import build

    wh = tmp_path_factory.mktemp("gx_as_of") / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    result = build(wh, as_of=AS_OF, docs=False)
    assert result.as_of == AS_OF + ":00"
    return wh


def _scalar(wh: Path, sql: str) -> object:
    con = duckdb.connect(str(current_file(wh)), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_checks_pass_on_a_build_at_an_earlier_as_of(as_of_warehouse) -> None:
    wh = as_of_warehouse
    # the cut is real: raw holds later rows than the marts, and some reviews are blanked
    assert _scalar(wh, "select count(*) from raw.calls") > _scalar(
        wh, "select sum(offered) from marts.kck_queue_service") > 0
    assert _scalar(wh, "select count(*) from raw.publications where ready_at > "
                       f"'{AS_OF}'") > 0
    assert _scalar(wh, "select count(*) from marts.service_card_freshness "
                       "where last_reviewed_at is null") > 0
    out = io.StringIO()
    ok = run_checks(wh, console=Console(file=out, width=200))
    assert ok is True, out.getvalue()
    assert "0 failed: all passed" in out.getvalue()


AS_OF_PLANTS: list[tuple[str, str, str]] = [
    # a call ended before as_of missing from raw: the marts count one call more
    ("relations.kck",
     f"delete from raw.calls where call_id = (select min(call_id) from raw.calls "
     f"where ended_at < '{AS_OF}')", "queue_offered/raw_calls"),
    # a card reviewed before as_of in raw, blank in the mart (staging would have kept it)
    ("relations.portals",
     "update raw.service_cards set last_reviewed_at = '2025-01-02 10:00' where card_id = "
     "(select min(card_id) from marts.service_card_freshness where last_reviewed_at is null)",
     "cards_without_review/raw_cards_unreviewed"),
    # a submission received before as_of that the marts do not have
    ("relations.portals",
     f"delete from marts.submissions where {_first('marts.submissions')}",
     "submissions_rows/raw_submissions"),
    ("relations.freshness",
     f"delete from raw.tickets where opened_at > timestamp '{AS_OF}' - interval 30 day",
     "lag_days__tickets"),
]


@pytest.mark.parametrize(("suite_name", "plant", "reported"), AS_OF_PLANTS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(AS_OF_PLANTS)])
def test_planted_row_fails_at_an_earlier_as_of(
        as_of_warehouse, tmp_path, suite_name: str, plant: str, reported: str) -> None:
    wh = _copy(as_of_warehouse, tmp_path)
    [before] = run_suites(wh, [_suite(suite_name)], write_docs=False)
    assert before.success, before.failures
    con = duckdb.connect(str(wh))
    try:
        con.execute(plant)
    finally:
        con.close()
    [bad] = run_suites(wh, [_suite(suite_name)], write_docs=False)
    assert not bad.success
    assert any(f.startswith(reported + ":") for f in bad.failures), bad.failures


def test_raw_rows_after_as_of_do_not_count(as_of_warehouse, tmp_path) -> None:
    """Removing or adding raw rows the build did not know yet changes no relation."""
    wh = _copy(as_of_warehouse, tmp_path)
    con = duckdb.connect(str(wh))
    try:
        con.execute(f"delete from raw.calls where offered_at > '{AS_OF}'")
        con.execute("insert into raw.submissions select * replace ("
                    "'LATE-' || submission_id as submission_id) from raw.submissions "
                    f"where received_at > '{AS_OF}' limit 3")
    finally:
        con.close()
    suites = [_suite(n) for n in ("relations.kck", "relations.portals", "relations.freshness")]
    outcomes = run_suites(wh, suites, write_docs=False)
    assert {o.name: o.failures for o in outcomes if not o.success} == {}


def test_check_works_with_a_relative_warehouse_path(built_warehouse, monkeypatch):
    """`cityops check` with the default relative path (data/warehouse.duckdb), as make demo runs
    it: GX needs an absolute docs directory."""
    from expectations.runner import docs_dir, run_checks

    monkeypatch.chdir(built_warehouse.parent.parent)
    relative = Path(built_warehouse.parent.name) / built_warehouse.name
    assert run_checks(relative) is True
    assert (docs_dir(relative) / "index.html").exists()


def test_big_tables_are_checked_in_batches_without_losing_a_failure(built_warehouse, tmp_path,
                                                                    monkeypatch):
    """With tiny batches, a bad value in the last batch and a duplicate key split across
    batches still fail, and the good table still passes (memory stays flat at 10×)."""
    from expectations import runner

    monkeypatch.setattr(runner, "BATCH_ROWS", 100)
    suites = [s for s in runner.all_suites() if s.name == "raw.calls"]
    wh = _copy(built_warehouse, tmp_path)
    assert runner.run_suites(wh, suites, write_docs=False)[0].success
    con = duckdb.connect(str(current_file(wh)))
    last = con.execute("select max(rowid) from raw.calls").fetchone()[0]
    con.execute("update raw.calls set queue = repeat('x', 5000) where rowid = ?", [last])
    con.execute("insert into raw.calls select * from raw.calls where rowid = 0")
    con.close()
    outcome = runner.run_suites(wh, suites, write_docs=False)[0]
    assert outcome.rows > 200
    assert not outcome.success
    text = " ".join(outcome.failures)
    assert "call_id" in text and "unique" in text, outcome.failures
    assert "queue" in text and "length" in text, outcome.failures
