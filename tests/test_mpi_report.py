"""The yearly MPI report (issue 14 §8, ordinance 1447/2019 § 7): a PDF in Polish whose text
holds the period (1 December to 30 November, or to the data's date, said as a draft), the
publications of each portal as counted here from raw.publications (a second way), the
share published within one working day month by month as the director KPI has it, and
the stale service cards; the same as HTML in English; a year without data refused."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from helpers import query as q

from dashboards.formats import fmt_number, fmt_percent
from warehouse.cli import main


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True)
    return " ".join(out.stdout.split())  # pdftotext gives a non-breaking space as a space


@pytest.fixture(scope="module")
def year(built_warehouse) -> int:
    """The year of the data's date, whose whole period (to 30 November) the data covers."""
    as_of = q(built_warehouse, "select as_of_at from marts.build_info")[0][0]
    assert as_of.date() >= date(as_of.year, 11, 30)  # the test sample ends in December
    return as_of.year


def _write(built_warehouse, year: int, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["report", "mpi-annual", "--warehouse",
                                       str(built_warehouse), "--year", str(year),
                                       "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def report(built_warehouse, year, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("mpi") / "sprawozdanie.pdf"
    _write(built_warehouse, year, out)
    assert out.read_bytes()[:5] == b"%PDF-"
    return _pdf_text(out)


def test_the_report_covers_december_to_november_or_to_the_data_as_a_draft(
        built_warehouse, year, report, tmp_path):
    assert f"Sprawozdanie z realizacji MPI „Magiczny Kraków” za rok {year}" in report
    assert f"Okres sprawozdawczy: 01.12.{year - 1}–30.11.{year}" in report
    assert "Dyrektor Wydziału Komunikacji Społecznej" in report
    assert "Wersja robocza" not in report
    # the next year's report, drafted in its first month: up to the data's date
    as_of = q(built_warehouse, "select as_of_at from marts.build_info")[0][0]
    _write(built_warehouse, year + 1, tmp_path / "draft.pdf")
    draft = _pdf_text(tmp_path / "draft.pdf")
    assert f"Okres sprawozdawczy: 01.12.{year}–{as_of:%d.%m.%Y}" in draft
    assert f"Wersja robocza: dane kończą się {as_of:%d.%m.%Y}, przed końcem okresu" in draft


def test_each_portals_publications_are_counted_as_raw_has_them(built_warehouse, year,
                                                               report):
    """Counted here from raw.publications (published in the period, local time), not from
    the mart the report reads; the share within one working day from marts.publications."""
    as_of = q(built_warehouse, "select as_of_at from marts.build_info")[0][0]
    raw = pl.DataFrame(q(built_warehouse, "select portal, published_at from raw.publications "
                                          "where published_at is not null"),
                       schema=["portal", "published_at"], orient="row")
    counts = (raw.filter((pl.col("published_at") >= datetime(year - 1, 12, 1))
                         & (pl.col("published_at") < datetime(year, 12, 1))
                         & (pl.col("published_at") <= as_of))
              .group_by("portal").len())
    assert counts.height == 3
    portals = report[report.index("Publikacje według portalu"):]
    for portal, n in counts.iter_rows():
        assert f"{portal} {fmt_number(n, 'pl')} ".replace("\u00a0", " ") in portals, portal
    total = int(counts["len"].sum())
    assert f"z {fmt_number(total, 'pl')} publikacji okresu".replace("\u00a0", " ") in report


def test_the_monthly_shares_are_the_director_kpis(built_warehouse, year, report):
    months = q(built_warehouse, """
        select k.month_start, k.value, c.value from marts.director_kpis as k
        join marts.director_kpis as c on c.month_start = k.month_start
            and c.kpi_code = 'stale_service_cards_pct'
        where k.kpi_code = 'publications_within_1wd_pct' and k.month_start between ? and ?
        order by 1""", [date(year - 1, 12, 1), date(year, 11, 1)])
    assert len(months) >= 6
    table = report[report.index("Miesiąc Publikacje"):]
    for month, share, stale in months:
        row = table[table.index(f"{month:%m.%Y} "):][:80]
        assert fmt_percent(share, "pl", 1).replace("\u00a0", " ") in row, (month, row)
        assert fmt_percent(stale, "pl", 1).replace("\u00a0", " ") in row, (month, row)


def test_the_stale_cards_and_the_slowest_units(built_warehouse, year, report):
    stale, cards = q(built_warehouse, "select count(*) filter (where is_stale), count(*) "
                                      "from marts.service_card_freshness")[0]
    assert f"{stale} z {cards} kart usług nie przeglądano od ponad 12 miesięcy" in report
    # the slowest units, ranked here from the publications of the period: the lowest share
    # within one working day among units with 20 or more, then the longer median
    pubs = pl.DataFrame(q(built_warehouse, """
        select owner_unit, is_published_within_1_working_day as within,
               working_days_to_publish as days
        from marts.publications
        where is_published and published_month between ? and ?""",
                          [date(year - 1, 12, 1), date(year, 11, 1)]),
                        schema=["unit", "within", "days"], orient="row")
    ranked = (pubs.group_by("unit")
              .agg(pl.len().alias("n"), pl.col("within").mean().alias("share"),
                   pl.col("days").median().alias("days"))
              .filter(pl.col("n") >= 20)
              .sort(["share", "days", "unit"], descending=[False, True, False]))
    assert ranked.height >= 3
    section = report[report.index("Komórki publikujące najwolniej"):
                     report.index("Publikacje według obszaru portalu")]
    places = [section.index(f"({unit})") for unit in ranked["unit"].head(3)]
    assert places == sorted(places), (ranked.head(3), section[:400])


def test_in_english_as_html_and_a_year_without_data_is_refused(built_warehouse, year,
                                                                 tmp_path):
    out = tmp_path / "report.html"
    _write(built_warehouse, year, out, "--lang", "en")
    html = out.read_text(encoding="utf-8")
    assert "Report on the city's internet platform MPI" in html and "<script src=" not in html
    result = CliRunner().invoke(main, ["report", "mpi-annual", "--warehouse",
                                       str(built_warehouse), "--year", "2000",
                                       "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert ("Brak danych za okres sprawozdania za rok 2000 (12.1999–11.2000); "
            "dane obejmują") in result.output
    assert not (tmp_path / "x.pdf").exists()
