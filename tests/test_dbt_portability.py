"""Engine-specific SQL lives behind ``adapter.dispatch``, so the models stay portable.

The warehouse builds on DuckDB today and is to build on Apache Spark 4 (dbt-spark) too.
Every construct that is not valid Spark SQL 4.0 — or is valid but means something else
there — sits in a macro of ``dbt/macros/engine/`` called through ``adapter.dispatch``: its
``duckdb__`` body holds the DuckDB SQL, its ``default__`` body stops compilation naming the
macro and the adapter. Models, singular tests and generic tests call only the macros
(dbt/DECISIONS.md § 16).

This module scans ``dbt/models/**/*.sql`` and ``dbt/tests/**/*.sql`` (plus the SQL
expressions of the data tests in the models' YAML) and fails naming the file, the line
and the construct when one of :data:`DUCKDB_ONLY` appears there; in ``dbt/macros/`` such a
construct may appear only inside a ``duckdb__`` body. It reads the SQL a file can emit:
Jinja comments, SQL comments and Jinja code (macro names, filters, ``range()`` of a loop)
are blanked; the string literals inside Jinja tags are kept, since they are SQL handed to
macros (``pct('x', 'epoch_ms(a)')`` is caught).

:data:`DUCKDB_ONLY` is the audited list (each with the reason and the macro that replaces
it); :data:`PORTABLE` lists the constructs of the audit found valid Spark SQL 4.0 with the
same meaning, so they may stay in models. Each entry carries an example the scanner must
flag (or must not): the patterns are tested too.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

DBT = Path(__file__).resolve().parents[1] / "dbt"


@dataclass(frozen=True)
class Construct:
    name: str
    pattern: str  # a regular expression over the SQL text, case-insensitive
    why: str  # why it is not (the same) Spark SQL 4.0
    macros: tuple[str, ...]  # what models call instead (empty: not used in the project yet)
    example: str  # DuckDB SQL the pattern must catch

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


# The constructs the audit found DuckDB-only (not valid Spark SQL 4.0, or valid with another
# meaning). Models and tests call the macros named instead: the project's dispatched macros
# (macros/engine/) or dbt's own cross-database ones (dbt.*). A construct with no macro is
# not used yet: whoever needs it writes the dispatched macro first.
DUCKDB_ONLY: tuple[Construct, ...] = (
    Construct("ASOF join", r"\basof\s+(?:(?:left|inner)\s+)?join\b",
              "Spark has no ASOF join", ("business_minutes_of_intervals",),
              "from a asof left join b on a.t >= b.t"),
    Construct("epoch / epoch_ms", r"\bepoch(?:_ms|_us|_ns)?\b",
              "Spark has unix_millis(), no epoch_ms()",
              ("elapsed_minutes", "elapsed_seconds", "elapsed_days",
               "business_minutes_of_intervals", "seconds_of_day"),
              "epoch_ms(end_instant) - epoch_ms(start_instant)"),
    Construct("select * exclude / replace / rename", r"\*\s*(?:exclude|replace|rename)\s*\(",
              "Apache Spark 4.0 has no * EXCEPT/EXCLUDE (Databricks has)", ("star_exclude",),
              "select * exclude (offered_instant) from calls"),
    Construct("COLUMNS(...) star expression", r"\bcolumns\s*\(",
              "DuckDB's COLUMNS() has no Spark form", (),
              "select min(columns(*)) from t"),
    Construct("QUALIFY", r"\bqualify\b",
              "not in Spark 4.0 (SPARK-31561 added it in 2026, after 4.0)",
              ("latest_row_per_key",),
              "select * from t qualify row_number() over (partition by k order by v) = 1"),
    Construct("ORDER BY inside an aggregate's arguments",
              r"\b(?:string_agg|listagg|list|array_agg)\s*\([^()]*\border\s+by\b",
              "Spark 4.0 orders string_agg only WITHIN GROUP and has no ordered list()",
              ("ordered_string_agg",), "string_agg('P' || priority, ', ' order by priority)"),
    Construct("arg_max / arg_min", r"\barg_(?:max|min)(?:_null)?\s*\(",
              "Spark calls it max_by/min_by", ("value_at_max",),
              "arg_max(state, event_seq)"),
    Construct("to_months() / to_days() / … interval constructors",
              r"\bto_(?:years|months|weeks|days|hours|minutes|seconds|milliseconds"
              r"|microseconds)\s*\(",
              "DuckDB functions", ("subtract_months", "add_days", "date_at_seconds"),
              "received_at + to_days(30)"),
    Construct("generate_series / range", r"\b(?:generate_series|range)\s*\(",
              "DuckDB table functions (Spark: sequence() with explode(); Spark's range() "
              "names its column id)", ("date_series", "month_series"),
              "from generate_series(a, b, interval 1 month) as m(month_start)"),
    Construct("quantile_cont / quantile_disc / approx_quantile",
              r"\b(?:quantile(?:_cont|_disc)?|approx_quantile|reservoir_quantile)\s*\(",
              "Spark: percentile(), percentile_cont() within group", ("percentile",),
              "quantile_cont(resolution_business_minutes, 0.5)"),
    Construct("timezone()", r"\btimezone\s*\(",
              "Spark: from_utc_timestamp/to_utc_timestamp, and its DST choices differ",
              ("to_instant", "to_local", "to_instant_in_zone"),
              "timezone('Europe/Warsaw', cast(event_at as timestamp))"),
    Construct("AT TIME ZONE", r"\bat\s+time\s+zone\b",
              "the wall clock <-> instant conversion and its DST rules are engine-specific",
              ("to_instant", "to_local"),
              "event_at at time zone 'Europe/Warsaw'"),
    Construct("isodow / dayofweek() / weekday()",
              r"\b(?:isodow|isoyear)\b|\b(?:dayofweek|weekday)\s*\(",
              "DuckDB's dayofweek is 0 = Sunday, Spark's 1 = Sunday, Spark's weekday 0 = "
              "Monday; no isodow in Spark", ("iso_weekday",),
              "isodow(calendar_date) between 1 and 5"),
    Construct("regexp_replace / regexp_matches / regexp_extract",
              r"\bregexp_(?:replace|matches|extract|full_match|split_to_array)\s*\(",
              "DuckDB replaces the first match unless 'g', Spark every match and reads a 4th "
              "argument as a position; Spark string literals unescape backslashes; "
              "regexp_extract's default group differs", ("regexp_replace_all",),
              "regexp_replace(queue, '\\s+', ' ', 'g')"),
    Construct("strftime / strptime", r"\bstr[fp]time\s*\(",
              "Spark: date_format / to_timestamp with Java patterns", (),
              "strftime(opened_at, '%Y-%m')"),
    Construct("date_diff / datediff / date_add / date_sub",
              r"\b(?:date_diff|datediff|date_sub|datesub|date_add|dateadd)\s*\(",
              "other arguments in Spark (datediff(end, start), date_add(date, days))",
              ("dbt.datediff", "dbt.dateadd"),
              "date_diff('day', a, b)"),
    Construct("interval literal or arithmetic", r"\binterval\b",
              "DuckDB's date + interval is a TIMESTAMP, Spark's date + year-month interval a "
              "DATE", ("dbt.dateadd", "month_series", "last_second_of_month", "instant_before"),
              "cast(m as date) + interval 1 month - interval 1 second"),
    Construct("TIMESTAMPTZ type", r"\btimestamptz\b|\btimestamp\s+with\s+time\s+zone\b",
              "Spark has no TIMESTAMPTZ (its TIMESTAMP is the instant type)", ("to_instant",),
              "cast(x as timestamptz)"),
    Construct("DuckDB-only type in a cast",
              r"(?:\bas\s+|::\s*)(?:timetz|time|varchar|text|hugeint|uhugeint|ubigint"
              r"|uinteger|usmallint|utinyint|blob|uuid|json)\s*(?:\)|$)",
              "no TIME type in Spark 4.0, VARCHAR needs a length there",
              ("seconds_of_day", "dbt.type_string"),
              "calendar_date + cast('07:30:00' as time)"),
    Construct("error()", r"\berror\s*\(", "Spark: raise_error()", (), "error('bad row')"),
    Construct("unnest()", r"\bunnest\s*\(", "Spark: explode()", (),
              "select unnest(list_of_codes)"),
    Construct("POSITIONAL JOIN", r"\bpositional\s+join\b", "no Spark form", (),
              "from a positional join b"),
    Construct("IGNORE NULLS / RESPECT NULLS", r"\b(?:ignore|respect)\s+nulls\b",
              "DuckDB writes it inside the call (lag(x ignore nulls)), Spark after it", (),
              "lag(x ignore nulls) over w"),
    Construct("UNION BY NAME", r"\bunion\s+(?:all\s+)?by\s+name\b",
              "not Spark SQL 4.0 (DataFrame unionByName only)", (),
              "select * from a union all by name select * from b"),
    Construct("list() / list_*() functions", r"\blist(?:_\w+)?\s*\(",
              "Spark: collect_list(), array functions", (),
              "list(ticket_id order by event_seq)"),
    Construct("list literal or subscript", r"\[",
              "DuckDB lists are 1-based [ ], Spark arrays array() and 0-based", (),
              "select [1, 2, 3]"),
    Construct("struct_pack()", r"\bstruct_pack\s*\(", "Spark: named_struct()", (),
              "struct_pack(a := 1)"),
    Construct("DISTINCT ON", r"\bdistinct\s+on\b", "no Spark form", ("latest_row_per_key",),
              "select distinct on (ticket_id) * from t"),
    Construct("PIVOT / UNPIVOT … ON (DuckDB's short form)", r"\b(?:un)?pivot\s+\w+\s+on\b",
              "Spark has the SQL-standard form only (see PORTABLE)", (),
              "pivot calls on queue using count(*)"),
    Construct("USING SAMPLE", r"\busing\s+sample\b", "Spark: TABLESAMPLE", (),
              "select * from calls using sample 10%"),
    Construct("// or ^ operator", r"//|\^",
              "DuckDB's // is integer division and ^ a power; Spark's ^ is bitwise XOR "
              "(write floor(a / b), power(a, b))", (),
              "select a // b, 2 ^ 10"),
    Construct("double-quoted identifier", r'"',
              "a string literal in Spark: use adapter.quote() (the generic tests do)", (),
              'select "column_name" from t'),
)

# Reviewed in the audit and found valid Spark SQL 4.0 with the same meaning: they may stay in
# models. Each example must not be flagged by any DUCKDB_ONLY pattern.
PORTABLE: tuple[tuple[str, str], ...] = (
    # aggregate FILTER clause: Spark 3.0+ (FILTER on every aggregate since 3.2)
    ("count(*) filter (where is_answered)", "FILTER"),
    ("bool_and(i.group_code = 'IT-02-3') filter (where i.event_seq <= 3)", "bool_and: Spark 3.0+"),
    ("any_value(m.final_resolved_seq)", "any_value: Spark 3.4+"),
    # both skip NULL arguments and are NULL only when every argument is
    ("greatest(0, least(b, e) - greatest(a, s))", "greatest/least NULL semantics"),
    ("make_date(cast(min(year(holiday_date)) as integer), 1, 1)", "make_date, year: Spark 3.0+"),
    # the hour of the local wall clock of a naive timestamp in both (on Spark the source
    # timestamps are TIMESTAMP_NTZ: dbt/DECISIONS.md § 16)
    ("cast(hour(offered_at) as integer)", "hour()"),
    ("median(wait_seconds)", "median: Spark 3.4+, exact and interpolated like DuckDB's"),
    ("select a, count(*) from t group by all", "GROUP BY ALL: Spark 3.4+"),
    ("string_agg(name, ', ')", "string_agg/listagg: Spark 4.0"),
    ("'20'::integer", "expr :: type: Spark 4.0 (with a portable type name)"),
    ("cast(x as integer), cast(x as bigint), cast(x as double), cast(x as date)", "casts"),
    # the type names are portable; a naive TIMESTAMP is the local wall clock, on Spark
    # TIMESTAMP_NTZ (dbt/DECISIONS.md § 16); instants come only from to_instant
    ("cast('2000-01-01 00:00:00' as timestamp), cast(b as boolean)", "casts"),
    ("a is not distinct from b", "IS [NOT] DISTINCT FROM: Spark 3.x"),
    # the SQL-standard UNPIVOT (columns_not_null): Spark 3.4+
    ("from counted unpivot (null_rows for column_name in (a, b))", "UNPIVOT"),
    ("lead(x) over ticket_order from t window ticket_order as (partition by k order by v)",
     "named WINDOW clause"),
    ("select * from (values ('a', 1)) as t(code, n)", "inline VALUES table with column aliases"),
    ("concat_ws('; ', a, b), n || ' milestones overdue'", "concat_ws, || (integer cast to "
     "string implicitly: to confirm on Spark)"),
    ("date_trunc('month', opened_at)", "date_trunc(fmt, ts): same order in Spark (models "
     "use dbt.date_trunc)"),
    ("round(cast(numerator as double), 4), nullif(a, 0), coalesce(a, b), abs(a - b)",
     "scalar functions"),
    ("sum(x) over (order by s rows between unbounded preceding and 1 preceding)",
     "window frames"),
    ("a / b", "/ is fractional division in both"),
    ("left join b using (month_start, priority)", "USING joins"),
    ("where not exists (select 1 from i where i.k = o.k) and k not in (select k from m)",
     "correlated EXISTS, NOT IN"),
    ("is_first_line_resolved <= is_resolved", "booleans are ordered false < true in both"),
    ("cast(calendar_date as date) between a and b", "BETWEEN"),
    ("queue ilike 'kck%'", "ILIKE: Spark 3.3+"),
)

MODEL_TEST_GLOBS = ("models/**/*.sql", "tests/**/*.sql")
YAML_SQL_KEYS = ("expressions", "expression", "where")  # data-test arguments holding SQL


# ---------------------------------------------------------------------------- the scanner

def _blank(text: str) -> str:
    """The text with every character but newlines replaced by a space (lines stay put)."""
    return re.sub(r"[^\n]", " ", text)


def _jinja_tag_end(source: str, start: int, close: str) -> int:
    """Index just after the `close` ('}}' or '%}') that ends the tag opened at `start`,
    skipping Jinja string literals (a post_hook "{{ stamp_as_of(this) }}" is inside one)."""
    i, quote = start + 2, None
    while i < len(source):
        c = source[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif source.startswith(close, i):
            return i + 2
        i += 1
    return len(source)


def _jinja_strings(tag: str) -> str:
    """A Jinja tag with its code blanked and the contents of its string literals kept."""
    out, i, quote = [], 0, None
    while i < len(tag):
        c = tag[i]
        if quote:
            if c == "\\" and i + 1 < len(tag):
                out.append(tag[i:i + 2])
                i += 2
                continue
            if c == quote:
                quote = None
                out.append(" ")
            else:
                out.append(c)
        elif c in "'\"":
            quote = c
            out.append(" ")
        else:
            out.append("\n" if c == "\n" else " ")
        i += 1
    return "".join(out)


def sql_text(source: str) -> str:
    """The SQL a dbt file can emit, character for character at the same place: Jinja
    comments, SQL comments (outside string literals) and Jinja code blanked; the string
    literals of Jinja tags kept (they are SQL fragments passed to macros)."""
    out, i, n = [], 0, len(source)
    in_sql_string = False
    while i < n:
        two = source[i:i + 2]
        if two == "{#":
            end = source.find("#}", i + 2)
            end = n if end < 0 else end + 2
            out.append(_blank(source[i:end]))
            i = end
        elif two in ("{{", "{%"):
            end = _jinja_tag_end(source, i, "}}" if two == "{{" else "%}")
            out.append(_jinja_strings(source[i:end]))
            i = end
        elif in_sql_string:
            out.append(source[i])
            if source[i] == "'":
                in_sql_string = False  # '' (an escaped quote) closes and reopens
            i += 1
        elif source[i] == "'":
            in_sql_string = True
            out.append("'")
            i += 1
        elif two == "--":
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(_blank(source[i:end]))
            i = end
        elif two == "/*":
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(_blank(source[i:end]))
            i = end
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    construct: str
    text: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.construct}: {self.text.strip()}"


def find_constructs(source: str, path: str = "<sql>") -> list[Finding]:
    """Every DuckDB-only construct in the SQL `source` can emit."""
    sql = sql_text(source)
    lines = source.splitlines()
    found = []
    for construct in DUCKDB_ONLY:
        for match in construct.regex.finditer(sql):
            line = sql.count("\n", 0, match.start()) + 1
            found.append(Finding(path, line, construct.name,
                                 lines[line - 1] if line <= len(lines) else "",
                                 match.start()))
    return sorted(found, key=lambda f: (f.path, f.line, f.construct))


def _yaml_sql(node, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in YAML_SQL_KEYS:
                items = value if isinstance(value, list) else [value]
                for item in items:
                    if isinstance(item, dict):
                        item = item.get("expression")
                    if isinstance(item, str):
                        found.append(item)
            else:
                _yaml_sql(value, found)
    elif isinstance(node, list):
        for value in node:
            _yaml_sql(value, found)


def scan_project(root: Path) -> list[Finding]:
    """DuckDB-only constructs in the models and tests under the dbt project `root`."""
    found: list[Finding] = []
    for pattern in MODEL_TEST_GLOBS:
        for path in sorted(root.glob(pattern)):
            found += find_constructs(path.read_text(encoding="utf-8"),
                                     str(path.relative_to(root)))
    for path in sorted(root.glob("models/**/*.yml")):
        text = path.read_text(encoding="utf-8")
        expressions: list[str] = []
        _yaml_sql(yaml.safe_load(text), expressions)
        for expression in expressions:
            for f in find_constructs(expression):
                at = text.find(expression.splitlines()[0]) if expression else -1
                line = text.count("\n", 0, at) + 1 if at >= 0 else 0
                found.append(Finding(str(path.relative_to(root)), line, f.construct,
                                     expression, 0))
    return found


def _macros(source: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of every {% macro %} / {% test %} block of a file."""
    blocks = []
    for start in re.finditer(r"\{%-?\s*(macro|test|materialization)\s+(\w+)", source):
        end = re.compile(r"\{%-?\s*end" + start.group(1) + r"\s*-?%\}").search(source,
                                                                               start.end())
        blocks.append((start.group(2), start.start(), end.end() if end else len(source)))
    return blocks


