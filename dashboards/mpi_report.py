"""The yearly MPI report: ``cityops report mpi-annual --year 2026 --out report.pdf``.

Ordinance 1447/2019 § 7: the Director of the Social Communication Department (KS) submits
a report on the Magiczny Kraków platform (MPI) to the Deputy Mayor every year by 31
December, and the MPI editorial office publishes it. This module drafts it from the marts:
the publications of every portal (MPI, KPUM, BIP) by portal, area, unit and month, the
share published without delay (within one working day of approval, the director KPI
``publications_within_1wd_pct``) and its trend against the previous report's period, the
slowest units, and the stale service cards month by month.

**The period** is 1 December of the year before to 30 November of the report's year:
twelve whole months, so every report follows on from the last with nothing counted twice
or left out, and December leaves the time to draft, accept and publish it before the
31 December deadline (a calendar year could only be reported after it ends, past the
deadline). When the data ends earlier (``marts.build_info.as_of_at`` before 30 November),
the report covers the months up to the data's date and says on its cover that it is a
draft of a part of the period.

The monthly shares are the director KPIs' own values (``marts.director_kpis``), so the
report, the overview and the monthly pack never disagree; the breakdowns are counted from
``marts.publications`` by month of publication, as the KPI counts. One HTML document,
printed to PDF by Debian's chromium like the monthly pack (:mod:`dashboards.pack`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from dashboards.formats import fmt_date, fmt_month, fmt_number, fmt_percent
from dashboards.i18n import t
from dashboards.pack import GOOD, NEUTRAL, PackError, chart_html, template_env, write_document
from dashboards.queries.common import data_as_of, read

PUBLICATIONS_KPI = "publications_within_1wd_pct"
CARDS_KPI = "stale_service_cards_pct"
SLOWEST_UNITS = 10  # units listed as the slowest
SLOWEST_MIN_PUBLICATIONS = 20  # a unit with fewer publications in the period is not ranked


def period(year: int) -> tuple[date, date]:
    """The first and last month (their first days) of the report for ``year``: December of
    the year before to November of the year."""
    return date(year - 1, 12, 1), date(year, 11, 1)


@dataclass
class Report:
    year: int
    lang: str
    first: date  # the first month covered
    last: date  # the last month covered (its first day)
    as_of: datetime | None
    partial: bool  # the data ends before the period does
    months: pl.DataFrame  # month_start, published, within, share, target, stale_pct
    portals: pl.DataFrame  # portal, published, within, previous_published, previous_within
    areas: pl.DataFrame  # portal, area_code, name, published, within
    units: pl.DataFrame  # unit_code, name, published, within, median_days
    cards: pl.DataFrame  # unit_code, name, cards, stale (at the data's date)


def _share(within: int | float | None, published: int | float | None) -> float | None:
    return None if not published else 100.0 * float(within or 0) / float(published)


def collect(con: duckdb.DuckDBPyConnection, year: int, lang: str) -> Report:
    """Everything the report shows, read from the marts."""
    first, last = period(year)
    as_of = data_as_of(con)
    held = con.execute("select min(month_start), max(month_start) from marts.director_kpis "
                       "where kpi_code = ?", [PUBLICATIONS_KPI]).fetchall()[0]
    if as_of is None or held[0] is None or held[1] < first or held[0] > last:
        raise PackError(t("mpi_no_data", lang, year=year,
                          period=f"{fmt_month(first, lang)}–{fmt_month(last, lang)}",
                          held=f"{fmt_month(held[0], lang)}–{fmt_month(held[1], lang)}"
                          if held[0] else "—"))
    partial = as_of.date() < date(year, 11, 30)
    last = min(last, as_of.date().replace(day=1))
    months = read(con, """
        select v.month_start, cast(v.denominator as bigint) as published,
               cast(v.numerator as bigint) as within, k.value as share, k.target,
               c.value as stale_pct
        from marts.kpi_values as v
        join marts.director_kpis as k
            on k.month_start = v.month_start and k.kpi_code = v.kpi_code
        left join marts.director_kpis as c
            on c.month_start = v.month_start and c.kpi_code = ?
        where v.kpi_code = ? and v.breakdown = 'all' and v.month_start between ? and ?
        order by v.month_start""", [CARDS_KPI, PUBLICATIONS_KPI, first, last])
    # the same twelve months a year before, for the trend
    previous = (first.replace(year=first.year - 1), last.replace(year=last.year - 1))
    portals = read(con, """
        select portal,
               count(*) filter (where published_month between ? and ?) as published,
               count(*) filter (where published_month between ? and ?
                                and is_published_within_1_working_day) as within,
               count(*) filter (where published_month between ? and ?) as previous_published,
               count(*) filter (where published_month between ? and ?
                                and is_published_within_1_working_day) as previous_within
        from marts.publications where is_published
        group by portal order by published desc, portal""",
                   [first, last, first, last, *previous, *previous])
    name = f"name_{lang}"
    areas = read(con, f"""
        select p.portal, p.portal_area as area_code,
               coalesce(a.{name}, p.portal_area) as name, count(*) as published,
               count(*) filter (where p.is_published_within_1_working_day) as within
        from marts.publications as p
        left join reference.portal_areas as a on a.area_code = p.portal_area
        where p.is_published and p.published_month between ? and ?
        group by all order by p.portal, published desc, area_code""", [first, last])
    units = read(con, f"""
        select p.owner_unit as unit_code, coalesce(u.{name}, p.owner_unit) as name,
               count(*) as published,
               count(*) filter (where p.is_published_within_1_working_day) as within,
               median(p.working_days_to_publish) as median_days
        from marts.publications as p
        left join marts.organisation_units as u on u.unit_code = p.owner_unit
        where p.is_published and p.published_month between ? and ?
        group by all order by published desc, unit_code""", [first, last])
    cards = read(con, f"""
        select c.responsible_unit as unit_code,
               coalesce(u.{name}, c.responsible_unit) as name, count(*) as cards,
               count(*) filter (where c.is_stale) as stale
        from marts.service_card_freshness as c
        left join marts.organisation_units as u on u.unit_code = c.responsible_unit
        group by all order by stale desc, cards desc, unit_code""")
    return Report(year, lang, first, last, as_of, partial, months, portals, areas, units,
                  cards)


def slowest(units: pl.DataFrame) -> pl.DataFrame:
    """The units publishing late most often: the lowest share within one working day among
    those with at least SLOWEST_MIN_PUBLICATIONS publications, then the longest median."""
    return (units.filter(pl.col("published") >= SLOWEST_MIN_PUBLICATIONS)
            .with_columns(share=100.0 * pl.col("within") / pl.col("published"))
            .sort(["share", "median_days", "unit_code"], descending=[False, True, False])
            .head(SLOWEST_UNITS))


def _trend_chart(report: Report) -> str:
    lang, months = report.lang, report.months
    fig = go.Figure()
    fig.add_scatter(x=months["month_start"], y=months["share"], mode="lines+markers",
                    name=t("mpi_share", lang), line={"color": NEUTRAL, "width": 2})
    fig.add_scatter(x=months["month_start"], y=months["target"], mode="lines",
                    name=t("target", lang), line={"color": GOOD, "dash": "dash"})
    return chart_html(fig, lang, "%")


def _pct(value: float | None, lang: str) -> str:
    return "—" if value is None else fmt_percent(value, lang, 1)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    lang = report.lang
    n = lambda value: fmt_number(value, lang)  # noqa: E731 - the template's one formatter
    months = [{"month": fmt_month(m["month_start"], lang), "published": n(m["published"]),
               "share": _pct(m["share"], lang), "stale": _pct(m["stale_pct"], lang)}
              for m in report.months.iter_rows(named=True)]
    totals = report.months.select(pl.col("published").sum(), pl.col("within").sum()).row(0)
    before = report.portals.select(pl.col("previous_published").sum(),
                                   pl.col("previous_within").sum()).row(0)
    portals = [{"portal": p["portal"], "published": n(p["published"]),
                "share": _pct(_share(p["within"], p["published"]), lang),
                "previous": _pct(_share(p["previous_within"], p["previous_published"]), lang),
                "previous_published": n(p["previous_published"])}
               for p in report.portals.iter_rows(named=True)]
    areas = [{**a, "published": n(a["published"]),
              "share": _pct(_share(a["within"], a["published"]), lang)}
             for a in report.areas.iter_rows(named=True)]
    units = [{**u, "published": n(u["published"]), "share": _pct(u["share"], lang),
              "median": fmt_number(u["median_days"], lang, 1)}
             for u in slowest(report.units).iter_rows(named=True)]
    cards_total, stale_total = (int(report.cards["cards"].sum()),
                                int(report.cards["stale"].sum()))
    cards = [{**c, "share": _pct(_share(c["stale"], c["cards"]), lang)}
             for c in report.cards.filter(pl.col("stale") > 0).iter_rows(named=True)]
    end = _month_end(report.last)
    if report.as_of is not None:
        end = min(end, report.as_of.date())
    covered = f"{fmt_date(report.first, lang)}–{fmt_date(end, lang)}"
    return template_env(lang).get_template("mpi_annual.html.j2").render(
        lang=lang, year=report.year, covered=covered, partial=report.partial,
        as_of=fmt_date(report.as_of, lang) if report.as_of else "—",
        data_day=fmt_date(report.as_of.date(), lang) if report.as_of else "—",
        published=n(totals[0] or 0), share=_pct(_share(totals[1], totals[0]), lang),
        previous_published=n(before[0] or 0),
        previous_share=_pct(_share(before[1], before[0]), lang),
        months=months, portals=portals, areas=areas, units=units,
        slowest_min=SLOWEST_MIN_PUBLICATIONS, cards=cards, cards_total=n(cards_total),
        stale_total=n(stale_total), stale_share=_pct(_share(stale_total, cards_total), lang),
        chart=_trend_chart(report) if report.months.height else "",
        plotlyjs=get_plotlyjs())


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def write_report(con: duckdb.DuckDBPyConnection, year: int, lang: str, out: Path) -> Path:
    """Write the report for ``year`` to ``out`` (.pdf or .html)."""
    return write_document(render_html(collect(con, year, lang)), out)
