"""Director overview: KPI tiles, trend against target, drill-down by unit."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import kpi_formula, month_range, read


def kpi_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "director_kpis")


def kpi_tiles(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """One row per KPI for ``month``, in the registry's order: value, target and warning
    band, change against the previous month, and the KPI's definition in force today."""
    return read(con, """
        select k.kpi_code, k.kpi_name_pl, k.kpi_name_en, k.value, k.target, k.warning,
               k.unit, k.direction, k.is_on_target, k.target_status, k.value_target_status,
               k.breakdowns_missed, k.previous_value, k.change, k.is_change_notable,
               k.year_ago_value, k.change_year_ago, k.is_change_year_ago_notable,
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


# the code of the row no unit holds (dbt var no_unit, macros/no_unit.sql)
NO_UNIT = "(none)"


def kpi_by_unit(con: duckdb.DuckDBPyConnection, month: date, kpi_code: str | None = None
                ) -> pl.DataFrame:
    """Each unit's value of the KPI (``kpi_code``; every KPI with units without one) in the
    month, the unit named in both languages by the mart — the rows no unit holds too
    ('(none)', "bez jednostki" / "no unit"). The overview's drill-down and the monthly
    pack read it."""
    return read(con, """
        select kpi_code, unit_code, unit_name_pl, unit_name_en, value, numerator, denominator
        from marts.director_kpis_by_unit
        where month_start = $month and ($kpi_code is null or kpi_code = $kpi_code)
        order by kpi_code, value desc nulls last, unit_code
    """, {"month": month, "kpi_code": kpi_code})


def kpis_with_units(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select distinct kpi_code from marts.director_kpis_by_unit order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def year_to_date(months: list[date], month: date) -> tuple[date, date]:
    """The year to date of ``month``: from January (or the first month the KPIs have)."""
    return max(months[0], month.replace(month=1)), month


def kpi_period(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Every director KPI over the months ``first``..``last`` (a year to date, any period)
    and over the same months a year before: a flow (the registry's over_months 'sum')
    sums its parts over the months, a stock ('last') takes its last month's, and the
    registry's formula values them (kpi_formula), so one month gives the tile's value.
    The target is the one in force in the period's last month."""
    value = "case p.kind " + " ".join(
        f"when '{kind}' then {kpi_formula(con, kind, 'p.numerator', 'p.denominator')}"
        for kind in ("ratio", "mean", "count")) + " end"
    return read(con, f"""
        with periods as (
            select 'now' as period, $first::date as first_month, $last::date as last_month
            union all
            select 'year_ago', cast($first::date - interval 12 month as date),
                   cast($last::date - interval 12 month as date)
        ),
        parts as (
            select periods.period, k.kpi_code, k.kind, k.over_months,
                   case when k.over_months = 'last'
                        then arg_max(v.numerator, v.month_start) else sum(v.numerator)
                   end as numerator,
                   case when k.over_months = 'last'
                        then arg_max(v.denominator, v.month_start) else sum(v.denominator)
                   end as denominator,
                   count(*) as months
            from periods
            join marts.kpi_values as v
                on v.breakdown = 'all' and v.month_start between first_month and last_month
            join marts.kpis as k on k.kpi_code = v.kpi_code
            group by periods.period, k.kpi_code, k.kind, k.over_months
        ),
        valued as (
            select p.kpi_code, p.period, {value} as value, p.months from parts as p
        )
        select d.kpi_code, d.kpi_name_pl, d.kpi_name_en, d.unit, d.direction, d.target,
               cur.value, cur.months, year_ago.value as year_ago_value,
               year_ago.months as year_ago_months, cur.value - year_ago.value as change_year_ago
        from marts.director_kpis as d
        left join valued as cur on cur.kpi_code = d.kpi_code and cur.period = 'now'
        left join valued as year_ago
            on year_ago.kpi_code = d.kpi_code and year_ago.period = 'year_ago'
        where d.month_start = $last
        order by d.display_order, d.kpi_code
    """, {"first": first, "last": last})
