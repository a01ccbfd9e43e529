"""Row validation against a source contract, as SQL over the stage of a file.

Input: the stage of :mod:`warehouse.loading.reading` (or any relation of text columns
named as the contract, plus ``_source_row`` and ``_field_problem``).  Output
(:func:`checked_sql`): one row per staged row with every column typed (``t__<column>``)
and a ``reject_reason`` that lists *every* rule the row fails, e.g. ``row 17: priority=7
not in 1..4; opened_at='2025-13-01' timestamp format`` — NULL for a good row.  Every rule
is a SQL expression derived from :mod:`warehouse.contracts`, and the file is checked in one
set-based pass (DuckDB, spilling to disk beyond its memory limit): no row-by-row work.

Rules, in the order they are reported: the record's field count (truncated line), then per
column: required value present, type (int; float in the file's decimal mark; bool
true/false/1/0/tak/nie; timestamp ``YYYY-MM-DD HH:MM[:SS[.f]]`` with ' ' or 'T' and an
optional 'Z' or offset — such an instant is converted to Europe/Warsaw wall-clock time, as
a time-zone-aware Parquet timestamp is; microseconds kept in both; ``08:00:60`` refused;
date ``YYYY-MM-DD``), the plausible range (the contract's floor; an event no later than the
load time plus a day),
allowed values, min..max, max_chars, known code (units, topics, portal areas from the
seeds; services, projects and tickets from raw.* including this load's earlier files);
then the contract's order rules (later not before earlier), the absurd-duration rules below,
for ticket events the ticket's opened_at, then the rules that need the whole file: a
'resolved' event before the ticket's first 'opened' event (in this file, good row or not,
or already in raw.ticket_events), and last the duplicate key inside the file, where the
LAST occurrence wins and the earlier ones are rejected (if the last one is itself bad, the
file loads nothing for that key).

Values are cleaned before they are checked: BOM, NUL and zero-width characters are removed
from every text value and it is normalised to NFC (so an invisible BOM never makes a second
queue or key); surrounding whitespace (every Unicode space) is trimmed and an empty field is
a missing value.  A number is read in the file's dialect (``FileContext.decimal_mark``: ','
in a ';'-separated CSV, '.' otherwise; spaces may group digits): the other mark is refused
as ambiguous, never guessed ("1,500" is not 1.5).  Every timestamp and date must be on or
after its contract's floor, and an event moment no later than the load time plus a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warehouse.contracts import (
    REF_CALENDARS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TABLES,
    REF_TICKETS,
    REF_TOPICS,
    REF_UNITS,
    Column,
    Contract,
)
from warehouse.loading.reading import FIELD_PROBLEM, LOCAL_ZONE, ROW

BOOL_VALUES = {"true": True, "false": False, "1": True, "0": False, "tak": True, "nie": False,
               "t": True, "f": False, "yes": True, "no": False}
SHOW_CHARS = 60  # a value shown in a reason is cut to this many characters
REASON = "reject_reason"  # without the 'row N: ' the rejects table shows before it
PENDING = "pending_reason"  # why a row waits (its parent is not in raw yet), else NULL
# columns of a parent record that rules of its children read, as the child's rows see them
PARENT_COLUMNS = {"ticket_events": {"opened_at": "__ticket_opened_at"}}

# Durations no real record has: (contract, later, earlier, limit, rule text)
SPAN_RULES: tuple[tuple[str, str, str, timedelta, str], ...] = (
    ("calls", "ended_at", "offered_at", timedelta(hours=8), "call longer than 8 h"),
    ("calls", "answered_at", "offered_at", timedelta(hours=8), "wait longer than 8 h"),
    ("ticket_events", "event_at", "__ticket_opened_at", timedelta(days=3 * 366),
     "event more than 3 years after the ticket opened"),
)

REF_LABELS = {REF_UNITS: "unit code", REF_TOPICS: "topic code",
              REF_PORTAL_AREAS: "portal area", REF_SERVICES: "service code",
              REF_PROJECTS: "project", REF_TICKETS: "ticket",
              REF_CALENDARS: "working calendar"}

TYPE_RULES = {"int": "not an integer", "float": "not a number",
              "bool": "not a boolean (true/false/1/0/tak/nie)",
              "timestamp": "timestamp format", "date": "date format"}

# Unicode White_Space: what is trimmed around every value
WHITESPACE = "".join(chr(c) for c in (
    *range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
    0x202F, 0x205F, 0x3000))
TEXT_FORMAT = "%Y-%m-%d %H:%M:%S"  # a timestamp shown in a reason
_PLAIN_TS = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
# ISO 8601: date, ' ' or 'T', HH:MM[:SS[.f]], then an optional 'Z' or offset (+HH[:MM])
_TS_PARTS = (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2})(:[0-9]{2})?"
             r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$")
MAX_OFFSET_MINUTES = 14 * 60  # the widest offset of any time zone


@dataclass(frozen=True)
class FileContext:
    """What the rules of one file are checked against.

    ``codes``: a table (ref, code) of the known reference codes — the seeds and the raw
    catalogues (:func:`warehouse.loading.writing.fill_codes`); ``refs``: the reference sets
    it holds (a column whose set is not there is not checked)."""

    contract: Contract
    stage: str
    codes: str = "__codes"
    refs: frozenset[str] = field(default_factory=frozenset)
    # the time of the load: an event moment after it plus PLAUSIBLE_AHEAD is implausible
    loaded_at: datetime | None = None
    # the decimal mark of the file's dialect (reading.OpenedFile.decimal_mark): the other
    # mark in a number is refused as ambiguous ("1,500" is not 1.5)
    decimal_mark: str = "."
    # reference kinds whose unknown codes are kept (core.Staged.unmapped): not checked
    unmapped: frozenset[str] = field(default_factory=frozenset)

    @property
    def checked_refs(self) -> frozenset[str]:
        """The reference sets a code is checked against: held, and not kept unmapped."""
        return self.refs - self.unmapped

    @property
    def other_mark(self) -> str:
        return "," if self.decimal_mark == "." else "."


def q(name: str) -> str:
    """A quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def v(name: str) -> str:
    """The cleaned text of a column (trimmed, empty = NULL)."""
    return q(f"v__{name}")


