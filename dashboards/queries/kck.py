"""KCK infoline (DK-02) and electronic channels (DK-03).

marts.submissions is the register of citizens' reports from every channel; DK-03's work is
its electronic channels (``is_electronic``), and every DK-03 figure here keeps to them.
:func:`register_by_channel` is the register-wide view (all channels)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import kpi_formula, month_range, read, with_english_names

# the sources the periods of the calls and of DK-03 follow (queries.common.newest_month)
CALL_SOURCES = ("calls",)
SUBMISSION_SOURCES = ("submissions",)


def call_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "kck_queue_service")


def topics_by_month(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    return read(con, """
        select month_start, topic_code, topic_name_pl, topic_name_en, topic_group, answered,
               share_of_answered_pct, aht_seconds, resolved_on_call_pct,
               information, problems, ideas, surveys, forwarded
        from marts.kck_call_topics
        where month_start between ? and ?
        order by month_start, answered desc
    """, [first, last])


def topic_shares(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Answered calls per topic over the period, and each topic's share of them."""
    share = kpi_formula(con, "ratio", "sum(answered)", "sum(sum(answered)) over ()")
    return read(con, f"""
        select topic_code, any_value(topic_name_pl) as topic_name_pl,
               any_value(topic_name_en) as topic_name_en,
               sum(answered) as answered,
               {share} as share_of_answered_pct,
               sum(problems) as problems, sum(ideas) as ideas, sum(forwarded) as forwarded
        from marts.kck_call_topics
        where month_start between ? and ?
        group by all
        order by answered desc, topic_code
    """, [first, last])


def queue_service(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    return read(con, """
        select month_start, queue, offered, answered, abandoned, short_abandoned,
               service_level_pct, target_service_level_pct, abandon_rate_pct,
               target_abandon_rate_pct, asa_seconds, aht_seconds
        from marts.kck_queue_service
        where month_start between ? and ?
        order by month_start, queue
    """, [first, last])


def heatmap(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Offered calls per weekday (1 = Monday) and hour, summed over the period."""
    return read(con, """
        select weekday, hour, sum(offered) as offered, sum(answered) as answered
        from marts.kck_calls_hourly
        where month_start between ? and ?
        group by all
        order by weekday, hour
    """, [first, last])


def submissions_forwarded(con: duckdb.DuckDBPyConnection, first: date, last: date
                          ) -> pl.DataFrame:
    """DK-03: problems and ideas received per month through the electronic channels and
    how many were forwarded to units."""
    return read(con, """
        select received_month as month_start, kind,
               count(*) as submissions,
               count(forwarded_at) as forwarded,
               count(*) filter (where is_overdue) as unanswered_past_due,
               median(days_to_forward) as days_to_forward
        from marts.submissions
        where is_electronic and received_month between ? and ?
        group by all
        order by month_start, kind
    """, [first, last])


def overdue_by_unit(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return with_english_names(con, read(con, """
        select responsible_unit, any_value(responsible_unit_name_pl) as responsible_unit_name_pl,
               count(*) filter (where forwarded_at is not null) as forwarded,
               count(*) filter (where is_open) as still_open,
               count(*) filter (where is_overdue) as unanswered_past_due,
               median(days_to_unit_reply) as days_to_unit_reply
        from marts.submissions
        where is_electronic and responsible_unit is not null
        group by all
        order by unanswered_past_due desc, responsible_unit
    """), "responsible_unit_name", "responsible_unit", "marts.organisation_units", "unit_code")


def overdue_by_district(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, """
        select district, any_value(district_name) as district_name,
               count(*) as submissions,
               count(*) filter (where is_open) as still_open,
               count(*) filter (where is_overdue) as unanswered_past_due
        from marts.submissions
        where is_electronic and district is not null
        group by all
        order by district
    """)


def days_to_close(con: duckdb.DuckDBPyConnection, first: date, last: date
                  ) -> tuple[int, float | None]:
    """DK-03: the electronic submissions closed in the period (by the month of closed_at)
    and their median days to close (None when none closed)."""
    closed, median = con.execute("""
        select count(*), median(days_to_close)
        from marts.submissions
        where is_electronic and days_to_close is not null
          and cast(date_trunc('month', closed_at) as date) between ? and ?
    """, [first, last]).fetchone()
    return closed, None if median is None else float(median)


def register_by_channel(con: duckdb.DuckDBPyConnection, first: date, last: date
                        ) -> pl.DataFrame:
    """The whole register (every channel) over the period: reports received per channel,
    those still open at as_of, and the median days to close of those received in it."""
    return read(con, """
        select channel, is_electronic,
               count(*) as submissions,
               count(*) filter (where is_open) as still_open,
               count(call_id) as from_calls,
               median(days_to_close) as days_to_close
        from marts.submissions
        where received_month between ? and ?
        group by all
        order by is_electronic desc, submissions desc, channel
    """, [first, last])


def submission_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "submissions", "received_month")


def staffing(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Agents needed per weekday × hour (Erlang C, marts.kck_staffing) and the load behind
    them, over the mart's averaging window."""
    return read(con, """
        select weekday, hour, agents_needed, calls_per_hour, aht_seconds, traffic_erlangs,
               predicted_service_level_pct, predicted_asa_seconds, occupancy_pct,
               observed_service_level_pct, open_days, offered, target_service_level_pct,
               answer_threshold_seconds, window_start, window_end
        from marts.kck_staffing
        order by weekday, hour
    """)
