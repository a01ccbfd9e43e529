"""Reading a native export into DuckDB and the generic conversions, as SQL expressions
over the whole file (no row loops).

:func:`read_native` puts the file into the temp table ``__native``: one VARCHAR column per
native column under its :func:`~warehouse.importing.profile.canonical` name, plus
``_source_row`` (the 1-based record number, header = 0, as the loader numbers a CSV).
:class:`Converter` turns a :class:`~warehouse.importing.profile.ColumnSpec` into SQL over
``__native``: null tokens, time stamps of the source's zone converted to Europe/Warsaw
wall-clock time, code lists with their policy, hashes of personal identifiers; and
collects the rows' problems (a code a ``reject`` list does not know) for
``_field_problem``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contracts import CONTRACTS
from warehouse.importing.profile import CodeList, ColumnSpec, Profile, ProfileError, canonical
from warehouse.loading.reading import LOCAL_ZONE, FileRefused, encoding_or_refuse, utf8_copy
from warehouse.loading.validation import lit, q
from warehouse.pii import hmac_sql

NATIVE = "__native"
TEXT_TS = "%Y-%m-%d %H:%M:%S"  # what the loader reads


class NativeRefused(Exception):
    """A native file that cannot be imported at all (unreadable, not this profile)."""


def _xml_records(path: Path) -> tuple[str, list[dict[str, str]]]:
    """The root element's tag and its records — one dict per child element (a GeoReport
    ``<request>``) of its simple child elements' text; a nested element, such as an
    extension's attributes, is left out."""
    import xml.etree.ElementTree as ET

    root, depth, records = "", 0, []
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                root = root or elem.tag
                depth += 1
                continue
            depth -= 1
            if depth == 1:  # a record, child of the root
                records.append({c.tag: (c.text or "").strip() for c in elem if not len(c)})
                elem.clear()
    except ET.ParseError as exc:
        raise NativeRefused(f"{path.name}: cannot be read as XML: {exc}") from None
    return root, records


def _xml_relation(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """A GeoReport v2 XML response (``<service_requests><request>…``) as a relation of
    text columns (first-seen order); an ``<errors>`` response is refused with the server's
    message."""
    import polars as pl

    root, records = _xml_records(path)
    if root == "errors":
        detail = "; ".join(f"{r.get('code', '?')} {r.get('description', '')}".strip()
                           for r in records)
        raise NativeRefused(f"{path.name}: the server answered with an error, not requests "
                            f"({detail})")
    if root == "service_requests" and not records:
        raise NativeRefused(f"{path.name}: a GeoReport v2 response without any request")
    if root != "service_requests":
        raise NativeRefused(f"{path.name}: not a GeoReport v2 response (root element "
                            f"<{root}>, not <service_requests>)")
    columns = list(dict.fromkeys(k for r in records for k in r))
    frame = pl.DataFrame([[r.get(c) for c in columns] for r in records],
                         schema={c: pl.String for c in columns}, orient="row")
    con.register(f"{NATIVE}_xml", frame)
    return f"{NATIVE}_xml"


def _json_relation(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[str]]:
    """A JSON array of records — or an object wrapping one (``{"service_requests": […]}``,
    as some GeoReport servers answer) — as a relation of text columns, and its names."""
    auto = f"read_json({lit(str(path))}, format = 'auto')"
    described = con.execute(f"DESCRIBE SELECT * FROM {auto}").fetchall()
    if len(described) == 1 and described[0][1].startswith("STRUCT(") \
            and described[0][1].endswith("[]"):
        wrapper = described[0][0]
        names = [r[0] for r in con.execute(
            f"DESCRIBE SELECT unnest({q(wrapper)}, recursive := true) FROM {auto}").fetchall()]
        struct = "STRUCT(" + ", ".join(f"{q(n)} VARCHAR" for n in names) + ")[]"
        typed = (f"read_json({lit(str(path))}, format = 'auto', "
                 f"columns = {{{lit(wrapper)}: {lit(struct)}}})")
        return f"(SELECT unnest({q(wrapper)}, recursive := true) FROM {typed})", names
    names = [r[0] for r in described]
    cols = "{" + ", ".join(f"{lit(n)}: 'VARCHAR'" for n in names) + "}"
    return f"read_json({lit(str(path))}, format = 'auto', columns = {cols})", names


def _csv_relation(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path
                  ) -> tuple[str, list[str], str]:
    """A CSV file (UTF-8, or Windows-1250 as Polish Excel writes it; the separator
    sniffed) as a relation of text columns, its names and its encoding."""
    try:
        encoding = encoding_or_refuse(path, path.name)
    except FileRefused as exc:
        raise NativeRefused(str(exc)) from None
    readable = utf8_copy(path, scratch) if encoding == "cp1250" else path
    source = (f"read_csv({lit(str(readable))}, all_varchar = true, header = true, "
              f"auto_detect = true, null_padding = true)")
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    return source, names, encoding


def read_native(con: duckdb.DuckDBPyConnection, path: Path, formats: tuple[str, ...],
                scratch: Path) -> tuple[dict[str, str], list[str]]:
    """Read ``path`` into ``__native``; returns canonical name -> the header as written,
    and notes on how it was read (an encoding other than UTF-8). ``scratch``: where a
    Windows-1250 file's UTF-8 copy goes."""
    suffix = path.suffix.lower().lstrip(".")
    fmt = suffix if suffix in formats else None
    if fmt is None:
        raise NativeRefused(f"{path.name}: a .{suffix} file; this profile reads "
                            f"{', '.join('.' + f for f in formats)}")
    notes = []
    try:
        if fmt == "xml":
            source = _xml_relation(con, path)
            names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        elif fmt == "json":
            source, names = _json_relation(con, path)
        else:
            source, names, encoding = _csv_relation(con, path, scratch)
            if encoding == "cp1250":
                notes.append("read as Windows-1250 (not UTF-8)")
    except duckdb.Error as exc:
        raise NativeRefused(f"{path.name}: cannot be read as {fmt.upper()}: "
                            f"{str(exc).splitlines()[0][:300]}") from None
    if names and set(names) <= {"code", "description"} and fmt != "csv":
        raise NativeRefused(f"{path.name}: the server answered with an error, not records")
    canon: dict[str, str] = {}
    for name in names:
        c = canonical(name) or "unnamed"
        if c in canon:
            raise NativeRefused(f"{path.name}: columns {canon[c]!r} and {name!r} are the same "
                                "name in another header style")
        canon[c] = name
    select = ", ".join(f"CAST({q(orig)} AS VARCHAR) AS {q(c)}" for c, orig in canon.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NATIVE} AS SELECT row_number() OVER () "
                f"AS _source_row, {select} FROM {source}")
    if fmt == "xml":
        con.unregister(source)
    return canon, notes


