"""The KPI registry (seeds/kpi_definitions.csv, kpi_targets.csv) is the one list of director
KPIs: every KPI a mart computes is registered, every registered KPI is computed from the
test data, and the formula marts.kpis hands to the query layer gives the marts' values for
any slice — checked here against values summed independently from the detail marts."""

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from warehouse.store import connect_read_only

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _registry() -> list[dict[str, str]]:
    with open(SEEDS / "kpi_definitions.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def con(built_warehouse):
    con = connect_read_only(built_warehouse)
    yield con
    con.close()


def test_every_registered_kpi_is_computed_and_every_computed_kpi_registered(con):
    registered = {row["kpi_code"] for row in _registry()}
    for table in ("kpi_values", "director_kpis", "kpis"):
        built = {c for (c,) in con.cursor().execute(
            f"select distinct kpi_code from marts.{table}").fetchall()}
        assert built == registered, table


def test_the_overview_order_is_the_registry_order(con):
    from dashboards.queries.director import kpi_tiles

    month = con.cursor().execute("select max(month_start) from marts.director_kpis").fetchone()[0]
    order = sorted(_registry(), key=lambda r: int(r["display_order"]))
    tiles = kpi_tiles(con.cursor(), month)  # a cursor per query, as the dashboards run them
    assert list(tiles["kpi_code"]) == [r["kpi_code"] for r in order]
    assert tiles["definition_pl"].null_count() == 0


def test_the_registry_formula_gives_the_marts_value_for_a_slice(con):
    """The formula text of marts.kpis over summed parts = director_kpis (a month) and =
    director_kpis_by_unit (a unit): the query layer and dbt compute a KPI one way."""
    rows = con.cursor().execute("""
        select k.kpi_code, k.formula_sql, v.month_start, v.breakdown, v.breakdown_value,
               v.numerator, v.denominator, d.value as city_value, u.value as unit_value,
               p.value as priority_value
        from marts.kpi_values as v
        join marts.kpis as k using (kpi_code)
        left join marts.director_kpis as d
            on d.kpi_code = v.kpi_code and d.month_start = v.month_start
            and v.breakdown = 'all'
        left join marts.director_kpis_by_unit as u
            on u.kpi_code = v.kpi_code and u.month_start = v.month_start
            and v.breakdown = 'unit' and u.unit_code = v.breakdown_value
        left join marts.director_kpis_by_priority as p
            on p.kpi_code = v.kpi_code and p.month_start = v.month_start
            and v.breakdown = 'priority' and p.priority::varchar = v.breakdown_value
        where v.month_start = (select max(month_start) - interval 2 month
                               from marts.kpi_values)
    """).fetchall()
    assert len(rows) > 20 and {r[3] for r in rows} == {"all", "unit", "priority"}
    for code, formula, _month, kind, part, num, den, city, by_unit, by_priority in rows:
        (value,) = con.cursor().execute(f"select {formula} from (select ?::double as numerator, "
                               "?::double as denominator)", [num, den]).fetchone()
        expected = {"all": city, "unit": by_unit, "priority": by_priority}[kind]
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), (code, part)


def test_the_priorities_add_up_to_the_city_wide_sla(con):
    """A second way: the priorities' parts of each SLA KPI sum to the city-wide parts, and
    a priority's share equals a count straight from incident_sla."""
    bad = con.cursor().execute("""
        select a.month_start, a.kpi_code from marts.kpi_values as a
        join (select month_start, kpi_code, sum(numerator) as n, sum(denominator) as d
              from marts.kpi_values where breakdown = 'priority' group by all) as p
            using (month_start, kpi_code)
        where a.breakdown = 'all' and (a.numerator != p.n or a.denominator != p.d)
    """).fetchall()
    assert bad == []
    month, value = con.cursor().execute("""
        select month_start, value from marts.director_kpis_by_priority
        where kpi_code = 'incident_sla_met_pct' and priority = 1
        order by month_start desc limit 1 offset 2""").fetchone()
    met, resolved = con.cursor().execute("""
        select count(*) filter (where is_sla_met), count(*) from marts.incident_sla
        where is_resolved and priority = 1 and resolved_month = ?""", [month]).fetchone()
    assert value == pytest.approx(100 * met / resolved)


def test_sla_kpi_equals_a_count_straight_from_the_tickets(con):
    """A second way: the share of tickets resolved in a month within SLA, counted from
    incident_sla, equals the director KPI of that month."""
    month, kpi = con.cursor().execute("""
        select month_start, value from marts.director_kpis
        where kpi_code = 'incident_sla_met_pct' and value is not null
        order by month_start desc limit 1 offset 3""").fetchone()
    met, resolved = con.cursor().execute("""
        select count(*) filter (where is_sla_met), count(*) from marts.incident_sla
        where is_resolved and resolved_month = ?""", [month]).fetchone()
    assert resolved > 0
    assert kpi == pytest.approx(100.0 * met / resolved)


def _kpi(con, code: str, month) -> float:
    return con.cursor().execute("select value from marts.director_kpis where kpi_code = ? "
                                "and month_start = ?", [code, month]).fetchone()[0]


