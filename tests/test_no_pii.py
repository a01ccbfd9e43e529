"""Issue 5 §4: no clear-text caller number or e-mail address in any table after a build.

Scans every text column of every table and view in every schema of the built fixture
warehouse (raw, rejected, staging, intermediate, marts, seeds, dbt's own): no value looks
like a Polish phone number or an e-mail address, and no caller number or e-mail of the
sample extracts appears, however it is written (as is, trimmed/lower-cased, digits only).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.store import current_file

# 9 digits (optionally +48 / 0048 / 48 first), spaces or dashes between, standing alone
PHONE_RE = r"(^|[^0-9A-Za-z])(\+?(00)?48[ -]?)?([0-9][ -]?){8}[0-9]($|[^0-9A-Za-z])"
EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


def _sample_pii(sample_dir: Path) -> tuple[list[str], list[str]]:
    calls = pl.read_csv(sample_dir / "calls.csv", infer_schema=False)
    subs = pl.read_csv(sample_dir / "submissions.csv", infer_schema=False)
    phones = calls["caller_number"].drop_nulls().unique().to_list()
    emails = subs["submitter_email"].drop_nulls().unique().to_list()
    return phones, emails


@pytest.fixture(scope="module")
def scan_con(built_warehouse: Path, sample_dir: Path):
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(current_file(built_warehouse))])
    phones, emails = _sample_pii(sample_dir)
    digits = [re.sub(r"\D", "", p)[-9:] for p in phones]
    pii = pl.DataFrame({
        "value": phones + emails + [e.strip().lower() for e in emails] + digits,
    }).unique()
    con.register("pii_values", pii)
    con.execute("create temp table pii as select value from pii_values")
    yield con
    con.close()


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = 'wh' and data_type = 'VARCHAR' order by all"
    ).fetchall()


def test_detectors_find_the_sample_pii(sample_dir: Path) -> None:
    """The scan can fail: the sample has PII and the patterns recognise all of it."""
    phones, emails = _sample_pii(sample_dir)
    assert len(phones) >= 100 and len(emails) >= 100
    assert all(re.search(PHONE_RE, p) for p in phones), [
        p for p in phones if not re.search(PHONE_RE, p)][:5]
    assert all(re.search(EMAIL_RE, e) for e in emails)
    # and it does not mistake our own identifiers and hashes for PII
    for harmless in ("FX000000001", "ZG00000001", "2025-01-02 07:34:15", "a3f5" * 8,
                     "123456789abcdef0123456789abcdef0", "IT-02-3", "KCK_INFOLINIA"):
        assert not re.search(EMAIL_RE, harmless) and not re.search(PHONE_RE, harmless)
    assert re.search(PHONE_RE, "dzwonił z 600-123-456 wczoraj")
    assert re.search(EMAIL_RE, "pisała z ewa.nowak@onet.pl")


def test_scan_covers_the_warehouse(scan_con) -> None:
    schemas = {s for s, _, _ in _text_columns(scan_con)}
    assert {"raw", "marts"} <= schemas
    hashed = {(t, c) for s, t, c in _text_columns(scan_con) if s == "raw"}
    assert ("calls", "caller_number_hash") in hashed
    assert ("submissions", "submitter_email_hash") in hashed
    assert ("calls", "caller_number") not in hashed
    assert ("submissions", "submitter_email") not in hashed
    n = scan_con.execute(
        "select count(caller_number_hash) from wh.raw.calls").fetchone()[0]
    assert n > 0  # the hashes are there, so the clear text had somewhere to go


def test_no_text_value_looks_like_a_phone_or_email(scan_con) -> None:
    found: list[str] = []
    for schema, table, column in _text_columns(scan_con):
        ref = f'wh."{schema}"."{table}"."{column}"'
        rows = scan_con.execute(
            f'select "{column}" from wh."{schema}"."{table}" '
            f'where regexp_matches("{column}", ?) or regexp_matches("{column}", ?) limit 3',
            [PHONE_RE, EMAIL_RE],
        ).fetchall()
        found += [f"{ref}: {r[0]!r}" for r in rows]
    assert found == []


def test_no_sample_caller_number_or_email_anywhere(scan_con) -> None:
    found: list[str] = []
    for schema, table, column in _text_columns(scan_con):
        col = f't."{column}"'
        hits = scan_con.execute(
            f'select {col} from wh."{schema}"."{table}" t join pii p on '
            f"p.value = {col} or p.value = lower(trim({col})) "
            f"or p.value = right(regexp_replace({col}, '[^0-9]', '', 'g'), 9) "
            f"and length(regexp_replace({col}, '[^0-9]', '', 'g')) between 9 and 13 limit 3"
        ).fetchall()
        found += [f"{schema}.{table}.{column}: {h[0]!r}" for h in hits]
    assert found == []
