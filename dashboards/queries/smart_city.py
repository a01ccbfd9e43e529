"""Smart City project portfolio (IT-01-4)."""

from __future__ import annotations

import duckdb
import polars as pl

from dashboards.queries.common import read

RAG_ORDER = {"red": 0, "amber": 1, "green": 2}


def portfolio(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, """
        select project_id, name, strategy_area, owner_unit, status, rag_status, rag_reason,
               planned_start, planned_end, actual_start, actual_end, forecast_end,
               schedule_variance_days, budget_pln, spent_pln, budget_burn_pct, elapsed_pct,
               milestones_total, milestones_done, milestones_overdue
        from marts.smart_city_portfolio
        order by case rag_status when 'red' then 0 when 'amber' then 1 else 2 end, project_id
    """)


def overdue_milestones(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, """
        select project_id, project_name, milestone, due_on, done_on, days_late
        from marts.smart_city_milestones
        where is_overdue
        order by due_on, project_id
    """)


def timeline(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Two bars per project for a Gantt chart: the plan, and the actual (or forecast) span."""
    return read(con, """
        select project_id, name, rag_status, 'plan' as kind,
               planned_start as start_on, planned_end as end_on
        from marts.smart_city_portfolio
        where planned_start is not null and planned_end is not null
        union all
        select project_id, name, rag_status, 'actual' as kind,
               actual_start as start_on, coalesce(actual_end, forecast_end, planned_end) as end_on
        from marts.smart_city_portfolio
        where actual_start is not null
        order by project_id, kind desc
    """)
