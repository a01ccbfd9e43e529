"""Dashboards: every page through the real app (AppTest) on the fixture warehouse, values
shown checked against the marts; the English switch; empty and missing warehouses; the
pure helpers (formats, report SQL) and the serve commands."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import unicodedata
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import reports
from dashboards.components import default_period, md_text
from dashboards.formats import fmt_change, fmt_date, fmt_number, fmt_value, format_frame
from dashboards.i18n import t, tn
from dashboards.navigation import PAGES
from dashboards.verdicts import judged_value
from warehouse.store import connect_read_only, current_file

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"


# ---------------------------------------------------------------- helpers

def parse_number(text: str) -> float:
    """Back from '1 234,5' (Polish) to 1234.5."""
    return float(text.replace("\u00a0", "").replace(" ", "").replace("−", "-").replace(",", "."))


def rows(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_read_only(wh)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def wh(pages_warehouse):
    return pages_warehouse


def open_page(page: str | None = None, lang: str = "pl") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    if lang != "pl":
        at.radio(key="lang").set_value(lang).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def caption_count(at: AppTest, lang: str = "pl") -> list[int]:
    """The '1 wiersz' / '3 wiersze' / '5 wierszy' row counts under every table on the page
    (a caption counts only in the plural form its number takes)."""
    out = []
    for c in at.caption:
        head = c.value.split(" · ")[0]
        number = head.split(" ")[0]
        try:
            n = int(parse_number(number))
        except ValueError:
            continue
        if head == tn("rows_total", n, lang, n=number):
            out.append(n)
    return out


def last_months(wh: Path, mart: str, column: str = "month_start", n: int = 12
                ) -> tuple[date, date]:
    months = [r[0] for r in rows(wh, f"select distinct {column} from marts.{mart} "
                                     f"where {column} is not null order by 1")]
    return months[max(0, len(months) - n)], months[-1]


# ---------------------------------------------------------------- pure helpers

def test_polish_and_english_formats():
    assert fmt_number(1234.5, "pl") == "1\u00a0234,5"
    assert fmt_number(1234.5, "en") == "1,234.5"
    assert fmt_number(1234567, "pl") == "1\u00a0234\u00a0567"
    assert fmt_date(date(2026, 11, 22), "pl") == "22.11.2026"
    assert fmt_date(date(2026, 11, 22), "en") == "2026-11-22"
    assert fmt_value(92.46, "%", "pl") == "92,5\u00a0%"
    assert fmt_value(92.46, "%", "en") == "92.5\u00a0%"
    import polars as pl

    shown = format_frame(pl.DataFrame({"month_start": [date(2025, 3, 1)], "sla_met_pct": [85.25],
                                       "tickets_opened": [1200], "is_open": [True]}), "pl")
    # tickets opened in the month and a ticket still open: two figures, two names
    assert shown.columns == ["Miesiąc", "SLA dotrzymane (%)", "Zgłoszenia IT otwarte w miesiącu",
                             "Otwarte (tak/nie)"]
    assert shown.row(0) == ("03.2025", "85,2", "1\u00a0200", "tak")


def test_the_default_period_is_twelve_calendar_months_up_to_the_pages_sources():
    months = [date(2016, 5, 1), date(2019, 3, 1), date(2025, 1, 1), date(2025, 2, 1),
              date(2025, 11, 1), date(2026, 1, 1)]
    # twelve calendar months, not twelve entries of a list with gaps
    assert default_period(months, None, 12) == (date(2025, 2, 1), date(2026, 1, 1))
    # up to the page's own sources' newest month
    assert default_period(months, date(2025, 11, 1), 12) == (date(2025, 1, 1),
                                                             date(2025, 11, 1))
    assert default_period(months, date(2020, 6, 1), 12) == (date(2019, 3, 1),
                                                            date(2019, 3, 1))
    # sources newer than the list, or older than all of it
    assert default_period(months, date(2030, 1, 1), 3) == (date(2025, 11, 1),
                                                           date(2026, 1, 1))
    assert default_period(months, date(2010, 1, 1), 12) == (date(2016, 5, 1),
                                                            date(2016, 5, 1))


def test_report_sql_uses_whitelisted_identifiers_and_parameters():
    schema = {"kck_call_topics": {"month_start": "DATE", "topic_code": "VARCHAR",
                                  "answered": "BIGINT"}}
    defn = reports.ReportDefinition(
        name="x", mart="kck_call_topics", measures=[("answered", "sum"), ("*", "count")],
        breakdowns=["topic_code"], filters={"topic_code": ["T01'; drop table x; --"]})
    sql, params = reports.build_sql(defn, schema)
    assert "drop table" not in sql and params == ["T01'; drop table x; --"]
    assert 'sum("answered") as "sum__answered"' in sql and "count(*)" in sql
    for bad in (
        reports.ReportDefinition(name="x", mart="raw.calls", measures=[("answered", "sum")]),
        reports.ReportDefinition(name="x", mart="kck_call_topics",
                                 measures=[("answered); drop table x; --", "sum")]),
        reports.ReportDefinition(name="x", mart="kck_call_topics", measures=[("answered", "exec")]),
        reports.ReportDefinition(name="x", mart="kck_call_topics",
                                 measures=[("topic_code", "sum")]),
    ):
        with pytest.raises(reports.ReportError):
            reports.build_sql(bad, schema)


def test_report_names_are_validated_and_saved_outside_the_warehouse(tmp_path):
    defn = reports.ReportDefinition(name="Tematy połączeń 2025", mart="kck_call_topics",
                                    measures=[("answered", "sum")], breakdowns=["topic_code"])
    reports.save_report(tmp_path, defn)
    assert reports.list_reports(tmp_path) == ["Tematy połączeń 2025"]
    assert reports.load_report(tmp_path, "Tematy połączeń 2025") == defn
    for bad in ("", "../../etc/passwd", "a/b", "x" * 81, " "):
        with pytest.raises(reports.ReportError):
            reports.save_report(tmp_path, reports.ReportDefinition(
                name=bad, mart="kck_call_topics", measures=[("answered", "sum")]))
    assert reports.reports_dir(Path("/srv/data/warehouse.duckdb")) == Path("/srv/data/reports") \
        or os.environ.get("CITYOPS_REPORTS_DIR")


def test_a_value_is_shown_with_the_precision_that_decides_its_verdict():
    """Issue 14: "80,0 % · poza celem · cel 80,0 %" never again."""
    assert judged_value(79.96, 80, "%", "pl") == "79,96\u00a0%"
    assert judged_value(89.999, 90, "%", "pl") == "89,999\u00a0%"
    assert judged_value(80.0, 80, "%", "pl") == "80,0\u00a0%"  # met exactly
    assert judged_value(91.51, 90, "%", "pl") == "91,5\u00a0%"  # the usual precision
    assert judged_value(30.04, 30, "s", "en") == "30.04\u00a0s"
    assert judged_value(2.0, 2, "count", "pl") == "2"
    assert judged_value(None, 80, "%", "pl") == "—"


# ---------------------------------------------------------------- pages

def test_director_tiles_show_mart_values_in_polish(wh):
    at = open_page()
    assert at.title[0].value == t("page_director", "pl")
    month = rows(wh, "select max(month_start) from marts.director_kpis")[0][0]
    kpis = rows(wh, "select kpi_name_pl, value, unit, target from marts.director_kpis "
                    "where month_start = ?", [month])
    assert kpis
    shown = {m.label: m.value for m in at.metric}
    for name, value, unit, target in kpis:
        assert shown[name] == judged_value(value, target, unit, "pl"), name
    pct = [fmt_value(v, u, "pl") for _, v, u, _ in kpis if u == "%" and v is not None]
    assert pct and all("," in p and p.endswith("\u00a0%") for p in pct)


def test_the_overview_says_when_the_last_update_failed(wh):
    """After a failed nightly update the pages keep serving the last good build and say so."""
    from warehouse.store import LAST_UPDATE, builds_dir, record_update

    record_update(wh, False, "dbt build failed on 1 node(s).")
    try:
        at = open_page()
        warnings = [w.value for w in at.warning]
        assert any("Ostatnia aktualizacja nie powiodła się" in w and "dbt build failed" in w
                   for w in warnings), warnings
    finally:
        (builds_dir(wh) / LAST_UPDATE).unlink()
    at = open_page()
    assert not any("Ostatnia aktualizacja" in w.value for w in at.warning)


def test_director_tiles_judge_the_sla_on_every_priority(wh):
    """Each priority with a target of its own is on the tile with its value and verdict,
    as marts.director_kpis_by_priority has them, and the tile's verdict is the mart's: a
    priority off target makes the KPI off target whatever the average."""
    month = rows(wh, "select max(month_start) from marts.director_kpis_by_priority")[0][0]
    at = open_page()
    at.selectbox(key="director_month__pl").set_value(month).run()
    text = "\n".join(m.value for m in at.markdown)
    parts = rows(wh, "select priority, value, target, target_status "
                     "from marts.director_kpis_by_priority where month_start = ? and "
                     "kpi_code = 'incident_sla_met_pct' order by priority", [month])
    assert len(parts) == 4
    words = {"on_target": "w celu", "warning": "blisko celu", "off_target": "poza celem"}
    colours = {"on_target": "green", "warning": "orange", "off_target": "red"}
    for priority, value, target, status in parts:
        shown = judged_value(value, target, "%", "pl")
        assert f"P{priority}: {shown} :{colours[status]}[" in text, (priority, text)
        line = next(ln for ln in text.splitlines() if ln.startswith(f"P{priority}: {shown}"))
        assert words[status] in line and f"cel: {fmt_value(target, '%', 'pl')}" in line
    (status, own, missed), = rows(
        wh, "select target_status, value_target_status, breakdowns_missed "
            "from marts.director_kpis where month_start = ? and "
            "kpi_code = 'incident_sla_met_pct'", [month])
    worst = {s for *_, s in parts} | {own}
    expected = next(s for s in ("off_target", "warning", "on_target") if s in worst)
    assert status == expected
    assert (missed is None) == (expected == "on_target" and own == "on_target")
    assert f"{words[status]}] · cel: " in text


def test_the_overview_gives_the_year_to_date_and_any_period(wh):
    """The KPIs over the year to date and over a chosen period, as computed here from
    marts.kpi_values: a flow's parts summed over the months, a stock's last month."""
    months = [m for (m,) in rows(wh, "select distinct month_start from marts.director_kpis "
                                     "order by 1")]
    month = months[-1]
    parts = rows(wh, "select month_start, kpi_code, numerator, denominator "
                     "from marts.kpi_values where breakdown = 'all'")

    def expected(kpi: str, first, last, stock: bool = False) -> float:
        inside = sorted((m, n, d) for m, k, n, d in parts if k == kpi and first <= m <= last)
        if stock:
            return inside[-1][1]
        return 100 * sum(n for _, n, _ in inside) / sum(d for _, _, d in inside)

    def shown(at) -> dict[str, str]:
        frame = next(d.value for d in at.dataframe if "Wartość rok wcześniej" in d.value.columns)
        return dict(zip(frame["Wskaźnik"], frame["Wartość"], strict=True))

    at = open_page()
    at.selectbox(key="director_month__pl").set_value(month).run()
    ytd = shown(at)
    first = max(months[0], month.replace(month=1))
    assert ytd["Zgłoszenia rozwiązane w SLA"] == fmt_value(
        expected("incident_sla_met_pct", first, month), "%", "pl")
    assert ytd["Zaległe zgłoszenia na koniec miesiąca"] == fmt_value(
        expected("incident_backlog", first, month, stock=True), "count", "pl")
    # a free period of three months
    at.radio(key="director_span__pl").set_value("free").run()
    at.select_slider(key="director_free_period__pl").set_value((months[-4], months[-2])).run()
    assert not at.exception
    assert shown(at)["Publikacje w ciągu 1 dnia roboczego"] == fmt_value(
        expected("publications_within_1wd_pct", months[-4], months[-2]), "%", "pl")
    # the tiles' change against the same month a year before, as the mart has it (the
    # one-year sample has it for the KPIs with a longer history: cards, projects)
    at.radio(key="director_compare__pl").set_value("year_ago").run()
    assert not at.exception
    changes = rows(wh, "select kpi_name_pl, unit, change_year_ago from marts.director_kpis "
                       "where month_start = ?", [month])
    deltas = {m.label: m.delta or None for m in at.metric}
    assert any(c is not None for *_, c in changes)
    for name, unit, change in changes:
        want = None if change is None else f"{fmt_change(change, unit, 'pl')} r/r"
        assert deltas[name] == want, name


def test_director_drill_down_by_unit(wh):
    drill = rows(wh, "select kpi_code, max(month_start) from marts.director_kpis_by_unit "
                     "group by 1 order by 1 limit 1")
    if not drill:
        pytest.skip("no KPI with a unit breakdown in the fixture")
    kpi, month = drill[0]
    at = open_page()
    at.selectbox(key="director_month__pl").set_value(month).run()
    at.selectbox(key="director_kpi__pl").set_value(kpi).run()
    assert not at.exception
    units = {r[0] for r in rows(wh, "select unit_name_pl from marts.director_kpis_by_unit "
                                    "where kpi_code = ? and month_start = ?", [kpi, month])}
    table = at.dataframe[0].value
    assert set(table["Jednostka"]) == units
    # its parts are named by what they count, in the registry's words
    (numerator, denominator), = rows(wh, "select numerator_pl, denominator_pl from marts.kpis "
                                         "where kpi_code = ?", [kpi])
    for part in (numerator, denominator):
        if part:
            assert part[:1].upper() + part[1:] in table.columns, (part, table.columns)


def test_english_switch(wh):
    at = open_page(lang="en")
    assert at.title[0].value == "Director overview"
    month = rows(wh, "select max(month_start) from marts.director_kpis")[0][0]
    kpis = rows(wh, "select kpi_name_en, value, unit, target from marts.director_kpis "
                    "where month_start = ?", [month])
    shown = {m.label: m.value for m in at.metric}
    for name, value, unit, target in kpis:
        assert shown[name] == judged_value(value, target, unit, "en"), name
    month_box = at.selectbox(key="director_month__en")
    assert month_box.value == month and month_box.options[0] == month.strftime("%Y-%m")
    at.switch_page("views/incidents.py").run()
    assert not at.exception
    assert at.title[0].value == "IT-02-3 — incident SLAs"
    at.radio(key="lang").set_value("pl").run()  # and back, keeping the period chosen
    assert not at.exception and at.title[0].value == t("page_incidents", "pl")


PAGE_TITLES = {page.name: page.title_key for page in PAGES}


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_page_renders_in_both_languages(wh, lang):
    from dashboards.i18n import LANGS

    assert lang in LANGS
    for page, key in PAGE_TITLES.items():
        at = open_page(None if page == PAGES[0].name else page, lang)  # no exception
        assert at.title[0].value == t(key, lang), page
        if page == "builder":  # its table's "N rows" caption is in the right plural form
            assert caption_count(at, lang)
        # every chart opens its definition: what it counts and the mart it reads
        charts = at.get("plotly_chart")
        definitions = [e for e in at.expander if e.label == t("chart_definition", lang)]
        assert len(definitions) == len(charts), page
        source = t("def_source", lang, mart="").split(":")[0]
        for e in definitions:
            assert re.search(source + r"\\?: marts\\?\.[a-z_]+", e.markdown[0].value), page


def test_a_kpi_chart_opens_the_registrys_definition_in_the_pages_language(wh):
    """The SLA chart of the incidents page: the registry's definition, formula, period
    basis, source, owner unit and target with its origin, in Polish."""
    (definition, numerator, denominator, origin, target), = rows(wh, """
        select definition_pl, numerator_pl, denominator_pl, target_origin_pl, target
        from marts.kpis where kpi_code = 'incident_sla_met_pct'""")
    at = open_page("incidents")
    shown = next(e.markdown[0].value for e in at.expander
                 if e.label == "Definicja i źródło" and "Zgłoszenia rozwiązane w SLA"
                 in e.markdown[0].value)
    for text in (definition, f"100 × ({numerator}) ÷ ({denominator})",
                 "Okres: miesiąc rozwiązania", "Źródło: marts.incident_sla",
                 "Odpowiada: IT-02-3", origin, f"Cel: {fmt_value(target, '%', 'pl')}"):
        assert md_text(text) in shown, text


def test_incidents_page(wh):
    at = open_page("incidents")
    first, last = last_months(wh, "incident_sla_monthly")
    opened = rows(wh, "select count(*) from marts.incident_sla where opened_month between ? and ?",
                  [first, last])[0][0]
    assert opened > 0
    assert caption_count(at)[-1] == opened  # the ticket list, unfiltered
    by_group = dict(rows(wh, "select group_code, sum(tickets_opened) "
                             "from marts.incident_sla_monthly "
                             "where month_start between ? and ? group by 1", [first, last]))
    group_table = next(d.value for d in at.dataframe if "Grupa" in d.value.columns)
    opened_column = group_table["Zgłoszenia IT otwarte w miesiącu"]
    shown = {g: parse_number(n) for g, n in zip(group_table["Grupa"], opened_column,
                                                strict=True)}
    assert shown == by_group
    # drill to the ticket list: filter by priority
    at.selectbox(key="inc_f_prio__pl").set_value(1).run()
    assert not at.exception
    p1 = rows(wh, "select count(*) from marts.incident_sla where opened_month between ? and ? "
                  "and priority = 1", [first, last])[0][0]
    assert caption_count(at)[-1] == p1
    assert len(at.dataframe[-1].value) == min(p1, 50)  # one page shown …


def test_ticket_list_download_is_the_whole_filtered_list(wh):
    from dashboards.queries import incidents
    from dashboards.state import fresh

    first, last = last_months(wh, "incident_sla_monthly")
    full = fresh(incidents.ticket_list, first, last, None, None, None, False, False)()
    n = rows(wh, "select count(*) from marts.incident_sla where opened_month between ? and ?",
             [first, last])[0][0]
    assert full.height == n > 50  # … the download has every row
    assert full["opened_at"].is_sorted(descending=True)


def test_kck_page(wh):
    at = open_page("kck")
    first, last = last_months(wh, "kck_queue_service")
    expected = rows(wh, "select queue, service_level_pct from marts.kck_queue_service "
                        "where month_start = ? order by queue", [first])
    table = next(d.value for d in at.dataframe if "Kolejka" in d.value.columns)
    first_month = table[table["Miesiąc"] == first.strftime("%m.%Y")]
    shown = dict(zip(first_month["Kolejka"], first_month["Poziom obsługi (%)"], strict=True))
    for queue, sl in expected:
        assert parse_number(shown[queue]) == pytest.approx(sl, abs=0.051), queue
    answered = rows(wh, "select sum(answered) from marts.kck_call_topics "
                        "where month_start between ? and ?", [first, last])[0][0]
    topics = next(d.value for d in at.dataframe if "Temat" in d.value.columns)
    assert sum(parse_number(v) for v in topics["Odebrane"]) == answered


def test_units_page(wh):
    at = open_page("units")
    unit = at.selectbox(key="units_unit__pl").value
    first, last = last_months(wh, "unit_workload")
    # it opens on the unit with the most work items in the period (summed here by polars)
    con = connect_read_only(wh)
    try:
        work = con.sql("select * from marts.unit_workload where month_start between ? and ?",
                       params=[first, last]).pl()
    finally:
        con.close()
    measures = ["tickets_requested", "tickets_handled", "escalations_received",
                "calls_forwarded", "submissions_forwarded", "submissions_overdue",
                "kck_matters_forwarded", "publications_made"]
    totals = work.group_by("unit_code").agg(pl.sum_horizontal(measures).sum().alias("n"))
    assert unit == totals.sort(["n", "unit_code"], descending=[True, False])["unit_code"][0]
    requested = rows(wh, "select coalesce(sum(tickets_requested), 0) from marts.unit_workload "
                         "where unit_code = ? and month_start between ? and ?",
                     [unit, first, last])[0][0]
    table = at.dataframe[0].value
    assert sum(parse_number(v) for v in table["Zgłoszenia IT złożone"]) == requested


def test_publications_page(wh):
    at = open_page("publications")
    stale = rows(wh, "select count(*) from marts.service_card_freshness where is_stale")[0][0]
    metric = next(m for m in at.metric if m.label.startswith("Karty usług"))
    assert int(metric.value) == stale


@pytest.fixture(scope="module")
def calls_only(sample_dir, tmp_path_factory):
    """A warehouse of a city that has loaded only its call log."""
    import shutil

    from warehouse.build import build
    from warehouse.load import load_directory

    src = tmp_path_factory.mktemp("calls_only_src")
    shutil.copy(sample_dir / "calls.csv", src / "calls.csv")
    built = tmp_path_factory.mktemp("calls_only") / "warehouse.duckdb"
    load_directory(src, built)
    build(built, docs=False)
    return built


def test_the_date_of_the_data_is_the_builds_whatever_was_loaded(calls_only, monkeypatch):
    """Pages print the build's as_of (marts.build_info) even where their own marts are
    empty: a calls-only warehouse once read "Karty usług … na " with no date."""
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(calls_only))
    (as_of,) = rows(calls_only, "select max(ended_at) from raw.calls")[0]
    shown = fmt_date(rows(calls_only, "select as_of_at from marts.build_info")[0][0], "pl")
    assert shown == fmt_date(as_of, "pl") != ""
    at = open_page("publications")
    stale = next(m for m in at.metric if m.label.startswith("Karty usług"))
    assert stale.label.endswith(f"na {shown}")
    assert any(f"{t('data_as_of', 'pl')}: {shown}" in c.value for c in at.sidebar.caption)
    for page in ("incidents", "kck", "smart_city"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
        assert not any(text.rstrip().endswith(" na") for text in texts), page


def test_smart_city_page(wh):
    at = open_page("smart_city")
    red = rows(wh, "select count(*) from marts.smart_city_portfolio "
                   "where rag_status = 'red'")[0][0]  # = the month of as_of's (test_smart_city)
    metric = next(m for m in at.metric if m.label == "RAG: czerwony")
    assert int(metric.value) == red
    n = rows(wh, "select count(*) from marts.smart_city_portfolio")[0][0]
    assert caption_count(at)[0] == n


def test_report_builder_runs_saves_and_reopens(wh):
    at = open_page("builder")
    at.selectbox(key="b_mart__pl").set_value("kck_call_topics").run()
    at.multiselect(key="b_measures__pl").set_value(["answered"]).run()
    at.multiselect(key="b_breakdowns__pl").set_value(["topic_code"]).run()
    assert not at.exception
    expected = dict(rows(wh, "select topic_code, sum(answered) from marts.kck_call_topics "
                             "group by 1"))
    table = at.dataframe[0].value
    shown = {k: parse_number(v) for k, v in zip(table["Kod tematu"], table["suma: Odebrane"],
                                                strict=True)}
    assert shown == expected
    at.text_input(key="b_name").set_value("../zły raport").run()
    at.button(key="b_save").click().run()
    assert at.error, "an invalid name must be refused"
    at.text_input(key="b_name").set_value("Tematy KCK — suma").run()
    at.button(key="b_save").click().run()
    assert not at.exception and at.success
    saved = reports.list_reports(Path(os.environ["CITYOPS_REPORTS_DIR"]))
    assert "Tematy KCK — suma" in saved

    again = open_page("builder")
    again.selectbox(key="b_mart__pl").set_value("publications").run()
    again.selectbox(key="b_open__pl").set_value("Tematy KCK — suma").run()
    assert not again.exception
    assert again.selectbox(key="b_mart__pl").value == "kck_call_topics"
    assert again.multiselect(key="b_breakdowns__pl").value == ["topic_code"]
    table = again.dataframe[0].value
    assert sum(parse_number(v) for v in table["suma: Odebrane"]) == sum(expected.values())


def test_report_builder_sql_box(wh):
    pytest.importorskip("warehouse.safe_sql")
    at = open_page("builder")
    at.text_area(key="b_sql").set_value(
        "select count(*) as n from marts.director_kpis").run()
    at.button(key="b_sql_run").click().run()
    assert not at.exception
    n = rows(wh, "select count(*) from marts.director_kpis")[0][0]
    assert parse_number(at.dataframe[-1].value.iloc[0, 0]) == n
    at.text_area(key="b_sql").set_value("drop table marts.director_kpis").run()
    at.button(key="b_sql_run").click().run()
    # the refusal in the page's language, from the catalogue
    assert at.error[-1].value == t("sql_select_only", "pl", kind="DROP")
    assert "Only SELECT" not in at.error[-1].value
    at.text_area(key="b_sql").set_value("select repeat('x', 100000) as s from range(2000)"
                                        ).run()
    at.button(key="b_sql_run").click().run()
    assert at.error[-1].value.startswith("Wynik przekracza limit 50 MB")


def test_a_new_build_swapped_in_is_read_at_the_next_rerun(wh, tmp_path, monkeypatch):
    import shutil

    from warehouse.store import writable_copy

    link = tmp_path / "warehouse.duckdb"
    shutil.copyfile(current_file(wh), link)  # a plain file: the first write turns it into a link
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(link))
    at = open_page("smart_city")
    latest = ("from marts.smart_city_project_months where month_start = "
              "(select max(month_start) from marts.smart_city_project_months)")
    red = rows(link, f"select count(*) {latest} and rag_status = 'red'")[0][0]
    total = rows(link, f"select count(*) {latest}")[0][0]
    assert int(next(m for m in at.metric if m.label == "RAG: czerwony").value) == red
    with writable_copy(link) as path:  # a "rebuild": every project turns red
        con = duckdb.connect(str(path))
        con.execute("update marts.smart_city_project_months set rag_status = 'red'")
        con.close()
    assert current_file(link) != link and total != red
    at.run()
    assert not at.exception
    assert int(next(m for m in at.metric if m.label == "RAG: czerwony").value) == total


# ---------------------------------------------------------------- empty states

def test_missing_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "Brak hurtowni danych" in at.error[0].value
    assert "cityops build" in at.error[0].value


def test_empty_marts_show_what_is_missing(wh, tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(empty))
    con.execute(f"attach '{current_file(wh)}' as src (read_only)")
    con.execute("create schema marts")
    for (name,) in con.execute("select table_name from information_schema.tables "
                               "where table_catalog = 'src' and table_schema = 'marts'"
                               ).fetchall():
        con.execute(f'create table marts."{name}" as select * from src.marts."{name}" limit 0')
    con.close()
    # the files named come from the build's lineage: its manifest beside the warehouse
    from dashboards.marts import manifest_path

    manifest_path(empty).parent.mkdir(parents=True)
    shutil.copy(manifest_path(wh), manifest_path(empty))
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(empty))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "wskaźników dla dyrekcji" in at.info[0].value
    at.switch_page("views/kck.py").run()
    assert not at.exception
    assert any("Brak danych o połączeniach KCK w hurtowni — wczytaj plik calls.csv" in i.value
               for i in at.info)
    for page in ("incidents", "units", "publications", "smart_city", "builder"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page


# ---------------------------------------------------------------- serve

def test_serve_command_binds_localhost_and_passes_the_warehouse(tmp_path):
    from warehouse.serve import streamlit_command

    cmd, env = streamlit_command(tmp_path / "warehouse.duckdb")
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("dashboards/app.py")
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    assert env["CITYOPS_WAREHOUSE"] == str(tmp_path / "warehouse.duckdb")


def test_docs_server_index(tmp_path):
    from warehouse.serve import make_docs_server

    wh = tmp_path / "warehouse.duckdb"
    dbt_docs = tmp_path / "warehouse.duckdb.builds" / "dbt" / "target"
    dbt_docs.mkdir(parents=True)
    (dbt_docs / "index.html").write_text("<html>dbt docs here</html>")
    server = make_docs_server(wh, port=0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        index = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
        assert 'href="/dbt/index.html"' in index and "cityops check" in index  # GX missing
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/dbt/index.html").read()
        assert b"dbt docs here" in page
    finally:
        server.shutdown()
        server.server_close()


def test_rag_reasons_read_in_polish():
    from dashboards.i18n import rag_reason_label

    assert rag_reason_label("late; over budget", "pl") == "opóźnienie; przekroczony budżet"
    assert rag_reason_label("3 milestones overdue", "pl") == "3 kamienie milowe po terminie"
    assert rag_reason_label("5 milestones overdue", "pl") == "5 kamieni milowych po terminie"
    assert rag_reason_label("late", "en") == "late"


def test_reporting_lines_read_in_polish():
    from dashboards.i18n import value_label
    from warehouse.reference import load_seed

    lines = set(load_seed("org_units")["reporting_line"].to_list())
    for line in lines:  # every reporting line in the seed has a Polish name
        assert value_label("reporting_line", line, "pl") != line or line == "", line
    assert value_label("reporting_line", "I Deputy Director", "pl") == "I Zastępca Dyrektora"


def test_the_page_list_is_one_list():
    """Every page file is in dashboards/navigation.PAGES (and nothing else is), its title is
    in the catalogues, and dbt's exposures are generated from the list."""
    from dashboards import navigation
    from dashboards.i18n import has_key

    files = {p.stem for p in (ROOT / "dashboards" / "views").glob("*.py")}
    # a pages/ folder beside app.py turns on Streamlit's legacy multipage mode (see app.py)
    assert not (ROOT / "dashboards" / "pages").exists()
    assert files == {page.name for page in PAGES}
    assert all(has_key(page.title_key, "pl") and has_key(page.title_key, "en") for page in PAGES)
    assert navigation.outputs() and not navigation.generated.stale(navigation.outputs()), \
        "run python -m dashboards.navigation"


