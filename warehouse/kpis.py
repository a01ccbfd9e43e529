"""The director KPIs of marts.director_kpis, in the order the overview shows them.

The values are computed in dbt (int_kpi_values); this list is what the Python side — the
dashboards' tile order and the Great Expectations allowed set — agrees on. A test checks it
against the built mart, so the two cannot drift apart silently.
"""

KPI_CODES: tuple[str, ...] = (
    "incident_sla_met_pct",
    "incident_response_sla_met_pct",
    "first_line_resolution_pct",
    "escalations_without_comment_pct",
    "incident_backlog",
    "kck_service_level_pct",
    "kck_abandon_rate_pct",
    "kck_asa_seconds",
    "submissions_overdue_pct",
    "submission_days_to_forward",
    "publications_within_1wd_pct",
    "stale_service_cards_pct",
    "sc_projects_red",
)
