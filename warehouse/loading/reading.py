"""Reading source extracts: find the contract files, detect encoding and separator, parse.

Everything is read as *text* (no type inference) so a rejected row keeps its original
values.  A file that cannot be read at all raises :class:`FileRefused` with a message that
names the file and the reason; row-level problems (a truncated line, a line with too many
fields) are reported per row in ``_field_problem`` and rejected later by validation.

Row numbers: ``_source_row`` is the 1-based number of the data record, the header being
record 0.  Without quoted line breaks, data row N is line N + 1 of the file.  Blank lines are
not records: they are skipped and not counted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from warehouse.contracts import CONTRACTS, Contract

SUFFIXES = (".csv", ".parquet")
ROW = "_source_row"
FIELD_PROBLEM = "_field_problem"

# <contract>.csv, <contract>.parquet, or <contract>_<anything>.csv (e.g. calls_2025-02.csv)
_NAME_RE = re.compile(r"^(?P<contract>[a-z_]+?)(?:[._-](?P<part>[^/]*))?\.(?P<ext>csv|parquet)$")


class FileRefused(Exception):
    """A whole file cannot be loaded (unreadable, wrong schema, required column missing)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    contract: Contract
    fmt: str  # "csv" | "parquet"

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class ReadResult:
    frame: pl.DataFrame  # _source_row, _field_problem, then every contract column (String)
    sha256: str
    encoding: str  # "utf-8", "utf-8-sig", "cp1250", "parquet"
    separator: str | None
    extra_columns: list[str]


def match_contract(file_name: str) -> Contract | None:
    """The contract a file belongs to, by name; None for anything else.

    ``calls.csv``, ``calls.parquet`` and ``calls_2025-02.csv`` are calls; the longest
    contract name wins (``ticket_events.csv`` is not ``tickets``).
    """
    lower = file_name.lower()
    best: Contract | None = None
    for name, contract in CONTRACTS.items():
        for ext in SUFFIXES:
            if lower == name + ext or (
                lower.endswith(ext) and lower.startswith(name) and lower[len(name)] in "._-"
            ):
                if best is None or len(name) > len(best.name):
                    best = contract
    return best


