"""The raw-layer loader (issue 2 §5): accounting, rejects, idempotence, encodings, Parquet,
absent files, PII, and the generated sample."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import polars as pl
import pytest
from helpers import query as q

from warehouse.contracts import CONTRACTS
from warehouse.load import load_directory
from warehouse.loading.samples import BASE, BASE_ROWS, CALLER_NUMBERS, EMAILS, SEEDS, write_base
from warehouse.pii import hmac_hex, pii_key
from warehouse.store import connect_read_only

CALLS_HEADER = ",".join(CONTRACTS["calls"].column_names)


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")



def test_accounting_on_the_base_set(tmp_path: Path) -> None:
    wh = tmp_path / "wh" / "warehouse.duckdb"
    report = load_directory(write_base(tmp_path / "in"), wh, seeds=SEEDS)
    assert BASE_ROWS == {"it_services": 2, "tickets": 3, "ticket_events": 8, "calls": 3,
                         "submissions": 2, "publications": 2, "service_cards": 2,
                         "sc_projects": 1, "sc_milestones": 2}
    audit = {r[0]: r[1:] for r in q(wh, "SELECT contract, file_name, rows_read, rows_loaded, "
                                        "rows_rejected, status, length(sha256) "
                                        "FROM raw.load_audit")}
    assert audit == {c: (f"{c}.csv", n, n, 0, "loaded", 64) for c, n in BASE_ROWS.items()}
    for contract, n in BASE_ROWS.items():
        assert q(wh, f"SELECT count(*) FROM raw.{contract}") == [(n,)]
        assert q(wh, f"SELECT count(*) FROM raw.{contract}__rejected") == [(0,)]
    assert report.rows_read == report.rows_loaded == 25
    # typed values and load metadata
    assert q(wh, "SELECT priority, opened_at::VARCHAR, _source_file, _source_row "
                 "FROM raw.tickets WHERE ticket_id = 'T-3'") == \
        [(1, "2025-03-04 10:30:00", "tickets.csv", 3)]
    assert q(wh, "SELECT budget_pln, actual_end FROM raw.sc_projects") == [(1000000.5, None)]
    assert q(wh, "SELECT resolved_on_call FROM raw.calls ORDER BY call_id") == \
        [(True,), (None,), (False,)]


def test_rejects_keep_original_text_and_every_reason(tmp_path: Path, capsys) -> None:
    wh = tmp_path / "warehouse.duckdb"
    write_base(tmp_path / "in", only=("it_services",))
    (tmp_path / "in" / "tickets.csv").write_text(
        "ticket_id,opened_at,ticket_type,service_code,requester_unit,channel,priority,summary\n"
        "T-1,2025-03-03 08:10:00,incident,NET,GD,phone,3,OK\n"
        "T-2,2025-13-01,incident,NET,GD,phone,7,Zła data i priorytet\n"
        "T-3,2025-03-03 08:10,problem,NET,GD,fax,2,\n"
        "T-4,2025-03-03 08:10:00,incident,NET,GD,phone,4,\n", encoding="utf-8")
    load_directory(tmp_path / "in", wh, seeds=SEEDS)
    out = capsys.readouterr().out
    assert q(wh, "SELECT rows_read, rows_loaded, rows_rejected, status FROM raw.load_audit "
                 "WHERE file_name = 'tickets.csv'") == [(4, 2, 2, "loaded with rejects")]
    rejected = q(wh, "SELECT ticket_id, opened_at, priority, reject_reason, _source_row "
                     "FROM raw.tickets__rejected ORDER BY _source_row")
    assert rejected == [
        ("T-2", "2025-13-01", "7",
         "row 2: opened_at='2025-13-01' timestamp format; priority=7 not in 1..4", 2),
        ("T-3", "2025-03-03 08:10", "2",
         "row 3: ticket_type='problem' not in (incident|service_request); "
         "channel='fax' not in (phone|email|portal|walk_in|monitoring)", 3),
    ]
    assert q(wh, "SELECT ticket_id FROM raw.tickets ORDER BY 1") == [("T-1",), ("T-4",)]
    assert "tickets.csv row 2: opened_at='2025-13-01' timestamp format; priority=7 not in" in out
    assert "tickets.csv row 3: ticket_type='problem'" in out


def test_only_the_first_rejects_are_printed_and_the_rest_are_pointed_to(tmp_path: Path,
                                                                        capsys) -> None:
    wh = tmp_path / "warehouse.duckdb"
    src = tmp_path / "in"
    src.mkdir()
    rows = [f"C-{i},Q,2025-03-03 08:00:00,,2025-03-03 07:00:00,,,,,," for i in range(50)]
    (src / "calls.csv").write_text("\n".join([CALLS_HEADER, *rows]) + "\n", encoding="utf-8")
    report = load_directory(src, wh, seeds=SEEDS)
    out = capsys.readouterr().out
    assert report.file("calls.csv").rows_rejected == 50
    assert out.count("rejected: calls.csv row ") == 20
    assert "50 rejected rows in all" in out and "raw.calls__rejected" in out
    assert q(wh, "SELECT count(*) FROM raw.calls__rejected") == [(50,)]


def test_same_files_twice_add_nothing(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in")
    load_directory(src, wh, seeds=SEEDS)
    counts = {c: q(wh, f"SELECT count(*) FROM raw.{c}")[0][0] for c in CONTRACTS}
    second = load_directory(src, wh, seeds=SEEDS)
    assert {c: q(wh, f"SELECT count(*) FROM raw.{c}")[0][0] for c in CONTRACTS} == counts
    assert {f.status for f in second.files} == {"skipped: already loaded"}
    assert q(wh, "SELECT count(*), sum(rows_read), sum(rows_loaded) FROM raw.load_audit "
                 "WHERE status = 'skipped: already loaded'") == [(9, 0, 0)]
    assert q(wh, "SELECT sum(rows_loaded) FROM raw.load_audit") == [(25,)]


def test_newer_extract_with_overlapping_keys_updates_without_duplicates(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    load_directory(write_base(tmp_path / "v1"), wh, seeds=SEEDS)
    v2 = tmp_path / "v2"
    v2.mkdir()
    lines = BASE["calls"].splitlines()
    newer = [lines[0], lines[1].replace("Infolinia", "Infolinia ogólna"), lines[3],
             "C-4,Podatki,2025-03-04 08:00:00,,2025-03-04 08:00:02,,,,,,"]
    (v2 / "calls.csv").write_text("\n".join(newer) + "\n", encoding="utf-8")
    load_directory(v2, wh, seeds=SEEDS)
    assert q(wh, "SELECT call_id, queue FROM raw.calls ORDER BY call_id") == [
        ("C-1", "Infolinia ogólna"), ("C-2", "Infolinia"), ("C-3", "Podatki"),
        ("C-4", "Podatki")]
    assert q(wh, "SELECT count(*) = count(DISTINCT call_id) FROM raw.calls") == [(True,)]
    assert q(wh, "SELECT rows_read, rows_loaded FROM raw.load_audit "
                 "WHERE file_name = 'calls.csv' ORDER BY started_at") == [(3, 3), (3, 3)]


@pytest.mark.parametrize("encoding,newline,bom", [
    ("utf-8", "\n", False), ("utf-8", "\r\n", True), ("cp1250", "\r\n", False),
    ("cp1250", "\n", False)])
def test_encodings_keep_polish_letters(tmp_path: Path, encoding: str, newline: str,
                                       bom: bool) -> None:
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in", only=("it_services",))
    text = ("ticket_id,opened_at,ticket_type,service_code,requester_unit,channel,priority,"
            "summary\nT-1,2025-03-03 08:10:00,incident,NET,GD,phone,3,Zażółć gęślą jaźń\n"
            "T-2,2025-03-03 08:11:00,incident,NET,GD,phone,3,\"ŚWIĘTO, Łódź\"\n")
    data = text.replace("\n", newline).encode(encoding)
    (src / "tickets.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    report = load_directory(src, wh, seeds=SEEDS)
    assert q(wh, "SELECT summary FROM raw.tickets ORDER BY ticket_id") == [
        ("Zażółć gęślą jaźń",), ("ŚWIĘTO, Łódź",)]
    expected = {"utf-8": "utf-8-sig" if bom else "utf-8", "cp1250": "cp1250"}[encoding]
    assert report.file("tickets.csv").message.startswith(expected + ", ','-separated")


def test_parquet_loads_like_csv(tmp_path: Path) -> None:
    csv_wh, pq_wh = tmp_path / "csv" / "warehouse.duckdb", tmp_path / "pq" / "warehouse.duckdb"
    src = write_base(tmp_path / "in")
    load_directory(src, csv_wh, seeds=SEEDS)
    pq = tmp_path / "pq_in"
    pq.mkdir()
    con = connect_read_only(csv_wh)
    try:
        for name, contract in CONTRACTS.items():
            cols = ", ".join(f'"{c.stored_name}" AS "{c.name}"' for c in contract.columns)
            frame = con.sql(f"SELECT {cols} FROM raw.{name} ORDER BY _source_row").pl()
            if name == "calls":  # hashed numbers would be hashed again: use the originals
                frame = frame.with_columns(pl.Series("caller_number", list(CALLER_NUMBERS)))
            if name == "submissions":
                frame = frame.with_columns(pl.Series("submitter_email", list(EMAILS)))
            frame.write_parquet(pq / f"{name}.parquet")  # native types: Datetime, Int64, Bool
    finally:
        con.close()
    report = load_directory(pq, pq_wh, seeds=SEEDS)
    assert report.rows_loaded == 25 and report.rows_rejected == 0
    for name, contract in CONTRACTS.items():
        cols = ", ".join(f'"{c.stored_name}"' for c in contract.columns)
        sql = f"SELECT {cols} FROM raw.{name} ORDER BY ALL"
        assert q(pq_wh, sql) == q(csv_wh, sql), name


def test_absent_files_leave_empty_tables(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    load_directory(write_base(tmp_path / "in", only=("calls",)), wh, seeds=SEEDS)
    tables = {r[0] for r in q(wh, "SELECT table_name FROM information_schema.tables "
                                  "WHERE table_schema = 'raw'")}
    assert tables == set(CONTRACTS) | {f"{c}__rejected" for c in CONTRACTS} | {
        f"{c}__history" for c in CONTRACTS} | {
        f"{c}__pending" for c, contract in CONTRACTS.items() if contract.parent} | {
        "load_audit", "build_log", "public_holidays", "schema_version",
        "sc_projects__snapshots", "working_calendars"}
    for contract in CONTRACTS:
        expected = 3 if contract == "calls" else 0
        assert q(wh, f"SELECT count(*) FROM raw.{contract}") == [(expected,)]


def test_empty_directory_still_creates_the_raw_schema(tmp_path: Path, capsys) -> None:
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "in").mkdir()
    report = load_directory(tmp_path / "in", wh, seeds=SEEDS)
    assert report.files == []
    assert "no contract files found" in capsys.readouterr().out
    assert q(wh, "SELECT count(*) FROM raw.tickets") == [(0,)]


def _all_text(wh: Path) -> str:
    """Every value of every text column of every table, joined."""
    con = connect_read_only(wh)
    try:
        cols = con.execute("SELECT table_schema, table_name, column_name "
                           "FROM information_schema.columns WHERE data_type = 'VARCHAR'"
                           ).fetchall()
        parts = []
        for schema, table, column in cols:
            rows = con.execute(f'SELECT "{column}" FROM "{schema}"."{table}" '
                               f'WHERE "{column}" IS NOT NULL').fetchall()
            parts += [r[0] for r in rows]
        return "\n".join(parts)
    finally:
        con.close()


def test_pii_is_gone_from_every_table(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in")
    # a rejected row carrying a number and an e-mail: the rejects must not keep them either
    (src / "calls_bad.csv").write_text(
        CALLS_HEADER + "\nC-9,Q,2025-13-01 08:00:00,,2025-03-03 08:01:00,,+48 501 002 003,,,,\n",
        encoding="utf-8")
    load_directory(src, wh, seeds=SEEDS)
    assert q(wh, "SELECT count(*) FROM raw.calls__rejected") == [(1,)]
    text = _all_text(wh).lower()
    assert "c-9" in text  # the scan sees the rejects table
    for raw in [*CALLER_NUMBERS, "+48 501 002 003", "501002003", "600123456", "126165555",
                *EMAILS, "jan.kowalski@example.pl", "example.pl", "example.com"]:
        assert raw.lower() not in text, raw
    # a repeat caller stays recognisable: +48 600-123-456 and 600123456 are one caller
    hashes = q(wh, "SELECT call_id, caller_number_hash FROM raw.calls ORDER BY call_id")
    assert hashes[0][1] == hashes[1][1] == hmac_hex(b"test-key", "600123456")
    assert hashes[2][1] == hmac_hex(b"test-key", "126165555")
    assert len(hashes[0][1]) == 32
    assert q(wh, "SELECT caller_number_hash FROM raw.calls__rejected") == [
        (hmac_hex(b"test-key", "501002003"),)]
    assert q(wh, "SELECT submitter_email_hash FROM raw.submissions ORDER BY 1") == sorted(
        [(hmac_hex(b"test-key", "jan.kowalski@example.pl"),),
         (hmac_hex(b"test-key", "zofia@example.com"),)])


def test_rows_rejected_by_a_file_wide_rule_keep_only_the_hash(tmp_path: Path) -> None:
    """A duplicate key is found only once the whole file is checked (after the row rules):
    the earlier row goes to the rejects like any other, its number and e-mail hashed."""
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in")
    # C-7 twice: the first row is good on its own and loses only to the later row
    (src / "calls_dup.csv").write_text(
        CALLS_HEADER + "\n"
        "C-7,Infolinia,2025-03-05 08:00:00,,2025-03-05 08:01:00,,+48 511 222 333,,,,\n"
        "C-7,Infolinia,2025-03-05 08:00:00,,2025-03-05 08:01:00,,733-444-555,,,,\n",
        encoding="utf-8")
    header = ",".join(CONTRACTS["submissions"].column_names)
    (src / "submissions_dup.csv").write_text(
        header + "\n"
        "S-7,2025-03-05 10:00:00,portal,idea,waste,,Ewa.Nowak@Przyklad.PL,,,,,open,\n"
        "S-7,2025-03-05 10:00:00,portal,idea,waste,,piotr.zielinski@przyklad.org,,,,,open,\n",
        encoding="utf-8")
    load_directory(src, wh, seeds=SEEDS)
    calls = q(wh, "SELECT call_id, caller_number_hash, reject_reason, _source_row "
                  "FROM raw.calls__rejected")
    assert calls == [("C-7", hmac_hex(b"test-key", "511222333"),
                      "row 1: duplicate key in file (C-7 repeated in row 2, "
                      "the last one wins)", 1)]
    assert q(wh, "SELECT caller_number_hash FROM raw.calls WHERE call_id = 'C-7'") == [
        (hmac_hex(b"test-key", "733444555"),)]
    subs = q(wh, "SELECT submission_id, submitter_email_hash, reject_reason "
                 "FROM raw.submissions__rejected")
    assert [(s[0], s[1]) for s in subs] == [
        ("S-7", hmac_hex(b"test-key", "ewa.nowak@przyklad.pl"))]
    assert "duplicate key in file" in subs[0][2]
    text = _all_text(wh).lower()
    assert "c-7" in text and "s-7" in text  # the scan sees both rejects tables
    for clear in ("+48 511 222 333", "511 222 333", "511222333", "733-444-555", "733444555",
                  "ewa.nowak@przyklad.pl", "piotr.zielinski@przyklad.org", "przyklad"):
        assert clear not in text, clear


def test_one_number_in_every_prefix_style_has_one_hash(tmp_path: Path) -> None:
    """+48, 0048 and 48 before nine digits are the Polish prefix, and separators are not
    digits: five spellings of one number are one caller (one hash, the standard library's
    HMAC of its nine digits); a tenth digit makes another number."""
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in")
    spellings = ["+48 600 100 200", "0048 600 100 200", "48600100200", "600-100-200",
                 " 600100200 "]
    (src / "calls_prefix.csv").write_text(
        CALLS_HEADER + "\n" + "".join(
            f"P-{i},Infolinia,2025-03-05 08:00:00,,2025-03-05 08:01:00,,{n},,,,\n"
            for i, n in enumerate([*spellings, "6001002001"])), encoding="utf-8")
    load_directory(src, wh, seeds=SEEDS)
    hashes = dict(q(wh, "SELECT call_id, caller_number_hash FROM raw.calls "
                        "WHERE call_id LIKE 'P-%'"))
    one = hmac_hex(b"test-key", "600100200")
    assert [hashes[f"P-{i}"] for i in range(len(spellings))] == [one] * len(spellings)
    assert hashes[f"P-{len(spellings)}"] == hmac_hex(b"test-key", "6001002001")


def test_generated_key_file_beside_the_warehouse(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CITYOPS_PII_KEY")
    wh = tmp_path / "data" / "warehouse.duckdb"
    key = pii_key(wh)
    path = tmp_path / "data" / ".pii.key"
    assert path.exists() and len(key) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert pii_key(wh) == key  # stable
    assert pii_key(tmp_path / "other" / "warehouse.duckdb") != key  # random per location
    monkeypatch.setenv("CITYOPS_PII_KEY", "from-env")
    assert pii_key(wh) == b"from-env"


def test_cli_load_succeeds(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from warehouse.cli import main

    src = write_base(tmp_path / "in", only=("it_services", "service_cards"))
    # CLI path uses the real seeds: owner units IT-02-4 / IT-04-1 / WS must be known units
    wh = tmp_path / "warehouse.duckdb"
    result = CliRunner().invoke(main, ["load", str(src), "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    assert "it_services.csv" in result.output
    assert q(wh, "SELECT count(*) FROM raw.it_services") == [(2,)]


def _generator_ready() -> bool:
    try:
        from warehouse.generate import generate  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _generator_ready(), reason="warehouse.generate is not written yet")
def test_the_generated_sample_loads_without_rejects(sample_dir: Path, tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    report = load_directory(sample_dir, wh)
    assert report.files, "the sample has no contract files"
    assert {f.contract for f in report.files} == set(CONTRACTS)
    bad = {f.file_name: f.reject_reasons[:3] for f in report.files if f.rows_rejected}
    assert bad == {}
    for f in report.files:
        assert f.rows_read == f.rows_loaded > 0, f
    text = _all_text(wh)
    assert "@" not in text  # no e-mail survived anywhere


def test_quoted_line_breaks_and_quotes_inside_fields(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    src = write_base(tmp_path / "in", only=("it_services",))
    (src / "tickets.csv").write_text(
        "ticket_id,opened_at,ticket_type,service_code,requester_unit,channel,priority,summary\n"
        'T-1,2025-03-03 08:10:00,incident,NET,GD,phone,3,"Dwie linie:\ndruga, z ""cudzysłowem"""\n'
        "T-2,2025-03-03 08:11:00,incident,NET,GD,phone,9,\n"
        "T-3,2025-03-03 08:12:00,incident,NET\n", encoding="utf-8")
    report = load_directory(src, wh, seeds=SEEDS)
    assert q(wh, "SELECT summary FROM raw.tickets") == [('Dwie linie:\ndruga, z "cudzysłowem"',)]
    assert [r.split(":")[0] for r in report.file("tickets.csv").reject_reasons] == \
        ["row 2", "row 3"]
    assert "row 3: truncated line: 4 of 8 fields" in report.file("tickets.csv").reject_reasons[1]


