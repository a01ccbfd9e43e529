"""Reading source extracts: find the contract files, decide encoding and separator, stage
them in DuckDB as text.

Everything is read as *text* (no type inference) so a rejected row keeps its original
values.  A file that cannot be read at all raises :class:`FileRefused` with a message that
names the file and the reason; row-level problems (a truncated line, a line with too many
fields) are reported per row in ``_field_problem`` and rejected later by validation.

:func:`open_source` reads the file once in Python — its sha256 (the load is idempotent per
file), its encoding, whether it has blank lines or carriage returns — and checks its
header.  :func:`stage` then reads it with DuckDB's own CSV reader (or its Parquet reader)
into a temporary table of text columns named as the contract, plus ``_source_row`` and
``_field_problem``: the *stage* every reader hands to :func:`warehouse.loading.core.load_stage`.
DuckDB keeps that table within its ``memory_limit`` and spills the rest to its
``temp_directory``, so memory stays flat for a 1 GB file.

* **Encodings.** UTF-8 (with or without a BOM) is read as it is.  DuckDB reads other
  encodings only through its ``encodings`` extension, which is not installed here, so a
  Windows-1250 file is first transcoded to a UTF-8 copy in the load's scratch directory,
  block by block (constant memory).
* **Records.** RFC 4180: ``"`` quotes, ``""`` inside quotes, line breaks inside quotes; a
  record with fewer fields than the header is a *truncated line*, one with more has *N
  fields*; both are rejected with that reason (DuckDB pads the short ones with NULL, and
  reads :data:`OVERFLOW_FIELDS` extra columns to count the long ones).  ``\\r\\n`` inside a
  quoted field of a CRLF file is a ``\\n``, as everywhere else.
* **Row numbers.** ``_source_row`` is the 1-based number of the data record, the header
  being record 0.  Without quoted line breaks, data row N is line N + 1 of the file.  Blank
  lines are not records (DuckDB skips them; they are not counted in rows_read) but keep
  their line's number: when the scan finds one, the records are counted once more with
  Python's csv module to number the rows after it (rare, and only then slower).
* **Parquet.** Columns are matched by name (case and surrounding spaces ignored); a column
  of a type that cannot hold the contract's type refuses the file.  Values are turned into
  the same text a CSV would hold: a time-zone-aware timestamp (an instant) becomes Warsaw
  wall-clock time, as a CSV value with an offset does in validation; a naive one is
  already wall-clock time; sub-seconds are kept (to the microsecond) in both.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from warehouse.contracts import CONTRACTS, Contract

SUFFIXES = (".csv", ".parquet")
ROW = "_source_row"
FIELD_PROBLEM = "_field_problem"
OVERFLOW_FIELDS = 4  # extra columns read beyond the header, to count surplus fields
MAX_LINE_BYTES = 256 << 20  # the longest record DuckDB accepts (a multi-megabyte field)
CSV_BUFFER_BYTES = 256 << 20
LOCAL_ZONE = "Europe/Warsaw"  # the wall clock every timestamp of raw.* is in
_BLOCK = 4 << 20  # read size of the hashing/decoding pass
# a field DuckDB reads as NULL: nothing a file holds, so an empty field stays '' and only
# the padding of a short record is NULL
_NO_NULL = "\x01cityops:no-null\x01"


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
    """A file whose header fits the contract (and, for a CSV, whose start decodes)."""

    source: SourceFile
    encoding: str  # "utf-8", "utf-8-sig", "cp1250", "parquet"
    separator: str | None
    extra_columns: list[str]
    header: list[str]
    scanner: Scanner | None = field(default=None, compare=False, repr=False)
    parquet_names: dict[str, str] | None = None  # Parquet: contract column -> file column

    @property
    def scan(self) -> Scan:
        """The file's hash and line count (waits for the background scan)."""
        if self.scanner is None:
            return scan(self.source.path)
        return self.scanner.result(self.source.path)

    @property
    def sha256(self) -> str:
        return self.scan.sha256

    @property
    def decimal_mark(self) -> str:
        """The decimal separator of the file's dialect: ',' in a ';'-separated CSV (the
        Polish Excel dialect), '.' otherwise (a ','-separated CSV, Parquet)."""
        return "," if self.separator == ";" else "."

    @property
    def description(self) -> str:
        """How the file was read (the start of its audit message)."""
        return self.encoding if self.separator is None else \
            f"{self.encoding}, '{self.separator}'-separated"


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


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes tells."""

    sha256: str
    size: int
    newlines: int  # b"\n" bytes
    ends_with_newline: bool
    carriage_returns: bool  # the file holds b"\r"

    @property
    def lines(self) -> int:
        return self.newlines + (1 if self.size and not self.ends_with_newline else 0)


def scan(path: Path) -> Scan:
    """One pass over the bytes: sha256, size, line breaks, carriage returns.  Runs in a
    thread beside the load (hashlib and file reads release the GIL)."""
    digest = hashlib.sha256()
    size, newlines, crs, last = 0, 0, False, b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
            newlines += block.count(b"\n")
            crs = crs or b"\r" in block
            size += len(block)
            last = block[-1:]
    return Scan(digest.hexdigest(), size, newlines, last == b"\n", crs)


class Scanner:
    """Scans the files of a load one after the other in a background thread, in the order
    they will be loaded, so the hash of the next file is ready (or nearly) when it is
    needed."""

    def __init__(self, paths: list[Path]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cityops-scan")
        self._futures = {p: self._pool.submit(scan, p) for p in paths}

    def result(self, path: Path) -> Scan:
        future = self._futures.get(path)
        if future is None:
            future = self._futures[path] = self._pool.submit(scan, path)
        return future.result()

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)


def _utf8_error(path: Path) -> tuple[int, int] | None:
    """(byte, offset) of the first invalid UTF-8 in the file, or None."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            pending = len(utf8.getstate()[0])
            try:
                utf8.decode(block)
            except UnicodeDecodeError as exc:
                return exc.object[exc.start], size - pending + exc.start
            size += len(block)
    pending = len(utf8.getstate()[0])
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return exc.object[exc.start], size - pending + exc.start
    return None


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


