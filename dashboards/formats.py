"""Numbers, percentages, dates and months in the reader's language: the one place that
formats them, from Babel's CLDR data for each language's locale (the ``Language`` header
of its catalogue, :func:`dashboards.i18n.locale`).

Polish (``pl_PL``): ``1 234,5`` (the thousands separator is a non-breaking space),
``92,5 %``, ``22.11.2026``, ``22.11.2026 14:30``, ``11.2026``. English (``en_CA``, the
English locale whose short date is ISO 8601): ``1,234.5``, ``92.5 %``, ``2026-11-22``,
``2026-11``. What is the house style and not CLDR's: a non-breaking space before ``%`` and
every unit; the locale's short date with a two-digit day and month (``02.11.2026``, so a
column of dates lines up); date and time joined by a space; numbers to one decimal unless
whole. Plotly charts get the same symbols (:func:`plotly_separators`) and date patterns
(:func:`d3_date_format`). Pure functions: pytest calls them without Streamlit.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import date, datetime
from decimal import Decimal

import polars as pl
from babel import Locale
from babel.dates import format_date, format_time, get_date_format, get_day_names, parse_pattern
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol

from dashboards.i18n import DEFAULT_LANG, N_, column_label, locale, t, value_columns, value_labels

NBSP = "\u00a0"

# Suffixes of KPI units (the mart's `unit` column; "pp" is a change of a percentage).
# "%" is the locale's percent sign (fmt_percent); a count has no suffix.
UNIT_SUFFIXES = {"pp": N_("suffix_pp"), "s": N_("suffix_s"), "min": N_("suffix_min"),
                 "days": N_("suffix_days")}


def _locale(lang: str) -> Locale:
    return locale(lang)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------- numbers

def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def fmt_number(value: float | int | Decimal | None, lang: str = DEFAULT_LANG,
               decimals: int | None = None) -> str:
    """``1 234,5`` in Polish, ``1,234.5`` in English; integers without decimals; None → ''."""
    if _missing(value):
        return ""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    return format_decimal(value, format=_pattern(decimals), locale=_locale(lang))


def fmt_percent(value: float | Decimal | None, lang: str = DEFAULT_LANG, decimals: int = 1) -> str:
    """A percentage given in points (92.46 → ``92,5 %``), with the locale's percent sign."""
    if _missing(value):
        return ""
    fraction = Decimal(str(value)) / 100
    return format_percent(fraction, format=_pattern(decimals) + NBSP + "%",
                          locale=_locale(lang))


MAX_DECIDING_DECIMALS = 4


def deciding_decimals(value: float | None, target: float | None, unit: str) -> int | None:
    """The decimals that show ``value`` on the same side of ``target`` as it is: the unit's
    usual precision, or more while the value rounds to the target it differs from (79,96 %
    against a target of 80 % shows as ``79,96 %``, never as a missed ``80,0 %``); None: the
    usual precision."""
    if _missing(value) or _missing(target) or value == target:
        return None
    decimals = 1 if unit in ("%", "pp") else (0 if float(value).is_integer() else 1)
    v, g = Decimal(str(value)), Decimal(str(target))
    while decimals < MAX_DECIDING_DECIMALS and round(v, decimals) == round(g, decimals):
        decimals += 1
    return decimals


def fmt_value(value: float | None, unit: str, lang: str = DEFAULT_LANG,
              decimals: int | None = None) -> str:
    """A KPI value with its unit: ``92,5 %``, ``18,2 s``, ``1 234``, ``1,9 dni``
    (``decimals``: more than the unit's usual one, see :func:`deciding_decimals`)."""
    if _missing(value):
        return "—"
    if unit == "%":
        return fmt_percent(value, lang, 1 if decimals is None else decimals)
    if decimals is None:
        decimals = 1 if unit == "pp" else (0 if float(value).is_integer() else 1)
    number = fmt_number(value, lang, decimals)
    if unit == "count":
        return number
    suffix = t(UNIT_SUFFIXES[unit], lang) if unit in UNIT_SUFFIXES else unit
    return f"{number}{NBSP}{suffix}" if suffix else number


def fmt_change(change: float | None, unit: str, lang: str = DEFAULT_LANG) -> str | None:
    """A change against the previous month with an ASCII sign (Streamlit reads the arrow
    from it): ``+2,9 p.p.`` for percentages, ``-7`` for counts; None when unknown."""
    if _missing(change):
        return None
    unit = "pp" if unit == "%" else unit
    shown = fmt_value(abs(change), unit, lang)
    decimals = 1 if unit == "pp" or not float(change).is_integer() else 0
    if round(abs(change), decimals) == 0:
        return shown
    return ("+" if change > 0 else "-") + shown


