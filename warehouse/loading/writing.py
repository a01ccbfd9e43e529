"""Writing into raw.*: the checked rows of a file, its rejects, the audit.

:func:`write_checked` takes the checked table of one file (typed values and reject reasons,
:mod:`warehouse.loading.validation`) and writes it in a few set-based statements: the
keyed hashes of its personal data (each distinct value once), the upsert of its good rows
and its rejected rows, with their original text, into ``raw.<contract>__rejected``.

**Newer means extracted later.** Every file has an extraction time (``--extracted-at``,
else the latest moment of its good rows: :func:`file_extracted_at`), stored on each row as
``_extracted_at``.  The upsert works per unit of delivery (``Contract.unit_key``: the
natural key, or the parent's key for a child contract such as a ticket's events):

* a unit whose version in raw comes from a newer extract — or from the same extract with
  more progress (a later latest moment of the row) — keeps it; the file's rows of that
  unit go to ``raw.<contract>__history`` (recoverable, with the reason) and are reported;
* otherwise the file's rows replace the rows of raw with the same natural key, and a
  child set the file delivers whole (``Contract.whole_set``, e.g. a ticket's events with
  its 'opened' event) replaces the unit's rows as a set, so a corrected event history
  never leaves the old event beside the new one.  A replacement that moves a moment back
  or clears it is a correction: it applies, and it is counted in the report.

A child row whose parent record is not in raw yet (``Contract.parent``: a ticket's events
before the ticket) is neither loaded nor rejected: :func:`hold_pending` keeps its original
text in ``raw.<contract>__pending`` until :func:`warehouse.loading.core.release_pending`
loads it.

So the same extracts give the same raw layer whatever order they are loaded in, and
loading overlapping files never duplicates a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.contracts import (
    CONTRACTS,
    DEFAULT_CALENDAR,
    EXTRACTED_AT,
    REF_CALENDARS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TOPICS,
    REF_UNITS,
    Contract,
    latest_moment_sql,
    parent_key_sql,
)
from warehouse.loading.reading import ROW
from warehouse.loading.validation import PENDING, REASON, key_match, q, t
from warehouse.pii import (
    hmac_sql,
    normalise_email_sql,
    normalise_phone_sql,
    phone_digits_sql,
)

LOADED_STATUSES = ("loaded", "loaded with rejects")
CODES = "__codes"
META = f"_load_id, _source_file, _source_row, {EXTRACTED_AT}"
OLDER = "__older"  # the rows of the checked file that lose to a newer extract in raw


def file_extracted_at(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str
                      ) -> datetime | None:
    """The default extraction time of a checked file that does not say when it was taken:
    the latest moment of its good rows (events first, see
    :func:`warehouse.contracts.latest_moment_sql`); None when no good row has one."""
    latest = latest_moment_sql(contract, t)
    if latest is None:
        return None
    return con.execute(f"SELECT max({latest}) FROM {checked} WHERE {REASON} IS NULL"
                       ).fetchone()[0]


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    """The load_id that already loaded a file with these bytes, if any."""
    row = con.execute(
        "SELECT load_id FROM raw.load_audit WHERE sha256 = ? AND status IN (?, ?) "
        "ORDER BY started_at LIMIT 1", [sha256, *LOADED_STATUSES]).fetchone()
    return row[0] if row else None


def fill_codes(con: duckdb.DuckDBPyConnection, contract: Contract,
               seeds: dict[str, frozenset[str]]) -> frozenset[str]:
    """The reference codes ``contract`` is checked against, in the temp table ``__codes``
    (ref, code): the seeds plus the catalogues raw.* holds now.  Returns the reference
    sets it holds.

    raw.* already contains this load's earlier files (contracts load in LOAD_ORDER), so
    services in it_services.csv of the same load count for tickets.csv; the working
    calendars are those imports declared (an import declares its own before its tickets)
    and UMK.
    """
    refs = {c.ref for c in contract.columns if c.ref}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CODES} (ref VARCHAR, code VARCHAR)")
    held = set()
    for ref in (REF_UNITS, REF_TOPICS, REF_PORTAL_AREAS):
        if ref in refs and ref in seeds:
            con.execute(f"INSERT INTO {CODES} SELECT ?, unnest(?::VARCHAR[])",
                        [ref, sorted(seeds[ref])])
            held.add(ref)
    for ref, table, column in ((REF_SERVICES, "it_services", "service_code"),
                               (REF_PROJECTS, "sc_projects", "project_id"),
                               (REF_CALENDARS, "working_calendars", "calendar_code")):
        if ref in refs and table != contract.parent:  # a parent is joined itself
            con.execute(f"INSERT INTO {CODES} SELECT DISTINCT ?, {q(column)} FROM raw.{table} "
                        f"WHERE {q(column)} IS NOT NULL", [ref])
            held.add(ref)
    if REF_CALENDARS in held:  # the default calendar is no row of raw.working_calendars
        con.execute(f"INSERT INTO {CODES} VALUES (?, ?)", [REF_CALENDARS, DEFAULT_CALENDAR])
    return frozenset(held)


def _cols(contract: Contract) -> str:
    return ", ".join(q(c.stored_name) for c in contract.columns)


def hash_pii(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str,
             pads: dict[str, bytes]) -> dict[str, str]:
    """A table (v, h) per PII column of ``checked``: each distinct value as the file holds
    it and the keyed hash of its normalised form, computed once per distinct value.
    Returns column -> table."""
    tables = {}
    for col in contract.columns:
        if not col.pii:
            continue
        table = f"__pii_{col.name}"
        if col.name == "caller_number":  # the digits once, then the prefix rules over them
            norm = (f"SELECT v, {normalise_phone_sql('d')} AS n FROM (SELECT v, "
                    f"{phone_digits_sql('v')} AS d FROM distinct_values)")
        else:
            norm = f"SELECT v, {normalise_email_sql('v')} AS n FROM distinct_values"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS WITH distinct_values AS "
                    f"(SELECT DISTINCT {t(col.name)} AS v FROM {checked} WHERE {t(col.name)} IS "
                    f"NOT NULL) SELECT v, {hmac_sql('n')} AS h FROM ({norm})", pads)
        tables[col.name] = table
    return tables


def _values(contract: Contract, hashed: dict[str, str], alias: str) -> tuple[str, str]:
    """The stored values of the contract columns (PII: the hash) and the joins they need."""
    values, joins = [], []
    for col in contract.columns:
        if col.pii:
            joins.append(f"LEFT JOIN {hashed[col.name]} AS {q('h_' + col.name)} "
                         f"ON {q('h_' + col.name)}.v = {alias}.{t(col.name)}")
            values.append(f"{q('h_' + col.name)}.h")
        else:
            values.append(f"{alias}.{t(col.name)}")
    return ", ".join(values), " ".join(joins)


def _key_range(con: duckdb.DuckDBPyConnection, checked: str, key: tuple[str, ...]
               ) -> tuple[str, dict] | None:
    """A condition on raw alias ``r`` bounding ``key`` to the good rows' range (as
    constants DuckDB skips every row group — zone maps — that cannot hold one of its keys:
    a day's calls against 5 M rows in 5 ms, not 0.6 s); None when no good row has one."""
    typed = [t(k) for k in key]
    bounds = con.execute(
        f"SELECT {', '.join(f'min({k}), max({k})' for k in typed)} FROM {checked} "
        f"WHERE {REASON} IS NULL").fetchone()
    if bounds[0] is None:
        return None
    cond = " AND ".join(f"r.{q(k)} BETWEEN $lo{i} AND $hi{i}" for i, k in enumerate(key))
    return cond, {f"{end}{i}": bounds[2 * i + (end == "hi")]
                  for i in range(len(key)) for end in ("lo", "hi")}