def encoding_or_refuse(path: Path, file_name: str) -> str:
    """UTF-8 (BOM or not) if the whole file is valid UTF-8, else Windows-1250; refuse what
    is neither (naming the first bad byte of each)."""
    utf_err = _utf8_error(path)
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


def _first_block(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_BLOCK)


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


def _open_csv(source: SourceFile, scanner: Scanner | None) -> OpenedFile:
    first = _first_block(source.path)
    if not first.strip() and len(first) < _BLOCK:
        raise FileRefused(
            f"{source.name}: empty file ({len(first)} bytes), no header row; the export "
            f"probably failed — re-export it (a file with a header and no rows is fine)"
        )
    try:  # the start decodes: taken as UTF-8 (DuckDB checks the rest as it reads)
        codecs.getincrementaldecoder("utf-8")().decode(first)
        encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        encoding = encoding_or_refuse(source.path, source.name)
    header_line = first.split(b"\n", 1)[0].decode(encoding, errors="replace")
    if header_line.endswith("\r"):
        header_line = header_line[:-1]
    sep = sniff_separator(header_line, source.contract)
    header = _header_fields(header_line, sep)
    extra = _check_columns(header, source)
    return OpenedFile(source, encoding, sep, extra, header, scanner)


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


def _check_parquet_schema(schema: dict[str, pl.DataType], source: SourceFile) -> None:
    """Refuse a contract column of a type that cannot hold the contract's type."""
    wrong = []
    for col in source.contract.columns:
        dtype = schema.get(col.name)
        if dtype is None or dtype == pl.Null:
            continue
        if not isinstance(dtype, _COMPATIBLE[col.type]) and dtype not in _COMPATIBLE[col.type]:
            wrong.append(f"column {col.name!r} is {dtype}, the contract wants {col.type}")
    if wrong:
        raise FileRefused(f"{source.name}: wrong Parquet schema: {'; '.join(wrong)}")


def _parquet_refused(source: SourceFile, exc: Exception) -> FileRefused:
    return FileRefused(f"{source.name}: not a readable Parquet file ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''})")


def _open_parquet(source: SourceFile, scanner: Scanner | None) -> OpenedFile:
    try:
        file_schema = pl.read_parquet_schema(source.path)
    except Exception as exc:
        raise _parquet_refused(source, exc) from None
    names = {c.strip().lower(): c for c in file_schema}
    header = [c.strip().lower() for c in file_schema]
    extra = _check_columns(header, source)
    _check_parquet_schema({h: file_schema[names[h]] for h in names}, source)
    return OpenedFile(source, "parquet", None, extra, header, scanner,
                      parquet_names={c.name: names[c.name] for c in source.contract.columns
                                     if c.name in names})