# ------------------------------------------------------------------------------- the tests

def test_models_and_tests_use_no_duckdb_only_sql():
    """A DuckDB-only construct outside dbt/macros/ fails, naming file, line and construct:
    call the engine macro named in DUCKDB_ONLY instead (or write one, dbt/DECISIONS.md § 16)."""
    findings = scan_project(DBT)
    constructs = {c.name: c for c in DUCKDB_ONLY}

    def instead(f: Finding) -> str:
        c = constructs[f.construct]
        return (f"{c.why}; call {', '.join(c.macros)}" if c.macros
                else f"{c.why}; write a dispatched macro in dbt/macros/engine/")

    assert not findings, "DuckDB-only SQL outside dbt/macros/:\n" + "\n".join(
        f"  {f}\n      ({instead(f)})" for f in findings)


def test_engine_sql_in_macros_lives_only_in_engine_bodies():
    """In dbt/macros/ a DuckDB-only construct may appear only inside an engine's body
    (`duckdb__`, or `spark__`, whose Spark SQL shares some spellings with DuckDB's): a
    portable macro (pct, as_of_local, the staging bodies…) holds portable SQL and calls
    the engine macros for the rest."""
    outside = []
    for path in sorted((DBT / "macros").rglob("*.sql")):
        source = path.read_text(encoding="utf-8")
        blocks = _macros(source)
        for f in find_constructs(source, str(path.relative_to(DBT))):
            owner = next((name for name, start, end in blocks if start <= f.offset < end), None)
            if not (owner or "").startswith(("duckdb__", "spark__")):
                outside.append(f"  {f} (in macro {owner})")
    assert not outside, "DuckDB-only SQL outside an engine body:\n" + "\n".join(outside)


