"""One real-browser pass over the dashboards: Debian chromium driven by playwright.

Starts `streamlit run dashboards/app.py` (the command `cityops serve` executes) on a free
port against the fixture warehouse, opens every page, waits for it to render, checks there
is no error on it, clicks one download and reads the file, and saves tall screenshots to
tests/artifacts/ (and docs/screenshots/ for the README when CITYOPS_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboards import navigation
from dashboards.i18n import column_label, t

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "tests" / "artifacts"
# (url path, title key, screenshot name); the default page is served at /
PAGES = [("" if i == 0 else page.url_path, page.title_key, page.screenshot)
         for i, page in enumerate(navigation.PAGES)]
BUILDER = next(p.url_path for p in navigation.PAGES if p.name == "builder")
# pages that draw no chart until the reader asks for one (the personal page starts empty)
WITHOUT_CHARTS = {p.url_path for p in navigation.PAGES if p.queries == navigation.EVERY_MART}
# a Polish browser (--lang=pl-PL: the language the browser asks for), as a city's PCs are
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-gpu", "--lang=pl-PL"]
# Streamlit's own texts, which its public interface cannot set (the browser draws them in
# English whatever the page's language), seen on these pages; the widgets whose built-in
# text misled (the multiselect's fuzzy "Select all" / "Press Enter") are replaced by pills
# with a search box of the app's own. Each entry is checked: a text no page shows any more
# is taken off the list.
STREAMLIT_TEXTS = {
    "Skip to main content",  # the keyboard users' link to the page's content, visually hidden
}
# the language switch names each language in itself
LANGUAGE_NAMES = {"Polski", "English"}


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def app_url(built_warehouse, reports_dir, tmp_path_factory):
    from benchmarks.settle import served

    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with served(built_warehouse, None, log, {"CITYOPS_REPORTS_DIR": str(reports_dir)}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


def _wait_rendered(page, title: str) -> None:
    page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
    # the script has finished when the status widget ("Running…") is gone
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.wait_for_timeout(800)  # plotly draws after the script ends


def _screenshot(page, name: str) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside stMain, so grow the viewport)."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"]')].map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 7000)})
    page.wait_for_timeout(1500)  # tables and buttons below the old fold render lazily
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton]')", timeout=15_000)
    png = page.screenshot()
    try:  # a palette PNG is a third of the size: small enough to commit
        from PIL import Image

        buf = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128).save(
            buf, format="PNG", optimize=True)
        png = buf.getvalue()
    except ImportError:  # pragma: no cover
        pass
    # docs/screenshots (shown in the README) only on request, so a test run leaves the tree clean
    folders = (ARTIFACTS, SCREENSHOTS) if os.environ.get("CITYOPS_UPDATE_SCREENSHOTS") else (
        ARTIFACTS,)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(png)
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.long  # the browser tests: the long tier (make test-all)
def test_every_page_renders_and_downloads(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                            locale="pl-PL")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for url_path, title_key, shot in PAGES:
        page.goto(f"{app_url}/{url_path}")
        _wait_rendered(page, t(title_key, "pl"))
        content = page.content()
        assert "Traceback" not in content, url_path
        assert page.locator('[data-testid="stException"]').count() == 0, url_path
        if url_path not in WITHOUT_CHARTS:
            page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # a chart is drawn
        # no developer chrome for readers; opened by its address, a page still has the app's
        # Polish navigation (not Streamlit's list of file names) and language switch
        assert page.get_by_text("Deploy", exact=True).count() == 0
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert all(t(p.title_key, "pl") in nav for p in navigation.PAGES), (url_path, nav)
        expect(page.get_by_text("English", exact=True)).to_have_count(1, timeout=10_000)
        _screenshot(page, shot)

        if url_path == "":
            with page.expect_download(timeout=30_000) as info:
                page.get_by_role("button", name=t("download_csv_pl", "pl")).first.click()
            target = tmp_path / info.value.suggested_filename
            info.value.save_as(target)
            data = target.read_bytes()
            assert data.startswith(b"\xef\xbb\xbf"), "excel-pl CSV must start with a BOM"
            lines = data[3:].decode().split("\r\n")
            # what it holds first (a "#" block), then the headers the page shows
            assert lines[0].startswith("# ") and f"# {t('data_as_of', 'pl')};" in \
                "\n".join(lines), lines[:8]
            header = next(line for line in lines if not line.startswith("#"))
            assert header.split(";")[:2] == [column_label("unit_code", "pl"),
                                             column_label("unit_name_pl", "pl")] or \
                header.startswith(column_label("kpi_name", "pl") + ";"), header
            assert ARTIFACTS.exists()
            shutil.copy(target, ARTIFACTS / target.name)
    # a page file's name is no address: the app's first page, never the file run on its own
    page.goto(f"{app_url}/incidents")
    _wait_rendered(page, t("page_director", "pl"))
    assert page.get_by_role("heading", name=t("page_incidents", "pl")).count() == 0
    # English switch changes the page title
    page.goto(f"{app_url}/")
    _wait_rendered(page, t("page_director", "pl"))
    page.get_by_text("English", exact=True).click()
    _wait_rendered(page, t("page_director", "en"))
    _screenshot(page, "08_director_overview_en")
    assert not errors, errors
    assert os.path.getsize(ARTIFACTS / "01_przeglad_dyrekcji.png") > 10_000


@pytest.mark.long  # the browser tests: the long tier (make test-all)
def test_a_shared_link_opens_the_same_report_in_english(app_url, browser, built_warehouse,
                                                        reports_dir):
    """A link with ``lang=en``, opened in a fresh page (no session, Polish browser): the
    builder in English with the report open, its title and a value of its table."""
    from helpers import query

    from dashboards import reports
    from dashboards.formats import fmt_number
    from dashboards.marts import mart_label

    topic, answered = query(built_warehouse, "select topic_code, sum(answered) from "
                            "marts.kck_call_topics group by 1 order by 2 desc limit 1")[0]
    defn = reports.ReportDefinition(name="Najczęstszy temat KCK", mart="kck_call_topics",
                                    measures=[("answered", "sum")], breakdowns=["topic_code"],
                                    filters=[reports.Filter("topic_code", "in", [topic])])
    reports.save_report(reports_dir, defn)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="pl-PL")
    page.goto(f"{app_url}/{BUILDER}?report=Najcz%C4%99stszy+temat+KCK&lang=en")
    _wait_rendered(page, t("page_builder", "en"))
    opened = page.get_by_role("combobox", name=t("builder_open", "en"))
    assert opened.input_value() == "Najczęstszy temat KCK"
    title = t("builder_title", "en", measures=f"{t('agg_sum', 'en')}: "
              f"{column_label('answered', 'en')}", breakdowns=column_label("topic_code", "en"),
              mart=mart_label("kck_call_topics", "en"))
    page.get_by_text(title, exact=True).first.wait_for(timeout=10_000)  # the table's title
    grid = page.locator('[data-testid="stDataFrame"]').first  # the report's table
    grid.scroll_into_view_if_needed()  # a table below the fold is drawn when scrolled to
    grid.locator('[role="gridcell"]').first.wait_for(state="attached", timeout=15_000)
    cells = grid.locator('[role="gridcell"]').all_text_contents()  # its accessible copy
    assert [topic, fmt_number(answered, "en")] == cells[:2], cells[:4]
    # the switch, in the sidebar, says the language (retried: the sidebar is redrawn as the
    # report opens; seen on CI counted mid-redraw)
    expect(page.get_by_text("English", exact=True)).to_have_count(1, timeout=10_000)
    assert "lang=en" in page.url and "report=" in page.url  # the address keeps both
    link = page.locator('[data-testid="stCode"]').first.inner_text()
    assert link.strip() == f"{app_url}/{BUILDER}?report=Najcz%C4%99stszy+temat+KCK&lang=en"
    _screenshot(page, "10_shared_report_en")
    page.close()


@pytest.mark.long  # the browser tests: the long tier (make test-all)
def test_no_request_leaves_the_machine(app_url, browser):
    """Every page, in both languages, opened in a fresh tab: each request the browser makes
    (documents, scripts, fonts, icons, the favicon, websockets) goes to the app's own server.
    Streamlit's usage statistics are off (warehouse/serve.py, .streamlit/config.toml) and the
    favicon is a local file (a Material icon as page_icon was fetched from fonts.gstatic.com)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="pl-PL")
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.on("websocket", lambda ws: requests.append(ws.url))
    try:
        for url_path, title_key, _ in PAGES:
            page = context.new_page()
            page.goto(f"{app_url}/{url_path}")
            _wait_rendered(page, t(title_key, "pl"))
            page.get_by_text("English", exact=True).click()  # the same page in English
            _wait_rendered(page, t(title_key, "en"))
            page.wait_for_timeout(1500)  # late fetches: fonts, icons, telemetry
            page.close()
    finally:
        context.close()
    local = app_url.replace("http://", "")
    assert len(requests) > 30, requests  # the recording works: the pages' own requests
    away = sorted({u for u in requests if not re.match(rf"(https?|wss?)://{re.escape(local)}/",
                                                       u) and not u.startswith(("data:",
                                                                                "blob:"))})
    assert away == [], away