def _decide(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str,
            extracted_at: datetime) -> tuple[int, int, int]:
    """Fill ``__older`` (the good rows of ``checked`` that lose to raw) and delete the raw
    rows the others replace.  Returns the rows older than raw, the corrections (a
    replacement moving a moment back or clearing it) and the rows of raw dropped because a
    set delivered whole no longer holds them (the rest of the set is replaced by key).

    A row is older when raw holds its key from a newer extract (or from the same one with
    more progress); every row of a set the file delivers whole is older when raw holds that
    record from a newer extract.  A row of a new key in a set not delivered whole (a delta:
    a ticket's new events) is simply added."""
    name, unit = contract.name, contract.unit_key
    con.execute(f"CREATE OR REPLACE TEMP TABLE {OLDER} ({ROW} BIGINT)")
    if con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM raw.{name})").fetchone()[0]:
        return 0, 0, 0
    ranged = _key_range(con, checked, unit)
    if ranged is None:
        return 0, 0, 0
    in_range, params = ranged
    by_key = " AND ".join(key_match(contract, "r", "c", left_col=q))
    progress_raw = latest_moment_sql(contract, lambda n: f"r.{q(n)}") or "NULL"
    progress_new = latest_moment_sql(contract, lambda n: f"c.{t(n)}") or "NULL"
    con.execute(
        f"INSERT INTO {OLDER} SELECT c.{ROW} FROM {checked} AS c "
        f"JOIN raw.{name} AS r ON {by_key} AND {in_range} WHERE c.{REASON} IS NULL AND "
        f"(r.{EXTRACTED_AT} > $e OR (r.{EXTRACTED_AT} = $e AND {progress_raw} > "
        f"{progress_new}))", {**params, "e": extracted_at})
    whole = None
    if contract.whole_set is not None:  # the sets this file delivers whole
        cols = ", ".join(f"{t(c.name)} AS {q(c.name)}" for c in contract.columns)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __whole AS SELECT {', '.join(q(k) for k in unit)} "
            f"FROM (SELECT {cols} FROM {checked} WHERE {REASON} IS NULL) GROUP BY ALL "
            f"HAVING {contract.whole_set}")
        match = " AND ".join(f"r.{q(k)} = w.{q(k)}" for k in unit)
        # of those, the sets raw holds from a newer extract: every row of them is older
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __whole_older AS SELECT DISTINCT "
            f"{', '.join('w.' + q(k) for k in unit)} FROM __whole AS w JOIN raw.{name} AS r "
            f"ON {match} AND {in_range} WHERE r.{EXTRACTED_AT} > $e",
            {**params, "e": extracted_at})
        of_unit = " AND ".join(f"o.{q(k)} = c.{t(k)}" for k in unit)
        con.execute(
            f"INSERT INTO {OLDER} SELECT c.{ROW} FROM {checked} AS c JOIN __whole_older AS o "
            f"ON {of_unit} WHERE c.{REASON} IS NULL AND c.{ROW} NOT IN "
            f"(SELECT {ROW} FROM {OLDER})")
        whole = (f"(SELECT * FROM __whole AS w WHERE NOT EXISTS (SELECT 1 FROM __whole_older "
                 f"AS o WHERE {' AND '.join(f'o.{q(k)} = w.{q(k)}' for k in unit)}))")
    (older,) = con.execute(f"SELECT count(*) FROM {OLDER}").fetchone()
    winners = (f"(SELECT * FROM {checked} WHERE {REASON} IS NULL AND {ROW} NOT IN "
               f"(SELECT {ROW} FROM {OLDER}))")
    moments = contract.moments("event") + contract.moments("plan")
    corrections = dropped = 0
    if moments:  # a replacement moving a moment back, or clearing it, is a correction
        back = " OR ".join(f"c.{t(m)} < r.{q(m)} OR (c.{t(m)} IS NULL AND r.{q(m)} IS NOT "
                           "NULL)" for m in moments)
        (corrections,) = con.execute(
            f"SELECT count(*) FROM {winners} AS c JOIN raw.{name} AS r ON {by_key} AND "
            f"{in_range} WHERE {back}", params).fetchone()
    con.execute(f"DELETE FROM raw.{name} AS r USING {winners} AS c WHERE {by_key} AND "
                f"{in_range}", params)
    if whole is not None:  # a set delivered whole replaces the record's rows
        match = " AND ".join(f"r.{q(k)} = w.{q(k)}" for k in unit)
        (dropped,) = con.execute(
            f"SELECT count(*) FROM raw.{name} AS r JOIN {whole} AS w ON {match} "
            f"WHERE {in_range}", params).fetchone()
        con.execute(f"DELETE FROM raw.{name} AS r USING {whole} AS w WHERE {match} AND "
                    f"{in_range}", params)
        con.execute("DROP TABLE __whole")
        con.execute("DROP TABLE __whole_older")
    return older, corrections, dropped


