"""The monthly director pack: ``cityops report monthly --month 2026-10 --out pack.pdf``.

One HTML document, self-contained (plotly.js inlined, no font or script fetched: an
intranet is often offline), printed to PDF by Debian's chromium (``--print-to-pdf``; the
charts stay vector). It holds a cover with the city score and the month's alerts, every
director KPI with its target, verdict (shape and words, never colour alone), change against
the previous month and the same month a year before and its 13-month trend, the priorities
with targets of their own, the drill-down by unit, one brief section per owner unit
(IT-02-3, KCK DK-02, DK-03, publications, service cards, Smart City), and an annex of the
definitions, listing those changed since the previous pack. Every figure comes from the
marts through the dashboards' own queries (``dashboards.queries.director``) and is
formatted by the same Babel helpers, so the pack and the overview never disagree.

Mailing (``--mail-to``) reads the SMTP settings from ``cityops.toml`` beside the warehouse
(``[mail]``); scheduling (``--month previous --if-first-working-day``) is decided on the
Polish working calendar, which cron cannot know.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

from dashboards.formats import fmt_change, fmt_date, fmt_month, fmt_number, fmt_period, fmt_value
from dashboards.i18n import column_label, localized, t, tn, value_label
from dashboards.queries import director
from dashboards.queries.common import data_as_of, kpi_definitions, read
from dashboards.verdicts import (
    BAD,
    GOOD,
    NEUTRAL,
    VERDICTS,
    WARN,
    alert_mark,
    alert_text,
    data_notices,
    judged_value,
)

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM = os.environ.get("CITYOPS_CHROMIUM", "/usr/bin/chromium")
CONFIG_NAME = "cityops.toml"
TREND_MONTHS = 13
COLOURS = {"green": GOOD, "orange": WARN, "red": BAD}  # the verdicts' colour names


class PackError(Exception):
    """The pack cannot be made or sent; the message says why and what to do."""


# ---------------------------------------------------------------- what goes in


@dataclass
class Pack:
    month: date
    lang: str
    as_of: datetime | None
    score: dict | None
    alerts: pl.DataFrame
    kpis: pl.DataFrame
    ytd: pl.DataFrame  # the KPIs over the year to date and the same months a year before
    ytd_first: date
    priorities: pl.DataFrame
    trends: pl.DataFrame
    units: pl.DataFrame
    definitions: pl.DataFrame
    changed: pl.DataFrame
    sections: list[tuple[str, str]]  # (owner unit code, its name)
    notices: list[str]  # a failed last update, sources that stopped delivering


def collect(con: duckdb.DuckDBPyConnection, month: date, lang: str,
            last: dict | None = None) -> Pack:
    """Everything the pack shows for ``month``, read from the marts (``last``: how the
    latest update ended, :func:`warehouse.store.last_update`)."""
    months = director.kpi_months(con)
    if month not in months:
        shown = ", ".join(fmt_month(m, lang) for m in months[-3:]) or "—"
        raise PackError(t("pack_no_month", lang, month=fmt_month(month, lang), months=shown))
    first = months[max(0, months.index(month) - (TREND_MONTHS - 1))]
    scores = director.city_score(con, month).filter(pl.col("month_start") == month)
    kpis = director.kpi_tiles(con, month).join(
        read(con, "select kpi_code, owner_unit, display_order from marts.kpis"),
        on="kpi_code", how="left")
    trends = read(con, """
        select kpi_code, month_start, value, target from marts.director_kpis
        where month_start between ? and ? order by kpi_code, month_start""", [first, month])
    units = director.kpi_by_unit(con, month)
    ytd_first, _ = director.year_to_date(months, month)
    ytd = director.kpi_period(con, ytd_first, month)
    definitions = kpi_definitions(con)
    previous_pack = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    changed = definitions.filter(
        (pl.col("valid_from") > previous_pack) & (pl.col("valid_from") <= last_day))
    names = dict(con.execute("select unit_code, name_pl from marts.organisation_units"
                             ).fetchall())
    owners = list(dict.fromkeys(kpis.sort("display_order")["owner_unit"].to_list()))
    as_of = data_as_of(con)
    notices = data_notices(last, director.source_freshness(con).to_dicts(), as_of, lang)
    return Pack(month, lang, as_of, scores.row(0, named=True) if scores.height
                else None, director.alerts(con, month), kpis, ytd, ytd_first,
                director.kpi_priorities(
                    con, month), trends, units, definitions, changed,
                [(o, names.get(o, o)) for o in owners], notices)


# ---------------------------------------------------------------- how it reads


def _verdict(status: str | None, lang: str) -> dict | None:
    if status is None:
        return None
    colour, shape, key = VERDICTS[status]
    return {"colour": COLOURS[colour], "shape": shape, "text": t(key, lang)}


def _trend_chart(trend: pl.DataFrame, name: str, unit: str, lang: str) -> str:
    fig = go.Figure()
    fig.add_scatter(x=trend["month_start"], y=trend["value"], mode="lines+markers", name=name,
                    line={"color": NEUTRAL, "width": 2})
    if trend["target"].drop_nulls().len():
        fig.add_scatter(x=trend["month_start"], y=trend["target"], mode="lines",
                        name=t("target", lang), line={"color": GOOD, "dash": "dash"})
    return chart_html(fig, lang, unit)


def chart_html(fig: go.Figure, lang: str, unit: str) -> str:
    """A monthly line chart for print: small, static, months on the x axis in the
    language's form, the unit on the y axis; its HTML without plotly.js (the document
    inlines that once)."""
    fig.update_layout(height=190, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                      showlegend=False, template="plotly_white",
                      separators=",\u00a0" if lang == "pl" else ".,",
                      font={"family": "DejaVu Sans, sans-serif", "size": 10})
    fig.update_xaxes(tickformat="%m.%Y" if lang == "pl" else "%Y-%m", dtick="M2")
    fig.update_yaxes(ticksuffix=" %" if unit == "%" else "")
    return fig.to_html(full_html=False, include_plotlyjs=False,
                       config={"staticPlot": True, "displayModeBar": False})


def template_env(lang: str) -> Environment:
    """The Jinja environment of the printed documents, ``t(key)`` in ``lang``."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    env.globals["t"] = lambda key, **kw: t(key, lang, **kw)
    env.globals["column"] = lambda name: column_label(name, lang)  # a table's header
    return env


