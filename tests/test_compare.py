"""`benchmarks.compare`: the table-by-table comparison used to prove a refactoring changes
no mart (and to show where a change of behaviour moves them)."""

from __future__ import annotations

import duckdb

from benchmarks.compare import compare, report


def _db(path, rows, extra_column=False):
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.t (k integer, v double, _build_id varchar"
                + (", w integer" if extra_column else "") + ")")
    for k, v, b in rows:
        con.execute("insert into marts.t (k, v, _build_id) values (?, ?, ?)", [k, v, b])
    con.execute("create table marts.same as select 1 as x")
    con.close()
    return path


def test_identical_builds_differ_in_nothing_but_their_stamps(tmp_path):
    old = _db(tmp_path / "a.duckdb", [(1, 0.1 + 0.2, "build-a"), (2, 1.0, "build-a")])
    new = _db(tmp_path / "b.duckdb", [(2, 1.0, "build-b"), (1, 0.3, "build-b")])
    diffs = compare(old, new)
    assert all(d.same for d in diffs), report(diffs)


def test_a_changed_row_and_a_new_column_are_reported(tmp_path):
    old = _db(tmp_path / "a.duckdb", [(1, 1.0, "x"), (2, 2.0, "x")])
    new = _db(tmp_path / "b.duckdb", [(1, 1.0, "x"), (2, 2.5, "x"), (3, 3.0, "x")],
              extra_column=True)
    (t, same) = sorted(compare(old, new), key=lambda d: d.name, reverse=True)
    assert same.same and not t.same
    assert (t.rows_old, t.rows_new, t.only_old_rows, t.only_new_rows) == (2, 3, 1, 2)
    assert t.only_new_columns == ["w"] and t.only_old_columns == []
    assert "1 of 2 tables identical; differ: marts.t" in report([t, same])
