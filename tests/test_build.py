"""`warehouse.build`: dbt on a copy swapped in atomically, partial contract sets, failures
that leave the served warehouse alone, and incremental builds equal to full rebuilds.

Each dbt build costs ~10–25 s on this machine, so builds are shared through module
fixtures: the conftest `built_warehouse`, one partial build and one incremental chain.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import audit_load, plant_ticket

from warehouse.build import (
    AS_OF_COLUMNS,
    BUILD_RESULTS_FILE,
    DBT_DIR,
    BuildFailed,
    build,
    docs_dir,
    run_unit_tests,
)
from warehouse.store import current_file, last_update, writable_copy

MARTS = {
    "build_info", "organisation_units", "incident_sla", "incident_sla_monthly", "kck_queue_service",
    "kck_call_topics", "kck_calls_hourly", "submissions", "unit_workload", "publications",
    "service_card_freshness", "service_catalogue", "smart_city_portfolio", "topics",
    "smart_city_milestones", "smart_city_project_months", "director_kpis",
    "director_kpis_by_unit", "kpi_values", "kpis", "kck_staffing",
    "director_kpis_by_priority", "city_score", "kpi_alerts", "source_freshness",
}
CUTOFF = "2025-09-01"  # the incremental chain loads what happened from here on second


def _ro(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(current_file(warehouse)), read_only=True)


def _mart_counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in MARTS}


# --------------------------------------------------------------------------- full sample

def test_full_build_has_every_mart_and_all_dbt_tests_passed(built_warehouse):
    with _ro(built_warehouse) as con:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        counts = _mart_counts(con)
        n_tickets = con.execute("select count(*) from raw.tickets").fetchone()[0]
        n_calls = con.execute("select count(*) from raw.calls").fetchone()[0]
        offered = con.execute("select sum(offered) from marts.kck_queue_service").fetchone()[0]
        kpis = {r[0] for r in con.execute(
            "select distinct kpi_code from marts.director_kpis").fetchall()}
    assert MARTS <= tables
    assert all(counts[t] > 0 for t in MARTS), counts
    assert counts["incident_sla"] == n_tickets
    assert offered == n_calls
    assert len(kpis) == 13
    results = json.loads((docs_dir(built_warehouse) / BUILD_RESULTS_FILE).read_text())
    statuses = {r["status"] for r in results["results"]}
    assert statuses <= {"success", "pass", "no-op"}, statuses  # no-op: exposures
    data_tests = [r for r in results["results"] if r["unique_id"].startswith("test.")]
    assert len(data_tests) >= 100  # 121: one columns_* test per model, not one per column
    not_null = [r for r in data_tests if ".columns_not_null_" in r["unique_id"]]
    assert len(not_null) >= 13  # one per mart instead of one per column
    accepted = [r for r in data_tests if ".columns_accepted_values_" in r["unique_id"]]
    assert len(accepted) >= 10  # one per model instead of one per column
    assert (docs_dir(built_warehouse) / "index.html").exists()
    assert (docs_dir(built_warehouse) / "catalog.json").exists()


def test_dbt_unit_tests_pass(built_warehouse, tmp_path):
    """The SQL rules (DECISIONS.md) pinned by dbt unit tests; run here, in CI, rather than
    in every production build."""
    ran, failures = run_unit_tests(built_warehouse, tmp_path / "unit")
    assert failures == []
    assert ran >= 9


def test_a_new_warehouse_reuses_the_machines_parse(built_warehouse, sample_dir, tmp_path,
                                                   monkeypatch):
    """The first build of a new warehouse parses nothing again (dbt's perf_info: 0 of its
    paths parsed) when the machine has a parse of the project: the built warehouse's,
    given to a cache folder of the test's own — and leaves its parse there."""
    from warehouse.build.dbt import PARSE_FILE, parse_cache
    from warehouse.load import load_directory

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = parse_cache()
    assert cached.is_relative_to(tmp_path / "cache")
    cached.parent.mkdir(parents=True)
    shutil.copyfile(docs_dir(built_warehouse) / PARSE_FILE, cached)
    before = cached.stat().st_mtime_ns
    wh = tmp_path / "new" / "warehouse.duckdb"
    load_directory(sample_dir, wh)
    assert not (docs_dir(wh) / PARSE_FILE).exists()  # nothing of its own to reuse
    build(wh, docs=False)
    perf = json.loads((docs_dir(wh) / "perf_info.json").read_text())
    assert perf["path_count"] > 200
    assert perf["parsed_path_count"] == 0
    assert cached.stat().st_mtime_ns > before  # the cache holds this build's parse now


def test_as_of_defaults_to_the_latest_timestamp_in_the_data(built_warehouse):
    with _ro(built_warehouse) as con:
        as_of, latest = con.execute("""
            select (select as_of_at from marts.build_info),
                   greatest((select max(event_at) from raw.ticket_events),
                            (select max(ended_at) from raw.calls),
                            (select max(received_at) from raw.submissions))
        """).fetchone()
    assert as_of >= latest
    assert str(as_of).startswith("2025-12-31")


