"""Import profiles and city mappings: what a native export holds and how it becomes the
contracts.  Both are TOML files (:mod:`tomllib`); the built-in profiles are such files in
``warehouse/importing/profiles/``, so a city copies one and edits it.

A **profile** (one source system's export format)::

    name = "socrata-311"
    formats = ["csv"]                      # csv | json | xml (GeoReport v2)
    timezone = "America/New_York"          # the wall clock the source writes
    null_tokens = ["", "N/A"]              # values that mean "empty"
    timestamp_formats = ["%m/%d/%Y %I:%M:%S %p", ...]   # DuckDB strptime, tried in order
    shape = "rows"                         # rows | snapshot_log | stage_times

    [columns]                              # EVERY native column: hash | drop | keep
    unique_key = "keep"
    incident_address = "drop"

    [feeds.submissions.columns]            # contract column = where it comes from
    submission_id = "unique_key"
    received_at = { from = "created_date", as = "timestamp" }
    channel = { from = ["open_data_channel_type", "request_source"], codes = "channels" }
    kind = { value = "problem" }

    [codes.channels]                       # a code list: source value -> warehouse value
    target = "channels"                    # units | services | topics | districts | …
    policy = "fallback"                    # reject | keep (as unmapped) | fallback
    fallback = "other"
    map = { phone = "phone", online = "portal" }

    [[feeds.ticket_events.rows]]           # several contract rows per native row
    event = { value = "resolved" }
    event_at = { from = "resolved_at", as = "timestamp" }
    skip_empty = "event_at"                # no row where it is empty

    [[variants]]                           # chosen by the columns a file has (the first
    name = "la"                            # whose when_columns are all there and none
    when_columns = ["srnumber"]            # of its unless_columns)
    timezone = "America/Los_Angeles"       # any top-level key, replacing the profile's

    [shape_options]                        # what a shape needs beyond column specs

Column names are matched whatever their header style: ``Created Date``, ``CreatedDate``
and ``created_date`` are one column (:func:`canonical`).  A column spec's ``as`` is
``text`` (default), ``timestamp`` (a local time of the source's zone, parsed by
``timestamp_formats`` and converted to Europe/Warsaw — never relabelled), ``instant``
(ISO 8601 with an offset, passed to the loader, which converts it; without an offset it
is read as ``timestamp``), ``leading_int`` (``3 - Moderate`` → 3) or ``hash`` (a personal
identifier fed to a column the contract does not hash itself, e.g. an agent's name: the
keyed hash of :mod:`warehouse.pii`).  ``null`` adds null tokens of that column; ``when =
{column, in}`` keeps the value only on rows whose column is one of the values; ``cases =
[{column, matches, value, only_if}]`` overrides the value where a regular expression
matches (Open311's ``status_notes``).

A **mapping** (``--mapping city.toml``, one city's codes) has a table per code list of the
profile, with ``map``, ``policy`` and ``fallback`` replacing or extending the profile's,
and an optional ``timezone``::

    timezone = "America/New_York"
    [groups]
    policy = "fallback"
    fallback = "IT-02-3"
    map = { "Group 56" = "IT-02-4" }

An empty target (``"Group 56" = ""``, as ``--write-mapping`` writes) is not yet mapped.
A mapping may also carry the city's IT service catalogue, loaded before the tickets of
each import (instead of the default one; the loader checks it as a catalogue file)::

    [[catalogue]]
    service_code = "APP-EZD"
    name_pl = "Elektroniczne zarządzanie dokumentacją"
    name_en = "Electronic document management"
    owner_unit = "IT-02-4"
    criticality = 2
    support_hours = "business"
    status = "active"
    valid_from = "2020-01-01"

A profile (or one of its variants) or a mapping may declare the source's **working
calendar** — the business clock of the tickets it feeds (``tickets.calendar_code``); the
mapping's ``[calendar]`` replaces the profile's whole, and without either the tickets run
on UMK's (Mon–Fri 07:30–15:30, Polish holidays; ``code = "UMK"`` alone says so)::

    [calendar]
    code = "IL-SUN-THU"
    weekdays = [7, 1, 2, 3, 4]             # ISO: 1 = Monday … 7 = Sunday
    day_start = "07:00"                    # the source's own wall clock (its timezone,
    day_end = "24:00"                      # or the calendar's `timezone`); 24:00 = midnight
    holidays = "IL"                        # a country of the holidays package; "" = none

The import writes it to raw.working_calendars (the newest declaration of a code wins)
before the tickets that name it (:mod:`warehouse.calendar`; dbt/DECISIONS.md § 2).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.calendar import CalendarError, WorkingCalendar, parse_calendar
from warehouse.contracts import CONTRACTS, REF_SERVICES, REF_TOPICS, REF_UNITS

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
PII_POLICIES = ("hash", "drop", "keep")
CODE_POLICIES = ("reject", "keep", "fallback")
SHAPES = ("rows", "snapshot_log", "stage_times")
KINDS = ("text", "timestamp", "instant", "leading_int", "hash")
# the code lists whose unknown codes the loader can keep, flagged as unmapped
UNMAPPED_REFS = {"units": REF_UNITS, "services": REF_SERVICES, "topics": REF_TOPICS}
# what each target of a code list accepts (None: checked by the loader against the seeds)
TARGETS: dict[str, tuple[str, ...] | None] = {
    "units": None, "services": None, "topics": None,
    "districts": tuple(str(d) for d in range(1, 19)),
    "channels": CONTRACTS["submissions"].column("channel").allowed,
    "outcomes": CONTRACTS["submissions"].column("outcome").allowed,
    "ticket_channels": CONTRACTS["tickets"].column("channel").allowed,
    "ticket_states": ("new", "active", "on_hold", "resolved", "closed"),
    "priorities": ("1", "2", "3", "4"),
}


class ProfileError(ValueError):
    """A profile or mapping file that cannot be used; the message names the file and key."""


def canonical(name: str) -> str:
    """The name of a native column whatever its header style: lower-case letters and
    digits only (``Created Date``, ``CreatedDate``, ``created_date`` → ``createddate``)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


