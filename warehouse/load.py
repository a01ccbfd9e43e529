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
"""

from __future__ import annotations

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
    ensure_raw_schema,
)
from warehouse.loading.reading import FileRefused, SourceFile, discover, read_source
from warehouse.loading.report import FileResult, LoadReport, print_report
from warehouse.loading.validation import validate
from warehouse.loading.writing import already_loaded, insert_audit, insert_rejected, lookups_for
from warehouse.loading.writing import upsert as upsert_rows
from warehouse.pii import pii_key, pseudonymise
from warehouse.store import writable_copy

__all__ = ["LoadRefused", "LoadReport", "FileResult", "load_directory", "seed_codes"]

KEPT_REASONS = 20  # reject reasons kept per file in the report (all are in __rejected)


class LoadRefused(Exception):
    """The load was refused as a whole; the message names each file and column/rule."""


def seed_codes() -> dict[str, frozenset[str]]:
    """Unit, topic and portal-area codes from the reference seeds."""
    from warehouse import reference

    return {REF_UNITS: frozenset(reference.unit_codes()),
            REF_TOPICS: frozenset(reference.topic_codes()),
            REF_PORTAL_AREAS: frozenset(reference.portal_area_codes())}


def _hash_pii(frame: pl.DataFrame, contract: Contract, key: bytes) -> pl.DataFrame:
    """PII columns → <col>_hash; other columns renamed to their stored name (the same)."""
    for col in contract.columns:
        if col.pii:
            frame = pseudonymise(frame, col.name, key, new_name=col.stored_name)
    return frame


def _load_file(con: duckdb.DuckDBPyConnection, source: SourceFile, load_id: str,
               seeds: dict[str, frozenset[str]], key: bytes) -> FileResult:
    started = datetime.now()
    read = read_source(source)  # raises FileRefused
    contract = source.contract
    warnings = []
    if read.extra_columns:
        warnings.append(f"{source.name}: extra column(s) {', '.join(read.extra_columns)} "
                        "ignored (not in the contract)")
    fmt = read.encoding if read.separator is None else \
        f"{read.encoding}, '{read.separator}'-separated"
    prev = already_loaded(con, read.sha256)
    if prev is not None:
        message = f"same bytes (sha256) already loaded by load {prev}; nothing read"
        insert_audit(con, load_id=load_id, contract=contract.name, file_name=source.name,
                     sha256=read.sha256, rows_read=0, rows_loaded=0, rows_rejected=0,
                     status="skipped: already loaded", message=message, started_at=started,
                     finished_at=datetime.now())
        return FileResult(source.name, contract.name, read.sha256, 0, 0, 0,
                          "skipped: already loaded", message, warnings=warnings)
    checked = validate(read.frame, contract, lookups_for(con, contract, seeds))
    good = _hash_pii(checked.good, contract, key)
    rejected = _hash_pii(checked.rejected, contract, key)
    upsert_rows(con, contract, good, load_id, source.name)
    insert_rejected(con, contract, rejected, load_id, source.name)
    rows_read, rows_loaded, rows_rejected = read.frame.height, good.height, rejected.height
    assert rows_read == rows_loaded + rows_rejected, (source.name, rows_read, rows_loaded,
                                                      rows_rejected)
    reasons = rejected.get_column("reject_reason").head(KEPT_REASONS).to_list()
    status = "loaded with rejects" if rows_rejected else "loaded"
    parts = [fmt] + warnings
    if rows_read == 0:
        parts.append("header only: no data rows")
    if rows_rejected:
        parts.append(f"{rows_rejected} rejected, see raw.{contract.name}__rejected; "
                     f"first: {reasons[0][:300]}")
    message = "; ".join(parts)
    insert_audit(con, load_id=load_id, contract=contract.name, file_name=source.name,
                 sha256=read.sha256, rows_read=rows_read, rows_loaded=rows_loaded,
                 rows_rejected=rows_rejected, status=status, message=message,
                 started_at=started, finished_at=datetime.now())
    return FileResult(source.name, contract.name, read.sha256, rows_read, rows_loaded,
                      rows_rejected, status, message, reasons, warnings)


def load_directory(src_dir: Path, warehouse: Path, *,
                   seeds: dict[str, frozenset[str]] | None = None,
                   console: Console | None = None) -> LoadReport:
    """Validate every contract file in ``src_dir`` and load it into ``warehouse``'s raw.*.

    ``seeds`` (unit/topic/portal-area codes) default to :func:`seed_codes`; tests pass their
    own.  Raises :class:`LoadRefused` (warehouse unchanged) if any file is refused.
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
    key = pii_key(warehouse)
    refused: list[str] = []
    with writable_copy(warehouse) as path:
        con = duckdb.connect(str(path))
        try:
            ensure_raw_schema(con)
            for source in files:
                if refused:  # the load is lost anyway: only look for more refusals
                    try:
                        read_source(source)
                    except FileRefused as exc:
                        refused.append(str(exc))
                    continue
                try:
                    report.files.append(_load_file(con, source, load_id, seeds, key))
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