def test_a_page_figure_named_like_a_kpi_is_the_kpi(con):
    """The service-desk page's monthly SLA and first-line shares are the director KPIs of
    the month: the query layer applies the registry's formula to the same rows."""
    from dashboards.queries.incidents import monthly_totals

    month = con.cursor().execute("select max(month_start) - interval 1 month "
                                 "from marts.director_kpis").fetchone()[0].date()
    totals = monthly_totals(con.cursor(), month, month).row(0, named=True)
    assert totals["sla_met_pct"] == pytest.approx(_kpi(con, "incident_sla_met_pct", month))
    assert totals["first_line_resolved_pct"] == pytest.approx(
        _kpi(con, "first_line_resolution_pct", month))


def test_the_query_layer_formula_is_the_registry_s_and_refuses_an_unknown_kpi(con):
    from dashboards.queries.common import kpi_formula

    sql = kpi_formula(con.cursor(), "kck_asa_seconds", "sum(w)", "count(*)")
    assert "(sum(w))" in sql and "(count(*))" in sql
    assert con.cursor().execute(f"select {sql} from (values (10.0), (20.0)) t (w)"
                                ).fetchone()[0] == pytest.approx(15.0)
    assert con.cursor().execute(f"select {sql} from (values (1.0)) t (w) where false"
                                ).fetchone()[0] is None  # no answered call: no mean
    with pytest.raises(KeyError, match="no_such_kpi"):
        kpi_formula(con.cursor(), "no_such_kpi", "1", "1")


def test_the_publications_page_counts_by_month_of_publication_as_the_kpi_does(con):
    """Summed over portals, the page's month is the director KPI's month (both by the
    month of publication); what is not yet published is counted apart, never in a month."""
    from dashboards.queries.publications import awaiting_publication, by_portal_month

    month = con.cursor().execute("select max(month_start) - interval 1 month "
                                 "from marts.director_kpis").fetchone()[0].date()
    page = by_portal_month(con.cursor(), month, month)
    within, published = page["within_1wd"].sum(), page["published"].sum()
    assert published > 0
    assert 100.0 * within / published == pytest.approx(
        _kpi(con, "publications_within_1wd_pct", month))
    # a second way, from the detail rows: the month's publications by published_at
    direct = con.cursor().execute("""
        select count(*) from marts.publications
        where published_at >= ? and published_at < ? + interval 1 month""",
        [month, month]).fetchone()[0]
    assert published == direct
    waiting = con.cursor().execute(
        "select count(*) from marts.publications where published_at is null").fetchone()[0]
    assert awaiting_publication(con.cursor())["awaiting_publication"].sum() == waiting


# Which way is better, written down from what each KPI counts (a share met, a share missed,
# a wait, a backlog) — not read from the registry, so a flipped `direction` there is caught.
BETTER = {
    "incident_sla_met_pct": "higher", "incident_response_sla_met_pct": "higher",
    "first_line_resolution_pct": "higher", "escalations_without_comment_pct": "lower",
    "incident_backlog": "lower", "kck_service_level_pct": "higher",
    "kck_abandon_rate_pct": "lower", "kck_asa_seconds": "lower",
    "submissions_overdue_pct": "lower", "submission_days_to_forward": "lower",
    "publications_within_1wd_pct": "higher", "stale_service_cards_pct": "lower",
    "sc_projects_red": "lower",
}


def test_each_kpi_s_direction_is_the_one_its_meaning_gives(con):
    registry = _registry()
    assert {row["kpi_code"] for row in registry} == set(BETTER)
    for row in registry:  # every definition row, also one that starts later
        assert row["direction"] == f"{BETTER[row['kpi_code']]}_is_better", row["kpi_code"]
    for table in ("kpis", "director_kpis"):
        built = con.cursor().execute(
            f"select distinct kpi_code, direction from marts.{table}").fetchall()
        assert {k: d for k, d in built} == {k: f"{b}_is_better" for k, b in BETTER.items()}


def _step(kpi: str, better: bool) -> float:
    """+1 or −1 in the unit of the KPI: towards better or worse, by BETTER."""
    return 1.0 if (BETTER[kpi] == "higher") == better else -1.0


