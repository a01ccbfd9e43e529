"""Newer means extracted later, whatever the delivery order (issue 12 § 1): a version from
an older extract never replaces one from a newer extract (it is kept in
raw.<contract>__history and reported), a later extract that moves a moment back is a
correction and applies, a ticket's event history delivered whole replaces the old one as a
set, a child delivered before its parent (a ticket's events before the ticket) waits in
raw.<contract>__pending and loads when the parent arrives, and the same extracts loaded in
any order — with re-deliveries of older ones — give the same raw layer (and so the same
marts: staging reads raw's one version per key)."""

from __future__ import annotations

import itertools
import random
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from helpers import query as q

from warehouse.contracts import CONTRACTS
from warehouse.load import load_directory
from warehouse.loading.samples import BASE, SEEDS
from warehouse.migrations import migrate

SUB_HEADER = ",".join(CONTRACTS["submissions"].column_names)
EV_HEADER = ",".join(c for c in CONTRACTS["ticket_events"].column_names
                     if c != "event_seq")  # the optional source order: left out
TICKETS_HEADER = ("ticket_id,opened_at,ticket_type,service_code,requester_unit,channel,"
                  "priority,summary")
TICKET = "T-1,2025-11-01 08:00:00,incident,NET,GD,phone,3,Awaria"


def _sub(sid: str, received: str, closed: str = "", outcome: str = "open") -> str:
    return f"{sid},{received},portal,problem,roads,5,a@example.com,,,,{closed},{outcome},"


# the extracts of one submission feed and one ticket: (name, extracted at, files); the
# ticket itself comes only with the 18 Nov extract, so its events of 2 Nov wait for it
# whenever 2 Nov is loaded first
EXTRACTS: dict[str, tuple[datetime, dict[str, list[str]]]] = {
    "2 Nov": (datetime(2025, 11, 2, 23, 0), {
        "submissions": [_sub("S-1", "2025-11-01 10:00:00"),
                        _sub("S-2", "2025-11-02 09:00:00")],
        "ticket_events": ["T-1,2025-11-01 08:00:00,opened,IT-02-3,3,0",
                          "T-1,2025-11-01 12:00:00,resolved,IT-02-3,3,40"]}),
    "18 Nov": (datetime(2025, 11, 18, 23, 0), {
        "tickets": [TICKET],
        "submissions": [_sub("S-1", "2025-11-01 10:00:00", "2025-11-10 10:00:00", "resolved"),
                        _sub("S-2", "2025-11-02 09:00:00"),
                        _sub("S-3", "2025-11-18 08:00:00")],
        # the whole history again, the resolution corrected to 11:30, then closed
        "ticket_events": ["T-1,2025-11-01 08:00:00,opened,IT-02-3,3,0",
                          "T-1,2025-11-01 11:30:00,resolved,IT-02-3,3,40",
                          "T-1,2025-11-05 09:00:00,closed,IT-02-3,3,0"]}),
    "20 Nov": (datetime(2025, 11, 20, 23, 0), {  # a correction: S-1 closed a day earlier
        "submissions": [_sub("S-1", "2025-11-01 10:00:00", "2025-11-09 10:00:00", "resolved"),
                        _sub("S-2", "2025-11-02 09:00:00"),
                        _sub("S-3", "2025-11-18 08:00:00")]}),
}


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")


def _write(out: Path, name: str, reverse: bool = False) -> Path:
    """The extract's files (``reverse``: the same rows in the other order, so a
    re-delivery has other bytes and is not skipped as already loaded)."""
    out.mkdir(parents=True)
    (out / "it_services.csv").write_text(BASE["it_services"], encoding="utf-8")
    header = {"submissions": SUB_HEADER, "ticket_events": EV_HEADER,
              "tickets": TICKETS_HEADER}
    for contract, rows in EXTRACTS[name][1].items():
        rows = rows[::-1] if reverse else rows
        (out / f"{contract}.csv").write_text("\n".join([header[contract], *rows]) + "\n",
                                             encoding="utf-8")
    return out


def _load(tmp: Path, wh: Path, name: str, *, reverse: bool = False, explicit: bool = True):
    src = _write(tmp / f"{len(list(tmp.iterdir()))}-{name.replace(' ', '_')}", name, reverse)
    return load_directory(src, wh, seeds=SEEDS,
                          extracted_at=EXTRACTS[name][0] if explicit else None)