def _kpi_rows(pack: Pack) -> list[dict]:
    lang, out = pack.lang, []
    for k in pack.kpis.sort("display_order").iter_rows(named=True):
        name = k[f"kpi_name_{lang}"]
        unit = k["unit"]
        parts = pack.priorities.filter(pl.col("kpi_code") == k["kpi_code"])
        out.append({
            "code": k["kpi_code"], "name": name, "owner": k["owner_unit"],
            "value": judged_value(k["value"], k["target"], unit, lang),
            "target": fmt_value(k["target"], unit, lang),
            "verdict": _verdict(k["target_status"], lang),
            "change": fmt_change(k["change"], unit, lang) or "—",
            "year_ago": fmt_value(k["year_ago_value"], unit, lang),
            "definition": k[f"definition_{lang}"],
            "priorities": [{"name": f"P{p['priority']}",
                            "value": judged_value(p["value"], p["target"], unit, lang),
                            "target": fmt_value(p["target"], unit, lang),
                            "verdict": _verdict(p["target_status"], lang)}
                           for p in parts.iter_rows(named=True)],
            "chart": _trend_chart(pack.trends.filter(pl.col("kpi_code") == k["kpi_code"]),
                                  name, unit, lang),
            "units": [{"name": localized(u, "unit_name", lang),
                       "value": fmt_value(u["value"], unit, lang),
                       "n": fmt_number(u["denominator"] if u["denominator"] is not None
                                       else u["numerator"], lang, 0)}
                      for u in pack.units.filter(pl.col("kpi_code") == k["kpi_code"])
                      .head(8).iter_rows(named=True)],
        })
    return out


def _ytd_rows(pack: Pack) -> list[dict]:
    """The year to date of each KPI beside the same months a year before (as the overview's
    period table has them: queries.director.kpi_period)."""
    lang = pack.lang
    return [{"name": k[f"kpi_name_{lang}"], "value": fmt_value(k["value"], k["unit"], lang),
             "target": fmt_value(k["target"], k["unit"], lang),
             "year_ago": fmt_value(k["year_ago_value"], k["unit"], lang),
             "change": fmt_change(k["change_year_ago"], k["unit"], lang) or "—"}
            for k in pack.ytd.iter_rows(named=True)]


def _alert_lines(pack: Pack) -> list[dict]:
    out = []
    for a in pack.alerts.iter_rows(named=True):
        colour, shape = alert_mark(a["alert_kind"])
        out.append({"text": alert_text(a, pack.lang), "shape": shape,
                    "colour": COLOURS[colour]})
    return out


