"""The warehouse link, its atomic swap and the single-writer lock (warehouse/store.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.store import builds_dir, current_file, writable_copy


def _write(warehouse: Path, value: int) -> None:
    with writable_copy(warehouse) as path:
        con = duckdb.connect(str(path))
        con.execute("create table if not exists t (v int)")
        con.execute("insert into t values (?)", [value])
        con.close()


def _values(warehouse: Path) -> list[int]:
    con = duckdb.connect(str(current_file(warehouse)), read_only=True)
    try:
        return sorted(v for (v,) in con.execute("select v from t").fetchall())
    finally:
        con.close()


def test_each_write_is_a_new_file_and_the_link_moves(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    assert current_file(wh) is None
    _write(wh, 1)
    first = current_file(wh)
    _write(wh, 2)
    second = current_file(wh)
    assert wh.is_symlink() and first != second and second.parent == builds_dir(wh)
    assert _values(wh) == [1, 2]


def test_failed_write_leaves_the_served_build_unchanged(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _write(wh, 1)
    before = current_file(wh)
    with pytest.raises(RuntimeError), writable_copy(wh) as path:
        con = duckdb.connect(str(path))
        con.execute("insert into t values (99)")
        con.close()
        raise RuntimeError("build failed half-way")
    assert current_file(wh) == before
    assert _values(wh) == [1]
    assert not list(builds_dir(wh).glob("*.partial*"))


def test_concurrent_writers_lose_nothing(tmp_path):
    """Two writers at once: the lock serialises them, so both inserts survive."""
    wh = tmp_path / "warehouse.duckdb"
    _write(wh, 0)
    entered = threading.Event()

    def slow_writer() -> None:
        with writable_copy(wh) as path:
            entered.set()
            time.sleep(0.5)
            con = duckdb.connect(str(path))
            con.execute("insert into t values (1)")
            con.close()

    th = threading.Thread(target=slow_writer)
    th.start()
    entered.wait(5)
    _write(wh, 2)  # blocks until the slow writer has swapped its build in
    th.join()
    assert _values(wh) == [0, 1, 2]