def to_local_text(expr: str, zone: str) -> str:
    """SQL: a TIMESTAMP ``expr`` of wall-clock time in ``zone`` as Europe/Warsaw wall-clock
    text (the same instant; a time the source's zone skips is moved by the zone rules)."""
    if zone == LOCAL_ZONE:
        return f"strftime({expr}, '{TEXT_TS}')"
    return (f"strftime(timezone('{LOCAL_ZONE}', timezone({lit(zone)}, {expr})), "
            f"'{TEXT_TS}')")


@dataclass
class Converter:
    """SQL expressions over ``__native`` for one file and profile."""

    profile: Profile
    columns: set[str]  # the canonical columns the file has
    problems: list[str] = field(default_factory=list)  # SQL: a row's problem or NULL
    uses_hash: bool = False
    missing: list[str] = field(default_factory=list)  # specs none of whose columns exist

    def source(self, spec: ColumnSpec, where: str) -> str | None:
        """The first of the spec's columns the file has; None (and, for a required column
        of a contract, noted in ``missing``) when it has none."""
        for s in spec.sources:
            if s in self.columns:
                return s
        required = any(where in c.column_names and c.column(where).required
                       for c in CONTRACTS.values())
        if spec.sources and required:
            self.missing.append(f"{where}: none of the columns {', '.join(spec.sources)}")
        return None

    def cleaned(self, column: str, extra_nulls: tuple[str, ...] = ()) -> str:
        """SQL: the column trimmed; empty or a null token = NULL."""
        tokens = sorted({t.lower() for t in (*self.profile.null_tokens, *extra_nulls)} - {""})
        val = f"nullif(trim({q(column)}), '')"
        if not tokens:
            return val
        return (f"CASE WHEN lower(trim({q(column)})) IN ({', '.join(lit(t) for t in tokens)}) "
                f"THEN NULL ELSE {val} END")

    def timestamp(self, text: str) -> str:
        """SQL: local text of the source's zone, parsed by the profile's formats, as
        Europe/Warsaw text; a value no format reads is passed on (the loader rejects it,
        showing it)."""
        fmts = "[" + ", ".join(lit(f) for f in self.profile.timestamp_formats) + "]"
        parsed = f"try_strptime({text}, {fmts})"
        return f"coalesce({to_local_text(parsed, self.profile.timezone)}, {text})"

    def code(self, text: str, codes: CodeList, column: str) -> str:
        """SQL: ``text`` through the code list, with its policy for a code it lacks."""
        if codes.map:
            keys = "[" + ", ".join(lit(k) for k in codes.map) + "]"
            values = "[" + ", ".join(lit(v) for v in codes.map.values()) + "]"
            mapped = f"({values})[list_position({keys}, lower({text}))]"
        else:
            mapped = "CAST(NULL AS VARCHAR)"
        if codes.policy == "fallback":
            other = lit(codes.fallback) if codes.fallback else "NULL"
        else:
            other = text
        if codes.policy == "reject":
            self.problems.append(
                f"CASE WHEN {text} IS NOT NULL AND {mapped} IS NULL THEN {lit(column + '=')} "
                f"|| {lit(chr(39))} || {text} || "
                f"{lit(chr(39) + f' not in the mapping [{codes.name}] (policy reject)')} END")
        if codes.policy == "fallback":  # an empty source value is a code it lacks too
            return f"coalesce({mapped}, {other})"
        return f"CASE WHEN {text} IS NULL THEN NULL ELSE coalesce({mapped}, {other}) END"

    def expr(self, spec: ColumnSpec, column: str) -> str:
        """SQL (text or NULL) of one contract column."""
        if spec.value is not None and not spec.sources:
            val = lit(str(spec.value))
        else:
            src = self.source(spec, column)
            if src is None:
                return "CAST(NULL AS VARCHAR)"
            val = self.cleaned(src, spec.nulls)
            if spec.kind == "timestamp":
                val = self.timestamp(val)
            elif spec.kind == "instant":
                val = (f"CASE WHEN regexp_matches({val}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
                       f"THEN {val} ELSE {self.timestamp(val)} END")
            elif spec.kind == "leading_int":
                val = (f"coalesce(nullif(regexp_extract({val}, '^([0-9]+)', 1), ''), {val})")
            elif spec.kind == "hash":
                self.uses_hash = True
                val = f"CASE WHEN {val} IS NULL THEN NULL ELSE {hmac_sql(val)} END"
            if spec.codes is not None:
                val = self.code(val, self.profile.codes[spec.codes], column)
        if spec.when is not None:
            col, values = spec.when
            if col not in self.columns:
                raise ProfileError(f"{column}: `when` reads {col!r}, not in the file")
            val = (f"CASE WHEN lower(trim({q(col)})) IN ({', '.join(lit(v) for v in values)}) "
                   f"THEN {val} END")
        for col, pattern, value, only_if in reversed(spec.cases):
            if col not in self.columns:
                continue
            cond = f"regexp_matches(coalesce({q(col)}, ''), {lit(pattern)})"
            if only_if is not None:
                cond += f" AND {val} = {lit(only_if)}"
            val = f"CASE WHEN {cond} THEN {lit(value)} ELSE {val} END"
        return val

    def problem(self) -> str:
        """SQL: the row's problems joined, or NULL."""
        if not self.problems:
            return "CAST(NULL AS VARCHAR)"
        return f"nullif(concat_ws('; ', {', '.join(self.problems)}), '')"


