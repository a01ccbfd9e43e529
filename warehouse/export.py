"""Exports of marts (and of any dashboard table) to CSV and XLSX.

Two CSV dialects:

* ``excel-pl`` — for an analyst in Polish Excel (double-click opens it right): UTF-8 with a
  BOM, ``;`` as the separator, a decimal comma, ``\\r\\n``. What the page shows: the
  headers are the columns' labels in the export's language (``lang``; the page's, or
  ``cityops export --lang``), booleans ``tak``/``nie``, values of enumerated columns as
  their words — :func:`dashboards.formats.export_frame`, the labels and words of the
  on-screen tables (``format_frame``), not a second copy of them. Dates stay ISO
  (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS``: Excel reads them as dates in any locale);
* ``standard`` — for programs: UTF-8 without a BOM, ``,`` and a decimal point (RFC 4180),
  the documented column names (the marts' own, as in their dbt docs) and raw values
  (``true``/``false``, codes, every float exactly as stored), nothing before the header.

**Numbers (excel-pl).** Analysts re-aggregate exports, so an export keeps the precision a
measure has; only on-screen tables round to display precision. The marts store measures
as DOUBLE with no declared scale (dbt/DECISIONS.md § 1 "Precision"), so the precision
kept is **12 significant digits** (:data:`SIGNIFICANT_DIGITS`): far more than any
measure has (a budget of 99 999 999,99 PLN to the grosz, a duration of a year in
milliseconds), and few enough to drop the noise that binary floating point adds in sums
and ratios — ``0,76``, not ``0,7600000000000051`` (that is 15 significant digits away
from 0.76, so rounding to 15, the usual "DBL_DIG", would keep ``0,760000000000005``). A
DECIMAL(p, s) column is already exact to its scale and is written the same way. Each
number is spelt as its shortest decimal (numpy's ``format_float_positional``: never an
exponent): a whole number has no ``,0`` — an integer column (a count) is written as
integers, and so is a whole value of a float column (``1598``, not ``1598,0``). Integer
columns are never rounded.

**XLSX** (``frame_to_xlsx_bytes``: the dashboards' XLSX button, ``cityops export --format
xlsx``): the same headers and words as excel-pl (``labelled=False``: the documented
names and raw values, for ``--dialect standard``), every number stored at full precision
(nothing rounded; xlsxwriter writes 16 significant digits, Excel computes with 15) with a
display number format — ``#,##0`` for integers and whole-valued
columns, ``#,##0.0`` otherwise, as the page shows them — dates in the language's short
date (``dd.mm.yyyy``, months ``mm.yyyy``); the header row frozen, an autofilter on it
(an Excel table over the data), column widths fitted to the contents.

**What it holds.** Every export of the dashboards and of ``cityops export`` says what it
holds (:class:`ExportAbout`: title, period, filters, the data's as-of, the source mart,
the row count; :func:`about_rows` in the export's language): XLSX in a second sheet
(``opis`` / ``about``); the excel-pl CSV in a block of comment lines before the header,
each beginning with ``#`` and with its value in the second column (``# Okres;01.2026–
12.2026``), so Excel shows it as a small table above the data and a program skips it
(polars ``read_csv(comment_prefix="#")``, pandas ``comment="#"``). So that no data row
is taken for a comment, a text cell of the first column that begins with ``#`` gets the
same leading ``'`` as a formula. The standard CSV has no block (a program's file is the
table alone; its name carries the period).

**Formulas.** Both dialects pass every frame through :func:`neutralise_formulas`
(OWASP's CSV-injection rule): a text cell — or a column name — that begins with ``=``,
``+``, ``-``, ``@``, a TAB or a CR gets a leading ``'``, so a spreadsheet shows it instead
of evaluating it (a title ``=HYPERLINK(…)`` from a source system stays text). Number
columns are not text and stay numbers (excel-pl spells them after this, so ``-0,25`` is
never prefixed). XLSX needs no prefix: every text cell is written string-typed, never as
a formula. The CLI's ``cityops export`` and the dashboards' download buttons call these
same functions.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import xlsxwriter

from dashboards.formats import (
    column_decimals,
    excel_date_format,
    export_frame,
    fmt_date,
    fmt_number,
    fmt_period,
    is_month_column,
)
from dashboards.i18n import DEFAULT_LANG, t
from warehouse.store import connect_read_only

Dialect = Literal["excel-pl", "standard"]
DIALECTS: tuple[str, ...] = ("excel-pl", "standard")
BOM = "\ufeff".encode()
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
SIGNIFICANT_DIGITS = 12
COMMENT = "#"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = "^[=+\\-@\t\r]"


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def neutralise_formulas(df: pl.DataFrame, comment_first: bool = False) -> pl.DataFrame:
    """``df`` with every text cell and column name that a spreadsheet would evaluate as a
    formula prefixed with ``'``; numbers, dates and booleans untouched. ``comment_first``:
    a text cell of the first column that begins with ``#`` too (a CSV whose comment lines
    begin with ``#``)."""
    out = df.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(
            "^[#=+\\-@\t\r]" if comment_first and i == 0 else _FORMULA_RE))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String)).alias(name)
        for i, (name, dtype) in enumerate(df.schema.items()) if _is_text(dtype))
    return out.rename({name: _neutral(name) for name in out.columns
                       if _neutral(name) != name})