def _rejects(contract: Contract, checked: str, relation: str, hashed: dict[str, str]
             ) -> str:
    """SELECT of the rejected rows as raw.<contract>__rejected holds them: the original
    text (read again from the relation, for these rows only), PII hashed, the reason."""
    text = ", ".join(f"{q('h_' + c.name)}.h" if c.pii else f"s.{q(c.name)}"
                     for c in contract.columns)
    joins = " ".join(f"LEFT JOIN {hashed[c.name]} AS {q('h_' + c.name)} "
                     f"ON {q('h_' + c.name)}.v = c.{t(c.name)}"
                     for c in contract.columns if c.pii)
    rows = f"SELECT {ROW} FROM {checked} WHERE {REASON} IS NOT NULL"
    return (f"SELECT {text}, 'row ' || c.{ROW} || ': ' || c.{REASON} AS {REASON}, c.{ROW} "
            f"FROM {checked} AS c JOIN (SELECT * FROM {relation} WHERE {ROW} IN ({rows})) AS s "
            f"USING ({ROW}) {joins}")


def hold_pending(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str,
                 relation: str, *, load_id: str, source_file: str, sha256: str,
                 extracted_at: datetime, unmapped: frozenset[str] = frozenset()) -> int:
    """Move the rows of ``checked`` that wait for their parent record into
    raw.<contract>__pending (their original text, the parent key, the file's extraction
    time, sha256 and kept-unmapped reference kinds, so the release loads them as their file
    would have); returns how many."""
    (waiting,) = con.execute(f"SELECT count(*) FROM {checked} WHERE {PENDING} IS NOT NULL"
                             ).fetchone()
    if not waiting:
        return 0
    text = ", ".join(f"s.{q(c.name)}" for c in contract.columns)
    key = parent_key_sql(contract, lambda n: f"c.{t(n)}")
    con.execute(
        f"INSERT INTO raw.{contract.name}__pending SELECT {text}, c.{PENDING}, {key}, "
        f"$load_id, $file, c.{ROW}, $e, $sha, $unmapped FROM {checked} AS c JOIN (SELECT * "
        f"FROM {relation} WHERE {ROW} IN (SELECT {ROW} FROM {checked} WHERE {PENDING} IS "
        f"NOT NULL)) AS s USING ({ROW}) ORDER BY c.{ROW}",
        {"load_id": load_id, "file": source_file, "e": extracted_at, "sha": sha256,
         "unmapped": ",".join(sorted(unmapped))})
    con.execute(f"DELETE FROM {checked} WHERE {PENDING} IS NOT NULL")
    return waiting