def t(name: str) -> str:
    """The typed value of a column."""
    return q(f"t__{name}")


def _m(name: str) -> str:
    return q(f"m__{name}")


def _f(name: str) -> str:
    return q(f"f__{name}")


def _k(name: str) -> str:
    """The cleaned value of a reference column is a known code."""
    return q(f"k__{name}")


def _p(name: str) -> str:
    return q(f"p__{name}")


def _plain(col: Column) -> str | None:
    """SQL: the typed value of a timestamp or date in its plain form ('YYYY-MM-DD
    HH:MM:SS', 'YYYY-MM-DD'), else NULL (the full path parses it).  LIKE and the parse
    are several times cheaper than a regular expression; the parse refuses a non-digit
    where the pattern has '_' (and 60 seconds, 24 hours, 30 February)."""
    raw = q(col.name)
    if col.type == "timestamp":
        return (f"CASE WHEN strlen({raw}) = 19 AND {raw} LIKE '____-__-__ __:__:__' "
                f"THEN try_strptime({raw}, '%Y-%m-%d %H:%M:%S') END")
    if col.type == "date":
        return (f"CASE WHEN strlen({raw}) = 10 AND {raw} LIKE '____-__-__' "
                f"THEN CAST(try_strptime({raw}, '%Y-%m-%d') AS DATE) END")
    return None


def cleaned(expr: str) -> str:
    """SQL: ``expr`` without surrounding whitespace, empty = NULL.  DuckDB's trim with a
    character list is slow (even on an empty value), so a value that starts and ends with
    a printable ASCII character (almost every value) is taken as it is."""
    return (f"CASE WHEN {expr} = '' THEN NULL WHEN ascii({expr}) BETWEEN 33 AND 126 AND "
            f"ascii({expr}[-1]) BETWEEN 33 AND 126 THEN {expr} ELSE "
            f"nullif(trim({expr}, {lit(WHITESPACE)}), '') END")


_PLAIN_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PLAIN_FLOAT = "[0-9]{1,15}([.][0-9]{1,15})?"


