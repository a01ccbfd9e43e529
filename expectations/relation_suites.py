"""Cross-table suites: relations between raw and marts, and freshness against ``as_of``.

Raw is compared as staging saw it: deduplicated on the key and cut at the build's as_of
(:mod:`expectations.as_of`), so the relations hold for a build at any ``--as-of``.

GX checks one frame at a time, so each suite's frame is ONE row computed by DuckDB from
several tables; the expectations compare its columns (``expect_column_pair_values_to_be_equal``
shows both numbers when they differ).
"""

from __future__ import annotations

from warehouse import reference
from warehouse.contracts import CONTRACTS

from .as_of import AS_OF, BUILD_LOG, known, unreviewed_at_as_of
from .spec import Expectation, Suite, between, equal, not_null

FRESHNESS_DAYS = 14  # newest source row at most this many days before the marts' as_of

# (source table, the moment its rows become known): the newest row known at as_of must be
# close to it
FRESHNESS_SOURCES: tuple[tuple[str, str], ...] = tuple(
    (f"raw.{name}", contract.known_at) for name, contract in CONTRACTS.items()
    if contract.known_at)
MONTHLY_MARTS = ("incident_sla_monthly", "kck_queue_service", "kck_calls_hourly",
                 "unit_workload", "director_kpis")


def _one_row(name: str, columns: dict[str, str], exps: list[Expectation], description: str,
             requires: tuple[str, ...]) -> Suite:
    sql = "select\n  " + ",\n  ".join(f"({expr}) as {alias}" for alias, expr in columns.items())
    return Suite(name=name, sql=sql, expectations=tuple(exps), description=description,
                 requires=requires)


def service_desk_relations() -> Suite:
    cols = {
        "raw_tickets": f"select count(*) from {known('tickets')}",
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
        ("raw.tickets", BUILD_LOG, "marts.incident_sla", "marts.incident_sla_monthly",
         "marts.service_catalogue", "marts.unit_workload"))


def kck_relations() -> Suite:
    cols = {
        "raw_calls": f"select count(*) from {known('calls')}",
        # a known call has ended by as_of, so its answered_at is known too
        "raw_answered_calls": f"select count(*) from {known('calls')}"
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
    ], "queue and hourly totals equal the raw calls ended by as_of; topics never count more "
        "than answered",
        ("raw.calls", BUILD_LOG, "marts.kck_queue_service", "marts.kck_calls_hourly",
         "marts.kck_call_topics"))


def portals_relations() -> Suite:
    cols = {
        "raw_submissions": f"select count(*) from {known('submissions')}",
        "submissions_rows": "select count(*) from marts.submissions",
        "raw_publications": f"select count(*) from {known('publications')}",
        "publications_rows": "select count(*) from marts.publications",
        "raw_service_cards": f"select count(*) from {known('service_cards')}",
        "service_card_rows": "select count(*) from marts.service_card_freshness",
        "raw_cards_unreviewed": unreviewed_at_as_of(),
        "cards_without_review": "select count(*) from marts.service_card_freshness"
                                " where last_reviewed_at is null",
    }
    return _one_row("relations.portals", cols, [
        equal("submissions_rows", "raw_submissions"),
        equal("publications_rows", "raw_publications"),
        equal("service_card_rows", "raw_service_cards"),
        equal("cards_without_review", "raw_cards_unreviewed"),
    ], "submissions and publications known at as_of, service cards: one mart row per raw "
        "row; a card has no review exactly when its review is after as_of",
        ("raw.submissions", BUILD_LOG, "raw.publications", "raw.service_cards", "marts.submissions",
         "marts.publications", "marts.service_card_freshness"))


def catalogue_relations() -> Suite:
    n_units = len(reference.unit_codes())
    cols = {
        "raw_services": f"select count(*) from {known('it_services')}",
        "catalogue_rows": "select count(*) from marts.service_catalogue",
        "raw_projects": f"select count(*) from {known('sc_projects')}",
        "portfolio_rows": "select count(*) from marts.smart_city_portfolio",
        "raw_milestones": f"select count(*) from {known('sc_milestones')}",
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
    """The build's as_of (raw.build_log) is the one as_of_at of every mart; the newest rows
    known at it are recent (a build at an earlier --as-of cuts raw there, so no lag is
    negative); the monthly marts reach its month."""
    as_of = AS_OF
    cols: dict[str, str] = {
        "as_of_at": f"select {as_of}",
        "as_of_values": "select count(distinct as_of_at) from ("
        + f"select {as_of} as as_of_at union all select as_of_at from marts.build_info)",
    }
    exps: list[Expectation] = [not_null("as_of_at"), between("as_of_values", 1, 1)]
    for table, column in FRESHNESS_SOURCES:
        alias = f"lag_days__{table.split('.')[1]}"
        cols[alias] = (f"select date_diff('day', max({column}), {as_of}) "
                       f"from {known(table.split('.')[1])}")
        exps.append(not_null(alias))
        exps.append(between(alias, 0, FRESHNESS_DAYS))
    for mart in MONTHLY_MARTS:
        alias = f"months_behind__{mart}"
        cols[alias] = f"select date_diff('month', max(month_start), {as_of}) from marts.{mart}"
        exps.append(not_null(alias))
        exps.append(between(alias, 0, 1))
    return _one_row(
        "relations.freshness", cols, exps,
        f"one as_of (the build's) across marts; newest source rows known at it within "
        f"{FRESHNESS_DAYS} days of it; monthly marts reach its month",
        (BUILD_LOG, *(t for t, _ in FRESHNESS_SOURCES),
         "marts.build_info", *(f"marts.{m}" for m in MONTHLY_MARTS)))


def relation_suites() -> list[Suite]:
    return [service_desk_relations(), kck_relations(), portals_relations(),
            catalogue_relations(), freshness_suite()]
