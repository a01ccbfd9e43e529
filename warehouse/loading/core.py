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
5. holds the rows of a child contract whose parent record is not in raw yet (a ticket's
   events delivered before the ticket) in ``raw.<contract>__pending``, with the reason;
   :func:`release_pending`, run after every file of a load, loads those whose parent has
   arrived, through every rule again;
6. records the file in ``raw.load_audit`` (rows_read = rows_loaded + rows_rejected +
   rows_pending, and when the extract was taken: a version from an older extract than
   raw's is kept in ``raw.<contract>__history`` and reported, never applied),

inside the writable copy the caller holds (:func:`warehouse.load.load_directory` makes
it and swaps it in atomically).  The audit row names ``Staged.source_file`` — an importer
names the native file and its profile there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb

from warehouse.contracts import (
    CONTRACTS,
    EXTRACTED_AT,
    LOAD_ORDER,
    REF_SERVICES,
    REF_TOPICS,
    REF_UNITS,
    Contract,
    parent_key_sql,
)
from warehouse.loading.reading import FIELD_PROBLEM, ROW
from warehouse.loading.report import FileResult
from warehouse.loading.validation import (
    PENDING,
    REASON,
    FileContext,
    checked_sql,
    late_reasons_sql,
    q,
)
from warehouse.loading.writing import CODES, fill_codes, insert_audit, write_checked

CHECKED = "__checked"
# the reference kinds whose unknown codes a reader may keep, flagged as unmapped
UNMAPPABLE = frozenset({REF_UNITS, REF_SERVICES, REF_TOPICS})
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
    status: str = "loaded"  # of the audit row ("released": rows that waited for a parent)
    # reference kinds (REF_UNITS, REF_SERVICES, REF_TOPICS of warehouse.contracts) whose
    # unknown codes are kept as they come instead of rejected: the "unknown …" rule of
    # every column referencing one of them does not run (an importer without a mapping;
    # `cityops load` keeps the rejection). The build shows such codes as unmapped units,
    # services and topics (dbt/DECISIONS.md § 19).
    unmapped: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.unmapped, frozenset):
            raise TypeError(f"Staged.unmapped is a frozenset, not {type(self.unmapped).__name__}")
        if self.unmapped - UNMAPPABLE:
            raise ValueError(f"Staged.unmapped: {sorted(self.unmapped - UNMAPPABLE)} cannot be "
                             f"kept unmapped (only {sorted(UNMAPPABLE)})")


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
                      decimal_mark=staged.decimal_mark, unmapped=staged.unmapped)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS {checked_sql(ctx)}")
    (rows,) = con.execute(f"SELECT count(*) FROM {CHECKED}").fetchone()
    if staged.after_read is not None:
        staged.after_read(con, CHECKED, rows)
    # the rules that need the whole file: their reasons follow the row rules'
    con.execute(f"CREATE OR REPLACE TEMP TABLE __late AS {late_reasons_sql(contract, CHECKED)}")
    con.execute(f"UPDATE {CHECKED} AS c SET {REASON} = concat_ws('; ', c.{REASON}, l.reason) "
                f"FROM __late AS l WHERE l.{ROW} = c.{ROW}")
    con.execute("DROP TABLE __late")
    # a row waits for its parent only when that is all it fails
    con.execute(f"UPDATE {CHECKED} SET {REASON} = concat_ws('; ', {REASON}, {PENDING}), "
                f"{PENDING} = NULL WHERE {REASON} IS NOT NULL AND {PENDING} IS NOT NULL")
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
                            load.extracted_at, load.loaded_at or started, staged.sha256,
                            staged.unmapped)
    loaded, rejected, reasons = written.loaded, written.rejected, written.reasons
    pending = written.pending
    con.execute(f"DROP TABLE {CHECKED}")
    assert rows == loaded + rejected + pending, (staged.source_file, rows, loaded, rejected,
                                                 pending)
    status = staged.status + (" with rejects" if rejected else "")
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
                 rows_loaded=loaded, rows_rejected=rejected, rows_pending=pending,
                 status=status, message=message, started_at=started,
                 finished_at=datetime.now(), extracted_at=written.extracted_at,
                 unmapped=staged.unmapped)
    return FileResult(staged.source_file, contract.name, staged.sha256, rows, loaded,
                      rejected, status, message, reasons, list(staged.warnings),
                      extracted_at=written.extracted_at, older=written.older,
                      corrections=written.corrections + written.dropped,
                      rows_pending=pending)


RELEASED = "__released"


def release_pending(con: duckdb.DuckDBPyConnection, load: LoadContext
                    ) -> tuple[list[FileResult], dict[str, int]]:
    """Load the waiting rows whose parent record has arrived (run after every file of a
    load): each file's released rows are staged again from their original text and go
    through every rule of the contract, as a file of their own under the original file's
    name, extraction time and sha256 (newer-wins and whole-set replacement included), its
    unknown codes kept unmapped where its reader kept them, with an audit row of status
    'released'.  Returns the results and, per child contract, the
    rows still waiting."""
    results, waiting = [], {}
    for name in LOAD_ORDER:
        contract = CONTRACTS[name]
        if contract.parent is None:
            continue
        table = f"raw.{name}__pending"
        parent_key = parent_key_sql(contract, lambda n: f"par.{q(n)}")
        arrived = (f"pending_key IN (SELECT {parent_key} FROM raw.{contract.parent} AS par)")
        groups = con.execute(
            f"SELECT _load_id, _source_file, _sha256, {EXTRACTED_AT}, _unmapped, count(*) "
            f"FROM {table} "
            f"WHERE {arrived} GROUP BY ALL ORDER BY {EXTRACTED_AT}, min(_load_id), "
            "_source_file").fetchall()
        cols = ", ".join(q(c.name) for c in contract.columns)
        for load_id, source_file, sha256, extracted_at, unmapped, _count in groups:
            started = datetime.now()
            one = ("_load_id = $load AND _source_file = $file AND _sha256 IS NOT DISTINCT "
                   f"FROM $sha AND {EXTRACTED_AT} = $e AND _unmapped IS NOT DISTINCT FROM "
                   f"$unmapped AND {arrived}")
            params = {"load": load_id, "file": source_file, "sha": sha256, "e": extracted_at,
                      "unmapped": unmapped}
            con.execute(f"CREATE OR REPLACE TEMP TABLE {RELEASED} AS SELECT {cols}, "
                        f"_source_row AS {ROW}, NULL::VARCHAR AS {FIELD_PROBLEM} "
                        f"FROM {table} WHERE {one} ORDER BY _source_row", params)
            con.execute(f"DELETE FROM {table} WHERE {one}", params)
            staged = Staged(contract, RELEASED, source_file, sha256,
                            description=f"released from {table}: their parent record "
                                        f"({contract.parent}) arrived (waiting since "
                                        f"load {load_id})",
                            status="released",
                            unmapped=frozenset(filter(None, (unmapped or "").split(","))))
            results.append(load_stage(con, staged, replace(load, extracted_at=extracted_at),
                                      started))
            con.execute(f"DROP TABLE {RELEASED}")
        (waiting[name],) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return results, waiting
