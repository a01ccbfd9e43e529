"""IT-02-3 service desk: SLA by priority and month, distributions, backlog, near-breach."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from dashboards.queries.common import kpi_formula, month_range, read, scalar, with_english_names

# the sources the page's period follows (queries.common.newest_month)
SOURCES = ("tickets", "ticket_events")

MINUTES_PER_WORKING_DAY = 480  # UMK office hours 07:30–15:30
AGE_BUCKETS = ["< 1", "1–3", "3–5", "5–10", "≥ 10"]  # working days
NEARING_BUCKETS = ["50–75 %", "75–90 %", "90–100 %"]  # of the target used, not yet breached
BREACHED_BUCKET = "≥ 100 %"
TARGET_USED_BUCKETS = [*NEARING_BUCKETS, BREACHED_BUCKET]

def _service_names(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the services' English names beside the Polish ones."""
    return with_english_names(con, frame, "service_name", "service_code",
                              "marts.service_catalogue", "service_code")


# Durations as a reader counts them (never minutes: "257 575,8" says nothing): the SLA
# targets (4 h for P1 … 80 h for P4), response and resolution times and the time left to a
# target in hours on the service's clock (working hours for office-hours services), a
# ticket's age and its overrun in working days of 8 such hours.


def hours(minutes: str) -> str:
    """SQL: ``minutes`` (an expression in minutes) in hours."""
    return f"({minutes}) / 60.0"


def working_days(minutes: str) -> str:
    """SQL: ``minutes`` on the service's clock in working days of 8 hours."""
    return f"({minutes}) / {MINUTES_PER_WORKING_DAY}.0"


def sla_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "incident_sla_monthly")


def sla_target_pct(con: duckdb.DuckDBPyConnection) -> float | None:
    """The director KPI target for SLA met % (the same target the overview shows)."""
    return scalar(con, """
        select max(target) from marts.director_kpis where kpi_code = 'incident_sla_met_pct'
    """)


def sla_by_priority_month(con: duckdb.DuckDBPyConnection, first: date, last: date
                          ) -> pl.DataFrame:
    """SLA met % per priority and month (tickets met / tickets resolved that month)."""
    sla = kpi_formula(con, "incident_sla_met_pct", "sum(sla_met_tickets)", "sum(tickets_resolved)")
    first_line = kpi_formula(con, "first_line_resolution_pct",
                             "sum(first_line_resolved_tickets)", "sum(tickets_resolved)")
    return read(con, f"""
        select month_start, priority,
               sum(tickets_opened) as tickets_opened,
               sum(tickets_resolved) as tickets_resolved,
               sum(sla_met_tickets) as sla_met_tickets,
               {sla} as sla_met_pct,
               sum(first_line_resolved_tickets) as first_line_resolved_tickets,
               {first_line} as first_line_resolved_pct,
               sum(escalations_without_comment) as escalations_without_comment,
               sum(backlog_at_month_end) as backlog_at_month_end
        from marts.incident_sla_monthly
        where month_start between ? and ?
        group by all
        order by month_start, priority
    """, [first, last])


def _sla_measures(con: duckdb.DuckDBPyConnection) -> str:
    """The SLA measures summed over incident_sla_monthly rows, whatever the breakdown, with
    the registry's formulas of the SLA and first-line KPIs."""
    sla = kpi_formula(con, "incident_sla_met_pct", "sum(sla_met_tickets)", "sum(tickets_resolved)")
    first_line = kpi_formula(con, "first_line_resolution_pct",
                             "sum(first_line_resolved_tickets)", "sum(tickets_resolved)")
    return f"""
               sum(tickets_opened) as tickets_opened,
               sum(tickets_resolved) as tickets_resolved,
               {sla} as sla_met_pct,
               {first_line} as first_line_resolved_pct,
               sum(escalations_without_comment) as escalations_without_comment"""


