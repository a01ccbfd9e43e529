"""Source contracts: the column names, types and rules of every extract — their one home.

Everything that knows a contract derives it from here: the generator, the loader and its
rules, the raw schema, the Great Expectations raw suites, the build's default as_of and
holiday calendar, dbt's sources (``dbt/models/staging/_sources.yml``, generated, with the
key and the known-at rule each staging model reads) and the contract specification a
city's IT exports to (``docs/CONTRACTS.md``, generated). ``python -m
warehouse.contract_docs`` writes both generated files; a test fails when they are stale.

Types are logical types (``DUCKDB_TYPES`` maps them onto the raw layer). PII columns are
stored only as a keyed hash, under ``<column>_hash`` (see :mod:`warehouse.pii`). A
timestamp or date column is a *moment*: ``event`` (something that happened — it moves the
default as_of and the working calendar, and staging leaves it out when it happened after
as_of) or ``plan`` (a planned or validity date, which may lie in the future).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["str", "int", "float", "bool", "timestamp", "date"]
Moment = Literal["event", "plan"]

DUCKDB_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}

# The moment an extract was taken, on every raw row (and in raw.load_audit): "newer" means
# extracted later, not loaded later (see warehouse.loading.writing).
EXTRACTED_AT = "_extracted_at"

# The channels of the register of citizens' reports (submissions): DK-03's electronic
# channels first, then every other way a report comes in (staff: raised by a city crew or
# employee). DK-03's KPIs keep to the electronic ones (seeds/kpi_definitions.csv, scope).
ELECTRONIC_CHANNELS = ("portal", "email", "mobile_app", "epuap")
SUBMISSION_CHANNELS = (*ELECTRONIC_CHANNELS, "phone", "walk_in", "letter", "staff", "other")

# Reference sets the loader checks foreign keys against.
REF_UNITS = "org_units"  # seeds/org_units.csv unit_code
REF_SERVICES = "it_services"  # raw.it_services / it_services file of the same load
REF_TOPICS = "kck_topics"  # seeds/kck_topics.csv topic_code
REF_PORTAL_AREAS = "portal_areas"  # seeds/portal_areas.csv area_code
REF_TICKETS = "tickets"  # raw.tickets / tickets file of the same load
REF_PROJECTS = "sc_projects"
# raw.working_calendars (written by `cityops import` from a profile's or mapping's
# [calendar]) plus DEFAULT_CALENDAR, which is no row of it: UMK's office calendar (Mon–Fri,
# the office hours of dbt_project.yml, Polish public holidays) — what an empty code means
REF_CALENDARS = "working_calendars"
DEFAULT_CALENDAR = "UMK"
DEFAULT_CALENDAR_HOLIDAYS = "PL"  # the country whose public holidays UMK does not work


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
    doc: str = ""  # what the column holds, for the contract specification and dbt docs
    moment: Moment | None = None  # timestamps are events unless said otherwise

    def __post_init__(self) -> None:
        if self.type == "timestamp" and self.moment is None:
            object.__setattr__(self, "moment", "event")
        if (self.moment is not None) != (self.type in ("timestamp", "date")):
            raise ValueError(f"{self.name}: a moment is a timestamp or a date, and every "
                             "date says whether it is an event or a plan")

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
    # SQL over the contract's columns: the moment a row becomes known to the city (staging
    # leaves out rows known after as_of; freshness is the age of the newest one). None: a
    # catalogue or snapshot, every row known whenever it was loaded.
    known_at: str | None = None
    # A source that happens in time is stale when its newest row known at the build's as_of
    # is more than this many days older than as_of (the freshness suite of `cityops check`
    # and marts.source_freshness, which the overview and the monthly pack show)
    freshness_days: int = 14
    # A child contract whose rows a feed delivers as the set of one parent record (a
    # ticket's events, a project's milestones): the parent's key. Which extract is newer is
    # decided per set, and a delivery that is the record's whole set (``whole_set``: SQL
    # aggregate over the set's rows in one file) replaces the set in raw.
    set_key: tuple[str, ...] | None = None
    whole_set: str | None = None
    # The contract whose feed delivers the parent record named by ``set_key`` (tickets for
    # a ticket's events): a row whose parent is not in raw yet waits in
    # raw.<contract>__pending and is checked again when the parent arrives.
    parent: str | None = None
    # The earliest plausible moment of the contract: a timestamp or date before it is
    # rejected, naming the column (configurable per contract; FLOOR by default).
    floor: str = "2000-01-01"

    @property
    def unit_key(self) -> tuple[str, ...]:
        """The columns whose values name one unit of delivery: the set key of a child
        contract, else the natural key."""
        return self.set_key or self.key

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def moments(self, kind: Moment, types: tuple[str, ...] = ("timestamp", "date")
                ) -> list[str]:
        """The columns that are moments of ``kind`` (and of ``types``), in contract order."""
        return [c.name for c in self.columns if c.moment == kind and c.type in types]


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
                Column("ticket_id", "str", max_chars=40,
                       doc="The ticket's number in the service desk."),
                Column("opened_at", "timestamp",
                       doc="When the ticket was registered (local time)."),
                Column("ticket_type", "str", allowed=("incident", "service_request"),
                       doc="An incident (something broke) or a service request."),
                Column("service_code", "str", ref=REF_SERVICES,
                       doc="The IT service of the COI catalogue the ticket is about; its "
                           "support hours choose the clock the SLA runs on."),
                Column("requester_unit", "str", ref=REF_UNITS,
                       doc="The unit of the person who reported it (unit code)."),
                Column(
                    "channel", "str", allowed=("phone", "email", "portal", "walk_in", "monitoring"),
                    doc="How the ticket came in."),
                Column("priority", "int", min=1, max=4,
                       doc="Priority at registration, 1 highest; events may change it."),
                Column("summary", "str", required=False, max_chars=4000,
                       doc="Short description (free text)."),
                Column("calendar_code", "str", required=False, ref=REF_CALENDARS,
                       max_chars=40,
                       doc="The working calendar its business clock runs on (weekdays, "
                           "hours, holidays of its source; `cityops import` fills it from "
                           "the profile's or mapping's [calendar]). Empty or UMK: the UMK "
                           "office calendar (Mon–Fri 07:30–15:30, Polish public "
                           "holidays)."),
            ),
            key=("ticket_id",),
            description="One row per service-desk ticket as registered by IT-02-3.",
            known_at="opened_at",
        ),
        Contract(
            "ticket_events",
            "SI UMK service desk (ITIL)",
            (
                Column("ticket_id", "str", ref=REF_TICKETS,
                       doc="The ticket the event belongs to."),
                Column("event_at", "timestamp", doc="When it happened (local time)."),
                Column("event", "str", allowed=TICKET_EVENTS,
                       doc="The state change: opened, acknowledged, assigned, escalated, "
                           "on_hold (awaiting the user: the SLA clock stops), resumed, "
                           "resolved, reopened, closed."),
                Column("group_code", "str", ref=REF_UNITS,
                       doc="The unit holding the ticket after the event (IT-02-3 is the "
                           "first line)."),
                Column("priority", "int", min=1, max=4,
                       doc="The ticket's priority after the event."),
                Column("comment_chars", "int", min=0, max=100_000,
                       doc="Length of the comment written with the event (0 = none); an "
                           "escalation needs a full comment."),
                Column("event_seq", "int", required=False, min=0,
                       doc="The event's place in its ticket's history as the source "
                           "numbers it (ServiceNow's sys_mod_count, or the file order): "
                           "orders events logged in the same minute. Optional: without "
                           "it, events of one instant are ordered by their kind."),
            ),
            # event_seq may be empty: an empty one is a value of the key like any other
            # (two rows equal but for an empty event_seq are the same event)
            key=("ticket_id", "event_at", "event", "event_seq"),
            description="One row per state change of a ticket; group_code holds it afterwards.",
            known_at="event_at",
            # a delivery of a ticket's events that holds its 'opened' event is its whole
            # history (a correction replaces it); without one it adds events
            set_key=("ticket_id",),
            whole_set="bool_or(event = 'opened')",
            parent="tickets",
        ),
        Contract(
            "calls",
            "FENIX CALL CENTER + Atmosfera KCK",
            (
                Column("call_id", "str", max_chars=40, doc="The call's id in the switch."),
                Column("queue", "str", max_chars=200,
                       doc="The telephony queue as the switch names it (free text; case and "
                           "spaces are normalised in staging)."),
                Column("offered_at", "timestamp",
                       doc="When the call reached the queue (local time)."),
                Column("answered_at", "timestamp", required=False,
                       doc="When an agent answered; empty when the caller hung up first."),
                Column("ended_at", "timestamp", doc="When the call ended."),
                Column("agent_id", "str", required=False, max_chars=40,
                       doc="The agent who answered."),
                Column("caller_number", "str", required=False, pii=True, max_chars=40,
                       doc="The caller's phone number: stored only as a keyed hash, so "
                           "repeat callers can be counted without keeping the number."),
                Column(
                    "record_type",
                    "str",
                    required=False,
                    allowed=("information", "problem", "idea", "survey"),
                    doc="What the consultant recorded: information given, a problem or an "
                        "idea reported, a survey."),
                Column("topic_code", "str", required=False, ref=REF_TOPICS,
                       doc="The KCK topic of the call."),
                Column("forwarded_unit", "str", required=False, ref=REF_UNITS,
                       doc="The unit the matter was passed to, if any."),
                Column("resolved_on_call", "bool", required=False,
                       doc="Whether the matter was settled during the call."),
            ),
            key=("call_id",),
            order_rules=(("answered_at", "offered_at"), ("ended_at", "offered_at"),
                         ("ended_at", "answered_at")),
            description="One row per call offered to a KCK queue; abandoned: no answered_at.",
            # the switch writes a call's record when it ends
            known_at="coalesce(ended_at, answered_at, offered_at)",
        ),
        Contract(
            "submissions",
            "Atmosfera KCK (the register of citizens' reports; DK-03's electronic channels)",
            (
                Column("submission_id", "str", max_chars=40,
                       doc="The submission's number in Atmosfera KCK."),
                Column("received_at", "timestamp", doc="When it was received (local time)."),
                Column("channel", "str", allowed=SUBMISSION_CHANNELS,
                       doc="How it came in: an electronic channel of DK-03 (portal, email, "
                           "mobile_app, epuap), or phone, walk_in, letter, staff (raised by "
                           "a city crew or employee), other."),
                Column("kind", "str", allowed=("problem", "idea"),
                       doc="A problem to fix or an idea."),
                Column("topic_code", "str", ref=REF_TOPICS, doc="The KCK topic."),
                Column("district", "int", required=False, min=1, max=18,
                       doc="The Kraków district (dzielnica) it concerns, 1–18."),
                Column("submitter_email", "str", required=False, pii=True, max_chars=320,
                       doc="The submitter's e-mail: stored only as a keyed hash."),
                Column("forwarded_at", "timestamp", required=False,
                       doc="When DK-03 forwarded it to the responsible unit."),
                Column("responsible_unit", "str", required=False, ref=REF_UNITS,
                       doc="The unit it was forwarded to."),
                Column("unit_replied_at", "timestamp", required=False,
                       doc="When that unit replied."),
                Column("closed_at", "timestamp", required=False,
                       doc="When the submission was closed."),
                Column("outcome", "str", allowed=("resolved", "rejected", "duplicate", "open"),
                       doc="How it ended (open while not closed)."),
                Column("call_id", "str", required=False, max_chars=40,
                       doc="For a report taken by phone at KCK: the call it came from "
                           "(calls.call_id), so the problem counts once, as the call."),
            ),
            key=("submission_id",),
            order_rules=(("forwarded_at", "received_at"), ("unit_replied_at", "forwarded_at"),
                         ("closed_at", "received_at")),
            description="One row per citizen's problem or idea, from every channel.",
            known_at="received_at",
        ),
        Contract(
            "publications",
            "KPUM / MPI / BIP editorial systems",
            (
                Column("publication_id", "str", max_chars=40,
                       doc="The publication request's id."),
                Column("portal", "str", allowed=("KPUM", "MPI", "BIP"),
                       doc="The portal: KPUM (city services portal), MPI (Magiczny Kraków) "
                           "or BIP (Public Information Bulletin)."),
                Column("portal_area", "str", ref=REF_PORTAL_AREAS,
                       doc="The area of the portal (seeds/portal_areas.csv)."),
                Column(
                    "content_type", "str",
                    allowed=("service_card", "news", "unit_page", "document"),
                    doc="What is published."),
                Column("owner_unit", "str", ref=REF_UNITS,
                       doc="The unit responsible for the content."),
                Column("action", "str", allowed=("create", "update", "unpublish"),
                       doc="Whether the content is created, updated or withdrawn."),
                Column("ready_at", "timestamp",
                       doc="When the content was approved for publication (the clock of "
                           "\"without delay\" starts here)."),
                Column("published_at", "timestamp", required=False,
                       doc="When it appeared on the portal; empty while not published."),
                Column("service_card_id", "str", required=False, max_chars=40,
                       doc="The service card published, for content_type service_card."),
                Column("editor_role", "str", required=False, max_chars=100,
                       doc="The role of the editor who published it."),
            ),
            key=("publication_id",),
            order_rules=(("published_at", "ready_at"),),
            description="One row per publication request on a city portal.",
            known_at="ready_at",
        ),
        Contract(
            "it_services",
            "COI IT service catalogue (IT-01-1)",
            (
                Column("service_code", "str", max_chars=40, doc="The service's code."),
                Column("name_pl", "str", max_chars=300, doc="Its Polish name."),
                Column("name_en", "str", required=False, max_chars=300,
                       doc="Its English name."),
                Column("owner_unit", "str", ref=REF_UNITS,
                       doc="The COI unit that owns the service."),
                Column("criticality", "int", min=1, max=3, doc="1 most critical … 3."),
                Column("support_hours", "str", allowed=("business", "24x7"),
                       doc="business: the SLA clock runs in the office hours of the "
                           "ticket's working calendar (UMK's: Mon–Fri 07:30–15:30, not on "
                           "Polish public holidays); 24x7: always."),
                Column("status", "str", allowed=("active", "planned", "retired"),
                       doc="The service's state in the catalogue."),
                Column("valid_from", "date", moment="plan",
                       doc="First day the catalogue entry applies."),
                Column("valid_to", "date", required=False, moment="plan",
                       doc="Last day it applies; empty while current."),
            ),
            key=("service_code",),
            order_rules=(("valid_to", "valid_from"),),
            description="One row per IT service in the COI catalogue.",
        ),
        Contract(
            "service_cards",
            "KPUM service portfolio",
            (
                Column("card_id", "str", max_chars=40, doc="The card's id on KPUM."),
                Column("title_pl", "str", max_chars=500, doc="Its title."),
                Column("responsible_unit", "str", ref=REF_UNITS,
                       doc="The unit responsible for keeping it current."),
                Column("online_available", "bool",
                       doc="Whether the matter can be settled online."),
                Column("last_reviewed_at", "timestamp",
                       doc="When the card was last reviewed (only the latest review is "
                           "known)."),
            ),
            key=("card_id",),
            description="One row per public service card on KPUM.",
        ),
        Contract(
            "sc_projects",
            "Smart City portfolio (IT-01-4)",
            (
                Column("project_id", "str", max_chars=40, doc="The project's id."),
                Column("name", "str", max_chars=300, doc="The project's name."),
                Column("strategy_area", "str", max_chars=200,
                       doc="The area of the Smart City strategy it serves."),
                Column("owner_unit", "str", ref=REF_UNITS,
                       doc="The unit running the project."),
                Column(
                    "status", "str",
                    allowed=("planned", "in_progress", "on_hold", "completed", "cancelled"),
                    doc="The project's state."),
                Column("planned_start", "date", moment="plan", doc="Planned start."),
                Column("planned_end", "date", moment="plan", doc="Planned end."),
                Column("actual_start", "date", required=False, moment="event",
                       doc="When it really started."),
                Column("actual_end", "date", required=False, moment="event",
                       doc="When it really ended."),
                Column("budget_pln", "float", min=0, max=1e10, doc="Budget, PLN."),
                Column("spent_pln", "float", min=0, max=1e10,
                       doc="Spent so far, PLN (a running total)."),
            ),
            key=("project_id",),
            order_rules=(("planned_end", "planned_start"), ("actual_end", "actual_start")),
            description="One row per Smart City project.",
        ),
        Contract(
            "sc_milestones",
            "Smart City portfolio (IT-01-4)",
            (
                Column("project_id", "str", ref=REF_PROJECTS, doc="The project."),
                Column("milestone", "str", max_chars=300, doc="The milestone's name."),
                Column("due_on", "date", moment="plan", doc="When it is due."),
                Column("done_on", "date", required=False, moment="event",
                       doc="When it was reached."),
            ),
            key=("project_id", "milestone"),
            description="One row per milestone of a Smart City project.",
            set_key=("project_id",),  # the portfolio delivers a project's milestones whole
            whole_set="true",
            parent="sc_projects",
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
# a child waits for a parent that loads before it, keyed by the same columns; its rows wait
# as text, so it holds no personal data (never kept in clear)
assert all(LOAD_ORDER.index(c.parent) < LOAD_ORDER.index(c.name)
           and c.set_key == CONTRACTS[c.parent].key and not any(col.pii for col in c.columns)
           for c in CONTRACTS.values() if c.parent is not None)
# the raw table each reference set of another contract is
REF_TABLES: dict[str, str] = {REF_SERVICES: "it_services", REF_TICKETS: "tickets",
                              REF_PROJECTS: "sc_projects"}
assert all(LOAD_ORDER.index(REF_TABLES[c.ref]) < LOAD_ORDER.index(name)
           for name, contract in CONTRACTS.items() for c in contract.columns
           if c.ref in REF_TABLES), "LOAD_ORDER must load a referenced contract first"


def event_timestamps() -> tuple[tuple[str, str], ...]:
    """(contract, column) of every event timestamp: the latest of them is the default
    as_of (the latest moment the data knows), and a row of an earlier load with one of them
    between two as_ofs makes an incremental build impossible."""
    return tuple((c.name, col) for c in CONTRACTS.values() for col in c.moments(
        "event", ("timestamp",)))


def event_moments() -> tuple[tuple[str, str], ...]:
    """(contract, column) of every event timestamp and date: the years they span (and
    as_of's) are the years the working calendar must cover."""
    return tuple((c.name, col) for c in CONTRACTS.values() for col in c.moments("event"))


def latest_moment_sql(contract: Contract, ref=lambda name: f'"{name}"') -> str | None:
    """SQL: the latest moment of one row (``ref`` maps a column name to its SQL), its event
    moments first: the row's own progress, and (its maximum over a file) the extraction
    time of a file that does not say when it was taken. None: the contract has no moment."""
    def latest(names: list[str]) -> str | None:
        return (f"greatest({', '.join(f'CAST({ref(n)} AS TIMESTAMP)' for n in names)})"
                if names else None)
    events, plans = latest(contract.moments("event")), latest(contract.moments("plan"))
    if events and plans:
        return f"coalesce({events}, {plans})"
    return events or plans


def raw_table_ddl(contract: Contract) -> str:
    """CREATE TABLE for raw.<contract>: typed contract columns plus load metadata."""
    cols = [f'"{c.stored_name}" {DUCKDB_TYPES[c.type]}' for c in contract.columns]
    cols += ['"_load_id" VARCHAR', '"_source_file" VARCHAR', '"_source_row" BIGINT',
             f'"{EXTRACTED_AT}" TIMESTAMP']
    return f"CREATE TABLE IF NOT EXISTS raw.{contract.name} (\n  " + ",\n  ".join(cols) + "\n)"


def history_table_ddl(contract: Contract) -> str:
    """CREATE TABLE for raw.<contract>__history: versions of records that did not win — a
    row from an older extract than the version raw holds — typed and hashed as raw, with
    why it is there."""
    cols = [f'"{c.stored_name}" {DUCKDB_TYPES[c.type]}' for c in contract.columns]
    cols += ['"_load_id" VARCHAR', '"_source_file" VARCHAR', '"_source_row" BIGINT',
             f'"{EXTRACTED_AT}" TIMESTAMP', '"history_reason" VARCHAR']
    return (f"CREATE TABLE IF NOT EXISTS raw.{contract.name}__history (\n  "
            + ",\n  ".join(cols) + "\n)")


def pending_table_ddl(contract: Contract) -> str:
    """CREATE TABLE for raw.<contract>__pending: rows of a child contract waiting for their
    parent record (a ticket's events delivered before the ticket) — the original text, the
    parent key they wait for, and what the release needs to load them as their own file
    did (its extraction time, bytes' sha256 and the reference kinds whose unknown codes its
    reader kept unmapped, comma-separated)."""
    cols = [f'"{c.name}" VARCHAR' for c in contract.columns]
    cols += ['"pending_reason" VARCHAR', '"pending_key" VARCHAR', '"_load_id" VARCHAR',
             '"_source_file" VARCHAR', '"_source_row" BIGINT', f'"{EXTRACTED_AT}" TIMESTAMP',
             '"_sha256" VARCHAR', '"_unmapped" VARCHAR']
    return (f"CREATE TABLE IF NOT EXISTS raw.{contract.name}__pending (\n  "
            + ",\n  ".join(cols) + "\n)")


def parent_key_sql(contract: Contract, ref) -> str:
    """SQL: the parent key of a child contract's row as one text (``ref`` maps a column
    name to its SQL); the same expression over the parent's own key columns names it."""
    assert contract.set_key is not None
    return " || '|' || ".join(f"CAST({ref(k)} AS VARCHAR)" for k in contract.set_key)


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
  finished_at TIMESTAMP,
  extracted_at TIMESTAMP,
  rows_pending BIGINT,
  unmapped VARCHAR
)
"""
