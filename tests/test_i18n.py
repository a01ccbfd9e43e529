"""The catalogues, the plural forms, the formats and the mart registry.

The key check compares every catalogue with the keys the code uses and the keys the data
needs (dashboards.messages); the tests below it plant an unused key and remove a used one
in a copy of the catalogues and watch the check report each.
"""

from __future__ import annotations

import io
import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from babel.messages.pofile import read_po, write_po

from dashboards import i18n, marts, messages
from dashboards.formats import (
    d3_date_format,
    export_frame,
    fmt_change,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_percent,
    fmt_period,
    fmt_value,
    plotly_separators,
    weekday_names,
)
from dashboards.i18n import localized, t, tn

NBSP = "\u00a0"


# ---------------------------------------------------------------- one name, one column

# columns that are one identifier under two marts' names (a publication's service card is
# a card of the catalogue): they may share a label
SAME_FIGURE = [{"service_card_id", "card_id"}]


def _language_variant(a: str, b: str) -> bool:
    """``name`` and ``name_pl``, ``name_pl`` and ``name_en``: one column in its languages
    (a page shows one of them, :func:`dashboards.i18n.localized`)."""
    def base(c: str) -> str:
        return c.removesuffix("_pl").removesuffix("_en")
    return base(a) == base(b)


def shared_labels(path: Path) -> list[tuple[str, list[str]]]:
    """The column labels of a catalogue that name more than one figure."""
    by_label: dict[str, list[str]] = {}
    for m in read_po(path.open("rb")):
        if m.context == "column" and m.string:
            by_label.setdefault(m.string, []).append(m.id)
    return [(label, sorted(columns)) for label, columns in sorted(by_label.items())
            if len(columns) > 1 and not all(
                _language_variant(a, b) or {a, b} in SAME_FIGURE
                for a in columns for b in columns if a != b)]


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_one_name_one_column(lang):
    """A figure shown under one name is one mart column: no two columns share a label
    (the DK-03 table's reports still unanswered past due are not the KPI's late answers,
    tickets opened in the month are not tickets open now, an IT ticket is not a
    citizen's report)."""
    assert shared_labels(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "cityops.po") == []


def test_two_columns_under_one_label_are_found(catalogue_copy):
    path = catalogue_copy / "pl" / "LC_MESSAGES" / "cityops.po"
    catalog = read_po(path.open("rb"))
    catalog.get("tickets_opened", context="column").string = \
        catalog.get("open_tickets", context="column").string
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, no_location=True)
    assert shared_labels(path) == [("Zgłoszenia IT otwarte na dzień danych",
                                    ["open_tickets", "tickets_opened"])]


# ---------------------------------------------------------------- the key check

def test_every_catalogue_has_every_key_used_and_none_other(built_warehouse):
    keys = messages.expected_keys(built_warehouse)
    assert keys.problems == []
    assert ("column", "ticket_id") in keys.used  # a mart column
    assert ("column", "within_1wd_pct") in keys.used  # a column a query makes
    assert ("value:channel", "walk_in") in keys.used  # an allowed value
    assert (None, "rows_total") in keys.plural
    assert set(i18n.LANGS) >= {"pl", "en"}
    for lang in i18n.LANGS:
        diff = messages.compare(lang, keys, with_data=True)
        assert diff.missing == [], lang
        assert diff.unused == [], lang
        assert diff.untranslated == [], lang
        assert diff.wrong_plural == [], lang


# columns of codes that identify a row beside its name (analysts query the marts by them),
# not enumerations: every other column of codes must have words in each language
IDENTIFIER_COLUMNS = {"kpi_code", "topic_code", "subject", "source_mart"}
CODE = r"^[a-z][a-z0-9_]*$"


