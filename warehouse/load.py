"""`cityops load DIR`: validate source extracts and load them into the raw layer.

Decisions (see also the module docs of :mod:`warehouse.loading.reading`,
:mod:`warehouse.loading.core`, :mod:`warehouse.loading.validation`, :mod:`warehouse.pii`):

* **Files.** ``<contract>.csv`` / ``<contract>.parquet`` (also ``<contract>_<part>.csv``, e.g.
  ``calls_2025-02.csv``).  Contracts load in ``LOAD_ORDER`` (catalogue before tickets, tickets
  before their events); files of one contract in sorted file-name order, so when two files
  of one load carry the same key the later file name wins.  Other files are skipped with a
  warning naming them.  Absent contracts leave their tables as they were (empty at first).
* **Atomic.** All writes go to a ``writable_copy`` of the warehouse.  A file that cannot be
  loaded at all — unreadable, undecodable, empty (0 bytes), a required column missing, a
  Parquet column of the wrong type — *refuses the whole load*: every file is still
  inspected, then :class:`LoadRefused` lists each refused file with its column or rule, the
  copy is discarded and the served warehouse is unchanged (no audit row is written either).
* **Too many rejects.** ``cityops load`` and ``cityops import`` pass ``max_reject_pct``
  (``--max-reject-pct``, default :data:`DEFAULT_MAX_REJECT_PCT` = 10): a load that
  recognises no file, rejects every row it reads, or rejects more than that share of them
  is refused like a bad file — nothing swapped in, exit 2.  Files skipped as already
  loaded read nothing and do not count.
* **One load path.** :func:`run_load` is the copy, migration, load context, refusals and
  report of every load; :func:`load_directory` (contract files) and
  :func:`warehouse.importing.import_files` (native exports) give it their files.
* **Rows.** Good rows go to ``raw.<contract>`` (typed, with ``_load_id``, ``_source_file``,
  ``_source_row`` = 1-based data record number, header = 0); bad rows to
  ``raw.<contract>__rejected`` with their original text and a reason listing every failed
  rule.  One ``raw.load_audit`` row per file; rows_read = rows_loaded + rows_rejected +
  rows_pending.
* **Child before parent.** A row of a child contract (a ticket's events, a project's
  milestones) whose parent record is in neither raw nor this load waits in
  ``raw.<contract>__pending`` with the reason; after every file of a load, the waiting
  rows whose parent has arrived are checked again and loaded as their file would have
  been (audit status ``released``), and the report says how many were released and how
  many still wait.
* **Idempotent.** A file whose sha256 an earlier load already loaded is skipped (audit row
  status ``skipped: already loaded``, rows_read = rows_loaded = rows_rejected = 0: nothing
  was read), so summing the audit never counts a row twice.
* **Newer means extracted later.** Every file has an extraction time: ``--extracted-at``,
  else its own latest moment (events first), else the time of the load; it is stored on
  every row (``_extracted_at``) and in the audit.  A newer extract upserts: rows with the
  same natural key are replaced, and a child set delivered whole (a ticket's events with
  its 'opened' event, a project's milestones) replaces the record's set.  Rows from an
  older extract than raw's never replace a version: they are kept in
  ``raw.<contract>__history`` and reported, so loading the same extracts in any order
  gives the same raw layer (:mod:`warehouse.loading.writing`).
* **PII.** caller_number and submitter_email are replaced by a keyed hash before anything
  is stored (:mod:`warehouse.pii`).
* **Memory.** A file is read by DuckDB into a temporary table and checked there in one
  set-based pass; DuckDB's memory is capped at ``DUCKDB_MEMORY`` and it spills beyond to a
  temporary directory of the load, so peak memory is about the same for 10 MB and 1 GB
  extracts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console

from warehouse.contracts import LOAD_ORDER, REF_PORTAL_AREAS, REF_TOPICS, REF_UNITS
from warehouse.loading.core import (
    KEPT_REASONS,
    LoadContext,
    Staged,
    check,
    commit,
    release_pending,
)
from warehouse.loading.reading import (
    FileRefused,
    OpenedFile,
    Scanner,
    discover,
    drop_stage,
    inspect,
    open_source,
    read_error,
)
from warehouse.loading.reading import stage as stage_file
from warehouse.loading.report import FileResult, LoadReport, print_report
from warehouse.loading.writing import already_loaded, insert_audit
from warehouse.migrations import migrate
from warehouse.pii import hmac_pads, pii_key
from warehouse.snapshots import keep_snapshots
from warehouse.store import writable_copy

__all__ = ["DEFAULT_MAX_REJECT_PCT", "LoadRefused", "LoadReport", "FileResult", "load_directory",
           "new_report", "run_load", "seed_codes"]

DUCKDB_MEMORY = "1GB"  # DuckDB's share while loading; staged files beyond it spill to disk
STAGE = "__stage"


class LoadRefused(Exception):
    """The load was refused as a whole; the message names each file and column/rule."""


def seed_codes() -> dict[str, frozenset[str]]:
    """Unit, topic and portal-area codes from the reference seeds."""
    from warehouse import reference

    return {REF_UNITS: frozenset(reference.unit_codes()),
            REF_TOPICS: frozenset(reference.topic_codes()),
            REF_PORTAL_AREAS: frozenset(reference.portal_area_codes())}


def _load_file(con: duckdb.DuckDBPyConnection, opened: OpenedFile, load: LoadContext,
               scratch: Path) -> FileResult:
    started = datetime.now()
    source, contract = opened.source, opened.source.contract
    warnings = []
    if opened.extra_columns:
        warnings.append(f"{source.name}: extra column(s) {', '.join(opened.extra_columns)} "
                        "ignored (not in the contract)")
    prev = already_loaded(con, opened.sha256)
    if prev is not None:
        message = f"same bytes (sha256) already loaded by load {prev}; nothing read"
        insert_audit(con, load_id=load.load_id, contract=contract.name,
                     file_name=source.name, sha256=opened.sha256, rows_read=0, rows_loaded=0,
                     rows_rejected=0, status="skipped: already loaded", message=message,
                     started_at=started, finished_at=datetime.now())
        return FileResult(source.name, contract.name, opened.sha256, 0, 0, 0,
                          "skipped: already loaded", message, warnings=warnings)
    for attempt in (1, 2):
        csv = stage_file(con, opened, STAGE, scratch)
        staged = Staged(contract, STAGE, source.name, opened.sha256,
                        description=opened.description, warnings=warnings,
                        decimal_mark=opened.decimal_mark,
                        after_read=None if csv is None else csv.renumber)
        try:
            rows = check(con, staged, load)
            break
        except (duckdb.Error, FileRefused) as exc:
            drop_stage(con, STAGE)
            if isinstance(exc, FileRefused):
                raise
            refused = read_error(opened, exc)  # raises for undecodable bytes
            if refused is not None:
                raise refused from None
            if attempt == 2 or opened.encoding == "cp1250" or "unicode" not in str(exc).lower():
                raise
            # valid Windows-1250 after a start that decoded as UTF-8: read it as such
            opened = dataclasses.replace(opened, encoding="cp1250")
    try:  # the view stays: the text of rows only a whole-file rule rejects is read again
        return commit(con, staged, load, rows, started)
    finally:
        drop_stage(con, STAGE)


DEFAULT_MAX_REJECT_PCT = 10.0  # `cityops load` / `import --max-reject-pct`: see README


def _refuse_rejects(report: LoadReport, max_reject_pct: float) -> None:
    """Raise :class:`LoadRefused` when the load must not be swapped in: nothing was
    recognised, every row read was rejected, or the share of rejected rows passes
    ``max_reject_pct`` (per cent of the rows read; files skipped as already loaded read
    nothing and do not count)."""
    if not report.files:
        raise LoadRefused(f"{report.src_dir}: nothing was recognised (no contract file); "
                          "nothing was loaded (the warehouse is unchanged)")
    read, rejected = report.rows_read, report.rows_rejected
    if not read:
        return  # every file was loaded before: nothing new, nothing wrong
    share = 100.0 * rejected / read
    if rejected == read or share > max_reject_pct:
        worst = max(report.files, key=lambda f: f.rows_rejected)
        first = f"; first: {worst.reject_reasons[0][:300]}" if worst.reject_reasons else ""
        raise LoadRefused(
            f"load refused, nothing was loaded (the warehouse is unchanged): {rejected} of "
            f"{read} rows rejected ({share:.1f} %, more than --max-reject-pct "
            f"{max_reject_pct:g} %); most in {worst.file_name} ({worst.rows_rejected}){first}")


Work = Callable[[duckdb.DuckDBPyConnection, LoadContext, Path, LoadReport], list[str]]


def run_load(warehouse: Path, report: LoadReport, work: Work, *, needs_seeds: bool = True,
             seeds: dict[str, frozenset[str]] | None = None,
             console: Console | None = None, into: Path | None = None,
             extracted_at: datetime | None = None,
             max_reject_pct: float | None = None) -> LoadReport:
    """The one load path of ``cityops load`` and ``cityops import``: open a writable copy of
    ``warehouse`` (or use ``into``), migrate raw, build the :class:`LoadContext` (seeds, PII
    pads, extraction time) and call ``work(con, load, scratch, report)``, which stages its
    files, loads them (:func:`warehouse.loading.core.load_stage`), appends their results to
    ``report`` and returns the refusals.  Any refusal — or, with ``max_reject_pct``, too many
    rejected rows (:func:`_refuse_rejects`) — raises :class:`LoadRefused` and the copy is
    never swapped in; otherwise it is, atomically, and the report is printed."""
    t0 = time.perf_counter()
    seeds = seeds if seeds is not None else (seed_codes() if needs_seeds else {})
    load = LoadContext(report.load_id, seeds, hmac_pads(pii_key(warehouse)), KEPT_REASONS,
                       extracted_at=extracted_at, loaded_at=report.loaded_at)
    copy = contextlib.nullcontext(into) if into is not None else writable_copy(warehouse)
    with copy as path, tempfile.TemporaryDirectory(prefix="cityops-load-") as spill:
        scratch = Path(spill) / "files"
        scratch.mkdir()
        con = duckdb.connect(str(path), config={"memory_limit": DUCKDB_MEMORY,
                                                "temp_directory": str(Path(spill) / "duckdb")})
        try:
            con.execute("SET enable_progress_bar = false")
            for step in migrate(con):
                report.warnings.append(f"{warehouse}: {step}")
            refused = work(con, load, scratch, report)
            if refused:
                raise LoadRefused(
                    f"load refused, nothing was loaded (the warehouse is unchanged); "
                    f"{len(refused)} file(s) cannot be loaded:\n"
                    + "\n".join(f"  - {r}" for r in refused))
            # the rows that waited for a parent record this load delivered
            released, report.waiting = release_pending(con, load)
            report.files += released
            keep_snapshots(con, report.load_id)  # the portfolio versions this load delivered
            if max_reject_pct is not None:
                _refuse_rejects(report, max_reject_pct)
        except LoadRefused:
            print_report(report, console)  # what was read, and why nothing was kept
            raise
        finally:
            con.close()
    report.seconds = time.perf_counter() - t0
    print_report(report, console)
    return report


def new_report(src: Path, warehouse: Path, warnings: list[str] | None = None) -> LoadReport:
    """An empty report of a load starting now, with its load id."""
    loaded_at = datetime.now()
    load_id = loaded_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    report = LoadReport(load_id, src, warehouse, warnings=list(warnings or []))
    report.loaded_at = loaded_at
    return report


def load_directory(src_dir: Path, warehouse: Path, *,
                   seeds: dict[str, frozenset[str]] | None = None,
                   console: Console | None = None,
                   batch_bytes: int | None = None,
                   into: Path | None = None,
                   extracted_at: datetime | None = None,
                   max_reject_pct: float | None = None) -> LoadReport:
    """Validate every contract file in ``src_dir`` and load it into ``warehouse``'s raw.*.

    ``seeds`` (unit/topic/portal-area codes) default to :func:`seed_codes`; tests pass their
    own.  ``batch_bytes`` is accepted for callers of earlier releases and ignored: DuckDB
    reads a file whole, within its memory limit.  Raises :class:`LoadRefused` (warehouse
    unchanged) if any file is refused.  ``into``: a writable copy of the warehouse that the
    caller already holds and swaps in (``cityops update``); by default the load makes and
    swaps in its own.  ``extracted_at``: when the extracts were taken (``--extracted-at``);
    by default each file's own latest moment (:func:`warehouse.loading.writing.
    file_extracted_at`), else the time of the load.  ``max_reject_pct`` (``cityops load``
    passes :data:`DEFAULT_MAX_REJECT_PCT` or ``--max-reject-pct``): refuse the load when
    nothing is recognised, every row is rejected or more than this share of the rows read
    is; None (the default of this function) keeps every load.
    """
    del batch_bytes
    src_dir, warehouse = Path(src_dir), Path(warehouse)
    if not src_dir.is_dir():
        what = "is not a directory" if src_dir.exists() else "does not exist"
        raise LoadRefused(f"{src_dir}: the source directory {what}; nothing was loaded. "
                          "Pass the directory holding the extracts (e.g. data/sample).")
    files, warnings = discover(src_dir)
    files.sort(key=lambda f: (LOAD_ORDER.index(f.contract.name), f.name))
    report = new_report(src_dir, warehouse, warnings)
    if not files:
        report.warnings.append(f"{src_dir}: no contract files found; tables left as they were")

    def work(con: duckdb.DuckDBPyConnection, load: LoadContext, scratch: Path,
             report: LoadReport) -> list[str]:
        refused: list[str] = []
        for source in files:
            try:
                opened = open_source(source, scanner)
                if refused:  # the load is lost anyway: only look for more refusals
                    inspect(con, opened, scratch)
                else:
                    report.files.append(_load_file(con, opened, load, scratch))
            except FileRefused as exc:
                refused.append(str(exc))
        return refused

    scanner = Scanner([f.path for f in files])  # hashes the files while the copy is made
    with contextlib.closing(scanner):
        return run_load(warehouse, report, work, needs_seeds=bool(files), seeds=seeds,
                        console=console, into=into, extracted_at=extracted_at,
                        max_reject_pct=max_reject_pct)
