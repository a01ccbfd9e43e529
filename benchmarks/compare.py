"""Compare two builds table by table: ``python -m benchmarks.compare OLD NEW``.

For a refactoring the answer must be "no difference"; for a change of behaviour it shows
where the marts moved, so a commit message can explain every difference. Per table of the
compared schemas (default ``marts``): rows in each build, columns only one build has, and
rows only one build has over the common columns (``EXCEPT ALL`` both ways; DOUBLEs compared
rounded to ``--digits`` decimals, since DuckDB adds in no fixed order). The technical
columns a build or a load stamps (``_build_id``, ``_load_id``, ``_last_load_id``,
``last_load_id``) are left out unless named with ``--keep``. Exit 1 when anything differs.
Compare raw tables only between warehouses loaded with the same ``CITYOPS_PII_KEY``.

OLD and NEW are warehouse links or build files (opened read-only).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.store import current_file

STAMPED = ("_build_id", "_load_id", "_last_load_id", "last_load_id")


@dataclass
class TableDiff:
    name: str
    rows_old: int | None
    rows_new: int | None
    only_old_columns: list[str] = field(default_factory=list)
    only_new_columns: list[str] = field(default_factory=list)
    only_old_rows: int = 0
    only_new_rows: int = 0

    @property
    def same(self) -> bool:
        return (self.rows_old == self.rows_new and not self.only_old_columns
                and not self.only_new_columns and not self.only_old_rows
                and not self.only_new_rows)


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str
             ) -> dict[str, str]:
    return dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? "
        "order by ordinal_position", [db, schema, table]).fetchall())


def _tables(con: duckdb.DuckDBPyConnection, db: str, schema: str, views: bool = False
            ) -> set[str]:
    kinds = ("BASE TABLE", "VIEW") if views else ("BASE TABLE",)
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_schema = ? and table_type in (select unnest(?))",
        [db, schema, list(kinds)]).fetchall()}


def _select(db: str, schema: str, table: str, columns: list[str], types: dict[str, str],
            digits: int) -> str:
    exprs = [f'round("{c}", {digits})' if types[c] in ("DOUBLE", "FLOAT") else f'"{c}"'
             for c in columns]
    return f"select {', '.join(exprs)} from {db}.{schema}.{table}"


def compare(old: Path, new: Path, schemas: tuple[str, ...] = ("marts",), digits: int = 9,
            keep: tuple[str, ...] = (), views: bool = False) -> list[TableDiff]:
    """The tables of ``schemas`` in both builds, compared (``views``: the views too — a
    Spark build publishes as tables the staging and intermediate views of a DuckDB one)."""
    con = duckdb.connect()
    con.execute(f"attach '{current_file(Path(old)) or old}' as old (read_only)")
    con.execute(f"attach '{current_file(Path(new)) or new}' as new (read_only)")
    skipped = set(STAMPED) - set(keep)
    diffs = []
    for schema in schemas:
        tables_old = _tables(con, "old", schema, views)
        tables_new = _tables(con, "new", schema, views)
        for table in sorted(tables_old | tables_new):
            name = f"{schema}.{table}"
            in_old, in_new = table in tables_old, table in tables_new
            count = "select count(*) from {}.{}.{}"
            diff = TableDiff(
                name,
                con.execute(count.format("old", schema, table)).fetchone()[0] if in_old else None,
                con.execute(count.format("new", schema, table)).fetchone()[0] if in_new else None)
            if in_old and in_new:
                cols_old = _columns(con, "old", schema, table)
                cols_new = _columns(con, "new", schema, table)
                diff.only_old_columns = [c for c in cols_old if c not in cols_new]
                diff.only_new_columns = [c for c in cols_new if c not in cols_old]
                common = [c for c in cols_old if c in cols_new and c not in skipped]
                if common:
                    old_rows = _select("old", schema, table, common, cols_old, digits)
                    new_rows = _select("new", schema, table, common, cols_new, digits)
                    diff.only_old_rows = con.execute(
                        f"select count(*) from ({old_rows} except all {new_rows})").fetchone()[0]
                    diff.only_new_rows = con.execute(
                        f"select count(*) from ({new_rows} except all {old_rows})").fetchone()[0]
            diffs.append(diff)
    con.close()
    return diffs


def report(diffs: list[TableDiff]) -> str:
    lines = [f"{'table':45} {'rows old':>10} {'rows new':>10} {'only old':>9} {'only new':>9}"
             "  columns"]
    for d in diffs:
        cols = "; ".join(filter(None, [
            f"-{', '.join(d.only_old_columns)}" if d.only_old_columns else "",
            f"+{', '.join(d.only_new_columns)}" if d.only_new_columns else ""]))
        mark = "  " if d.same else "≠ "
        lines.append(f"{mark}{d.name:43} {d.rows_old if d.rows_old is not None else '—':>10} "
                     f"{d.rows_new if d.rows_new is not None else '—':>10} "
                     f"{d.only_old_rows:>9} {d.only_new_rows:>9}  {cols}")
    changed = [d.name for d in diffs if not d.same]
    lines.append(f"{len(diffs) - len(changed)} of {len(diffs)} tables identical"
                 + (f"; differ: {', '.join(changed)}" if changed else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--schema", action="append", dest="schemas",
                        help="schema to compare (repeatable; default: marts)")
    parser.add_argument("--digits", type=int, default=9,
                        help="decimals DOUBLEs are compared to (default 9)")
    parser.add_argument("--keep", action="append", default=[],
                        help=f"compare this stamped column too ({', '.join(STAMPED)})")
    args = parser.parse_args(argv)
    diffs = compare(args.old, args.new, tuple(args.schemas or ["marts"]), args.digits,
                    tuple(args.keep))
    print(report(diffs))
    return 0 if all(d.same for d in diffs) else 1


if __name__ == "__main__":
    sys.exit(main())