def _fast(col: Column, ctx: FileContext) -> str | None:
    """SQL: the raw value is already clean and valid in the usual plain form, so cleaning
    and parsing can take a short cut (NULL or false: the full path)."""
    raw = q(col.name)
    # LIKE and a cast are several times cheaper than a regular expression; the cast
    # refuses a non-digit where the pattern has '_' (and 60 seconds, 24 hours, 30 February)
    if col.type in ("timestamp", "date"):
        return f"{_p(col.name)} IS NOT NULL"
    if col.type == "int":  # canonical digits only: the cast alone takes '5.0' and '1_000'
        return f"CAST(TRY_CAST({raw} AS BIGINT) AS VARCHAR) = {raw} AND ascii({raw}) <> 43"
    if col.type == "float":  # a '.' is the decimal mark only where the dialect says so
        plain = _PLAIN_FLOAT if ctx.decimal_mark == "." else "[0-9]{1,15}"
        return f"regexp_full_match({raw}, {lit(plain)})"
    if col.type == "bool":
        return f"{raw} IN ({', '.join(lit(k) for k in BOOL_VALUES)})"
    if col.allowed is not None:
        return f"{raw} IN ({', '.join(lit(a) for a in col.allowed)})"
    return None


# removed from every text value: BOM, NUL and the zero-width characters (an invisible BOM
# made a second, identical-looking KCK queue); then the text is normalised to NFC
INVISIBLE = "(" + " || ".join(f"chr({c})" for c in (0xFEFF, 0, 0x200B, 0x200C, 0x200D,
                                                        0x2060)) + ")"


def _x(name: str) -> str:
    """The visible text of a str column (:func:`visible`, computed once per value)."""
    return q(f"x__{name}")


def visible(expr: str) -> str:
    """SQL: ``expr`` without BOM, NUL or zero-width characters, in NFC.  A value of ASCII
    only (bytes = characters, no NUL: almost every value) is taken as it is."""
    return (f"CASE WHEN strlen({expr}) = length({expr}) AND NOT contains({expr}, chr(0)) "
            f"THEN {expr} ELSE nfc_normalize(translate({expr}, {INVISIBLE}, '')) END")


def _clean(col: Column, ctx: FileContext) -> str:
    raw = q(col.name)
    text = _x(col.name) if col.type == "str" else raw
    if _fast(col, ctx) is None:
        return cleaned(text)
    return f"CASE WHEN {_f(col.name)} THEN {raw} ELSE {cleaned(text)} END"


def _parts(col: Column) -> str | None:
    """The pieces of a timestamp that is not plain 'YYYY-MM-DD HH:MM:SS' (parsed once)."""
    if col.type != "timestamp":
        return None
    return (f"CASE WHEN NOT {_f(col.name)} THEN regexp_extract({v(col.name)}, "
            f"{lit(_TS_PARTS)}, ['d', 'hm', 's', 'f', 'z']) END")


