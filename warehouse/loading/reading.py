"""Reading source extracts: find the contract files, detect encoding and separator, parse.

Everything is read as *text* (no type inference) so a rejected row keeps its original
values.  A file that cannot be read at all raises :class:`FileRefused` with a message that
names the file and the reason; row-level problems (a truncated line, a line with too many
fields) are reported per row in ``_field_problem`` and rejected later by validation.

Files are read in batches of about ``batch_bytes`` (CSV: whole records, cut at a line
break outside quotes; Parquet: ``batch_bytes // PARQUET_ROW_BYTES`` rows), so memory stays
flat however big the file is.  :func:`open_source` reads the file once to hash it, decide
its encoding and check its header; :func:`batches` then parses it batch by batch.

Row numbers: ``_source_row`` is the 1-based number of the data record, the header being
record 0.  Without quoted line breaks, data row N is line N + 1 of the file.  Blank lines are
not records (they are skipped and not counted in rows_read) but keep their line's number.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from warehouse.contracts import CONTRACTS, Contract

SUFFIXES = (".csv", ".parquet")
ROW = "_source_row"
FIELD_PROBLEM = "_field_problem"
BATCH_BYTES = 32 << 20  # default batch: 32 MiB of CSV
PARQUET_ROW_BYTES = 200  # a Parquet batch has batch_bytes // this many rows
_BLOCK = 4 << 20  # read size of the hashing/decoding pass


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


@dataclass(frozen=True)
class OpenedFile:
    """A file whose bytes are hashed and decodable and whose header fits the contract."""

    source: SourceFile
    sha256: str
    encoding: str  # "utf-8", "utf-8-sig", "cp1250", "parquet"
    separator: str | None
    extra_columns: list[str]
    header: list[str]
    header_line: str = ""  # CSV: the header as text (no line break)
    data_start: int = 0  # CSV: byte offset of the first record
    rows: int = 0  # Parquet: rows in the file


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


def _scan(path: Path) -> tuple[str, int, bool, tuple[int, int] | None]:
    """One pass over the bytes: sha256, size, whether all blank, first UTF-8 error.

    The error is (byte, offset); None when the whole file is valid UTF-8.
    """
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    size, blank, error = 0, True, None
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
            blank = blank and not block.strip()
            if error is None:
                pending = len(utf8.getstate()[0])
                try:
                    utf8.decode(block)
                except UnicodeDecodeError as exc:
                    error = (exc.object[exc.start], size - pending + exc.start)
            size += len(block)
    if error is None:
        pending = len(utf8.getstate()[0])
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            error = (exc.object[exc.start], size - pending + exc.start)
    return digest.hexdigest(), size, blank, error


def _cp1250_error(path: Path) -> tuple[int, int] | None:
    offset = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            try:
                block.decode("cp1250")
            except UnicodeDecodeError as exc:
                return exc.object[exc.start], offset + exc.start
            offset += len(block)
    return None


def _encoding(path: Path, utf_err: tuple[int, int] | None, file_name: str) -> str:
    """UTF-8 (BOM or not) if valid, else Windows-1250; refuse what is neither."""
    if utf_err is None:
        with open(path, "rb") as fh:
            return "utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else "utf-8"
    cp_err = _cp1250_error(path)
    if cp_err is None:
        return "cp1250"
    raise FileRefused(
        f"{file_name}: cannot decode as UTF-8 (byte 0x{utf_err[0]:02x} at offset {utf_err[1]}) "
        f"nor as Windows-1250 (byte 0x{cp_err[0]:02x} at offset {cp_err[1]}); "
        "re-export it as UTF-8"
    )


def _read_header(path: Path) -> tuple[bytes, int]:
    """The first line's bytes (without its line break) and the offset just after it."""
    with open(path, "rb") as fh:
        line = fh.readline()
    return line.removesuffix(b"\n"), len(line)


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


