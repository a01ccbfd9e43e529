"""The monthly director pack (issue 14 §7): a real PDF whose text holds the month's KPI
names and values as the marts have them, in Polish (letters and number formats) or English;
the same as HTML; mailed to a local SMTP server with the PDF attached; made on the first
working day of a month only when asked so."""

from __future__ import annotations

import email
import os
import socket
import subprocess
from datetime import date
from email import policy
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import query as q

from dashboards import pack
from dashboards.formats import fmt_value
from dashboards.verdicts import judged_value
from warehouse.cli import main
from warehouse.store import current_file


def _pdf_text(pdf: Path) -> str:
    """The PDF's text by poppler's pdftotext (a second reader, not the code that wrote it)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True)
    return out.stdout


@pytest.fixture(scope="module")
def month(built_warehouse) -> date:
    return q(built_warehouse, "select max(month_start) from marts.director_kpis")[0][0]


@pytest.fixture(scope="module")
def polish_pdf(built_warehouse, month, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pakiet.pdf"
    result = CliRunner().invoke(main, ["report", "monthly", "--warehouse",
                                       str(built_warehouse), "--month",
                                       month.strftime("%Y-%m"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_pdf_holds_every_kpi_with_the_marts_value_in_polish(built_warehouse, month,
                                                                 polish_pdf):
    assert polish_pdf.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(polish_pdf)
    assert f"Pakiet miesięczny dyrekcji — {month:%m.%Y}" in text
    kpis = q(built_warehouse, "select kpi_name_pl, value, target, unit, target_status "
                              "from marts.director_kpis where month_start = ? "
                              "order by display_order", [month])
    assert len(kpis) >= 10
    flat = " ".join(text.split())  # pdftotext gives a non-breaking space as a space
    summary = flat[flat.index("Wskaźniki miesiąca"):]
    ytd_start = summary.index("Od początku roku:")  # its table has the same names
    ytd_end = summary.index("mają kafelki miesiąca.", ytd_start)
    summary = summary[:ytd_start] + summary[ytd_end:]
    words = {"on_target": "w celu", "warning": "blisko celu", "off_target": "poza celem"}
    for name, value, target, unit, status in kpis:
        assert name in summary, name
        row = summary[summary.index(name):][:120]
        shown = judged_value(value, target, unit, "pl").replace("\u00a0", " ")
        assert shown in row, (name, row)
        if status is not None:
            assert words[status] in row, (name, row)
    assert "ą" in text and "ł" in text and "ż" in text  # Polish letters survive the print
    score = q(built_warehouse, "select city_score from marts.city_score where month_start = ?",
              [month])[0][0]
    assert f"{score:.2f}".replace(".", ",") in text
    # the annex defines every KPI with its formula and period basis
    annex = flat[flat.index("Aneks: definicje wskaźników"):]
    assert annex.count("Wzór") == len(kpis) and "numerator" in annex
    assert "miesiąc rozwiązania" in annex
    # where each target comes from and who sets it, in Polish (the registry's own words)
    for origin, set_by in q(built_warehouse, "select target_origin_pl, target_set_by_pl "
                                             "from marts.kpis where target is not null"):
        assert f"{origin}; {set_by}" in annex, origin
    assert "Dyrektor COI" in annex and "COI Director" not in annex


def test_the_pdf_holds_the_year_to_date_beside_the_same_months_a_year_before(
        built_warehouse, month, polish_pdf):
    """A flow KPI sums its months' parts from January, a stock takes its last month — here
    summed by the test from marts.kpi_values, not by the pack's query."""
    flat = " ".join(_pdf_text(polish_pdf).split())
    section = flat[flat.index(f"Od początku roku: 01.{month:%Y}–{month:%m.%Y}"):]
    section = section[:section.index("mają kafelki miesiąca.")]

    def parts(kpi: str, first: date, last: date) -> list[tuple]:
        return q(built_warehouse, "select numerator, denominator from marts.kpi_values "
                                  "where kpi_code = ? and breakdown = 'all' and month_start "
                                  "between ? and ? order by month_start", [kpi, first, last])

    jan, year_ago = month.replace(month=1), (month.replace(year=month.year - 1),
                                             month.replace(year=month.year - 1, month=1))
    for kpi, name in (("incident_sla_met_pct", "Zgłoszenia rozwiązane w SLA"),
                      ("kck_service_level_pct", None)):
        now, before = parts(kpi, jan, month), parts(kpi, year_ago[1], year_ago[0])
        assert len(now) == month.month
        value = 100 * sum(n for n, _ in now) / sum(d for _, d in now)
        (label, target), = q(built_warehouse, "select kpi_name_pl, target from marts.kpis "
                                              "where kpi_code = ?", [kpi])
        assert name is None or label == name
        row = section[section.index(label) + len(label):][:80].replace("\u00a0", " ").strip()
        # the fixture's data begin in January: a year before, nothing to compare with
        ago = (fmt_value(100 * sum(n for n, _ in before) / sum(d for _, d in before), "%", "pl")
               .replace("\u00a0", " ") if before else "— —")
        expected = " ".join((fmt_value(value, "%", "pl"), fmt_value(target, "%", "pl"), ago))
        assert row.startswith(expected.replace("\u00a0", " ")), (kpi, row)
    (last_red,) = parts("sc_projects_red", month, month)[0][:1]
    label = q(built_warehouse, "select kpi_name_pl from marts.kpis "
                               "where kpi_code = 'sc_projects_red'")[0][0]
    assert section[section.index(label):][len(label):].split()[0] == f"{last_red:.0f}"