@dataclass(frozen=True)
class Written:
    """What :func:`write_checked` did with one checked file."""

    loaded: int  # good rows: in raw, or (``older``) in the history table
    rejected: int
    pending: int  # rows waiting for their parent record in raw.<contract>__pending
    reasons: list[str]  # the first few reject reasons, row order
    extracted_at: datetime
    older: int = 0  # good rows of an older extract than raw's: kept in __history
    corrections: int = 0  # rows replacing a version with a later moment (or one cleared)
    dropped: int = 0  # rows of raw a set delivered whole no longer holds

    def notes(self, contract: str) -> list[str]:
        """The report's words for what was not a plain insert."""
        out = []
        if self.pending:
            out.append(f"{self.pending} row(s) wait for their parent record in "
                       f"raw.{contract}__pending (loaded when it arrives)")
        if self.older:
            out.append(f"{self.older} row(s) from an older extract than the version in raw "
                       f"(this one extracted {self.extracted_at:%Y-%m-%d %H:%M:%S}) kept in "
                       f"raw.{contract}__history, not applied")
        if self.corrections:
            out.append(f"{self.corrections} correction(s): a newer extract moves a moment "
                       "back or clears it; applied")
        if self.dropped:
            out.append(f"{self.dropped} row(s) of raw replaced as a set: the newer delivery "
                       "of their record no longer holds them")
        return out