def test_a_bare_dbt_build_without_as_of_fails_saying_so_and_compiling_still_works(tmp_path):
    """as_of reaches the models one way (build_info, from the build); dbt run by hand
    without it stops with a clear message instead of building as of a hard-coded date,
    while compiling (docs, sqlfluff, unit tests) works without it."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CITYOPS_AS_OF"}
    env["CITYOPS_DUCKDB_PATH"] = str(tmp_path / "bare.duckdb")
    dbt = [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]
    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
              "--select", "build_info"]
    compiled = subprocess.run([*dbt, "compile", *common], env=env, capture_output=True,
                              text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    built = subprocess.run([*dbt, "run", *common], env=env, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode != 0
    assert "as_of is not set: build with `cityops build`" in built.stdout
    given = subprocess.run([*dbt, "run", *common, "--vars", "{as_of: '2025-06-30 12:00:00'}"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert given.returncode == 0, given.stdout[-2000:]
    con = duckdb.connect(str(tmp_path / "bare.duckdb"), read_only=True)
    assert str(con.execute("select as_of_at from marts.build_info").fetchone()[0]) == \
        "2025-06-30 12:00:00"
    con.close()


# --------------------------------------------------------------------- partial contracts

@pytest.fixture(scope="module")
def partial_build(sample_dir, tmp_path_factory):
    """Only the service-desk extracts (tickets, events and the catalogue they refer to)."""
    from warehouse.load import load_directory

    src = tmp_path_factory.mktemp("partial_src")
    for name in ("tickets", "ticket_events", "it_services"):
        shutil.copy(sample_dir / f"{name}.csv", src / f"{name}.csv")
    wh = tmp_path_factory.mktemp("wh_partial") / "warehouse.duckdb"
    load_directory(src, wh)
    loaded_file = current_file(wh)
    result = build(wh, docs=False)
    return wh, loaded_file, result


def test_partial_contract_set_builds_every_mart(partial_build):
    wh, loaded_file, result = partial_build
    assert current_file(wh) != loaded_file  # the build was swapped in as a new file
    assert result.as_of.startswith("2025-12-31")
    with _ro(wh) as con:
        counts = _mart_counts(con)
        kpis = {r[0] for r in con.execute(
            "select distinct kpi_code from marts.director_kpis").fetchall()}
    assert counts["incident_sla"] > 1000 and counts["incident_sla_monthly"] > 0
    assert counts["service_catalogue"] > 0 and counts["organisation_units"] > 0
    for empty in ("kck_queue_service", "kck_call_topics", "kck_calls_hourly", "submissions",
                  "publications", "service_card_freshness", "smart_city_portfolio",
                  "smart_city_milestones"):
        assert counts[empty] == 0, empty
    assert kpis == {"incident_sla_met_pct", "incident_response_sla_met_pct",
                    "first_line_resolution_pct", "escalations_without_comment_pct",
                    "incident_backlog"}


def test_failed_build_names_the_node_and_leaves_the_served_warehouse(partial_build):
    wh, _, _ = partial_build
    # a ticket of priority 7, written into raw by hand (the loader refuses it), breaks the
    # accepted values of incident_sla (a unit code raw holds that the seeds do not name no
    # longer does: it is an unmapped unit, DECISIONS.md § 19)
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        con.execute("""insert into raw.tickets select 'BAD-1', timestamp '2025-12-30 09:00',
                       'incident', service_code, requester_unit, 'phone', 7, null, null, 'bad',
                       'f', 1, timestamp '2025-12-30 09:00' from raw.tickets limit 1""")
        con.execute("""insert into raw.ticket_events values ('BAD-1',
                       timestamp '2025-12-30 09:00', 'opened', 'IT-02-3', 7, 0, null, 'bad', 'f', 1,
                       timestamp '2025-12-30 09:00')""")
        audit_load(con, "bad", "tickets")  # as the loader would
        audit_load(con, "bad", "ticket_events")
        con.close()
    served = current_file(wh)
    with _ro(wh) as con:
        before = _mart_counts(con)
    with pytest.raises(BuildFailed) as info:
        build(wh, docs=False)
    assert "priority" in str(info.value)
    assert any("accepted_values_incident_sla" in name for name, _ in info.value.failures)
    assert current_file(wh) == served
    with _ro(wh) as con:
        assert _mart_counts(con) == before
        assert con.execute(
            "select count(*) from marts.incident_sla where ticket_id = 'BAD-1'").fetchone()[0] == 0
    # the pages and the pack say so, while they serve the last good build
    record = last_update(wh)
    assert record["ok"] is False and "accepted_values_incident_sla" in record["message"]
    assert not list(served.parent.glob("*.partial*"))


# ---------------------------------------------------------------------------- incremental

# columns that say which load or build wrote a row, or which build came before: not data
BOOKKEEPING = ("_last_load_id", "_load_id", "_build_id", "previous_as_of_at")


def _compare(con, table: str, exclude: tuple[str, ...] = (),
             round_doubles: bool = False) -> tuple[int, int]:
    """Rows of inc.<table> not in full_.<table> and the reverse (EXCEPT ALL).
    ``round_doubles``: DOUBLE sums to 6 decimals (DuckDB adds in no fixed order, so the
    last bit can differ between two runs; the marts round and compare exactly)."""
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'inc' and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [table.split(".")[0], table.split(".")[1]]).fetchall()
    sel = ", ".join(f'round("{c}", 6)' if round_doubles and t == "DOUBLE" else f'"{c}"'
                    for c, t in cols if c not in exclude)
    a = con.execute(f"select count(*) from (select {sel} from inc.{table} except all "
                    f"select {sel} from full_.{table})").fetchone()[0]
    b = con.execute(f"select count(*) from (select {sel} from full_.{table} except all "
                    f"select {sel} from inc.{table})").fetchone()[0]
    return a, b


def _beside_a_full_rebuild(wh: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection with ``wh``'s current build attached as inc and a full refresh of a copy
    of it as full_, for :func:`_compare`."""
    full = tmp_path / "full.duckdb"
    shutil.copyfile(current_file(wh), full)
    build(full, full_refresh=True, docs=False)
    con = duckdb.connect()
    con.execute(f"attach '{current_file(wh)}' as inc (read_only)")
    con.execute(f"attach '{current_file(full)}' as full_ (read_only)")
    return con


