"""Director overview: KPI tiles, trend against target, drill-down by unit."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import month_range, read
from warehouse.kpis import KPI_CODES

KPI_ORDER = KPI_CODES


def kpi_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "director_kpis")


def kpi_tiles(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """One row per KPI for ``month``: value, target, change against the previous month."""
    return read(con, """
        select kpi_code, kpi_name_pl, kpi_name_en, value, target, unit, direction,
               is_on_target, previous_value, change
        from marts.director_kpis
        where month_start = ?
        order by coalesce(list_position(?, kpi_code), 99), kpi_code
    """, [month, list(KPI_ORDER)])


def kpi_trend(con: duckdb.DuckDBPyConnection, kpi_code: str, first: date, last: date
              ) -> pl.DataFrame:
    return read(con, """
        select month_start, value, target
        from marts.director_kpis
        where kpi_code = ? and month_start between ? and ?
        order by month_start
    """, [kpi_code, first, last])


def kpi_by_unit(con: duckdb.DuckDBPyConnection, kpi_code: str, month: date) -> pl.DataFrame:
    return read(con, """
        select unit_code, unit_name_pl, value, numerator, denominator
        from marts.director_kpis_by_unit
        where kpi_code = ? and month_start = ?
        order by value desc nulls last, unit_code
    """, [kpi_code, month])


def kpis_with_units(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select distinct kpi_code from marts.director_kpis_by_unit order by 1"
    ).fetchall()
    return [r[0] for r in rows]