def write_checked(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str,
                  relation: str, load_id: str, source_file: str, pads: dict[str, bytes],
                  kept_reasons: int, extracted_at: datetime | None = None,
                  loaded_at: datetime | None = None, sha256: str = "",
                  unmapped: frozenset[str] = frozenset()) -> Written:
    """Upsert the good rows of ``checked`` into raw.<contract> (those of an older extract
    than raw's into raw.<contract>__history), hold the rows waiting for their parent
    (:func:`hold_pending`) and append its rejected rows (original text, personal data
    hashed) to the rejects.

    ``extracted_at``: when the file was taken; default :func:`file_extracted_at`, else (no
    good row has a moment) ``loaded_at``, the time of the load. ``unmapped``: the reference
    kinds whose unknown codes the file's reader keeps (remembered by waiting rows).
    """
    name = contract.name
    extracted_at = (extracted_at or file_extracted_at(con, contract, checked)
                    or loaded_at or datetime.now())
    params = {"load_id": load_id, "file": source_file, "e": extracted_at}
    pending = hold_pending(con, contract, checked, relation, load_id=load_id,
                           source_file=source_file, sha256=sha256, extracted_at=extracted_at,
                           unmapped=unmapped)
    hashed = hash_pii(con, contract, checked, pads)
    older, corrections, dropped = _decide(con, contract, checked, extracted_at)
    values, joins = _values(contract, hashed, "c")
    # no row lost to a newer extract (the usual load): no anti-join over every good row
    newer = f" AND c.{ROW} NOT IN (SELECT {ROW} FROM {OLDER})" if older else ""
    con.execute(f"INSERT INTO raw.{name} ({_cols(contract)}, {META}) SELECT {values}, "
                f"$load_id, $file, c.{ROW}, $e FROM {checked} AS c {joins} "
                f"WHERE c.{REASON} IS NULL{newer}", params)
    if older:
        reason = (f"an older extract ({extracted_at:%Y-%m-%d %H:%M:%S}) than the version in "
                  f"raw.{name}")
        con.execute(f"INSERT INTO raw.{name}__history ({_cols(contract)}, {META}, "
                    f"history_reason) SELECT {values}, $load_id, $file, c.{ROW}, $e, $reason "
                    f"FROM {checked} AS c {joins} WHERE c.{ROW} IN (SELECT {ROW} FROM {OLDER})",
                    {**params, "reason": reason})
    con.execute(f"DROP TABLE {OLDER}")
    loaded, rejected = con.execute(
        f"SELECT count(*) FILTER (WHERE {REASON} IS NULL), "
        f"count(*) FILTER (WHERE {REASON} IS NOT NULL) FROM {checked}").fetchone()
    if rejected:
        con.execute(f"INSERT INTO raw.{name}__rejected ({_cols(contract)}, {REASON}, "
                    f"_load_id, _source_file, _source_row) "
                    f"SELECT * EXCLUDE ({ROW}), $load_id, $file, {ROW} FROM "
                    f"({_rejects(contract, checked, relation, hashed)}) ORDER BY {ROW}",
                    {"load_id": load_id, "file": source_file})
    reasons = [r[0] for r in con.execute(
        f"SELECT 'row ' || {ROW} || ': ' || {REASON} FROM {checked} "
        f"WHERE {REASON} IS NOT NULL ORDER BY {ROW} LIMIT ?", [kept_reasons]).fetchall()]
    for table in hashed.values():
        con.execute(f"DROP TABLE {table}")
    return Written(loaded, rejected, pending, reasons, extracted_at, older, corrections,
                   dropped)


def insert_audit(con: duckdb.DuckDBPyConnection, *, load_id: str, contract: str,
                 file_name: str, sha256: str, rows_read: int, rows_loaded: int,
                 rows_rejected: int, status: str, message: str, started_at: datetime,
                 finished_at: datetime, extracted_at: datetime | None = None,
                 rows_pending: int = 0, unmapped: frozenset[str] = frozenset()) -> None:
    """One file's row of raw.load_audit; ``unmapped``: the reference kinds whose unknown
    codes its reader kept (comma-separated; the raw suites of ``cityops check`` accept
    them in that file's rows)."""
    assert rows_read == rows_loaded + rows_rejected + rows_pending, (
        file_name, rows_read, rows_loaded, rows_rejected, rows_pending)
    assert contract in CONTRACTS
    con.execute(
        "INSERT INTO raw.load_audit (load_id, contract, file_name, sha256, rows_read, "
        "rows_loaded, rows_rejected, rows_pending, status, message, started_at, finished_at, "
        "extracted_at, unmapped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, contract, file_name, sha256, rows_read, rows_loaded, rows_rejected,
         rows_pending, status, message, started_at, finished_at, extracted_at,
         ",".join(sorted(unmapped))])
