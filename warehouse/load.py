"""`cityops load DIR`: validate source extracts and load them into the raw layer.

Decisions (see also the module docs of :mod:`warehouse.loading.reading`,
:mod:`warehouse.loading.validation`, :mod:`warehouse.pii`):

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
* **Rows.** Good rows go to ``raw.<contract>`` (typed, with ``_load_id``, ``_source_file``,
  ``_source_row`` = 1-based data record number, header = 0); bad rows to
  ``raw.<contract>__rejected`` with their original text and a reason listing every failed
  rule.  One ``raw.load_audit`` row per file; rows_read = rows_loaded + rows_rejected.
* **Idempotent.** A file whose sha256 an earlier load already loaded is skipped (audit row
  status ``skipped: already loaded``, rows_read = rows_loaded = rows_rejected = 0: nothing
  was read), so summing the audit never counts a row twice.  A newer extract upserts:
  rows with the same natural key are replaced.
* **PII.** caller_number and submitter_email are replaced by a keyed hash before anything
  is stored (:mod:`warehouse.pii`).
* **Memory.** A file is read, checked and written in batches of about 32 MiB
  (``batch_bytes``), good rows straight into ``raw.<contract>``; the rules that need the
  whole file (duplicate key, a ticket resolved before it was opened) run afterwards in
  DuckDB, whose memory is capped at ``DUCKDB_MEMORY`` (it spills beyond).  Peak memory is
  therefore about the same for 10 MB and 1 GB extracts (≈1.4 GB for the 10× sample).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
from rich.console import Console

from warehouse.contracts import (
    LOAD_ORDER,
    REF_PORTAL_AREAS,
    REF_TOPICS,
    REF_UNITS,
    Contract,
)
from warehouse.loading.reading import (
    BATCH_BYTES,
    ROW,
    FileRefused,
    OpenedFile,
    SourceFile,
    batches,
    discover,
    open_source,
)
from warehouse.loading.report import FileResult, LoadReport, print_report
from warehouse.loading.validation import (
    duplicate_reasons,
    late_reasons,
    resolved_before_opened,
    validate,
)
from warehouse.loading.writing import (
    already_loaded,
    commit_file,
    create_stage,
    duplicate_rows,
    insert_audit,
    insert_good,
    lookups_for,
    reject_late,
    stage_bad,
    tickets_of_batch,
)
from warehouse.migrations import migrate
from warehouse.pii import Hasher, pii_key, pseudonymise
from warehouse.store import writable_copy

__all__ = ["LoadRefused", "LoadReport", "FileResult", "load_directory", "seed_codes"]

KEPT_REASONS = 20  # reject reasons kept per file in the report (all are in __rejected)
BATCH_ENV = "CITYOPS_LOAD_BATCH_BYTES"
DUCKDB_MEMORY = "1GB"  # DuckDB's share while loading; staged files beyond it spill to disk


class LoadRefused(Exception):
    """The load was refused as a whole; the message names each file and column/rule."""


def seed_codes() -> dict[str, frozenset[str]]:
    """Unit, topic and portal-area codes from the reference seeds."""
    from warehouse import reference

    return {REF_UNITS: frozenset(reference.unit_codes()),
            REF_TOPICS: frozenset(reference.topic_codes()),
            REF_PORTAL_AREAS: frozenset(reference.portal_area_codes())}


def _hash_pii(frame: pl.DataFrame, contract: Contract, hasher: Hasher) -> pl.DataFrame:
    """PII columns → <col>_hash; other columns renamed to their stored name (the same)."""
    for col in contract.columns:
        if col.pii:
            frame = pseudonymise(frame, col.name, hasher, new_name=col.stored_name)
    return frame


def _originals(opened: OpenedFile, rows: list[int], hasher: Hasher,
               batch_bytes: int) -> pl.DataFrame:
    """The original text of some rows (PII hashed), read again from the file."""
    contract = opened.source.contract
    wanted = pl.DataFrame({ROW: rows}, schema={ROW: pl.Int64})
    parts = [frame.join(wanted, on=ROW, how="semi").select(ROW, *contract.column_names)
             for frame in batches(opened, batch_bytes)]
    return _hash_pii(pl.concat(parts), contract, hasher)


def _load_file(con: duckdb.DuckDBPyConnection, opened: OpenedFile, load_id: str,
               seeds: dict[str, frozenset[str]], hasher: Hasher, batch_bytes: int) -> FileResult:
    started = datetime.now()
    source, contract = opened.source, opened.source.contract
    warnings = []
    if opened.extra_columns:
        warnings.append(f"{source.name}: extra column(s) {', '.join(opened.extra_columns)} "
                        "ignored (not in the contract)")
    fmt = opened.encoding if opened.separator is None else \
        f"{opened.encoding}, '{opened.separator}'-separated"
    prev = already_loaded(con, opened.sha256)
    if prev is not None:
        message = f"same bytes (sha256) already loaded by load {prev}; nothing read"
        insert_audit(con, load_id=load_id, contract=contract.name, file_name=source.name,
                     sha256=opened.sha256, rows_read=0, rows_loaded=0, rows_rejected=0,
                     status="skipped: already loaded", message=message, started_at=started,
                     finished_at=datetime.now())
        return FileResult(source.name, contract.name, opened.sha256, 0, 0, 0,
                          "skipped: already loaded", message, warnings=warnings)
    lookups = lookups_for(con, contract, seeds)
    create_stage(con, contract)
    rows_read, events, opened_before = 0, [], []
    for frame in batches(opened, batch_bytes):  # raises FileRefused
        if contract.name == "ticket_events":
            lookups.tickets, earlier = tickets_of_batch(con, frame, load_id, source.name)
            opened_before.append(earlier)
        checked = validate(frame, contract, lookups)
        insert_good(con, contract, _hash_pii(checked.good, contract, hasher), load_id,
                    source.name)
        stage_bad(con, _hash_pii(checked.rejected, contract, hasher))
        rows_read += frame.height
        if checked.events is not None:
            events.append(checked.events)
    if opened_before:
        lookups.opened_events = pl.concat(opened_before)
    # the rules that need the whole file, in their order
    late = late_reasons(
        resolved_before_opened(events, lookups),
        duplicate_reasons(duplicate_rows(con, contract, load_id, source.name), contract))
    reject_late(con, contract, load_id, source.name, late,
                lambda rows: _originals(opened, rows, hasher, batch_bytes))
    rows_loaded, rows_rejected, reasons = commit_file(con, contract, load_id, source.name,
                                                      KEPT_REASONS)
    assert rows_read == rows_loaded + rows_rejected, (source.name, rows_read, rows_loaded,
                                                      rows_rejected)
    status = "loaded with rejects" if rows_rejected else "loaded"
    parts = [fmt] + warnings
    if rows_read == 0:
        parts.append("header only: no data rows")
    if rows_rejected:
        parts.append(f"{rows_rejected} rejected, see raw.{contract.name}__rejected; "
                     f"first: {reasons[0][:300]}")
    message = "; ".join(parts)
    insert_audit(con, load_id=load_id, contract=contract.name, file_name=source.name,
                 sha256=opened.sha256, rows_read=rows_read, rows_loaded=rows_loaded,
                 rows_rejected=rows_rejected, status=status, message=message,
                 started_at=started, finished_at=datetime.now())
    return FileResult(source.name, contract.name, opened.sha256, rows_read, rows_loaded,
                      rows_rejected, status, message, reasons, warnings)


def _inspect(source: SourceFile, batch_bytes: int) -> None:
    """Read a file to the end without loading it; raises FileRefused if it cannot be."""
    for _ in batches(open_source(source), batch_bytes):
        pass


def load_directory(src_dir: Path, warehouse: Path, *,
                   seeds: dict[str, frozenset[str]] | None = None,
                   console: Console | None = None,
                   batch_bytes: int | None = None,
                   into: Path | None = None) -> LoadReport:
    """Validate every contract file in ``src_dir`` and load it into ``warehouse``'s raw.*.

    ``seeds`` (unit/topic/portal-area codes) default to :func:`seed_codes`; tests pass their
    own.  Files are read in batches of about ``batch_bytes`` (default: $CITYOPS_LOAD_BATCH_BYTES
    or 32 MiB), so memory does not grow with the file.  Raises :class:`LoadRefused`
    (warehouse unchanged) if any file is refused.  ``into``: a writable copy of the
    warehouse that the caller already holds and swaps in (``cityops update``); by default
    the load makes and swaps in its own.
    """
    t0 = time.perf_counter()
    src_dir, warehouse = Path(src_dir), Path(warehouse)
    if not src_dir.is_dir():
        what = "is not a directory" if src_dir.exists() else "does not exist"
        raise LoadRefused(f"{src_dir}: the source directory {what}; nothing was loaded. "
                          "Pass the directory holding the extracts (e.g. data/sample).")
    files, warnings = discover(src_dir)
    files.sort(key=lambda f: (LOAD_ORDER.index(f.contract.name), f.name))
    load_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    report = LoadReport(load_id, src_dir, warehouse, warnings=warnings)
    if not files:
        report.warnings.append(f"{src_dir}: no contract files found; tables left as they were")
    seeds = seeds if seeds is not None else (seed_codes() if files else {})
    hasher = Hasher(pii_key(warehouse))
    batch_bytes = batch_bytes or int(os.environ.get(BATCH_ENV) or BATCH_BYTES)
    refused: list[str] = []
    copy = contextlib.nullcontext(into) if into is not None else writable_copy(warehouse)
    with copy as path, tempfile.TemporaryDirectory(prefix="cityops-load-") as spill:
        con = duckdb.connect(str(path), config={"memory_limit": DUCKDB_MEMORY,
                                                "temp_directory": spill})
        try:
            con.execute("SET enable_progress_bar = false")
            for step in migrate(con):
                report.warnings.append(f"{warehouse}: {step}")
            for source in files:
                try:
                    if refused:  # the load is lost anyway: only look for more refusals
                        _inspect(source, batch_bytes)
                    else:
                        report.files.append(_load_file(con, open_source(source), load_id,
                                                       seeds, hasher, batch_bytes))
                except FileRefused as exc:
                    refused.append(str(exc))
            if refused:
                raise LoadRefused(
                    f"load refused, nothing was loaded (the warehouse is unchanged); "
                    f"{len(refused)} file(s) cannot be loaded:\n"
                    + "\n".join(f"  - {r}" for r in refused))
        finally:
            con.close()
    report.seconds = time.perf_counter() - t0
    print_report(report, console)
    return report
