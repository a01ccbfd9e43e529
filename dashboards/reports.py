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

**Owners and the life cycle.** Each definition carries its ``owner`` and ``created_at`` /
``updated_at`` (UTC, the wall clock: app state, not a model). With single sign-on on the
owner is the signed-in user's e-mail (the OIDC ``sub`` when the provider sends no e-mail);
with it off, every report belongs to one shared owner, :data:`LOCAL_OWNER`. A report saved
before owners is :data:`LOCAL_OWNER`'s. Only the owner overwrites, renames or deletes a
report; anyone may duplicate it (``Kopia – NAME``, the copy theirs). Rename, delete and
duplicate are atomic and locked like a save. **Personal data:** the e-mail (or ``sub``)
of an owner is stored here and in ``pins.json`` (``{user: [report names]}``, the pins of
each signed-in user) — both app state files beside the warehouse, never in a warehouse
table — because the read-only rule and "my pins" need it; nothing else about the user
(no name, no tokens) is kept. A shared link or a pin names a report by its name, so a
renamed report's old links no longer open it (its pins follow the rename).

**Filters** are a list of :class:`Filter` (column, operator, values), ANDed; every value is a
bound parameter, never pasted into the SQL. Operators: ``in`` / ``not_in`` (values picked
from the column's distinct values, compared as text; ``not_in`` keeps the empty rows, "all
but these"), ``between`` (a date, timestamp or number column; either end may be open:
``""``; dates compare by day, both ends included), ``period`` (a relative period of a date
column, see :func:`period_range`), ``is_empty`` / ``is_not_empty`` (NULL or empty text). An
``in`` with nothing picked filters nothing. A definition saved before filters were a list
(``{"column": [values]}``) is read as ``in`` filters (migrated on read, kept when saved again).

**Relative periods** are taken from the build's ``as_of`` (``marts.build_info.as_of_date``),
never from the clock, so a saved "last quarter" moves with the data: ``last_month`` is the
newest month complete at as_of (as_of's own month when as_of is its last day, else the one
before), ``last_quarter`` the newest complete quarter likewise, ``last_12_months`` the twelve
months ending with ``last_month``, ``year_to_date`` 1 January of as_of's year to as_of. Each
can be shifted a year back (``year_ago``: "the same period last year"; 29 February → 28).

**Breakdowns** of a date or timestamp column may name a grain (``grains``: week — ISO, from
Monday —, month, quarter, year): the column is truncated (``date_trunc``) before grouping.
**Top N**: ``top_n`` keeps the N values of ``top_column`` (by default the first breakdown
that is not a date) with the largest first measure over the whole filter, and groups every
other row under ``other_label`` *before* aggregating, so sums and counts of the kept values
and "other" add up to the total, and an average of "other" is the average of its rows.
Rows are sorted by every breakdown in turn, text in Polish collation (DuckDB's built-in ICU:
``collate pl`` — ą after a, ł after l, ż last; it needs no extension download), empty values
and "other" last. The result stops at ``ROW_LIMIT`` rows (one more is fetched, so a cut is
known: :func:`report_truncated`).
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
from datetime import UTC, date, datetime, timedelta
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
MAX_NAME = 80
NAME_RE = re.compile(r"^[\w][\w .,()\-–—]{0,79}$")
REPORTS_FILE = "reports.json"
PINS_FILE = "pins.json"
LOCK_FILE = ".reports.lock"
OWNER_FIELD = "owner"
LOCAL_OWNER = "local"  # the one shared owner while single sign-on is off


class ReportError(ValueError):
    """A definition names something that is not there, or a name is not allowed.

    ``key`` (and ``params``) is the catalogue message the dashboards show; the message is
    for logs and the command line."""

    def __init__(self, message: str, key: str, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


FILTER_OPS = ("in", "not_in", "between", "period", "is_empty", "is_not_empty")
PERIODS = ("last_month", "last_quarter", "last_12_months", "year_to_date")
YEAR_AGO = "year_ago"
GRAINS = ("week", "month", "quarter", "year")
DATE_TYPES = ("DATE", "TIMESTAMP")
COLLATION = "pl"


@dataclass
class Filter:
    column: str
    op: str = "in"
    values: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any) -> Filter:
        return cls(column=str(data["column"]), op=str(data.get("op", "in")),
                   values=["" if v is None else str(v) for v in data.get("values", [])])


