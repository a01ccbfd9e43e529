"""Unit workload: the organisation tree and each unit's work over time."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dashboards.queries.common import month_range, read, with_english_names

# the sources the page's period follows (queries.common.newest_month)
SOURCES = ("tickets", "ticket_events", "calls", "submissions", "publications")

WORKLOAD_MEASURES = ("tickets_requested", "tickets_handled", "escalations_received",
                     "calls_forwarded", "submissions_forwarded", "submissions_overdue",
                     "kck_matters_forwarded", "publications_made")


def org_units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The tree: department → reporting line → unit; the unit codes found in the data that
    the reference data does not name (is_mapped false: no department, no reporting line)
    last."""
    return read(con, """
        select unit_code, name_pl, name_en, department, reporting_line, unit_kind, is_mapped
        from marts.organisation_units
        order by is_mapped desc, department, reporting_line, unit_code
    """)


def workload_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return month_range(con, "unit_workload")


def workload(con: duckdb.DuckDBPyConnection, unit_codes: tuple[str, ...], first: date,
             last: date) -> pl.DataFrame:
    """Monthly workload of the given units (a list parameter, never interpolated)."""
    cols = ", ".join(WORKLOAD_MEASURES)
    return read(con, f"""
        select month_start, unit_code, unit_name_pl, {cols}
        from marts.unit_workload
        where list_contains(?, unit_code) and month_start between ? and ?
        order by unit_code, month_start
    """, [list(unit_codes), first, last])


def busiest_units(con: duckdb.DuckDBPyConnection, first: date, last: date, n: int = 3
                  ) -> list[str]:
    """The ``n`` units with the most work items (every measure summed) in the period, most
    first, by code among equals; only units that had some."""
    total = " + ".join(f"coalesce(sum({m}), 0)" for m in WORKLOAD_MEASURES)
    rows = con.execute(f"""
        select unit_code from marts.unit_workload
        where month_start between ? and ?
        group by unit_code having {total} > 0
        order by {total} desc, unit_code limit ?
    """, [first, last, n]).fetchall()
    return [r[0] for r in rows]


def workload_totals(con: duckdb.DuckDBPyConnection, unit_codes: tuple[str, ...], first: date,
                    last: date) -> pl.DataFrame:
    """The same, summed over the period: one row per unit, for side-by-side comparison."""
    sums = ", ".join(f"sum({m}) as {m}" for m in WORKLOAD_MEASURES)
    return with_english_names(con, read(con, f"""
        select unit_code, any_value(unit_name_pl) as unit_name_pl, {sums}
        from marts.unit_workload
        where list_contains(?, unit_code) and month_start between ? and ?
        group by unit_code
        order by unit_code
    """, [list(unit_codes), first, last]), "unit_name", "unit_code", "marts.organisation_units",
        "unit_code")
