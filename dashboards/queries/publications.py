"""Publications on KPUM, MPI and BIP: ready → published, and stale service cards."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import month_range, read


def publication_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "publications", "ready_month")


def by_portal_month(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    return read(con, """
        select ready_month as month_start, portal,
               count(*) as publications,
               count(*) filter (where is_published) as published,
               count(*) filter (where is_published_within_1_working_day) as within_1wd,
               100.0 * count(*) filter (where is_published_within_1_working_day)
                   / nullif(count(*) filter (where is_published), 0) as within_1wd_pct,
               median(working_days_to_publish) as median_working_days
        from marts.publications
        where ready_month between ? and ?
        group by all
        order by month_start, portal
    """, [first, last])


def by_unit(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    return read(con, """
        select owner_unit, any_value(owner_unit_name_pl) as owner_unit_name_pl,
               count(*) as publications,
               count(*) filter (where is_published) as published,
               100.0 * count(*) filter (where is_published_within_1_working_day)
                   / nullif(count(*) filter (where is_published), 0) as within_1wd_pct,
               median(working_days_to_publish) as median_working_days,
               quantile_cont(working_days_to_publish, 0.9) as p90_working_days
        from marts.publications
        where ready_month between ? and ?
        group by all
        order by within_1wd_pct asc nulls last, owner_unit
    """, [first, last])


def stale_cards(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(con, """
        select card_id, title_pl, responsible_unit_name_pl, online_available,
               last_reviewed_at, days_since_review
        from marts.service_card_freshness
        where is_stale
        order by days_since_review desc, card_id
    """)