def _parse(col: Column, ctx: FileContext) -> str:
    val, fast, raw = v(col.name), _f(col.name), q(col.name)
    if col.type == "str":
        return val
    if col.type == "int":
        return (f"CASE WHEN {fast} THEN CAST({raw} AS BIGINT) WHEN regexp_full_match({val}, "
                f"'[+-]?[0-9]{{1,19}}') THEN TRY_CAST({val} AS BIGINT) END")
    if col.type == "float":
        # spaces group digits ("1 500,50"); only the dialect's decimal mark is one
        num = f"regexp_replace({val}, '[\\s\\x{{00A0}}\\x{{202F}}]', '', 'g')"
        if ctx.decimal_mark == ",":
            num = f"CASE WHEN contains({num}, '.') THEN NULL ELSE replace({num}, ',', '.') END"
        return (f"CASE WHEN {fast} THEN CAST({raw} AS DOUBLE) "
                f"WHEN regexp_full_match({num}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)"
                f"([eE][+-]?[0-9]+)?') AND isfinite(TRY_CAST({num} AS DOUBLE)) "
                f"THEN TRY_CAST({num} AS DOUBLE) END")
    if col.type == "bool":
        cases = " ".join(f"WHEN {lit(k)} THEN {str(b).lower()}" for k, b in BOOL_VALUES.items())
        return f"CASE lower({val}) {cases} END"
    if col.type == "timestamp":
        m = _m(col.name)
        wall = (f"try_strptime({m}.d || ' ' || {m}.hm || "
                f"CASE WHEN {m}.s = '' THEN ':00' ELSE {m}.s END, '%Y-%m-%d %H:%M:%S') + "
                f"to_microseconds(CASE WHEN {m}.f = '' THEN 0 ELSE "
                f"CAST(rpad(substr({m}.f, 2, 6), 6, '0') AS BIGINT) END)")
        # an instant (with 'Z' or an offset) becomes Europe/Warsaw wall-clock time, as a
        # time-zone-aware Parquet timestamp does (reading._parquet_text)
        z = f"{m}.z"
        offset = (f"(CASE WHEN substr({z}, 1, 1) = '-' THEN -1 ELSE 1 END) * "
                  f"(CAST(substr({z}, 2, 2) AS INTEGER) * 60 + CASE WHEN length({z}) > 3 "
                  f"THEN CAST(right({z}, 2) AS INTEGER) ELSE 0 END)")
        minutes = f"CASE WHEN {z} = 'Z' THEN 0 ELSE {offset} END"
        valid = (f"({z} = 'Z' OR (CAST(right({z}, 2) AS INTEGER) < 60 AND abs({minutes}) <= "
                 f"{MAX_OFFSET_MINUTES}))")
        instant = (f"CASE WHEN {valid} THEN timezone('{LOCAL_ZONE}', timezone('UTC', "
                   f"{wall} - to_minutes({minutes}))) END")
        return (f"CASE WHEN {fast} THEN {_p(col.name)} "
                f"WHEN {m}.d <> '' AND {z} = '' THEN {wall} "
                f"WHEN {m}.d <> '' THEN {instant} END")
    if col.type == "date":
        return (f"CASE WHEN {fast} THEN {_p(col.name)} "
                f"WHEN regexp_full_match({val}, {lit(_PLAIN_DATE)}) "
                f"THEN CAST(try_strptime({val}, '%Y-%m-%d') AS DATE) END")
    raise ValueError(col.type)


def _show(col: Column) -> str:
    if col.pii:
        return "'<hidden>'"
    val = v(col.name)
    return (f"CASE WHEN length({val}) > {SHOW_CHARS} THEN substr({val}, 1, {SHOW_CHARS}) "
            f"|| '…' ELSE {val} END")


def _said(col: Column, rule: str) -> str:
    """`col='value' rule`."""
    return f"{lit(col.name + '=' + chr(39))} || {_show(col)} || {lit(chr(39) + ' ' + rule)}"


def _fmt_bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Rule:
    """A rule a row fails ``when`` (SQL, true); ``then`` is the reason (SQL text)."""

    when: str
    then: str

    def sql(self) -> str:
        return f"CASE WHEN {self.when} THEN {self.then} END"


def _column_rules(col: Column, ctx: FileContext) -> list[Rule]:
    val, typed = v(col.name), t(col.name)
    rules: list[Rule] = []
    if col.required:
        rules.append(Rule(f"{val} IS NULL", lit(f"{col.name} is empty (required)")))
    if col.type == "float":  # the other mark: a thousands separator or a decimal one?
        other = lit(ctx.other_mark)
        rules.append(Rule(f"contains({val}, {other})", _said(
            col, f"ambiguous: '{ctx.other_mark}' is not the decimal mark of this file "
                 f"('{ctx.decimal_mark}'), it may be a thousands separator")))
        rules.append(Rule(f"{val} IS NOT NULL AND {typed} IS NULL AND NOT contains({val}, "
                          f"{other})", _said(col, TYPE_RULES[col.type])))
    elif col.type != "str":
        rules.append(Rule(f"{val} IS NOT NULL AND {typed} IS NULL",
                          _said(col, TYPE_RULES[col.type])))
    if col.allowed is not None:  # (a raw value in the list is in it: the short cut)
        allowed = ", ".join(lit(a) for a in col.allowed)
        rules.append(Rule(f"CASE WHEN {_f(col.name)} THEN false ELSE {val} NOT IN ({allowed}) "
                          "END", _said(col, f"not in ({'|'.join(col.allowed)})")))
    if col.min is not None or col.max is not None:
        lo = col.min if col.min is not None else float("-inf")
        hi = col.max if col.max is not None else float("inf")
        out = [f"{typed} < {lo}"] if col.min is not None else []
        out += [f"{typed} > {hi}"] if col.max is not None else []
        rules.append(Rule(" OR ".join(out),
                          f"{lit(col.name + '=')} || {_show(col)} || "
                          f"{lit(f' not in {_fmt_bound(lo)}..{_fmt_bound(hi)}')}"))
    if col.max_chars is not None:
        rules.append(Rule(f"length({val}) > {col.max_chars}",
                          f"{lit(col.name + ' has ')} || length({val}) || "
                          f"{lit(f' characters, max {col.max_chars}')}"))
    if (col.ref is not None and col.ref in ctx.checked_refs
            and not is_parent_key(ctx.contract, col)):
        rules.append(Rule(f"{val} IS NOT NULL AND NOT {_k(col.name)}",
                          _said(col, f"unknown {REF_LABELS.get(col.ref, col.ref)}")))
    return rules