# ---------------------------------------------------------------- saved reports (issue 12 § 4)

def _defn(name: str) -> reports.ReportDefinition:
    return reports.ReportDefinition(name=name, mart="kck_call_topics",
                                    measures=[("answered", "sum")], breakdowns=["topic_code"])


def _save_many(directory: str, worker: int, n: int) -> None:
    for i in range(n):
        reports.save_report(Path(directory), _defn(f"Raport {worker}-{i}"))


def test_saves_from_threads_are_all_kept(tmp_path):
    """400 saves from four threads: 400 definitions (112–133 were left before)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: _save_many(str(tmp_path), w, 100), range(4)))
    names = reports.list_reports(tmp_path)
    assert len(names) == 400
    assert set(names) == {f"Raport {w}-{i}" for w in range(4) for i in range(100)}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".reports.")
            and p.suffix == ".json"] == []  # no temporary file left behind


def test_saves_from_processes_are_all_kept(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_save_many, args=(str(tmp_path), w, 50)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    assert len(reports.list_reports(tmp_path)) == 200


def test_report_names_are_nfc_and_one_script(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Zgłoszenia według źródła")
    assert decomposed != "Zgłoszenia według źródła"
    reports.save_report(tmp_path, _defn(decomposed))
    assert reports.list_reports(tmp_path) == ["Zgłoszenia według źródła"]  # stored as NFC
    assert reports.load_report(tmp_path, decomposed).name == "Zgłoszenia według źródła"
    reports.save_report(tmp_path, _defn("Обращения 2025"))  # one script (Cyrillic): fine
    for bad, key in (("Rаport", "report_name_mixed_scripts"),  # Cyrillic а among Latin
                     ("Tematy ΚCK", "report_name_mixed_scripts"),  # Greek Kappa
                     ("Raport\u200b", "report_name_invalid"),  # zero-width space
                     ("Raport\u202eTXT", "report_name_invalid"),  # right-to-left override
                     ("Raport\x00", "report_name_invalid")):
        with pytest.raises(reports.ReportError) as info:
            reports.save_report(tmp_path, _defn(bad))
        assert info.value.key == key, bad
    assert reports.list_reports(tmp_path) == ["Zgłoszenia według źródła", "Обращения 2025"]


# ---------------------------------------------------------------- no live HTML (issue 12 § 4)
EVIL_NAME = '<a href="https://evil.invalid/">Sygnalizacja & <b>ITS</b></a>'


def _figure_texts(element) -> str:
    """Every string in a drawn figure's traces, one a line."""
    import json

    def leaves(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                yield from leaves(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from leaves(v)
        elif isinstance(obj, str):
            yield obj

    return "\n".join(leaves(json.loads(element.proto.spec)["data"]))


def test_source_text_never_renders_as_html_in_charts(wh, tmp_path, monkeypatch):
    """A project named <a href> became a clickable link in the Gantt: every chart's data
    text is escaped (plotly draws &lt; as <, never as a tag)."""
    evil = tmp_path / "evil.duckdb"
    shutil.copy(current_file(wh), evil)
    con = duckdb.connect(str(evil))
    first = con.execute("select min(project_id) from marts.smart_city_portfolio "
                        "where planned_start is not null and planned_end is not null"
                        ).fetchone()[0]
    con.execute("update marts.smart_city_portfolio set name = ? where project_id = ?",
                [EVIL_NAME, first])
    con.execute("update marts.unit_workload set unit_name_pl = ? "
                "where unit_code = (select min(unit_code) from marts.unit_workload)",
                ['<img src=x onerror="alert(1)">'])
    con.close()
    monkeypatch.setenv("CITYOPS_WAREHOUSE", str(evil))
    at = open_page("smart_city")
    gantt = [e for e in at.get("plotly_chart")]
    assert gantt, "the Gantt chart is drawn"
    text = " ".join(_figure_texts(e) for e in gantt)
    assert "&lt;a href=\"https://evil.invalid/\"&gt;Sygnalizacja &amp; &lt;b&gt;ITS&lt;/b&gt;" \
        "&lt;/a&gt;" in text
    assert "<a " not in text and "<b>" not in text
    for page in ("director", "incidents", "kck", "units", "publications", "builder"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        for element in at.get("plotly_chart"):
            text = _figure_texts(element)
            assert "<a " not in text and "<img" not in text and "<b>" not in text, page


def test_md_text_keeps_source_text_plain():
    from dashboards.components import md_text, plain_text

    assert md_text("[klik](https://evil.invalid) *x*") == \
        "\\[klik\\]\\(https\\://evil\\.invalid\\) \\*x\\*"
    assert plain_text(EVIL_NAME) == ('&lt;a href="https://evil.invalid/"&gt;Sygnalizacja '
                                     '&amp; &lt;b&gt;ITS&lt;/b&gt;&lt;/a&gt;')
    assert plain_text(12.5) == 12.5


def test_report_errors_reach_the_reader_in_the_page_s_language(tmp_path):
    """A saved definition naming a column the marts no longer have, or a report that is not
    there, is a catalogue message (no English text on the Polish page)."""
    schema = {"kck_call_topics": {"answered": "BIGINT", "topic_code": "VARCHAR"}}
    stale = reports.ReportDefinition(name="Stary", mart="kck_call_topics",
                                     measures=[("answered", "sum")], breakdowns=["gone_column"])
    with pytest.raises(reports.ReportError) as caught:
        reports.validate(stale, schema)
    assert caught.value.key == "report_unknown_column"
    assert t(caught.value.key, "pl", **caught.value.params) == (
        "Kolumny gone_column nie ma w tabeli kck_call_topics "
        "(raport zapisano dla starszej wersji danych?).")
    with pytest.raises(reports.ReportError) as caught:
        reports.load_report(tmp_path, "Nieistniejący")
    assert t(caught.value.key, "pl", **caught.value.params) == (
        "Nie ma zapisanego raportu „Nieistniejący”.")


# ---------------------------------------------------------------- report builder (issue 15)

PL_ALPHABET = "aąbcćdeęfghijklłmnńoóprsśtuvwxyzźż"


def polish_key(text: str) -> list[int]:
    """Polish dictionary order by hand (ą after a, ł after l, ż last), case-insensitive."""
    return [PL_ALPHABET.index(c) if c in PL_ALPHABET else 100 + ord(c) for c in text.lower()]


def builder_with(wh: Path, mart: str, measures: list[str], breakdowns: list[str]) -> AppTest:
    at = open_page("builder")
    at.selectbox(key="b_mart__pl").set_value(mart).run()
    at.multiselect(key="b_measures__pl").set_value(measures).run()
    at.multiselect(key="b_breakdowns__pl").set_value(breakdowns).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def add_filter(at: AppTest, fid: int, column: str, op: str) -> None:
    at.button(key="b_filter_add").click().run()
    at.selectbox(key=f"b_f{fid}_col__pl").set_value(column).run()
    at.selectbox(key=f"b_f{fid}_op__pl").set_value(op).run()
    assert not at.exception, [e.value for e in at.exception]


def shown_counts(at: AppTest, label: str, measure: str = "Liczba wierszy") -> dict[str, float]:
    table = at.dataframe[0].value
    return {k: parse_number(v) for k, v in zip(table[label], table[measure], strict=True)}


def test_builder_filters_give_the_rows_of_the_same_predicate_written_by_hand(wh):
    """kind in (…) + a month range of a timestamp + is empty, ANDed: DuckDB's rows for the
    predicate written out here; the empty district shows as 'brak'."""
    kind = rows(wh, "select kind from marts.submissions group by 1 order by count(*) desc")[0][0]
    at = builder_with(wh, "submissions", ["*"], ["district_name"])
    add_filter(at, 0, "kind", "in")
    pills = at.pills(key="b_f0_vals")
    assert kind in pills.options
    pills.set_value([kind]).run()
    add_filter(at, 1, "received_at", "between")
    at.selectbox(key="b_f1_from__pl").set_value("2025-03-01").run()
    at.selectbox(key="b_f1_to__pl").set_value("2025-08-01").run()
    add_filter(at, 2, "unit_replied_at", "is_empty")
    expected = {("brak" if d is None else d): n for d, n in rows(wh, """
        select district_name, count(*) from marts.submissions
        where kind = ? and received_at >= '2025-03-01' and received_at < '2025-09-01'
          and unit_replied_at is null group by 1""", [kind])}
    assert expected and sum(expected.values()) < rows(wh, "select count(*) from marts.submissions"
                                                      )[0][0]
    shown = shown_counts(at, "Dzielnica")
    assert shown == expected
    # Polish collation: Ł after L, Ż last; 'brak' (empty) after every name
    names = [n for n in shown if n != "brak"]
    assert names == sorted(names, key=polish_key)
    assert list(shown)[-1] == "brak" or "brak" not in shown


def test_a_builder_export_says_its_period_filters_and_source():
    """The "what it holds" block of a report's export: every filter as the page set it
    (words for codes, months as 10.2026, "brak" for the empty value), the period the
    relative filter resolved to, the mart; read back the way an analyst's Excel would."""
    from dashboards.report_view import report_about
    from warehouse.export import frame_to_csv_bytes

    columns = {"kind": "VARCHAR", "received_at": "TIMESTAMP", "unit_replied_at": "TIMESTAMP",
               "month_start": "DATE", "district_name": "VARCHAR"}
    defn = reports.ReportDefinition("r", "submissions", [("*", "count")], ["district_name"], [
        reports.Filter("kind", "in", ["problem", ""]),
        reports.Filter("month_start", "between", ["2025-03-01", "2025-08-01"]),
        reports.Filter("received_at", "period", ["last_quarter", reports.YEAR_AGO]),
        reports.Filter("unit_replied_at", "is_empty", [])])
    about = report_about(defn, columns, "Liczba wierszy wg Dzielnica", "07.2024–09.2024", "pl")
    data = frame_to_csv_bytes(pl.DataFrame({"district_name": ["Krowodrza"], "n": [3]}),
                              "excel-pl", "pl", about)
    block = dict(line.split(";", 1) for line in data.decode("utf-8-sig").splitlines()
                 if line.startswith("# "))
    assert block["# Okres"] == "07.2024–09.2024"
    assert block["# Źródło"] == "marts.submissions"
    assert block["# Filtry"].strip('"').split("; ") == [
        "Rodzaj: jest jedną z: problem, brak",
        "Miesiąc: od – do: 03.2025 – 08.2025",
        "Wpłynęło: okres względny: ostatni pełny kwartał, rok wcześniej (ten sam okres)",
        "Odpowiedź jednostki: jest pusta"]
    assert pl.read_csv(data, separator=";", comment_prefix="#").height == 1


def test_a_filter_offers_values_to_click_and_search_only_narrows(wh):
    """The values are pills (a click picks one); typing in the search box narrows the list
    and picks nothing — Streamlit's multiselect added the first row on Enter."""
    at = builder_with(wh, "submissions", ["*"], ["kind"])
    add_filter(at, 0, "district_name", "in")
    assert not at.multiselect.values or all(
        m.key in ("b_measures__pl", "b_breakdowns__pl") for m in at.multiselect)
    at.text_input(key="b_f0_search").set_value("prąd").run()
    pills = at.pills(key="b_f0_vals")
    assert pills.value == [] and pills.options and all("prąd" in o.lower()
                                                       for o in pills.options)
    total = rows(wh, "select count(*) from marts.submissions")[0][0]
    assert sum(shown_counts(at, "Rodzaj").values()) == total  # nothing picked: no filter


def test_relative_periods_are_taken_at_as_of():
    from datetime import date as d

    assert reports.period_range("last_month", d(2025, 12, 31)) == (d(2025, 12, 1),
                                                                    d(2025, 12, 31))
    assert reports.period_range("last_month", d(2025, 3, 10)) == (d(2025, 2, 1), d(2025, 2, 28))
    assert reports.period_range("last_month", d(2025, 3, 10), year_ago=True) == (
        d(2024, 2, 1), d(2024, 2, 29))
    assert reports.period_range("last_quarter", d(2025, 11, 15)) == (d(2025, 7, 1),
                                                                      d(2025, 9, 30))
    assert reports.period_range("last_quarter", d(2025, 1, 20)) == (d(2024, 10, 1),
                                                                     d(2024, 12, 31))
    assert reports.period_range("year_to_date", d(2025, 11, 15)) == (d(2025, 1, 1),
                                                                      d(2025, 11, 15))
    assert reports.period_range("year_to_date", d(2025, 11, 15), year_ago=True) == (
        d(2024, 1, 1), d(2024, 11, 15))
    assert reports.period_range("last_12_months", d(2025, 11, 15)) == (d(2024, 11, 1),
                                                                        d(2025, 10, 31))


def test_builder_last_quarter_and_a_quarter_breakdown(wh):
    """Last quarter at the build's as_of (the newest quarter complete then), and the
    months of kck_call_topics grouped by quarter: the sums DuckDB gives by hand."""
    as_of = rows(wh, "select as_of_date from marts.build_info")[0][0]
    quarters = [date(y, m, 1) for y in (as_of.year - 1, as_of.year) for m in (1, 4, 7, 10)]
    # the newest quarter whose day after its end is no later than the day after as_of
    first = max(q for q in quarters
                if date(q.year + (q.month + 2) // 12, (q.month + 2) % 12 + 1, 1)
                <= as_of + timedelta(days=1))
    last_month = date(first.year, first.month + 2, 1)
    at = builder_with(wh, "submissions", ["*"], ["kind"])
    add_filter(at, 0, "received_at", "period")
    at.selectbox(key="b_f0_period__pl").set_value("last_quarter").run()
    expected = {k: n for k, n in rows(wh, """
        select kind, count(*) from marts.submissions
        where received_at >= ? and received_at < ? + interval 1 month group by 1""",
        [first, last_month])}
    from dashboards.i18n import value_label

    assert shown_counts(at, "Rodzaj") == {value_label("kind", k, "pl"): n
                                          for k, n in expected.items()}
    at = builder_with(wh, "kck_call_topics", ["answered"], ["month_start"])
    at.selectbox(key="b_grain_month_start__pl").set_value("quarter").run()
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
    expected = {f"{roman[(m.month - 1) // 3 + 1]} kw. {m.year}": n for m, n in rows(wh, """
        select date_trunc('quarter', month_start), sum(answered) from marts.kck_call_topics
        group by 1""")}
    assert shown_counts(at, "Miesiąc", "suma: Odebrane") == expected


def test_builder_week_breakdown(wh):
    at = builder_with(wh, "submissions", ["*"], ["received_at"])
    at.selectbox(key="b_grain_received_at__pl").set_value("week").run()
    expected = {}
    for monday, n in rows(wh, "select date_trunc('week', received_at)::date, count(*) "
                              "from marts.submissions group by 1"):
        year, week, weekday = monday.isocalendar()
        assert weekday == 1
        expected[monday] = (f"tydz. {week} {year}", n)
    weeks = [expected[m] for m in sorted(expected)]
    assert caption_count(at)[0] == len(weeks)
    shown = shown_counts(at, column_label_pl("received_at"))  # the first page, in order
    assert list(shown.items()) == weeks[:len(shown)] and len(shown) == 50


def test_builder_top_n_with_other_adds_up_to_the_total(wh):
    at = builder_with(wh, "kck_call_topics", ["answered"], ["topic_name_pl"])
    at.number_input(key="b_top_n").set_value(3).run()
    assert not at.exception
    by_topic = rows(wh, "select topic_name_pl, sum(answered) from marts.kck_call_topics "
                        "group by 1 order by 2 desc")
    total = sum(n for _, n in by_topic)
    shown = shown_counts(at, column_label_pl("topic_name_pl"), "suma: Odebrane")
    assert set(shown) == {name for name, _ in by_topic[:3]} | {"pozostałe"}
    assert shown["pozostałe"] == total - sum(n for _, n in by_topic[:3])
    assert sum(shown.values()) == total
    assert list(shown)[-1] == "pozostałe"


def column_label_pl(column: str) -> str:
    from dashboards.i18n import column_label

    return column_label(column, "pl")


def test_builder_second_axis_only_for_a_second_unit(wh):
    at = builder_with(wh, "kck_queue_service", ["offered", "answered"], ["month_start"])
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert "yaxis2" not in layout
    at.multiselect(key="b_measures__pl").set_value(["offered", "aht_seconds"]).run()
    at.selectbox(key="b_agg_aht_seconds__pl").set_value("avg").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis2"]["overlaying"] == "y"
    assert {tr.get("yaxis", "y") for tr in spec["data"]} == {"y", "y2"}


def test_a_report_saved_in_the_old_shape_still_opens(wh):
    directory = Path(os.environ["CITYOPS_REPORTS_DIR"])
    topic = rows(wh, "select min(topic_code) from marts.kck_call_topics")[0][0]
    old = {"name": "Stary kształt", "mart": "kck_call_topics", "measures": [["answered", "sum"]],
           "breakdowns": ["topic_code"], "filters": {"topic_code": [topic]}, "chart": "bar"}
    reports.save_report(directory, reports.ReportDefinition.from_json(old))  # creates the file
    path = directory / reports.REPORTS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["Stary kształt"] = old  # exactly as release 0.x wrote it
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    at = open_page("builder")
    at.selectbox(key="b_open__pl").set_value("Stary kształt").run()
    assert not at.exception
    assert at.pills(key="b_f0_vals").value == [topic]
    expected = rows(wh, "select sum(answered) from marts.kck_call_topics where topic_code = ?",
                    [topic])[0][0]
    assert shown_counts(at, "Kod tematu", "suma: Odebrane") == {topic: expected}


def test_sql_box_says_when_it_cuts_and_exports_the_full_result(wh):
    n = rows(wh, "select count(*) * 10 from marts.incident_sla")[0][0]
    assert n > 10_000
    at = open_page("builder")
    at.text_area(key="b_sql").set_value(
        "select s.*, r.range as copy_no from marts.incident_sla s, range(10) r").run()
    at.button(key="b_sql_run").click().run()
    assert not at.exception
    assert at.warning[-1].value.startswith(f"Pokazano 10\u00a0000 z {fmt_number(n, 'pl')} "
                                           "wierszy")
    keys = [b.proto.id for b in at.get("download_button")]
    assert any("b_table_xlsx" in k for k in keys)  # the report's table above has them
    assert not any("b_sql_table" in k for k in keys), \
        "the cut result must not be offered as if it were the whole"
    at.button(key="b_sql_export_btn").click().run()
    assert not at.exception
    button = at.get("download_button")[-1]
    assert fmt_number(n, "pl") in button.label
    data = at.session_state["b_sql_export"][0]
    import polars as pl

    frame = pl.read_csv(data, separator=";", infer_schema_length=0, comment_prefix="#")
    # excel-pl: the headers the page shows ("Copy no"), not the SQL's own names
    assert frame.height == n and format_frame(pl.DataFrame({"copy_no": [0]})).columns[0] \
        in frame.columns and "copy_no" not in frame.columns
    # what it holds, before the rows: the query, the data's date, the rows written
    block = dict(line.split(";", 1) for line in data.decode("utf-8-sig").splitlines()
                 if line.startswith("# "))
    assert block["# Tabela"] == "Wynik zapytania SQL (pełny)"
    assert block["# Filtry"] == ("Zapytanie: select s.*, r.range as copy_no "
                                 "from marts.incident_sla s, range(10) r")
    assert block["# Wiersze"] == fmt_number(n, "pl")
    as_of = rows(wh, "select as_of_at from marts.build_info")[0][0]
    assert block["# Stan danych na"] == fmt_date(as_of, "pl") != ""


def test_sql_box_error_in_polish_with_duckdb_s_message_apart(wh):
    at = open_page("builder")
    at.text_area(key="b_sql").set_value("select nonsense from marts.incident_sla").run()
    at.button(key="b_sql_run").click().run()
    assert at.error[-1].value == t("sql_error", "pl")
    assert "Binder" not in at.error[-1].value and "nonsense" not in at.error[-1].value
    assert "nonsense" in at.code[-1].value
    assert any(c.value == t("sql_database_message", "pl") for c in at.caption)


def test_the_sql_box_lists_the_marts_with_dbt_descriptions(wh):
    import json as _json

    from dashboards.marts import manifest_path

    manifest = _json.loads(manifest_path(wh).read_text(encoding="utf-8"))
    node = next(n for n in manifest["nodes"].values()
                if n["resource_type"] == "model" and n["name"] == "director_kpis")
    at = open_page("builder")
    at.selectbox(key="b_sql_browse__pl").set_value("director_kpis").run()
    table = next(d.value for d in at.dataframe if "Opis (dbt)" in d.value.columns)
    described = dict(zip(table["Kolumna (SQL)"], table["Opis (dbt)"], strict=True))
    assert described["kpi_code"] == node["columns"]["kpi_code"]["description"] != ""