def _filters(data: Any) -> list[Filter]:
    """Filters of a definition in either shape: the list of today, or the {column: values}
    mapping saved before (each an ``in`` filter)."""
    if isinstance(data, dict):
        return [Filter(str(k), "in", [str(v) for v in vs]) for k, vs in data.items()]
    return [f if isinstance(f, Filter) else Filter.from_json(f) for f in data or []]


@dataclass
class ReportDefinition:
    name: str
    mart: str
    measures: list[tuple[str, str]]  # (column or "*", aggregation)
    breakdowns: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    chart: str = "bar"
    grains: dict[str, str] = field(default_factory=dict)  # date breakdown → week/month/…
    top_n: int | None = None
    top_column: str | None = None

    def __post_init__(self) -> None:
        self.filters = _filters(self.filters)  # an old {column: values} mapping too

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["measures"] = [list(m) for m in self.measures]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportDefinition:
        top_n = data.get("top_n")
        return cls(name=str(data["name"]), mart=str(data["mart"]),
                   measures=[(str(c), str(a)) for c, a in data.get("measures", [])],
                   breakdowns=[str(b) for b in data.get("breakdowns", [])],
                   filters=_filters(data.get("filters", [])),
                   chart=str(data.get("chart", "bar")),
                   grains={str(k): str(v) for k, v in (data.get("grains") or {}).items()},
                   top_n=None if top_n in (None, "", 0) else int(top_n),
                   top_column=None if data.get("top_column") is None
                   else str(data["top_column"]))


# ---------------------------------------------------------------- relative periods

def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def period_range(period: str, as_of: date, year_ago: bool = False) -> tuple[date, date]:
    """The first and last day of a relative period at ``as_of`` (see the module docstring)."""
    if period not in PERIODS:
        raise ReportError(f"Unknown period {period!r}", key=N_("report_unknown_period"),
                          period=period)
    complete = as_of.replace(day=1) if month_end(as_of) == as_of \
        else _add_months(as_of.replace(day=1), -1)  # the newest month complete at as_of
    if period == "last_month":
        first, last = complete, month_end(complete)
    elif period == "last_12_months":
        first, last = _add_months(complete, -11), month_end(complete)
    elif period == "last_quarter":
        end_month = _add_months(complete, -((complete.month - 3) % 3))  # Mar, Jun, Sep, Dec
        first, last = _add_months(end_month, -2), month_end(end_month)
    else:  # year_to_date
        first, last = as_of.replace(month=1, day=1), as_of
    if year_ago:
        first, last = _year_back(first), _year_back(last)
        if last.month == 2 and first.day == 1 and month_end(last) != last and \
                period != "year_to_date":
            last = month_end(last)  # a whole month stays whole
    return first, last


def as_of_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The build's as_of (marts.build_info), the date relative periods are taken at."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()}
    if "build_info" not in tables:
        return None
    rows = con.execute("select as_of_date from marts.build_info").fetchall()
    return rows[0][0] if rows else None


# ---------------------------------------------------------------- schema (the whitelist)

# what a build or a load stamps, not the work it measures: never offered in the builder
# (the SQL box's mart browser still lists them)
TECHNICAL_MARTS = frozenset({"build_info"})
TECHNICAL_COLUMNS = frozenset({"last_load_id"})


def is_technical(column: str) -> bool:
    """A load's or build's stamp (``_load_id``, ``_build_id``, ``last_load_id`` …)."""
    return column.startswith("_") or column in TECHNICAL_COLUMNS


def mart_schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """{mart: {column: type}} for every table in the marts schema the builder offers: not
    the build's own stamp (build_info) nor the technical columns of the others."""
    rows = con.execute("""
        select table_name, column_name, data_type
        from information_schema.columns
        where table_schema = 'marts'
        order by table_name, ordinal_position
    """).fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        if table not in TECHNICAL_MARTS and not is_technical(column):
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


