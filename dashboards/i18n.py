"""The dashboards' words: gettext catalogues, one per language, and the helpers that read them.

Every visible text lives in ``dashboards/locale/<lang>/LC_MESSAGES/cityops.po`` (message ids
are keys such as ``page_director``). The catalogues are read at run time with Babel
(``read_po``), compiled in memory to :class:`gettext.GNUTranslations` and cached: no ``.mo``
files, no build step. The languages are the catalogues found (Polish, the default, first);
each catalogue's ``Language`` header names the CLDR locale whose formats it uses
(:mod:`dashboards.formats`), and the language switch shows that locale's own name. Adding a
language is adding a catalogue (plus, where the data has it, a ``name_<lang>`` column).

- :func:`t` a message, :func:`tn` a message with plural forms (Polish: 1 wiersz, 2 wiersze,
  5 wierszy), :func:`t_all` one message in every language (for text shown before a
  language is chosen);
- :func:`column_label`, :func:`value_label`: a data column's label (context ``column``) and
  the word for a value of an enumerated column (context ``value:<column>``);
- :func:`localized`: the ``<name>_<lang>`` data column (``_pl`` when a language has none).

Keys are written out in the code (``t("page_director", lang)``, or ``N_("agg_sum")`` in a
mapping), never built (``t(f"agg_{a}")``): :mod:`dashboards.messages` reads them from the
source to keep the catalogues in step, and a test fails on a key used but missing or defined
but unused. Pure functions: pytest calls them without Streamlit.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "cityops"
DEFAULT_LANG = "pl"


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _find_languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if DEFAULT_LANG not in found:
        raise RuntimeError(f"no {DEFAULT_LANG} catalogue in {LOCALE_DIR}")
    return (DEFAULT_LANG, *(code for code in found if code != DEFAULT_LANG))


LANGS: tuple[str, ...] = _find_languages()


@functools.cache
def catalogue(lang: str) -> Catalog:
    """The Babel catalogue of ``lang`` as read from its ``.po`` file."""
    with open(catalogue_path(lang), "rb") as fh:
        return read_po(fh, locale=None, domain=DOMAIN)


@functools.cache
def translations(lang: str) -> gettext.GNUTranslations:
    """``lang``'s catalogue compiled in memory (fuzzy and empty entries left out)."""
    buf = io.BytesIO()
    write_mo(buf, catalogue(lang))
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@functools.cache
def _keys(lang: str) -> frozenset[tuple[str | None, str]]:
    """(context, key) of every translated entry of ``lang``."""
    out = set()
    for message in catalogue(lang):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and all(strings) and not message.fuzzy:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            out.add((message.context, key))
    return frozenset(out)


def has_key(key: str, lang: str = DEFAULT_LANG, context: str | None = None) -> bool:
    return (context, key) in _keys(known(lang))


def known(lang: str | None) -> str:
    """``lang`` if there is a catalogue for it, else the default language."""
    return lang if lang in LANGS else DEFAULT_LANG


def locale(lang: str) -> Locale:
    """The CLDR locale of ``lang``'s formats: its catalogue's ``Language`` header."""
    found = catalogue(known(lang)).locale
    return found if isinstance(found, Locale) else Locale.parse(str(found))


def language_name(lang: str) -> str:
    """The language's own name, for the switch: ``Polski``, ``English``."""
    name = locale(lang).language_name or lang
    return name[:1].upper() + name[1:]


def N_(key: str) -> str:  # noqa: N802 (the gettext convention for a marked, untranslated key)
    """Marks a key written in a mapping (``{"sum": N_("agg_sum")}``); returns it unchanged."""
    return key


# The label of a code the reference data does not know ("niezmapowane: {code}"): the marts
# write it into the names of the unmapped units, services and topics, from the dbt var
# unmapped_label, which holds this message of each language (tests/test_i18n.py keeps
# them equal; dbt/DECISIONS.md § 19).
UNMAPPED_LABEL = N_("unmapped_code")


def unmapped_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """``niezmapowane: Group 56`` / ``unmapped: Group 56``."""
    return t(UNMAPPED_LABEL, lang, code=code)


def _fill(text: str, fields: Mapping[str, object]) -> str:
    return text.format(**fields) if fields else text


def t(key: str, lang: str = DEFAULT_LANG, /, **fields: object) -> str:
    """The message ``key`` in ``lang``, ``{placeholders}`` filled from ``fields``."""
    return _fill(translations(known(lang)).gettext(key), fields)