def missing_codes(con: duckdb.DuckDBPyConnection, conv: Converter) -> list[tuple]:
    """(code list, native column, source code, rows) of the codes the file holds that the
    code lists do not map, most frequent first."""
    parts, seen = [], set()
    for feed in conv.profile.feeds.values():
        for spec in feed.specs():
            src = next((s for s in spec.sources if s in conv.columns), None)
            if spec.codes is None or src is None or (spec.codes, src) in seen:
                continue
            seen.add((spec.codes, src))
            codes = conv.profile.codes[spec.codes]
            text = conv.cleaned(src, spec.nulls)
            known = ("[" + ", ".join(lit(k) for k in codes.map) + "]") if codes.map \
                else "CAST([] AS VARCHAR[])"
            parts.append(f"SELECT {lit(codes.name)} AS list, {lit(src)} AS col, {text} AS code "
                         f"FROM {NATIVE} WHERE {text} IS NOT NULL AND NOT list_contains("
                         f"{known}, lower({text}))")
    if not parts:
        return []
    return con.execute(f"SELECT list, col, code, count(*) AS n FROM ("
                       f"{' UNION ALL '.join(parts)}) GROUP BY ALL ORDER BY list, n DESC, code"
                       ).fetchall()


def all_codes(con: duckdb.DuckDBPyConnection, conv: Converter) -> dict[str, list[str]]:
    """Every source code of each code list in the file (for a mapping skeleton)."""
    out: dict[str, set[str]] = {}
    for feed in conv.profile.feeds.values():
        for spec in feed.specs():
            src = next((s for s in spec.sources if s in conv.columns), None)
            if spec.codes is None or src is None:
                continue
            text = conv.cleaned(src, spec.nulls)
            rows = con.execute(f"SELECT DISTINCT {text} FROM {NATIVE} WHERE {text} IS NOT NULL"
                               ).fetchall()
            out.setdefault(spec.codes, set()).update(r[0] for r in rows)
    return {k: sorted(v) for k, v in out.items()}