PLAUSIBLE_AHEAD = timedelta(days=1)  # clocks and time zones: no event is later than this


def _plausible_rules(col: Column, ctx: FileContext) -> list[Rule]:
    """A moment before its contract's floor, or an event after the load time plus a day,
    is implausible and rejected, naming the column: judged against fixed bounds only, never
    against other rows, so the rule does not depend on load order (and a card reviewed
    '2099-10-27' never moves the default as_of)."""
    if col.type not in ("timestamp", "date"):
        return []
    typed, floor = t(col.name), ctx.contract.floor
    rules = [Rule(f"{typed} < DATE {lit(floor)}",
                  _said(col, f"before {floor} (implausible: the floor of "
                             f"{ctx.contract.name})"))]
    if col.moment == "event" and ctx.loaded_at is not None:
        limit = (ctx.loaded_at + PLAUSIBLE_AHEAD).strftime(TEXT_FORMAT)
        rules.append(Rule(f"{typed} > TIMESTAMP {lit(limit)}",
                          _said(col, f"after the load time plus a day ({limit}): "
                                     "implausible")))
    return rules


def _order_rules(contract: Contract) -> list[Rule]:
    rules: list[Rule] = []
    for later, earlier in contract.order_rules:
        lc, ec = contract.column(later), contract.column(earlier)
        rules.append(Rule(f"{t(later)} < {t(earlier)}",
                          f"{_said(lc, 'before')} || {lit(f' {earlier}=' + chr(39))} || "
                          f"{_show(ec)} || ''''"))
    return rules


