"""The one core every reader feeds: a staged file in, raw.* and the audit out.

A reader — the CSV and Parquet readers of :mod:`warehouse.loading.reading`, and the
importers of native exports that convert them into the contracts — puts a file's rows
into a DuckDB relation (a view or a table) of *text* columns named as the contract (an
absent optional column may be NULL), plus ``_source_row`` (the row's number in the source
file) and ``_field_problem`` (NULL, or why the record could not be split into fields).  It
describes the file with a :class:`Staged` and calls :func:`load_stage`, which

1. reads the relation once and checks every row against every rule of the contract in one
   set-based SQL pass (:mod:`warehouse.loading.validation`), keeping the typed values;
2. applies the rules that need the whole file (duplicate keys, …);
3. hashes the personal data (:mod:`warehouse.pii`, each distinct value once);
4. writes the good rows to ``raw.<contract>``, the rejected ones with their original text
   and every reason to ``raw.<contract>__rejected`` (:mod:`warehouse.loading.writing`);
5. records the file in ``raw.load_audit`` (rows_read = rows_loaded + rows_rejected, and
   when the extract was taken: a version from an older extract than raw's is kept in
   ``raw.<contract>__history`` and reported, never applied),

inside the writable copy the caller holds (:func:`warehouse.load.load_directory` makes
it and swaps it in atomically).  The audit row names ``Staged.source_file`` — an importer
names the native file and its profile there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from warehouse.contracts import Contract
from warehouse.loading.reading import ROW
from warehouse.loading.report import FileResult
from warehouse.loading.validation import (
    REASON,
    FileContext,
    checked_sql,
    late_reasons_sql,
)
from warehouse.loading.writing import CODES, fill_codes, insert_audit, write_checked

CHECKED = "__checked"
KEPT_REASONS = 20  # reject reasons kept per file in the report (all are in __rejected)


@dataclass(frozen=True)
class Staged:
    """One source file's rows, staged as text by a reader."""

    contract: Contract
    relation: str  # _source_row, _field_problem, the contract's columns as text
    source_file: str  # recorded in raw (_source_file) and in the audit
    sha256: str
    description: str = ""  # how it was read, first part of the audit message
    decimal_mark: str = "."  # of the file's dialect: the other mark in a number is refused
    warnings: list[str] = field(default_factory=list)
    # called once the relation has been read: (connection, checked table, rows) — the CSV
    # reader numbers the records after a blank line there
    after_read: Callable[[duckdb.DuckDBPyConnection, str, int], None] | None = None


@dataclass(frozen=True)
class LoadContext:
    """What every file of one load shares."""

    load_id: str
    seeds: dict[str, frozenset[str]]
    pads: dict[str, bytes]  # HMAC pads of the PII key (warehouse.pii.hmac_pads)
    kept_reasons: int = KEPT_REASONS
    # when the extracts were taken (``--extracted-at``); None: each file's latest moment
    extracted_at: datetime | None = None
    loaded_at: datetime | None = None  # the load's start: a file with no moment at all


def check(con: duckdb.DuckDBPyConnection, staged: Staged, load: LoadContext) -> int:
    """Read and check the staged relation into the temp table ``__checked`` (typed values,
    reasons, the original text of rejected rows); returns the rows read.  A DuckDB error
    while reading the relation propagates (the reader knows what it means)."""
    contract = staged.contract
    refs = fill_codes(con, contract, load.seeds)
    ctx = FileContext(contract, staged.relation, CODES, refs,
                      loaded_at=load.loaded_at or datetime.now(),
                      decimal_mark=staged.decimal_mark)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS {checked_sql(ctx)}")
    (rows,) = con.execute(f"SELECT count(*) FROM {CHECKED}").fetchone()
    if staged.after_read is not None:
        staged.after_read(con, CHECKED, rows)
    # the rules that need the whole file: their reasons follow the row rules'
    con.execute(f"CREATE OR REPLACE TEMP TABLE __late AS {late_reasons_sql(contract, CHECKED)}")
    con.execute(f"UPDATE {CHECKED} AS c SET {REASON} = concat_ws('; ', c.{REASON}, l.reason) "
                f"FROM __late AS l WHERE l.{ROW} = c.{ROW}")
    con.execute("DROP TABLE __late")
    return rows


def load_stage(con: duckdb.DuckDBPyConnection, staged: Staged, load: LoadContext,
               started: datetime | None = None) -> FileResult:
    """Check, hash and write one staged file; its audit row and result."""
    started = started or datetime.now()
    rows = check(con, staged, load)
    return commit(con, staged, load, rows, started)


def commit(con: duckdb.DuckDBPyConnection, staged: Staged, load: LoadContext, rows: int,
           started: datetime) -> FileResult:
    """Write the checked rows of ``staged`` to raw.* and record the file."""
    contract = staged.contract
    written = write_checked(con, contract, CHECKED, staged.relation, load.load_id,
                            staged.source_file, load.pads, load.kept_reasons,
                            load.extracted_at, load.loaded_at or started)
    loaded, rejected, reasons = written.loaded, written.rejected, written.reasons
    con.execute(f"DROP TABLE {CHECKED}")
    assert rows == loaded + rejected, (staged.source_file, rows, loaded, rejected)
    status = "loaded with rejects" if rejected else "loaded"
    parts = ([staged.description] if staged.description else []) + staged.warnings
    parts.append(f"extracted at {written.extracted_at:%Y-%m-%d %H:%M:%S}")
    parts += written.notes(contract.name)
    if rows == 0:
        parts.append("header only: no data rows")
    if rejected:
        parts.append(f"{rejected} rejected, see raw.{contract.name}__rejected; "
                     f"first: {reasons[0][:300]}")
    message = "; ".join(parts)
    insert_audit(con, load_id=load.load_id, contract=contract.name,
                 file_name=staged.source_file, sha256=staged.sha256, rows_read=rows,
                 rows_loaded=loaded, rows_rejected=rejected, status=status, message=message,
                 started_at=started, finished_at=datetime.now(),
                 extracted_at=written.extracted_at)
    return FileResult(staged.source_file, contract.name, staged.sha256, rows, loaded,
                      rejected, status, message, reasons, list(staged.warnings),
                      extracted_at=written.extracted_at, older=written.older,
                      corrections=written.corrections + written.dropped)