@pytest.fixture(scope="module")
def incremental_chain(loaded_warehouse, tmp_path_factory):
    """The daily case: build on what was known before CUTOFF (default as_of), then load
    every row with a timestamp from CUTOFF on as a second load and build again (default
    as_of, which moves forward): the second build must stay incremental."""
    wh = tmp_path_factory.mktemp("wh_incremental") / "warehouse.duckdb"
    shutil.copyfile(current_file(loaded_warehouse), wh)
    tables: dict[str, list[str]] = {}
    for table, column in AS_OF_COLUMNS:
        tables.setdefault(table, []).append(column)
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        con.execute("create schema held")
        for table, columns in tables.items():
            later = " or ".join(f"{c} >= '{CUTOFF}'" for c in columns)
            con.execute(f"create table held.{table} as select * from raw.{table} where {later}")
            con.execute(f"delete from raw.{table} where {later}")
        con.close()
    first = build(wh, docs=False)
    assert first.as_of < CUTOFF
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        # second load: the held rows with a new load id, audited as the loader does
        for table in tables:
            con.execute(f"insert into raw.{table} select * replace ('load-2' as _load_id) "
                        f"from held.{table}")
            audit_load(con, "load-2", table)
        con.execute("drop schema held cascade")
        # sentinels on history the second build must not touch (columns no mart reads)
        con.execute(f"update intermediate.int_calls_measured set agent_id = 'SENTINEL' "
                    f"where call_id = (select min(call_id) from intermediate.int_calls_measured "
                    f"where offered_at < '{CUTOFF}')")
        untouched = ("select min(ticket_id) from raw.ticket_events where ticket_id not in ("
                     "select ticket_id from raw.ticket_events where _load_id = 'load-2') "
                     "and ticket_id in (select ticket_id from marts.incident_sla "
                     "where not is_open)")
        con.execute(f"""update intermediate.int_ticket_intervals
                    set next_event_at = timestamp '1900-01-01'
                    where is_last_event and ticket_id = ({untouched})""")
        con.execute(f"update intermediate.int_tickets_measured set final_resolved_seq = -1 "
                    f"where ticket_id = ({untouched})")
        con.execute(f"update marts.incident_sla set service_name_pl = 'SENTINEL' "
                    f"where ticket_id = ({untouched})")
        con.close()
    second = build(wh, docs=False)
    assert not second.full_refresh, second.refresh_reason
    assert second.as_of > first.as_of
    return wh


def test_incremental_build_leaves_history_alone(incremental_chain):
    with _ro(incremental_chain) as con:
        calls = con.execute("select count(*) from intermediate.int_calls_measured "
                            "where agent_id = 'SENTINEL'").fetchone()[0]
        events = con.execute("select count(*) from intermediate.int_ticket_intervals "
                             "where next_event_at = timestamp '1900-01-01'").fetchone()[0]
        measured = con.execute("select count(*) from intermediate.int_tickets_measured "
                               "where final_resolved_seq = -1").fetchone()[0]
        remeasured = con.execute("select count(*) from intermediate.int_tickets_measured "
                                 "where last_load_id = 'load-2'").fetchone()[0]
        kept_sla = con.execute("select count(*) from marts.incident_sla "
                               "where service_name_pl = 'SENTINEL'").fetchone()[0]
        new = con.execute("select count(*) from intermediate.int_calls_measured "
                          "where _load_id = 'load-2'").fetchone()[0]
    assert calls == 1 and events == 1 and measured == 1  # earlier loads were not rebuilt
    assert kept_sla == 1  # a kept (closed) row was not recomputed
    assert new > 0 and remeasured > 0


def test_tests_of_incremental_models_read_the_rows_of_this_build(incremental_chain):
    compiled = docs_dir(incremental_chain) / "compiled" / "cityops"
    sql = {f.stem: f.read_text() for f in compiled.rglob("*.yml/*.sql")}
    calls_key = next(t for name, t in sql.items()
                     if name.startswith("unique_combination_of_columns_int_calls_measured"))
    assert "_build_id = '" in calls_key
    whole = next(t for name, t in sql.items() if name.startswith("equal_row_count_incident_sla"))
    assert "_build_id" not in whole  # meta whole_table: a count of the whole table
    queues = next(t for name, t in sql.items()
                  if name.startswith("columns_not_null_kck_queue_ser"))  # long names: hashed
    assert "_build_id" not in queues  # a table mart: every row, every build


