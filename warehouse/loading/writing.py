"""Writing into raw.*: the checked rows of a file, its rejects, the audit.

:func:`write_checked` takes the checked table of one file (typed values and reject reasons,
:mod:`warehouse.loading.validation`) and writes it in a few set-based statements: the
keyed hashes of its personal data (each distinct value once), the upsert of its good rows
— rows of ``raw.<contract>`` from earlier files whose natural key this file has are
deleted, so a newer extract replaces older versions of the same records and loading
overlapping files never duplicates a key — and its rejected rows, with their original text,
into ``raw.<contract>__rejected``.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.contracts import (
    CONTRACTS,
    REF_PORTAL_AREAS,
    REF_PROJECTS,
    REF_SERVICES,
    REF_TOPICS,
    REF_UNITS,
    Contract,
)
from warehouse.loading.reading import ROW
from warehouse.loading.validation import REASON, q, t
from warehouse.pii import (
    hmac_sql,
    normalise_email_sql,
    normalise_phone_sql,
    phone_digits_sql,
)

LOADED_STATUSES = ("loaded", "loaded with rejects")
CODES = "__codes"
META = "_load_id, _source_file, _source_row"


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
    services in it_services.csv of the same load count for tickets.csv.
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
                               (REF_PROJECTS, "sc_projects", "project_id")):
        if ref in refs:
            con.execute(f"INSERT INTO {CODES} SELECT DISTINCT ?, {q(column)} FROM raw.{table} "
                        f"WHERE {q(column)} IS NOT NULL", [ref])
            held.add(ref)
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


def _upsert_delete(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str) -> None:
    """Delete the rows of raw.<contract> whose key the good rows of ``checked`` have."""
    name = contract.name
    if con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM raw.{name})").fetchone()[0]:
        return
    keys = [q(k) for k in contract.key]
    typed = [t(k) for k in contract.key]
    bounds = con.execute(
        f"SELECT {', '.join(f'min({k}), max({k})' for k in typed)} FROM {checked} "
        f"WHERE {REASON} IS NULL").fetchone()
    if bounds[0] is None:
        return
    match = " AND ".join(f"r.{k} = n.{k}" for k in keys)
    # the file's key range as constants lets DuckDB skip every row group (zone maps)
    # that cannot hold one of its keys: a day's calls against 5 M rows in 5 ms, not 0.6 s
    in_range = " AND ".join(f"r.{k} BETWEEN $lo{i} AND $hi{i}" for i, k in enumerate(keys))
    ranges = {f"{end}{i}": bounds[2 * i + (end == "hi")]
              for i in range(len(keys)) for end in ("lo", "hi")}
    select = ", ".join(f"{tk} AS {k}" for tk, k in zip(typed, keys, strict=True))
    con.execute(f"DELETE FROM raw.{name} AS r USING (SELECT {select} FROM {checked} "
                f"WHERE {REASON} IS NULL) AS n WHERE {match} AND {in_range}", ranges)


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


def write_checked(con: duckdb.DuckDBPyConnection, contract: Contract, checked: str,
                  relation: str, load_id: str, source_file: str, pads: dict[str, bytes],
                  kept_reasons: int) -> tuple[int, int, list[str]]:
    """Upsert the good rows of ``checked`` into raw.<contract> and append its rejected
    rows (original text, personal data hashed) to the rejects.

    Returns rows loaded, rows rejected and the first ``kept_reasons`` reasons (row order).
    """
    name, params = contract.name, {"load_id": load_id, "file": source_file}
    hashed = hash_pii(con, contract, checked, pads)
    _upsert_delete(con, contract, checked)
    values, joins = _values(contract, hashed, "c")
    con.execute(f"INSERT INTO raw.{name} ({_cols(contract)}, {META}) SELECT {values}, "
                f"$load_id, $file, c.{ROW} FROM {checked} AS c {joins} "
                f"WHERE c.{REASON} IS NULL", params)
    loaded, rejected = con.execute(
        f"SELECT count(*) FILTER (WHERE {REASON} IS NULL), "
        f"count(*) FILTER (WHERE {REASON} IS NOT NULL) FROM {checked}").fetchone()
    if rejected:
        con.execute(f"INSERT INTO raw.{name}__rejected ({_cols(contract)}, {REASON}, {META}) "
                    f"SELECT * EXCLUDE ({ROW}), $load_id, $file, {ROW} FROM "
                    f"({_rejects(contract, checked, relation, hashed)}) ORDER BY {ROW}", params)
    reasons = [r[0] for r in con.execute(
        f"SELECT 'row ' || {ROW} || ': ' || {REASON} FROM {checked} "
        f"WHERE {REASON} IS NOT NULL ORDER BY {ROW} LIMIT ?", [kept_reasons]).fetchall()]
    for table in hashed.values():
        con.execute(f"DROP TABLE {table}")
    return loaded, rejected, reasons


def insert_audit(con: duckdb.DuckDBPyConnection, *, load_id: str, contract: str,
                 file_name: str, sha256: str, rows_read: int, rows_loaded: int,
                 rows_rejected: int, status: str, message: str, started_at: datetime,
                 finished_at: datetime) -> None:
    assert rows_read == rows_loaded + rows_rejected, (file_name, rows_read, rows_loaded,
                                                      rows_rejected)
    assert contract in CONTRACTS
    con.execute(
        "INSERT INTO raw.load_audit (load_id, contract, file_name, sha256, rows_read, "
        "rows_loaded, rows_rejected, status, message, started_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, contract, file_name, sha256, rows_read, rows_loaded, rows_rejected, status,
         message, started_at, finished_at])
