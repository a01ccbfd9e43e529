"""A warehouse saved by an earlier release is carried forward on first use: its raw layer
(the system of record) is migrated to the current schema with every row kept, and then
loads and builds like a new one. The fixture is the raw layer of a release-0.1 warehouse
(tests/fixtures/release_0_1, DuckDB's EXPORT DATABASE)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.build import build
from warehouse.load import load_directory
from warehouse.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from warehouse.store import current_file

RELEASE_0_1 = Path(__file__).resolve().parent / "fixtures" / "release_0_1"


def _schema(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("select table_name, column_name, data_type from information_schema.columns "
                       "where table_schema = 'raw' order by table_name, ordinal_position"
                       ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                        "where table_schema = 'raw'").fetchall()]
    return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


@pytest.fixture()
def old_warehouse(tmp_path) -> Path:
    """A plain build file as release 0.1 left it, under the warehouse's name."""
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.execute(f"import database '{RELEASE_0_1}'")
    con.close()
    return wh


def test_a_new_file_gets_the_current_schema_and_version(tmp_path):
    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    assert schema_version(con) is None
    assert migrate(con) == []
    assert schema_version(con) == SCHEMA_VERSION
    assert migrate(con) == []  # idempotent


def test_release_0_1_is_migrated_to_the_current_schema_keeping_every_row(old_warehouse,
                                                                          tmp_path):
    con = duckdb.connect(str(old_warehouse))
    before = _counts(con)
    assert schema_version(con) == 1
    assert before["calls"] > 1000 and before["calls__rejected"] == 1
    steps = migrate(con)
    assert len(steps) == len(MIGRATIONS)
    migrated, after = _schema(con), _counts(con)
    # version 6: every portfolio version raw held is kept as a snapshot, known when loaded
    snapshots = con.execute(
        "select count(*), count(*) filter (where _snapshot_at <= _extracted_at) "
        "from raw.sc_projects__snapshots").fetchone()
    assert snapshots == (before["sc_projects"], before["sc_projects"]) != (0, 0)
    versions = con.execute("select version from raw.schema_version order by 1").fetchall()
    con.close()
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    migrate(fresh)
    # a contract change without its migration leaves the old file behind the new one
    assert migrated == _schema(fresh)
    assert {t: n for t, n in after.items() if t in before} == before
    assert [v for (v,) in versions] == [1, *sorted(MIGRATIONS)]


def test_a_newer_warehouse_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "future.duckdb"))
    migrate(con)
    con.execute("insert into raw.schema_version values (?, 'from the future', localtimestamp)",
                [SCHEMA_VERSION + 1])
    with pytest.raises(RuntimeError, match="newer than this release"):
        migrate(con)


def test_release_0_1_warehouse_loads_and_builds(old_warehouse, sample_dir, tmp_path):
    """First use of an old warehouse by this release: a build migrates it (in the copy it
    swaps in) and builds every mart from the kept raw rows; a load then adds to it."""
    with duckdb.connect(str(old_warehouse), read_only=True) as con:
        tickets = con.execute("select count(*) from raw.tickets").fetchone()[0]
    build(old_warehouse, docs=False)
    built = current_file(old_warehouse)
    assert built != old_warehouse  # swapped in as a new build file
    with duckdb.connect(str(built), read_only=True) as con:
        assert schema_version(con) == SCHEMA_VERSION
        assert con.execute("select count(*) from marts.incident_sla").fetchone()[0] == tickets
    src = tmp_path / "more"
    src.mkdir()
    (src / "calls.csv").write_bytes((sample_dir / "calls.csv").read_bytes())
    report = load_directory(src, old_warehouse)
    assert report.files[0].rows_loaded > 0
