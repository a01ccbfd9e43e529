"""Smart City project portfolio (IT-01-4): the projects as of as_of, and their RAG state
month by month (marts.smart_city_project_months — the column the director's red-projects
tile counts too)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import month_range, read

# the order of the states on the page: the rated ones worst first, then the unrated
RAG_STATES = ("red", "amber", "green", "completed", "cancelled")
RAG_ORDER = {state: i for i, state in enumerate(RAG_STATES)}
_ORDER_SQL = ("case rag_status " + " ".join(f"when '{s}' then {i}" for s, i in RAG_ORDER.items())
              + " else 9 end")


def portfolio(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, f"""
        select project_id, name, strategy_area, owner_unit, status, rag_status, rag_reason,
               planned_start, planned_end, actual_start, actual_end, forecast_end,
               schedule_variance_days, budget_pln, spent_pln, budget_burn_pct, elapsed_pct,
               milestones_total, milestones_done, milestones_overdue
        from marts.smart_city_portfolio
        order by {_ORDER_SQL}, project_id
    """)


def months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "smart_city_project_months")


def project_month(con: duckdb.DuckDBPyConnection, month: date) -> pl.DataFrame:
    """Every project's state at the end of ``month`` (in the month of as_of: on its date)
    and the data that judged it."""
    return read(con, f"""
        select project_id, name, strategy_area, owner_unit, status, rag_status, rag_reason,
               basis, judged_on, schedule_variance_days, budget_burn_pct, milestones_overdue
        from marts.smart_city_project_months
        where month_start = ?
        order by {_ORDER_SQL}, project_id
    """, [month])


def rag_history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Projects per month and state, with the months' basis (reconstructed or not)."""
    return read(con, """
        select month_start, rag_status, status, strategy_area,
               count(*) as projects,
               bool_or(is_reconstructed) as is_reconstructed
        from marts.smart_city_project_months
        group by all
        order by month_start, rag_status
    """)


def reconstructed_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The months judged by the schedule-only rule for at least one project."""
    rows = con.execute(
        "select distinct month_start from marts.smart_city_project_months "
        "where is_reconstructed order by 1").fetchall()
    return [r[0] for r in rows]


def overdue_milestones(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, """
        select m.project_id, m.project_name, m.milestone, m.due_on, m.done_on, m.days_late,
               p.status, p.strategy_area
        from marts.smart_city_milestones as m
        left join marts.smart_city_portfolio as p using (project_id)
        where m.is_overdue
        order by m.due_on, m.project_id
    """)


def timeline(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Two bars per project for a Gantt chart: the plan, and the actual (or forecast) span,
    each with the project's RAG state as of as_of."""
    return read(con, """
        select project_id, name, status, strategy_area, rag_status, 'plan' as kind,
               planned_start as start_on, planned_end as end_on
        from marts.smart_city_portfolio
        where planned_start is not null and planned_end is not null
        union all
        select project_id, name, status, strategy_area, rag_status, 'actual' as kind,
               actual_start as start_on, coalesce(actual_end, forecast_end, planned_end) as end_on
        from marts.smart_city_portfolio
        where actual_start is not null
        order by project_id, kind desc
    """)
