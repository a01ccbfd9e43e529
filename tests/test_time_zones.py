"""Time zones (issue 12 § 2): CSV accepts ISO 8601 with 'Z' or an offset, a
time-zone-aware Parquet timestamp is an instant too, and both are converted to Europe/Warsaw
wall-clock time (not relabelled), sub-seconds kept the same way in both; a naive value is
taken as Warsaw wall-clock time, as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from warehouse.contracts import CONTRACTS
from warehouse.load import load_directory
from warehouse.loading.samples import SEEDS
from warehouse.store import connect_read_only

HEADER = ",".join(CONTRACTS["calls"].column_names)
ROW = "{id},Infolinia,{at},,{at},,,,,,"


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")


def _offered(wh: Path) -> list[tuple]:
    con = connect_read_only(wh)
    try:
        return con.execute("SELECT call_id, strftime(offered_at, '%Y-%m-%d %H:%M:%S.%f') "
                           "FROM raw.calls ORDER BY call_id").fetchall()
    finally:
        con.close()


CASES = [  # written in the file → Warsaw wall clock (CET +01 in winter, CEST +02 in summer)
    ("2025-03-03T08:00:00Z", "2025-03-03 09:00:00.000000"),
    ("2025-07-03T08:00:00Z", "2025-07-03 10:00:00.000000"),
    ("2025-07-03 08:00:00.123456+02:00", "2025-07-03 08:00:00.123456"),
    ("2025-03-03T08:00+0530", "2025-03-03 03:30:00.000000"),
    ("2025-03-03 08:00:00.5-05", "2025-03-03 14:00:00.500000"),
    ("2025-03-30T01:30:00Z", "2025-03-30 03:30:00.000000"),  # the spring-forward night
    ("2025-03-03 08:00:00.25", "2025-03-03 08:00:00.250000"),  # naive: Warsaw already
]


def test_csv_instants_are_converted_to_warsaw_wall_clock_time(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [ROW.format(id=f"C-{i}", at=at) for i, (at, _) in enumerate(CASES)]
    (src / "calls.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    report = load_directory(src, wh, seeds=SEEDS)
    assert report.rows_rejected == 0, report.file("calls.csv").reject_reasons
    assert _offered(wh) == [(f"C-{i}", want) for i, (_, want) in enumerate(CASES)]


@pytest.mark.parametrize("value", ["2025-03-03T08:00:00+25:00", "2025-03-03T08:00:00+01:75",
                                   "2025-03-03T08:00:00 Z", "2025-03-03T08:00:60Z"])
def test_an_impossible_offset_or_time_is_refused(value: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "calls.csv").write_text(f"{HEADER}\n{ROW.format(id='C-1', at=value)}\n",
                                   encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    report = load_directory(src, wh, seeds=SEEDS)
    assert report.file("calls.csv").reject_reasons[0].startswith(
        f"row 1: offered_at='{value}' timestamp format")


def test_a_time_zone_aware_parquet_instant_equals_the_same_instant_in_csv(
        tmp_path: Path) -> None:
    instants = [datetime(2025, 3, 3, 8, 0, 0, 123456, tzinfo=UTC),
                datetime(2025, 7, 3, 8, 0, tzinfo=UTC)]
    csv_in, pq_in = tmp_path / "csv", tmp_path / "pq"
    csv_in.mkdir()
    pq_in.mkdir()
    rows = [ROW.format(id=f"C-{i}", at=at.isoformat().replace("+00:00", "Z"))
            for i, at in enumerate(instants)]
    (csv_in / "calls.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    frame = pl.DataFrame({c: [None, None] for c in CONTRACTS["calls"].column_names},
                         schema={c: pl.String for c in CONTRACTS["calls"].column_names})
    stamps = pl.Series(instants, dtype=pl.Datetime("us", "UTC"))
    frame = frame.with_columns(call_id=pl.Series(["C-0", "C-1"]),
                               queue=pl.lit("Infolinia"), offered_at=stamps, ended_at=stamps)
    frame.write_parquet(pq_in / "calls.parquet")
    csv_wh, pq_wh = tmp_path / "c.duckdb", tmp_path / "p.duckdb"
    load_directory(csv_in, csv_wh, seeds=SEEDS)
    load_directory(pq_in, pq_wh, seeds=SEEDS)
    want = [("C-0", "2025-03-03 09:00:00.123456"), ("C-1", "2025-07-03 10:00:00.000000")]
    assert _offered(csv_wh) == want
    assert _offered(pq_wh) == want
