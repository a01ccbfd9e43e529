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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f"  # after 'T' → ' ' and ':00' added to HH:MM
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
    ``opened_events`` (ticket_id, opened_event_at) serve the ticket_events rules.
    """

    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    tickets: pl.DataFrame | None = None
    opened_events: pl.DataFrame | None = None


@dataclass
class Validated:
    good: pl.DataFrame  # _source_row + typed contract columns
    rejected: pl.DataFrame  # _source_row + original text columns + reject_reason

    @property
    def rows_read(self) -> int:
        return self.good.height + self.rejected.height


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
        # one parse: 'T' → ' ', and seconds added to 'YYYY-MM-DD HH:MM'
        spaced = v.str.replace("T", " ", literal=True)
        full = pl.when(spaced.str.len_bytes() == 16).then(spaced + ":00").otherwise(spaced)
        return full.str.strptime(pl.Datetime("us"), TIMESTAMP_FORMAT, strict=False)
    if col.type == "date":
        return v.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    raise ValueError(col.type)


TYPE_RULES = {"int": "not an integer", "float": "not a number",
              "bool": "not a boolean (true/false/1/0/tak/nie)",
              "timestamp": "timestamp format", "date": "date format"}


def _fmt_bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _column_rules(col: Column, lookups: Lookups) -> list[pl.Expr]:
    v = _clean(col.name)
    typed = pl.col(_t(col.name))
    rules: list[pl.Expr] = []
    if col.required:
        rules.append(pl.when(v.is_null()).then(pl.lit(f"{col.name} is empty (required)")))
    if col.type != "str":
        rules.append(pl.when(v.is_not_null() & typed.is_null())
                     .then(_said(col, TYPE_RULES[col.type])))
    if col.allowed is not None:
        rules.append(pl.when(v.is_not_null() & ~v.is_in(list(col.allowed)))
                     .then(_said(col, f"not in ({'|'.join(col.allowed)})")))
    if col.min is not None or col.max is not None:
        lo = col.min if col.min is not None else float("-inf")
        hi = col.max if col.max is not None else float("inf")
        rules.append(
            pl.when((typed < lo) | (typed > hi)).then(
                pl.concat_str([pl.lit(f"{col.name}="), _show(col),
                               pl.lit(f" not in {_fmt_bound(lo)}..{_fmt_bound(hi)}")]))
        )
    if col.max_chars is not None:
        n = v.str.len_chars()
        rules.append(pl.when(n > col.max_chars).then(
            pl.format(f"{col.name} has {{}} characters, max {col.max_chars}", n)))
    if col.ref is not None and col.ref in lookups.codes:
        known = sorted(lookups.codes[col.ref])
        rules.append(pl.when(v.is_not_null() & ~v.is_in(known))
                     .then(_said(col, f"unknown {REF_LABELS.get(col.ref, col.ref)}")))
    return rules


def _order_rules(contract: Contract) -> list[pl.Expr]:
    rules = []
    for later, earlier in contract.order_rules:
        lc, ec = contract.column(later), contract.column(earlier)
        rules.append(pl.when(pl.col(_t(later)) < pl.col(_t(earlier))).then(
            pl.concat_str([_said(lc, "before"), pl.lit(f" {earlier}='"), _show(ec), pl.lit("'")])
        ))
    return rules


def _span_rules(contract: Contract, columns: list[str]) -> list[pl.Expr]:
    rules = []
    for name, later, earlier, limit, text in SPAN_RULES:
        if name != contract.name:
            continue
        lcol = _t(later)
        ecol = earlier if earlier.startswith("__") else _t(earlier)
        if ecol not in columns:
            continue
        rules.append(pl.when(pl.col(lcol) - pl.col(ecol) > limit).then(
            pl.format(f"{text} ({earlier.lstrip('_')} {{}}, {later} {{}})",
                      pl.col(ecol).dt.strftime("%Y-%m-%d %H:%M"),
                      pl.col(lcol).dt.strftime("%Y-%m-%d %H:%M"))))
    return rules


def _ticket_event_context(frame: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """Add __ticket_opened_at (from tickets) and __opened_event_at (the 'opened' event)."""
    tickets = lookups.tickets if lookups.tickets is not None else pl.DataFrame(
        schema={"ticket_id": pl.String, "opened_at": pl.Datetime("us")})
    tickets = tickets.select(pl.col("ticket_id").alias(_t("ticket_id")),
                             pl.col("opened_at").cast(pl.Datetime("us"))
                             .alias("__ticket_opened_at"),
                             pl.lit(True).alias("__ticket_known"))
    in_file = frame.filter(pl.col(_t("event")) == "opened").group_by(_t("ticket_id")).agg(
        pl.col(_t("event_at")).min().alias("__opened_event_at"))
    earlier = lookups.opened_events if lookups.opened_events is not None else pl.DataFrame(
        schema={"ticket_id": pl.String, "opened_event_at": pl.Datetime("us")})
    earlier = earlier.select(pl.col("ticket_id").alias(_t("ticket_id")),
                             pl.col("opened_event_at").cast(pl.Datetime("us"))
                             .alias("__opened_event_at"))
    opened = pl.concat([in_file, earlier]).group_by(_t("ticket_id")).agg(
        pl.col("__opened_event_at").min())
    return (frame.join(tickets, on=_t("ticket_id"), how="left")
            .join(opened, on=_t("ticket_id"), how="left")
            .sort(ROW))


def _ticket_event_rules(contract: Contract) -> list[pl.Expr]:
    tid = contract.column("ticket_id")
    event_at = pl.col(_t("event_at"))
    return [
        pl.when(pl.col(_t("ticket_id")).is_not_null() & pl.col("__ticket_known").is_null())
        .then(_said(tid, "unknown ticket (not in tickets of this load nor raw.tickets)")),
        pl.when(event_at < pl.col("__ticket_opened_at")).then(pl.format(
            "event_at='{}' before its ticket opened_at='{}'",
            event_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
            pl.col("__ticket_opened_at").dt.strftime("%Y-%m-%d %H:%M:%S"))),
        pl.when((pl.col(_t("event")) == "resolved") & (event_at < pl.col("__opened_event_at")))
        .then(pl.format("resolved at '{}' before the ticket's opened event at '{}'",
                        event_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
                        pl.col("__opened_event_at").dt.strftime("%Y-%m-%d %H:%M:%S"))),
    ]


def _duplicate_rule(contract: Contract) -> pl.Expr:
    keys = [_t(k) for k in contract.key]
    last = pl.col(ROW).max().over(keys)
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    return pl.when(complete & (pl.col(ROW) != last)).then(
        pl.format("duplicate key in file ({} repeated in row {}, the last one wins)",
                  pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="|"),
                  last))


def validate(frame: pl.DataFrame, contract: Contract, lookups: Lookups) -> Validated:
    """Split a text frame into typed good rows and rejected rows with reasons."""
    cleaned = frame.with_columns([_cleaned(c.name) for c in contract.columns])
    typed = cleaned.with_columns([_parse(c).alias(_t(c.name)) for c in contract.columns])
    ref_keys = {c.ref for c in contract.columns if c.ref}
    if REF_TICKETS in ref_keys and contract.name == "ticket_events":
        typed = _ticket_event_context(typed, lookups)
    rules: list[pl.Expr] = [pl.col(FIELD_PROBLEM)]
    for col in contract.columns:
        rules += _column_rules(col, lookups)
    rules += _order_rules(contract)
    rules += _span_rules(contract, typed.columns)
    if contract.name == "ticket_events":
        rules += _ticket_event_rules(contract)
    rules.append(_duplicate_rule(contract))
    reason = pl.concat_str(rules, separator="; ", ignore_nulls=True)
    checked = typed.with_columns(reason.fill_null("").alias("__reason"))
    is_bad = pl.col("__reason") != ""
    good = checked.filter(~is_bad).select(
        [pl.col(ROW)] + [pl.col(_t(c.name)).alias(c.name) for c in contract.columns])
    rejected = checked.filter(is_bad).select(
        [pl.col(ROW)] + [pl.col(c.name) for c in contract.columns]
        + [pl.format("row {}: {}", pl.col(ROW), pl.col("__reason")).alias("reject_reason")])
    assert good.height + rejected.height == frame.height, "row accounting broken in validate"
    return Validated(good, rejected)
