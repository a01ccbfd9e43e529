"""The mart invariants dbt owns (moved from the Great Expectations mart and relation
suites): each of these dbt tests passes on the fixture build and fails on a bad value
planted in a copy of it.

The marts are computed from raw, so a bad mart value cannot come from raw: the values are
planted in the marts of a copy and the tests are run there with `dbt test` (a row of an
incremental mart is planted as a row of this build: its tests read the rows of the
current build, macros/incremental.sql). One copy holds every plant; each plant breaks the
rule of one test, and every test on the list is checked to fail (and to pass without the
plants).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from warehouse.build import DBT_DIR, dbt_session
from warehouse.store import current_file

PLANT_BUILD = "plant"
NO_UNIT = "unit_code = '(none)'"  # var no_unit
WITH_UNIT = f"not ({NO_UNIT})"
HIGHER_IS_BETTER = "direction = 'higher_is_better' and target is not null"
CLASSIFIED = "topic_code <> 'unclassified'"
DIMENSIONS = ("organisation_units", "topics", "service_catalogue")


def _row(table: str, k: int = 0, where: str = "true") -> str:
    return f"rowid = (select min(rowid) + {k} from {table} where {where})"


def _incremental(table: str, set_: str, where: str = "true") -> str:
    """Plant in an incremental mart: the row becomes one this build wrote."""
    return (f"update {table} set {set_}, _build_id = '{PLANT_BUILD}' "
            f"where {_row(table, where=where)}")


# dbt test (node name) → the bad value that breaks its rule (a statement, or several)
PLANTS: dict[str, str | tuple[str, ...]] = {
    "expressions_are_true_incident_sla": _incremental(
        "marts.incident_sla", "first_response_at = opened_at - interval 1 hour",
        "first_response_at is not null"),
    "expressions_are_true_incident_sla_monthly":
        f"update marts.incident_sla_monthly set sla_met_pct = 120 "
        f"where {_row('marts.incident_sla_monthly', 0, 'sla_met_pct is not null')}",
    "relationships_all_incident_sla_monthly__group_code":
        f"update marts.incident_sla_monthly set group_code = 'XX-99' "
        f"where {_row('marts.incident_sla_monthly', 1)}",
    "columns_accepted_values_incident_sla_monthly__priority":
        f"update marts.incident_sla_monthly set priority = 7 "
        f"where {_row('marts.incident_sla_monthly', 2)}",
    "expressions_are_true_kck_queue_service":
        f"update marts.kck_queue_service set queue = lower(queue) "
        f"where {_row('marts.kck_queue_service')}",
    "expressions_are_true_kck_call_topics":
        f"update marts.kck_call_topics set share_of_answered_pct = 150 "
        f"where {_row('marts.kck_call_topics')}",
    "expressions_are_true_kck_calls_hourly":
        f"update marts.kck_calls_hourly set service_level_pct = -1 "
        f"where {_row('marts.kck_calls_hourly', 0, 'service_level_pct is not null')}",
    "expressions_are_true_submissions": _incremental(
        "marts.submissions", "closed_at = received_at - interval 1 day",
        "closed_at is not null"),
    "expressions_are_true_publications": _incremental(
        "marts.publications", "published_at = ready_at - interval 1 day",
        "published_at is not null"),
    "expressions_are_true_service_card_freshness__error":
        f"update marts.service_card_freshness set last_reviewed_at = null "
        f"where {_row('marts.service_card_freshness', 0, 'days_since_review is not null')}",
    "columns_not_null_service_card_freshness_card_id__title_pl__is_stale":
        f"update marts.service_card_freshness set is_stale = null "
        f"where {_row('marts.service_card_freshness', 1)}",
    "expressions_are_true_service_catalogue":
        f"update marts.service_catalogue set sla_met_pct = 101 "
        f"where {_row('marts.service_catalogue', 0, 'sla_met_pct is not null')}",
    "expressions_are_true_smart_city_portfolio":
        f"update marts.smart_city_portfolio set planned_end = planned_start - 1 "
        f"where {_row('marts.smart_city_portfolio', 1)}",
    "expressions_are_true_unit_workload":
        f"update marts.unit_workload set publications_made = -1 "
        f"where {_row('marts.unit_workload')}",
    # the dimensions: every reference row, mapped; the unmapped rows as such
    # (the last mapped row gone from each dimension, clear of the other plants' rows: the
    # test checks the three in one loop)
    "assert_dimensions_hold_the_reference_data": tuple(
        f"delete from marts.{d} where rowid = (select max(rowid) from marts.{d} "
        f"where is_mapped)" for d in DIMENSIONS),
    "expressions_are_true_organisation_units":
        f"update marts.organisation_units set department = null "
        f"where {_row('marts.organisation_units', 1)}",
    "expressions_are_true_topics":
        f"update marts.topics set topic_group = 'unmapped' where {_row('marts.topics')}",
    "relationships_all_kck_call_topics__topic_code":
        f"update marts.kck_call_topics set topic_code = 'made-up topic' "
        f"where {_row('marts.kck_call_topics', 0, CLASSIFIED)}",
    "relationships_all_director_kpis_by_unit__unit_code":
        f"update marts.director_kpis_by_unit set unit_code = 'XX-99' "
        f"where {_row('marts.director_kpis_by_unit', 0, WITH_UNIT)}",
    "columns_not_null_director_kpis_by_unit":  # no unit's row without its English name
        f"update marts.director_kpis_by_unit set unit_name_en = null "
        f"where {_row('marts.director_kpis_by_unit', 0, NO_UNIT)}",
    "expressions_are_true_director_kpis_by_unit":
        f"update marts.director_kpis_by_unit set denominator = -1 "
        f"where {_row('marts.director_kpis_by_unit', 0, 'denominator > 0')}",
    # the KPI registry
    "relationships_all_kpi_values__kpi_code":
        f"update marts.kpi_values set kpi_code = 'made_up_kpi' "
        f"where {_row('marts.kpi_values')}",
    "relationships_all_director_kpis__kpi_code":
        f"update marts.director_kpis set kpi_code = 'made_up_kpi' "
        f"where {_row('marts.director_kpis', 0, 'target is null')}",
    "columns_accepted_values_director_kpis__target_status__value_target_status":
        f"update marts.director_kpis set target_status = 'blue' "
        f"where {_row('marts.director_kpis', 0, 'is_on_target')}",
    "expressions_are_true_director_kpis":
        f"update marts.director_kpis set target_status = 'on_target' "
        f"where {_row('marts.director_kpis', 0, 'not is_on_target')}",
    "columns_accepted_values_kpi_values__breakdown":
        f"update marts.kpi_values set breakdown = 'district' "
        f"where {_row('marts.kpi_values', 1)}",
    "columns_accepted_values_director_kpis_by_priority__priority__target_status":
        f"update marts.director_kpis_by_priority set priority = 7 "
        f"where {_row('marts.director_kpis_by_priority')}",
    "expressions_are_true_director_kpis_by_priority":  # more met than resolved
        f"update marts.director_kpis_by_priority set numerator = denominator + 1 "
        f"where {_row('marts.director_kpis_by_priority', 1)}",
    "expressions_are_true_city_score":  # more KPIs below target than scored
        f"update marts.city_score set kpis_below_target = kpis_scored + 1 "
        f"where {_row('marts.city_score', 0, 'kpis_scored > 0')}",
    "columns_accepted_values_kpi_alerts__alert_kind":
        f"update marts.kpi_alerts set alert_kind = 'panic' where {_row('marts.kpi_alerts')}",
    "expressions_are_true_kpi_alerts":  # about a period of another month
        f"update marts.kpi_alerts set period_start = month_start + interval 40 day "
        f"where {_row('marts.kpi_alerts', 1)}",
    "columns_accepted_values_kpis__period_basis":
        f"update marts.kpis set period_basis = 'fortnight' where {_row('marts.kpis', 2)}",
    "expressions_are_true_kpis":  # a warning band on the "better" side of the target
        f"update marts.kpis set warning = target + 1 "
        f"where {_row('marts.kpis', 0, HIGHER_IS_BETTER)}",
    # raw ↔ mart and mart ↔ mart relations
    "assert_marts_count_the_source_rows_known_at_as_of":
        f"delete from marts.smart_city_milestones where {_row('marts.smart_city_milestones')}",
    "assert_service_catalogue_reconciles":
        f"update marts.service_catalogue set tickets = tickets + 1 "
        f"where {_row('marts.service_catalogue', 1)}",
    "assert_no_mart_month_after_as_of":
        f"update marts.unit_workload set month_start = month_start + interval 1 year "
        f"where {_row('marts.unit_workload')}",
}


def _run_tests(db: Path, work: Path, as_of: str) -> dict[str, tuple[str, int]]:
    """`dbt test` of the tests of PLANTS on ``db``: node name → (status, failures)."""
    from dbt.cli.main import dbtRunner

    common = ["--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    with dbt_session(db, as_of=as_of, build_id=PLANT_BUILD):
        result = dbtRunner().invoke(["test", *common, "--select", *PLANTS])
    assert result.result is not None, result.exception
    return {r.node.name: (str(r.status), r.failures or 0) for r in result.result.results
            if r.node.resource_type == "test"}  # not the on-run-end hook


@pytest.fixture(scope="module")
def results(built_warehouse, tmp_path_factory) -> dict[str, dict[str, tuple[str, int]]]:
    work = tmp_path_factory.mktemp("dbt_mart_rules")
    good, bad = work / "good.duckdb", work / "bad.duckdb"
    shutil.copyfile(current_file(built_warehouse), good)
    shutil.copyfile(good, bad)
    with duckdb.connect(str(bad)) as con:
        as_of = str(con.execute("select as_of_at from marts.build_info").fetchone()[0])
        for plant in PLANTS.values():
            for sql in (plant,) if isinstance(plant, str) else plant:
                assert con.execute(sql).fetchone()[0] == 1, sql  # the plant changed one row
    # the fixture's rows of incremental marts carry its own build id: the good copy is
    # tested as a full build (every row), the bad one with only the planted rows of them
    with duckdb.connect(str(good)) as con:
        for table in ("incident_sla", "submissions", "publications"):
            con.execute(f"update marts.{table} set _build_id = '{PLANT_BUILD}'")
    return {"good": _run_tests(good, work / "good", as_of),
            "bad": _run_tests(bad, work / "bad", as_of)}


def test_every_dimension_is_held_to_its_reference_data(results) -> None:
    """One failing row per dimension a mapped row was deleted from: none is left out."""
    assert results["bad"]["assert_dimensions_hold_the_reference_data"] == (
        "fail", len(DIMENSIONS))


def test_every_moved_rule_passes_on_the_fixture(results) -> None:
    assert set(results["good"]) == set(PLANTS)
    assert {n: s for n, s in results["good"].items() if s[0] != "pass"} == {}


@pytest.mark.parametrize("test_name", list(PLANTS))
def test_moved_rule_fails_on_its_planted_value(results, test_name: str) -> None:
    status, failures = results["bad"][test_name]
    assert status == "fail" and failures >= 1, (test_name, status, failures)