def test_the_pack_in_english_and_as_html(built_warehouse, month, tmp_path):
    from warehouse.store import connect_read_only

    out = tmp_path / "pack.html"
    con = connect_read_only(built_warehouse)
    try:
        pack.write_pack(con, month, "en", out)
    finally:
        con.close()
    html = out.read_text(encoding="utf-8")
    assert "Monthly director pack" in html and "<script" in html  # plotly.js inlined
    # nothing fetched when opened offline: no script, style or font from elsewhere
    assert "<script src=" not in html and '<link rel="stylesheet" href="http' not in html
    (name, value, target, unit), = q(
        built_warehouse, "select kpi_name_en, value, target, unit from marts.director_kpis "
                         "where month_start = ? and kpi_code = 'kck_asa_seconds'", [month])
    assert name in html and judged_value(value, target, unit, "en") in html
    assert fmt_value(target, unit, "en") in html
    assert "COI Director" in html and "Dyrektor COI" not in html
    # the units of a KPI's drill-down in English: the unit with the largest backlog of the
    # month, by its English name in the dimension (the pack once named them in Polish)
    (top,), = q(built_warehouse, """
        select o.name_en from marts.kpi_values as v
        join marts.organisation_units as o on v.breakdown_value = o.unit_code
        where v.kpi_code = 'incident_backlog' and v.breakdown = 'unit' and v.month_start = ?
        order by v.numerator desc limit 1""", [month])
    assert escape(top) in html, top


def test_an_unknown_month_is_refused_naming_the_months_there(built_warehouse, tmp_path):
    result = CliRunner().invoke(main, ["report", "monthly", "--warehouse",
                                       str(built_warehouse), "--month", "1999-01",
                                       "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert "Brak wskaźników za 01.1999" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_the_pack_is_mailed_with_the_pdf_attached(built_warehouse, month, polish_pdf,
                                                  tmp_path):
    from aiosmtpd.controller import Controller

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            received.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        beside = tmp_path / "warehouse.duckdb"  # cityops.toml lives beside the warehouse
        os.symlink(current_file(built_warehouse), beside)
        (tmp_path / "cityops.toml").write_text(
            f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "cityops@um.krakow.pl"\n',
            encoding="utf-8")
        result = CliRunner().invoke(main, [
            "report", "monthly", "--warehouse", str(beside), "--month", month.strftime("%Y-%m"),
            "--out", str(tmp_path / "pakiet.pdf"), "--mail-to", "dyrektor.coi@um.krakow.pl"])
        assert result.exit_code == 0, result.output
    finally:
        controller.stop()
    assert len(received) == 1 and received[0].rcpt_tos == ["dyrektor.coi@um.krakow.pl"]
    msg = email.message_from_bytes(received[0].content, policy=policy.default)
    assert msg["Subject"] == f"Pakiet miesięczny dyrekcji — {month:%m.%Y}"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "pakiet.pdf"
    assert attachment.get_content()[:5] == b"%PDF-"


def test_without_a_mail_table_the_command_says_what_is_missing(built_warehouse, month,
                                                                tmp_path):
    beside = tmp_path / "warehouse.duckdb"
    os.symlink(current_file(built_warehouse), beside)
    result = CliRunner().invoke(main, [
        "report", "monthly", "--warehouse", str(beside), "--month", month.strftime("%Y-%m"),
        "--out", str(tmp_path / "p.html"), "--mail-to", "a@um.krakow.pl"])
    assert result.exit_code == 2 and "cityops.toml not found" in result.output


@pytest.mark.parametrize(("day", "first"), [
    (date(2026, 1, 1), False),  # New Year's Day
    (date(2026, 1, 2), True),  # Friday after it
    (date(2026, 5, 4), True),  # 1 May a Friday holiday, then a weekend
    (date(2026, 5, 5), False),
    (date(2026, 11, 2), True),  # 1 November a Sunday (and a holiday)
    (date(2026, 12, 1), True),
])
def test_the_first_working_day_on_the_polish_calendar(day, first):
    assert pack.is_first_working_day(day) is first


def test_previous_month():
    assert pack.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)


def test_a_failed_update_and_a_stale_source_are_said_on_the_cover(built_warehouse, month,
                                                                  tmp_path):
    """The pack keeps the last good build's figures and says the last update failed, and
    which source stopped delivering (marts.source_freshness, as the freshness suites)."""
    from datetime import datetime

    from warehouse.store import connect_read_only

    last = {"ok": False, "at": datetime(2026, 12, 2, 3, 10),
            "message": "dbt build failed on 1 node(s)."}
    con = connect_read_only(built_warehouse)
    try:
        stale = con.execute("select count(*) from marts.source_freshness where is_stale"
                            ).fetchone()[0]
        out = pack.write_pack(con, month, "pl", tmp_path / "p.html", last)
    finally:
        con.close()
    html = out.read_text(encoding="utf-8")
    assert "Ostatnia aktualizacja nie powiodła się (02.12.2026 03:10): dbt build failed" in html
    assert html.count("nie dostarcza danych") == stale


def test_data_notices_name_each_stale_source():
    from datetime import datetime

    from dashboards.verdicts import data_notices

    rows = [{"contract": "calls", "is_stale": True, "newest_known_at": datetime(2026, 9, 30),
             "lag_days": 31},
            {"contract": "tickets", "is_stale": False, "newest_known_at": datetime(2026, 10, 31),
             "lag_days": 0}]
    assert data_notices({"ok": True, "at": datetime(2026, 11, 1), "message": ""}, rows,
                        datetime(2026, 10, 31), "pl") == [
        "Źródło „połączenia KCK” nie dostarcza danych: najnowszy wpis z 30.09.2026 00:00, 31 dni "
        "przed datą danych."]
    assert data_notices(None, rows[1:], None, "en") == []
