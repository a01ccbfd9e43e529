"""Cross-table suites: relations between raw and marts, and freshness against ``as_of``.

GX checks one frame at a time, so each suite's frame is ONE row computed by DuckDB from
several tables; the expectations compare its columns (``expect_column_pair_values_to_be_equal``
shows both numbers when they differ).
"""

from __future__ import annotations

from warehouse import reference

from .spec import Expectation, Suite, between, equal, not_null

FRESHNESS_DAYS = 14  # newest source row at most this many days before the marts' as_of

# (source table, timestamp column) whose newest row must be close to as_of
FRESHNESS_SOURCES: tuple[tuple[str, str], ...] = (
    ("raw.tickets", "opened_at"),
    ("raw.ticket_events", "event_at"),
    ("raw.calls", "offered_at"),
    ("raw.submissions", "received_at"),
    ("raw.publications", "ready_at"),
)
MARTS_WITH_AS_OF = ("incident_sla", "submissions", "service_card_freshness",
                    "smart_city_portfolio")
MONTHLY_MARTS = ("incident_sla_monthly", "kck_queue_service", "kck_calls_hourly",
                 "unit_workload", "director_kpis")


def _one_row(name: str, columns: dict[str, str], exps: list[Expectation], description: str,
             requires: tuple[str, ...]) -> Suite:
    sql = "select\n  " + ",\n  ".join(f"({expr}) as {alias}" for alias, expr in columns.items())
    return Suite(name=name, sql=sql, expectations=tuple(exps), description=description,
                 requires=requires)


def service_desk_relations() -> Suite:
    cols = {
        "raw_tickets": "select count(distinct ticket_id) from raw.tickets",
        "incident_sla_rows": "select count(*) from marts.incident_sla",
        "monthly_tickets_opened": "select coalesce(sum(tickets_opened), 0)"
                                  " from marts.incident_sla_monthly",
        "catalogue_tickets": "select coalesce(sum(tickets), 0) from marts.service_catalogue",
        "workload_tickets_requested": "select coalesce(sum(tickets_requested), 0)"
                                      " from marts.unit_workload",
        "open_tickets": "select count(*) from marts.incident_sla where is_open",
        "catalogue_open_tickets": "select coalesce(sum(open_tickets), 0)"
                                  " from marts.service_catalogue",
    }
    return _one_row("relations.service_desk", cols, [
        equal("incident_sla_rows", "raw_tickets"),
        equal("monthly_tickets_opened", "incident_sla_rows"),
        equal("catalogue_tickets", "incident_sla_rows"),
        equal("workload_tickets_requested", "incident_sla_rows"),
        equal("catalogue_open_tickets", "open_tickets"),
    ], "incident_sla has one row per raw ticket; monthly, catalogue and workload sums agree",
        ("raw.tickets", "marts.incident_sla", "marts.incident_sla_monthly",
         "marts.service_catalogue", "marts.unit_workload"))


def kck_relations() -> Suite:
    cols = {
        "raw_calls": "select count(distinct call_id) from raw.calls",
        "raw_answered_calls": "select count(distinct call_id) from raw.calls"
                              " where answered_at is not null",
        "queue_offered": "select coalesce(sum(offered), 0) from marts.kck_queue_service",
        "queue_answered": "select coalesce(sum(answered), 0) from marts.kck_queue_service",
        "hourly_offered": "select coalesce(sum(offered), 0) from marts.kck_calls_hourly",
        "hourly_answered": "select coalesce(sum(answered), 0) from marts.kck_calls_hourly",
        "answered_without_topic": "select (select coalesce(sum(answered), 0)"
                                  " from marts.kck_queue_service) - (select"
                                  " coalesce(sum(answered), 0) from marts.kck_call_topics)",
    }
    return _one_row("relations.kck", cols, [
        equal("queue_offered", "raw_calls"),
        equal("queue_answered", "raw_answered_calls"),
        equal("hourly_offered", "raw_calls"),
        equal("hourly_answered", "queue_answered"),
        between("answered_without_topic", 0),
    ], "queue and hourly totals equal the raw calls; topics never count more than answered",
        ("raw.calls", "marts.kck_queue_service", "marts.kck_calls_hourly",
         "marts.kck_call_topics"))


