"""Exports of marts (and of any dashboard table) to CSV and XLSX.

Two CSV dialects:

* ``excel-pl`` — opens right in Polish Excel by double-click: UTF-8 with a BOM, ``;`` as the
  separator, a decimal comma, timestamps as ``YYYY-MM-DD HH:MM:SS``;
* ``standard`` — UTF-8 without a BOM, ``,`` and a decimal point (RFC 4180, for programs).

Both dialects pass every frame through :func:`neutralise_formulas` (OWASP's CSV-injection
rule): a text cell — or a column name — that begins with ``=``, ``+``, ``-``, ``@``, a TAB or
a CR gets a leading ``'``, so a spreadsheet shows it instead of evaluating it (a title
``=HYPERLINK(…)`` from a source system stays text). Number columns are not text and stay
numbers. XLSX needs no prefix: every text cell is written string-typed, never as a
formula. The CLI's ``cityops export`` and the dashboards' download buttons call these same
two functions.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import polars as pl

from warehouse.store import connect_read_only

Dialect = Literal["excel-pl", "standard"]
DIALECTS: tuple[str, ...] = ("excel-pl", "standard")
BOM = "\ufeff".encode()
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = "^[=+\\-@\t\r]"


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralise_formulas(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every text cell and column name that a spreadsheet would evaluate as a
    formula prefixed with ``'``; numbers, dates and booleans untouched."""
    text_columns = [name for name, dtype in df.schema.items()
                    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))]
    out = df.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(_FORMULA_RE))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String)).alias(name)
        for name in text_columns)
    return out.rename({name: _neutral(name) for name in out.columns
                       if _neutral(name) != name})


def frame_to_csv_bytes(df: pl.DataFrame, dialect: str = "excel-pl") -> bytes:
    if dialect not in DIALECTS:
        raise ValueError(f"Unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    pl_excel = dialect == "excel-pl"
    text = neutralise_formulas(df).write_csv(
        separator=";" if pl_excel else ",",
        decimal_comma=pl_excel,
        datetime_format=DATETIME_FORMAT,
        date_format=DATE_FORMAT,
        line_terminator="\r\n" if pl_excel else "\n",
    )
    data = text.encode("utf-8")
    return BOM + data if pl_excel else data


def frame_to_xlsx_bytes(df: pl.DataFrame, sheet: str = "dane") -> bytes:
    buffer = io.BytesIO()
    df.write_excel(
        workbook=buffer,
        worksheet=sheet[:31],
        autofit=True,
        dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm:ss"},
        float_precision=2,
    )
    return buffer.getvalue()


def available_marts(warehouse: Path) -> list[str]:
    con = connect_read_only(Path(warehouse))
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def read_mart(warehouse: Path, mart: str) -> pl.DataFrame:
    """The whole of marts.MART; KeyError naming the available marts if there is none."""
    name = mart.removeprefix("marts.")
    marts = available_marts(warehouse)
    if name not in marts:
        available = ", ".join(marts) or "(none — run cityops build)"
        raise KeyError(f"Unknown mart {mart!r}. Available marts: {available}")
    con = connect_read_only(Path(warehouse))
    try:
        return con.sql(f'select * from marts."{name}"').pl()
    finally:
        con.close()


def export_mart(warehouse: Path, mart: str, out: Path, fmt: str = "csv",
                dialect: str = "excel-pl") -> int:
    """Write marts.MART to OUT as CSV (in DIALECT) or XLSX; returns the rows written."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown format {fmt!r}; use csv or xlsx")
    df = read_mart(warehouse, mart)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = frame_to_csv_bytes(df, dialect) if fmt == "csv" else frame_to_xlsx_bytes(
        df, sheet=mart.removeprefix("marts."))
    out.write_bytes(data)
    return df.height