def test_incremental_build_equals_full_rebuild(incremental_chain, built_warehouse):
    con = duckdb.connect()
    con.execute(f"attach '{current_file(incremental_chain)}' as inc (read_only)")
    con.execute(f"attach '{current_file(built_warehouse)}' as full_ (read_only)")
    con.execute("set TimeZone = 'Europe/Warsaw'")
    for mart in sorted(MARTS):
        exclude = {"incident_sla": ("_last_load_id", "service_name_pl", "_build_id"),
                   "publications": ("_load_id", "_build_id"),
                   "submissions": ("_load_id", "_build_id"),
                   # the build before: none for a full rebuild, by definition
                   "build_info": ("previous_as_of_at",)}.get(mart, ())
        assert _compare(con, f"marts.{mart}", exclude) == (0, 0), mart
    assert _compare(con, "intermediate.int_calls_measured",
                    ("_load_id", "agent_id", "_build_id")) == (0, 0)
    assert _compare(con, "intermediate.int_ticket_intervals",
                    ("_load_id", "next_event_at", "_build_id")) == (0, 0)
    assert _compare(con, "intermediate.int_tickets_measured",
                    ("last_load_id", "final_resolved_seq", "_build_id"),
                    round_doubles=True) == (0, 0)
    con.close()


def test_a_load_that_touches_no_ticket_still_ages_the_open_ones(built_warehouse, tmp_path):
    """The daily case the chain above does not cover: a small load (one call) touches no
    ticket but moves as_of; every ticket open at the previous build must be aged to the new
    as_of, as a full rebuild of the same data ages it. Two planted open tickets, one per
    clock, are built first (their own load), then left alone by the load that moves as_of."""
    from test_dbt_rules import instant, office_minutes

    from warehouse.calendar import polish_holidays

    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    with _ro(wh) as con:
        (old_as_of,) = con.execute("select as_of_at from marts.build_info").fetchone()
    opened = old_as_of.replace(microsecond=0) - timedelta(days=3)
    planted = {"GAP-24X7": "NET", "GAP-OFFICE": "APP-EZD"}  # 24x7 and business services
    with writable_copy(wh) as path, duckdb.connect(str(path)) as con:
        assert dict(con.execute("select service_code, support_hours from raw.it_services "
                                "where service_code in ('NET', 'APP-EZD')").fetchall()) == {
            "NET": "24x7", "APP-EZD": "business"}
        for ticket, service in planted.items():
            plant_ticket(con, ticket, service, [(opened, "opened", "IT-02-3")], "load-planted")
        audit_load(con, "load-planted", "tickets")
        audit_load(con, "load-planted", "ticket_events")
    assert not build(wh, docs=False).full_refresh
    with _ro(wh) as con:
        before = dict(con.execute("select ticket_id, age_business_minutes from "
                                  "marts.incident_sla where is_open").fetchall())
    assert set(planted) <= set(before)
    shift = "interval 2 day + interval 3 hour"
    with writable_copy(wh) as path, duckdb.connect(str(path)) as con:
        # the latest call again, two days and three hours later: a new as_of, no ticket row
        con.execute(f"insert into raw.calls select * replace (call_id || '-later' as call_id, "
                    f"'load-later' as _load_id, offered_at + {shift} as offered_at, "
                    f"answered_at + {shift} as answered_at, ended_at + {shift} as ended_at) "
                    f"from raw.calls order by ended_at desc, call_id limit 1")
        audit_load(con, "load-later", "calls")
    later = build(wh, docs=False)
    assert not later.full_refresh, later.refresh_reason
    new_as_of = datetime.fromisoformat(later.as_of)
    assert new_as_of > old_as_of
    con = _beside_a_full_rebuild(wh, tmp_path)
    assert _compare(con, "marts.incident_sla", BOOKKEEPING) == (0, 0)
    after = dict(con.execute("select ticket_id, age_business_minutes from "
                             "inc.marts.incident_sla where is_open").fetchall())
    con.close()
    assert set(after) == set(before)  # no ticket closed or opened: the same ones are open
    # independently of the SQL clocks: the 24x7 ticket's age is the elapsed time since it
    # opened, the business one's the office minutes (Mon–Fri 07:30–15:30, no holidays)
    start, end = instant(opened), instant(new_as_of)
    holidays = {d for d, _ in polish_holidays(range(opened.year, new_as_of.year + 1))}
    assert after["GAP-24X7"] == pytest.approx((end - start).total_seconds() / 60, abs=0.01)
    assert after["GAP-OFFICE"] == pytest.approx(office_minutes(start, end, holidays), abs=0.01)
    assert after["GAP-24X7"] > before["GAP-24X7"]
    assert office_minutes(instant(old_as_of), end, holidays) > 0  # the move has office time
    assert after["GAP-OFFICE"] > before["GAP-OFFICE"]


