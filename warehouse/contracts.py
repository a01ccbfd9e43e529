"""Source contracts: the column names, types and rules of every extract (DESIGN.md).

Column names are an interface shared by the generator, the loader, dbt sources and the
docs: change them here and nowhere else.  Types are logical types; ``duckdb_type`` maps
them onto the raw layer.  PII columns are stored only as a keyed hash, under
``<column>_hash`` (see :mod:`warehouse.pii`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["str", "int", "float", "bool", "timestamp", "date"]

DUCKDB_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}

# Reference sets the loader checks foreign keys against.
REF_UNITS = "org_units"  # seeds/org_units.csv unit_code
REF_SERVICES = "it_services"  # raw.it_services / it_services file of the same load
REF_TOPICS = "kck_topics"  # seeds/kck_topics.csv topic_code
REF_PORTAL_AREAS = "portal_areas"  # seeds/portal_areas.csv area_code
REF_TICKETS = "tickets"  # raw.tickets / tickets file of the same load
REF_PROJECTS = "sc_projects"


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    required: bool = True  # value must be present (not empty)
    allowed: tuple[str, ...] | None = None  # allowed values (compared as text)
    min: float | None = None
    max: float | None = None
    ref: str | None = None  # foreign key into a reference set (REF_*)
    pii: bool = False
    max_chars: int | None = None

    @property
    def stored_name(self) -> str:
        """Name of the column in raw.*: PII columns are stored hashed, under a new name."""
        return f"{self.name}_hash" if self.pii else self.name


@dataclass(frozen=True)
class Contract:
    name: str
    system: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    # (later_column, earlier_column): later must not be before earlier when both present
    order_rules: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TICKET_EVENTS = (
    "opened",
    "acknowledged",
    "assigned",
    "escalated",
    "on_hold",
    "resumed",
    "resolved",
    "reopened",
    "closed",
)

CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in [
        Contract(
            "tickets",
            "SI UMK service desk (ITIL)",
            (
                Column("ticket_id", "str", max_chars=40),
                Column("opened_at", "timestamp"),
                Column("ticket_type", "str", allowed=("incident", "service_request")),
                Column("service_code", "str", ref=REF_SERVICES),
                Column("requester_unit", "str", ref=REF_UNITS),
                Column(
                    "channel", "str", allowed=("phone", "email", "portal", "walk_in", "monitoring")
                ),
                Column("priority", "int", min=1, max=4),
                Column("summary", "str", required=False, max_chars=4000),
            ),
            key=("ticket_id",),
            description="One row per service-desk ticket as registered by IT-02-3.",
        ),
        Contract(
            "ticket_events",
            "SI UMK service desk (ITIL)",
            (
                Column("ticket_id", "str", ref=REF_TICKETS),
                Column("event_at", "timestamp"),
                Column("event", "str", allowed=TICKET_EVENTS),
                Column("group_code", "str", ref=REF_UNITS),
                Column("priority", "int", min=1, max=4),
                Column("comment_chars", "int", min=0, max=100_000),
            ),
            key=("ticket_id", "event_at", "event"),
            description="One row per state change of a ticket; group_code holds it afterwards.",
        ),
        Contract(
            "calls",
            "FENIX CALL CENTER + Atmosfera KCK",
            (
                Column("call_id", "str", max_chars=40),
                Column("queue", "str", max_chars=200),
                Column("offered_at", "timestamp"),
                Column("answered_at", "timestamp", required=False),
                Column("ended_at", "timestamp"),
                Column("agent_id", "str", required=False, max_chars=40),
                Column("caller_number", "str", required=False, pii=True, max_chars=40),
                Column(
                    "record_type",
                    "str",
                    required=False,
                    allowed=("information", "problem", "idea", "survey"),
                ),
                Column("topic_code", "str", required=False, ref=REF_TOPICS),
                Column("forwarded_unit", "str", required=False, ref=REF_UNITS),
                Column("resolved_on_call", "bool", required=False),
            ),
            key=("call_id",),
            order_rules=(("answered_at", "offered_at"), ("ended_at", "offered_at"),
                         ("ended_at", "answered_at")),
            description="One row per call offered to a KCK queue; abandoned: no answered_at.",
        ),
        Contract(
            "submissions",
            "Atmosfera KCK (electronic channels, DK-03)",
            (
                Column("submission_id", "str", max_chars=40),
                Column("received_at", "timestamp"),
                Column("channel", "str", allowed=("portal", "email", "mobile_app", "epuap")),
                Column("kind", "str", allowed=("problem", "idea")),
                Column("topic_code", "str", ref=REF_TOPICS),
                Column("district", "int", required=False, min=1, max=18),
                Column("submitter_email", "str", required=False, pii=True, max_chars=320),
                Column("forwarded_at", "timestamp", required=False),
                Column("responsible_unit", "str", required=False, ref=REF_UNITS),
                Column("unit_replied_at", "timestamp", required=False),
                Column("closed_at", "timestamp", required=False),
                Column("outcome", "str", allowed=("resolved", "rejected", "duplicate", "open")),
            ),
            key=("submission_id",),
            order_rules=(("forwarded_at", "received_at"), ("unit_replied_at", "forwarded_at"),
                         ("closed_at", "received_at")),
            description="One row per problem or idea received through an electronic channel.",
        ),
        Contract(
            "publications",
            "KPUM / MPI / BIP editorial systems",
            (
                Column("publication_id", "str", max_chars=40),
                Column("portal", "str", allowed=("KPUM", "MPI", "BIP")),
                Column("portal_area", "str", ref=REF_PORTAL_AREAS),
                Column(
                    "content_type", "str",
                    allowed=("service_card", "news", "unit_page", "document"),
                ),
                Column("owner_unit", "str", ref=REF_UNITS),
                Column("action", "str", allowed=("create", "update", "unpublish")),
                Column("ready_at", "timestamp"),
                Column("published_at", "timestamp", required=False),
                Column("service_card_id", "str", required=False, max_chars=40),
                Column("editor_role", "str", required=False, max_chars=100),
            ),
            key=("publication_id",),
            order_rules=(("published_at", "ready_at"),),
            description="One row per publication request on a city portal.",
        ),
        Contract(
            "it_services",
            "COI IT service catalogue (IT-01-1)",
            (
                Column("service_code", "str", max_chars=40),
                Column("name_pl", "str", max_chars=300),
                Column("name_en", "str", required=False, max_chars=300),
                Column("owner_unit", "str", ref=REF_UNITS),
                Column("criticality", "int", min=1, max=3),
                Column("support_hours", "str", allowed=("business", "24x7")),
                Column("status", "str", allowed=("active", "planned", "retired")),
                Column("valid_from", "date"),
                Column("valid_to", "date", required=False),
            ),
            key=("service_code",),
            order_rules=(("valid_to", "valid_from"),),
            description="One row per IT service in the COI catalogue.",
        ),
        Contract(
            "service_cards",
            "KPUM service portfolio",
            (
                Column("card_id", "str", max_chars=40),
                Column("title_pl", "str", max_chars=500),
                Column("responsible_unit", "str", ref=REF_UNITS),
                Column("online_available", "bool"),
                Column("last_reviewed_at", "timestamp"),
            ),
            key=("card_id",),
            description="One row per public service card on KPUM.",
        ),
        Contract(
            "sc_projects",
            "Smart City portfolio (IT-01-4)",
            (
                Column("project_id", "str", max_chars=40),
                Column("name", "str", max_chars=300),
                Column("strategy_area", "str", max_chars=200),
                Column("owner_unit", "str", ref=REF_UNITS),
                Column(
                    "status", "str",
                    allowed=("planned", "in_progress", "on_hold", "completed", "cancelled"),
                ),
                Column("planned_start", "date"),
                Column("planned_end", "date"),
                Column("actual_start", "date", required=False),
                Column("actual_end", "date", required=False),
                Column("budget_pln", "float", min=0, max=1e10),
                Column("spent_pln", "float", min=0, max=1e10),
            ),
            key=("project_id",),
            order_rules=(("planned_end", "planned_start"), ("actual_end", "actual_start")),
            description="One row per Smart City project.",
        ),
        Contract(
            "sc_milestones",
            "Smart City portfolio (IT-01-4)",
            (
                Column("project_id", "str", ref=REF_PROJECTS),
                Column("milestone", "str", max_chars=300),
                Column("due_on", "date"),
                Column("done_on", "date", required=False),
            ),
            key=("project_id", "milestone"),
            description="One row per milestone of a Smart City project.",
        ),
    ]
}

# Load order: referenced contracts before the ones that reference them.
LOAD_ORDER: tuple[str, ...] = (
    "it_services",
    "service_cards",
    "sc_projects",
    "sc_milestones",
    "tickets",
    "ticket_events",
    "calls",
    "submissions",
    "publications",
)
assert set(LOAD_ORDER) == set(CONTRACTS)


def raw_table_ddl(contract: Contract) -> str:
    """CREATE TABLE for raw.<contract>: typed contract columns plus load metadata."""
    cols = [f'"{c.stored_name}" {DUCKDB_TYPES[c.type]}' for c in contract.columns]
    cols += ['"_load_id" VARCHAR', '"_source_file" VARCHAR', '"_source_row" BIGINT']
    return f"CREATE TABLE IF NOT EXISTS raw.{contract.name} (\n  " + ",\n  ".join(cols) + "\n)"


def rejected_table_ddl(contract: Contract) -> str:
    """CREATE TABLE for raw.<contract>__rejected: original values as text, PII hashed."""
    cols = [f'"{c.stored_name}" VARCHAR' for c in contract.columns]
    cols += [
        '"reject_reason" VARCHAR',
        '"_load_id" VARCHAR',
        '"_source_file" VARCHAR',
        '"_source_row" BIGINT',
    ]
    return (
        f"CREATE TABLE IF NOT EXISTS raw.{contract.name}__rejected (\n  "
        + ",\n  ".join(cols)
        + "\n)"
    )


LOAD_AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS raw.load_audit (
  load_id VARCHAR,
  contract VARCHAR,
  file_name VARCHAR,
  sha256 VARCHAR,
  rows_read BIGINT,
  rows_loaded BIGINT,
  rows_rejected BIGINT,
  status VARCHAR,
  message VARCHAR,
  started_at TIMESTAMP,
  finished_at TIMESTAMP
)
"""


def ensure_raw_schema(con) -> None:  # con: duckdb.DuckDBPyConnection
    """Create the raw schema and every raw table (empty) so dbt sources always exist."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for contract in CONTRACTS.values():
        con.execute(raw_table_ddl(contract))
        con.execute(rejected_table_ddl(contract))
    con.execute(LOAD_AUDIT_DDL)