def is_date(dtype: str) -> bool:
    return dtype.upper().startswith(DATE_TYPES)


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
    for column in [*defn.breakdowns, *(f.column for f in defn.filters), *defn.grains]:
        if column not in columns:
            raise _unknown_column(column, defn.mart)
    for f in defn.filters:
        if f.op not in FILTER_OPS:
            raise ReportError(f"Unknown filter operator {f.op!r}",
                              key=N_("report_unknown_operator"), op=f.op)
        ranged = is_date(columns[f.column]) or is_numeric(columns[f.column])
        if (f.op == "between" and not ranged) or (f.op == "period"
                                                  and not is_date(columns[f.column])):
            raise ReportError(f"Operator {f.op!r} needs a date or number column, not "
                              f"{f.column!r}", key=N_("report_operator_column"),
                              column=f.column)
    for column, grain in defn.grains.items():
        if grain not in GRAINS or not is_date(columns[column]):
            raise ReportError(f"Grain {grain!r} does not apply to {column!r}",
                              key=N_("report_unknown_grain"), column=column)
    if defn.top_n is not None:
        if defn.top_n < 1 or top_column(defn, schema) is None:
            raise ReportError("Top N needs N ≥ 1 and a breakdown that is not a date",
                              key=N_("report_top_n"))
    if defn.chart not in CHART_TYPES:
        raise ReportError(f"Unknown chart type {defn.chart!r}", key=N_("report_unknown_chart"),
                          chart=defn.chart)


def _unknown_column(column: str, mart: str) -> ReportError:
    return ReportError(f"Unknown column {column!r} in marts.{mart}",
                       key=N_("report_unknown_column"), column=column, mart=mart)


def measure_alias(column: str, agg: str) -> str:
    return f"{agg}__{'rows' if column == '*' else column}"


def top_column(defn: ReportDefinition, schema: dict[str, dict[str, str]]) -> str | None:
    """The breakdown top N ranks: ``top_column``, else the first that is not a date."""
    columns = schema[defn.mart]
    if defn.top_column is not None:
        return defn.top_column if defn.top_column in defn.breakdowns and \
            not is_date(columns[defn.top_column]) else None
    return next((b for b in defn.breakdowns if not is_date(columns[b])), None)


def _predicate(f: Filter, dtype: str, as_of: date | None) -> tuple[str | None, list[Any]]:
    """A filter's WHERE condition with ``?`` for each value, and the values."""
    col = _quote(f.column)
    text = f"cast({col} as varchar)"
    values = [v for v in f.values if v is not None]
    if f.op == "is_empty":
        return f"({col} is null or {text} = '')", []
    if f.op == "is_not_empty":
        return f"({col} is not null and {text} <> '')", []
    if f.op in ("in", "not_in"):
        if not values:
            return None, []
        marks = ", ".join("?" for _ in values)
        if f.op == "in":
            return f"{text} in ({marks})", values
        return f"({col} is null or {text} not in ({marks}))", values
    if f.op == "period":
        if as_of is None:
            raise ReportError("The build has no as_of (marts.build_info)",
                              key=N_("report_no_as_of"))
        first, last = period_range(values[0] if values else "", as_of,
                                   YEAR_AGO in values[1:])
        return f"cast({col} as date) between ? and ?", [first, last]
    # between: a date compares by day, a number as a number; an empty end is open
    low, high = (values + ["", ""])[:2]
    target, cast = (f"cast({col} as date)", "date") if is_date(dtype) else (col, "double")
    parts, params = [], []
    if low != "":
        parts.append(f"{target} >= cast(? as {cast})")
        params.append(low)
    if high != "":
        parts.append(f"{target} <= cast(? as {cast})")
        params.append(high)
    return (" and ".join(parts) or None), params


