"""Publications on KPUM, MPI and BIP: ready → published, and stale service cards."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import kpi_formula, month_range, read, with_english_names

# the source the page's period follows (queries.common.newest_month)
SOURCES = ("publications",)


def publication_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Months with publications: a publication counts in the month it was published, as
    the director KPI publications_within_1wd_pct counts it."""
    return month_range(con, "publications", "published_month")


def _within_1wd(con: duckdb.DuckDBPyConnection) -> str:
    """The KPI publications_within_1wd_pct over the rows of a group."""
    return kpi_formula(con, "publications_within_1wd_pct",
                       "count(*) filter (where is_published_within_1_working_day)",
                       "count(*) filter (where is_published)")


def by_portal_month(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Per month of publication and portal: published, within one working day, the share
    (the director KPI's figure for the month when summed over portals)."""
    within = _within_1wd(con)
    return read(con, f"""
        select published_month as month_start, portal,
               count(*) as published,
               count(*) filter (where is_published_within_1_working_day) as within_1wd,
               {within} as within_1wd_pct,
               median(working_days_to_publish) as median_working_days
        from marts.publications
        where is_published and published_month between ? and ?
        group by all
        order by month_start, portal
    """, [first, last])


def by_unit(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Per owner unit, the publications published in the period."""
    within = _within_1wd(con)
    return with_english_names(con, read(con, f"""
        select owner_unit, any_value(owner_unit_name_pl) as owner_unit_name_pl,
               count(*) as published,
               {within} as within_1wd_pct,
               median(working_days_to_publish) as median_working_days,
               quantile_cont(working_days_to_publish, 0.9) as p90_working_days
        from marts.publications
        where is_published and published_month between ? and ?
        group by all
        order by within_1wd_pct asc nulls last, owner_unit
    """, [first, last]), "owner_unit_name", "owner_unit", "marts.organisation_units", "unit_code")


def awaiting_publication(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per portal, the content ready but not yet published on the date of the data (it
    counts in no month's share until it is published), and the oldest of it."""
    return read(con, """
        select portal, count(*) as awaiting_publication, min(ready_at) as oldest_ready_at
        from marts.publications
        where not is_published
        group by all
        order by portal
    """)


def stale_cards(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return with_english_names(con, read(con, """
        select card_id, title_pl, responsible_unit, responsible_unit_name_pl, online_available,
               last_reviewed_at, days_since_review
        from marts.service_card_freshness
        where is_stale
        order by days_since_review desc, card_id
    """), "responsible_unit_name", "responsible_unit", "marts.organisation_units", "unit_code")
