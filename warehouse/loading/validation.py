"""Row validation against a source contract, vectorised with polars expressions.

Input: the text frame from :mod:`warehouse.loading.reading`.  Output: the good rows, typed,
and the bad rows with their original text and a ``reject_reason`` that lists *every* rule
the row fails, e.g. ``row 17: priority=7 not in 1..4; opened_at='2025-13-01' timestamp
format``.

Rules, in the order they are reported: the record's field count (truncated line), then per
column: required value present, type (int; float with '.' or ','; bool true/false/1/0/
tak/nie; timestamp ``YYYY-MM-DD HH:MM[:SS[.f]]`` with ' ' or 'T'; date ``YYYY-MM-DD``),
allowed values, min..max, max_chars, known code (units, topics, portal areas from the
seeds; services, projects and tickets from raw.* including this load's earlier files);
then the contract's order rules (later not before earlier), the absurd-duration rules below,
for ticket events the ticket's opened_at and the ticket's 'opened' event, and last the
duplicate key inside the file, where the LAST occurrence wins and the earlier ones are
rejected (if the last one is itself bad, the file loads nothing for that key).

A file is validated batch by batch (:func:`validate`).  The two rules that need the whole
file — a 'resolved' event before the ticket's first 'opened' event
(:func:`resolved_before_opened`) and the duplicate key (found in DuckDB by
:func:`warehouse.loading.writing.duplicate_rows`, worded by :func:`duplicate_reasons`) — are
applied once the whole file is written, their reasons appended last (:func:`late_reasons`),
so a reason reads the same as if the file were checked in one piece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import polars as pl

from warehouse.contracts import (
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TICKETS,
    REF_TOPICS,
    REF_UNITS,
    Column,
    Contract,
)
from warehouse.loading.reading import FIELD_PROBLEM, ROW

KEY_PREFIX = "_key_"  # rejected rows keep their typed natural key in _key_<column>
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f"  # after 'T' → ' ' and ':00' added to HH:MM
PLAIN_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
BOOL_VALUES = {"true": True, "false": False, "1": True, "0": False, "tak": True, "nie": False,
               "t": True, "f": False, "yes": True, "no": False}
SHOW_CHARS = 60  # a value shown in a reason is cut to this many characters

# Durations no real record has: (contract, later, earlier, limit, rule text)
SPAN_RULES: tuple[tuple[str, str, str, timedelta, str], ...] = (
    ("calls", "ended_at", "offered_at", timedelta(hours=8), "call longer than 8 h"),
    ("calls", "answered_at", "offered_at", timedelta(hours=8), "wait longer than 8 h"),
    ("ticket_events", "event_at", "__ticket_opened_at", timedelta(days=3 * 366),
     "event more than 3 years after the ticket opened"),
)

REF_LABELS = {REF_UNITS: "unit code", REF_TOPICS: "topic code",
              REF_PORTAL_AREAS: "portal area", REF_SERVICES: "service code",
              REF_PROJECTS: "project", REF_TICKETS: "ticket"}


@dataclass
class Lookups:
    """What foreign keys are checked against.

    ``codes`` maps a REF_* name to its known codes.  ``tickets`` (ticket_id, opened_at) and
    ``opened_events`` (ticket_id, opened_event_at) serve the ticket_events rules: the
    tickets of the batch being validated, the first 'opened' events of the file's tickets
    (:func:`warehouse.loading.writing.tickets_of_batch`).
    """

    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    tickets: pl.DataFrame | None = None
    opened_events: pl.DataFrame | None = None


class Rule(NamedTuple):
    """A rule a row fails ``when`` true; ``then`` is the reason text (non-null then)."""

    when: pl.Expr
    then: pl.Expr


@dataclass
class Validated:
    good: pl.DataFrame  # _source_row + typed contract columns
    rejected: pl.DataFrame  # _source_row + original text columns + reject_reason + _key_*
    # ticket_events: _source_row, ticket_id, event, event_at of the opened/resolved events
    events: pl.DataFrame | None = None


def _t(name: str) -> str:
    return f"__t_{name}"


def _v(name: str) -> str:
    return f"__v_{name}"


def _clean(name: str) -> pl.Expr:
    """The cleaned value (stripped, empty = null), computed once per column in validate()."""
    return pl.col(_v(name))


def _cleaned(name: str) -> pl.Expr:
    v = pl.col(name).str.strip_chars()
    return pl.when(v == "").then(None).otherwise(v).alias(_v(name))


def _show(col: Column) -> pl.Expr:
    if col.pii:
        return pl.lit("<hidden>")
    v = _clean(col.name)
    return pl.when(v.str.len_chars() > SHOW_CHARS).then(
        v.str.slice(0, SHOW_CHARS) + pl.lit("…")
    ).otherwise(v)


def _said(col: Column, rule: str) -> pl.Expr:
    """`col='value' rule`."""
    return pl.concat_str([pl.lit(f"{col.name}='"), _show(col), pl.lit(f"' {rule}")])


def _parse(col: Column) -> pl.Expr:
    v = _clean(col.name)
    if col.type == "str":
        return v
    if col.type == "int":
        return v.cast(pl.Int64, strict=False)
    if col.type == "float":
        num = v.str.replace_all(r"[\s\u00a0]", "").str.replace(",", ".", literal=True) \
            .cast(pl.Float64, strict=False)
        return pl.when(num.is_finite()).then(num).otherwise(None)
    if col.type == "bool":
        return v.str.to_lowercase().replace_strict(BOOL_VALUES, default=None,
                                                   return_dtype=pl.Boolean)
    if col.type == "timestamp":
        # fast path for the usual 'YYYY-MM-DD HH:MM:SS' (3x faster without '%.f'); the rest:
        # 'T' → ' ', and seconds added to 'YYYY-MM-DD HH:MM', then the full format
        plain = pl.when(v.str.len_bytes() == 19).then(v).str.strptime(
            pl.Datetime("us"), PLAIN_TIMESTAMP_FORMAT, strict=False)
        spaced = pl.when(plain.is_null()).then(v).str.replace("T", " ", literal=True)
        full = pl.when(spaced.str.len_bytes() == 16).then(spaced + ":00").otherwise(spaced)
        return pl.coalesce(plain, full.str.strptime(pl.Datetime("us"), TIMESTAMP_FORMAT,
                                                    strict=False))
    if col.type == "date":
        return v.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    raise ValueError(col.type)


TYPE_RULES = {"int": "not an integer", "float": "not a number",
              "bool": "not a boolean (true/false/1/0/tak/nie)",
              "timestamp": "timestamp format", "date": "date format"}


def _fmt_bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _column_rules(col: Column, lookups: Lookups) -> list[Rule]:
    v = _clean(col.name)
    typed = pl.col(_t(col.name))
    rules: list[Rule] = []
    if col.required:
        rules.append(Rule(v.is_null(), pl.lit(f"{col.name} is empty (required)")))
    if col.type != "str":
        rules.append(Rule(v.is_not_null() & typed.is_null(), _said(col, TYPE_RULES[col.type])))
    if col.allowed is not None:
        rules.append(Rule(v.is_not_null() & ~v.is_in(list(col.allowed)),
                          _said(col, f"not in ({'|'.join(col.allowed)})")))
    if col.min is not None or col.max is not None:
        lo = col.min if col.min is not None else float("-inf")
        hi = col.max if col.max is not None else float("inf")
        rules.append(Rule((typed < lo) | (typed > hi), pl.concat_str(
            [pl.lit(f"{col.name}="), _show(col),
             pl.lit(f" not in {_fmt_bound(lo)}..{_fmt_bound(hi)}")])))
    if col.max_chars is not None:
        n = v.str.len_chars()
        rules.append(Rule(n > col.max_chars,
                          pl.format(f"{col.name} has {{}} characters, max {col.max_chars}", n)))
    if col.ref is not None and col.ref in lookups.codes:
        known = sorted(lookups.codes[col.ref])
        rules.append(Rule(v.is_not_null() & ~v.is_in(known),
                          _said(col, f"unknown {REF_LABELS.get(col.ref, col.ref)}")))
    return rules


def _order_rules(contract: Contract) -> list[Rule]:
    rules: list[Rule] = []
    for later, earlier in contract.order_rules:
        lc, ec = contract.column(later), contract.column(earlier)
        rules.append(Rule(pl.col(_t(later)) < pl.col(_t(earlier)), pl.concat_str(
            [_said(lc, "before"), pl.lit(f" {earlier}='"), _show(ec), pl.lit("'")])))
    return rules


def _span_rules(contract: Contract, columns: list[str]) -> list[Rule]:
    rules: list[Rule] = []
    for name, later, earlier, limit, text in SPAN_RULES:
        if name != contract.name:
            continue
        lcol = _t(later)
        ecol = earlier if earlier.startswith("__") else _t(earlier)
        if ecol not in columns:
            continue
        rules.append(Rule(pl.col(lcol) - pl.col(ecol) > limit, pl.format(
            f"{text} ({earlier.lstrip('_')} {{}}, {later} {{}})",
            pl.col(ecol).dt.strftime("%Y-%m-%d %H:%M"),
            pl.col(lcol).dt.strftime("%Y-%m-%d %H:%M"))))
    return rules


def _ticket_event_context(frame: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """Add __ticket_known and __ticket_opened_at (from the tickets lookup)."""
    tickets = lookups.tickets if lookups.tickets is not None else pl.DataFrame(
        schema={"ticket_id": pl.String, "opened_at": pl.Datetime("us")})
    tickets = tickets.select(pl.col("ticket_id").alias(_t("ticket_id")),
                             pl.col("opened_at").cast(pl.Datetime("us"))
                             .alias("__ticket_opened_at"),
                             pl.lit(True).alias("__ticket_known"))
    return frame.join(tickets, on=_t("ticket_id"), how="left").sort(ROW)


def _ticket_event_rules(contract: Contract) -> list[Rule]:
    tid = contract.column("ticket_id")
    event_at = pl.col(_t("event_at"))
    return [
        Rule(pl.col(_t("ticket_id")).is_not_null() & pl.col("__ticket_known").is_null(),
             _said(tid, "unknown ticket (not in tickets of this load nor raw.tickets)")),
        Rule(event_at < pl.col("__ticket_opened_at"), pl.format(
            "event_at='{}' before its ticket opened_at='{}'",
            event_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
            pl.col("__ticket_opened_at").dt.strftime("%Y-%m-%d %H:%M:%S"))),
    ]


def validate(frame: pl.DataFrame, contract: Contract, lookups: Lookups) -> Validated:
    """Split a text frame into typed good rows and rejected rows with reasons, by every
    rule but the file-wide ones (see :func:`resolved_before_opened`; duplicate keys)."""
    cleaned = frame.with_columns([_cleaned(c.name) for c in contract.columns])
    typed = cleaned.with_columns([_parse(c).alias(_t(c.name)) for c in contract.columns])
    events = None
    if contract.name == "ticket_events":
        typed = _ticket_event_context(typed, lookups)
        events = typed.filter(pl.col(_t("event")).is_in(["opened", "resolved"])).select(
            ROW, *[pl.col(_t(c)).alias(c) for c in ("ticket_id", "event", "event_at")])
    rules = [Rule(pl.col(FIELD_PROBLEM).is_not_null(), pl.col(FIELD_PROBLEM))]
    for col in contract.columns:
        rules += _column_rules(col, lookups)
    rules += _order_rules(contract)
    rules += _span_rules(contract, typed.columns)
    if contract.name == "ticket_events":
        rules += _ticket_event_rules(contract)
    # which rows fail is cheap to find; the reasons are written for those rows only
    is_bad = pl.any_horizontal([r.when.fill_null(False) for r in rules])
    checked = typed.with_columns(is_bad.alias("__bad"))
    good = checked.filter(~pl.col("__bad")).select(
        [pl.col(ROW)] + [pl.col(_t(c.name)).alias(c.name) for c in contract.columns])
    reason = pl.concat_str([pl.when(r.when).then(r.then) for r in rules], separator="; ",
                           ignore_nulls=True)
    rejected = checked.filter(pl.col("__bad")).with_columns(reason.alias("__reason")).select(
        [pl.col(ROW)] + [pl.col(c.name) for c in contract.columns]
        + [pl.format("row {}: {}", pl.col(ROW), pl.col("__reason")).alias("reject_reason")]
        + [pl.col(_t(k)).alias(KEY_PREFIX + k) for k in contract.key])
    assert good.height + rejected.height == frame.height, "row accounting broken in validate"
    return Validated(good, rejected, events)


def resolved_before_opened(events: list[pl.DataFrame], lookups: Lookups) -> pl.DataFrame:
    """Rows of a ticket_events file whose 'resolved' event precedes the ticket's first
    'opened' event (in this file, good row or not, or already in raw.ticket_events):
    _source_row and the reason, in row order."""
    schema = {ROW: pl.Int64, "ticket_id": pl.String, "event": pl.String,
              "event_at": pl.Datetime("us")}
    found = pl.concat([pl.DataFrame(schema=schema), *events])
    in_file = found.filter(pl.col("event") == "opened").group_by("ticket_id").agg(
        pl.col("event_at").min().alias("opened_at"))
    earlier = lookups.opened_events if lookups.opened_events is not None else pl.DataFrame(
        schema={"ticket_id": pl.String, "opened_event_at": pl.Datetime("us")})
    earlier = earlier.select("ticket_id", pl.col("opened_event_at").cast(pl.Datetime("us"))
                             .alias("opened_at"))
    opened = pl.concat([in_file, earlier]).group_by("ticket_id").agg(pl.col("opened_at").min())
    event_at = pl.col("event_at")
    return (found.filter(pl.col("event") == "resolved")
            .join(opened, on="ticket_id", how="inner")
            .filter(event_at < pl.col("opened_at"))
            .sort(ROW)
            .select(ROW, pl.format("resolved at '{}' before the ticket's opened event at '{}'",
                                   event_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
                                   pl.col("opened_at").dt.strftime("%Y-%m-%d %H:%M:%S"))
                    .alias("reason")))


def duplicate_reasons(dups: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Reasons for rows whose key comes again later in the file.

    ``dups``: _source_row, last_row and the typed key columns (from
    :func:`warehouse.loading.writing.duplicate_rows`)."""
    key = pl.concat_str([pl.col(k).cast(pl.String) for k in contract.key], separator="|")
    return dups.select(ROW, pl.format(
        "duplicate key in file ({} repeated in row {}, the last one wins)", key,
        pl.col("last_row")).alias("reason"))


def late_reasons(*found: pl.DataFrame) -> pl.DataFrame:
    """The file-wide rules' reasons (frames of _source_row, reason, in rule order), one row
    per _source_row with the reasons joined by '; '."""
    empty = pl.DataFrame(schema={ROW: pl.Int64, "reason": pl.String, "rule": pl.Int64})
    ranked = [f.select(pl.col(ROW).cast(pl.Int64), "reason", pl.lit(i, pl.Int64).alias("rule"))
              for i, f in enumerate(found)]
    return (pl.concat([empty, *ranked]).sort(ROW, "rule")
            .group_by(ROW, maintain_order=True).agg(pl.col("reason").str.join("; ")))