def build_sql(defn: ReportDefinition, schema: dict[str, dict[str, str]],
              as_of: date | None = None, other_label: str = "other"
              ) -> tuple[str, list[Any]]:
    """SELECT … GROUP BY … from whitelisted identifiers; every value a parameter.

    ``as_of`` (the build's) resolves relative periods; ``other_label`` names the rows top N
    groups together (a parameter too)."""
    validate(defn, schema)
    columns = schema[defn.mart]
    where: list[str] = []
    params: list[Any] = []
    for f in defn.filters:
        condition, values = _predicate(f, columns[f.column], as_of)
        if condition:
            where.append(condition)
            params.extend(values)
    base = f"select * from marts.{_quote(defn.mart)}"
    if where:
        base += " where " + " and ".join(where)
    ranked = top_column(defn, schema) if defn.top_n is not None else None
    measures = []
    for column, agg in defn.measures:
        target = "*" if column == "*" else _quote(column)
        measures.append(f"{AGGREGATIONS[agg]}({target})")
    select: list[str] = []
    for b in defn.breakdowns:
        col = _quote(b)
        if b in defn.grains:
            select.append(f"cast(date_trunc('{defn.grains[b]}', {col}) as date) as {col}")
        elif b == ranked:
            text = f"cast({col} as varchar)"
            select.append(
                f"case when {col} is null then null when {text} in (select v from top_values) "
                f"then {text} else ? end as {col}")
        else:
            select.append(col)
    select += [f"{m} as {_quote(measure_alias(c, a))}"
               for m, (c, a) in zip(measures, defn.measures, strict=True)]
    sql = f"with base as ({base})"
    if ranked:
        # ranked over the whole filter by the first measure; ties by value (stable)
        sql += (f", top_values as (select cast({_quote(ranked)} as varchar) as v from base "
                f"where {_quote(ranked)} is not null group by 1 "
                f"order by {measures[0]} desc nulls last, 1 limit {int(defn.top_n or 0)})")
        params.append(other_label)
    sql += f" select {', '.join(select)} from base"
    order: list[str] = []
    if defn.breakdowns:
        sql += " group by " + ", ".join(str(i + 1) for i in range(len(defn.breakdowns)))
        for b in defn.breakdowns:
            col = _quote(b)
            if b == ranked:
                order.append(f"({col} is not distinct from ?)")
                params.append(other_label)
            texty = b == ranked or (b not in defn.grains and not is_date(columns[b])
                                    and not is_numeric(columns[b])
                                    and columns[b].upper().startswith("VARCHAR"))
            order.append(f"{col} collate {COLLATION} nulls last" if texty
                         else f"{col} nulls last")
    sql = f"select * from ({sql}) as report"
    if order:
        sql += " order by " + ", ".join(order)
    sql += f" limit {ROW_LIMIT + 1}"
    return sql, params


def run_report(con: duckdb.DuckDBPyConnection, defn: ReportDefinition,
               other_label: str = "other") -> pl.DataFrame:
    """The report's rows (at most ``ROW_LIMIT`` + 1: one more says it was cut)."""
    sql, params = build_sql(defn, mart_schema(con), as_of_date(con), other_label)
    return con.sql(sql, params=params or None).pl()


def report_truncated(frame: pl.DataFrame) -> bool:
    return frame.height > ROW_LIMIT


