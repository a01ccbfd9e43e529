"""Every kind of bad input `cityops load` must survive (issue 5 §2).

For each case: the message names file, row and rule; rejected rows are kept in
raw.<contract>__rejected with their reason; raw.load_audit keeps rows_read = rows_loaded +
rows_rejected; and nothing else in the warehouse changed (fingerprints of the other tables,
and of everything when the load is refused).

The warehouse under test starts as a copy of one small hand-made base load
(warehouse.loading.samples: 2 services, 3 tickets, 8 events, 3 calls, …).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.contracts import CONTRACTS
from warehouse.load import LoadRefused, load_directory
from warehouse.loading.samples import BASE, SEEDS, write_base
from warehouse.store import current_file

CALLS_HEADER = ",".join(CONTRACTS["calls"].column_names)
TICKETS_HEADER = ",".join(c for c in CONTRACTS["tickets"].column_names
                          if c != "calendar_code")  # optional: UMK's
EVENTS_HEADER = ",".join(c for c in CONTRACTS["ticket_events"].column_names
                         if c != "event_seq")  # the optional source order: left out
CARDS_HEADER = ",".join(CONTRACTS["service_cards"].column_names)
SUBM_HEADER = ",".join(CONTRACTS["submissions"].column_names)


def call(cid: str, offered: str = "2025-03-05 08:00:00", answered: str = "2025-03-05 08:00:10",
         ended: str = "2025-03-05 08:03:00", queue: str = "Infolinia", topic: str = "waste",
         record_type: str = "information") -> str:
    return f"{cid},{queue},{offered},{answered},{ended},A9,600100200,{record_type},{topic},,true"


def ticket(tid: str, opened: str = "2025-03-05 10:00:00", service: str = "NET",
           unit: str = "GD", priority: str = "2", summary: str = "Brak sieci") -> str:
    return f"{tid},{opened},incident,{service},{unit},phone,{priority},{summary}"


def csv_text(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


@dataclass
class Case:
    files: dict[str, bytes]
    # row-level expectations: file -> (read, loaded, rejected)
    accounts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # substrings the printed output (or the refusal) must contain
    says: tuple[str, ...] = ()
    # (contract, substring) that a reject_reason of this load must contain
    reasons: tuple[tuple[str, str], ...] = ()
    refused: bool = False
    changed: tuple[str, ...] = ()  # contracts whose raw tables this load may change
    extra_check: Callable[[duckdb.DuckDBPyConnection], None] | None = None


def _cp1250_cards() -> bytes:
    text = (CARDS_HEADER + "\r\n"
            + "SC-9,Zażółć gęślą jaźń – ŻÓŁĆ,WS,tak,2025-02-01 10:00\r\n")
    return text.encode("cp1250")


def _check_polish(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("SELECT title_pl, online_available, last_reviewed_at::VARCHAR "
                      "FROM raw.service_cards WHERE card_id = 'SC-9'").fetchone()
    assert row == ("Zażółć gęślą jaźń – ŻÓŁĆ", True, "2025-02-01 10:00:00")


def _check_bom(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT title_pl FROM raw.service_cards WHERE card_id = 'SC-8'"
                       ).fetchone() == ("Karta Łódź",)


def _check_semicolon(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT call_id, queue, resolved_on_call FROM raw.calls "
                       "WHERE call_id IN ('C-30', 'C-31') ORDER BY 1").fetchall()
    assert rows == [("C-30", "Podatki, opłaty", False), ("C-31", "Infolinia", True)]


def _check_dup_in_file(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT queue, _source_row FROM raw.calls WHERE call_id = 'C-10'"
                       ).fetchall() == [("Druga", 3)]


def _check_dup_across(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT queue, _source_file FROM raw.calls WHERE call_id = 'C-11'"
                       ).fetchall() == [("Z pliku B", "calls_b.csv")]


def _check_big_field(con: duckdb.DuckDBPyConnection) -> None:
    n = con.execute("SELECT length(summary) FROM raw.tickets__rejected WHERE ticket_id = 'T-9'"
                    ).fetchone()
    assert n == (5_000_000,)  # kept in full, as it was


def _check_extra(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT count(*) FROM raw.calls WHERE call_id = 'C-40'").fetchone() == (1,)


def _wrong_parquet() -> bytes:
    import io

    frame = pl.DataFrame({c: ["x"] for c in CONTRACTS["calls"].column_names}).with_columns(
        pl.lit(1735689600, dtype=pl.Int64).alias("offered_at"))
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


CASES: dict[str, Case] = {
    "missing_required_column": Case(
        {"calls.csv": csv_text(CALLS_HEADER.replace("offered_at,", ""),
                               "C-5,Infolinia,,2025-03-05 08:03:00,A9,,information,waste,,true")},
        refused=True, says=("calls.csv", "'offered_at'", "missing")),
    # the column is there, a row leaves it empty: only the required rule can reject it
    # (the order rules skip an empty moment)
    "empty_required_value": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-6", offered=""), call("C-7"))},
        accounts={"calls.csv": (2, 1, 1)},
        reasons=(("calls", "row 1: offered_at is empty (required)"),),
        says=("calls.csv row 1: offered_at is empty (required)",), changed=("calls",)),
    "extra_column": Case(
        {"calls.csv": csv_text(CALLS_HEADER + ",note", call("C-40") + ",uwaga")},
        accounts={"calls.csv": (1, 1, 0)}, says=("calls.csv", "extra column(s) note ignored"),
        changed=("calls",), extra_check=_check_extra),
    "wrong_type": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", priority="high"), ticket("T-8"))},
        accounts={"tickets.csv": (2, 1, 1)},
        reasons=(("tickets", "row 1: priority='high' not an integer"),),
        says=("tickets.csv row 1: priority='high' not an integer",), changed=("tickets",)),
    "unparseable_timestamp": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5", offered="2025-13-01 08:00:00"))},
        accounts={"calls.csv": (1, 0, 1)},
        reasons=(("calls", "row 1: offered_at='2025-13-01 08:00:00' timestamp format"),),
        says=("calls.csv row 1: offered_at='2025-13-01 08:00:00' timestamp format",),
        changed=("calls",)),
    "mixed_date_formats": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5"),
                               call("C-6", offered="05.03.2025 08:00", answered=""),
                               call("C-7", offered="2025-03-05T07:59",
                                    answered="2025-03-05T08:00:00"))},
        accounts={"calls.csv": (3, 2, 1)},
        reasons=(("calls", "row 2: offered_at='05.03.2025 08:00' timestamp format"),),
        says=("calls.csv row 2: offered_at='05.03.2025 08:00' timestamp format",),
        changed=("calls",)),
    "event_before_ticket_opened": Case(
        {"ticket_events.csv": csv_text(EVENTS_HEADER,
                                       "T-1,2025-03-03 07:00:00,acknowledged,IT-02-3,3,0",
                                       "T-1,2025-03-03 12:00:00,closed,IT-02-3,3,0")},
        accounts={"ticket_events.csv": (2, 1, 1)},
        reasons=(("ticket_events", "row 1: event_at='2025-03-03 07:00:00' before its ticket "
                                   "opened_at='2025-03-03 08:10:00'"),),
        says=("ticket_events.csv row 1: event_at='2025-03-03 07:00:00' before its ticket",),
        changed=("ticket_events",)),
    "resolved_before_opened": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-7", opened="2025-03-05 09:00:00")),
         "ticket_events.csv": csv_text(
             EVENTS_HEADER, "T-7,2025-03-05 10:00:00,opened,IT-02-3,2,0",
             "T-7,2025-03-05 09:30:00,resolved,IT-02-3,2,10")},
        accounts={"tickets.csv": (1, 1, 0), "ticket_events.csv": (2, 1, 1)},
        reasons=(("ticket_events", "row 2: resolved at '2025-03-05 09:30:00' before the "
                                   "ticket's opened event at '2025-03-05 10:00:00'"),),
        says=("ticket_events.csv row 2: resolved at",), changed=("tickets", "ticket_events")),
    "duplicate_key_in_file": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-10", queue="Pierwsza"), call("C-12"),
                               call("C-10", queue="Druga"))},
        accounts={"calls.csv": (3, 2, 1)},
        reasons=(("calls", "row 1: duplicate key in file (C-10 repeated in row 3"),),
        says=("calls.csv row 1: duplicate key in file",), changed=("calls",),
        extra_check=_check_dup_in_file),
    "duplicate_key_across_files": Case(
        {"calls_a.csv": csv_text(CALLS_HEADER, call("C-11", queue="Z pliku A")),
         "calls_b.csv": csv_text(CALLS_HEADER, call("C-11", queue="Z pliku B"))},
        accounts={"calls_a.csv": (1, 1, 0), "calls_b.csv": (1, 1, 0)},
        says=("calls_a.csv", "calls_b.csv"), changed=("calls",), extra_check=_check_dup_across),
    "unknown_unit": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", unit="XX-99"))},
        accounts={"tickets.csv": (1, 0, 1)},
        reasons=(("tickets", "row 1: requester_unit='XX-99' unknown unit code"),),
        says=("tickets.csv row 1: requester_unit='XX-99' unknown unit code",),
        changed=("tickets",)),
    "unknown_service": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", service="NOPE"))},
        accounts={"tickets.csv": (1, 0, 1)},
        reasons=(("tickets", "row 1: service_code='NOPE' unknown service code"),),
        says=("tickets.csv row 1: service_code='NOPE' unknown service code",),
        changed=("tickets",)),
    "unknown_topic": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5"), call("C-6", topic="pogoda"))},
        accounts={"calls.csv": (2, 1, 1)},
        reasons=(("calls", "row 2: topic_code='pogoda' unknown topic code"),),
        says=("calls.csv row 2: topic_code='pogoda' unknown topic code",), changed=("calls",)),
    # an unknown ticket alone makes an event wait (test_delivery_order); with another
    # failure the event is rejected, both reasons named
    "unknown_ticket": Case(
        {"ticket_events.csv": csv_text(EVENTS_HEADER, "T-404,2025-03-05 10:00:00,opend,"
                                       "IT-02-3,2,0")},
        accounts={"ticket_events.csv": (1, 0, 1)},
        reasons=(("ticket_events", "row 1: event='opend' not in"),
                 ("ticket_events", "ticket_id='T-404' unknown ticket")),
        says=("ticket_events.csv row 1: event='opend' not in",),
        changed=("ticket_events",)),
    "priority_out_of_range": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", priority="7"),
                                 ticket("T-8", priority="0", opened="2025-13-01 10:00"))},
        accounts={"tickets.csv": (2, 0, 2)},
        reasons=(("tickets", "row 1: priority=7 not in 1..4"),
                 ("tickets", "row 2: opened_at='2025-13-01 10:00' timestamp format; "
                             "priority=0 not in 1..4")),
        says=("tickets.csv row 1: priority=7 not in 1..4",), changed=("tickets",)),
    "negative_duration": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5", ended="2025-03-05 07:00:00"))},
        accounts={"calls.csv": (1, 0, 1)},
        reasons=(("calls", "row 1: ended_at='2025-03-05 07:00:00' before offered_at="
                           "'2025-03-05 08:00:00'; ended_at='2025-03-05 07:00:00' before "
                           "answered_at='2025-03-05 08:00:10'"),),
        says=("calls.csv row 1: ended_at='2025-03-05 07:00:00' before offered_at",),
        changed=("calls",)),
    "absurd_duration": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5", ended="2025-03-05 18:30:00"))},
        accounts={"calls.csv": (1, 0, 1)},
        reasons=(("calls", "row 1: call longer than 8 h (offered_at 2025-03-05 08:00, "
                           "ended_at 2025-03-05 18:30)"),),
        says=("calls.csv row 1: call longer than 8 h",), changed=("calls",)),
    "order_rule_submissions": Case(
        {"submissions.csv": csv_text(SUBM_HEADER, "S-9,2025-03-05 10:00:00,portal,problem,roads,"
                                     "19,a@b.pl,,,,2025-03-04 10:00:00,resolved,")},
        accounts={"submissions.csv": (1, 0, 1)},
        reasons=(("submissions", "row 1: district=19 not in 1..18; closed_at="
                                 "'2025-03-04 10:00:00' before received_at"),),
        says=("submissions.csv row 1: district=19 not in 1..18",), changed=("submissions",)),
    "empty_file": Case({"calls.csv": b""}, refused=True,
                       says=("calls.csv: empty file (0 bytes)",)),
    "header_only": Case(
        {"calls.csv": csv_text(CALLS_HEADER)}, accounts={"calls.csv": (0, 0, 0)},
        says=("calls.csv",), changed=("calls",)),
    "truncated_last_line": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5"))
         + b"C-6,Infolinia,2025-03-05 08:0"},
        accounts={"calls.csv": (2, 1, 1)},
        reasons=(("calls", "row 2: truncated line: 3 of 11 fields"),),
        says=("calls.csv row 2: truncated line: 3 of 11 fields",), changed=("calls",)),
    "too_many_fields": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5") + ",surplus,more")},
        accounts={"calls.csv": (1, 0, 1)},
        reasons=(("calls", "row 1: 13 fields, the header has 11"),),
        says=("calls.csv row 1: 13 fields, the header has 11",), changed=("calls",)),
    "cp1250_crlf_polish": Case(
        {"service_cards.csv": _cp1250_cards()}, accounts={"service_cards.csv": (1, 1, 0)},
        says=("service_cards.csv",), changed=("service_cards",), extra_check=_check_polish),
    "utf8_bom": Case(
        {"service_cards.csv": b"\xef\xbb\xbf" + csv_text(
            CARDS_HEADER, "SC-8,Karta Łódź,WS,false,2025-02-01 10:00:00")},
        accounts={"service_cards.csv": (1, 1, 0)}, changed=("service_cards",),
        extra_check=_check_bom),
    "semicolon_separated": Case(
        {"calls.csv": csv_text(
            CALLS_HEADER.replace(",", ";"),
            "C-30;Podatki, opłaty;2025-03-05 08:00:00;2025-03-05 08:00:10;2025-03-05 08:03:00;"
            "A9;600100200;problem;local_taxes;KP-01;nie",
            "C-31;Infolinia;2025-03-05 08:00:00;;2025-03-05 08:00:03;;;;;;1")},
        accounts={"calls.csv": (2, 2, 0)}, changed=("calls",), extra_check=_check_semicolon),
    # one character over the limit is over it; exactly the limit is not
    "text_one_over_its_limit": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", summary="x" * 4001),
                                 ticket("T-8", summary="y" * 4000))},
        accounts={"tickets.csv": (2, 1, 1)},
        reasons=(("tickets", "row 1: summary has 4001 characters, max 4000"),),
        changed=("tickets",)),
    "multi_megabyte_field": Case(
        {"tickets.csv": csv_text(TICKETS_HEADER, ticket("T-9", summary="x" * 5_000_000),
                                 ticket("T-8"))},
        accounts={"tickets.csv": (2, 1, 1)},
        reasons=(("tickets", "row 1: summary has 5000000 characters, max 4000"),),
        says=("tickets.csv row 1: summary has 5000000 characters, max 4000",),
        changed=("tickets",), extra_check=_check_big_field),
    "not_a_contract": Case(
        {"notes.csv": b"a,b\n1,2\n", "calls.csv": csv_text(CALLS_HEADER, call("C-5"))},
        accounts={"calls.csv": (1, 1, 0)}, says=("notes.csv: not a contract file, skipped",),
        changed=("calls",)),
    "parquet_wrong_schema": Case(
        {"calls.parquet": _wrong_parquet()}, refused=True,
        says=("calls.parquet: wrong Parquet schema", "'offered_at' is Int64")),
    "undecodable_bytes": Case(
        {"calls.csv": csv_text(CALLS_HEADER) + b"C-5,\x81\xff\x98\n"}, refused=True,
        says=("calls.csv: cannot decode as UTF-8",)),
    "bad_value_set_and_bool": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5", record_type="complaint")[:-4] + "maybe")},
        accounts={"calls.csv": (1, 0, 1)},
        reasons=(("calls", "row 1: record_type='complaint' not in (information|problem|idea|"
                           "survey); resolved_on_call='maybe' not a boolean"),),
        says=("calls.csv row 1: record_type='complaint' not in",), changed=("calls",)),
    "one_refused_file_refuses_all": Case(
        {"calls.csv": csv_text(CALLS_HEADER, call("C-5")),
         "tickets.csv": csv_text(TICKETS_HEADER.replace("priority,", ""), "T-9")},
        refused=True, says=("tickets.csv", "'priority'", "nothing was loaded")),
}


def _fingerprints(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "ORDER BY 1").fetchall()]
        return {t: con.execute(
            f"SELECT count(*)::VARCHAR || ':' || coalesce(md5(string_agg(x::VARCHAR, '|' "
            f"ORDER BY x::VARCHAR)), '') FROM {t} AS x").fetchone()[0] for t in tables}
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")


@pytest.fixture(scope="module")
def base_file(tmp_path_factory) -> Path:
    """The build file of a warehouse holding the base load."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYOPS_PII_KEY", "test-key")
        root = tmp_path_factory.mktemp("base")
        wh = root / "wh" / "warehouse.duckdb"
        load_directory(write_base(root / "in"), wh, seeds=SEEDS)
        path = current_file(wh)
        assert path is not None
        return path