def plotly_separators(lang: str) -> str:
    """Plotly's ``separators``: the locale's decimal symbol, then its thousands separator."""
    loc = _locale(lang)
    return get_decimal_symbol(loc) + get_group_symbol(loc)


# ---------------------------------------------------------------- dates

def _two_digits(pattern: str) -> str:
    """``d.MM.y`` → ``dd.MM.y``: a one-letter day or month field widened (outside quotes)."""
    parts = re.split(r"('[^']*')", pattern)
    return "".join(p if p.startswith("'") else re.sub(r"(?<![dM])([dM])(?![dM])", r"\1\1", p)
                   for p in parts)


@functools.cache
def date_pattern(lang: str) -> str:
    """The CLDR short date of ``lang``'s locale, day and month in two digits."""
    return _two_digits(get_date_format("short", locale=_locale(lang)).pattern)


@functools.cache
def month_pattern(lang: str) -> str:
    """The CLDR pattern of a month of a year (skeleton ``yM``): ``MM.y``, ``y-MM``."""
    return _two_digits(_locale(lang).datetime_skeletons["yM"].pattern)


@functools.cache
def time_pattern(lang: str) -> str:
    """The CLDR 24-hour time (skeleton ``Hm``): ``HH:mm``."""
    return _locale(lang).datetime_skeletons["Hm"].pattern


def fmt_date(value: date | datetime | None, lang: str = DEFAULT_LANG) -> str:
    """``22.11.2026`` (``22.11.2026 14:30`` for a timestamp) in Polish, ``2026-11-22`` in
    English; None → ''."""
    if value is None:
        return ""
    loc = _locale(lang)
    if isinstance(value, datetime):
        return (f"{format_date(value.date(), date_pattern(lang), locale=loc)} "
                f"{format_time(value.time(), time_pattern(lang), locale=loc)}")
    return format_date(value, date_pattern(lang), locale=loc)


def fmt_month(value: date | None, lang: str = DEFAULT_LANG) -> str:
    """``11.2026`` in Polish, ``2026-11`` in English."""
    if value is None:
        return ""
    return format_date(value, month_pattern(lang), locale=_locale(lang))


def fmt_period(first: date | None, last: date | None, lang: str = DEFAULT_LANG) -> str:
    """The period a chart covers: ``01.2025–12.2025``."""
    if first is None or last is None:
        return ""
    if first == last:
        return fmt_month(first, lang)
    return f"{fmt_month(first, lang)}–{fmt_month(last, lang)}"


@functools.cache
def weekday_names(lang: str) -> tuple[str, ...]:
    """Abbreviated weekday names, Monday first (CLDR stand-alone): ``pon.`` … ``niedz.``."""
    names = get_day_names("abbreviated", context="stand-alone", locale=_locale(lang))
    return tuple(names[i] for i in range(7))  # Babel: 0 = Monday


_D3 = {"y": "%Y", "yyyy": "%Y", "yy": "%y", "MM": "%m", "M": "%-m", "dd": "%d", "d": "%-d",
       "HH": "%H", "H": "%-H", "mm": "%M"}
# Excel's number-format codes (a month after an hour is its minutes)
_EXCEL = {"y": "yyyy", "yyyy": "yyyy", "yy": "yy", "MM": "mm", "M": "m", "dd": "dd", "d": "d",
          "HH": "hh", "H": "h", "mm": "mm"}


def _convert(pattern: str, fields: dict[str, str], name: str, percent: str) -> str:
    """A CLDR date pattern in another notation (``fields``: CLDR field → its code there)."""
    fmt = parse_pattern(pattern).format  # e.g. '%(MM)s.%(y)s', literal % as '%%'

    def field(m: re.Match[str]) -> str:
        if m.group(1) not in fields:
            raise ValueError(f"date field {m.group(1)!r} of {pattern!r} has no {name} "
                             "equivalent")
        return fields[m.group(1)]

    return re.sub(r"%\((\w+)\)s", field, fmt.replace("%%", percent))


def _d3(pattern: str) -> str:
    """A CLDR date pattern as a d3 (plotly) time format: ``MM.y`` → ``%m.%Y``."""
    return _convert(pattern, _D3, "d3", "%%")