def open_source(source: SourceFile, scanner: Scanner | None = None) -> OpenedFile:
    """Check the file's header (and a CSV's encoding); raises FileRefused if unusable.
    Its hash comes from ``scanner`` (or a scan of its own when asked for)."""
    try:
        if source.fmt == "parquet":
            return _open_parquet(source, scanner)
        return _open_csv(source, scanner)
    except OSError as exc:
        raise FileRefused(f"{source.name}: cannot read the file ({exc.strerror})") from None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def utf8_copy(path: Path, scratch: Path) -> Path:
    """A UTF-8 copy of a Windows-1250 file (single-byte: blocks decode independently)."""
    target = scratch / f"{path.name}.utf-8"
    with open(path, "rb") as src, open(target, "wb") as out:
        for block in iter(lambda: src.read(_BLOCK), b""):
            out.write(block.decode("cp1250").encode("utf-8"))
    return target


def _blank_records(path: Path, sep: str) -> tuple[list[int], int]:
    """The numbers of the blank records (header = 0) and the number of the last record,
    quote-aware (a blank line inside a quoted field is not a record)."""
    csv.field_size_limit(1 << 30)
    blanks, n = [], 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter=sep)):
            if not row:
                blanks.append(n)
    return blanks, n


def _may_have_blank_lines(path: Path) -> bool:
    tail = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            seam = tail + block[:2]
            if b"\n\n" in block or b"\n\r\n" in block or b"\n\n" in seam or b"\n\r\n" in seam:
                return True
            tail = block[-2:]
    return False


@dataclass
class StagedCsv:
    """The streaming view of a CSV file (read as it is checked) and what it needs to
    number the records after a blank line."""

    opened: OpenedFile
    view: str
    path: Path  # the UTF-8 file DuckDB reads (a transcoded copy for Windows-1250)
    select: str  # the view's SELECT, over __rn (DuckDB's record number, 1-based)

    def renumber(self, con: duckdb.DuckDBPyConnection, checked: str, rows: int) -> None:
        """Give the rows after a blank line their record number: DuckDB skips blank lines,
        which are not records but keep their line's number.  Only when the file's line
        count leaves room for a blank line (or a quoted line break) is it read again."""
        if rows == self.opened.scan.lines - 1 or not _may_have_blank_lines(self.path):
            return
        blanks, last = _blank_records(self.path, self.opened.separator or ",")
        if rows + len(blanks) != last:
            raise FileRefused(f"{self.opened.source.name}: could not split the file into "
                              f"records consistently ({rows} vs {last - len(blanks)}); "
                              "check quoting")
        if not blanks:
            return
        # the k-th record DuckDB kept is record k + j, j = the blanks before it: blank
        # number j (1-based) at record b_j has b_j - j records before it
        shifts = ", ".join(f"({b - j})" for j, b in enumerate(blanks, start=1))
        number = (f"({{rn}} + (SELECT count(*) FROM (VALUES {shifts}) AS s(before) "
                  f"WHERE s.before < {{rn}}))")
        con.execute(f"UPDATE {checked} SET {ROW} = {number.format(rn=ROW)}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {self.view} AS "
                    + self.select.replace("__rn AS " + ROW, number.format(rn="__rn")
                                          + " AS " + ROW))


def _csv_stage(con: duckdb.DuckDBPyConnection, opened: OpenedFile, view: str,
               scratch: Path) -> StagedCsv:
    source, sep = opened.source, opened.separator or ","
    path = utf8_copy(source.path, scratch) if opened.encoding == "cp1250" else source.path
    n = len(opened.header)
    width = n + OVERFLOW_FIELDS
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    # the number of fields of each record: DuckDB pads a short record with NULL only
    fields = " + ".join(f"(c{i} IS NOT NULL)::INTEGER" for i in range(width))
    text = "c{i}"
    if opened.scan.carriage_returns:  # a line break inside a quoted field is '\n'
        text = "replace(c{i}, chr(13) || chr(10), chr(10))"
    cols = []
    for col in source.contract.columns:
        if col.name in opened.header:
            cols.append(f"{text.format(i=opened.header.index(col.name))} AS {_q(col.name)}")
        else:
            cols.append(f"NULL::VARCHAR AS {_q(col.name)}")
    # serial: DuckDB's parallel reader cannot pad short records when a quoted field spans
    # lines; row_number() over the serial scan is the record number
    select = (
        f"SELECT __rn AS {ROW}, "
        f"CASE WHEN __n < {n} THEN 'truncated line: ' || __n || ' of {n} fields' "
        f"WHEN __n = {width} THEN 'at least ' || __n || ' fields, the header has {n}' "
        f"WHEN __n > {n} THEN __n || ' fields, the header has {n}' END AS {FIELD_PROBLEM}, "
        f"{', '.join(cols)} FROM (SELECT row_number() OVER () AS __rn, *, {fields} AS __n "
        f"FROM read_csv({_lit(str(path))}, auto_detect = false, header = false, skip = 1, "
        f"columns = {columns}, delim = {_lit(sep)}, quote = '\"', escape = '\"', "
        f"nullstr = {_lit(_NO_NULL)}, null_padding = true, strict_mode = false, "
        f"parallel = false, max_line_size = {MAX_LINE_BYTES}, "
        f"buffer_size = {CSV_BUFFER_BYTES}))")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")
    return StagedCsv(opened, view, path, select)