def test_every_mart_column_is_documented(built_warehouse):
    manifest = json.loads((docs_dir(built_warehouse) / "manifest.json").read_text())
    nodes = {n["name"]: n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["schema"] == "marts"}
    assert set(nodes) == MARTS
    with _ro(built_warehouse) as con:
        for name, node in nodes.items():
            actual = {r[0] for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?", [name]).fetchall()}
            assert set(node["columns"]) == actual, name
            assert "grain" in node["description"].lower(), name
            undocumented = [c for c, v in node["columns"].items() if not v["description"].strip()]
            assert not undocumented, (name, undocumented)


# ------------------------------------------------------------------ as_of in the past

MID_AS_OF = "2025-06-30 15:00:00"
MONTH_COLUMNS = ("month_start", "opened_month", "resolved_month", "received_month",
                 "ready_month", "published_month")
# timestamps of things that happen (plans, due dates and as_of_at itself are not events)
EVENT_COLUMNS = ("opened_at", "first_response_at", "resolved_at", "closed_at", "received_at",
                 "forwarded_at", "unit_replied_at", "ready_at", "published_at",
                 "last_reviewed_at", "actual_start", "actual_end", "done_on")


@pytest.fixture(scope="module")
def as_of_chain(built_warehouse, tmp_path_factory):
    """The full build, rebuilt as of MID_AS_OF (earlier: the facts must be rebuilt), then
    again at the default as_of (later than a build that left rows out: rebuilt again)."""
    wh = tmp_path_factory.mktemp("wh_as_of") / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    mid = build(wh, as_of=MID_AS_OF, docs=False)
    mid_file = current_file(wh)
    mid_copy = wh.parent / "mid.duckdb"
    shutil.copyfile(mid_file, mid_copy)
    again = build(wh, docs=False)
    return wh, mid, mid_copy, again


def test_as_of_in_the_past_passes_every_dbt_test_and_shows_nothing_later(as_of_chain):
    _, mid, mid_file, _ = as_of_chain
    assert mid.as_of == MID_AS_OF
    assert mid.counts["pass"] >= 100 and mid.counts["kind:test"] >= 100
    assert not {"error", "fail", "runtime error", "warn", "skipped"} & set(mid.counts)
    assert mid.full_refresh and "earlier" in (mid.refresh_reason or "")
    con = duckdb.connect(str(mid_file), read_only=True)
    checked = 0
    for mart in sorted(MARTS):
        assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart
        cols = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = ?", [mart]).fetchall()}
        for col in cols & set(MONTH_COLUMNS):
            latest = con.execute(f"select max({col}) from marts.{mart}").fetchone()[0]
            assert latest is None or str(latest) <= "2025-06-01", (mart, col, latest)
            checked += 1
        for col in cols & set(EVENT_COLUMNS):
            later = con.execute(f"select count(*) from marts.{mart} where cast({col} as "
                                f"timestamp) > timestamp '{MID_AS_OF}'").fetchone()[0]
            assert later == 0, (mart, col)
            checked += 1
    assert checked > 20
    months = {r[0] for r in con.execute(
        "select distinct cast(month_start as varchar) from marts.director_kpis").fetchall()}
    assert max(months) == "2025-06-01"
    # the detail marts hold only what was known: tickets opened and calls ended by as_of
    n_tickets, n_calls = con.execute(f"""select
        (select count(*) from raw.tickets where opened_at <= '{MID_AS_OF}'),
        (select count(*) from raw.calls where ended_at <= '{MID_AS_OF}')""").fetchone()
    assert con.execute("select count(*) from marts.incident_sla").fetchone()[0] == n_tickets
    assert con.execute("select sum(offered) from marts.kck_queue_service").fetchone()[0] == n_calls
    con.close()


def test_ticket_resolved_after_as_of_is_open_with_its_age_then(as_of_chain):
    from test_dbt_rules import RANK, STATE, instant, office_minutes

    from warehouse.calendar import polish_holidays

    _, _, mid_file, _ = as_of_chain
    con = duckdb.connect(str(mid_file), read_only=True)
    # business-clock tickets open at as_of that were resolved (for good) later
    rows = con.execute(f"""
        select s.ticket_id, s.is_open, s.is_resolved, s.resolved_at, s.age_business_minutes,
               s.on_hold_business_minutes
        from marts.incident_sla s
        where s.support_hours = 'business' and s.ticket_id in (
            select ticket_id from raw.ticket_events
            where event = 'resolved' and event_at > '{MID_AS_OF}')
          and s.ticket_id in (
            select ticket_id from raw.ticket_events group by 1
            having max(event_at) filter (where event = 'resolved') > '{MID_AS_OF}'
               and min(event_at) < timestamp '{MID_AS_OF}' - interval 2 day)
        order by s.ticket_id limit 20""").fetchall()
    assert rows
    holidays = {d for d, _ in polish_holidays(range(2024, 2027))}
    as_of = instant(datetime.fromisoformat(MID_AS_OF))
    checked = 0
    for tid, is_open, is_resolved, resolved_at, age, hold in rows:
        events = sorted(
            ((instant(at), ev) for at, ev in con.execute(
                "select event_at, event from raw.ticket_events where ticket_id = ? "
                "and event_at <= ?", [tid, MID_AS_OF]).fetchall()),
            key=lambda e: (e[0], RANK[e[1]]))
        if STATE.get(events[-1][1], "open") not in ("open", "on_hold"):
            continue  # resolved before as_of, reopened and resolved again later
        bounds = [e[0] for e in events[1:]] + [as_of]
        expected_age = sum(office_minutes(start, end, holidays)
                           for (start, ev), end in zip(events, bounds, strict=True)
                           if STATE.get(ev, "open") == "open")
        expected_hold = sum(office_minutes(start, end, holidays)
                            for (start, ev), end in zip(events, bounds, strict=True)
                            if STATE.get(ev, "open") == "on_hold")
        assert is_open and not is_resolved and resolved_at is None, tid
        assert age == pytest.approx(expected_age, abs=0.01), tid
        assert hold == pytest.approx(expected_hold, abs=0.01), tid
        assert age > 0
        checked += 1
    assert checked >= 3
    con.close()


def test_back_to_the_default_as_of_equals_the_full_build(as_of_chain, built_warehouse):
    wh, _, _, again = as_of_chain
    assert again.full_refresh and "later" in (again.refresh_reason or "")
    con = duckdb.connect()
    con.execute(f"attach '{current_file(wh)}' as inc (read_only)")
    con.execute(f"attach '{current_file(built_warehouse)}' as full_ (read_only)")
    con.execute("set TimeZone = 'Europe/Warsaw'")
    for mart in sorted(MARTS):
        assert _compare(con, f"marts.{mart}", BOOKKEEPING) == (0, 0), mart
    con.close()


# ------------------------------------------------------- what a rebuild leaves out or redoes

def _nodes_run(wh: Path) -> set[str]:
    results = json.loads((docs_dir(wh) / BUILD_RESULTS_FILE).read_text())["results"]
    return {r["unique_id"].split(".")[2] for r in results}


@pytest.mark.long  # whole-system pass: the long tier (make test-all; CI runs both)
def test_rebuild_runs_only_what_new_data_reaches_and_refreshes_after_a_code_change(
        built_warehouse, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    with duckdb.connect(str(wh)) as con:  # what renamed or deleted models left behind
        con.execute("create table marts.dim_org_units as select * from marts.organisation_units")
        con.execute("create view staging.stg_gone__table as select 1 as x")
        con.execute("create table raw.kept_by_hand as select 1 as x")
    build(wh, docs=False)  # no build of this warehouse before: every node runs
    with _ro(wh) as con:
        left = {tuple(r) for r in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
    assert ("marts", "dim_org_units") not in left and ("staging", "stg_gone__table") not in left
    assert {("raw", "kept_by_hand"), ("marts", "organisation_units")} <= left  # raw untouched
    first = _nodes_run(wh)
    assert {"org_units", "incident_sla", "kck_queue_service", "stg_kck__calls"} <= first
    again = build(wh, docs=False)  # no new data, the same as_of: nothing can differ
    assert not again.full_refresh and _nodes_run(wh) == set()
    # one more call, inside the known period (as_of stays): only what reads calls runs
    with writable_copy(wh) as path, duckdb.connect(str(path)) as con:
        con.execute("insert into raw.calls select * replace (call_id || '-again' as call_id, "
                    "'load-calls' as _load_id) from raw.calls where answered_at is not null "
                    "order by call_id limit 1")
        audit_load(con, "load-calls", "calls")
    calls_only = build(wh, docs=False)
    ran = _nodes_run(wh)
    assert not calls_only.full_refresh
    assert "kind:unit_test" not in calls_only.counts  # a daily load: no unit tests
    assert {"int_calls_measured", "kck_queue_service", "kck_call_topics", "director_kpis",
            "assert_kck_marts_reconcile"} <= ran
    assert not ran & {"incident_sla", "int_ticket_intervals", "publications", "submissions",
                      "org_units", "stg_kck__calls", "service_catalogue"}
    # the unit and topic dimensions list the codes raw.calls holds (unmapped ones too,
    # DECISIONS.md § 19): a calls load runs them, and nothing that reads them for names
    assert {"organisation_units", "topics"} <= ran
    assert any(t.startswith("relationships_all_kck_call_topics") for t in ran)
    assert not any(t.startswith("columns_not_null_org_units") for t in ran)
    # what it left alone still matches the data: the same as building everything again
    con = _beside_a_full_rebuild(wh, tmp_path)
    for mart in sorted(MARTS):
        assert _compare(con, f"marts.{mart}", BOOKKEEPING) == (0, 0), mart
    offered = con.execute("select sum(offered) from inc.marts.kck_queue_service").fetchone()[0]
    calls = con.execute("select count(*) from inc.raw.calls").fetchone()[0]
    con.close()
    assert offered == calls  # the new call is in the KCK marts
    # a macro no incremental model calls (a test's) changed: still incremental
    manifest = docs_dir(wh) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["macros"]["macro.cityops.require_rule_list"]["macro_sql"] = "older code"
    manifest.write_text(json.dumps(data))
    assert not build(wh, docs=False).full_refresh
    # the served build was made by other code: the incremental models start again
    data = json.loads(manifest.read_text())
    data["nodes"]["model.cityops.int_tickets_measured"]["checksum"]["checksum"] = "older code"
    manifest.write_text(json.dumps(data))
    changed = build(wh, docs=False)
    assert changed.full_refresh and "int_tickets_measured" in (changed.refresh_reason or "")
    # changed code: every dbt unit test ran before the swap (DECISIONS.md § 17)
    assert changed.counts.get("kind:unit_test") == _declared_unit_tests()
    with _ro(wh) as con:
        logged = con.execute("select full_refresh, reason from raw.build_log "
                             "order by built_at desc limit 1").fetchone()
        stamps = con.execute("select count(distinct _build_id) from marts.incident_sla"
                             ).fetchone()[0]
    assert logged[0] and "int_tickets_measured" in logged[1]
    assert stamps == 1  # every row rewritten by the full refresh
    # the served build used another rule (a var of dbt_project.yml): all again
    recorded = docs_dir(wh) / "project_vars.json"
    served_vars = json.loads(recorded.read_text())
    assert served_vars["full_comment_min_chars"] == 20
    recorded.write_text(json.dumps(served_vars | {"full_comment_min_chars": 25}))
    retargeted = build(wh, docs=False)
    assert retargeted.full_refresh
    assert "full_comment_min_chars" in (retargeted.refresh_reason or "")
    assert {"director_kpis", "incident_sla", "org_units"} <= _nodes_run(wh)


def _declared_unit_tests() -> int:
    """The dbt unit tests of the project, counted from its YAML files."""
    import yaml

    return sum(len(yaml.safe_load(f.read_text()).get("unit_tests") or [])
               for f in (DBT_DIR / "models").rglob("*.yml"))


@pytest.mark.slow
@pytest.mark.long  # two builds and the unit tests (≈ 90 s): the long tier
def test_changed_code_that_breaks_a_rule_fails_its_unit_tests_and_swaps_nothing(
        built_warehouse, tmp_path):
    """A plausible code change that every data test of the build lets through (the service
    level's denominator without the short abandons' exclusion, issue 19) reaches no
    dashboard: the build sees changed code, runs the dbt unit tests on the built copy,
    fails naming the unit test, and the served build stays. The change is made in a copy of
    the project (tests/mutate.py's), built in a process importing that copy."""
    import subprocess
    import sys

    import mutate

    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    build(wh, docs=False)  # served, with this project's manifest
    served = current_file(wh)
    project = mutate.copy_tree(tmp_path / "project")
    model = project / "dbt" / "models" / "marts" / "kck" / "kck_queue_service.sql"
    text = model.read_text()
    rule = "'answered_within_20s', 'offered - short_abandoned'"
    assert text.count(rule) == 1
    model.write_text(text.replace(rule, "'answered_within_20s', 'offered'"))
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from warehouse.build import build; "
         "build(sys.argv[1], docs=False)", str(wh)],
        cwd=project, env={**os.environ, "PYTHONPATH": str(project)}, capture_output=True,
        text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "dbt unit tests failed on changed code" in out, out
    assert "kck_service_level_counts_exactly_20_s_and_excludes_short_abandons" in out, out
    assert current_file(wh) == served
    # the same build of the unchanged project: no unit tests, nothing failed
    again = build(wh, docs=False)
    assert "kind:unit_test" not in again.counts


def _fake_manifest(adapter: str):
    """A manifest with one model calling a dispatched macro `clock` that has a duckdb__, a
    spark__ and an erroring default__ body, and whose dispatch dbt did not resolve (no
    body in its depends_on)."""
    from types import SimpleNamespace as NS

    def macro(sql: str, calls: tuple[str, ...] = ()):
        return NS(macro_sql=sql, package_name="cityops",
                  depends_on=NS(macros=[f"macro.cityops.{m}" for m in calls]))

    macros = {
        "macro.cityops.clock": macro("{{ return(adapter.dispatch('clock', 'cityops')()) }}"),
        "macro.cityops.duckdb__clock": macro("epoch_ms(t)"),
        "macro.cityops.spark__clock": macro("unix_millis(t)"),
        "macro.cityops.default__clock": macro("{{ engine_not_implemented('clock') }}",
                                              ("engine_not_implemented",)),
        "macro.cityops.engine_not_implemented": macro("{{ raise }}"),
    }
    node = NS(depends_on=NS(macros=["macro.cityops.clock"]))
    return NS(metadata=NS(adapter_type=adapter), macros=macros,
              nodes={"model.cityops.m": node})


def _served(manifest, **older_sql: str) -> dict:
    return {"nodes": {}, "macros": {uid: {"macro_sql": older_sql.get(uid.split(".")[-1],
                                                                      m.macro_sql)}
                                    for uid, m in manifest.macros.items()}}


def test_code_diff_follows_dispatch_to_the_body_the_adapter_runs():
    from warehouse.build.changes import CodeDiff

    duckdb_ = _fake_manifest("duckdb")
    assert CodeDiff(duckdb_, {}).macros_of("model.cityops.m") == {
        "macro.cityops.clock", "macro.cityops.duckdb__clock"}
    # a change in the DuckDB body is a change of the model; Spark's or the default's is not
    assert CodeDiff(duckdb_, _served(duckdb_, duckdb__clock="older")
                    ).changed_macros("model.cityops.m") == ["duckdb__clock"]
    assert CodeDiff(duckdb_, _served(duckdb_, spark__clock="older", default__clock="older")
                    ).changed_macros("model.cityops.m") == []
    spark = _fake_manifest("spark")
    assert CodeDiff(spark, _served(spark, spark__clock="older")
                    ).changed_macros("model.cityops.m") == ["spark__clock"]
    # an adapter without a body: the default (which stops compilation) and what it calls
    postgres = _fake_manifest("postgres")
    assert CodeDiff(postgres, {}).macros_of("model.cityops.m") == {
        "macro.cityops.clock", "macro.cityops.default__clock",
        "macro.cityops.engine_not_implemented"}


def test_a_change_in_a_dispatched_duckdb_body_refreshes_what_calls_it(built_warehouse,
                                                                     tmp_path):
    """On the real project: the served build's manifest with an older DuckDB body of the
    business clock makes the incremental models refresh fully and the models calling it
    run; an older default__ body (never rendered on DuckDB) changes nothing."""
    from dbt.cli.main import dbtRunner

    from warehouse.build import DBT_DIR, dbt_session
    from warehouse.build.changes import DataChanges, nodes_to_run, upstream_change_reason

    common = ["--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    with dbt_session(tmp_path / "cityops.duckdb"):
        parsed = dbtRunner().invoke(["--no-write-json", "parse", *common])
    assert parsed.success, parsed.exception
    served = json.loads((docs_dir(built_warehouse) / "manifest.json").read_text())
    before = tmp_path / "served" / "manifest.json"
    before.parent.mkdir()
    no_new_data = DataChanges(sources=frozenset(), as_of_moved=False)

    def with_older(macro: str | None) -> tuple[str | None, set[str]]:
        data = json.loads(json.dumps(served))
        if macro:
            data["macros"][f"macro.cityops.{macro}"]["macro_sql"] = "older code"
        before.write_text(json.dumps(data))
        return (upstream_change_reason(parsed.result, before),
                set(nodes_to_run(parsed.result, before, no_new_data)))

    assert with_older(None) == (None, set())  # the same code: nothing to do
    reason, ran = with_older("duckdb__business_minutes_of_intervals")
    assert "duckdb__business_minutes_of_intervals" in (reason or "")
    assert {"int_ticket_intervals", "int_tickets_measured", "incident_sla",
            "publications"} <= ran
    assert not ran & {"int_calls_measured", "kck_queue_service", "stg_kck__calls"}
    assert with_older("default__business_minutes_of_intervals") == (None, set())


# ------------------------------------------------------------------ cityops update (daily)

def test_update_loads_and_builds_with_one_swap_and_a_refused_load_changes_nothing(
        sample_dir, tmp_path):
    from click.testing import CliRunner

    from warehouse.cli import main
    from warehouse.store import builds_dir

    wh = tmp_path / "warehouse.duckdb"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "calls.csv").write_bytes(b"")  # an empty file refuses the whole load
    refused = CliRunner().invoke(main, ["update", str(bad), "--warehouse", str(wh)])
    assert refused.exit_code == 2 and "calls.csv" in refused.output
    assert current_file(wh) is None  # nothing was swapped in

    done = CliRunner().invoke(main, ["update", str(sample_dir), "--warehouse", str(wh)])
    assert done.exit_code == 0, done.output
    assert len(list(builds_dir(wh).glob("*.duckdb"))) == 1  # load and build: one swap
    with _ro(wh) as con:
        loaded = con.execute("select sum(rows_loaded) from raw.load_audit").fetchone()[0]
        tickets = con.execute("select count(*) from raw.tickets").fetchone()[0]
        sla = con.execute("select count(*) from marts.incident_sla").fetchone()[0]
        builds = con.execute("select count(*) from raw.build_log").fetchone()[0]
    assert loaded > 10_000 and tickets > 1000 and sla == tickets and builds == 1
    assert "Steps: copy" in done.output  # the build reports where its time went


def test_holiday_table_is_rewritten_only_when_its_years_change():
    from warehouse.calendar import write_public_holidays

    con = duckdb.connect()
    con.execute("create schema raw")
    assert write_public_holidays(con, range(2024, 2027))  # an empty table: written
    count = "select count(*) from raw.public_holidays"
    n = con.execute(count).fetchone()[0]
    assert n > 30
    con.execute("update raw.public_holidays set name = 'kept' where holiday_date = '2025-01-01'")
    assert not write_public_holidays(con, range(2024, 2027))  # same years: left alone
    kept = con.execute("select name from raw.public_holidays "
                       "where holiday_date = '2025-01-01'").fetchone()[0]
    assert kept == "kept" and con.execute(count).fetchone()[0] == n
    assert write_public_holidays(con, range(2024, 2028))  # a new year: rewritten
    assert con.execute(count).fetchone()[0] > n
    assert con.execute("select count(*) from raw.public_holidays where name = 'kept'"
                       ).fetchone()[0] == 0
    con.execute("update raw.public_holidays set name = 'kept' where holiday_date = '2025-01-01'")
    write_public_holidays(con, range(2024, 2028), force=True)  # a full refresh rewrites
    assert con.execute("select count(*) from raw.public_holidays where name = 'kept'"
                       ).fetchone()[0] == 0


# ------------------------------------------------------------- dbt lets go of the copy

def test_dbt_leaves_no_database_open_after_a_build(built_warehouse, tmp_path):
    """dbt runs in a process of its own that ends with the build (dbt-duckdb keeps its
    database open for the life of a process): afterwards nothing holds the build file —
    another process can open it for writing — so the copy was complete when it was
    swapped in. (Two builds in one process with new data between them: the rebuild test.)"""
    import subprocess
    import sys

    wh = tmp_path / "again.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    build(wh, docs=False)
    probe = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
             "con.execute('create table raw.probe as select 1 as x'); con.close()")
    done = subprocess.run([sys.executable, "-c", probe, str(current_file(wh))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
