"""Pseudonymisation of personal data: caller numbers and e-mail addresses.

Every PII column of a contract (``caller_number``, ``submitter_email``) is replaced, before
anything is stored (good rows *and* rejected rows), by a keyed hash:

    hash = HMAC-SHA256(key, normalised value), hex, first 32 characters (128 bits)

The loader hashes in SQL (:func:`normalise_phone_sql`, :func:`normalise_email_sql`,
:func:`hmac_sql`: DuckDB's ``sha256`` over the key's pads, RFC 2104), each distinct value of
a file once; the polars normalisers and :func:`hmac_hex` are the reference the tests hold
it to.

Normalisation makes a repeat caller recognisable however the switch wrote the number:
spaces, dashes, dots, slashes and brackets are dropped, and the Polish country prefix
(``+48``, ``0048`` or ``48`` before nine digits) is removed, so ``+48 600-123-456``,
``0048600123456`` and ``600 123 456`` hash alike.  E-mail addresses are trimmed and
lower-cased.  Empty values stay empty (NULL).

The key: the environment variable ``CITYOPS_PII_KEY`` if set; otherwise the file
``<warehouse directory>/.pii.key`` (next to ``warehouse.duckdb``), created on first use with
64 random hex characters and mode 600.  Keep that file (or the variable) stable: a new key
gives new hashes, and repeat callers across loads would no longer match.  Losing the key is
the way to make the hashes unlinkable for good.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import polars as pl

ENV_KEY = "CITYOPS_PII_KEY"
KEY_FILE_NAME = ".pii.key"
HASH_CHARS = 32


def key_path(warehouse: Path) -> Path:
    return Path(warehouse).absolute().parent / KEY_FILE_NAME


def pii_key(warehouse: Path) -> bytes:
    """The hashing key: $CITYOPS_PII_KEY, else <warehouse dir>/.pii.key (generated once)."""
    env = os.environ.get(ENV_KEY)
    if env:
        return env.encode("utf-8")
    path = key_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise RuntimeError(f"{path} is empty: delete it (new hashes) or restore it") from None
        return key.encode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path.read_text(encoding="ascii").strip().encode("ascii")


PHONE_SEPARATORS = (" ", "\t", "\u00a0", "-", ".", "/", "(", ")")  # dropped from a number
# Unicode White_Space, trimmed around every value before it is normalised
_WHITESPACE = "".join(chr(c) for c in (
    *range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
    0x202F, 0x205F, 0x3000))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def phone_digits_sql(expr: str) -> str:
    """SQL: the number trimmed, without separators (the prefix still on)."""
    return f"translate(trim({expr}, {_lit(_WHITESPACE)}), {_lit(''.join(PHONE_SEPARATORS))}, '')"


def normalise_phone_sql(digits: str) -> str:
    """SQL over :func:`phone_digits_sql`'s result: the Polish prefix removed (``+48``,
    ``0048`` or ``48`` before nine digits), empty = NULL."""
    d, nine = digits, f"regexp_full_match(right({digits}, 9), '[0-9]{{9}}')"
    return (f"CASE WHEN strlen({d}) = 12 AND starts_with({d}, '+48') AND {nine} "
            f"THEN substr({d}, 4) "
            f"WHEN strlen({d}) = 13 AND starts_with({d}, '0048') AND {nine} THEN substr({d}, 5) "
            f"WHEN strlen({d}) = 11 AND starts_with({d}, '48') AND {nine} THEN substr({d}, 3) "
            f"WHEN strlen({d}) = 0 THEN NULL ELSE {d} END")


def normalise_email_sql(expr: str) -> str:
    """SQL: the address trimmed and lower-cased, empty = NULL."""
    return f"nullif(lower(trim({expr}, {_lit(_WHITESPACE)})), '')"


def normalise_phone(values: pl.Series) -> pl.Series:
    """Digits only (a leading '+' kept until the prefix is handled), Polish prefix removed
    (the reference of :func:`normalise_phone_sql`, used by the tests)."""
    digits = values.str.strip_chars().str.replace_many(list(PHONE_SEPARATORS),
                                                       [""] * len(PHONE_SEPARATORS))
    d = pl.col("d")
    n = d.str.len_bytes()
    nine_digits = d.str.slice(-9).str.contains(r"^\d{9}$")
    return pl.DataFrame({"d": digits}).select(
        pl.when((n == 12) & d.str.starts_with("+48") & nine_digits).then(d.str.slice(3))
        .when((n == 13) & d.str.starts_with("0048") & nine_digits).then(d.str.slice(4))
        .when((n == 11) & d.str.starts_with("48") & nine_digits).then(d.str.slice(2))
        .when(n == 0).then(None)
        .otherwise(d)
    ).to_series()


def normalise_email(values: pl.Series) -> pl.Series:
    trimmed = values.str.strip_chars().str.to_lowercase()
    return pl.DataFrame({"t": trimmed}).select(
        pl.when(pl.col("t") == "").then(None).otherwise(pl.col("t"))).to_series()


NORMALISERS = {"caller_number": normalise_phone, "submitter_email": normalise_email}


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """The key's inner and outer pads of HMAC-SHA256 (RFC 2104), as SQL parameters for
    :func:`hmac_sql`."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in key),
            "hmac_opad": bytes(b ^ 0x5C for b in key)}


def hmac_sql(expr: str) -> str:
    """SQL: the keyed hash of ``expr`` (text) — HMAC-SHA256(key, UTF-8 bytes), hex, first
    32 characters; exactly :func:`hmac_hex`.  Needs the parameters of :func:`hmac_pads`."""
    return (f"left(sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({expr})))), "
            f"{HASH_CHARS})")


def hmac_hex(key: bytes, value: str) -> str:
    """Reference implementation (the standard library's HMAC), used by the tests."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]
