"""Director overview: KPI tiles, trend against target, drill-down by unit."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import month_range, read


def kpi_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "director_kpis")


def kpi_tiles(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """One row per KPI for ``month``, in the registry's order: value, target and warning
    band, change against the previous month, and the KPI's definition in force today."""
    return read(con, """
        select k.kpi_code, k.kpi_name_pl, k.kpi_name_en, k.value, k.target, k.warning,
               k.unit, k.direction, k.is_on_target, k.target_status, k.value_target_status,
               k.breakdowns_missed, k.previous_value, k.change, k.is_change_notable,
               d.definition_pl, d.definition_en, d.target_origin_pl, d.target_origin_en,
               d.target_is_assumption, d.target_set_by_pl, d.target_set_by_en
        from marts.director_kpis as k
        left join marts.kpis as d using (kpi_code)
        where k.month_start = ?
        order by k.display_order, k.kpi_code
    """, [month])


def kpi_priorities(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """The priorities with targets of their own for ``month``: kpi_code, priority, value,
    target and verdict (marts.director_kpis_by_priority)."""
    return read(con, """
        select kpi_code, priority, value, target, warning, target_status, numerator,
               denominator
        from marts.director_kpis_by_priority
        where month_start = ?
        order by kpi_code, priority
    """, [month])


def city_score(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """The city score of ``month`` and the 12 months before it (marts.city_score)."""
    return read(con, """
        select month_start, city_score, kpis_scored, kpis_below_target, previous_city_score
        from marts.city_score
        where month_start between ? - interval 12 month and ?
        order by month_start
    """, [month, month])


def alerts(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """The alerts listed for ``month`` (marts.kpi_alerts), KPI alerts first."""
    return read(con, """
        select a.alert_kind, a.subject, a.subject_name_pl, a.subject_name_en, a.value,
               a.baseline, a.streak_months, a.period_start, k.unit
        from marts.kpi_alerts as a
        left join marts.kpis as k on a.subject = k.kpi_code
        where a.month_start = ?
        order by a.alert_kind = 'topic_spike', k.display_order, a.subject, a.period_start
    """, [month])


def source_freshness(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Each source that happens in time: its newest row, lag and staleness."""
    return read(con, """
        select contract, newest_known_at, lag_days, freshness_days, is_stale, is_loaded
        from marts.source_freshness order by contract
    """)


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