def distinct_values(con: duckdb.DuckDBPyConnection, mart: str, column: str, limit: int = 2000,
                    search: str = "") -> list[str]:
    """Values offered in a filter (as text, Polish collation); ``search`` keeps those
    containing it (case-insensitive, a bound parameter); mart and column whitelisted."""
    schema = mart_schema(con)
    if mart not in schema or column not in schema[mart]:
        raise _unknown_column(column, mart)
    text = f"cast({_quote(column)} as varchar)"
    rows = con.execute(
        f"select distinct {text} from marts.{_quote(mart)} "
        f"where {_quote(column)} is not null and contains(lower({text}), lower(?)) "
        f"order by 1 collate {COLLATION} limit {int(limit)}", [search]
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


def _read(directory: Path, file: str) -> dict[str, Any]:
    path = directory / file
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _load_all(directory: Path) -> dict[str, dict[str, Any]]:
    return _read(directory, REPORTS_FILE)


def _write(directory: Path, file: str, data: dict[str, Any]) -> Path:
    """Replace ``file`` atomically (call under :func:`_locked`): a temporary file, fsynced,
    renamed over the old one."""
    path = directory / file
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


def list_reports(directory: Path) -> list[str]:
    return sorted(_load_all(directory))


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


def _entry(data: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    name = _key(name)
    if name not in data:
        raise ReportError(f"No saved report named {name!r}", key=N_("report_not_found"),
                          name=name)
    return data[name]


def current_name(directory: Path, name: str) -> str | None:
    """The report a link's ``name`` means today: the report of that name, else the one that
    had it before a rename (its newest holder), else None — so a shared link survives a
    rename, as a link by id would, while reading as the report's name."""
    data = _load_all(directory)
    name = _key(name)
    if name in data:
        return name
    return next((current for current, entry in sorted(
        data.items(), key=lambda item: item[1].get("updated_at") or "", reverse=True)
        if name in entry.get("former_names", [])), None)


def load_report(directory: Path, name: str) -> ReportDefinition:
    return ReportDefinition.from_json(_entry(_load_all(directory), name))


@dataclass(frozen=True)
class SavedReport:
    """A saved definition's life-cycle facts: who owns it, when it was made and changed."""

    name: str
    owner: str
    created_at: str | None  # ISO 8601, UTC; None for a report saved before owners
    updated_at: str | None

    def owned_by(self, owner: str) -> bool:
        return self.owner == owner


def _saved(name: str, entry: dict[str, Any]) -> SavedReport:
    return SavedReport(name=name, owner=str(entry.get(OWNER_FIELD) or LOCAL_OWNER),
                       created_at=entry.get("created_at"), updated_at=entry.get("updated_at"))


def report_info(directory: Path, name: str) -> SavedReport:
    name = _key(name)
    return _saved(name, _entry(_load_all(directory), name))


def saved_reports(directory: Path) -> list[SavedReport]:
    """Every saved report, by name."""
    return [_saved(name, entry) for name, entry in sorted(_load_all(directory).items())]


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the directory's exclusive save lock (released by the kernel on a kill)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _now() -> str:
    """The wall clock, UTC, to the second: app state, not a model (no as_of here)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _own(data: dict[str, dict[str, Any]], name: str, owner: str) -> dict[str, Any]:
    """The entry of ``name`` if ``owner`` owns it, else ReportError (read-only for others)."""
    entry = _entry(data, name)
    if _saved(name, entry).owner != owner:
        raise ReportError(f"Report {name!r} belongs to {entry.get(OWNER_FIELD)!r}",
                          key=N_("report_not_owner"), name=_key(name))
    return entry


def _free(data: dict[str, dict[str, Any]], name: str) -> None:
    if name in data:
        raise ReportError(f"A report named {name!r} exists", key=N_("report_name_taken"),
                          name=name)


def save_report(directory: Path, defn: ReportDefinition, owner: str = LOCAL_OWNER) -> Path:
    """Save (or replace) a definition by name: locked, then the file replaced atomically.

    A new name is ``owner``'s; an existing one is replaced only by its owner (its creation
    time kept)."""
    defn.name = check_name(defn.name)
    with _locked(directory):
        data = _load_all(directory)
        now = _now()
        kept: dict[str, Any] = {"created_at": now}
        if defn.name in data:  # a replaced report keeps its creation and its former names
            old = _own(data, defn.name, owner)
            kept = {"created_at": old.get("created_at") or now,
                    **({"former_names": old["former_names"]} if "former_names" in old else {})}
        data[defn.name] = {**defn.to_json(), OWNER_FIELD: owner, **kept, "updated_at": now}
        return _write(directory, REPORTS_FILE, data)


def rename_report(directory: Path, name: str, new_name: str, owner: str) -> str:
    """Rename ``owner``'s report (atomic, like a save); the new name is checked like a new
    one and must be free. Pins naming it follow it; links naming it keep working (the old
    name is kept in ``former_names``, :func:`current_name`). Returns the new name."""
    new_name = check_name(new_name)
    name = _key(name)
    with _locked(directory):
        data = _load_all(directory)
        entry = _own(data, name, owner)
        if new_name == name:
            return name
        _free(data, new_name)
        del data[name]
        former = [n for n in entry.get("former_names", []) if n != new_name]
        data[new_name] = {**entry, "name": new_name, "updated_at": _now(),
                          "former_names": [*former, name]}
        _write(directory, REPORTS_FILE, data)
        pins = _read(directory, PINS_FILE)
        if any(name in names for names in pins.values()):
            _write(directory, PINS_FILE, {user: [new_name if n == name else n for n in names]
                                          for user, names in pins.items()})
    return new_name


def delete_report(directory: Path, name: str, owner: str) -> None:
    """Delete ``owner``'s report (atomic, like a save); pins naming it go with it."""
    name = _key(name)
    with _locked(directory):
        data = _load_all(directory)
        _own(data, name, owner)
        del data[name]
        _write(directory, REPORTS_FILE, data)
        pins = _read(directory, PINS_FILE)
        if any(name in names for names in pins.values()):
            _write(directory, PINS_FILE, {user: [n for n in names if n != name]
                                          for user, names in pins.items()})


def copy_name(name: str, prefix: str, taken: set[str]) -> str:
    """``Kopia – NAME`` (``Kopia 2 – NAME`` … while taken), the name cut to fit 80 chars."""
    for n in range(1, 1000):
        head = f"{prefix} – " if n == 1 else f"{prefix} {n} – "
        candidate = (head + name[:MAX_NAME - len(head)]).strip()
        if candidate not in taken:
            return candidate
    raise ReportError("No free name for a copy", key=N_("report_name_taken"), name=name)


def duplicate_report(directory: Path, name: str, owner: str, prefix: str = "Kopia") -> str:
    """A copy of any report (another owner's too), owned by ``owner``, named by
    :func:`copy_name`; atomic, like a save. Returns the copy's name."""
    name = _key(name)
    with _locked(directory):
        data = _load_all(directory)
        entry = _entry(data, name)
        new_name = check_name(copy_name(name, prefix, set(data)))
        now = _now()
        copy = {k: v for k, v in entry.items() if k != "former_names"}  # old links: the original
        data[new_name] = {**copy, "name": new_name, OWNER_FIELD: owner, "created_at": now,
                          "updated_at": now}
        _write(directory, REPORTS_FILE, data)
    return new_name


def load_pins(directory: Path, user: str) -> list[str]:
    """The saved reports ``user`` pinned (single sign-on on: pins are kept per user)."""
    return [str(n) for n in _read(directory, PINS_FILE).get(user, [])]


def save_pins(directory: Path, user: str, names: list[str]) -> None:
    """Replace ``user``'s pins (atomic, like a save)."""
    with _locked(directory):
        pins = _read(directory, PINS_FILE)
        pins[user] = list(dict.fromkeys(_key(n) for n in names))
        _write(directory, PINS_FILE, pins)


def run_report_json(con: duckdb.DuckDBPyConnection, definition_json: str,
                    other_label: str = "other") -> pl.DataFrame:
    """run_report for a definition passed as JSON text (a hashable cache key)."""
    return run_report(con, ReportDefinition.from_json(json.loads(definition_json)),
                      other_label)


def distinct_months(con: duckdb.DuckDBPyConnection, mart: str, column: str) -> list[date]:
    """The months a date or timestamp column covers, oldest first (for "from"/"to")."""
    schema = mart_schema(con)
    if mart not in schema or column not in schema[mart]:
        raise _unknown_column(column, mart)
    rows = con.execute(
        f"select distinct cast(date_trunc('month', {_quote(column)}) as date) "
        f"from marts.{_quote(mart)} where {_quote(column)} is not null order by 1").fetchall()
    return [r[0] for r in rows]
