"""Saved report definitions of the report builder (DK-05), and the SQL they run.

A definition names a mart, measures (column + aggregation), breakdowns, filters and a chart
type. SQL is built only from identifiers found in ``information_schema`` for the ``marts``
schema and from a fixed list of aggregations; filter values are always bound parameters.
Definitions are kept in one JSON file outside the warehouse (``CITYOPS_REPORTS_DIR``,
default ``<warehouse dir>/reports/``) so a rebuild keeps them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

AGGREGATIONS: dict[str, str] = {
    "sum": "sum", "avg": "avg", "min": "min", "max": "max", "count": "count",
    "median": "median",
}
CHART_TYPES = ("bar", "line", "none")
ROW_LIMIT = 10_000
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL")
NAME_RE = re.compile(r"^[\w][\w .,()\-–—]{0,79}$")
REPORTS_FILE = "reports.json"


class ReportError(ValueError):
    """A definition names something that is not there, or a name is not allowed."""


@dataclass
class ReportDefinition:
    name: str
    mart: str
    measures: list[tuple[str, str]]  # (column or "*", aggregation)
    breakdowns: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    chart: str = "bar"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["measures"] = [list(m) for m in self.measures]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportDefinition:
        return cls(name=str(data["name"]), mart=str(data["mart"]),
                   measures=[(str(c), str(a)) for c, a in data.get("measures", [])],
                   breakdowns=[str(b) for b in data.get("breakdowns", [])],
                   filters={str(k): [str(v) for v in vs]
                            for k, vs in data.get("filters", {}).items()},
                   chart=str(data.get("chart", "bar")))


# ---------------------------------------------------------------- schema (the whitelist)

def mart_schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """{mart: {column: type}} for every table in the marts schema."""
    rows = con.execute("""
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = 'marts'
        order by table_name, ordinal_position
    """).fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        schema.setdefault(table, {})[column] = dtype
    return schema


def is_numeric(dtype: str) -> bool:
    return dtype.upper().startswith(NUMERIC_TYPES) or dtype.upper().startswith("DECIMAL")


def measure_columns(columns: dict[str, str]) -> list[str]:
    """Columns that can be summed or averaged (numbers, not codes used as breakdowns)."""
    return [c for c, t in columns.items() if is_numeric(t) and not _is_code(c)]


def breakdown_columns(columns: dict[str, str]) -> list[str]:
    """Columns to group by: text, dates, booleans, small codes (priority, weekday …)."""
    return [c for c, t in columns.items()
            if not is_numeric(t) or _is_code(c)]


def _is_code(column: str) -> bool:
    return column in ("priority", "weekday", "hour", "district", "criticality")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def validate(defn: ReportDefinition, schema: dict[str, dict[str, str]]) -> None:
    if defn.mart not in schema:
        raise ReportError(f"Unknown mart {defn.mart!r}; available: {', '.join(sorted(schema))}")
    columns = schema[defn.mart]
    if not defn.measures:
        raise ReportError("Choose at least one measure.")
    for column, agg in defn.measures:
        if agg not in AGGREGATIONS:
            raise ReportError(f"Unknown aggregation {agg!r}")
        if column == "*" and agg == "count":
            continue
        if column not in columns:
            raise ReportError(f"Unknown column {column!r} in marts.{defn.mart}")
        if agg != "count" and not is_numeric(columns[column]):
            raise ReportError(f"Column {column!r} is not numeric: only 'count' applies")
    for column in [*defn.breakdowns, *defn.filters]:
        if column not in columns:
            raise ReportError(f"Unknown column {column!r} in marts.{defn.mart}")
    if defn.chart not in CHART_TYPES:
        raise ReportError(f"Unknown chart type {defn.chart!r}")


def measure_alias(column: str, agg: str) -> str:
    return f"{agg}__{'rows' if column == '*' else column}"


def build_sql(defn: ReportDefinition, schema: dict[str, dict[str, str]]
              ) -> tuple[str, list[Any]]:
    """SELECT … GROUP BY … from whitelisted identifiers; filter values as parameters."""
    validate(defn, schema)
    select: list[str] = [_quote(b) for b in defn.breakdowns]
    for column, agg in defn.measures:
        target = "*" if column == "*" else _quote(column)
        select.append(f"{AGGREGATIONS[agg]}({target}) as {_quote(measure_alias(column, agg))}")
    where: list[str] = []
    params: list[Any] = []
    for column, values in defn.filters.items():
        if not values:
            continue
        where.append(f"cast({_quote(column)} as varchar) in ({', '.join('?' for _ in values)})")
        params.extend(str(v) for v in values)
    sql = f"select {', '.join(select)} from marts.{_quote(defn.mart)}"
    if where:
        sql += " where " + " and ".join(where)
    if defn.breakdowns:
        order = ", ".join(str(i + 1) for i in range(len(defn.breakdowns)))
        sql += f" group by {order} order by {order}"
    sql += f" limit {ROW_LIMIT}"
    return sql, params


def run_report(con: duckdb.DuckDBPyConnection, defn: ReportDefinition) -> pl.DataFrame:
    sql, params = build_sql(defn, mart_schema(con))
    return con.sql(sql, params=params or None).pl()


def distinct_values(con: duckdb.DuckDBPyConnection, mart: str, column: str, limit: int = 300
                    ) -> list[str]:
    """Values offered in a filter (as text); mart and column must be in the whitelist."""
    schema = mart_schema(con)
    if mart not in schema or column not in schema[mart]:
        raise ReportError(f"Unknown column {column!r} in marts.{mart}")
    rows = con.execute(
        f"select distinct cast({_quote(column)} as varchar) from marts.{_quote(mart)} "
        f"where {_quote(column)} is not null order by 1 limit {int(limit)}"
    ).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- storage

def reports_dir(warehouse: Path) -> Path:
    env = os.environ.get("CITYOPS_REPORTS_DIR")
    return Path(env) if env else Path(warehouse).parent / "reports"


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise ReportError(
            "A report name is 1–80 letters, digits, spaces or . , ( ) - and starts with a "
            "letter or digit."
        )
    return name


def _load_all(directory: Path) -> dict[str, dict[str, Any]]:
    path = directory / REPORTS_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def list_reports(directory: Path) -> list[str]:
    return sorted(_load_all(directory))


def load_report(directory: Path, name: str) -> ReportDefinition:
    data = _load_all(directory)
    if name not in data:
        raise ReportError(f"No saved report named {name!r}")
    return ReportDefinition.from_json(data[name])


def save_report(directory: Path, defn: ReportDefinition) -> Path:
    """Save (or replace) a definition by name; the file is replaced atomically."""
    defn.name = check_name(defn.name)
    directory.mkdir(parents=True, exist_ok=True)
    data = _load_all(directory)
    data[defn.name] = defn.to_json()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".reports.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
    path = directory / REPORTS_FILE
    os.replace(tmp, path)
    return path


def run_report_json(con: duckdb.DuckDBPyConnection, definition_json: str) -> pl.DataFrame:
    """run_report for a definition passed as JSON text (a hashable cache key)."""
    return run_report(con, ReportDefinition.from_json(json.loads(definition_json)))
