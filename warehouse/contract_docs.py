"""The two files derived from the source contracts (:mod:`warehouse.contracts`).

* ``docs/CONTRACTS.md`` — the specification a city's IT exports to: files, encodings,
  formats, and per contract its key, columns, types, allowed values and rules;
* ``dbt/models/staging/_sources.yml`` — dbt's raw sources, every column documented, each
  table's key and known-at rule in ``meta`` (shown in the dbt docs);
* ``dbt/macros/contracts.sql`` — the macro ``raw_contract(table)`` the staging models take
  each table's key and known-at rule from (a macro, not the sources' meta: dbt's unit tests
  do not see the graph).

``python -m warehouse.contract_docs`` writes all three; ``--check`` exits 1 naming the
stale file (a test runs the check, so a contract cannot change without them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from warehouse import generated
from warehouse.contracts import (
    CONTRACTS,
    DEFAULT_CALENDAR,
    DEFAULT_CALENDAR_HOLIDAYS,
    ELECTRONIC_CHANNELS,
    EXTRACTED_AT,
    LOAD_ORDER,
    REF_CALENDARS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TICKETS,
    REF_TOPICS,
    REF_UNITS,
    Column,
    Contract,
)
from warehouse.loading.validation import BOOL_VALUES, SPAN_RULES

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "CONTRACTS.md"
SOURCES = ROOT / "dbt" / "models" / "staging" / "_sources.yml"
MACRO = ROOT / "dbt" / "macros" / "contracts.sql"
GENERATED = "Generated from warehouse/contracts.py by `python -m warehouse.contract_docs`"

REF_TEXT = {
    REF_UNITS: "a unit code of seeds/org_units.csv",
    REF_TOPICS: "a topic code of seeds/kck_topics.csv",
    REF_PORTAL_AREAS: "an area code of seeds/portal_areas.csv",
    REF_SERVICES: "a service_code of it_services (loaded before, or in the same load)",
    REF_TICKETS: "a ticket_id of tickets (loaded before, in the same load, or later: the "
                 "event waits for it)",
    REF_PROJECTS: "a project_id of sc_projects (loaded before, in the same load, or later: "
                  "the milestone waits for it)",
    REF_CALENDARS: "`UMK` or a calendar_code of raw.working_calendars (declared by an "
                   "import's [calendar])",
}
TYPE_TEXT = {
    "str": "text",
    "int": "integer",
    "float": "number (`.` or `,` as the decimal separator)",
    "bool": "boolean",
    "timestamp": "timestamp, local time",
    "date": "date",
}


def _bound(x: float) -> str:
    return f"{int(x):,}".replace(",", " ") if float(x).is_integer() else str(x)


def rules(col: Column) -> list[str]:
    """The rules of one column, in words."""
    out = []
    if col.allowed:
        out.append("one of " + ", ".join(f"`{v}`" for v in col.allowed))
    if col.min is not None or col.max is not None:
        out.append(f"{_bound(col.min) if col.min is not None else '−∞'} … "
                   f"{_bound(col.max) if col.max is not None else '∞'}")
    if col.max_chars:
        out.append(f"at most {col.max_chars} characters")
    if col.ref:
        out.append(REF_TEXT[col.ref])
    if col.moment == "plan":
        out.append("a plan: may lie in the future")
    if col.pii:
        out.append("**personal data**: stored only as a keyed hash, as "
                   f"`{col.stored_name}`")
    return out


def _column_description(col: Column) -> str:
    facts = [TYPE_TEXT[col.type], "required" if col.required else "optional", *rules(col)]
    return f"{col.doc} ({'; '.join(facts)})"


def _contract_section(contract: Contract) -> list[str]:
    lines = [f"## `{contract.name}` — {contract.description}", "",
             f"Source system: {contract.system}. Files: `{contract.name}.csv`, "
             f"`{contract.name}.parquet` or `{contract.name}_<part>.csv`. "
             f"Key: {', '.join(f'`{k}`' for k in contract.key)} (a newer extract replaces "
             "the record with the same key).", ""]
    if contract.known_at:
        lines += [f"A row is known from `{contract.known_at}` on: a build as of an earlier "
                  "moment leaves it out.", ""]
    lines += ["| column | type | required | rules | what it holds |", "|---|---|---|---|---|"]
    for col in contract.columns:
        lines.append(f"| `{col.name}` | {TYPE_TEXT[col.type]} | "
                     f"{'yes' if col.required else 'no'} | "
                     f"{'; '.join(rules(col)) or '—'} | {col.doc} |")
    checks = [f"`{later}` is not before `{earlier}`" for later, earlier in contract.order_rules]
    checks += [f"{text} (`{later}` − `{earlier.lstrip('_')}`)"
               for name, later, earlier, _, text in SPAN_RULES if name == contract.name]
    if contract.name == "ticket_events":
        checks += ["the ticket exists (in `tickets` of this load or an earlier one)",
                   "no event before the ticket's `opened_at`, no `resolved` before its "
                   "first `opened` event"]
    checks.append("the key is not repeated within one file (the last row wins; the "
                  "earlier ones are rejected)")
    lines += ["", "Rules across columns and rows: " + "; ".join(checks) + ".", ""]
    return lines


def render_markdown() -> str:
    bools = sorted(k for k, v in BOOL_VALUES.items() if v)
    falses = sorted(k for k, v in BOOL_VALUES.items() if not v)
    head = [
        "# Source contracts",
        "",
        f"<!-- {GENERATED}: do not edit. -->",
        "",
        "What each source system delivers to `cityops load DIR`: one file per contract (or "
        "several, `<contract>_<part>.csv`), whose header names the contract's columns — "
        "extra columns are ignored with a warning, a missing required column refuses the "
        "file. The column names are the contract: the loader, the generator, dbt and these "
        "documents use exactly these.",
        "",
        "**Files.** CSV in UTF-8 (with or without a BOM) or Windows-1250, separated by `,` "
        "or `;` (decided from the header), quoted as RFC 4180; or Parquet with the same "
        "column names. Timestamps are local Europe/Warsaw wall-clock time, "
        "`YYYY-MM-DD HH:MM[:SS[.ffffff]]` (a `T` instead of the space is accepted); an "
        "instant with `Z` or an offset (ISO 8601), like a time-zone-aware Parquet "
        "timestamp, is converted to Europe/Warsaw wall-clock time; dates "
        f"`YYYY-MM-DD`; booleans {', '.join(f'`{b}`' for b in bools)} / "
        f"{', '.join(f'`{b}`' for b in falses)}; an empty field is a missing value. "
        "Numbers use `,` as the decimal mark in a `;`-separated file and `.` otherwise "
        "(spaces may group digits); the other mark is refused as ambiguous. A timestamp or "
        "date before its contract's floor (2000-01-01), or an event later than the load "
        "time plus a day, is rejected. Text is stored in NFC, without BOM, NUL or "
        "zero-width characters.",
        "",
        "**Extraction time.** Newer means extracted later: `cityops load --extracted-at`, "
        "else a file's latest timestamp. A row from an older extract than the version the "
        "warehouse holds is kept in `raw.<contract>__history` and reported, never applied; "
        "a ticket's events delivered with its `opened` event (a project's milestones) "
        "replace the record's set.",
        "",
        "**Child before parent.** A ticket's event (a project's milestone) whose ticket "
        "(project) is not in the warehouse yet waits in `raw.<contract>__pending`, with the "
        "reason; when the parent arrives, the rows waiting for it are checked again and "
        "loaded as their file would have been (audit status `released`). `cityops load` "
        "says how many were released and how many still wait.",
        "",
        "**Bad rows** are not loaded: they go to `raw.<contract>__rejected` with the "
        "reason for every rule they fail (file, row, column, rule), and every file gets a "
        "row in `raw.load_audit` (rows read = rows loaded + rows rejected + rows waiting). "
        "A file that "
        "cannot be read at all refuses the whole load, and the warehouse stays as it was.",
        "",
        "**Load order** within one load (a contract after the ones it refers to): "
        + " → ".join(f"`{n}`" for n in LOAD_ORDER) + ".",
        "",
    ]
    body = [line for name in LOAD_ORDER for line in _contract_section(CONTRACTS[name])]
    return "\n".join(head + body).rstrip() + "\n"


def render_sources_yml() -> str:
    tables = []
    for contract in CONTRACTS.values():
        meta = {"system": contract.system, "key": list(contract.key)}
        if contract.known_at:
            meta["known_at"] = contract.known_at
        tables.append({
            "name": contract.name,
            "description": contract.description,
            "meta": meta,
            "columns": [{"name": c.stored_name, "description": _column_description(c)}
                        for c in contract.columns],
        })
    tables.append({
        "name": "public_holidays",
        "description": "Public holidays from the `holidays` package for the years of the "
                       "data's events ±1, of Poland (the UMK calendar's) and of every "
                       "country a working calendar names, written by warehouse/calendar.py "
                       "before each build.",
        "columns": [{"name": "holiday_date", "description": "The holiday."},
                    {"name": "name", "description": "Its name."},
                    {"name": "country_code",
                     "description": "Its country (ISO 3166-1 alpha-2; PL for Poland)."}],
    })
    tables.append({
        "name": "working_calendars",
        "description": "The working calendars imports declared (a profile's or mapping's "
                       "[calendar], warehouse/calendar.py): one row per calendar and ISO "
                       "weekday it works, the newest declaration of a code winning. UMK, "
                       "the default, is not here: Mon–Fri, the office hours of "
                       "dbt_project.yml, Polish holidays.",
        "meta": {"key": ["calendar_code", "iso_weekday"]},
        "columns": [
            {"name": "calendar_code", "description": "The calendar (tickets.calendar_code)."},
            {"name": "iso_weekday", "description": "A day it works: 1 = Monday … 7 = Sunday."},
            {"name": "day_start", "description": "When its working day starts: the source's "
                                                 "local wall clock in `timezone`."},
            {"name": "day_end", "description": "When it ends (24:00:00 = the midnight after "
                                               "the day)."},
            {"name": "timezone", "description": "The IANA zone of its hours (the source's)."},
            {"name": "holiday_country",
             "description": "The country whose public holidays it does not work "
                            "(raw.public_holidays.country_code); NULL: none."},
            {"name": "declared_in", "description": "The profile or mapping that declared it."},
            {"name": "declared_at", "description": "When the import wrote this definition."},
            {"name": "_load_id", "description": "The load of that import."},
        ],
    })
    projects = CONTRACTS["sc_projects"]
    tables.append({
        "name": "sc_projects__snapshots",
        "description": "Every version of a Smart City project a load delivered (the winners "
                       "of raw.sc_projects and the older extracts of its history), appended "
                       "after each load by warehouse/snapshots.py and never deleted: the "
                       "portfolio's history, one version per project and extract.",
        "meta": {"system": projects.system, "key": ["project_id", EXTRACTED_AT]},
        "columns": [{"name": c.stored_name, "description": _column_description(c)}
                    for c in projects.columns]
                   + [{"name": EXTRACTED_AT, "description": "When the extract was taken."},
                      {"name": "_snapshot_at",
                       "description": "When the version was known: its extraction time, or "
                                      "the start of the load that brought it when earlier."}],
    })
    document = {"version": 2, "sources": [{
        "name": "raw",
        "schema": "raw",
        "description": "The raw layer written by `cityops load`: one table per source "
                       "contract (docs/CONTRACTS.md), typed, personal data already "
                       "replaced by a keyed hash, timestamps naive local Europe/Warsaw wall "
                       "clock; every row carries `_load_id`, `_source_file`, "
                       "`_source_row` and `_extracted_at` (when its extract was "
                       "taken). Its rules are checked by the loader and by the Great "
                       "Expectations raw suites (`cityops check`).",
        "tables": tables,
    }]}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return f"# {GENERATED}: do not edit.\n" + text


def render_macro() -> str:
    contracts = {name: {"key": list(c.key),
                        **({"known_at": c.known_at, "freshness_days": c.freshness_days}
                           if c.known_at else {}),
                        **({"refs": refs} if (refs := {col.stored_name: col.ref for col
                                                      in c.columns if col.ref}) else {})}
                 for name, c in CONTRACTS.items()}
    entries = ",\n".join(f"        {name!r}: {value!r}" for name, value in contracts.items())
    return (f"{{#- {GENERATED}: do not edit.\n"
            "    The key, known-at rule, freshness and reference columns (column: reference\n"
            "    set) of each raw contract, for the staging models (latest_raw_rows,\n"
            "    known_at_filter), marts.source_freshness and the codes found in the data\n"
            "    (codes_in_raw). -#}\n"
            "{% macro raw_contract(table) -%}\n"
            "    {%- set contracts = {\n" + entries + "\n    } -%}\n"
            "    {%- if table not in contracts -%}\n"
            "        {{ exceptions.raise_compiler_error('raw.' ~ table ~ ' has no contract "
            "(warehouse/contracts.py)') }}\n"
            "    {%- endif -%}\n"
            "    {{ return(contracts[table]) }}\n"
            "{%- endmacro %}\n\n"
            "{% macro timed_contracts() -%}\n"
            f"    {{{{ return({[n for n, c in CONTRACTS.items() if c.known_at]!r}) }}}}\n"
            "{%- endmacro %}\n\n"
            "{% macro raw_contract_names() -%}\n"
            f"    {{{{ return({list(contracts)!r}) }}}}\n"
            "{%- endmacro %}\n\n"
            "{#- DK-03's electronic channels of the submissions register (its KPIs keep to "
            "them). -#}\n"
            "{% macro electronic_channels() -%}\n"
            f"    {{{{ return({list(ELECTRONIC_CHANNELS)!r}) }}}}\n"
            "{%- endmacro %}\n\n"
            "{#- The default working calendar (an empty tickets.calendar_code) and the country "
            "of its\n    public holidays. -#}\n"
            "{% macro default_calendar() -%}\n"
            f"    {{{{ return({DEFAULT_CALENDAR!r}) }}}}\n"
            "{%- endmacro %}\n\n"
            "{% macro default_calendar_holidays() -%}\n"
            f"    {{{{ return({DEFAULT_CALENDAR_HOLIDAYS!r}) }}}}\n"
            "{%- endmacro %}\n")


def outputs() -> dict[Path, str]:
    return {SPEC: render_markdown(), SOURCES: render_sources_yml(), MACRO: render_macro()}


def stale() -> list[Path]:
    """The generated files that differ from what the contracts give now."""
    return generated.stale(outputs())


def main(argv: list[str] | None = None) -> int:
    return generated.main(outputs, "warehouse.contract_docs", __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
