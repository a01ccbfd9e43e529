"""Suites for every mart of the mart contract (/tmp/cityops/MARTS.md → dbt marts/*.yml).

Each suite checks the grain (unique key, not-null key columns), the allowed sets, ranges
(percentages 0–100, counts and durations never negative), order of timestamps, and simple
invariants inside a row (answered ≤ offered, met ≤ resolved…).  Relations *between* tables
live in :mod:`expectations.relation_suites`.
"""

from __future__ import annotations

from warehouse import kpis, reference
from warehouse.contracts import CONTRACTS

from .spec import (
    Expectation,
    Suite,
    between,
    in_set,
    not_before,
    not_null,
    one_value,
    row_count_between,
    true,
    unique,
)

KPI_CODES = set(kpis.KPI_CODES)
BOOL = {True, False}


def _allowed(contract: str, column: str) -> set[str]:
    allowed = CONTRACTS[contract].column(column).allowed
    assert allowed is not None
    return set(allowed)


def _pct(*cols: str) -> list[Expectation]:
    return [between(c, 0, 100) for c in cols]


def _non_negative(*cols: str) -> list[Expectation]:
    return [between(c, 0) for c in cols]


def _keys(*cols: str) -> list[Expectation]:
    return [not_null(c) for c in cols] + [unique(*cols)]


def _suite(table: str, exps: list[Expectation], description: str = "") -> Suite:
    exps = [*exps, row_count_between(1)]
    return Suite(name=f"marts.{table}", table=f"marts.{table}", expectations=tuple(exps),
                 description=description)


def _computed(table: str, extra: str, exps: list[Expectation], description: str = "") -> Suite:
    """A mart suite whose frame adds computed columns (row-level invariants) to the table."""
    cols: dict[str, None] = {}
    for _, kwargs in exps:
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                cols[kwargs[key]] = None
        for c in kwargs.get("column_list", ()):
            cols[c] = None
    computed = {part.rsplit(" as ", 1)[1].strip() for part in extra.split(",\n")}
    plain = ", ".join(f'"{c}"' for c in cols if c not in computed)
    exps = [*exps, row_count_between(1)]
    sql = f"select {plain},\n{extra}\nfrom marts.{table}"
    return Suite(name=f"marts.{table}", sql=sql, expectations=tuple(exps),
                 description=description, requires=(f"marts.{table}",))