def test_every_marts_codes_reach_an_export_as_words(built_warehouse):
    """Every text column of every mart whose values are all codes (``on_target``,
    ``ratio``, ``electronic_channels``: snake_case, fewer than 50 of them) is an
    enumeration with a word for each of its values in every language — so excel-pl files
    and on-screen tables say "w celu", not "on_target" — unless it is a documented
    identifier column."""
    from warehouse.export import available_marts, read_mart

    checked = set()
    for mart in available_marts(built_warehouse):
        df = read_mart(built_warehouse, mart)
        for column, dtype in df.schema.items():
            values = df[column].drop_nulls().unique().to_list() if dtype == pl.String else []
            if (not values or len(values) >= 50 or column in IDENTIFIER_COLUMNS
                    or not all(pl.Series(values).str.contains(CODE))):
                continue
            checked.add(column)
            assert column in i18n.value_columns(), f"{mart}.{column}: codes {values[:5]} " \
                "have no words (a value:<column> context in the catalogues)"
            for lang in i18n.LANGS:
                words = export_frame(df.select(column), lang).to_series()
                missing = sorted({v for v in values if not i18n.has_key(v, lang,
                                                                         f"value:{column}")})
                assert missing == [], f"{mart}.{column} in {lang}: no word for {missing}"
                assert set(words.drop_nulls()) == {i18n.value_label(column, v, lang)
                                                   for v in values}
    # the registry's and the alerts' enumerations are among them (they were codes once)
    assert {"target_status", "alert_kind", "period_basis", "scope", "unit_kind"} <= checked


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    """The catalogues copied to a scratch folder that i18n and messages read instead."""
    locale_dir = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale_dir)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale_dir)
    caches = (i18n.catalogue, i18n.translations, i18n._keys, i18n.value_columns)
    for cached in caches:
        cached.cache_clear()
    yield locale_dir
    for cached in caches:
        cached.cache_clear()


def _edit(lang: str, change) -> None:
    catalogue = messages.read_catalogue(lang)
    change(catalogue)
    messages.write_catalogue(lang, catalogue)


def test_a_key_defined_but_used_nowhere_fails_the_check(catalogue_copy):
    keys = messages.code_keys()
    assert not messages.compare("en", keys, with_data=False)
    _edit("en", lambda c: c.add("page_nowhere", "A page no code shows"))
    diff = messages.compare("en", keys, with_data=False)
    assert diff.unused == [(None, "page_nowhere")] and diff.missing == []


def test_a_key_used_but_missing_from_a_catalogue_fails_the_check(catalogue_copy):
    keys = messages.code_keys()
    assert (None, "page_kck") in keys.used
    _edit("pl", lambda c: c.delete("page_kck"))
    diff = messages.compare("pl", keys, with_data=False)
    assert diff.missing == [(None, "page_kck")] and diff.unused == []
    assert not messages.compare("en", keys, with_data=False)  # the other one still whole


def test_an_untranslated_or_singular_entry_fails_the_check(catalogue_copy):
    keys = messages.code_keys()

    def blank_and_singular(c):
        c.get("page_units").string = ""
        c.delete(("rows_total", "rows_total"))
        c.add("rows_total", "{n} wierszy")  # the old quirk: one form for every count

    _edit("pl", blank_and_singular)
    diff = messages.compare("pl", keys, with_data=False)
    assert diff.untranslated == [(None, "page_units")]
    assert diff.wrong_plural == [(None, "rows_total")]


def test_a_key_built_at_run_time_is_refused(tmp_path):
    code = tmp_path / "page.py"
    code.write_text('from dashboards.i18n import N_, t\n'
                    'RAG = {"red": N_("rag_red")}\n'
                    'a = t(f"rag_{r}", L)\n'
                    'b = t("agg_" + agg, L)\n'
                    'c = t(RAG[r], L)\n'
                    'd = empty_state("x" if e else "y", L)\n', encoding="utf-8")
    keys = messages.code_keys([code])
    assert [p.split(": ", 1)[1] for p in keys.problems] == [
        "t() with a key built at run time", "t() with a key built at run time"]
    assert set(keys.used) == {(None, "rag_red"), ("mart_missing", "x"), ("mart_missing", "y")}


def test_the_catalogues_are_as_the_tool_writes_them():
    """--update rewrites a catalogue with Babel: the committed files are in that form, so
    an update shows only the keys it changed."""
    for lang in i18n.LANGS:
        raw = i18n.catalogue_path(lang).read_bytes()
        out = io.BytesIO()
        write_po(out, read_po(io.BytesIO(raw), domain=i18n.DOMAIN), width=100, no_location=True)
        assert out.getvalue() == raw, lang


def test_a_new_language_is_a_new_catalogue(catalogue_copy, monkeypatch):
    de = catalogue_copy / "de" / "LC_MESSAGES"
    de.mkdir(parents=True)
    text = (catalogue_copy / "en" / "LC_MESSAGES" / "cityops.po").read_text(encoding="utf-8")
    text = text.replace('"Language: en_CA\\n"', '"Language: de_DE\\n"').replace(
        'msgid "page_director"\nmsgstr "Director overview"',
        'msgid "page_director"\nmsgstr "Übersicht für die Leitung"')
    (de / "cityops.po").write_text(text, encoding="utf-8")
    langs = i18n._find_languages()
    assert langs == ("pl", "de", "en")
    monkeypatch.setattr(i18n, "LANGS", langs)
    assert [i18n.language_name(code) for code in langs] == ["Polski", "Deutsch", "English"]
    assert t("page_director", "de") == "Übersicht für die Leitung"
    assert fmt_number(1234.5, "de") == "1.234,5" and fmt_date(date(2026, 11, 2), "de") == \
        "02.11.26"  # CLDR de short date: dd.MM.yy
    row = {"name_pl": "Wydział Informatyki", "name_en": "IT Department"}
    assert localized(row, "name", "de") == "Wydział Informatyki"  # no name_de: Polish


