"""Issue 12 § 3: faults leave nothing behind, and say what happened and the way back.

A disk that fills while the working copy is written, debris of an earlier crash, a current
build file DuckDB cannot open, a directory that cannot be written: each is removed or
named, with exit code 2 and no traceback; `cityops builds` lists the kept builds and
`cityops rollback` switches back to the last good one, refusing without --discard-loads
when that build lacks loads. The dashboards show the same message.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from warehouse import store
from warehouse.cli import main
from warehouse.store import (
    WarehouseError,
    builds_dir,
    current_file,
    kept_builds,
    rollback,
    writable_copy,
)


def _load(wh: Path, name: str, rows: int) -> Path:
    """A stand-in for a load: one raw.load_audit row per call, plus a mart."""
    with writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        con.execute("create schema if not exists raw; create schema if not exists marts")
        con.execute("create table if not exists raw.load_audit (load_id varchar, contract "
                    "varchar, file_name varchar, rows_loaded bigint)")
        con.execute("insert into raw.load_audit values (?, ?, ?, ?)",
                    [f"load-{name}", name, f"{name}.csv", rows])
        con.execute("create or replace table marts.build_info as select "
                    "timestamp '2026-10-31 23:00' as as_of_at")
        con.close()
    return current_file(wh)


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a DuckDB file\n" * 1000)


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


# ------------------------------------------------------------------ disk full
def test_disk_full_removes_the_partial_and_says_how_much_space(tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    first = _load(wh, "tickets", 10)

    def copy_until_full(src, dst):  # the disk fills half-way through the copy
        Path(dst).write_bytes(Path(src).read_bytes()[: 4096])
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(store.shutil, "copyfile", copy_until_full)
    with pytest.raises(WarehouseError) as info:
        _load(wh, "calls", 5)
    message = str(info.value)
    assert "No space left" in message and str(builds_dir(wh)) in message
    assert f"{first.stat().st_size / 1_000_000:,.0f} MB" in message  # what it needs
    assert "free now" in message
    assert list(builds_dir(wh).glob("*.partial*")) == []  # nothing left behind …
    assert current_file(wh) == first
    monkeypatch.undo()  # … so once there is space again, the retry works
    _load(wh, "calls", 5)
    assert len(kept_builds(wh)[0].loads) == 2


def test_disk_full_in_the_cli_is_exit_code_2(tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(store.shutil, "copyfile", full)
    result = CliRunner().invoke(main, ["build", "--warehouse", str(wh)])
    assert result.exit_code == 2, result.output
    assert "No space left" in result.output and "Traceback" not in result.output


def test_debris_of_an_earlier_crash_is_removed_before_the_copy(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    dead = _dead_pid()
    bdir = builds_dir(wh)
    partial = bdir / f"20260101T000000000000000-{dead}.partial.duckdb"
    partial.write_bytes(b"x" * 100_000)
    Path(str(partial) + ".wal").write_bytes(b"x")
    link = wh.with_name(f".{wh.name}.{dead}.tmp")
    os.symlink("nowhere", link)
    live = bdir / f"20260101T000000000000000-{os.getppid()}.partial.duckdb"
    live.write_bytes(b"another writer's copy")  # a live process's copy is not touched
    with writable_copy(wh):
        # cleaned at the start, before this run writes anything
        assert not partial.exists() and not Path(str(partial) + ".wal").exists()
        assert not link.is_symlink()
        assert live.exists()
    live.unlink()


# ------------------------------------------------------------------ unreadable, unwritable
@pytest.mark.parametrize("command", [["load", "{sample}"], ["build"], ["update", "{sample}"],
                                     ["check"]])
def test_corrupt_current_build_is_named_with_the_way_back(tmp_path, command):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    _corrupt(current_file(wh))
    sample = tmp_path / "sample"
    sample.mkdir()
    args = [a.format(sample=sample) for a in command] + ["--warehouse", str(wh)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert str(current_file(wh)) in result.output
    assert "cannot be opened" in result.output
    assert "cityops builds" in result.output and "cityops rollback" in result.output
    assert "Traceback" not in result.output


def test_export_of_a_corrupt_build_is_exit_code_2(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    _corrupt(current_file(wh))
    result = CliRunner().invoke(main, ["export", "build_info", "--warehouse", str(wh),
                                       "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    assert str(current_file(wh)) in result.output and "cityops rollback" in result.output


def test_unwritable_directory_is_named(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the warehouse directory should be")
    wh = blocker / "warehouse.duckdb"
    result = CliRunner().invoke(main, ["build", "--warehouse", str(wh)])
    assert result.exit_code == 2, result.output
    assert "cannot be written" in result.output and str(blocker) in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_read_only_directory_is_named(tmp_path):
    wh = tmp_path / "data" / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    builds_dir(wh).chmod(0o500)
    try:
        result = CliRunner().invoke(main, ["build", "--warehouse", str(wh)])
    finally:
        builds_dir(wh).chmod(0o700)
    assert result.exit_code == 2 and "cannot be written" in result.output


# ------------------------------------------------------------------ the way back
def test_builds_lists_the_kept_builds(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    second = _load(wh, "calls", 5)
    _corrupt(second)
    result = CliRunner().invoke(main, ["builds", "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"* {second.name}  cannot be opened")
    assert "as of 2026-10-31 23:00:00, 1 load(s), 1 file(s)" in lines[1]


def test_rollback_after_a_corrupt_build_needs_discard_loads(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    good = _load(wh, "tickets", 10)
    bad = _load(wh, "calls", 5)
    _corrupt(bad)
    runner = CliRunner()
    refused = runner.invoke(main, ["rollback", "--warehouse", str(wh)])
    assert refused.exit_code == 2, refused.output
    assert "cannot be read" in refused.output and "--discard-loads" in refused.output
    assert current_file(wh) == bad
    done = runner.invoke(main, ["rollback", "--warehouse", str(wh), "--discard-loads"])
    assert done.exit_code == 0, done.output
    assert current_file(wh) == good and good.name in done.output
    # the corrupt build is set aside: the next write copies the good one and works
    assert not bad.exists() and Path(str(bad) + ".abandoned").exists()
    _load(wh, "calls", 5)
    assert {f for _, _, f, _ in kept_builds(wh)[0].loads} == {"tickets.csv", "calls.csv"}


def test_rollback_refuses_to_drop_loads_and_names_them(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    first = _load(wh, "tickets", 10)
    _load(wh, "calls", 524)
    newest = _load(wh, "ticket_events", 60)
    with pytest.raises(WarehouseError) as info:
        rollback(wh, to=first.name)
    assert "calls.csv (524 rows)" in str(info.value)
    assert "ticket_events.csv (60 rows)" in str(info.value)
    assert current_file(wh) == newest
    done = rollback(wh, to=first.name, discard_loads=True)
    assert current_file(wh) == first
    assert sorted(f for _, _, f, _ in done.missing_loads) == ["calls.csv", "ticket_events.csv"]


def test_a_new_build_sorts_after_every_kept_one_whatever_the_clock(tmp_path, monkeypatch):
    """Builds are ordered by name. A stamp read from the clock twice (seconds, then
    nanoseconds) sorted a build made at x.999 s before the one made at x+1.001 s, and the
    rollback then found no older build; a clock set back must not do that either."""
    wh = tmp_path / "warehouse.duckdb"
    first = _load(wh, "tickets", 10)
    import time as real

    class SetBack:  # the clock now reads one hour earlier than when the first build was stamped
        ns = real.time_ns() - 3_600 * 1_000_000_000

        def time_ns(self):
            return self.ns

        def time(self):
            return self.ns / 1e9

        def localtime(self, secs=None):
            return real.localtime(self.time() if secs is None else secs)

        def strftime(self, fmt, t=None):
            return real.strftime(fmt, self.localtime() if t is None else t)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(store, "time", SetBack())
    second = _load(wh, "calls", 5)
    assert second.name > first.name
    assert [b.path for b in kept_builds(wh)][:2] == [second, first]
    assert rollback(wh, discard_loads=True).target == first


def test_rollback_by_default_takes_the_newest_good_older_build(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    middle = _load(wh, "calls", 5)
    with writable_copy(wh) as path:  # a build that changes marts only: no load lost
        con = duckdb.connect(str(path))
        con.execute("create or replace table marts.build_info as select "
                    "timestamp '2026-11-01 00:00' as as_of_at")
        con.close()
    assert rollback(wh).target == middle and current_file(wh) == middle


# ------------------------------------------------------------------ the dashboards
def test_dashboard_shows_the_same_message_for_a_corrupt_build(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    wh = tmp_path / "warehouse.duckdb"
    _load(wh, "tickets", 10)
    _corrupt(current_file(wh))
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(wh))
    monkeypatch.delenv("CITYOPS_AUTH", raising=False)
    app = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert str(current_file(wh)) in shown and "cityops rollback" in shown
    assert "Hurtowni nie można odczytać" in shown