def _dispatched() -> dict[str, str]:
    """Every macro the project dispatches: name -> file."""
    names = {}
    for path in sorted((DBT / "macros").rglob("*.sql")):
        for name in re.findall(r"adapter\.dispatch\(\s*'(\w+)'\s*,\s*'cityops'\s*\)",
                               path.read_text(encoding="utf-8")):
            names[name] = str(path.relative_to(DBT))
    return names


def test_every_dispatched_macro_has_a_duckdb_and_a_spark_body_and_a_default_that_stops():
    """Each dispatched macro has a duckdb__ and a spark__ body (issue 16: every model
    builds on both engines) and a default__ body that only calls
    engine_not_implemented with the macro's own name (the message names macro and
    adapter: test_default_body_stops_compilation_naming_macro_and_adapter)."""
    dispatched = _dispatched()
    named = {m for c in DUCKDB_ONLY for m in c.macros if not m.startswith("dbt.")}
    assert named <= set(dispatched), named - set(dispatched)  # the audit's macros exist
    sources = {p: p.read_text(encoding="utf-8") for p in (DBT / "macros").rglob("*.sql")}
    bodies = {}
    for source in sources.values():
        for name, start, end in _macros(source):
            bodies[name] = source[start:end]
    problems = []
    for name, where in dispatched.items():
        if not where.startswith("macros/engine/"):
            problems.append(f"{name}: dispatched from {where}, not macros/engine/")
        for engine in ("duckdb", "spark"):
            if f"{engine}__{name}" not in bodies:
                problems.append(f"{name}: no {engine}__ body")
        default = bodies.get(f"default__{name}")
        body = re.sub(r"\{%-?\s*(?:end)?macro[^%]*%\}", "", default or "").strip()
        if body != f"{{{{ engine_not_implemented('{name}') }}}}":
            problems.append(f"{name}: default__ body is not engine_not_implemented('{name}'): "
                            f"{body!r}")
    assert not problems, "\n".join(problems)