# ---------------------------------------------------------------- plurals

@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 wierszy"), (1, "1 wiersz"), (2, "2 wiersze"), (4, "4 wiersze"), (5, "5 wierszy"),
    (12, "12 wierszy"), (22, "22 wiersze"), (25, "25 wierszy"), (101, "101 wierszy"),
    (112, "112 wierszy"),
])
def test_polish_row_counts_take_the_right_plural(n, expected):
    assert tn("rows_total", n, "pl", n=n) == expected


def test_english_row_counts_and_milestones():
    assert [tn("rows_total", n, "en", n=n) for n in (0, 1, 2, 22)] == [
        "0 rows", "1 row", "2 rows", "22 rows"]
    assert [i18n.rag_reason_label(f"{n} milestones overdue", "pl") for n in (2, 5, 14, 23)] == [
        "2 kamienie milowe po terminie", "5 kamieni milowych po terminie",
        "14 kamieni milowych po terminie", "23 kamienie milowe po terminie"]
    assert i18n.rag_reason_label("1 milestone overdue", "pl") == "1 kamień milowy po terminie"
    assert i18n.rag_reason_label("cancelled; on hold", "pl") == "anulowany; wstrzymany"
    assert i18n.rag_reason_label("1 milestone overdue", "en") == "1 milestone overdue"


# ---------------------------------------------------------------- formats

def test_polish_formats_are_as_before():
    assert fmt_number(1234.5, "pl") == f"1{NBSP}234,5"
    assert fmt_number(1234567, "pl") == f"1{NBSP}234{NBSP}567"
    assert fmt_number(12.0, "pl") == "12" and fmt_number(None, "pl") == ""
    assert fmt_number(float("nan"), "pl") == ""
    assert fmt_number(2.25, "pl", 1) == "2,2"  # half to even, as before
    assert fmt_percent(92.46, "pl") == f"92,5{NBSP}%"
    assert fmt_value(92.46, "%", "pl") == f"92,5{NBSP}%"
    assert fmt_value(18.24, "s", "pl") == f"18,2{NBSP}s"
    assert fmt_value(1.94, "days", "pl") == f"1,9{NBSP}dni"
    assert fmt_value(1234, "count", "pl") == f"1{NBSP}234"
    assert fmt_value(None, "%", "pl") == "—"
    assert fmt_change(2.94, "%", "pl") == f"+2,9{NBSP}p.p."
    assert fmt_change(-7, "count", "pl") == "-7"
    assert fmt_change(0.01, "%", "pl") == f"0,0{NBSP}p.p."  # no sign, no arrow
    assert fmt_date(date(2026, 11, 22), "pl") == "22.11.2026"
    assert fmt_date(date(2026, 11, 2), "pl") == "02.11.2026"  # two-digit day, as before
    assert fmt_date(datetime(2026, 11, 2, 9, 5), "pl") == "02.11.2026 09:05"
    assert fmt_month(date(2026, 11, 1), "pl") == "11.2026"
    assert fmt_period(date(2025, 1, 1), date(2025, 12, 1), "pl") == "01.2025–12.2025"
    assert weekday_names("pl")[0] == "pon." and len(weekday_names("pl")) == 7


def test_english_formats_are_as_before():
    assert fmt_number(1234.5, "en") == "1,234.5"
    assert fmt_value(92.46, "%", "en") == f"92.5{NBSP}%"
    assert fmt_value(1.94, "days", "en") == f"1.9{NBSP}days"
    assert fmt_change(2.94, "%", "en") == f"+2.9{NBSP}pp"
    assert fmt_date(date(2026, 11, 22), "en") == "2026-11-22"
    assert fmt_date(datetime(2026, 11, 2, 9, 5), "en") == "2026-11-02 09:05"
    assert fmt_month(date(2026, 11, 1), "en") == "2026-11"
    assert weekday_names("en") == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def test_charts_get_the_locales_symbols_and_patterns():
    assert plotly_separators("pl") == f",{NBSP}" and plotly_separators("en") == ".,"
    assert d3_date_format("pl", month=True) == "%m.%Y"
    assert d3_date_format("en", month=True) == "%Y-%m"
    assert d3_date_format("pl") == "%d.%m.%Y"
    # the chart's pattern writes what fmt_month writes
    assert date(2026, 3, 1).strftime(d3_date_format("pl", month=True)) == \
        fmt_month(date(2026, 3, 1), "pl")