def discover(src_dir: Path) -> tuple[list[SourceFile], list[str]]:
    """Contract files in ``src_dir`` in sorted file-name order, and warnings for the rest."""
    files: list[SourceFile] = []
    warnings: list[str] = []
    for path in sorted(src_dir.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.is_dir():
            continue
        contract = match_contract(path.name)
        if contract is None:
            warnings.append(
                f"{path.name}: not a contract file, skipped (expected <contract>.csv or "
                f"<contract>.parquet with contract one of: {', '.join(CONTRACTS)})"
            )
            continue
        fmt = "parquet" if path.name.lower().endswith(".parquet") else "csv"
        files.append(SourceFile(path, contract, fmt))
    return files, warnings


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode(data: bytes, file_name: str) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM or not) if valid, else Windows-1250."""
    try:
        text = data.decode("utf-8-sig")
        return text, ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as utf_err:
        try:
            return data.decode("cp1250"), "cp1250"
        except UnicodeDecodeError as cp_err:
            raise FileRefused(
                f"{file_name}: cannot decode as UTF-8 (byte 0x{data[utf_err.start]:02x} at "
                f"offset {utf_err.start}) nor as Windows-1250 (byte 0x{data[cp_err.start]:02x} "
                f"at offset {cp_err.start}); re-export it as UTF-8"
            ) from None


def _header_fields(header_line: str, sep: str) -> list[str]:
    row = next(csv.reader([header_line], delimiter=sep), [])
    return [f.strip().strip("\ufeff").lower() for f in row]


def sniff_separator(header_line: str, contract: Contract) -> str:
    """',' or ';': the one whose split of the header names more contract columns."""
    known = set(contract.column_names)

    def score(sep: str) -> tuple[int, int]:
        fields = _header_fields(header_line, sep)
        return (sum(f in known for f in fields), len(fields))

    return max((",", ";"), key=score)


def _check_columns(header: list[str], source: SourceFile) -> list[str]:
    """Refuse a file without a required column; return the extra (ignored) columns."""
    contract = source.contract
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise FileRefused(f"{source.name}: column(s) {', '.join(dupes)} appear more than once "
                          "in the header")
    required = [c.name for c in contract.columns if c.required]
    missing = [c for c in required if c not in header]
    if missing:
        raise FileRefused(
            f"{source.name}: required column(s) {', '.join(repr(m) for m in missing)} missing "
            f"(header has: {', '.join(header) or 'nothing'}); fix the export so the header "
            f"names every column of the {contract.name} contract"
        )
    return [h for h in header if h not in contract.column_names]


def _field_counts(text: str, sep: str) -> pl.Series | None:
    """Fields per record (header excluded), quote-aware, vectorised.

    Fast path: when no quoted field spans lines, every line is a record.  Otherwise None
    (the caller falls back to the csv module).
    """
    lines = pl.Series("l", [text]).str.split("\n").explode()
    if lines.len() and lines[-1] == "":
        lines = lines.head(-1)
    quotes = lines.str.count_matches('"', literal=True)
    if (quotes % 2 != 0).any():
        return None
    unquoted = lines.str.replace_all(r'"(?:[^"]|"")*"', "")
    counts = unquoted.str.count_matches(sep, literal=True) + 1
    counts = pl.select(
        pl.when(lines.str.strip_chars("\r") == "").then(0).otherwise(counts)
    ).to_series()
    return counts.slice(1)


def _field_counts_slow(text: str, sep: str) -> pl.Series:
    csv.field_size_limit(1 << 30)
    counts = [len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)]
    return pl.Series("n", counts[1:], dtype=pl.Int64)


def read_csv(source: SourceFile) -> ReadResult:
    data = source.path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise FileRefused(
            f"{source.name}: empty file ({len(data)} bytes), no header row; the export "
            f"probably failed — re-export it (a file with a header and no rows is fine)"
        )
    text, encoding = decode(data, source.name)
    raw_ok = encoding == "utf-8"  # polars can parse the original bytes as they are
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        raw_ok = False
    header_line = text.split("\n", 1)[0]
    sep = sniff_separator(header_line, source.contract)
    header = _header_fields(header_line, sep)
    extra = _check_columns(header, source)
    n_fields = len(header)
    try:
        frame = pl.read_csv(
            data if raw_ok else text.encode("utf-8"),
            separator=sep,
            infer_schema=False,
            empty_string_is_null=False,
            truncate_ragged_lines=True,
            new_columns=header,
            raise_if_empty=False,
        )
    except Exception as exc:  # polars raises several error types for malformed CSV
        first = str(exc).strip().splitlines()
        raise FileRefused(
            f"{source.name}: not a readable CSV ({first[-1] if first else type(exc).__name__}); "
            "check quoting and separators"
        ) from None
    counts = _field_counts(text, sep)
    if counts is None or counts.len() != frame.height:
        counts = _field_counts_slow(text, sep)
    if counts.len() != frame.height:
        raise FileRefused(f"{source.name}: could not split the file into records consistently "
                          f"({frame.height} vs {counts.len()}); check quoting")
    frame = frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW),
        pl.Series("_n", counts, dtype=pl.Int64),
    )
    frame = frame.filter(pl.col("_n") > 0)  # blank lines are not records
    frame = frame.with_columns(
        pl.when(pl.col("_n") < n_fields)
        .then(pl.format("truncated line: {} of {} fields", pl.col("_n"), pl.lit(n_fields)))
        .when(pl.col("_n") > n_fields)
        .then(pl.format("{} fields, the header has {}", pl.col("_n"), pl.lit(n_fields)))
        .otherwise(None)
        .alias(FIELD_PROBLEM)
    )
    return ReadResult(_contract_frame(frame, source.contract), digest, encoding, sep, extra)


_COMPATIBLE: dict[str, tuple[type, ...]] = {
    "str": (pl.String,),
    "int": (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
            pl.UInt64),
    "float": (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
              pl.UInt64, pl.Float32, pl.Float64, pl.Decimal),
    "bool": (pl.String, pl.Boolean),
    "timestamp": (pl.String, pl.Datetime),
    "date": (pl.String, pl.Date),
}


def read_parquet(source: SourceFile) -> ReadResult:
    digest = sha256_of(source.path)
    try:
        frame = pl.read_parquet(source.path)
    except Exception as exc:
        raise FileRefused(f"{source.name}: not a readable Parquet file ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    header = frame.columns
    extra = _check_columns(header, source)
    wrong = []
    casts = []
    for col in source.contract.columns:
        if col.name not in frame.columns:
            continue
        dtype = frame.schema[col.name]
        if dtype == pl.Null:
            casts.append(pl.col(col.name).cast(pl.String))
            continue
        if not isinstance(dtype, _COMPATIBLE[col.type]) and dtype not in _COMPATIBLE[col.type]:
            wrong.append(f"column {col.name!r} is {dtype}, the contract wants {col.type}")
            continue
        if col.type == "timestamp" and dtype != pl.String:
            casts.append(pl.col(col.name).dt.strftime("%Y-%m-%d %H:%M:%S"))
        elif col.type == "date" and dtype != pl.String:
            casts.append(pl.col(col.name).dt.strftime("%Y-%m-%d"))
        else:
            casts.append(pl.col(col.name).cast(pl.String))
    if wrong:
        raise FileRefused(f"{source.name}: wrong Parquet schema: {'; '.join(wrong)}")
    frame = frame.with_columns(casts).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW),
        pl.lit(None, dtype=pl.String).alias(FIELD_PROBLEM),
    )
    return ReadResult(_contract_frame(frame, source.contract), digest, "parquet", None, extra)


def _contract_frame(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Keep row number, field problem and the contract columns (absent optional ones = null)."""
    cols = [pl.col(ROW), pl.col(FIELD_PROBLEM)]
    for c in contract.columns:
        if c.name in frame.columns:
            cols.append(pl.col(c.name).cast(pl.String))
        else:
            cols.append(pl.lit(None, dtype=pl.String).alias(c.name))
    return frame.select(cols)


def read_source(source: SourceFile) -> ReadResult:
    """Read one contract file as text; raises FileRefused when the whole file is unusable."""
    try:
        if source.fmt == "parquet":
            return read_parquet(source)
        return read_csv(source)
    except OSError as exc:
        raise FileRefused(f"{source.name}: cannot read the file ({exc.strerror})") from None