def monthly_totals(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """All priorities together: first-line %, escalations without a full comment, backlog."""
    return read(con, f"""
        select month_start, {_sla_measures(con)},
               sum(backlog_at_month_end) as backlog_at_month_end
        from marts.incident_sla_monthly
        where month_start between ? and ?
        group by all
        order by month_start
    """, [first, last])


def distributions(con: duckdb.DuckDBPyConnection, first: date, last: date,
                  priority: int | None = None) -> pl.DataFrame:
    """Median and p90 of response and resolution (business and calendar hours) per month
    of resolution. Percentiles cannot be summed across groups, so they come from the
    per-ticket mart."""
    return read(con, f"""
        select date_trunc('month', resolved_at)::date as month_start,
               count(*) as tickets_resolved,
               {hours("median(response_business_minutes)")} as median_response_business_hours,
               {hours("quantile_cont(response_business_minutes, 0.9)")}
                   as p90_response_business_hours,
               {hours("median(resolution_business_minutes)")}
                   as median_resolution_business_hours,
               {hours("quantile_cont(resolution_business_minutes, 0.9)")}
                   as p90_resolution_business_hours,
               {hours("median(resolution_calendar_minutes)")}
                   as median_resolution_calendar_hours,
               {hours("quantile_cont(resolution_calendar_minutes, 0.9)")}
                   as p90_resolution_calendar_hours
        from marts.incident_sla
        where resolved_at is not null
          and date_trunc('month', resolved_at)::date between ? and ?
          and (? is null or priority = ?)
        group by all
        order by month_start
    """, [first, last, priority, priority])


def backlog_by_age(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open tickets as of the data's date by age bucket (working days of 8 h) and priority."""
    return read(con, f"""
        with open_tickets as (
            select priority, {working_days("age_business_minutes")} as age_days
            from marts.incident_sla
            where is_open
        ), bucketed as (
            select priority,
                   case when age_days < 1 then '{AGE_BUCKETS[0]}'
                        when age_days < 3 then '{AGE_BUCKETS[1]}'
                        when age_days < 5 then '{AGE_BUCKETS[2]}'
                        when age_days < 10 then '{AGE_BUCKETS[3]}'
                        else '{AGE_BUCKETS[4]}' end as age_bucket
            from open_tickets
        )
        select age_bucket, priority, count(*) as tickets
        from bucketed
        group by all
        order by age_bucket, priority
    """)


def near_breach(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open tickets that have used ≥ 50 % of their resolution target, bucketed; the
    breached ones (≥ 100 %) are a bucket of their own."""
    return read(con, f"""
        select case when resolution_target_used_pct >= 100 then '{BREACHED_BUCKET}'
                    when resolution_target_used_pct >= 90 then '{NEARING_BUCKETS[2]}'
                    when resolution_target_used_pct >= 75 then '{NEARING_BUCKETS[1]}'
                    else '{NEARING_BUCKETS[0]}' end as target_used_bucket,
               priority, count(*) as tickets
        from marts.incident_sla
        where is_open and resolution_target_used_pct >= 50
        group by all
        order by target_used_bucket, priority
    """)


def _open_ticket_columns(measures: str) -> str:
    """The columns of the two lists of open tickets: who and what, ``measures`` (how far
    past or how near its target) first, then its age and target, service and group."""
    return f"""ticket_id, priority, {measures},
               {working_days("age_business_minutes")} as age_working_days,
               {hours("resolution_target_minutes")} as resolution_target_hours,
               service_code, service_name_pl, final_group_code, opened_at"""


def breached_tickets(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open tickets past their resolution target (≥ 100 % of it used), the longest overrun
    first: how far past the target each one is, in working days."""
    overrun = working_days("age_business_minutes - resolution_target_minutes")
    return _service_names(con, read(con, f"""
        select {_open_ticket_columns(f"{overrun} as overrun_working_days")}
        from marts.incident_sla
        where is_open and resolution_target_used_pct >= 100
        order by age_business_minutes - resolution_target_minutes desc, ticket_id
    """))


def nearing_breach_tickets(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open tickets not yet breached that have used ≥ 50 % of their resolution target, the
    highest share first, with the hours left to the target."""
    left = hours("resolution_target_minutes - age_business_minutes")
    return _service_names(con, read(con, f"""
        select {_open_ticket_columns(f"resolution_target_used_pct, {left} as time_left_hours")}
        from marts.incident_sla
        where is_open and resolution_target_used_pct >= 50 and resolution_target_used_pct < 100
        order by resolution_target_used_pct desc, ticket_id
    """))


def by_service(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    sla = kpi_formula(con, "incident_sla_met_pct",
                      "count(*) filter (where is_sla_met and resolved_at is not null)",
                      "count(resolved_at)")
    return _service_names(con, read(con, f"""
        select service_code, any_value(service_name_pl) as service_name_pl,
               count(*) as tickets_opened,
               count(resolved_at) as tickets_resolved,
               {sla} as sla_met_pct,
               {hours("median(resolution_business_minutes)")}
                   as median_resolution_business_hours,
               count(*) filter (where is_open) as open_tickets
        from marts.incident_sla
        where opened_month between ? and ?
        group by all
        order by tickets_opened desc, service_code
    """, [first, last]))


def by_group(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    return read(con, f"""
        select group_code, {_sla_measures(con)}
        from marts.incident_sla_monthly
        where month_start between ? and ?
        group by all
        order by tickets_opened desc, group_code
    """, [first, last])


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    def distinct(col: str) -> list[Any]:
        rows = con.execute(
            f"select distinct {col} from marts.incident_sla where {col} is not null order by 1"
        ).fetchall()
        return [r[0] for r in rows]

    return {"priority": distinct("priority"), "service_code": distinct("service_code"),
            "final_group_code": distinct("final_group_code")}


TICKET_COLUMNS = (
    "ticket_id, ticket_type, priority, service_code, service_name_pl, requester_unit, "
    "final_group_code, channel, opened_at, first_response_at, resolved_at, "
    f"{hours('response_business_minutes')} as response_business_hours, "
    f"{hours('resolution_business_minutes')} as resolution_business_hours, "
    f"{hours('resolution_calendar_minutes')} as resolution_calendar_hours, "
    f"{hours('resolution_target_minutes')} as resolution_target_hours, "
    "is_sla_met, is_first_line_resolved, escalation_count, "
    "has_escalation_without_comment, is_open, "
    f"{working_days('age_business_minutes')} as age_working_days, resolution_target_used_pct"
)


def _ticket_filter(first: date, last: date, priority: int | None, service_code: str | None,
                   group_code: str | None, only_open: bool, only_breached: bool
                   ) -> tuple[str, list[Any]]:
    sql = """
        from marts.incident_sla
        where opened_month between ? and ?
          and (? is null or priority = ?)
          and (? is null or service_code = ?)
          and (? is null or final_group_code = ?)
          and (not ? or is_open)
          and (not ? or (not is_sla_met and resolved_at is not null)
                     or coalesce(resolution_target_used_pct, 0) >= 100)
    """
    return sql, [first, last, priority, priority, service_code, service_code, group_code,
                 group_code, only_open, only_breached]


def ticket_list(con: duckdb.DuckDBPyConnection, first: date, last: date,
                priority: int | None = None, service_code: str | None = None,
                group_code: str | None = None, only_open: bool = False,
                only_breached: bool = False, offset: int = 0, limit: int | None = None
                ) -> pl.DataFrame:
    """The tickets behind the charts, filtered (every filter a parameter), newest first;
    ``offset``/``limit`` give one page of it."""
    where, params = _ticket_filter(first, last, priority, service_code, group_code, only_open,
                                   only_breached)
    page = "" if limit is None else f" limit {int(limit)} offset {int(offset)}"
    return _service_names(con, read(
        con, f"select {TICKET_COLUMNS} {where} order by opened_at desc, ticket_id{page}", params))


def ticket_count(con: duckdb.DuckDBPyConnection, first: date, last: date,
                 priority: int | None = None, service_code: str | None = None,
                 group_code: str | None = None, only_open: bool = False,
                 only_breached: bool = False) -> int:
    where, params = _ticket_filter(first, last, priority, service_code, group_code, only_open,
                                   only_breached)
    return int(scalar(con, f"select count(*) {where}", params))
