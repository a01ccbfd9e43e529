"""`cityops import PROFILE FILE...`: native exports through a profile into raw.*.

Every file is read into DuckDB, converted by its profile's shape (set-based SQL,
:mod:`warehouse.importing.shapes`) into one relation per contract it feeds and loaded by
the loader's one core (:func:`warehouse.loading.core.load_stage`) inside the load path of
``cityops load`` (:func:`warehouse.load.run_load`): the same validation, quarantine, PII
hashing, audit and atomic swap.  The audit row names the native file and the profile
(``incident_event_log_sample.csv [servicenow]``); its sha256 is that of the native bytes,
the profile, the mapping and the contract together, so the same file imported again
adds nothing, and imported with a changed mapping it is converted again.

A profile's or mapping's ``[calendar]`` is written to raw.working_calendars before the
tickets of each file, which carry its code (:mod:`warehouse.calendar`).

Before anything is loaded each import prints the source codes the mapping does not map,
with counts and what happens to them; ``--write-mapping FILE`` writes a mapping skeleton
(every code list of the profile, every source code of the files) to fill in.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
from rich.console import Console
from rich.table import Table

from warehouse.calendar import declare_calendar
from warehouse.contracts import CONTRACTS, LOAD_ORDER
from warehouse.importing.convert import (
    NATIVE,
    Converter,
    NativeRefused,
    all_codes,
    missing_codes,
    read_native,
)
from warehouse.importing.profile import (
    TARGETS,
    Profile,
    ProfileError,
    load_profile,
    profile_path,
)
from warehouse.importing.shapes import SHAPE_FUNCTIONS
from warehouse.load import LoadRefused, new_report, run_load
from warehouse.loading.core import LoadContext, Staged, load_stage
from warehouse.loading.report import FileResult, LoadReport
from warehouse.loading.writing import already_loaded, insert_audit


@dataclass
class ImportResult:
    """What an import did beyond the load report."""

    report: LoadReport
    missing: list[tuple[str, str, str, int]] = field(default_factory=list)
    codes_seen: dict[str, set[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _staged(contract: str, relation: str, label: str, digest: str, description: str,
            warnings: list[str], unmapped: frozenset[str]) -> Staged:
    return Staged(CONTRACTS[contract], relation, label, digest, description=description,
                  warnings=warnings, unmapped=unmapped)


def _catalogue(con: duckdb.DuckDBPyConnection, profile: Profile) -> tuple[str, str, str]:
    """The IT service catalogue an import loads before its tickets, as a staged relation,
    its label and its digest: the mapping's ``[[catalogue]]`` when it has one, else the
    default one (seed ``default_it_services``) — a ticket's service needs a catalogue
    entry for its clock and name, and a first import has none."""
    from warehouse import reference

    if profile.catalogue:
        names = CONTRACTS["it_services"].column_names
        df = pl.DataFrame([[None if row.get(c) is None else str(row[c]) for c in names]
                           for row in profile.catalogue],
                          schema={c: pl.String for c in names}, orient="row")
        label = f"{profile.mapping_path.name} [catalogue]"
        digest = hashlib.sha256(df.write_csv().encode()).hexdigest()
    else:
        df = reference.default_it_services()
        label = f"default_it_services.csv [{profile.name}]"
        digest = hashlib.sha256(b"default_it_services").hexdigest()
    con.register("__catalogue_df", df)
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in df.columns)
    con.execute("CREATE OR REPLACE TEMP TABLE __import_catalogue AS SELECT "
                f"row_number() OVER () AS _source_row, NULL::VARCHAR AS _field_problem, {cols} "
                "FROM __catalogue_df")
    con.unregister("__catalogue_df")
    return "__import_catalogue", label, digest


def _load_one(con: duckdb.DuckDBPyConnection, staged: Staged, load: LoadContext
              ) -> FileResult:
    prev = already_loaded(con, staged.sha256)
    if prev is None:
        return load_stage(con, staged, load)
    now = datetime.now()
    message = f"same file, profile and mapping already imported by load {prev}; nothing read"
    insert_audit(con, load_id=load.load_id, contract=staged.contract.name,
                 file_name=staged.source_file, sha256=staged.sha256, rows_read=0,
                 rows_loaded=0, rows_rejected=0, status="skipped: already loaded",
                 message=message, started_at=now, finished_at=now)
    return FileResult(staged.source_file, staged.contract.name, staged.sha256, 0, 0, 0,
                      "skipped: already loaded", message, warnings=list(staged.warnings))


def _import_file(con: duckdb.DuckDBPyConnection, path: Path, profile_name: str,
                 mapping: Path | None, load: LoadContext, result: ImportResult,
                 scratch: Path) -> None:
    base = load_profile(profile_name, mapping)
    canon, read_notes = read_native(con, path, base.formats, scratch)
    profile = load_profile(profile_name, mapping, set(canon))  # the file's variant
    label = f"{path.name} [{profile.name}]"
    warnings = []
    undeclared = sorted(canon[c] for c in canon if c not in profile.columns)
    if undeclared:
        warnings.append(f"{path.name}: column(s) {', '.join(undeclared)} not declared by "
                        f"profile {profile.name} (hash | drop | keep): dropped")
    conv = Converter(profile, set(canon))
    try:
        shaped = SHAPE_FUNCTIONS[profile.shape](con, conv, load.pads)
    except duckdb.Error as exc:
        raise NativeRefused(f"{path.name}: cannot be converted by profile {profile.name}: "
                            f"{str(exc).splitlines()[0][:300]}") from None
    except ProfileError as exc:
        raise NativeRefused(f"{path.name}: {exc}") from None
    if conv.missing:  # a required column has nowhere to come from: another format
        raise NativeRefused(f"{path.name}: not a {profile.name} export (no source for "
                            + "; ".join(conv.missing) + ")")
    for lst, col, code, n in missing_codes(con, conv):
        result.missing.append((lst, canon.get(col, col), code, n))
    for name, codes in all_codes(con, conv).items():
        result.codes_seen.setdefault(name, set()).update(codes)
    result.notes += [f"{path.name}: {n}" for n in [*read_notes, *shaped.notes]]
    variant = f", variant {profile.variant}" if profile.variant else ""
    description = (f"imported by profile {profile.name}{variant} from {path.name} "
                   f"(times of {profile.timezone} as Europe/Warsaw"
                   + "".join(f"; {n}" for n in read_notes) + ")")
    sha = _sha256(path)
    unmapped = frozenset(c.unmapped_ref for c in profile.codes.values() if c.unmapped_ref)
    contracts = sorted(shaped.relations, key=LOAD_ORDER.index)
    if "tickets" in contracts and (profile.catalogue or not con.execute(
            "SELECT count(*) FROM raw.it_services").fetchall()[0][0]):
        relation, catalogue_label, digest = _catalogue(con, profile)
        staged = _staged("it_services", relation, catalogue_label, digest,
                         "the mapping's IT service catalogue" if profile.catalogue else
                         "the default IT service catalogue: raw held none", [], frozenset())
        result.report.files.append(_load_one(con, staged, load))
    if profile.calendar is not None:
        if "tickets" in contracts:  # before the tickets, which name it
            changed = declare_calendar(con, profile.calendar, profile.calendar_declared_in,
                                       load.load_id)
            result.notes.append(
                f"{path.name}: the tickets' business clock is working calendar "
                f"{profile.calendar.describe()} ({profile.calendar_declared_in}"
                + ("" if changed else "; held unchanged") + ")")
        else:
            result.notes.append(
                f"{path.name}: working calendar {profile.calendar.code} not used: "
                f"{', '.join(contracts)} measure no business time")
    for contract in contracts:
        digest = hashlib.sha256(f"{sha}|{profile.digest}|{contract}".encode()).hexdigest()
        notes = [n for n in shaped.notes if n.startswith(contract)]
        staged = _staged(contract, shaped.relations[contract], label, digest,
                         "; ".join([description, *notes]), list(warnings), unmapped)
        result.report.files.append(_load_one(con, staged, load))
        warnings = []  # said once per file
        con.execute(f"DROP TABLE {shaped.relations[contract]}")
    con.execute(f"DROP TABLE {NATIVE}")


def print_missing(result: ImportResult, profile: Profile, console: Console | None = None
                  ) -> None:
    """The table of source codes the mapping does not map, with counts."""
    console = console or Console(width=160)
    if not result.missing:
        console.print("Every source code is in the mapping.", markup=False)
        return
    table = Table(title="Source codes missing from the mapping (fill them in with "
                        "--write-mapping FILE, then --mapping FILE)", title_justify="left")
    for name, justify in [("code list", "left"), ("column", "left"), ("source code", "left"),
                          ("rows", "right"), ("what happens", "left")]:
        table.add_column(name, justify=justify, overflow="fold")
    for lst, col, code, n in result.missing:
        table.add_row(lst, col, code, f"{n:,}", profile.codes[lst].outcome_of_missing())
    console.print(table)


def skeleton(profile: Profile, codes_seen: dict[str, set[str]]) -> str:
    """A mapping file to fill in: the time zone, and per code list its policy, fallback and
    every source code seen (mapped ones with their target, the others empty)."""
    lines = [f"# Mapping for profile {profile.name} — written by cityops import "
             "--write-mapping.",
             "# Fill in the empty targets; an empty one stays unmapped (its policy applies).",
             "# policy: reject (the row is rejected) | keep (kept, flagged unmapped: units, "
             "services, topics) | fallback (the fallback value; \"\" = empty).", "",
             f"timezone = \"{profile.timezone}\"  # the wall clock the source writes", ""]
    for name, codes in sorted(profile.codes.items()):
        allowed = TARGETS[codes.target]
        hint = f" ({'|'.join(allowed)})" if allowed else ""
        lines += [f"[{name}]  # → {codes.target}{hint}",
                  f"policy = \"{codes.policy}\""]
        if codes.fallback is not None:
            lines.append(f"fallback = \"{codes.fallback}\"")
        lines.append("[" + name + ".map]")
        # the codes as the files write them, then mapped ones the files did not hold
        seen = sorted(codes_seen.get(name, set()), key=str.lower) + sorted(codes.map)
        done = set()
        for code in seen:
            key = code.strip().lower()
            if key in done:
                continue
            done.add(key)
            target = codes.map.get(key, "")
            lines.append(f"{_toml_str(code)} = {_toml_str(target)}")
        lines.append("")
    text = "\n".join(lines)
    tomllib.loads(text)  # what it writes it can read
    return text


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def import_files(profile_name: str, files: list[Path], warehouse: Path, *,
                 mapping: Path | None = None, write_mapping: Path | None = None,
                 extracted_at: datetime | None = None,
                 max_reject_pct: float | None = None,
                 seeds: dict[str, frozenset[str]] | None = None,
                 console: Console | None = None) -> ImportResult:
    """Import native ``files`` by profile ``profile_name`` (built-in name or a .toml path)
    into ``warehouse``; raises :class:`~warehouse.load.LoadRefused` (warehouse unchanged)
    when a file cannot be imported or, with ``max_reject_pct``, too many rows are rejected.
    """
    try:
        profile = load_profile(profile_path(profile_name), mapping)
    except ProfileError as exc:
        raise LoadRefused(str(exc)) from None
    files = [Path(f) for f in files]
    for f in files:
        if not f.is_file():
            raise LoadRefused(f"{f}: no such file; nothing was imported")
    report = new_report(files[0].parent if len(files) == 1 else Path(", ".join(
        f.name for f in files)), warehouse)
    result = ImportResult(report)

    def work(con: duckdb.DuckDBPyConnection, load: LoadContext, scratch: Path,
             report: LoadReport) -> list[str]:
        del report
        refused = []
        for f in files:
            try:
                _import_file(con, f, profile_name, mapping, load, result, scratch)
            except (NativeRefused, ProfileError) as exc:
                refused.append(str(exc))
        print_missing(result, profile, console)
        for note in result.notes:
            (console or Console(width=160)).print(f"note: {note}", markup=False,
                                                  highlight=False, soft_wrap=True)
        if write_mapping is not None:
            write_mapping.write_text(skeleton(profile, result.codes_seen), encoding="utf-8")
            (console or Console(width=160)).print(f"mapping skeleton written to {write_mapping}",
                                                  markup=False, highlight=False)
        return refused

    run_load(warehouse, report, work, seeds=seeds, console=console,
             extracted_at=extracted_at, max_reject_pct=max_reject_pct)
    return result
