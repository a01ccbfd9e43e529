"""Time from opening a page's address in a new tab of the real browser to its settled
content, for every dashboard page and for an empty Streamlit page served the same way.

Usage: python -m benchmarks.settle WAREHOUSE OUT.json [--repeats N]

Both apps run as ``cityops serve`` runs them (warehouse.serve.streamlit_command; the empty
one is benchmarks/empty_app.py in place of the app). For each page, N new tabs one after
another: the clock starts before ``goto`` and stops when the page's first chart (a table on
the report builder; the title on the empty page) is drawn and Streamlit's "running" status
widget is gone. "Moje raporty" is opened with one pinned report (answered calls by
topic, a chart and its table, saved in a temporary reports folder): with nothing pinned it
draws no chart, only how to pin. The first tab is the cold one (the server's query cache
empty for that page); the median of the others is the warm time a director clicking
around sees. Debian chromium (/usr/bin/chromium) driven by playwright, headless, no network
but the local one.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMPTY_APP = ROOT / "benchmarks" / "empty_app.py"
# the yardsticks, served as the empty page is: (name, app, what marks it drawn). The two
# one-chart pages show the floor a chart library puts under a page: Plotly (every
# dashboard chart) loads a 4.7 MB script into each new tab, Vega-Lite (Streamlit's own
# st.vega_lite_chart) 0.02 MB
YARDSTICKS = [
    ("empty_page", EMPTY_APP, "h1"),
    ("one_plotly_chart", ROOT / "benchmarks" / "one_chart_app.py", ".js-plotly-plot"),
    ("one_vega_lite_chart", ROOT / "benchmarks" / "one_chart_app.py",
     '[data-testid="stVegaLiteChart"] svg.marks, [data-testid="stVegaLiteChart"] canvas'),
]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-gpu"]
RUNNING = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
CHART = ".js-plotly-plot"
TABLE = '[data-testid="stDataFrame"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(warehouse: Path, app: Path | None, log: Path, extra_env: dict | None = None):
    """The dashboards (or ``app`` in their place) on a free local port, until the block ends
    (the browser test serves them this way too)."""
    from warehouse.serve import APP, streamlit_command

    port = _free_port()
    cmd, env = streamlit_command(warehouse, "127.0.0.1", port)
    env.update(extra_env or {})
    if app is not None:
        cmd = [str(app) if c == str(APP) else c for c in cmd]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def settle_seconds(context, url: str, content: str) -> float:
    """One new tab: seconds from opening ``url`` to ``content`` drawn and the script done."""
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(content).first.wait_for(state="visible", timeout=120_000)
        page.wait_for_function(RUNNING, timeout=120_000)
        return time.perf_counter() - t0
    finally:
        page.close()


def timings(context, url: str, content: str, repeats: int) -> dict:
    runs = [settle_seconds(context, url, content) for _ in range(repeats)]
    return {"cold_s": runs[0], "warm_s": statistics.median(runs[1:] or runs), "runs_s": runs}


PINNED = "Odebrane połączenia według tematu"


def pinned_report(directory: Path) -> str:
    """One saved report for "Moje raporty" to show; the query string that pins it."""
    from dashboards import links, reports

    reports.save_report(directory, reports.ReportDefinition(
        name=PINNED, mart="kck_call_topics", measures=[("answered", "sum")],
        breakdowns=["topic_code"]))
    return "?" + urllib.parse.urlencode({links.PIN_PARAM: PINNED})


def measure(warehouse: Path, repeats: int, log: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from dashboards.navigation import PAGES

    results: dict = {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as reports_dir:
        pin = pinned_report(Path(reports_dir))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      locale="pl-PL")
        try:
            for name, app, content in YARDSTICKS:
                with served(warehouse, app, log) as url:
                    address = url if name == "empty_page" else f"{url}/?chart={name}"
                    results[name] = timings(context, address, content, repeats)
                print(f"  {name:<28} cold {results[name]['cold_s']:5.2f} s   "
                      f"warm {results[name]['warm_s']:5.2f} s", flush=True)
            with served(warehouse, None, log, {"CITYOPS_REPORTS_DIR": reports_dir}) as url:
                for i, page in enumerate(PAGES):
                    content = TABLE if page.name == "builder" else CHART
                    address = f"{url}/{'' if i == 0 else page.url_path}"
                    if page.name == "my_reports":
                        address += pin
                    results[page.name] = timings(context, address, content, repeats)
                    print(f"  {page.name:<28} cold {results[page.name]['cold_s']:5.2f} s   "
                          f"warm {results[page.name]['warm_s']:5.2f} s", flush=True)
        finally:
            context.close()
            browser.close()
    return results


def pages_of(results: dict) -> dict:
    """The dashboard pages of :func:`measure`'s results, without the yardsticks."""
    return {k: v for k, v in results.items() if k not in {y[0] for y in YARDSTICKS}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--repeats", type=int, default=4, help="new tabs per page (first = cold)")
    args = ap.parse_args()
    log = args.out.with_suffix(".log")
    log.write_text("")
    results = measure(args.warehouse.absolute(), args.repeats, log)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