def render_html(pack: Pack) -> str:
    """The pack as one self-contained HTML document."""
    lang = pack.lang
    env = template_env(lang)
    score = pack.score
    definitions = [{
        "name": d[f"kpi_name_{lang}"], "definition": d[f"definition_{lang}"],
        "formula": d["formula_sql"], "period": value_label("period_basis", d["period_basis"], lang),
        "source": d["source_mart"], "owner": d["owner_unit"],
        "target": fmt_value(d["target"], d["unit"], lang),
        "warning": fmt_value(d["warning"], d["unit"], lang),
        "origin": d[f"target_origin_{lang}"] or "—", "set_by": d[f"target_set_by_{lang}"] or "—",
        "assumption": bool(d["target_is_assumption"]),
        "valid_from": fmt_date(d["valid_from"], lang), "change_note": d["change_note"] or "",
    } for d in pack.definitions.iter_rows(named=True)]
    changed = set(pack.changed["kpi_code"].to_list())
    for d, code in zip(definitions, pack.definitions["kpi_code"], strict=True):
        d["changed"] = code in changed
    return env.get_template("monthly.html.j2").render(
        lang=lang, month=fmt_month(pack.month, lang),
        as_of=fmt_date(pack.as_of, lang) if pack.as_of else "—",
        score=None if score is None else {
            "value": fmt_number(score["city_score"], lang, 2),
            "previous": fmt_number(score["previous_city_score"], lang, 2)
            if score["previous_city_score"] is not None else "—",
            "scored": tn("city_score_kpis", score["kpis_scored"], lang,
                         n=score["kpis_scored"], below=score["kpis_below_target"])},
        alerts=_alert_lines(pack), kpis=_kpi_rows(pack), sections=pack.sections,
        ytd=_ytd_rows(pack), ytd_period=fmt_period(pack.ytd_first, pack.month, lang),
        notices=pack.notices,
        definitions=definitions, changed=len(changed), plotlyjs=get_plotlyjs())


# ---------------------------------------------------------------- out: files and mail


def print_pdf(html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` with Debian's chromium (headless, no network, no profile
    left behind)."""
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        raise PackError(f"{CHROMIUM} not found: the PDF is printed by Debian's chromium "
                        "(apt-get install chromium), or write --out pack.html")
    with tempfile.TemporaryDirectory(prefix="cityops-pdf-") as profile:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
             "--virtual-time-budget=20000", f"--print-to-pdf={pdf}", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=180)
    if result.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise PackError(f"chromium could not print {html} to {pdf}: "
                        f"{(result.stderr or '').strip()[-500:]}")


def write_pack(con: duckdb.DuckDBPyConnection, month: date, lang: str, out: Path,
               last: dict | None = None) -> Path:
    """Write the pack for ``month`` to ``out`` (.html or .pdf)."""
    return write_document(render_html(collect(con, month, lang, last)), out)


def write_document(html: str, out: Path) -> Path:
    """Write a printed document to ``out``: the HTML itself, or (.pdf) printed by
    chromium."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".html":
        out.write_text(html, encoding="utf-8")
        return out
    if out.suffix.lower() != ".pdf":
        raise PackError(f"{out}: write it as .pdf or .html")
    with tempfile.TemporaryDirectory(prefix="cityops-pack-") as work:
        page = Path(work) / "document.html"
        page.write_text(html, encoding="utf-8")
        print_pdf(page, out)
    return out


def mail_settings(warehouse: Path) -> dict:
    """The ``[mail]`` table of ``cityops.toml`` beside the warehouse (host, port, sender;
    optional starttls, user and password_env — the password itself stays in the
    environment, never in the file)."""
    path = Path(warehouse).absolute().parent / CONFIG_NAME
    if not path.exists():
        raise PackError(f"{path} not found: --mail-to needs its [mail] table "
                        "(host, port, sender), see README")
    with open(path, "rb") as f:
        config = tomllib.load(f).get("mail")
    missing = [k for k in ("host", "port", "sender") if not (config or {}).get(k)]
    if missing:
        raise PackError(f"{path}: [mail] lacks {', '.join(missing)}")
    return config


def send_pack(pack: Path, to: list[str], month: date, lang: str, settings: dict) -> None:
    """Send the pack as an attachment to ``to`` through the SMTP server of ``settings``."""
    msg = EmailMessage()
    msg["Subject"] = t("pack_mail_subject", lang, month=fmt_month(month, lang))
    msg["From"] = settings["sender"]
    msg["To"] = ", ".join(to)
    msg.set_content(t("pack_mail_body", lang, month=fmt_month(month, lang)))
    subtype = "pdf" if pack.suffix.lower() == ".pdf" else "html"
    msg.add_attachment(pack.read_bytes(), maintype="application" if subtype == "pdf" else "text",
                       subtype=subtype, filename=pack.name)
    with smtplib.SMTP(settings["host"], int(settings["port"]), timeout=30) as smtp:
        if settings.get("starttls"):
            smtp.starttls()
        if settings.get("user"):
            smtp.login(settings["user"], os.environ.get(settings.get("password_env", ""), ""))
        smtp.send_message(msg)


# ---------------------------------------------------------------- when


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def is_first_working_day(day: date) -> bool:
    """Whether ``day`` is the first working day of its month on the Polish calendar
    (Monday to Friday, not a public holiday)."""
    import holidays

    off = holidays.country_holidays("PL", years=day.year)
    first = day.replace(day=1)
    while first.weekday() >= 5 or first in off:
        first += timedelta(days=1)
    return day == first