def tn(key: str, count: int, lang: str = DEFAULT_LANG, /, **fields: object) -> str:
    """The plural form of message ``key`` for ``count`` in ``lang`` (the count itself, as
    shown, is one of ``fields``: ``tn("rows_total", n, lang, n=fmt_number(n, lang))``)."""
    return _fill(translations(known(lang)).ngettext(key, key, int(count)), fields)


def t_all(key: str, /, sep: str = " / ", **fields: object) -> str:
    """One message in every language, joined (sign-in screens, the docs index)."""
    return sep.join(dict.fromkeys(t(key, lang, **fields) for lang in LANGS))


def column_label(column: str, lang: str = DEFAULT_LANG) -> str:
    """A reader's name for a column; unknown columns get a tidied name, never snake_case."""
    if has_key(column, lang, "column"):
        return translations(known(lang)).pgettext("column", column)
    if "_" not in column:
        return column
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@functools.cache
def value_columns() -> frozenset[str]:
    """Columns whose values have words of their own (a ``value:<column>`` context)."""
    return frozenset(ctx.removeprefix("value:") for ctx, _ in _keys(DEFAULT_LANG)
                     if ctx and ctx.startswith("value:"))


def value_label(column: str, value: Any, lang: str = DEFAULT_LANG) -> Any:
    """The reader's word for a value of an enumerated column; the value itself if unknown."""
    if isinstance(value, str) and has_key(value, lang, f"value:{column}"):
        return translations(known(lang)).pgettext(f"value:{column}", value)
    return value


def value_labels(column: str, values: Iterable[Any], lang: str = DEFAULT_LANG) -> dict:
    """{value: word} for the given values of ``column`` (for ``replace`` on a frame)."""
    return {v: value_label(column, v, lang) for v in values if v is not None}


# ---------------------------------------------------------------- data in several languages

def localized_column(columns: Iterable[str], name: str, lang: str) -> str:
    """``<name>_<lang>`` if the data has it, else ``<name>_pl``."""
    cols = set(columns)
    for code in (known(lang), DEFAULT_LANG):
        if f"{name}_{code}" in cols:
            return f"{name}_{code}"
    raise KeyError(f"no column {name}_{known(lang)} or {name}_{DEFAULT_LANG}")


def localized(data: pl.DataFrame | Mapping[str, Any], name: str, lang: str) -> Any:
    """The ``name`` data column in ``lang``: a Series named ``name`` from a frame, the value
    from a row (a dict). Seeds and marts carry ``*_pl`` / ``*_en`` columns; a language without
    a column of its own reads the Polish one."""
    column = localized_column(data.columns if isinstance(data, pl.DataFrame) else data.keys(),
                              name, lang)
    return data[column].alias(name) if isinstance(data, pl.DataFrame) else data[column]


def drop_other_languages(frame: pl.DataFrame, name: str, lang: str) -> pl.DataFrame:
    """``frame`` with ``<name>_<lang>`` (or ``_pl``) kept and the other languages' dropped."""
    keep = localized_column(frame.columns, name, lang)
    pattern = re.compile(rf"^{re.escape(name)}_[a-z]{{2}}$")
    return frame.drop([c for c in frame.columns if pattern.match(c) and c != keep])


# ---------------------------------------------------------------- Smart City RAG reasons

# The mart writes its RAG reasons in English (dbt/DECISIONS.md): each phrase, and the count
# of overdue milestones, read in the reader's language.
RAG_REASONS = {
    "on track": N_("rag_on_track"),
    "cancelled": N_("rag_cancelled"),
    "completed": N_("rag_completed"),
    "more than 30 days late": N_("rag_late_30"),
    "late": N_("rag_late"),
    "over budget": N_("rag_over_budget"),
    "spending ahead of schedule": N_("rag_spending_ahead"),
    "on hold": N_("rag_on_hold"),
}
_OVERDUE = re.compile(r"^(\d+) milestones? overdue$")


def rag_reason_label(reason: str | None, lang: str) -> str | None:
    """'late; 2 milestones overdue' → 'opóźnienie; 2 kamienie milowe po terminie' in Polish."""
    if reason is None:
        return None
    parts = []
    for part in reason.split("; "):
        overdue = _OVERDUE.match(part)
        if overdue:
            n = int(overdue.group(1))
            parts.append(tn("rag_milestones_overdue", n, lang, n=n))
        elif part in RAG_REASONS:
            parts.append(t(RAG_REASONS[part], lang))
        else:
            parts.append(part)
    return "; ".join(parts)