def portals_relations() -> Suite:
    cols = {
        "raw_submissions": "select count(distinct submission_id) from raw.submissions",
        "submissions_rows": "select count(*) from marts.submissions",
        "raw_publications": "select count(distinct publication_id) from raw.publications",
        "publications_rows": "select count(*) from marts.publications",
        "raw_service_cards": "select count(distinct card_id) from raw.service_cards",
        "service_card_rows": "select count(*) from marts.service_card_freshness",
    }
    return _one_row("relations.portals", cols, [
        equal("submissions_rows", "raw_submissions"),
        equal("publications_rows", "raw_publications"),
        equal("service_card_rows", "raw_service_cards"),
    ], "submissions, publications and service cards: one mart row per raw row",
        ("raw.submissions", "raw.publications", "raw.service_cards", "marts.submissions",
         "marts.publications", "marts.service_card_freshness"))


def catalogue_relations() -> Suite:
    n_units = len(reference.unit_codes())
    cols = {
        "raw_services": "select count(distinct service_code) from raw.it_services",
        "catalogue_rows": "select count(*) from marts.service_catalogue",
        "raw_projects": "select count(distinct project_id) from raw.sc_projects",
        "portfolio_rows": "select count(*) from marts.smart_city_portfolio",
        "raw_milestones": "select count(*) from (select distinct project_id, milestone"
                          " from raw.sc_milestones)",
        "milestone_rows": "select count(*) from marts.smart_city_milestones",
        "portfolio_milestones_total": "select coalesce(sum(milestones_total), 0)"
                                      " from marts.smart_city_portfolio",
        "dim_units": "select count(*) from marts.dim_org_units",
    }
    return _one_row("relations.catalogue", cols, [
        equal("catalogue_rows", "raw_services"),
        equal("portfolio_rows", "raw_projects"),
        equal("milestone_rows", "raw_milestones"),
        equal("portfolio_milestones_total", "milestone_rows"),
        between("dim_units", n_units, n_units),
    ], "IT services, Smart City projects and milestones, org units: one mart row per source row",
        ("raw.it_services", "raw.sc_projects", "raw.sc_milestones", "marts.service_catalogue",
         "marts.smart_city_portfolio", "marts.smart_city_milestones", "marts.dim_org_units"))


def freshness_suite() -> Suite:
    as_of = "(select max(as_of_at) from marts.incident_sla)"
    cols: dict[str, str] = {
        "as_of_at": f"select {as_of}",
        "as_of_values": "select count(distinct as_of_at) from ("
        + " union all ".join(f"select as_of_at from marts.{m}" for m in MARTS_WITH_AS_OF)
        + ")",
    }
    exps: list[Expectation] = [not_null("as_of_at"), between("as_of_values", 1, 1)]
    for table, column in FRESHNESS_SOURCES:
        alias = f"lag_days__{table.split('.')[1]}"
        cols[alias] = f"select date_diff('day', max({column}), {as_of}) from {table}"
        exps.append(not_null(alias))
        exps.append(between(alias, 0, FRESHNESS_DAYS))
    for mart in MONTHLY_MARTS:
        alias = f"months_behind__{mart}"
        cols[alias] = f"select date_diff('month', max(month_start), {as_of}) from marts.{mart}"
        exps.append(not_null(alias))
        exps.append(between(alias, 0, 1))
    return _one_row(
        "relations.freshness", cols, exps,
        f"one as_of across marts; newest source rows within {FRESHNESS_DAYS} days of it; "
        "monthly marts reach its month",
        tuple(t for t, _ in FRESHNESS_SOURCES) + tuple(f"marts.{m}" for m in MARTS_WITH_AS_OF)
        + tuple(f"marts.{m}" for m in MONTHLY_MARTS))


def relation_suites() -> list[Suite]:
    return [service_desk_relations(), kck_relations(), portals_relations(),
            catalogue_relations(), freshness_suite()]