@dataclass(frozen=True)
class ColumnSpec:
    """Where one contract column (or shape input) comes from."""

    sources: tuple[str, ...] = ()  # canonical native columns, the first present is used
    kind: str = "text"
    value: str | None = None  # a constant
    codes: str | None = None  # a code list
    nulls: tuple[str, ...] = ()
    when: tuple[str, tuple[str, ...]] | None = None
    cases: tuple[tuple[str, str, str, str | None], ...] = ()  # column, regex, value, only_if

    @classmethod
    def parse(cls, spec: Any, where: str) -> ColumnSpec:
        if isinstance(spec, str):
            spec = {"from": spec}
        if not isinstance(spec, dict):
            raise ProfileError(f"{where}: a column spec is a native column name or a table")
        unknown = set(spec) - {"from", "as", "value", "codes", "null", "when", "cases"}
        if unknown:
            raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}")
        sources = spec.get("from", ())
        sources = (sources,) if isinstance(sources, str) else tuple(sources)
        kind = spec.get("as", "text")
        if kind not in KINDS:
            raise ProfileError(f"{where}: as = {kind!r}, not one of {', '.join(KINDS)}")
        if not sources and "value" not in spec:
            raise ProfileError(f"{where}: needs `from` (a native column) or `value`")
        when = spec.get("when")
        if when is not None:
            when = (canonical(when["column"]), tuple(str(v).lower() for v in when["in"]))
        cases = tuple((canonical(c["column"]), c["matches"], c["value"], c.get("only_if"))
                      for c in spec.get("cases", ()))
        return cls(tuple(canonical(s) for s in sources), kind, spec.get("value"),
                   spec.get("codes"), tuple(spec.get("null", ())), when, cases)

    def columns(self) -> set[str]:
        """The native columns it reads."""
        cols = set(self.sources) | {c for c, *_ in self.cases}
        return cols | ({self.when[0]} if self.when else set())


@dataclass(frozen=True)
class CodeList:
    """Source codes of one native column and what they become."""

    name: str
    target: str
    policy: str = "keep"
    fallback: str | None = None
    map: dict[str, str] = field(default_factory=dict)  # lower-cased source -> target

    @property
    def unmapped_ref(self) -> str | None:
        """The loader's reference kind whose unknown codes are kept (policy keep)."""
        return UNMAPPED_REFS.get(self.target) if self.policy == "keep" else None

    def outcome_of_missing(self) -> str:
        if self.policy == "fallback":
            return f"→ {self.fallback!r}" if self.fallback else "→ empty"
        return "kept, flagged unmapped" if self.policy == "keep" else "row rejected"