def _parquet_text(expr: str, duck_type: str) -> str:
    """A Parquet value as the text a CSV would hold."""
    t = duck_type.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":  # an instant
        return f"strftime(timezone('{LOCAL_ZONE}', {expr}), '%Y-%m-%d %H:%M:%S.%f')"
    if t.startswith("TIMESTAMP"):
        return f"strftime({expr}::TIMESTAMP, '%Y-%m-%d %H:%M:%S.%f')"
    return f"CAST({expr} AS VARCHAR)"


def _parquet_stage(con: duckdb.DuckDBPyConnection, opened: OpenedFile, view: str) -> None:
    source = opened.source
    read = f"read_parquet({_lit(str(source.path))}, file_row_number = true)"
    try:
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                                 f"FROM {read})").fetchall())
    except duckdb.Error as exc:
        raise _parquet_refused(source, exc) from None
    names = opened.parquet_names or {}
    cols = []
    for col in source.contract.columns:
        if col.name in names:
            cols.append(f"{_parquet_text(_q(names[col.name]), types[names[col.name]])} "
                        f"AS {_q(col.name)}")
        else:
            cols.append(f"NULL::VARCHAR AS {_q(col.name)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT file_row_number + 1 AS "
                f"{ROW}, NULL::VARCHAR AS {FIELD_PROBLEM}, {', '.join(cols)} FROM {read}")


def stage(con: duckdb.DuckDBPyConnection, opened: OpenedFile, view: str,
          scratch: Path) -> StagedCsv | None:
    """Define the temporary view ``view`` over the file: ``_source_row``,
    ``_field_problem`` and every contract column as text.  The file is read when the view
    is (:func:`warehouse.loading.core.load_stage` reads it once, as it checks it); a
    parse error then is a :class:`FileRefused` (:func:`read_error`).  A CSV's view comes
    with what numbers its records after a blank line (:meth:`StagedCsv.renumber`)."""
    if opened.encoding == "parquet":
        _parquet_stage(con, opened, view)
        return None
    return _csv_stage(con, opened, view, scratch)


def read_error(opened: OpenedFile, exc: duckdb.Error) -> FileRefused | None:
    """The refusal a DuckDB error while reading the file's view stands for, or None when it
    is not a reading error."""
    text = str(exc)
    name = opened.source.name
    if opened.encoding == "parquet":
        if "parquet" in text.lower() or isinstance(exc, duckdb.IOException):
            return _parquet_refused(opened.source, exc)
        return None
    if "unicode" in text.lower():  # invalid UTF-8 after the start of the file
        encoding_or_refuse(opened.source.path, name)  # raises with the offsets
        return None  # (valid Windows-1250: the caller reads it again as such)
    if "CSV" in text or isinstance(exc, duckdb.IOException):
        first = [line for line in text.strip().splitlines() if line.strip()]
        return FileRefused(f"{name}: not a readable CSV "
                           f"({first[0] if first else type(exc).__name__}); "
                           "check quoting and separators")
    return None


def drop_stage(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Drop what :func:`stage` made."""
    con.execute(f"DROP VIEW IF EXISTS {view}")


def inspect(con: duckdb.DuckDBPyConnection, opened: OpenedFile, scratch: Path) -> None:
    """Read the file to the end without loading it; raises FileRefused if it cannot be."""
    stage(con, opened, "__inspect", scratch)
    try:
        con.execute("SELECT count(*) FROM __inspect").fetchall()
    except duckdb.Error as exc:
        refused = read_error(opened, exc)
        if refused is None:
            raise
        raise refused from None
    finally:
        drop_stage(con, "__inspect")
