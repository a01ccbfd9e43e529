"""Invisible characters and number dialects (issue 12 § 2): text is stored in NFC without
BOM, NUL or zero-width characters — for every text column of every contract, keys and
codes included, so an invisible BOM never makes a second KCK queue or a second key — and a
thousands separator is never read as a decimal one ("1,500" is not 1.5): the file's
dialect decides the decimal mark, the other mark is refused as ambiguous."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from helpers import query as q

from warehouse.contracts import CONTRACTS
from warehouse.load import load_directory
from warehouse.loading.samples import BASE, SEEDS, write_base


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch) -> None:
    monkeypatch.setenv("CITYOPS_PII_KEY", "test-key")



def _rows(contract: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(BASE[contract])))


def _csv(rows: list[list[str]], sep: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _first_row(wh: Path, contract: str) -> tuple:
    cols = ", ".join(f'"{c.stored_name}"' for c in CONTRACTS[contract].columns)
    return q(wh, f"SELECT {cols} FROM raw.{contract} WHERE _source_row = 1")[0]


def _disguised(value: str) -> str:
    """The same text as a careless export writes it: a BOM before it, its letters
    decomposed (NFD), a zero-width space and a NUL inside."""
    mid = len(value) // 2
    return ("\ufeff" + unicodedata.normalize("NFD", value[:mid]) + "\u200b\x00"
            + unicodedata.normalize("NFD", value[mid:]) + "\u2060")


TEXTS = [(c.name, col.name) for c in CONTRACTS.values() for col in c.columns
         if col.type == "str" and _rows(c.name)[1][c.column_names.index(col.name)]]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """The base load, as written."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYOPS_PII_KEY", "test-key")
        root = tmp_path_factory.mktemp("clean")
        wh = root / "wh.duckdb"
        load_directory(write_base(root / "in"), wh, seeds=SEEDS)
        return wh


@pytest.mark.parametrize(("contract", "column"), TEXTS, ids=[f"{c}.{n}" for c, n in TEXTS])
def test_invisible_characters_and_decomposed_letters_are_stored_as_the_clean_text(
        contract: str, column: str, clean: Path, tmp_path: Path) -> None:
    src = write_base(tmp_path / "b", only=tuple(
        n for n in ("it_services", "sc_projects", "tickets", contract)))
    rows = _rows(contract)
    i = rows[0].index(column)
    rows[1][i] = _disguised(rows[1][i])
    (src / f"{contract}.csv").write_text(_csv(rows), encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    report = load_directory(src, wh, seeds=SEEDS)
    assert report.rows_rejected == 0, report.file(f"{contract}.csv").reject_reasons
    assert _first_row(wh, contract) == _first_row(clean, contract)


def test_a_bom_inside_the_file_makes_no_second_queue_nor_a_second_key(tmp_path: Path) -> None:
    src = write_base(tmp_path / "in", only=("calls",))
    rows = _rows("calls")
    rows[2][1] = "\ufeff" + rows[2][1]  # C-2's queue 'Infolinia' with a BOM
    rows.append(list(rows[1]))
    rows[-1][0] = "C-1\u200b"  # C-1 again, with a zero-width space: the same key
    rows[-1][1] = "Infolinia 2"
    (src / "calls.csv").write_text(_csv(rows), encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    load_directory(src, wh, seeds=SEEDS)
    assert q(wh, "SELECT queue, count(*) FROM raw.calls GROUP BY 1 ORDER BY 1") == [
        ("Infolinia", 1), ("Infolinia 2", 1), ("Podatki", 1)]
    assert q(wh, "SELECT call_id, queue FROM raw.calls ORDER BY 1") == [
        ("C-1", "Infolinia 2"), ("C-2", "Infolinia"), ("C-3", "Podatki")]
    assert q(wh, "SELECT _source_row, reject_reason LIKE '%duplicate key in file (C-1 %' "
                 "FROM raw.calls__rejected") == [(1, True)]


FLOATS = [c.name for c in CONTRACTS["sc_projects"].columns if c.type == "float"]


def _project(tmp_path: Path, column: str, value: str, sep: str):
    src = write_base(tmp_path / "in", only=("sc_projects",))
    rows = _rows("sc_projects")
    if sep == ";":  # the file's other numbers in its dialect
        rows[1] = [f.replace(".", ",") if rows[0][i] in FLOATS else f
                   for i, f in enumerate(rows[1])]
    rows[1][rows[0].index(column)] = value
    (src / "sc_projects.csv").write_text(_csv(rows, sep), encoding="utf-8")
    wh = tmp_path / "wh.duckdb"
    load_directory(src, wh, seeds=SEEDS)
    return (q(wh, f"SELECT {column} FROM raw.sc_projects"),
            q(wh, "SELECT reject_reason FROM raw.sc_projects__rejected"))


@pytest.mark.parametrize("column", FLOATS)
@pytest.mark.parametrize(("sep", "value", "mark"), [
    (",", "1,500", "."), (",", "1,500.50", "."), (",", "1500,5", "."),
    (";", "1.500", ","), (";", "1.500,50", ","), (";", "2.5", ",")])
def test_the_other_mark_than_the_dialects_decimal_one_is_refused_as_ambiguous(
        column: str, sep: str, value: str, mark: str, tmp_path: Path) -> None:
    loaded, rejected = _project(tmp_path, column, value, sep)
    other = "," if mark == "." else "."
    assert loaded == []
    assert rejected == [(f"row 1: {column}='{value}' ambiguous: '{other}' is not the decimal "
                         f"mark of this file ('{mark}'), it may be a thousands separator",)]


@pytest.mark.parametrize("column", FLOATS)
@pytest.mark.parametrize(("sep", "value", "number"), [
    (",", "1500.5", 1500.5), (",", "1 500.50", 1500.5), (",", "1500", 1500.0),
    (";", "1500,5", 1500.5), (";", "1 500,50", 1500.5), (";", "1\u00a0500", 1500.0)])
def test_the_dialects_decimal_mark_and_grouping_spaces_are_read(
        column: str, sep: str, value: str, number: float, tmp_path: Path) -> None:
    loaded, rejected = _project(tmp_path, column, value, sep)
    assert (loaded, rejected) == ([(number,)], [])