def _code_list(name: str, table: dict, where: str, base: CodeList | None = None) -> CodeList:
    unknown = set(table) - {"target", "policy", "fallback", "map"}
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}")
    target = table.get("target", base.target if base else None)
    if target not in TARGETS:
        raise ProfileError(f"{where}: target = {target!r}, not one of {', '.join(TARGETS)}")
    policy = table.get("policy", base.policy if base else "keep")
    if policy not in CODE_POLICIES:
        raise ProfileError(f"{where}: policy = {policy!r}, not one of "
                           f"{', '.join(CODE_POLICIES)}")
    if policy == "keep" and target not in UNMAPPED_REFS:
        raise ProfileError(f"{where}: policy keep is for units, services and topics only "
                           f"(a {target} code the warehouse does not know cannot be kept: "
                           "use fallback or reject)")
    fallback = table.get("fallback", base.fallback if base else None)
    if policy == "fallback" and fallback is None:
        raise ProfileError(f"{where}: policy fallback needs `fallback` (\"\" for empty)")
    mapped = dict(base.map) if base else {}
    for src, dst in table.get("map", {}).items():
        if str(dst) != "":  # "" = not mapped yet (a skeleton's line)
            mapped[str(src).strip().lower()] = str(dst)
    allowed = TARGETS[target]
    bad = sorted({v for v in [*mapped.values(), *([fallback] if fallback else [])]
                  if allowed is not None and v not in allowed})
    if bad:
        raise ProfileError(f"{where}: {bad} not valid {target} ({'|'.join(allowed or ())})")
    return CodeList(name, target, policy, fallback, mapped)


@dataclass(frozen=True)
class Feed:
    """How one contract (or the shape's inputs, ``feeds.shape``) is fed: ``columns``, and
    optionally ``rows`` — several contract rows from each native row (a list export's
    opened / resolved / closed moments become three events), each a table of column specs
    added to ``columns``; a row whose ``skip_empty`` column is empty is not made."""

    columns: dict[str, ColumnSpec]
    rows: tuple[tuple[dict[str, ColumnSpec], str | None], ...] = ()

    def specs(self) -> list[ColumnSpec]:
        return [*self.columns.values(), *(s for r, _ in self.rows for s in r.values())]


def _feed(contract: str, table: dict, where: str) -> Feed:
    unknown = set(table) - {"columns", "rows"}
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}")
    columns = {c: ColumnSpec.parse(s, f"{where}.columns.{c}")
               for c, s in table.get("columns", {}).items()}
    rows = []
    for i, row in enumerate(table.get("rows", ())):
        row = dict(row)
        skip = row.pop("skip_empty", None)
        rows.append(({c: ColumnSpec.parse(s, f"{where}.rows[{i}].{c}") for c, s in row.items()},
                     skip))
    names = set(columns) | {c for r, _ in rows for c in r}
    if contract in CONTRACTS:
        unknown = names - set(CONTRACTS[contract].column_names)
        if unknown:
            raise ProfileError(f"{where}: {sorted(unknown)} are not columns of {contract}")
    return Feed(columns, tuple(rows))


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    digest: str  # sha256 of the profile and the mapping: part of each import's identity
    formats: tuple[str, ...]
    timezone: str
    null_tokens: tuple[str, ...]
    timestamp_formats: tuple[str, ...]
    shape: str
    columns: dict[str, str]  # canonical native column -> hash | drop | keep
    feeds: dict[str, Feed]  # contract (or "shape") -> how it is fed
    codes: dict[str, CodeList]
    shape_options: dict[str, Any]
    variant: str | None = None
    variants: tuple[dict, ...] = ()
    raw: dict = field(default_factory=dict, repr=False)
    mapping: dict = field(default_factory=dict, repr=False)
    mapping_path: Path | None = None
    # the mapping's IT service catalogue: rows of the it_services contract
    catalogue: tuple[dict, ...] = ()
    # the working calendar of the source's business clock (None: UMK's) and who declared
    # it (the mapping's [calendar] replaces the profile's)
    calendar: WorkingCalendar | None = None
    calendar_declared_in: str | None = None


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def profile_path(name_or_path: str | Path) -> Path:
    """A built-in profile's file by name, else a profile file's path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    builtin = PROFILES_DIR / f"{name_or_path}.toml"
    if builtin.exists():
        return builtin
    raise ProfileError(f"{name_or_path}: no such profile (built-in: "
                       f"{', '.join(builtin_profiles())}; or the path of a profile .toml)")


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot be read as TOML: {exc}") from None


def load_profile(name_or_path: str | Path, mapping: Path | None = None,
                 file_columns: set[str] | None = None) -> Profile:
    """The profile (its variant for a file with ``file_columns``, canonical names) with the
    city's ``mapping`` applied."""
    path = profile_path(name_or_path)
    raw = _read_toml(path)
    mapped = _read_toml(mapping) if mapping is not None else {}
    digest = hashlib.sha256(path.read_bytes() + b"\0" + (
        mapping.read_bytes() if mapping is not None else b"")).hexdigest()
    doc, variant = dict(raw), None
    for v in raw.get("variants", ()):
        if file_columns is None:
            break
        if {canonical(c) for c in v.get("when_columns", ())} <= file_columns and not (
                {canonical(c) for c in v.get("unless_columns", ())} & file_columns):
            variant = v.get("name")
            doc.update({k: val for k, val in v.items()
                        if k not in ("name", "when_columns", "unless_columns")})
            break
    where = f"{path.name}{f' (variant {variant})' if variant else ''}"
    shape = doc.get("shape", "rows")
    if shape not in SHAPES:
        raise ProfileError(f"{where}: shape = {shape!r}, not one of {', '.join(SHAPES)}")
    columns = {}
    for col, policy in doc.get("columns", {}).items():
        if policy not in PII_POLICIES:
            raise ProfileError(f"{where}: [columns] {col} = {policy!r}, not one of "
                               f"{', '.join(PII_POLICIES)}")
        columns[canonical(col)] = policy
    feeds: dict[str, Feed] = {}
    for contract, feed in doc.get("feeds", {}).items():
        if contract not in CONTRACTS and contract != "shape":
            raise ProfileError(f"{where}: [feeds.{contract}] is not a contract")
        feeds[contract] = _feed(contract, feed, f"{where}: feeds.{contract}")
    codes = {n: _code_list(n, t, f"{where}: [codes.{n}]") for n, t in doc.get("codes", {}).items()}
    catalogue = _catalogue(mapped.get("catalogue", []), f"{mapping}: [[catalogue]]")
    timezone = mapped.get("timezone", doc.get("timezone", "Europe/Warsaw"))
    calendar, declared_in = _calendar(doc, mapped, where, mapping, timezone)
    if calendar is not None and "tickets" in feeds \
            and "calendar_code" not in feeds["tickets"].columns:
        # the tickets it feeds carry it (a profile may map the column itself)
        tickets = feeds["tickets"]
        feeds["tickets"] = Feed({**tickets.columns,
                                 "calendar_code": ColumnSpec(value=calendar.code)},
                                tickets.rows)
    for name, table in mapped.items():
        if name in ("timezone", "catalogue", "calendar"):
            continue
        if not isinstance(table, dict):
            raise ProfileError(f"{mapping}: {name} = … is not a code list table")
        if name not in codes:
            raise ProfileError(f"{mapping}: [{name}] is not a code list of profile "
                               f"{raw.get('name', path.stem)} ({', '.join(sorted(codes))})")
        codes[name] = _code_list(name, table, f"{mapping}: [{name}]", codes[name])
    for contract, feed in feeds.items():
        for spec in feed.specs():
            if spec.codes is not None and spec.codes not in codes:
                raise ProfileError(f"{where}: feeds.{contract}: no code list "
                                   f"[codes.{spec.codes}]")
            for native in spec.columns():
                if native not in columns:
                    raise ProfileError(f"{where}: feeds.{contract} reads {native!r}, which "
                                       "[columns] does not declare (hash | drop | keep)")
    return Profile(
        name=raw.get("name", path.stem), path=path, digest=digest,
        formats=tuple(doc.get("formats", ("csv",))),
        timezone=timezone,
        null_tokens=tuple(doc.get("null_tokens", ("",))),
        timestamp_formats=tuple(doc.get("timestamp_formats", ("%Y-%m-%d %H:%M:%S",))),
        shape=shape, columns=columns, feeds=feeds, codes=codes,
        shape_options=dict(doc.get("shape_options", {})), variant=variant,
        variants=tuple(raw.get("variants", ())), raw=raw, mapping=mapped,
        mapping_path=mapping, catalogue=catalogue, calendar=calendar,
        calendar_declared_in=declared_in)


