"""Implausible values never steer the warehouse (issue 12 § 2): a moment before its
contract's floor, or an event after the load time plus a day, is rejected naming the
column — for every moment column of every contract, judged against fixed bounds only —
seconds past 59 are refused, not rolled over, and the default as_of is never the clock."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import query as q

from warehouse.build import BuildFailed, build
from warehouse.build.as_of import default_as_of
from warehouse.contracts import CONTRACTS
from warehouse.load import load_directory
from warehouse.loading.samples import BASE, SEEDS, write_base
from warehouse.store import connect_read_only


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")



def _with_value(contract: str, column: str, value: str) -> str:
    """The base extract of ``contract`` with ``column`` of its first row set to ``value``."""
    rows = list(csv.reader(io.StringIO(BASE[contract])))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


MOMENTS = [(c.name, col.name, col.type, col.moment) for c in CONTRACTS.values()
           for col in c.columns if col.type in ("timestamp", "date")]


def _reject_of(tmp_path: Path, contract: str, column: str, value: str) -> list[tuple]:
    src = write_base(tmp_path / "in")
    (src / f"{contract}.csv").write_text(_with_value(contract, column, value), encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    load_directory(src, wh, seeds=SEEDS)
    return q(wh, f"SELECT _source_row, reject_reason FROM raw.{contract}__rejected")


@pytest.mark.parametrize(("contract", "column", "kind", "moment"), MOMENTS,
                         ids=[f"{c}.{n}" for c, n, _, _ in MOMENTS])
def test_a_moment_before_the_floor_is_rejected_naming_the_column(
        contract: str, column: str, kind: str, moment: str, tmp_path: Path) -> None:
    value = "1999-12-31 23:59:00" if kind == "timestamp" else "1999-12-31"
    rejects = dict(_reject_of(tmp_path, contract, column, value))
    assert f"{column}='{value}' before 2000-01-01 (implausible: the floor of {contract})" \
        in rejects[1]


EVENTS = [m for m in MOMENTS if m[3] == "event"]


@pytest.mark.parametrize(("contract", "column", "kind", "moment"), EVENTS,
                         ids=[f"{c}.{n}" for c, n, _, _ in EVENTS])
def test_an_event_after_the_load_time_plus_a_day_is_rejected_naming_the_column(
        contract: str, column: str, kind: str, moment: str, tmp_path: Path) -> None:
    value = "2099-10-27 10:00:00" if kind == "timestamp" else "2099-10-27"
    rejects = dict(_reject_of(tmp_path, contract, column, value))
    assert f"{column}='{value}' after the load time plus a day (" in rejects[1]


def test_an_event_two_days_ahead_is_rejected_and_one_12_hours_ahead_is_not(
        tmp_path: Path) -> None:
    """The limit is the load time plus one day, not some later one: an event planted two
    days after now is rejected, one twelve hours after now is not (for that reason)."""
    from datetime import datetime, timedelta

    contract, column, _, _ = next(m for m in EVENTS if m[2] == "timestamp")
    now = datetime.now()
    late = (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    rejects = dict(_reject_of(tmp_path / "late", contract, column, late))
    assert f"{column}='{late}' after the load time plus a day (" in rejects.get(1, ""), rejects
    soon = (now + timedelta(hours=12)).strftime("%Y-%m-%d %H:%M:%S")
    rejects = dict(_reject_of(tmp_path / "soon", contract, column, soon))
    assert not any("after the load time" in r for r in rejects.values()), rejects


def test_plans_may_lie_in_the_future(tmp_path: Path) -> None:
    assert _reject_of(tmp_path, "sc_milestones", "due_on", "2099-10-27") == []


def test_a_card_reviewed_in_2099_does_not_move_the_default_as_of(tmp_path: Path) -> None:
    src = write_base(tmp_path / "in")
    (src / "service_cards.csv").write_text(
        _with_value("service_cards", "last_reviewed_at", "2099-10-27 10:00:00"),
        encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    load_directory(src, wh, seeds=SEEDS)
    con = connect_read_only(wh)
    try:
        assert default_as_of(con) == "2025-03-05 10:00:00"  # S-1 closed (base load)
    finally:
        con.close()


@pytest.mark.parametrize("value", ["2025-03-03 08:00:60", "2025-03-03T08:00:60.5",
                                   "2025-03-03 24:00:00", "2025-02-29 08:00:00"])
def test_a_time_past_its_range_is_refused_not_rolled_over(value: str, tmp_path: Path) -> None:
    rejects = _reject_of(tmp_path, "calls", "offered_at", value)
    assert rejects == [(1, f"row 1: offered_at='{value}' timestamp format")]


def test_a_warehouse_without_dated_rows_asks_for_as_of_instead_of_the_clock(
        tmp_path: Path) -> None:
    src = write_base(tmp_path / "in", only=("it_services",))  # a catalogue: no event
    wh = tmp_path / "wh.duckdb"
    load_directory(src, wh, seeds=SEEDS)
    with pytest.raises(BuildFailed, match="never taken from the clock.*--as-of"):
        build(wh, docs=False)