def test_is_on_target_on_a_planted_value_either_side_of_each_target(built_warehouse, tmp_path):
    """director_kpis' own compiled SQL over the built registry and targets, on planted
    values: each KPI with a target exactly at it in one month (on target: the target is
    met), one unit better the next (on target) and one unit worse the next (not on target,
    whether within the warning band or beyond)."""
    import shutil

    import duckdb

    from warehouse.build import docs_dir
    from warehouse.build.dbt_process import DBT_DATABASE_FILE
    from warehouse.store import current_file

    compiled = next((docs_dir(built_warehouse) / "compiled").rglob("director_kpis.sql"))
    db = tmp_path / DBT_DATABASE_FILE  # the catalogue name the compiled SQL uses
    shutil.copyfile(current_file(built_warehouse), db)
    with open(SEEDS / "kpi_targets.csv", encoding="utf-8", newline="") as f:
        targets = {r["kpi_code"]: float(r["target"]) for r in csv.DictReader(f)
                   if r["breakdown"] == "all" and r["target"]}
    kinds = {row["kpi_code"]: row["kind"] for row in _registry()}
    assert len(targets) >= 10 and set(targets) <= set(BETTER)
    con = duckdb.connect(str(db))
    try:
        (month,) = con.execute("select cast(date_trunc('month', as_of_at) as date) "
                               "from marts.build_info").fetchone()
        con.execute("delete from marts.kpi_values")
        con.execute("delete from marts.director_kpis_by_priority")  # the city-wide verdict only
        planted = []
        for kpi, target in targets.items():
            for offset, step in ((2, 0.0), (1, _step(kpi, True)), (0, _step(kpi, False))):
                value = target + step
                # ratio: 100·n/d, mean: n/d, count: n
                numerator, denominator = {"ratio": (value * 10, 1000.0), "mean": (value * 10, 10.0),
                                          "count": (value, None)}[kinds[kpi]]
                planted.append((offset, kpi, numerator, denominator))
        con.executemany("insert into marts.kpi_values by name select cast(? as date) - "
                        "to_months(?) as month_start, ? as kpi_code, 'all' as breakdown, "
                        "'(all)' as breakdown_value, ? as numerator, ? as denominator",
                        [(month, offset, kpi, n, d) for offset, kpi, n, d in planted])
        judged = con.execute(f"select month_start, kpi_code, value, is_on_target from "
                             f"({compiled.read_text()})").fetchall()
    finally:
        con.close()
    previous = month.replace(day=1, month=month.month - 1) if month.month > 1 else \
        month.replace(year=month.year - 1, month=12)
    two_before = (previous - timedelta(days=1)).replace(day=1)
    verdicts = {(m, k): (v, ok) for m, k, v, ok in judged}
    for kpi, target in targets.items():
        assert verdicts[(two_before, kpi)] == (pytest.approx(target), True), kpi
        assert verdicts[(previous, kpi)] == (pytest.approx(target + _step(kpi, True)), True), kpi
        assert verdicts[(month, kpi)] == (pytest.approx(target + _step(kpi, False)), False), kpi


def _tile(row: dict) -> None:
    from dashboards.components import kpi_tile

    kpi_tile(row, "pl")


def test_a_tile_colours_a_better_move_green_and_a_worse_one_red(con):
    """The tile of each KPI as the mart has it, with a planted notable change towards
    better and towards worse: green for better, red for worse; the arrow follows the sign."""
    from streamlit.proto.Metric_pb2 import Metric
    from streamlit.testing.v1 import AppTest

    cur = con.cursor().execute("select * from marts.director_kpis where month_start = "
                      "(select max(month_start) from marts.director_kpis)")
    names = [c[0] for c in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert {r["kpi_code"] for r in rows} == set(BETTER)
    for row in rows:
        for better in (True, False):
            change = _step(row["kpi_code"], better)
            at = AppTest.from_function(_tile, args=(row | {"change": change,
                                                           "is_change_notable": True},),
                                       default_timeout=30).run()
            assert not at.exception
            (metric,) = at.metric
            colour = Metric.MetricColor.Name(metric.proto.color)
            arrow = Metric.MetricDirection.Name(metric.proto.direction)
            assert (colour, arrow) == ("GREEN" if better else "RED",
                                       "UP" if change > 0 else "DOWN"), (row["kpi_code"], better)


def _decisions_targets() -> dict[str, tuple[str, str] | None]:
    """kpi_code → (target, warning) as dbt/DECISIONS.md § 13's table writes them (None: no
    target): the decision, written for people, that the seed must carry."""
    text = (SEEDS.parent / "dbt" / "DECISIONS.md").read_text(encoding="utf-8")
    table = text.split("| kpi_code | value | unit | direction | target · warning |")[1]
    out: dict[str, tuple[str, str] | None] = {}
    for line in table.strip().splitlines()[1:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        code, target = cells[0], cells[-1]
        if target.startswith("—"):
            out[code] = None
            continue
        value, warning = (part.split("(")[0].strip() for part in target.split("·"))
        out[code] = (value, warning)
    return out


def test_each_city_wide_target_is_the_one_decisions_records():
    """Every KPI's city-wide target and warning band in seeds/kpi_targets.csv equal the
    table of dbt/DECISIONS.md § 13 (a target typed wrong in the seed, or changed without
    its decision, fails here; the planted-value tests read the seed, so they cannot)."""
    written = _decisions_targets()
    assert len(written) == len(_registry())
    with open(SEEDS / "kpi_targets.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["breakdown"] == "all"]
    latest: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["valid_from"]):
        latest[r["kpi_code"]] = r
    seeded = {code: (f"{float(r['target']):g}", f"{float(r['warning']):g}")
              for code, r in latest.items() if r["target"]}
    assert seeded == {code: tw for code, tw in written.items() if tw is not None}
    assert {code for code, tw in written.items() if tw is None} == {"incident_backlog"}
    assert "incident_backlog" not in seeded