def _calendar(doc: dict, mapped: dict, where: str, mapping: Path | None, timezone: str
              ) -> tuple[WorkingCalendar | None, str | None]:
    """The source's working calendar — the mapping's ``[calendar]``, else the profile's
    (its variant's), else none (UMK's) — and who declared it. Its hours are the source's
    wall clock: in ``timezone`` (the mapping's or profile's) unless it names its own."""
    if "calendar" in mapped:
        table, source = mapped["calendar"], f"{mapping.name} [calendar]" if mapping else None
        at = f"{mapping}: [calendar]"
    elif "calendar" in doc:
        table, source, at = doc["calendar"], f"profile {where} [calendar]", f"{where}: [calendar]"
    else:
        return None, None
    try:
        calendar = parse_calendar(table, at, timezone)
    except CalendarError as exc:
        raise ProfileError(str(exc)) from None
    return calendar, source if calendar is not None else None


def _catalogue(rows: Any, where: str) -> tuple[dict, ...]:
    """A mapping's ``[[catalogue]]``: one table per IT service, with the columns of the
    it_services contract (the loader checks their values as in any catalogue file)."""
    columns = set(CONTRACTS["it_services"].column_names)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ProfileError(f"{where}: an array of tables ([[catalogue]]), one per service")
    for i, row in enumerate(rows, 1):
        if set(row) - columns:
            raise ProfileError(f"{where} #{i}: {sorted(set(row) - columns)} are not columns "
                               f"of it_services ({', '.join(sorted(columns))})")
    return tuple(rows)