def _field_counts(data: bytes, sep: str) -> pl.Series | None:
    """Fields per record (header excluded), quote-aware, vectorised over the UTF-8 bytes.

    Fast path: when no quoted field spans lines, every line is a record.  Otherwise None
    (the caller falls back to the csv module).  A blank line (or only CRs) counts 0.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == ord("\n"))
    if data and not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))

    def per_line(char: str) -> np.ndarray:
        if char.encode() not in data:
            return np.zeros(len(ends), dtype=np.int64)
        before_end = np.searchsorted(np.flatnonzero(arr == ord(char)), ends)
        return np.diff(before_end, prepend=0)  # no line break is one of them

    quotes = per_line('"')
    if (quotes % 2).any():
        return None
    counts = per_line(sep) + 1
    quoted = np.flatnonzero(quotes)
    if quoted.size:  # separators inside quotes do not count
        lines = pl.Series([data[starts[i]:ends[i]].decode("utf-8") for i in quoted])
        unquoted = lines.str.replace_all(r'"(?:[^"]|"")*"', "")
        counts[quoted] = (unquoted.str.count_matches(sep, literal=True) + 1).to_numpy()
    counts[ends - starts == per_line("\r")] = 0
    return pl.Series("n", counts[1:], dtype=pl.Int64)


def _field_counts_slow(text: str, sep: str) -> pl.Series:
    csv.field_size_limit(1 << 30)
    counts = [len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)]
    return pl.Series("n", counts[1:], dtype=pl.Int64)


def _open_csv(source: SourceFile) -> OpenedFile:
    sha256, size, blank, utf_err = _scan(source.path)
    if blank:
        raise FileRefused(
            f"{source.name}: empty file ({size} bytes), no header row; the export "
            f"probably failed — re-export it (a file with a header and no rows is fine)"
        )
    encoding = _encoding(source.path, utf_err, source.name)
    header_bytes, data_start = _read_header(source.path)
    header_line = header_bytes.decode(encoding)
    if header_line.endswith("\r"):
        header_line = header_line[:-1]
    sep = sniff_separator(header_line, source.contract)
    header = _header_fields(header_line, sep)
    extra = _check_columns(header, source)
    return OpenedFile(source, sha256, encoding, sep, extra, header, header_line, data_start)


def _last_record_end(buf: bytes) -> int:
    """Offset just after the last line break outside quotes (0: none)."""
    pos = buf.rfind(b"\n")
    if pos < 0:
        return 0
    quotes = buf.count(b'"', 0, pos)
    while quotes % 2:  # inside a quoted field: try the line break before
        prev = buf.rfind(b"\n", 0, pos)
        if prev < 0:
            return 0
        quotes -= buf.count(b'"', prev, pos)
        pos = prev
    return pos + 1


def _record_chunks(path: Path, start: int, size: int) -> Iterator[bytes]:
    """The file from ``start`` in chunks of whole records, about ``size`` bytes each."""
    carry = b""
    with open(path, "rb") as fh:
        fh.seek(start)
        while block := fh.read(size):
            buf = carry + block
            cut = _last_record_end(buf)
            carry = buf[cut:]
            if cut:
                yield buf[:cut]
    if carry:
        yield carry


def _parse_csv(data: bytes, opened: OpenedFile, first_row: int) -> pl.DataFrame:
    """Parse ``data`` (UTF-8: header line + records) into the text frame; rows numbered from
    ``first_row``.  The frame keeps blank lines (``_n`` = 0) so the caller can count them."""
    source, sep, header = opened.source, opened.separator or ",", opened.header
    try:
        frame = pl.read_csv(
            data,
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
    counts = _field_counts(data, sep)
    if counts is None or counts.len() != frame.height:
        counts = _field_counts_slow(data.decode("utf-8"), sep)
    if counts.len() != frame.height:
        raise FileRefused(f"{source.name}: could not split the file into records consistently "
                          f"({frame.height} vs {counts.len()}); check quoting")
    n_fields = len(header)
    return frame.with_columns(
        pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW),
        pl.Series("_n", counts, dtype=pl.Int64),
    ).with_columns(
        pl.when(pl.col("_n") < n_fields)
        .then(pl.format("truncated line: {} of {} fields", pl.col("_n"), pl.lit(n_fields)))
        .when(pl.col("_n") > n_fields)
        .then(pl.format("{} fields, the header has {}", pl.col("_n"), pl.lit(n_fields)))
        .otherwise(None)
        .alias(FIELD_PROBLEM)
    )


def _csv_batches(opened: OpenedFile, batch_bytes: int) -> Iterator[pl.DataFrame]:
    next_row = 1
    header = opened.header_line.encode("utf-8") + b"\n"
    encoding = "utf-8" if opened.encoding == "utf-8-sig" else opened.encoding  # BOM: header only
    chunks = _record_chunks(opened.source.path, opened.data_start, batch_bytes)
    for chunk in chunks if opened.data_start < opened.source.path.stat().st_size else [b""]:
        if encoding != "utf-8" or b"\r" in chunk:  # polars wants UTF-8 and '\n'
            chunk = chunk.decode(encoding).replace("\r\n", "\n").encode("utf-8")
        frame = _parse_csv(header + chunk, opened, next_row)
        next_row += frame.height
        frame = frame.filter(pl.col("_n") > 0)  # blank lines are not records
        yield _contract_frame(frame, opened.source.contract)


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


def _parquet_columns(schema: dict[str, pl.DataType], source: SourceFile) -> list[pl.Expr]:
    """Casts of the contract columns to text; refuse a column of an incompatible type."""
    wrong = []
    casts = []
    for col in source.contract.columns:
        if col.name not in schema:
            continue
        dtype = schema[col.name]
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
    return casts


def _parquet_refused(source: SourceFile, exc: Exception) -> FileRefused:
    return FileRefused(f"{source.name}: not a readable Parquet file ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''})")


def _scan_parquet(path: Path) -> pl.LazyFrame:
    frame = pl.scan_parquet(path)
    return frame.rename({c: c.strip().lower() for c in frame.collect_schema().names()})


def _open_parquet(source: SourceFile) -> OpenedFile:
    sha256, _, _, _ = _scan(source.path)
    try:
        frame = _scan_parquet(source.path)
        schema = dict(frame.collect_schema())
        rows = frame.select(pl.len()).collect().item()
    except Exception as exc:
        raise _parquet_refused(source, exc) from None
    header = list(schema)
    extra = _check_columns(header, source)
    _parquet_columns(schema, source)  # refuses a wrong schema now, before any batch
    return OpenedFile(source, sha256, "parquet", None, extra, header, rows=rows)


def _parquet_batches(opened: OpenedFile, batch_bytes: int) -> Iterator[pl.DataFrame]:
    source = opened.source
    step = max(1, batch_bytes // PARQUET_ROW_BYTES)
    for start in range(0, max(opened.rows, 1), step):
        try:
            frame = _scan_parquet(source.path).slice(start, step).collect()
        except Exception as exc:
            raise _parquet_refused(source, exc) from None
        frame = frame.with_columns(_parquet_columns(frame.schema, source)).with_columns(
            pl.int_range(start + 1, start + frame.height + 1, dtype=pl.Int64).alias(ROW),
            pl.lit(None, dtype=pl.String).alias(FIELD_PROBLEM),
        )
        yield _contract_frame(frame, source.contract)


def _contract_frame(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Keep row number, field problem and the contract columns (absent optional ones = null)."""
    cols = [pl.col(ROW), pl.col(FIELD_PROBLEM)]
    for c in contract.columns:
        if c.name in frame.columns:
            cols.append(pl.col(c.name).cast(pl.String))
        else:
            cols.append(pl.lit(None, dtype=pl.String).alias(c.name))
    return frame.select(cols)


def open_source(source: SourceFile) -> OpenedFile:
    """Hash the file and check its encoding and header; raises FileRefused if unusable."""
    try:
        return _open_parquet(source) if source.fmt == "parquet" else _open_csv(source)
    except OSError as exc:
        raise FileRefused(f"{source.name}: cannot read the file ({exc.strerror})") from None


def batches(opened: OpenedFile, batch_bytes: int = BATCH_BYTES) -> Iterator[pl.DataFrame]:
    """The file as text frames (_source_row, _field_problem, every contract column), in
    order, at least one (maybe empty).  Raises FileRefused for a file that cannot be parsed."""
    reader = _parquet_batches if opened.encoding == "parquet" else _csv_batches
    try:
        yield from reader(opened, batch_bytes)
    except OSError as exc:
        raise FileRefused(f"{opened.source.name}: cannot read the file ({exc.strerror})") \
            from None