# ---------------------------------------------------------------- what an export holds

@dataclass(frozen=True)
class ExportAbout:
    """What an export holds, as its reader sees it (texts in the export's language):
    ``title`` (the table's caption), ``period`` (``01.2026–12.2026``), ``filters``
    ((label, value) as the page shows them), ``as_of`` (the data's date), ``source``
    (``marts.director_kpis``)."""

    title: str = ""
    period: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    as_of: str = ""
    source: str = ""


def about_rows(about: ExportAbout, rows: int, lang: str = DEFAULT_LANG
               ) -> list[tuple[str, str]]:
    """The lines of the "what it holds" block: (label, value), in ``lang``; a title,
    period or source not known is left out, filters are always said (``brak``)."""
    filters = "; ".join(f"{label}: {value}" for label, value in about.filters)
    lines = [
        (t("export_about_title", lang), about.title),
        (t("period", lang), about.period),
        (t("export_about_filters", lang), filters or t("export_no_filters", lang)),
        (t("data_as_of", lang), about.as_of or t("as_of_unknown", lang)),
        (t("export_about_source", lang), about.source),
        (t("export_about_rows", lang), fmt_number(rows, lang)),
    ]
    return [(label, value) for label, value in lines if value]


def _comment_block(about: ExportAbout, rows: int, lang: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for label, value in about_rows(about, rows, lang):
        writer.writerow([f"{COMMENT} {label}", _neutral(value)])
    return buffer.getvalue() + COMMENT + "\r\n"


# ---------------------------------------------------------------- CSV

def noise_free(value: float) -> float:
    """``value`` to :data:`SIGNIFICANT_DIGITS` significant digits: 0.7600000000000051 →
    0.76 (the double nearest to the decimal, so it prints as ``0.76``)."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def number_text(value: float, decimal: str = ",") -> str:
    """A measure as excel-pl writes it: noise-free, its shortest decimal, no exponent, no
    ``,0`` after a whole number: ``0,76``, ``1598``, ``-0,25``, ``0,0000001``."""
    if not math.isfinite(value):
        return str(value)
    text = np.format_float_positional(noise_free(value), trim="-")
    return text.replace(".", decimal)


def _numbers_as_text(df: pl.DataFrame, decimal: str) -> pl.DataFrame:
    return df.with_columns(
        pl.col(name).cast(pl.Float64).map_elements(lambda v: number_text(v, decimal),
                                                   return_dtype=pl.String, skip_nulls=True)
        for name, dtype in df.schema.items()
        if dtype.is_float() or isinstance(dtype, pl.Decimal))


def frame_to_csv_bytes(df: pl.DataFrame, dialect: str = "excel-pl", lang: str = DEFAULT_LANG,
                       about: ExportAbout | None = None, commented: bool = False) -> bytes:
    """``df`` as CSV in ``dialect`` (module docstring); excel-pl in ``lang``, with the
    "what it holds" block when ``about`` is given (standard ignores both). ``commented``:
    a part of a file that gets the block later (:func:`with_about`), so a first cell
    starting with ``#`` is neutralised as in a file with the block."""
    if dialect not in DIALECTS:
        raise ValueError(f"Unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    pl_excel = dialect == "excel-pl"
    if pl_excel:
        frame = _numbers_as_text(
            neutralise_formulas(export_frame(df, lang),
                                comment_first=about is not None or commented), ",")
    else:
        frame = neutralise_formulas(df)
    text = frame.write_csv(
        separator=";" if pl_excel else ",",
        decimal_comma=pl_excel,
        datetime_format=DATETIME_FORMAT,
        date_format=DATE_FORMAT,
        line_terminator="\r\n" if pl_excel else "\n",
    )
    if not pl_excel:
        return text.encode("utf-8")
    return with_about(BOM + text.encode("utf-8"), about, df.height, dialect, lang)


def with_about(csv_start: bytes, about: ExportAbout | None, rows: int, dialect: str,
               lang: str = DEFAULT_LANG) -> bytes:
    """The start of an excel-pl CSV (its BOM and header line at least) with the "what it
    holds" block of ``about`` put before the header; ``rows``: the rows of the whole file.
    standard CSVs, and a file without ``about``, are left as they are."""
    if dialect != "excel-pl" or about is None:
        return csv_start
    assert csv_start.startswith(BOM)
    return BOM + _comment_block(about, rows, lang).encode("utf-8") + csv_start[len(BOM):]


# ---------------------------------------------------------------- XLSX

def _number_format(series: pl.Series, lang: str, column: str) -> str | None:
    dtype = series.dtype
    if dtype.is_integer():
        return "#,##0"
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "#,##0" if column_decimals(series.cast(pl.Float64)) == 0 else "#,##0.0"
    if dtype == pl.Date:
        return excel_date_format(lang, "month" if is_month_column(column) else "date")
    if isinstance(dtype, pl.Datetime):
        return excel_date_format(lang, "datetime")
    return None


def frame_to_xlsx_bytes(df: pl.DataFrame, sheet: str | None = None,
                        lang: str = DEFAULT_LANG, about: ExportAbout | None = None,
                        labelled: bool = True) -> bytes:
    """``df`` as an XLSX workbook (module docstring): the data sheet (``sheet``, else
    ``dane``/``data``), and the "what it holds" sheet when ``about`` is given."""
    data = export_frame(df, lang) if labelled else df
    formats = {label: fmt for label, column in zip(data.columns, df.columns, strict=True)
               if (fmt := _number_format(df[column], lang, column)) is not None}
    buffer = io.BytesIO()
    # the options polars gives a workbook it makes itself: text is never a formula
    options = {"in_memory": True, "strings_to_formulas": False, "nan_inf_to_errors": True}
    with xlsxwriter.Workbook(buffer, options) as workbook:
        data.write_excel(
            workbook=workbook,
            worksheet=(sheet or t("export_sheet_data", lang))[:31],
            column_formats=formats,  # display only: the cells hold the full values
            autofit=True,
            autofilter=True,
            freeze_panes=(1, 0),
        )
        if about is not None:
            info = workbook.add_worksheet(t("export_sheet_about", lang)[:31])
            bold = workbook.add_format({"bold": True})
            for row, (label, value) in enumerate(about_rows(about, df.height, lang)):
                info.write_string(row, 0, label, bold)
                info.write_string(row, 1, value)
            info.set_column(0, 0, 24)
            info.set_column(1, 1, 80)
    return buffer.getvalue()


# ---------------------------------------------------------------- marts

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


def _as_of(warehouse: Path) -> datetime | None:
    if "build_info" not in available_marts(warehouse):
        return None
    con = connect_read_only(Path(warehouse))
    try:
        row = con.execute("select as_of_at from marts.build_info").fetchone()
    finally:
        con.close()
    return None if row is None else row[0]


def mart_about(warehouse: Path, mart: str, df: pl.DataFrame, lang: str = DEFAULT_LANG
               ) -> ExportAbout:
    """What a whole mart's export holds: the mart, the months of its month column (if
    it has one), the build's as-of, no filters."""
    name = mart.removeprefix("marts.")
    months = next((c for c, dtype in df.schema.items()
                   if dtype == pl.Date and is_month_column(c)), None)
    period = ""
    if months is not None and df[months].drop_nulls().len():
        first: date = df[months].min()  # type: ignore[assignment]
        last: date = df[months].max()  # type: ignore[assignment]
        period = fmt_period(first, last, lang)
    as_of = _as_of(warehouse)
    return ExportAbout(title=name, period=period, as_of=fmt_date(as_of, lang) if as_of else "",
                       source=f"marts.{name}")


def export_mart(warehouse: Path, mart: str, out: Path, fmt: str = "csv",
                dialect: str = "excel-pl", lang: str = DEFAULT_LANG) -> int:
    """Write marts.MART to OUT as CSV (in DIALECT) or XLSX (labelled in LANG unless the
    dialect is standard); returns the rows written."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown format {fmt!r}; use csv or xlsx")
    if dialect not in DIALECTS:
        raise ValueError(f"Unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    df = read_mart(warehouse, mart)
    about = mart_about(warehouse, mart, df, lang)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        data = frame_to_csv_bytes(df, dialect, lang, about)
    else:
        data = frame_to_xlsx_bytes(df, sheet=mart.removeprefix("marts."), lang=lang,
                                   about=about, labelled=dialect == "excel-pl")
    out.write_bytes(data)
    return df.height