# the page's text as a reader (or a screen reader) gets it: the sidebar and the page, hidden
# parts too (collapsed expanders, chart texts), without Material icons' ligature names
# ("call", "download": a font draws them as pictures) and without styles or scripts
PAGE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[data-testid="stIconMaterial"], style, script, noscript')
      .forEach(e => e.remove());
  body.querySelectorAll('*').forEach(e => e.append(' '));
  return body.textContent;
}"""


@pytest.mark.long  # the browser tests: the long tier (make test-all)
def test_no_text_in_the_wrong_language_in_the_browser(app_url, browser, built_warehouse):
    """The browser half of the language check (tests/test_pages.py has the AppTest half):
    every page in a Polish browser, in Polish and in English (``?lang=en``), has none of the
    other catalogue's own words, except Streamlit's built-in texts (STREAMLIT_TEXTS), the
    language switch, and source data that has no name in the page's language: proper names
    (Smart City projects and their strategy areas, service cards, Kraków's districts), the
    KCK topics' codes beside their names, and on the builder the dbt docs of the marts,
    which are English (the page says so)."""
    from helpers import query
    from test_pages import LOANWORDS, catalogue_words, words

    from dashboards.marts import manifest_path, marts_docs

    pl_words, en_words = catalogue_words("pl"), catalogue_words("en")
    foreign = {"en": pl_words - en_words - LOANWORDS["en"],
               "pl": en_words - pl_words - LOANWORDS["pl"]}
    data = {v for (v,) in query(built_warehouse, """
        select name from marts.smart_city_portfolio
        union select strategy_area from marts.smart_city_portfolio
        union select title_pl from marts.service_card_freshness
        union select district_name from marts.submissions where district_name is not null
        union select topic_code from marts.topics""")}
    docs = " ".join(f"{text} {' '.join(columns.values())}" for text, columns in
                    marts_docs(str(manifest_path(built_warehouse))).values())
    assert len(words(docs)) > 200
    sql = {"select * from marts.director_kpis limit 20"}  # the SQL box's example: SQL
    allowed = STREAMLIT_TEXTS | LANGUAGE_NAMES | data | sql
    seen_builtin: set[str] = set()
    found: dict[str, list[str]] = {}
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="pl-PL")
    for lang in ("pl", "en"):
        for i, p in enumerate(navigation.PAGES):
            page.goto(f"{app_url}/{'' if i == 0 else p.url_path}?lang={lang}")
            _wait_rendered(page, t(p.title_key, lang))
            text = page.evaluate(PAGE_TEXT)
            seen_builtin |= {s for s in STREAMLIT_TEXTS if s in text}
            for s in sorted(allowed, key=len, reverse=True):
                text = text.replace(s, " ")
            shown = words(text) - (words(docs) if p.name == "builder" else set())
            if bad := sorted(shown & foreign[lang]):
                found[f"{p.name}/{lang}"] = bad
    page.close()
    assert found == {}, found
    assert seen_builtin == STREAMLIT_TEXTS  # the list holds only what the pages still show
    # planted: a Streamlit text not on the list, a Polish caption on an English page
    assert words("Select all") & foreign["pl"] and words("Zgłoszenia IT otwarte") & foreign["en"]
