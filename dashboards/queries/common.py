"""Helpers shared by the query modules: running SQL, what marts exist, the data's date,
and the KPI formulas of the registry."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl


def read(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def scalar(con: duckdb.DuckDBPyConnection, sql: str,
           params: list[Any] | dict[str, Any] | None = None) -> Any:
    rows = con.execute(sql, params or []).fetchall()  # the whole result: the cursor is free
    return rows[0][0] if rows else None


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by table_name"
    ).fetchall()
    return [r[0] for r in rows]


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The `as_of` the marts were built with (ages, backlog and overdue are taken then):
    the build's own record, marts.build_info; None for a warehouse without marts."""
    if "build_info" not in mart_tables(con):
        return None
    return scalar(con, "select as_of_at from marts.build_info")


def month_range(con: duckdb.DuckDBPyConnection, mart: str, column: str = "month_start"
                ) -> list[date]:
    """Distinct months of a mart, oldest first (mart and column are code constants)."""
    rows = con.execute(
        f"select distinct {column} from marts.{mart} where {column} is not null order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def newest_month(con: duckdb.DuckDBPyConnection, contracts: tuple[str, ...]) -> date | None:
    """The month of the newest row the sources ``contracts`` hold (marts.source_freshness).

    A page's period ends there by default: in a warehouse whose sources end at different
    dates (a 2016 ServiceNow log beside this year's reports), each page opens on its own
    source's last months instead of on the empty months up to the build's date."""
    return scalar(con, "select date_trunc('month', max(newest_known_at))::date "
                       "from marts.source_freshness where list_contains($c, contract)",
                  {"c": list(contracts)})


_PARTS = re.compile(r"\b(numerator|denominator)\b")


def kpi_formula(con: duckdb.DuckDBPyConnection, kpi: str, numerator: str, denominator: str
                ) -> str:
    """SQL for the value of a KPI over a slice: the registry's formula (``marts.kpis``,
    the dbt macro kpi_value as text) with its parts replaced by the SQL given — sums over
    the slice's rows. ``kpi`` is a kpi_code, or a kind (``ratio``, ``mean``, ``count``) for
    a share or mean that is not a director KPI. A page figure named like a KPI is then the
    same number as the KPI's for the same rows."""
    formula = scalar(con, "select any_value(formula_sql) from marts.kpis "
                          "where kpi_code = $kpi or kind = $kpi", {"kpi": kpi})
    if formula is None:
        raise KeyError(f"no KPI or formula kind {kpi!r} in marts.kpis")
    parts = {"numerator": numerator, "denominator": denominator}
    return _PARTS.sub(lambda m: f"({parts[m.group(1)]})", formula)


def kpi_definitions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The registry's definitions and targets in force (marts.kpis), one row per KPI."""
    return read(con, "select * from marts.kpis order by display_order")


def with_english_names(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, name: str,
                       code: str, names: str, key: str) -> pl.DataFrame:
    """``frame`` with ``<name>_en`` beside its ``<name>_pl``: the English name of the
    ``code`` column's value in the reference mart ``names`` (``marts.organisation_units``
    by ``unit_code``, ``marts.service_catalogue`` by ``service_code``: the seeds' English
    names), the Polish one where there is none (a code the reference data does not know).
    The page keeps one of the two (i18n.drop_other_languages)."""
    if not re.fullmatch(r"marts\.\w+", names) or not re.fullmatch(r"\w+", key):
        raise ValueError(f"not a mart and key: {names}.{key}")
    polish = f"{name}_pl"
    english = read(con, f"select {key} as __code, any_value(name_en) as __en from {names} "
                        "group by 1")
    joined = frame.join(english, left_on=code, right_on="__code", how="left",
                        maintain_order="left")
    columns = [c for col in frame.columns for c in ((col, f"{name}_en") if col == polish
                                                     else (col,))]
    return joined.with_columns(
        pl.coalesce("__en", polish).alias(f"{name}_en")).select(columns)
