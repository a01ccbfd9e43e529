"""Saved report definitions of the report builder (DK-05), and the SQL they run.

A definition names a mart, measures (column + aggregation), breakdowns, filters and a chart
type. SQL is built only from identifiers found in ``information_schema`` for the ``marts``
schema and from a fixed list of aggregations; filter values are always bound parameters.
Definitions are kept in one JSON file outside the warehouse (``CITYOPS_REPORTS_DIR``,
default ``<warehouse dir>/reports/``) so a rebuild keeps them.

A save is atomic and isolated across threads and processes: the read-modify-write of the
file runs under an exclusive ``flock`` of ``.reports.lock`` in the same directory (one
open file description per save, so threads of one process exclude each other too), and
the new file is written to a temporary name, fsynced and renamed over the old one —
a reader sees the old file or the new one, never half of one, and no save is lost
(400 saves from four threads used to leave 112–133 definitions). A name is NFC, 1–80
letters, digits, spaces or ``. , ( ) - – —``, and its letters are of one script: a name
mixing Latin with Cyrillic or Greek look-alikes (``Rаport`` with a Cyrillic ``а``) is
refused, as are invisible and control characters.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboards.i18n import N_

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
LOCK_FILE = ".reports.lock"


class ReportError(ValueError):
    """A definition names something that is not there, or a name is not allowed.

    ``key`` (and ``params``) is the catalogue message the dashboards show; the message is
    for logs and the command line."""

    def __init__(self, message: str, key: str, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


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
        raise ReportError(f"Unknown mart {defn.mart!r}; available: {', '.join(sorted(schema))}",
                          key=N_("report_unknown_mart"), mart=defn.mart)
    columns = schema[defn.mart]
    if not defn.measures:
        raise ReportError("Choose at least one measure.", key=N_("report_no_measure"))
    for column, agg in defn.measures:
        if agg not in AGGREGATIONS:
            raise ReportError(f"Unknown aggregation {agg!r}", key=N_("report_unknown_aggregation"),
                              aggregation=agg)
        if column == "*" and agg == "count":
            continue
        if column not in columns:
            raise _unknown_column(column, defn.mart)
        if agg != "count" and not is_numeric(columns[column]):
            raise ReportError(f"Column {column!r} is not numeric: only 'count' applies",
                              key=N_("report_not_numeric"), column=column)
    for column in [*defn.breakdowns, *defn.filters]:
        if column not in columns:
            raise _unknown_column(column, defn.mart)
    if defn.chart not in CHART_TYPES:
        raise ReportError(f"Unknown chart type {defn.chart!r}", key=N_("report_unknown_chart"),
                          chart=defn.chart)


def _unknown_column(column: str, mart: str) -> ReportError:
    return ReportError(f"Unknown column {column!r} in marts.{mart}",
                       key=N_("report_unknown_column"), column=column, mart=mart)


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
        raise _unknown_column(column, mart)
    rows = con.execute(
        f"select distinct cast({_quote(column)} as varchar) from marts.{_quote(mart)} "
        f"where {_quote(column)} is not null order by 1 limit {int(limit)}"
    ).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- storage

def reports_dir(warehouse: Path) -> Path:
    env = os.environ.get("CITYOPS_REPORTS_DIR")
    return Path(env) if env else Path(warehouse).parent / "reports"


def _script(char: str) -> str | None:
    """The script of a letter (``LATIN``, ``CYRILLIC``, ``GREEK`` …), None for others."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def check_name(name: str) -> str:
    """The name as saved (NFC, trimmed), or ReportError saying what is wrong with it."""
    name = unicodedata.normalize("NFC", name).strip()
    if not NAME_RE.match(name) or any(unicodedata.category(c)[0] in "CM" for c in name):
        raise ReportError(
            "A report name is 1–80 letters, digits, spaces or . , ( ) - and starts with a "
            "letter or digit.", key=N_("report_name_invalid"))
    scripts = sorted({s for s in map(_script, name) if s})
    if len(scripts) > 1:
        raise ReportError(
            f"A report name mixes scripts ({', '.join(scripts)}): letters that look alike "
            "could pass for another report's name.",
            key=N_("report_name_mixed_scripts"), scripts=", ".join(scripts))
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
    name = unicodedata.normalize("NFC", name).strip()
    if name not in data:
        raise ReportError(f"No saved report named {name!r}", key=N_("report_not_found"),
                          name=name)
    return ReportDefinition.from_json(data[name])


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the directory's exclusive save lock (released by the kernel on a kill)."""
    with open(directory / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def save_report(directory: Path, defn: ReportDefinition) -> Path:
    """Save (or replace) a definition by name: locked, then the file replaced atomically."""
    defn.name = check_name(defn.name)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REPORTS_FILE
    with _locked(directory):
        data = _load_all(directory)
        data[defn.name] = defn.to_json()
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".reports.", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def run_report_json(con: duckdb.DuckDBPyConnection, definition_json: str) -> pl.DataFrame:
    """run_report for a definition passed as JSON text (a hashable cache key)."""
    return run_report(con, ReportDefinition.from_json(json.loads(definition_json)))
