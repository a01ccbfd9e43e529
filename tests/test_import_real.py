"""Real exports imported and built: the marts against figures computed here, independently
of the importer, from the native files (polars and the standard library) — the figures a
city's analyst checks first: counts by priority, median calendar minutes to resolve, the
backlog at a date; offered / answered / service level / ASA / AHT of the calls; median
days to close. Each test plants clear personal identifiers in its input and finds them in
no VARCHAR column of any schema of the built warehouse.

Every figure test runs with a test mapping (all groups → IT-02-3 …); the tests of
importing *without* one check that unknown codes are kept, flagged unmapped.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest
from helpers import REAL, SN_MAPPING, UTC, city_mapping, query

from warehouse.build import build
from warehouse.importing import import_files
from warehouse.store import connect_read_only, writable_copy

SAMPLES = Path(__file__).resolve().parents[1] / "samples"  # the README's samples


def _planted(src: Path, dst: Path, replacements: list[tuple[str, str]]) -> Path:
    text = src.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    dst.write_text(text, encoding="utf-8")
    return dst


def _nowhere(wh: Path, secrets: list[str]) -> None:
    """No VARCHAR column of any table or view of the warehouse holds any of ``secrets``."""
    con = connect_read_only(wh)
    try:
        cols = con.execute("SELECT table_schema, table_name, column_name FROM "
                           "information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
        assert len({s for s, *_ in cols} & {"raw", "staging", "intermediate", "marts"}) == 4
        for schema, table, column in cols:
            for secret in secrets:
                hits = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE '
                                   f'contains("{column}", ?)', [secret]).fetchone()[0]
                assert hits == 0, f"{secret!r} in {schema}.{table}.{column}"
    finally:
        con.close()


def _instant(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


# ---- ServiceNow ---------------------------------------------------------------------

SN_ZONE = "America/Sao_Paulo"
SN_SECRETS = ["Jan Kowalski", "Opened by Anna Nowak", "Resolved by Zofia Wójcik"]


def _servicenow_expected(path: Path) -> dict:
    """Per incident, from the native snapshots: its initial priority (first snapshot at or
    after opened_at, in update order), opened_at and the last change into Resolved, and
    its state at the end of February 2016."""
    df = pl.read_csv(path, infer_schema=False).with_row_index("row")
    fmt = "%d/%m/%Y %H:%M"
    df = df.with_columns(
        opened=pl.col("opened_at").str.strptime(pl.Datetime, fmt),
        updated=pl.col("sys_updated_at").str.strptime(pl.Datetime, fmt),
        mod=pl.col("sys_mod_count").cast(pl.Int64),
        prio=pl.col("priority").str.slice(0, 1).cast(pl.Int64),
    ).filter(pl.col("updated") >= pl.col("opened")).sort("number", "updated", "mod", "row")
    # a snapshot with a lower sys_mod_count than one before it is a stale copy
    df = df.filter(pl.col("mod") >= pl.col("mod").cum_max().over("number"))
    out = {}
    month_end = _instant(datetime(2016, 3, 1), "Europe/Warsaw")
    for (number,), g in df.group_by(["number"], maintain_order=True):
        states = g["incident_state"].to_list()
        times = g["updated"].to_list()
        resolved = None
        for i, s in enumerate(states):
            if s == "Resolved" and (i == 0 or states[i - 1] != "Resolved"):
                resolved = times[i]
        opened = _instant(g["opened"][0], SN_ZONE)
        at_end = [s for s, t in zip(states, times, strict=True)
                  if _instant(t, SN_ZONE) <= month_end]
        out[number] = {"priority": g["prio"][0], "opened": opened,
                       "resolved": _instant(resolved, SN_ZONE) if resolved else None,
                       "open_at_feb_end": opened < month_end and (
                           not at_end or at_end[-1] not in ("Resolved", "Closed"))}
    return out


def test_servicenow_snapshot_log_gives_the_native_figures(tmp_path):
    src = _planted(REAL / "servicenow_snapshot_150.csv", tmp_path / "incidents.csv",
                   [(",Caller 2403,", ",Jan Kowalski,"),
                    (",Opened by  8,", ",Opened by Anna Nowak,"),
                    (",Resolved by 149,", ",Resolved by Zofia Wójcik,")])
    wh = tmp_path / "wh.duckdb"
    result = import_files("servicenow", [src], wh, mapping=city_mapping(tmp_path, SN_MAPPING))
    assert result.report.rows_rejected == 0
    build(wh, docs=False)
    expected = _servicenow_expected(REAL / "servicenow_snapshot_150.csv")
    assert len(expected) == 150
    by_priority = {}
    for e in expected.values():
        by_priority[e["priority"]] = by_priority.get(e["priority"], 0) + 1
    assert dict(query(wh, "select initial_priority, count(*) from marts.incident_sla "
                          "group by 1")) == by_priority == {1: 1, 3: 128, 4: 21}
    minutes = [(e["resolved"] - e["opened"]).total_seconds() / 60 for e in expected.values()
               if e["resolved"] is not None]
    (median,) = query(wh, "select median(resolution_calendar_minutes) from marts.incident_sla "
                          "where resolution_calendar_minutes is not null")[0]
    assert median == statistics.median(minutes) == 3168.5
    backlog = sum(e["open_at_feb_end"] for e in expected.values())
    assert query(wh, "select sum(backlog_at_month_end) from marts.incident_sla_monthly "
                     "where month_start = date '2016-02-01'") == [(backlog,)]
    assert backlog == 117
    # the audit names the native file and the profile
    files = {f for (f,) in query(wh, "select file_name from raw.load_audit")}
    assert files == {"incidents.csv [servicenow]", "default_it_services.csv [servicenow]"}
    _nowhere(wh, SN_SECRETS)


# ---- queue log ------------------------------------------------------------------------

def _queue_expected(path: Path) -> pl.DataFrame:
    """The offered calls of the native log, with their Warsaw offered time, wait and
    service: offered = reached the queue or an agent, phantoms not; the wait is the log's
    own q_time."""
    q = pl.read_csv(path, infer_schema=False)

    def secs(col: str) -> pl.Expr:
        parts = pl.col(col).str.split(":")
        return (parts.list.get(0).cast(pl.Int64) * 3600 + parts.list.get(1).cast(pl.Int64) * 60
                + parts.list.get(2).cast(pl.Int64))

    q = q.filter((pl.col("outcome") != "PHANTOM")
                 & ((pl.col("q_start") != "0:00:00") | (pl.col("outcome") == "AGENT")))
    start = pl.when(pl.col("q_start") != "0:00:00").then(secs("q_start")).otherwise(
        secs("vru_exit"))
    day = pl.col("date").str.slice(0, 10).str.strptime(pl.Datetime, "%Y-%m-%d")
    local = (day + pl.duration(seconds=start)
             + pl.duration(days=(start < secs("vru_entry")).cast(pl.Int64)))
    return q.with_columns(
        offered=local.dt.replace_time_zone("Asia/Jerusalem").dt.convert_time_zone(
            "Europe/Warsaw").dt.replace_time_zone(None),
        wait=pl.col("q_time").cast(pl.Int64), serve=pl.col("ser_time").cast(pl.Int64),
        answered=pl.col("outcome") == "AGENT",
    ).rename({"type": "queue"})


def test_queue_log_gives_the_native_offered_answered_service_level_asa(tmp_path):
    src = _planted(REAL / "queue_log_1aug.csv", tmp_path / "calls.csv",
                   [(",33052234,", ",600700800,"), (",VICKY\n", ",KRYSTYNA\n")])
    wh = tmp_path / "wh.duckdb"
    result = import_files("queue-log", [src], wh)
    assert result.report.rows_rejected == 0
    build(wh, docs=False)
    calls = _queue_expected(REAL / "queue_log_1aug.csv")
    assert calls.height == 2239  # of 2,375 lines: IVR-only hang-ups and phantoms are not
    per_queue = calls.group_by("queue").agg(
        offered=pl.len(), answered=pl.col("answered").sum(),
        within=(pl.col("answered") & (pl.col("wait") <= 20)).sum(),
        short=(~pl.col("answered") & (pl.col("wait") < 5)).sum(),
        asa=pl.col("wait").filter(pl.col("answered")).mean(),
        aht=pl.col("serve").filter(pl.col("answered")).mean(),
    ).sort("queue")
    got = query(wh, "select queue, offered, answered, answered_within_20s, service_level_pct, "
                    "asa_seconds, aht_seconds from marts.kck_queue_service "
                    "where month_start = date '2010-08-01' order by queue")
    assert len(got) == per_queue.height == 6
    for (queue, offered, answered, within, sl, asa, aht), e in zip(
            got, per_queue.iter_rows(named=True), strict=True):
        assert (queue, offered, answered, within) == (e["queue"], e["offered"], e["answered"],
                                                      e["within"])
        assert sl == pytest.approx(100 * e["within"] / (e["offered"] - e["short"]))
        assert asa == pytest.approx(e["asa"]) and aht == pytest.approx(e["aht"])
    ps = per_queue.filter(pl.col("queue") == "PS").row(0, named=True)
    assert (ps["offered"], ps["answered"], ps["within"]) == (1540, 1120, 314)
    # the day of calls, hour by hour: Warsaw's 1 August (a Sunday)
    day = calls.filter(pl.col("offered").dt.date() == datetime(2010, 8, 1).date())
    assert query(wh, "select sum(offered), sum(answered) from marts.kck_calls_hourly "
                     "where month_start = date '2010-08-01' and weekday = 7") == [
        (day.height, day["answered"].sum())]
    hourly = dict(query(wh, "select hour, sum(offered) from marts.kck_calls_hourly "
                            "where weekday = 7 group by 1"))
    assert hourly == dict(day.group_by(pl.col("offered").dt.hour()).len().iter_rows())
    _nowhere(wh, ["600700800", "KRYSTYNA", "VICKY", "NAAMA"])


# ---- 311 exports ----------------------------------------------------------------------

S311_MAPPING = """
[request_types]
policy = "fallback"
fallback = "other"
[agencies]
policy = "fallback"
fallback = "DK-03"
"""
NYC_CHANNELS = {"PHONE": "phone", "ONLINE": "portal", "MOBILE": "mobile_app",
                "UNKNOWN": "other", "OTHER": "other"}
LA_CHANNELS = {"Call": "phone", "Voicemail": "phone", "Self Service": "portal",
               "Mobile App": "mobile_app", "Email": "email", "Driver Self Report": "staff"}


def _times(frame: pl.DataFrame, created: str, closed: str, zone: str) -> pl.DataFrame:
    fmt = "%m/%d/%Y %I:%M:%S %p"
    return frame.with_columns(
        a=pl.col(created).str.strptime(pl.Datetime, fmt).dt.replace_time_zone(zone),
        b=pl.col(closed).str.strptime(pl.Datetime, fmt).dt.replace_time_zone(zone),
    ).with_columns(bad=pl.col("b") < pl.col("a"))


def _days(frame: pl.DataFrame) -> list[float]:
    ok = frame.filter(pl.col("b").is_not_null() & ~pl.col("bad"))
    return [d.total_seconds() / 86400 for d in (ok["b"] - ok["a"]).to_list()]


def test_311_exports_give_the_native_channels_and_days_to_close(tmp_path):
    nyc = _planted(REAL / "nyc311_300.csv", tmp_path / "nyc.csv",
                   [(",91-33 97 STREET,", ",12 PLANTED AVENUE,")])
    la = _planted(REAL / "la311_300.csv", tmp_path / "la.csv",
                  [('"2111 W BELLEVUE AVE, 90026"', '"77 PLANTED BLVD, 90026"')])
    wh = tmp_path / "wh.duckdb"
    result = import_files("socrata-311", [nyc, la], wh,
                          mapping=city_mapping(tmp_path, S311_MAPPING))
    build(wh, docs=False)
    n = _times(pl.read_csv(REAL / "nyc311_300.csv", infer_schema=False), "Created Date",
               "Closed Date", "America/New_York")
    la_df = _times(pl.read_csv(REAL / "la311_300.csv", infer_schema=False), "CreatedDate",
                   "ClosedDate", "America/Los_Angeles")
    # a request closed before it was created is rejected by the contract's order rule
    bad = int(n["bad"].sum()) + int(la_df["bad"].sum())
    assert result.report.rows_rejected == bad
    assert result.report.rows_loaded == n.height + la_df.height - bad
    channels: dict[str, int] = {}
    for frame, col, names in ((n, "Open Data Channel Type", NYC_CHANNELS),
                              (la_df, "RequestSource", LA_CHANNELS)):
        for v in frame.filter(~pl.col("bad").fill_null(False))[col]:
            channels[names[v]] = channels.get(names[v], 0) + 1
    assert dict(query(wh, "select channel, count(*) from marts.submissions group by 1")) == \
        channels

    def median_days(where: str) -> float:
        return query(wh, "select median(epoch(timezone('Europe/Warsaw', closed_at)) - "
                         "epoch(timezone('Europe/Warsaw', received_at))) / 86400 "
                         f"from marts.submissions where closed_at is not null and {where}"
                     )[0][0]

    assert median_days("submission_id like '1-%'") == pytest.approx(
        statistics.median(_days(la_df)), abs=1e-9)
    assert median_days("submission_id not like '1-%'") == pytest.approx(
        statistics.median(_days(n)), abs=1e-9)
    assert bad == 2 and channels == {"phone": 206, "portal": 206, "mobile_app": 124,
                                     "other": 52, "staff": 10}
    assert round(statistics.median(_days(n)), 4) == 0.8097
    assert round(statistics.median(_days(la_df)), 4) == 2.7164
    _nowhere(wh, ["PLANTED"])


# ---- Open311 --------------------------------------------------------------------------

O311_MAPPING = """
[services]
policy = "fallback"
fallback = "other"
map = { "101" = "roads", "112" = "street_lighting", "205" = "waste", "310" = "greenery" }
[agencies]
policy = "fallback"
fallback = "DK-03"
"""


def test_open311_requests_give_the_native_outcomes_and_days_to_close(tmp_path):
    native = json.loads((REAL / "open311_examples.json").read_text(encoding="utf-8"))
    planted = [dict(r) for r in native]
    planted[0]["address"] = "ul. Zasadzona 7, Jan Planted"
    planted[1]["email"] = "jan.planted@example.com"
    planted[1]["status_notes"] = "Zgłaszający Jan Planted prosi o kontakt"
    src = tmp_path / "requests.json"
    src.write_text(json.dumps(planted, ensure_ascii=False), encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    result = import_files("open311", [src], wh, mapping=city_mapping(tmp_path, O311_MAPPING))
    assert result.report.rows_rejected == 0
    build(wh, docs=False)
    closed = [r for r in native if r["status"] == "closed"]
    days = [(datetime.fromisoformat(r["updated_datetime"])
             - datetime.fromisoformat(r["requested_datetime"])).total_seconds() / 86400
            for r in closed]
    (median,) = query(wh, "select median(epoch(timezone('Europe/Warsaw', closed_at)) - "
                          "epoch(timezone('Europe/Warsaw', received_at))) / 86400 "
                          "from marts.submissions where closed_at is not null")[0]
    assert median == pytest.approx(statistics.median(days), abs=1e-9)
    outcomes = dict(query(wh, "select outcome, count(*) from marts.submissions group by 1"))
    duplicates = sum("zdublowane" in (r["status_notes"] or "") for r in closed)
    assert outcomes == {"open": len(native) - len(closed),
                        "resolved": len(closed) - duplicates, "duplicate": duplicates}
    assert (duplicates, len(closed)) == (1, 4)
    assert query(wh, "select count(*) from marts.submissions where received_at = "
                     "timestamp '2025-10-25 00:15:00'") == [(1,)]  # 22:15Z → CEST
    assert query(wh, "select count(*) from raw.submissions where submitter_email_hash is "
                     "not null") == [(1,)]
    _nowhere(wh, ["Planted", "planted"])


# ---- without a mapping: unknown codes kept, flagged ---------------------------------------

def test_servicenow_without_a_mapping_keeps_every_incident_flagged_unmapped(tmp_path):
    """Without a mapping, groups, locations and categories are kept as the source writes
    them: every incident whose first snapshot names its category and location loads."""
    df = pl.read_csv(REAL / "servicenow_snapshot_150.csv", infer_schema=False)
    first = df.group_by("number", maintain_order=True).first()
    named = first.filter((pl.col("category") != "?") & (pl.col("location") != "?"))
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [REAL / "servicenow_snapshot_150.csv"], wh, max_reject_pct=100)
    assert query(wh, "select count(*) from raw.tickets") == [(named.height,)]
    groups = {g for (g,) in query(wh, "select distinct group_code from raw.ticket_events")}
    assert groups and groups <= set(df["assignment_group"].unique())



def test_servicenow_without_a_mapping_builds_with_unmapped_and_unassigned_groups(tmp_path):
    """A first import as it comes builds: its groups are unmapped units, and an incident no
    group ever held (every row '?') counts under no unit, '(none)' — one code in the backlog
    mart and the KPI drill-down, which names it in both languages."""
    df = pl.read_csv(REAL / "servicenow_snapshot_150.csv", infer_schema=False)
    inc = df["number"][0]
    df = df.with_columns(assignment_group=pl.when(pl.col("number") == inc).then(pl.lit("?"))
                         .otherwise(pl.col("assignment_group")))
    df.write_csv(tmp_path / "sn.csv")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [tmp_path / "sn.csv"], wh, max_reject_pct=100)
    build(wh, docs=False)
    assert query(wh, "select final_group_code from marts.incident_sla where ticket_id = ?",
                 [inc]) == [(None,)]
    (opened,) = query(wh, "select sum(tickets_opened) from marts.incident_sla_monthly "
                          "where group_code = '(none)'")[0]
    assert opened == 1
    backlog = query(wh, "select month_start, sum(backlog_at_month_end) from "
                        "marts.incident_sla_monthly where group_code = '(none)' group by 1")
    drill = query(wh, "select month_start, numerator, unit_name_pl, unit_name_en from "
                      "marts.director_kpis_by_unit where kpi_code = 'incident_backlog' "
                      "and unit_code = '(none)'")
    assert backlog and sorted(drill) == sorted(
        (m, float(n), "bez jednostki", "no unit") for m, n in backlog)
    # the groups and the requesters' locations (a ticket's, from its first snapshot), as
    # the source writes them
    first = df.group_by("number", maintain_order=True).first()
    unmapped = {c for (c,) in query(wh, "select unit_code from marts.organisation_units "
                                        "where not is_mapped")}
    assert unmapped == (set(df["assignment_group"]) | set(first["location"])) - {"?"}


def test_311_without_a_mapping_keeps_every_request_flagged_unmapped(tmp_path):
    """Without a mapping, complaint types and agencies are kept as the source writes them;
    only the requests closed before they were created are rejected."""
    n = _times(pl.read_csv(REAL / "nyc311_300.csv", infer_schema=False), "Created Date",
               "Closed Date", "America/New_York")
    wh = tmp_path / "wh.duckdb"
    result = import_files("socrata-311", [REAL / "nyc311_300.csv"], wh)
    assert result.report.rows_loaded == n.height - int(n["bad"].sum())
    top = n.filter(~pl.col("bad").fill_null(False))["Complaint Type"].value_counts(
        sort=True).row(0)
    assert query(wh, "select count(*) from raw.submissions where topic_code = ?",
                 [top[0]]) == [(top[1],)]
    # the checks accept the codes its file kept unmapped; the same codes in a file that
    # did not keep them (a `cityops load`) fail, naming the columns
    from expectations.runner import all_suites, run_suites

    build(wh)
    suite = next(s for s in all_suites() if s.name == "raw.submissions")
    [good] = run_suites(wh, [suite], write_docs=False)
    assert good.success, good.failures
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        con.execute("update raw.load_audit set unmapped = ''")
        con.close()
    [bad] = run_suites(wh, [suite], write_docs=False)
    assert {f.split(":")[0] for f in bad.failures} == {"topic_code", "responsible_unit"}
    assert f"({result.report.rows_loaded} rows)" in bad.failures[0]


# ---- all of them in one warehouse, through the dashboards -------------------------------

def test_every_profile_into_one_warehouse_and_every_page_renders(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    wh = tmp_path / "wh.duckdb"
    for name, files, mapping in (
            ("servicenow", ["servicenow_snapshot_150.csv", "servicenow_list_export.csv"],
             SN_MAPPING),
            ("queue-log", ["queue_log_1aug.csv"], ""),
            ("socrata-311", ["nyc311_300.csv", "la311_300.csv", "nyc311_snake_iso.csv",
                             "la311_two_digit_years.csv"], S311_MAPPING),
            ("open311", ["open311_examples.json", "open311_bulk.csv", "open311_v2.csv"],
             O311_MAPPING)):
        (tmp_path / name).mkdir()
        import_files(name, [REAL / f for f in files], wh,
                     mapping=city_mapping(tmp_path / name, mapping) if mapping else None,
                     max_reject_pct=10)
    build(wh, docs=False)
    assert query(wh, "select (select count(*) from marts.incident_sla), (select count(*) "
                     "from marts.submissions), (select sum(offered) from "
                     "marts.kck_queue_service)") == [(154, 613, 2239)]
    # 613 = 600 311 rows - 2 closed before created + 1 (two of the snake_case rows are the
    # first two NYC requests again) + 2 LA + 12 Open311
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(wh))
    monkeypatch.setenv("CITYOPS_REPORTS_DIR", str(tmp_path / "reports"))
    app = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    for page in (None, "director", "incidents", "kck", "publications", "smart_city", "units",
                 "builder"):
        at = AppTest.from_file(str(app), default_timeout=120)
        at.run()
        if page:
            at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])


def test_each_page_opens_on_its_own_sources_last_months(tmp_path, monkeypatch):
    """A 2016 ServiceNow log beside 2025 reports: the build's date is the reports' newest,
    yet the IT-02-3 page opens on the twelve months up to the log's last update — it opened
    on the empty months before the build's date, which the incidents never closed in the
    log (the README's sample has some) carry on into — and DK-03 on the reports' months."""
    from streamlit.testing.v1 import AppTest

    wh = tmp_path / "wh.duckdb"
    sample = SAMPLES / "incident_event_log_sample.csv"
    import_files("servicenow", [sample], wh)
    import_files("open311", [REAL / "open311_examples.json"], wh)
    build(wh, docs=False)
    assert query(wh, "select max(month_start) from marts.incident_sla_monthly")[0][0] > \
        date(2017, 1, 1)  # the months of the open incidents' backlog
    native = pl.read_csv(sample, infer_schema=False, null_values="?")
    stamps = {c: native[c].str.to_datetime("%d/%m/%Y %H:%M").dt.date()
              for c in ("opened_at", "sys_updated_at")}
    last = stamps["sys_updated_at"].max().replace(day=1)
    year_before = last.replace(year=last.year - 1, month=last.month % 12 + 1) \
        if last.month < 12 else last.replace(month=1)
    first = max(stamps["opened_at"].min().replace(day=1), year_before)
    reports = json.loads((REAL / "open311_examples.json").read_text())
    newest_report = max(r["requested_datetime"][:7] for r in reports)
    assert newest_report > f"{last:%Y-%m}"  # the build's date is the reports'

    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(wh))
    monkeypatch.setenv("CITYOPS_REPORTS_DIR", str(tmp_path / "reports"))
    app = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=120)
    at.run()
    at.switch_page("views/incidents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.select_slider(key="inc_period__pl").value == (first, last)
    at.switch_page("views/kck.py").run()
    assert not at.exception, [e.value for e in at.exception]
    dk03 = at.select_slider(key="dk03_period__pl").value
    assert f"{dk03[1]:%Y-%m}" == newest_report
    # the overview's drill-down names the incidents no group held (they drew no bar)
    at.switch_page("views/director.py").run()
    assert not at.exception, [e.value for e in at.exception]
    drill = next(d.value for d in at.dataframe if "Kod jednostki" in d.value.columns)
    assert dict(zip(drill["Kod jednostki"], drill["Jednostka"], strict=True))["brak"] == \
        "bez jednostki"


def test_events_waiting_for_their_ticket_keep_their_unmapped_group_when_released(tmp_path):
    """An incident whose ticket is rejected (no location) leaves its events waiting; when a
    later export brings the ticket, they are released with their unknown assignment group
    still kept unmapped, as the file they came in kept it — not rejected for it."""
    df = pl.read_csv(REAL / "servicenow_snapshot_150.csv", infer_schema=False)
    inc = df["number"][0]
    events = df.filter(pl.col("number") == inc)
    groups = set(events["assignment_group"])
    df.with_columns(location=pl.when(pl.col("number") == inc).then(pl.lit("?"))
                    .otherwise(pl.col("location"))).write_csv(tmp_path / "first.csv")
    events.head(1).write_csv(tmp_path / "ticket.csv")
    wh = tmp_path / "wh.duckdb"
    import_files("servicenow", [tmp_path / "first.csv"], wh, max_reject_pct=100)
    (waiting,) = query(wh, "select count(*) from raw.ticket_events__pending")[0]
    assert waiting > 0  # its snapshots as events (updates that change nothing give none)
    import_files("servicenow", [tmp_path / "ticket.csv"], wh)
    assert query(wh, "select count(*) from raw.ticket_events__pending") == [(0,)]
    assert query(wh, "select count(*) from raw.ticket_events__rejected") == [(0,)]
    rows = query(wh, "select group_code, _source_file from raw.ticket_events "
                     "where ticket_id = ?", [inc])
    assert len(rows) == waiting
    assert {g for g, _ in rows} == groups and {f for _, f in rows} == {"first.csv [servicenow]"}