def _raw_dump(wh: Path) -> dict[str, list[tuple]]:
    """Every raw table (load id aside), sorted, plus the audit numbers per file."""
    dump = {}
    for name in CONTRACTS:
        for table in (name, f"{name}__rejected"):
            dump[table] = q(wh, f"SELECT * EXCLUDE (_load_id) FROM raw.{table} ORDER BY ALL")
    dump["audit"] = q(wh, "SELECT file_name, rows_read, rows_loaded, rows_rejected, status, "
                          "message FROM raw.load_audit ORDER BY file_name")
    return dump


def test_a_file_bigger_than_a_batch_loads_as_in_one_piece(tmp_path: Path) -> None:
    src = write_base(tmp_path / "in", only=("it_services", "tickets"))
    calls = [CALLS_HEADER]
    for i in range(1, 401):
        offered = f"2025-03-05 08:{i % 60:02d}:00"
        queue = '"Podatki, opłaty\ndruga linia"' if i % 7 == 0 else "Infolinia"
        calls.append(f"C-{i % 150},{queue},{offered},,2025-03-05 09:00:00,,"
                     f"+48 600 100 {i % 1000:03d},,,,{'tak' if i % 5 else 'może'}")
    calls.insert(200, "")  # a blank line keeps its number
    (src / "calls.csv").write_text("\n".join(calls) + "\n", encoding="utf-8")
    events = ["ticket_id,event_at,event,group_code,priority,comment_chars",
              "T-1,2025-03-03 08:20:00,acknowledged,IT-02-3,3,0",
              "T-2,2025-03-03 09:05:00,resolved,IT-02-3,4,0"]  # before its 'opened', far below
    events += [f"T-3,2025-03-04 {11 + i // 60:02d}:{i % 60:02d}:00,escalated,IT-04-1,1,{i}"
               for i in range(120)]
    events += ["T-2,2025-03-03 09:10:00,opened,IT-02-3,4,0",
               "T-1,2025-03-03 08:20:00,acknowledged,IT-02-3,3,5"]  # same key as row 1
    (src / "ticket_events.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    small = 512
    assert (src / "calls.csv").stat().st_size > 40 * small
    assert (src / "ticket_events.csv").stat().st_size > 10 * small

    one = tmp_path / "one" / "warehouse.duckdb"
    many = tmp_path / "many" / "warehouse.duckdb"
    load_directory(src, one, seeds=SEEDS)
    report = load_directory(src, many, seeds=SEEDS, batch_bytes=small)
    assert _raw_dump(many) == _raw_dump(one)

    calls_result = report.file("calls.csv")
    assert (calls_result.rows_read, calls_result.rows_loaded, calls_result.rows_rejected) == \
        (400, 150 - 30, 400 - 120)
    assert q(many, "SELECT reject_reason FROM raw.calls__rejected WHERE _source_row = 1") == [
        ("row 1: duplicate key in file (C-1 repeated in row 302, the last one wins)",)]
    assert q(many, "SELECT reject_reason FROM raw.calls__rejected WHERE _source_row = 5") == [
        ("row 5: resolved_on_call='może' not a boolean (true/false/1/0/tak/nie); "
         "duplicate key in file (C-5 repeated in row 306, the last one wins)",)]
    assert q(many, "SELECT queue, _source_row FROM raw.calls WHERE call_id = 'C-1'") == [
        ("Podatki, opłaty\ndruga linia", 302)]  # record 301, numbered after the blank line
    assert q(many, "SELECT _source_row, reject_reason FROM raw.ticket_events__rejected "
                   "ORDER BY 1") == [
        (1, "row 1: duplicate key in file (T-1|2025-03-03 08:20:00.000000|acknowledged "
            "repeated in row 124, the last one wins)"),
        (2, "row 2: resolved at '2025-03-03 09:05:00' before the ticket's opened event at "
            "'2025-03-03 09:10:00'")]
    assert report.file("ticket_events.csv").rows_loaded == 122


def test_events_of_a_later_load_are_checked_against_the_tickets_and_events_in_raw(
        tmp_path: Path) -> None:
    """The ticket_events rules look up only the tickets of each batch (not the history):
    a ticket and its 'opened' event from an earlier load still count, batch by batch."""
    wh = tmp_path / "warehouse.duckdb"
    load_directory(write_base(tmp_path / "first"), wh, seeds=SEEDS)  # T-2 opened at 09:00
    later = tmp_path / "later"
    later.mkdir()
    rows = ["ticket_id,event_at,event,group_code,priority,comment_chars",
            "T-2,2025-03-03 08:59:00,resolved,IT-04-1,4,30",  # before T-2's opened in raw
            "T-404,2025-03-04 10:00:00,resolved,IT-02-3,3,30"]  # in no load
    rows += [f"T-2,2025-03-04 {10 + i // 60:02d}:{i % 60:02d}:00,escalated,IT-04-1,4,{i}"
             for i in range(60)]
    rows.append("T-1,2025-03-05 09:00:00,reopened,IT-02-3,3,25")  # T-1 from the first load
    (later / "ticket_events.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = load_directory(later, wh, seeds=SEEDS, batch_bytes=256)
    result = report.file("ticket_events.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected,
            result.rows_pending) == (63, 61, 1, 1)
    assert q(wh, "SELECT _source_row, reject_reason FROM raw.ticket_events__rejected "
                 "ORDER BY 1") == [
        (1, "row 1: event_at='2025-03-03 08:59:00' before its ticket opened_at="
            "'2025-03-03 09:00:00'; resolved at '2025-03-03 08:59:00' before the ticket's "
            "opened event at '2025-03-03 09:00:00'")]
    # T-404 is in no load yet: it waits for its ticket
    assert q(wh, "SELECT _source_row, pending_key, pending_reason "
                 "FROM raw.ticket_events__pending") == [
        (2, "T-404", "ticket_id='T-404' unknown ticket (not in tickets of this load nor "
                     "raw.tickets)")]
    assert q(wh, "SELECT count(*) FROM raw.ticket_events WHERE event = 'reopened'") == [(1,)]