# ---------------------------------------------------------------- data in several languages

def test_localized_picks_the_language_column_and_falls_back_to_polish():
    frame = pl.DataFrame({"kpi_name_pl": ["SLA dotrzymane"], "kpi_name_en": ["SLA met"],
                          "name_pl": ["Wydział"]})
    assert localized(frame, "kpi_name", "en").to_list() == ["SLA met"]
    assert localized(frame, "kpi_name", "en").name == "kpi_name"
    assert localized(frame, "kpi_name", "pl").to_list() == ["SLA dotrzymane"]
    assert localized(frame, "name", "en").to_list() == ["Wydział"]  # no name_en: Polish
    assert localized({"kpi_name_pl": "a", "kpi_name_en": "b"}, "kpi_name", "en") == "b"
    assert i18n.drop_other_languages(frame, "kpi_name", "en").columns == ["kpi_name_en",
                                                                         "name_pl"]
    with pytest.raises(KeyError):
        localized(frame, "title", "pl")


# ---------------------------------------------------------------- the mart registry

def test_the_files_of_each_mart_are_the_builds_lineage(built_warehouse):
    assert marts.source_files("kck_queue_service", built_warehouse) == ("calls.csv",)
    assert marts.source_files("incident_sla", built_warehouse) == (
        "it_services.csv", "tickets.csv", "ticket_events.csv")
    assert marts.source_files("smart_city_portfolio", built_warehouse) == (
        "sc_projects.csv", "sc_milestones.csv")
    # the units of the seed and the unit codes the data holds (unmapped ones, DECISIONS § 19)
    assert marts.source_files("organisation_units", built_warehouse) == (
        "it_services.csv", "service_cards.csv", "sc_projects.csv", "tickets.csv",
        "ticket_events.csv", "calls.csv", "submissions.csv", "publications.csv")
    director = marts.source_files("director_kpis", built_warehouse)
    assert {"calls.csv", "service_cards.csv", "sc_projects.csv"} <= set(director)
    assert "public_holidays.csv" not in director  # generated by the build, not loaded
    assert marts.empty_message("kck_queue_service", "pl", built_warehouse) == (
        "Brak danych o połączeniach KCK w hurtowni — wczytaj plik calls.csv (cityops load) i "
        "przebuduj (cityops build).")
    assert "wczytaj pliki sc_projects.csv, sc_milestones.csv" in marts.empty_message(
        "smart_city_portfolio", "pl", built_warehouse)
    assert marts.mart_label("kck_queue_service", "en") == "KCK queues (monthly)"


def test_without_a_manifest_the_empty_state_names_no_files(tmp_path):
    bare = tmp_path / "copied.duckdb"
    assert marts.source_files("kck_queue_service", bare) == ()
    assert marts.empty_message("kck_queue_service", "en", bare) == (
        "No KCK call data in the warehouse — load the extracts (cityops load) and rebuild "
        "(cityops build).")


def test_docs_index_is_in_every_language(tmp_path):
    from warehouse.serve import _index_html

    page = _index_html({"dbt": tmp_path, "gx": Path("/nonexistent")})
    assert "dokumentacja / documentation" in page
    assert "brak; uruchom <code>cityops build</code> / missing; run <code>cityops build</code>" \
        in page


def test_the_unmapped_label_of_the_marts_is_the_catalogues():
    """The marts name an unmapped unit, service or topic with the dbt var unmapped_label,
    which holds the catalogue message unmapped_code of each language (DECISIONS.md § 19):
    the words have one home, the catalogues, and this test fails while they disagree."""
    import yaml

    from warehouse.build import DBT_DIR

    label = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]["unmapped_label"]
    assert set(label) == {"pl", "en"}
    for lang, template in label.items():
        assert template == i18n.translations(lang).gettext(i18n.UNMAPPED_LABEL), lang
        assert i18n.unmapped_label("Group 56", lang) == template.replace("{code}", "Group 56")
    assert i18n.unmapped_label("Group 56", "pl") == "niezmapowane: Group 56"
