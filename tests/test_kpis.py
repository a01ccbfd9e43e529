"""The Python list of director KPIs is exactly what dbt builds."""

from warehouse.kpis import KPI_CODES
from warehouse.store import connect_read_only


def test_kpi_codes_match_the_mart(built_warehouse):
    con = connect_read_only(built_warehouse)
    try:
        built = {code for (code,) in con.execute(
            "select distinct kpi_code from marts.director_kpis").fetchall()}
    finally:
        con.close()
    assert built == set(KPI_CODES)
    assert len(KPI_CODES) == len(set(KPI_CODES))