def test_an_engine_without_a_body_stops_compilation_naming_macro_and_adapter(tmp_path):
    """What a Spark build meets where a spark__ body is missing: in a copy of the project
    whose duckdb__iso_weekday is gone, dispatch falls through to default__iso_weekday and
    dbt stops with 'no implementation of iso_weekday for adapter duckdb' — no SQL of another
    engine is emitted."""
    from dbt.cli.main import dbtRunner

    from warehouse.build import dbt_session

    project = tmp_path / "dbt"
    shutil.copytree(DBT, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(DBT.parent / "seeds", tmp_path / "seeds")  # seed-paths: ../seeds
    engine_time = project / "macros/engine/time.sql"
    source = engine_time.read_text()
    body = re.search(r"\{% macro duckdb__iso_weekday\(col\) -%\}.*?\{%- endmacro %\}", source,
                     re.DOTALL)
    assert body is not None
    engine_time.write_text(source.replace(body.group(0), ""))
    events: list[str] = []
    with dbt_session(tmp_path / "scratch.duckdb"):
        res = dbtRunner(callbacks=[lambda e: events.append(e.info.msg)]).invoke(
            ["--quiet", "parse", "--project-dir", str(project), "--profiles-dir", str(project),
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")])
    assert not res.success
    said = str(res.exception) + "\n".join(events)
    assert "no implementation of iso_weekday for adapter duckdb" in said


@pytest.mark.parametrize("construct", DUCKDB_ONLY, ids=lambda c: c.name)
def test_each_duckdb_only_construct_is_caught(construct):
    assert construct.name in {f.construct for f in find_constructs(construct.example)}


@pytest.mark.parametrize("example", [e for e, _ in PORTABLE], ids=lambda e: e[:40])
def test_portable_constructs_are_not_flagged(example):
    assert find_constructs(example) == []


def test_scanner_reads_sql_not_jinja_code_or_comments():
    source = (
        "{#- qualify in a Jinja comment -#}\n"
        "-- arg_max in an SQL comment\n"
        "{% for i in range(3) %}select '--' as dashes, x /* epoch_ms */{% endfor %}\n"
        "{{ config(post_hook=\"{{ stamp_as_of(this) }}\") }}\n"
        "select {{ pct('n', 'epoch_ms(a)') }} as share\n"
    )
    found = find_constructs(source, "m.sql")
    assert [(f.line, f.construct) for f in found] == [(5, "epoch / epoch_ms")]
    assert str(found[0]) == ("m.sql:5: epoch / epoch_ms: "
                             "select {{ pct('n', 'epoch_ms(a)') }} as share")


def test_a_planted_construct_fails_naming_file_line_and_construct(tmp_path):
    """The rule breaks: `qualify` planted in a model (and arg_max in a test's YAML
    expression) is reported with file, line and construct."""
    root = tmp_path / "dbt"
    shutil.copytree(DBT / "models", root / "models")
    shutil.copytree(DBT / "tests", root / "tests")
    assert scan_project(root) == []
    model = root / "models/marts/kck/kck_queue_service.sql"
    lines = model.read_text().splitlines()
    at = lines.index("    group by 1, 2")
    planted = "    qualify row_number() over (partition by queue order by month_start) = 1"
    lines.insert(at + 1, planted)
    model.write_text("\n".join(lines) + "\n")
    schema = root / "models/intermediate/_intermediate__models.yml"
    text = schema.read_text()
    yaml_line = text[:text.index("- wait_seconds >= 0")].count("\n") + 1
    schema.write_text(text.replace("- wait_seconds >= 0", "- arg_max(wait_seconds, 1) >= 0"))
    assert [str(f) for f in scan_project(root)] == [
        f"models/marts/kck/kck_queue_service.sql:{at + 2}: QUALIFY: "
        "qualify row_number() over (partition by queue order by month_start) = 1",
        f"models/intermediate/_intermediate__models.yml:{yaml_line}: arg_max / arg_min: "
        "arg_max(wait_seconds, 1) >= 0",
    ]