def excel_date_format(lang: str, kind: str = "date") -> str:
    """Excel's number format for a date (``kind``: ``month``, ``datetime``) as
    :func:`fmt_date` / :func:`fmt_month` write it: ``dd.mm.yyyy``, ``mm.yyyy``,
    ``dd.mm.yyyy hh:mm`` in Polish."""
    def excel(pattern: str) -> str:
        return _convert(pattern, _EXCEL, "Excel", '"%"')

    if kind == "month":
        return excel(month_pattern(lang))
    day = excel(date_pattern(lang))
    return f"{day} {excel(time_pattern(lang))}" if kind == "datetime" else day


def d3_date_format(lang: str, month: bool = False) -> str:
    """Plotly's ``tickformat`` for dates (or months) as :func:`fmt_date` / :func:`fmt_month`
    write them."""
    return _d3(month_pattern(lang) if month else date_pattern(lang))


# ---------------------------------------------------------------- tables

def column_decimals(series: pl.Series) -> int:
    """0 for integers and for floats that hold whole numbers only, else 1."""
    if series.dtype.is_integer():
        return 0
    values = series.drop_nulls().drop_nans() if series.dtype.is_float() else series.drop_nulls()
    if values.is_empty():
        return 0
    return 0 if bool((values == values.round(0)).all()) else 1


def _as_text(col: str, fmt, return_dtype=pl.String) -> pl.Expr:
    return pl.col(col).map_elements(fmt, return_dtype=return_dtype, skip_nulls=True)


def _word(df: pl.DataFrame, col: str, dtype: pl.DataType, lang: str) -> pl.Expr | None:
    """A boolean as ``tak``/``nie``, a value of an enumerated column as its word; None for
    any other column."""
    if dtype == pl.Boolean:
        yes, no = t("yes", lang), t("no", lang)
        return pl.when(pl.col(col)).then(pl.lit(yes)).when(~pl.col(col)).then(pl.lit(no))
    if col in value_columns() and dtype == pl.String:
        return pl.col(col).replace(value_labels(col, df[col].unique().to_list(), lang))
    return None


def frame_labels(columns: list[str], lang: str = DEFAULT_LANG) -> list[str]:
    """The headers a table shows for ``columns``: each one's label, two columns with the
    same label (name_pl / name_en) numbered."""
    seen: set[str] = set()
    labels: list[str] = []
    for col in columns:
        label = column_label(col, lang)
        n = 2
        while label in seen:
            label = f"{column_label(col, lang)} ({n})"
            n += 1
        seen.add(label)
        labels.append(label)
    return labels


def format_frame(df: pl.DataFrame, lang: str = DEFAULT_LANG) -> pl.DataFrame:
    """A display copy of ``df``: numbers, dates and booleans as text in ``lang``, values of
    enumerated columns as words, headers renamed to labels. Downloads: :func:`export_frame`."""
    exprs: list[pl.Expr] = []
    for col, dtype in df.schema.items():
        expr = _word(df, col, dtype, lang)
        if expr is None and dtype.is_numeric():
            decimals = column_decimals(df[col])
            expr = _as_text(col, lambda v, d=decimals: fmt_number(v, lang, d))
        elif expr is None and dtype == pl.Date and is_month_column(col):
            expr = _as_text(col, lambda v: fmt_month(v, lang))
        elif expr is None and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
            expr = _as_text(col, lambda v: fmt_date(v, lang))
        exprs.append(pl.col(col) if expr is None else expr)
    return _labelled(df, exprs, lang)


def export_frame(df: pl.DataFrame, lang: str = DEFAULT_LANG) -> pl.DataFrame:
    """``df`` as an analyst's export shows it (warehouse/export.py, excel-pl and XLSX): the
    headers and words of :func:`format_frame` — labels, ``tak``/``nie``, enumerations as
    words — with numbers, dates and times left as they are (full precision; the writer
    decides how they are spelt)."""
    exprs = [_word(df, col, dtype, lang) for col, dtype in df.schema.items()]
    return _labelled(df, [pl.col(c) if e is None else e
                          for c, e in zip(df.columns, exprs, strict=True)], lang)


def _labelled(df: pl.DataFrame, exprs: list[pl.Expr], lang: str) -> pl.DataFrame:
    if not exprs:
        return df
    labels = frame_labels(df.columns, lang)
    return df.select(e.alias(label) for e, label in zip(exprs, labels, strict=True))


def is_month_column(col: str) -> bool:
    """A date column that holds months (``month_start``, ``opened_month``)."""
    return col == "month_start" or col.endswith("_month")