def _contract_rows(wh: Path) -> dict[str, list[tuple]]:
    """What the marts are built from: raw's contract columns (one version per key)."""
    out = {}
    for name in ("submissions", "ticket_events", "tickets"):
        cols = ", ".join(f'"{c.stored_name}"' for c in CONTRACTS[name].columns)
        out[name] = q(wh, f"SELECT {cols} FROM raw.{name} ORDER BY ALL")
    return out


def test_an_older_extract_loaded_later_is_kept_in_history_and_reported(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load(tmp_path / "in", wh, "18 Nov")
    report = _load(tmp_path / "in", wh, "2 Nov")
    # the closed version stays; the open one of the older extract is kept, not applied
    assert q(wh, "SELECT closed_at::VARCHAR, outcome FROM raw.submissions "
                 "WHERE submission_id = 'S-1'") == [("2025-11-10 10:00:00", "resolved")]
    assert q(wh, "SELECT submission_id, closed_at, outcome, _extracted_at::VARCHAR, "
                 "history_reason FROM raw.submissions__history ORDER BY 1") == [
        (sid, None, "open", "2025-11-02 23:00:00",
         "an older extract (2025-11-02 23:00:00) than the version in raw.submissions")
        for sid in ("S-1", "S-2")]
    result = report.file("submissions.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.older) == \
        (2, 2, 0, 2)
    assert "2 row(s) from an older extract than the version in raw" in result.message
    assert q(wh, "SELECT extracted_at::VARCHAR, message LIKE '%raw.submissions__history%' "
                 "FROM raw.load_audit WHERE file_name = 'submissions.csv' ORDER BY started_at"
             ) == [("2025-11-18 23:00:00", False), ("2025-11-02 23:00:00", True)]
    # the older event history goes to history as a whole: the newer one stays as it is
    assert q(wh, "SELECT event, event_at::VARCHAR FROM raw.ticket_events ORDER BY 2") == [
        ("opened", "2025-11-01 08:00:00"), ("resolved", "2025-11-01 11:30:00"),
        ("closed", "2025-11-05 09:00:00")]
    assert q(wh, "SELECT event, event_at::VARCHAR FROM raw.ticket_events__history "
                 "ORDER BY 2") == [("opened", "2025-11-01 08:00:00"),
                                   ("resolved", "2025-11-01 12:00:00")]


def test_without_an_extraction_time_a_file_is_as_new_as_its_latest_moment(
        tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load(tmp_path / "in", wh, "18 Nov", explicit=False)
    report = _load(tmp_path / "in", wh, "2 Nov", explicit=False)
    assert report.file("submissions.csv").extracted_at == datetime(2025, 11, 2, 9, 0)
    assert report.file("submissions.csv").older == 2
    assert q(wh, "SELECT outcome FROM raw.submissions WHERE submission_id = 'S-1'") == \
        [("resolved",)]


def test_a_newer_extract_moving_a_moment_back_is_a_correction_and_applies(
        tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load(tmp_path / "in", wh, "18 Nov")
    report = _load(tmp_path / "in", wh, "20 Nov")
    result = report.file("submissions.csv")
    assert (result.older, result.corrections) == (0, 1)
    assert "1 correction(s): a newer extract moves a moment back" in result.message
    assert q(wh, "SELECT closed_at::VARCHAR FROM raw.submissions WHERE submission_id = 'S-1'"
             ) == [("2025-11-09 10:00:00",)]


def _load_ticket(tmp: Path, wh: Path, row: str = TICKET):
    src = tmp / f"ticket-{len(list(tmp.iterdir()))}"
    src.mkdir()
    (src / "it_services.csv").write_text(BASE["it_services"], encoding="utf-8")
    (src / "tickets.csv").write_text(f"{TICKETS_HEADER}\n{row}\n", encoding="utf-8")
    return load_directory(src, wh, seeds=SEEDS, extracted_at=datetime(2025, 11, 1, 8, 0))


def test_a_corrected_event_history_replaces_the_old_one_as_a_set(tmp_path: Path) -> None:
    """The old 'resolved' at 12:00 is not left beside the corrected one at 11:30."""
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load_ticket(tmp_path / "in", wh)
    _load(tmp_path / "in", wh, "2 Nov")
    report = _load(tmp_path / "in", wh, "18 Nov")
    assert q(wh, "SELECT event, event_at::VARCHAR FROM raw.ticket_events ORDER BY 2") == [
        ("opened", "2025-11-01 08:00:00"), ("resolved", "2025-11-01 11:30:00"),
        ("closed", "2025-11-05 09:00:00")]
    assert report.file("ticket_events.csv").corrections == 1  # the 12:00 'resolved' dropped
    assert "1 row(s) of raw replaced as a set" in report.file("ticket_events.csv").message


def test_new_events_without_the_whole_history_are_added(tmp_path: Path) -> None:
    """A delivery without the ticket's 'opened' event is a delta: it adds its events, even
    when it says it was extracted before the history raw holds."""
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load(tmp_path / "in", wh, "18 Nov")
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "ticket_events.csv").write_text(
        f"{EV_HEADER}\nT-1,2025-11-01 09:00:00,assigned,IT-04-1,3,0\n", encoding="utf-8")
    load_directory(delta, wh, seeds=SEEDS, extracted_at=datetime(2025, 11, 1, 9, 5))
    assert q(wh, "SELECT event FROM raw.ticket_events ORDER BY event_at") == [
        ("opened",), ("assigned",), ("resolved",), ("closed",)]


def test_events_delivered_before_their_ticket_wait_and_load_when_it_arrives(
        tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    first = _load(tmp_path / "in", wh, "2 Nov")  # T-1's events, no ticket yet
    events = first.file("ticket_events.csv")
    assert (events.rows_read, events.rows_loaded, events.rows_rejected,
            events.rows_pending) == (2, 0, 0, 2)
    assert first.waiting == {"sc_milestones": 0, "ticket_events": 2}
    assert "2 row(s) wait for their parent record in raw.ticket_events__pending" in \
        events.message
    assert q(wh, "SELECT count(*) FROM raw.ticket_events") == [(0,)]
    assert q(wh, "SELECT rows_read, rows_loaded, rows_rejected, rows_pending, status "
                 "FROM raw.load_audit WHERE contract = 'ticket_events'") == \
        [(2, 0, 0, 2, "loaded")]
    # the ticket arrives (alone): its events are checked again and loaded, as their file
    second = _load_ticket(tmp_path / "in", wh)
    released = second.file("ticket_events.csv")
    assert (released.status, released.rows_read, released.rows_loaded,
            released.extracted_at) == ("released", 2, 2, datetime(2025, 11, 2, 23, 0))
    assert second.released("ticket_events") == 2 and second.waiting["ticket_events"] == 0
    assert q(wh, "SELECT event, event_at::VARCHAR, _source_file, _source_row, "
                 "_extracted_at::VARCHAR FROM raw.ticket_events ORDER BY 2") == [
        ("opened", "2025-11-01 08:00:00", "ticket_events.csv", 1, "2025-11-02 23:00:00"),
        ("resolved", "2025-11-01 12:00:00", "ticket_events.csv", 2, "2025-11-02 23:00:00")]
    assert q(wh, "SELECT count(*) FROM raw.ticket_events__pending") == [(0,)]
    # every audit row accounts for its rows; the release names the original file
    assert q(wh, "SELECT file_name, rows_read, rows_loaded, rows_rejected, rows_pending, "
                 "status FROM raw.load_audit WHERE contract = 'ticket_events' "
                 "ORDER BY started_at") == [
        ("ticket_events.csv", 2, 0, 0, 2, "loaded"),
        ("ticket_events.csv", 2, 2, 0, 0, "released")]


def test_a_released_row_meets_every_rule_again(tmp_path: Path) -> None:
    """An event that waited is checked against the ticket that arrived: one before the
    ticket's opened_at is rejected then, naming the rule; the other loads; an event of a
    ticket still missing keeps waiting."""
    wh = tmp_path / "wh.duckdb"
    src = tmp_path / "events"
    src.mkdir()
    (src / "ticket_events.csv").write_text(
        f"{EV_HEADER}\nT-1,2025-11-01 07:00:00,assigned,IT-02-3,3,0\n"
        "T-1,2025-11-01 09:00:00,assigned,IT-04-1,3,0\n"
        "T-2,2025-11-01 09:00:00,assigned,IT-04-1,3,0\n", encoding="utf-8")
    load_directory(src, wh, seeds=SEEDS)
    (tmp_path / "in").mkdir()
    report = _load_ticket(tmp_path / "in", wh)  # T-1 opened at 08:00
    released = report.file("ticket_events.csv")
    assert (released.status, released.rows_read, released.rows_loaded,
            released.rows_rejected) == ("released with rejects", 2, 1, 1)
    assert report.waiting["ticket_events"] == 1
    assert q(wh, "SELECT _source_row, reject_reason FROM raw.ticket_events__rejected") == [
        (1, "row 1: event_at='2025-11-01 07:00:00' before its ticket opened_at="
            "'2025-11-01 08:00:00'")]
    assert q(wh, "SELECT ticket_id, _source_row FROM raw.ticket_events") == [("T-1", 2)]
    assert q(wh, "SELECT pending_key, _source_row FROM raw.ticket_events__pending") == [
        ("T-2", 3)]


def test_milestones_delivered_before_their_project_wait_for_it(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    first = tmp_path / "milestones"
    first.mkdir()
    header = ",".join(CONTRACTS["sc_milestones"].column_names)
    (first / "sc_milestones.csv").write_text(
        f"{header}\nSC-9,Odbiór,2025-06-30,2025-06-20\n", encoding="utf-8")
    report = load_directory(first, wh, seeds=SEEDS)
    assert report.file("sc_milestones.csv").rows_pending == 1
    second = tmp_path / "projects"
    second.mkdir()
    (second / "sc_projects.csv").write_text(BASE["sc_projects"].replace("SCP-1", "SC-9"),
                                            encoding="utf-8")
    report = load_directory(second, wh, seeds=SEEDS)
    assert report.released("sc_milestones") == 1
    assert q(wh, "SELECT project_id, milestone, done_on::VARCHAR FROM raw.sc_milestones") == [
        ("SC-9", "Odbiór", "2025-06-20")]


ORDERS = list(itertools.permutations(EXTRACTS))


@pytest.mark.parametrize("order", ORDERS, ids=["→".join(o) for o in ORDERS])
def test_any_delivery_order_with_re_deliveries_gives_the_same_raw_layer(
        order: tuple[str, ...], tmp_path: Path) -> None:
    reference = tmp_path / "ref.duckdb"
    (tmp_path / "ref").mkdir()
    for name in EXTRACTS:  # in the order they were taken
        _load(tmp_path / "ref", reference, name)
    expected = _contract_rows(reference)
    assert expected["submissions"][0][10] == datetime(2025, 11, 9, 10, 0)  # the correction
    rng = random.Random("→".join(order))
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    loaded: list[str] = []
    for name in order:
        _load(tmp_path / "in", wh, name)
        loaded.append(name)
        for again in rng.sample(loaded, k=rng.randint(0, len(loaded))):  # re-deliveries
            _load(tmp_path / "in", wh, again, reverse=True)
    assert _contract_rows(wh) == expected


def test_migrated_rows_get_the_latest_moment_of_their_file_as_extraction_time(
        tmp_path: Path) -> None:
    """A raw layer of schema version 1 (no _extracted_at) is carried forward."""
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    _load(tmp_path / "in", wh, "18 Nov")
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(f"ATTACH '{wh}' AS src (READ_ONLY)")
    con.execute("CREATE SCHEMA raw")
    for name in CONTRACTS:
        con.execute(f"CREATE TABLE raw.{name} AS SELECT * EXCLUDE (_extracted_at) "
                    f"FROM src.raw.{name}")
        con.execute(f"CREATE TABLE raw.{name}__rejected AS SELECT * FROM src.raw.{name}__rejected")
    con.execute("CREATE TABLE raw.load_audit AS SELECT * EXCLUDE (extracted_at, "
                "rows_pending) FROM src.raw.load_audit")
    con.execute("DETACH src")
    migrate(con)
    assert con.execute("SELECT DISTINCT _extracted_at::VARCHAR FROM raw.submissions"
                       ).fetchall() == [("2025-11-18 08:00:00",)]
    assert con.execute("SELECT extracted_at::VARCHAR FROM raw.load_audit "
                       "WHERE file_name = 'submissions.csv'").fetchall() == \
        [("2025-11-18 08:00:00",)]
    con.close()


def test_the_marts_are_the_same_whatever_the_delivery_order(tmp_path: Path) -> None:
    """The end of the chain: the extracts in the order they were taken, and newest first
    with the oldest re-delivered, build the same marts."""
    from benchmarks.compare import compare
    from warehouse.build import build

    built = {}
    for label, order in (("taken", ["2 Nov", "18 Nov", "20 Nov"]),
                         ("reversed", ["20 Nov", "18 Nov", "2 Nov", "2 Nov"])):
        wh = tmp_path / label / "wh.duckdb"
        (tmp_path / f"in-{label}").mkdir()
        for i, name in enumerate(order):
            _load(tmp_path / f"in-{label}", wh, name, reverse=i == 3)
        build(wh, as_of="2025-11-25", docs=False)
        built[label] = wh
    diffs = compare(built["taken"], built["reversed"])
    assert len(diffs) > 10
    assert [d.name for d in diffs if not d.same and d.name != "marts.build_info"] == []
    assert q(built["reversed"], "SELECT count(*) FROM marts.submissions "
                                "WHERE closed_at = TIMESTAMP '2025-11-09 10:00:00'") == [(1,)]