def _minutes(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%d %H:%M')"


def _span_rules(contract: Contract) -> list[Rule]:
    rules: list[Rule] = []
    for name, later, earlier, limit, text in SPAN_RULES:
        if name != contract.name:
            continue
        lcol = t(later)
        ecol = q(earlier) if earlier.startswith("__") else t(earlier)
        seconds = int(limit.total_seconds())
        rules.append(Rule(
            f"{lcol} - {ecol} > INTERVAL {seconds} SECOND",
            f"{lit(f'{text} ({earlier.lstrip(chr(95))} ')} || {_minutes(ecol)} || "
            f"{lit(f', {later} ')} || {_minutes(lcol)} || ')'"))
    return rules


def is_parent_key(contract: Contract, col: Column) -> bool:
    """Whether ``col`` names the parent record of a child contract (a ticket's events'
    ticket_id): an unknown one makes the row wait, not fail."""
    return (contract.parent is not None and col.name in (contract.set_key or ())
            and REF_TABLES.get(col.ref) == contract.parent)


def parent_rule(contract: Contract) -> Rule | None:
    """The rule a child row waits on: its parent record is not in raw (of an earlier load,
    or of this one: parents load first) — the row is held in raw.<contract>__pending and
    checked again when the parent arrives.  Only a row passing every other rule waits; one
    failing another is rejected with this reason among the others."""
    if contract.parent is None:
        return None
    col = contract.column(contract.set_key[0])
    label = REF_LABELS.get(col.ref, col.ref)
    return Rule(f"{t(col.name)} IS NOT NULL AND NOT __parent_known",
                _said(col, f"unknown {label} (not in {contract.parent} of this load nor "
                           f"raw.{contract.parent})"))


def _ticket_event_rules(contract: Contract) -> list[Rule]:
    return [
        Rule(f"{t('event_at')} < __ticket_opened_at",
             f"'event_at=''' || strftime({t('event_at')}, '{TEXT_FORMAT}') || "
             f"''' before its ticket opened_at=''' || "
             f"strftime(__ticket_opened_at, '{TEXT_FORMAT}') || ''''"),
    ]


def _key_text(contract: Contract, alias: str) -> str:
    parts = []
    for k in contract.key:
        col = contract.column(k)
        if col.type == "timestamp":
            parts.append(f"strftime({alias}.{t(k)}, '%Y-%m-%d %H:%M:%S.%f')")
        else:
            parts.append(f"CAST({alias}.{t(k)} AS VARCHAR)")
    return f"concat_ws('|', {', '.join(parts)})"  # an empty optional key part is left out


def rules(contract: Contract, ctx: FileContext) -> list[Rule]:
    """Every rule of one row of the contract, in the order reasons are reported (the rules
    that need the whole file follow: :func:`late_reasons_sql`)."""
    out = [Rule(f"{FIELD_PROBLEM} IS NOT NULL", FIELD_PROBLEM)]
    for col in contract.columns:
        out += _column_rules(col, ctx) + _plausible_rules(col, ctx)
    out += _order_rules(contract)
    out += _span_rules(contract)
    if contract.name == "ticket_events":
        out += _ticket_event_rules(contract)
    return out


def checked_sql(ctx: FileContext) -> str:
    """SELECT of the stage, in its order, with every value typed (``t__<column>``) and the
    reasons of the row rules (NULL: the row passes every one of them)."""
    contract = ctx.contract
    plain = [f"{p} AS {_p(c.name)}" for c in contract.columns if (p := _plain(c)) is not None]
    fast = [f"coalesce({f}, false) AS {_f(c.name)}" for c in contract.columns
            if (f := _fast(c, ctx)) is not None]
    cleaned = [f"{_clean(c, ctx)} AS {v(c.name)}" for c in contract.columns]
    typed = [f"{_parse(c, ctx)} AS {t(c.name)}" for c in contract.columns]
    parts = [f"{p} AS {_m(c.name)}" for c in contract.columns if (p := _parts(c)) is not None]
    source = f"(SELECT *{''.join(', ' + p for p in plain)} FROM {ctx.stage})"
    source = f"(SELECT *{''.join(', ' + f for f in fast)} FROM {source})"
    texts = [f"{visible(q(c.name))} AS {_x(c.name)}" for c in contract.columns
             if c.type == "str"]
    if texts:
        source = f"(SELECT *, {', '.join(texts)} FROM {source})"
    source = f"(SELECT *, {', '.join(cleaned)} FROM {source})"
    refs = [c for c in contract.columns if c.ref is not None and c.ref in ctx.checked_refs]
    if refs:  # one join per reference column, on its cleaned value
        known = ", ".join(f"{q('r__' + c.name)}.code IS NOT NULL AS {_k(c.name)}" for c in refs)
        joins = " ".join(f"LEFT JOIN (SELECT DISTINCT code FROM {ctx.codes} WHERE ref = "
                         f"{lit(c.ref)}) AS {q('r__' + c.name)} ON {q('r__' + c.name)}.code = "
                         f"s.{v(c.name)}" for c in refs)
        source = f"(SELECT s.*, {known} FROM {source} AS s {joins})"
    if parts:
        source = f"(SELECT *, {', '.join(parts)} FROM {source})"
    source = f"(SELECT *, {', '.join(typed)} FROM {source})"
    if contract.parent is not None:  # the parent record in raw, if it is there
        extra = "".join(f", par.{q(c)} AS {q(a)}"
                        for c, a in PARENT_COLUMNS.get(contract.name, {}).items())
        match = " AND ".join(f"par.{q(k)} = typed.{t(k)}" for k in contract.set_key)
        source = (f"(SELECT typed.*, par.{q(contract.set_key[0])} IS NOT NULL AS "
                  f"__parent_known{extra} FROM {source} AS typed "
                  f"LEFT JOIN raw.{contract.parent} AS par ON {match})")
    checks = rules(contract, ctx)
    # the reasons are written for the rows that fail a rule only
    reasons = (f"CASE WHEN {' OR '.join(f'coalesce({r.when}, false)' for r in checks)} THEN "
               f"concat_ws('; ', {', '.join(r.sql() for r in checks)}) END")
    waits = parent_rule(contract)
    pending = (f"CASE WHEN coalesce({waits.when}, false) THEN {waits.sql()} END"
               if waits is not None else "NULL::VARCHAR")
    out = ", ".join(t(c.name) for c in contract.columns)
    return (f"SELECT {ROW}, {out}, {reasons} AS {REASON}, {pending} AS {PENDING} "
            f"FROM {source}")


def _resolved_before_opened(checked: str) -> str:
    tid, event, at = t("ticket_id"), t("event"), t("event_at")
    opened = (
        f"SELECT tid, min(ts) AS opened_at FROM (SELECT {tid} AS tid, {at} AS ts "
        f"FROM {checked} WHERE {event} = 'opened' UNION ALL SELECT ticket_id, event_at "
        f"FROM raw.ticket_events WHERE event = 'opened' AND ticket_id IN (SELECT {tid} "
        f"FROM {checked} WHERE {event} = 'resolved')) GROUP BY tid")
    reason = (f"'resolved at ' || {lit(chr(39))} || strftime(c.{at}, '{TEXT_FORMAT}') || "
              f"{lit(chr(39) + ' before the ticket' + chr(39) + 's opened event at ' + chr(39))}"
              f" || strftime(o.opened_at, '{TEXT_FORMAT}') || {lit(chr(39))}")
    return (f"SELECT c.{ROW}, 1 AS rule, {reason} AS reason FROM {checked} AS c "
            f"JOIN ({opened}) AS o ON o.tid = c.{tid} "
            f"WHERE c.{event} = 'resolved' AND c.{at} < o.opened_at")


def key_match(contract: Contract, left: str, right: str, right_col=t, left_col=t
              ) -> list[str]:
    """SQL: the key of ``left`` equals the key of ``right``, an empty value of an optional
    key column matching an empty one (IS NOT DISTINCT FROM)."""
    return [f"{left}.{left_col(k)} {'=' if contract.column(k).required else 'IS NOT DISTINCT FROM'}"
            f" {right}.{right_col(k)}" for k in contract.key]


def _duplicate_key(contract: Contract, checked: str) -> str:
    """Rows whose complete key comes again later in the file.  Grouping by a 64-bit hash
    of the key is several times cheaper than by the key itself; the few candidates are
    then matched on the key."""
    keys = ", ".join(t(k) for k in contract.key)
    # an optional key column (ticket_events.event_seq) may be empty: empty is then a value
    complete = " AND ".join(f"{t(k)} IS NOT NULL" for k in contract.key
                            if contract.column(k).required)
    match = " AND ".join(key_match(contract, "d", "c"))
    candidates = (f"SELECT {keys}, {ROW} FROM {checked} WHERE {complete} AND hash({keys}) IN "
                  f"(SELECT h FROM (SELECT hash({keys}) AS h FROM {checked} WHERE {complete}) "
                  f"GROUP BY h HAVING count(*) > 1)")
    return (f"SELECT * FROM (WITH cand AS MATERIALIZED ({candidates}) "
            f"SELECT c.{ROW}, 2 AS rule, 'duplicate key in file (' || "
            f"{_key_text(contract, 'c')} || ' repeated in row ' || d.last || "
            f"', the last one wins)' AS reason FROM cand AS c JOIN (SELECT {keys}, "
            f"max({ROW}) AS last FROM cand GROUP BY ALL HAVING count(*) > 1) AS d "
            f"ON {match} WHERE c.{ROW} <> d.last)")


def late_reasons_sql(contract: Contract, checked: str) -> str:
    """SELECT (_source_row, reason) of the rows of ``checked`` that fail a rule needing the
    whole file, their reasons joined in rule order: a 'resolved' event before the ticket's
    first 'opened' event (in this file, good row or not, or already in raw.ticket_events),
    then the duplicate key (the last row wins)."""
    parts = [_resolved_before_opened(checked)] if contract.name == "ticket_events" else []
    parts.append(_duplicate_key(contract, checked))
    return (f"SELECT {ROW}, string_agg(reason, '; ' ORDER BY rule) AS reason FROM ("
            f"{' UNION ALL '.join(parts)}) GROUP BY {ROW}")
