"""The Smart City portfolio (issue 14 § 4): RAG over active projects only, the same count on
the director's tile and on the Smart City page, and a history that builds up from the
versions successive loads deliver (raw.sc_projects__snapshots), the months before it
reconstructed from the schedule and said so.

The RAG rule itself is pinned case by case by the dbt unit tests of
``dbt/models/marts/smart_city/_smart_city__unit_tests.yml`` (run by
tests/test_build.py::test_dbt_unit_tests_pass)."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import query
from streamlit.testing.v1 import AppTest

from dashboards.i18n import t
from warehouse.build import build
from warehouse.load import load_directory

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
AS_OF = "2025-12-31 23:59:59"
SNAPSHOT_AT = datetime(2025, 6, 15, 6, 0)


@pytest.fixture(scope="module")
def wh(built_warehouse):
    mp = pytest.MonkeyPatch()
    mp.setenv("CITYOPS_WAREHOUSE", str(built_warehouse))
    yield built_warehouse
    mp.undo()


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def red_metric(at: AppTest) -> int:
    return int(next(m for m in at.metric if m.label == "RAG: czerwony").value)


def tile(at: AppTest, name: str) -> str:
    return next(m.value for m in at.metric if m.label == name)


# ---------------------------------------------------------------- one count, two pages

def test_finished_and_cancelled_projects_are_never_red(wh):
    states = dict(query(wh, "select status, string_agg(distinct rag_status, ',' order by "
                            "rag_status) from marts.smart_city_project_months group by 1"))
    assert states["completed"] == "completed"  # the fixture's portfolio has finished ones
    assert states.get("cancelled", "cancelled") == "cancelled"
    for status in ("planned", "in_progress", "on_hold"):
        assert set(states.get(status, "green").split(",")) <= {"red", "amber", "green"}
    current = query(wh, "select count(*) from marts.smart_city_portfolio "
                        "where rag_status = 'red' and status in ('completed', 'cancelled')")
    assert current == [(0,)]


def test_director_tile_and_smart_city_page_count_the_same_red_projects(wh):
    """10.2026 once read 2 red on the tile and 13 on the page (finished and cancelled
    projects red there); now both count smart_city_project_months.rag_status, for every
    month the overview has."""
    name = query(wh, "select kpi_name_pl from marts.kpis where kpi_code = 'sc_projects_red'")[0][0]
    months = [r[0] for r in query(
        wh, "select month_start from marts.director_kpis where kpi_code = 'sc_projects_red' "
            "order by 1")]
    overview = [r[0] for r in query(wh, "select distinct month_start from marts.director_kpis "
                                        "order by 1")]
    assert months == overview, "the tile exists for every month of the overview"
    red_by_month = dict(query(
        wh, "select month_start, count(*) filter (where rag_status = 'red') "
            "from marts.smart_city_project_months group by 1"))
    earlier = next((m for m in months if red_by_month.get(m)), months[0])
    director = open_page("director")
    smart_city = open_page("smart_city")
    checked = 0
    for month in (months[-1], earlier):
        expected = red_by_month[month]
        tile_value = query(wh, "select value from marts.director_kpis where "
                               "kpi_code = 'sc_projects_red' and month_start = ?", [month])[0][0]
        assert tile_value == expected
        director.selectbox(key="director_month__pl").set_value(month).run()
        assert tile(director, name) == str(expected), month
        smart_city.selectbox(key="sc_month__pl").set_value(month).run()
        assert not smart_city.exception
        assert red_metric(smart_city) == expected, month
        checked += expected
    assert checked > 0, "the fixture should have a red project in one of the months"


def test_the_page_says_which_months_are_reconstructed(wh):
    first = query(wh, "select min(month_start) from marts.smart_city_project_months "
                      "where is_reconstructed")[0][0]
    n, total = query(wh, "select count(*) filter (where is_reconstructed), count(*) from "
                         "marts.smart_city_project_months where month_start = ?", [first])[0]
    at = open_page("smart_city")
    assert not at.warning, "the month of as_of is judged by current data"
    at.selectbox(key="sc_month__pl").set_value(first).run()
    assert [w.value for w in at.warning] == [t("sc_basis_reconstructed", "pl", n=n, total=total)]
    assert any(c.value.startswith("Miesiące kreskowane") for c in at.caption)


def test_status_and_area_filters_narrow_the_counts(wh):
    at = open_page("smart_city")
    at.multiselect(key="sc_status__pl").set_value(["completed"]).run()
    completed = query(wh, "select count(*) from marts.smart_city_portfolio "
                          "where status = 'completed'")[0][0]
    shown = {m.label: int(m.value) for m in at.metric}
    assert shown["RAG: czerwony"] == 0 and shown["Zakończony"] == completed
    area = query(wh, "select min(strategy_area) from marts.smart_city_portfolio")[0][0]
    at.multiselect(key="sc_status__pl").set_value([]).run()
    at.multiselect(key="sc_area__pl").set_value([area]).run()
    in_area = query(wh, "select count(*) from marts.smart_city_portfolio "
                        "where strategy_area = ?", [area])[0][0]
    assert sum(int(m.value) for m in at.metric) == in_area


def test_gantt_marks_today_at_as_of_and_states_in_words_and_patterns(wh):
    at = open_page("smart_city")
    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    gantt = next(f for f in figures if f["layout"]["title"]["text"].startswith("Harmonogram"))
    as_of = query(wh, "select as_of_at from marts.build_info")[0][0]
    (line,) = gantt["layout"]["shapes"]
    assert line["x0"].startswith(as_of.strftime("%Y-%m-%d"))  # never the wall clock
    (label,) = gantt["layout"]["annotations"]
    assert label["text"].startswith("dziś: ")
    names = {trace["name"] for trace in gantt["data"]}
    patterns = {trace["name"]: trace["marker"]["pattern"]["shape"] for trace in gantt["data"]}
    red = "realizacja · RAG: czerwony"
    if red in names:  # a red bar has a pattern of its own, not only a colour
        assert patterns[red] not in ("", None)
    texts = {x for trace in gantt["data"] for x in trace.get("text", [])}
    assert texts & {"czerwony", "bursztynowy", "zielony", "zakończony", "anulowany"}
    budget = next(f for f in figures if f["layout"]["title"]["text"].startswith("Budżet"))
    assert {trace["name"] for trace in budget["data"]} == {"budżet", "wydatki"}


# ---------------------------------------------------------------- history from the loads

def _portfolio_version(sample_dir: Path, out: Path) -> str:
    """sc_projects.csv as an earlier extract had it: one running project on hold and 50 %
    over budget. Returns its id."""
    out.mkdir()
    with (sample_dir / "sc_projects.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    target = next(r for r in rows if r["status"] == "in_progress")
    target["status"] = "on_hold"
    target["spent_pln"] = str(float(target["budget_pln"]) * 1.5)
    with (out / "sc_projects.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target["project_id"]


def _portfolio_only(sample_dir: Path, out: Path) -> Path:
    out.mkdir()
    for name in ("sc_projects.csv", "sc_milestones.csv"):
        shutil.copy(sample_dir / name, out / name)
    return out


@pytest.fixture(scope="module")
def two_loads(sample_dir, tmp_path_factory):
    """The same two portfolio extracts — one taken on 15 June 2025, today's — loaded in
    both orders into two warehouses, each built as of the end of 2025."""
    root = tmp_path_factory.mktemp("portfolio_history")
    project = _portfolio_version(sample_dir, root / "june")
    today = _portfolio_only(sample_dir, root / "today")
    built = {}
    for order in ("june_first", "today_first"):
        wh = root / order / "warehouse.duckdb"
        loads = [(root / "june", SNAPSHOT_AT), (today, None)]
        for src, extracted_at in (loads if order == "june_first" else loads[::-1]):
            load_directory(src, wh, extracted_at=extracted_at)
        build(wh, as_of=AS_OF, docs=False)
        built[order] = wh
    return project, built


def test_history_builds_up_from_the_versions_successive_loads_deliver(two_loads):
    project, built = two_loads
    wh = built["june_first"]
    versions = query(wh, "select status, _extracted_at, _snapshot_at from "
                         "raw.sc_projects__snapshots where project_id = ? order by 2", [project])
    assert [v[0] for v in versions] == ["on_hold", "in_progress"]
    assert versions[0][1:] == (SNAPSHOT_AT, SNAPSHOT_AT)
    # the newer extract's default extraction time is its latest moment (a plan years
    # ahead); the version was known no later than its load
    assert versions[1][2] <= datetime.now() < versions[1][1]
    months = {m: (basis, rag, reason) for m, basis, rag, reason in query(
        wh, "select month_start, basis, rag_status, rag_reason from "
            "marts.smart_city_project_months where project_id = ?", [project])}
    assert months[date(2025, 6, 1)] == ("snapshot", "red", "over budget; on hold")
    assert months[date(2025, 7, 1)][0] == "reconstructed"
    assert months[date(2025, 12, 1)][0] == "current"
    assert "over budget" not in months[date(2025, 12, 1)][2]  # today's spending is in budget
    june = query(wh, "select count(*), count(*) filter (where basis = 'snapshot') from "
                     "marts.smart_city_project_months where month_start = '2025-06-01'")[0]
    assert june[0] == june[1] > 20  # every project of that extract judged by it


def test_history_is_the_same_whatever_order_the_extracts_arrive_in(two_loads):
    _, built = two_loads
    sql = ("select month_start, project_id, basis, status, rag_status, rag_reason "
           "from marts.smart_city_project_months order by 1, 2")
    assert query(built["june_first"], sql) == query(built["today_first"], sql)
    older = query(built["today_first"], "select count(*) from raw.sc_projects__history")[0][0]
    assert older > 0, "loaded second, the June extract lost to today's and went to history"
    versions = ("select project_id, status, spent_pln, _extracted_at from "
                "raw.sc_projects__snapshots order by all")
    assert query(built["june_first"], versions) == query(built["today_first"], versions)