def test_the_list_covers_issue_5(tmp_path) -> None:
    assert len(CASES) + 1 >= 22  # +1: the missing directory below


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, base_file: Path, tmp_path: Path, capsys) -> None:
    case = CASES[name]
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base_file, wh)
    before = _fingerprints(wh)
    src = tmp_path / "in"
    src.mkdir()
    for file_name, data in case.files.items():
        (src / file_name).write_bytes(data)

    if case.refused:
        with pytest.raises(LoadRefused) as err:
            load_directory(src, wh, seeds=SEEDS)
        text = str(err.value)
        for s in case.says:
            assert s in text
        assert current_file(wh) == wh  # not swapped
        assert _fingerprints(wh) == before  # nothing at all changed
        return

    report = load_directory(src, wh, seeds=SEEDS)
    out = capsys.readouterr().out
    for s in case.says:
        assert s in out, f"{s!r} not in output:\n{out}"
    assert len(out) < 20_000  # a multi-megabyte value is never printed
    after = _fingerprints(wh)
    touched = {f"raw.{c}" for c in case.changed} | {f"raw.{c}__rejected" for c in case.changed}
    touched.add("raw.load_audit")
    assert {t: v for t, v in after.items() if t not in touched} == \
        {t: v for t, v in before.items() if t not in touched}

    con = duckdb.connect(str(current_file(wh)), read_only=True)
    try:
        audit = {r[0]: r[1:] for r in con.execute(
            "SELECT file_name, rows_read, rows_loaded, rows_rejected, status FROM raw.load_audit "
            "WHERE load_id = ?", [report.load_id]).fetchall()}
        assert {f: a[:3] for f, a in audit.items()} == case.accounts
        for f, (read, loaded, rejected, _status) in audit.items():
            assert read == loaded + rejected
            res = report.file(f)
            assert (res.rows_read, res.rows_loaded, res.rows_rejected) == (read, loaded, rejected)
        for contract, expected in case.reasons:
            reasons = [r[0] for r in con.execute(
                f"SELECT reject_reason FROM raw.{contract}__rejected WHERE _load_id = ?",
                [report.load_id]).fetchall()]
            assert any(expected in r for r in reasons), (expected, reasons)
        for contract in case.changed:  # rows of the base load are still there
            assert con.execute(
                f"SELECT count(*) FROM raw.{contract} WHERE _load_id <> ?", [report.load_id]
            ).fetchone()[0] == BASE[contract].count("\n") - 1
        # rejected rows carry their original text, row number and file
        for f, (_, _, rejected, _) in audit.items():
            contract = report.file(f).contract
            n = con.execute(f"SELECT count(*) FROM raw.{contract}__rejected WHERE _load_id = ? "
                            "AND _source_file = ? AND _source_row >= 1",
                            [report.load_id, f]).fetchone()[0]
            assert n == rejected
        if case.extra_check:
            case.extra_check(con)
    finally:
        con.close()


def test_directory_that_does_not_exist(base_file: Path, tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base_file, wh)
    before = _fingerprints(wh)
    with pytest.raises(LoadRefused, match=r"no-such-dir: the source directory does not exist"):
        load_directory(tmp_path / "no-such-dir", wh, seeds=SEEDS)
    assert _fingerprints(wh) == before
    assert not (tmp_path / "warehouse.duckdb.builds").exists()


def test_cli_exit_code_and_message_on_refusal(base_file: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from warehouse.cli import main

    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base_file, wh)
    src = tmp_path / "in"
    src.mkdir()
    (src / "calls.csv").write_bytes(b"")
    result = CliRunner().invoke(main, ["load", str(src), "--warehouse", str(wh)])
    assert result.exit_code == 2
    assert "calls.csv: empty file (0 bytes)" in result.output