def mart_suites() -> list[Suite]:
    units = reference.unit_codes()
    topics = reference.topic_codes()
    areas = reference.portal_area_codes()
    priorities = {1, 2, 3, 4}
    suites: list[Suite] = []

    suites.append(_suite("dim_org_units", [
        *_keys("unit_code"), in_set("unit_code", units), not_null("name_pl"),
        not_null("unit_kind"),
    ], "one row per unit"))

    suites.append(_computed("incident_sla", (
        "coalesce(resolution_business_minutes <= resolution_calendar_minutes + 0.001, true)"
        " as is_business_within_calendar,\n"
        "coalesce(not is_open or age_business_minutes is not null, false) as has_age_if_open"
    ), [
        *_keys("ticket_id"),
        in_set("ticket_type", _allowed("tickets", "ticket_type")),
        in_set("priority", priorities),
        in_set("channel", _allowed("tickets", "channel")),
        in_set("requester_unit", units),
        in_set("final_group_code", units),
        in_set("support_hours", _allowed("it_services", "support_hours")),
        not_null("opened_at"), not_null("opened_month"), not_null("service_code"),
        not_before("first_response_at", "opened_at"),
        not_before("resolved_at", "opened_at"),
        not_before("closed_at", "opened_at"),
        *_non_negative("response_business_minutes", "resolution_business_minutes",
                       "resolution_calendar_minutes", "on_hold_business_minutes",
                       "escalation_count", "reopen_count", "age_business_minutes",
                       "resolution_target_used_pct"),
        between("response_target_minutes", 1), between("resolution_target_minutes", 1),
        in_set("is_open", BOOL), not_null("is_open"),
        in_set("is_sla_met", BOOL), in_set("is_first_line_resolved", BOOL),
        true("is_business_within_calendar"), true("has_age_if_open"),
    ], "one row per ticket"))

    suites.append(_computed("incident_sla_monthly", (
        "coalesce(sla_met_tickets <= tickets_resolved, true) as is_met_within_resolved,\n"
        "coalesce(first_line_resolved_tickets <= tickets_resolved, true)"
        " as is_first_line_within_resolved"
    ), [
        *_keys("month_start", "priority", "group_code"),
        in_set("priority", priorities), in_set("group_code", units),
        *_non_negative("tickets_opened", "tickets_resolved", "sla_met_tickets",
                       "first_line_resolved_tickets", "escalations_without_comment",
                       "backlog_at_month_end", "median_resolution_business_minutes",
                       "p90_resolution_business_minutes"),
        *_pct("sla_met_pct", "response_sla_met_pct", "first_line_resolved_pct"),
        true("is_met_within_resolved"), true("is_first_line_within_resolved"),
    ], "one row per month × priority × group"))

    suites.append(_computed("kck_queue_service", (
        "offered - answered - abandoned as offered_unbalanced,\n"
        "coalesce(short_abandoned <= abandoned and answered_within_20s <= answered, false)"
        " as are_parts_within_totals,\n"
        "queue = upper(trim(queue)) as is_queue_normalised"
    ), [
        *_keys("month_start", "queue"),
        *_non_negative("offered", "answered", "abandoned", "short_abandoned",
                       "answered_within_20s", "asa_seconds", "aht_seconds"),
        between("offered_unbalanced", 0, 0),
        *_pct("service_level_pct", "abandon_rate_pct", "target_service_level_pct",
              "target_abandon_rate_pct"),
        true("are_parts_within_totals"), true("is_queue_normalised"),
    ], "one row per month × queue; answered + abandoned = offered"))

    suites.append(_suite("kck_call_topics", [
        *_keys("month_start", "topic_code"), in_set("topic_code", topics),
        not_null("topic_name_pl"),
        *_non_negative("answered", "aht_seconds", "information", "problems", "ideas",
                       "surveys", "forwarded"),
        *_pct("share_of_answered_pct", "resolved_on_call_pct"),
    ], "one row per month × topic (answered calls)"))

    suites.append(_computed("kck_calls_hourly", (
        "coalesce(answered <= offered and abandoned <= offered, false) as are_parts_within_offered"
    ), [
        *_keys("month_start", "weekday", "hour"),
        between("weekday", 1, 7), between("hour", 0, 23),
        *_non_negative("offered", "answered", "abandoned", "short_abandoned",
                       "answered_within_20s"),
        *_pct("service_level_pct"), true("are_parts_within_offered"),
    ], "one row per month × weekday × hour"))

    suites.append(_suite("submissions", [
        *_keys("submission_id"),
        not_null("received_at"), not_null("received_month"),
        in_set("channel", _allowed("submissions", "channel")),
        in_set("kind", _allowed("submissions", "kind")),
        in_set("outcome", _allowed("submissions", "outcome")),
        in_set("topic_code", topics), in_set("responsible_unit", units),
        between("district", 1, 18),
        not_before("forwarded_at", "received_at"),
        not_before("unit_replied_at", "forwarded_at"),
        not_before("closed_at", "received_at"),
        *_non_negative("days_to_forward", "days_to_unit_reply"),
        in_set("is_open", BOOL), in_set("is_overdue", BOOL), not_null("is_open"),
    ], "one row per submission"))

    suites.append(_suite("unit_workload", [
        *_keys("month_start", "unit_code"), in_set("unit_code", units),
        *_non_negative("tickets_requested", "tickets_handled", "escalations_received",
                       "calls_forwarded", "submissions_forwarded", "submissions_overdue",
                       "publications_made"),
    ], "one row per month × unit"))

    suites.append(_suite("publications", [
        *_keys("publication_id"),
        in_set("portal", _allowed("publications", "portal")),
        in_set("portal_area", areas),
        in_set("content_type", _allowed("publications", "content_type")),
        in_set("action", _allowed("publications", "action")),
        in_set("owner_unit", units), not_null("ready_at"),
        not_before("published_at", "ready_at"),
        *_non_negative("business_minutes_to_publish", "working_days_to_publish"),
        in_set("is_published", BOOL), in_set("is_published_within_1_working_day", BOOL),
    ], "one row per publication"))

    # last_reviewed_at is NULL when the card's review is after as_of (DECISIONS.md § 8);
    # relations.portals checks that it is NULL exactly then
    suites.append(_computed("service_card_freshness", (
        "coalesce((last_reviewed_at is null) = (days_since_review is null)"
        " and (last_reviewed_at is not null or not is_stale), false)"
        " as is_review_consistent,\n"
        "coalesce(last_reviewed_at <= (select as_of_at from marts.build_info), true)"
        " as is_review_not_after_as_of"
    ), [
        *_keys("card_id"), in_set("responsible_unit", units),
        between("days_since_review", 0), in_set("is_stale", BOOL), not_null("is_stale"),
        true("is_review_consistent"), true("is_review_not_after_as_of"),
    ], "one row per service card; no review known at as_of ⇔ no days since review, not stale"))

    suites.append(_computed("service_catalogue", (
        "coalesce(incidents <= tickets and open_tickets <= tickets, false)"
        " as are_parts_within_tickets"
    ), [
        *_keys("service_code"), in_set("owner_unit", units),
        between("criticality", 1, 3),
        in_set("support_hours", _allowed("it_services", "support_hours")),
        in_set("status", _allowed("it_services", "status")),
        *_non_negative("tickets", "incidents", "open_tickets",
                       "median_resolution_business_minutes"),
        *_pct("sla_met_pct"), true("are_parts_within_tickets"),
    ], "one row per IT service"))

    suites.append(_computed("smart_city_portfolio", (
        "coalesce(milestones_done <= milestones_total and milestones_overdue <= milestones_total,"
        " false) as are_milestones_within_total"
    ), [
        *_keys("project_id"), in_set("owner_unit", units),
        in_set("status", _allowed("sc_projects", "status")),
        in_set("rag_status", {"green", "amber", "red"}), not_null("rag_status"),
        not_before("planned_end", "planned_start"),
        *_non_negative("budget_pln", "spent_pln", "budget_burn_pct", "elapsed_pct",
                       "milestones_total", "milestones_done", "milestones_overdue"),
        true("are_milestones_within_total"),
    ], "one row per Smart City project"))

    suites.append(_suite("smart_city_milestones", [
        *_keys("project_id", "milestone"), not_null("due_on"),
        in_set("is_done", BOOL), in_set("is_overdue", BOOL),
    ], "one row per project × milestone"))

    suites.append(_suite("director_kpis", [
        *_keys("month_start", "kpi_code"), in_set("kpi_code", KPI_CODES),
        not_null("kpi_name_pl"),
        in_set("unit", {"%", "min", "s", "count", "days"}),
        in_set("direction", {"higher_is_better", "lower_is_better"}),
        in_set("is_on_target", BOOL),
    ], "one row per month × KPI"))

    suites.append(_suite("director_kpis_by_unit", [
        *_keys("month_start", "kpi_code", "unit_code"), in_set("kpi_code", KPI_CODES),
        # '(none)' is dbt's bucket for rows with no unit (e.g. a submission not yet forwarded)
        in_set("unit_code", units | {"(none)"}),
        *_non_negative("denominator"),
    ], "one row per month × KPI × unit"))
    return suites
