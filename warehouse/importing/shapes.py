"""The conversions beyond column mapping, as SQL over the whole file (no row loops).

Each shape fills one temp table per contract it feeds — TEXT columns named as the
contract, ``_source_row`` and ``_field_problem``, as :func:`warehouse.loading.core.
load_stage` reads them — and returns notes for the report.

* ``rows`` (generic): one contract row per native row and feed (or per native row and
  entry of a feed's ``rows``: a list export's opened / resolved / closed become events).
* ``snapshot_log``: ServiceNow's per-update snapshots → ``tickets`` + ``ticket_events``
  (the rules: ``dbt/DECISIONS.md`` § "ServiceNow snapshot log").
* ``stage_times``: an ACD log's per-call stage times → ``calls`` (``dbt/DECISIONS.md``
  § "Queue log").

A contract row derived from several entries of one native row is numbered ``10 × native
row + k`` (k = its place among them), so ``_source_row`` stays unique in the relation and
still names the native record.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.contracts import CONTRACTS
from warehouse.importing.convert import NATIVE, TEXT_TS, Converter, to_local_text
from warehouse.importing.profile import ColumnSpec, ProfileError, canonical
from warehouse.loading.validation import lit, q

ROWS = "_source_row"
PROBLEM = "_field_problem"


@dataclass
class Shaped:
    """The staged relations of one native file, in load order, and the shape's notes."""

    relations: dict[str, str]  # contract -> temp table
    notes: list[str]


def _relation(contract: str) -> str:
    return f"__import_{contract}"


def _select(conv: Converter, contract: str, specs: dict[str, ColumnSpec],
            given: dict[str, str] | None = None) -> list[str]:
    """`expr AS "column"` for every column of the contract (absent: NULL)."""
    given = given or {}
    out = []
    for col in CONTRACTS[contract].column_names:
        if col in given:
            expr = given[col]
        elif col in specs:
            expr = conv.expr(specs[col], col)
        else:
            expr = "CAST(NULL AS VARCHAR)"
        out.append(f"{expr} AS {q(col)}")
    return out


def _create(con: duckdb.DuckDBPyConnection, conv: Converter, table: str, sql: str,
            pads: dict[str, bytes]) -> None:
    params = pads if conv.uses_hash else None
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)


def rows(con: duckdb.DuckDBPyConnection, conv: Converter, pads: dict[str, bytes]) -> Shaped:
    relations, notes = {}, []
    for contract, feed in conv.profile.feeds.items():
        if contract == "shape":
            continue
        table = _relation(contract)
        if not feed.rows:
            conv.problems = []
            cols = _select(conv, contract, feed.columns)
            sql = (f"SELECT {ROWS}, {conv.problem()} AS {PROBLEM}, {', '.join(cols)} "
                   f"FROM {NATIVE}")
        else:
            parts = []
            for k, (extra, skip) in enumerate(feed.rows):
                conv.problems = []
                cols = _select(conv, contract, {**feed.columns, **extra})
                part = (f"SELECT {ROWS} * 10 + {k} AS {ROWS}, {conv.problem()} AS {PROBLEM}, "
                        f"{', '.join(cols)} FROM {NATIVE}")
                if skip is not None:
                    part = f"SELECT * FROM ({part}) WHERE {q(skip)} IS NOT NULL"
                parts.append(part)
            sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {ROWS}"
            notes.append(f"{contract}: up to {len(feed.rows)} rows per native record, "
                         f"_source_row = 10 × native record + k")
        _create(con, conv, table, sql, pads)
        relations[contract] = table
    return Shaped(relations, notes)


# ServiceNow states → what they are for the SLA engine (the profile's [codes.states] maps
# the source's names onto these; an unknown state such as -100 carries no state)
def snapshot_log(con: duckdb.DuckDBPyConnection, conv: Converter, pads: dict[str, bytes]
                 ) -> Shaped:
    """Per-update snapshots → tickets (the first snapshot at or after opened_at) and
    ticket_events (a state change between consecutive snapshots of an incident)."""
    feeds = conv.profile.feeds
    for need in ("shape", "tickets", "ticket_events"):
        if need not in feeds:
            raise ProfileError(f"{conv.profile.name}: shape snapshot_log needs [feeds.{need}]")
    shape = feeds["shape"].columns
    for need in ("record", "state", "seq", "at"):
        if need not in shape:
            raise ProfileError(f"{conv.profile.name}: snapshot_log needs "
                               f"feeds.shape.columns.{need}")
    conv.problems = []
    inputs = {n: conv.expr(shape[n], n) for n in ("record", "state", "seq", "at")}
    tickets = _select(conv, "tickets", feeds["tickets"].columns)
    ev = feeds["ticket_events"].columns
    per_event = {c: conv.expr(ev[c], c) for c in ("group_code", "priority", "comment_chars")
                 if c in ev}
    groups = conv.profile.codes.get(ev["group_code"].codes) if "group_code" in ev and \
        ev["group_code"].codes else None
    unassigned = lit(groups.fallback) if groups is not None and groups.policy == "fallback" \
        and groups.fallback else "NULL"
    problem = conv.problem()
    _create(con, conv, "__snap", (
        f"SELECT {ROWS}, {problem} AS {PROBLEM}, {inputs['record']} AS record, "
        f"{inputs['state']} AS state, TRY_CAST({inputs['seq']} AS BIGINT) AS seq, "
        f"{inputs['at']} AS at_text, {', '.join(tickets)}"
        + "".join(f", {e} AS {q('e_' + c)}" for c, e in per_event.items())
        + f" FROM {NATIVE}"), pads)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __snap_t AS SELECT *, try_strptime(at_text, "
        f"'{TEXT_TS}') AS at_ts, try_strptime(opened_at, '{TEXT_TS}') AS opened_ts FROM __snap")
    order = "ORDER BY at_ts, seq NULLS LAST, _source_row"
    # the ticket: its first snapshot at or after opened_at (else its first one)
    cols = ", ".join(q(c) for c in CONTRACTS["tickets"].column_names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_relation('tickets')} AS SELECT {ROWS}, {PROBLEM}, "
        f"{cols} FROM __snap_t WHERE record IS NOT NULL QUALIFY row_number() OVER (PARTITION "
        f"BY record ORDER BY coalesce(at_ts < opened_ts, false), at_ts, seq NULLS LAST, "
        f"{ROWS}) = 1 ORDER BY {ROWS}")
    (early,) = con.execute("SELECT count(*) FROM __snap_t WHERE at_ts < opened_ts").fetchone()
    carry = ("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW")
    g = q("e_group_code") if "group_code" in per_event else "NULL"
    pr = q("e_priority") if "priority" in per_event else "NULL"
    cc = q("e_comment_chars") if "comment_chars" in per_event else "'0'"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __snap_o AS
        WITH kept AS (
            SELECT * FROM __snap_t
            WHERE record IS NOT NULL AND at_ts IS NOT NULL
              AND NOT coalesce(at_ts < opened_ts, false)
        ), versioned AS (  -- a lower sys_mod_count than one seen before: a stale copy
            SELECT *, coalesce(seq < max(seq) OVER (PARTITION BY record {order}
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS stale
            FROM kept
        ), carried AS (
            SELECT *,
                last_value(CASE WHEN NOT stale THEN state END IGNORE NULLS)
                    OVER (w {carry}) AS cur,
                coalesce(last_value(CASE WHEN NOT stale THEN {g} END IGNORE NULLS)
                    OVER (w {carry}), {unassigned}) AS grp,
                last_value(CASE WHEN NOT stale THEN {pr} END IGNORE NULLS)
                    OVER (w {carry}) AS prio,
                row_number() OVER w AS n
            FROM versioned WINDOW w AS (PARTITION BY record {order})
        )
        SELECT *, coalesce(lag(cur) OVER w, 'new') AS prev, lag(grp) OVER w AS prev_grp
        FROM carried WINDOW w AS (PARTITION BY record ORDER BY n)""")
    event = """CASE
            WHEN cur IS NULL THEN NULL
            WHEN cur = prev THEN CASE WHEN n > 1 AND grp IS DISTINCT FROM prev_grp
                                      THEN 'assigned' END
            WHEN prev IN ('resolved', 'closed') AND cur IN ('active', 'new', 'on_hold')
                THEN 'reopened'
            WHEN cur = 'active' AND prev = 'on_hold' THEN 'resumed'
            WHEN cur = 'active' THEN 'acknowledged'
            WHEN cur = 'on_hold' THEN 'on_hold'
            WHEN cur = 'resolved' THEN 'resolved'
            WHEN cur = 'closed' THEN 'closed'
        END"""
    second = "CASE WHEN prev IN ('resolved', 'closed') AND cur = 'on_hold' THEN 'on_hold' END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_relation('ticket_events')} AS
        SELECT * FROM (
            SELECT {ROWS} * 10 AS {ROWS}, {PROBLEM}, record AS ticket_id,
                   opened_at AS event_at, 'opened' AS event, grp AS group_code,
                   prio AS priority, {cc} AS comment_chars, '0' AS event_seq
            FROM __snap_o WHERE n = 1
            UNION ALL
            SELECT {ROWS} * 10 + 1, {PROBLEM}, record, at_text, {event}, grp, prio, {cc},
                   CAST(2 * n AS VARCHAR)
            FROM __snap_o
            UNION ALL
            SELECT {ROWS} * 10 + 2, {PROBLEM}, record, at_text, {second}, grp, prio, {cc},
                   CAST(2 * n + 1 AS VARCHAR)
            FROM __snap_o
        ) WHERE event IS NOT NULL ORDER BY {ROWS}""")
    (unknown,) = con.execute("SELECT count(*) FROM __snap_t WHERE state IS NULL AND "
                             "record IS NOT NULL").fetchone()
    (stale,) = con.execute("SELECT count(*) FROM __snap_o WHERE stale").fetchone()
    for t in ("__snap", "__snap_t", "__snap_o"):
        con.execute(f"DROP TABLE {t}")
    notes = ["ticket_events derived from the snapshots (dbt/DECISIONS.md § ServiceNow); "
             "_source_row = 10 × native record + k"]
    if early:
        notes.append(f"{early} snapshot(s) stamped before their incident's opened_at left "
                     "out of the events")
    if stale:
        notes.append(f"{stale} stale snapshot(s) (a lower sys_mod_count than one before "
                     "them) carry no state change")
    if unknown:
        notes.append(f"{unknown} snapshot(s) of an unknown state carry no state change")
    return Shaped({"tickets": _relation("tickets"),
                   "ticket_events": _relation("ticket_events")}, notes)


def stage_times(con: duckdb.DuckDBPyConnection, conv: Converter, pads: dict[str, bytes]
                ) -> Shaped:
    """Per-call stage times → calls: offered when the call reached the queue or an agent,
    answered = offered + the source's queue time, ended = answered + its service time."""
    o = conv.profile.shape_options
    need = ("date", "line", "call", "vru_entry", "vru_exit", "queue_start", "queue_time",
            "service_time", "outcome", "answered", "not_offered")
    missing = [k for k in need if k not in o]
    if missing:
        raise ProfileError(f"{conv.profile.name}: stage_times needs shape_options "
                           f"{', '.join(missing)}")
    cols = {k: canonical(o[k]) for k in need[:-2]}
    absent = [v for v in cols.values() if v not in conv.columns]
    if absent:
        raise ProfileError(f"the file lacks the column(s) {', '.join(absent)} of the queue log")
    zero = o.get("zero_time", "0:00:00")

    def tm(col: str) -> str:
        v = f"trim({q(col)})"
        return (f"CASE WHEN {v} = {lit(zero)} OR {v} = '' THEN NULL ELSE "
                f"CAST(try_strptime({v}, '%H:%M:%S') AS TIME) END")

    def secs(col: str) -> str:
        return f"coalesce(TRY_CAST(trim({q(col)}) AS BIGINT), 0)"

    answered = ", ".join(lit(a.lower()) for a in o["answered"])
    not_offered = ", ".join(lit(a.lower()) for a in o["not_offered"])
    outcome = f"lower(trim({q(cols['outcome'])}))"
    conv.problems = []
    feed = conv.profile.feeds.get("calls")
    if feed is None:
        raise ProfileError(f"{conv.profile.name}: stage_times needs [feeds.calls]")
    date_format = lit(o.get("date_format", TEXT_TS))
    day = f"CAST(try_strptime(trim({q(cols['date'])}), {date_format}) AS DATE)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __stages AS
        SELECT *, CASE WHEN queued THEN day + q_start + CASE WHEN q_start < entry
                       THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END
                  ELSE day + vru_exit_t + CASE WHEN vru_exit_t < entry
                       THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END END AS offered_ts
        FROM (SELECT *, {day} AS day, {tm(cols['vru_entry'])} AS entry,
                     {tm(cols['vru_exit'])} AS vru_exit_t, {tm(cols['queue_start'])} AS q_start,
                     {tm(cols['queue_start'])} IS NOT NULL AS queued,
                     {outcome} IN ({answered}) AS is_answered,
                     {outcome} IN ({not_offered}) AS not_offered,
                     {secs(cols['queue_time'])} AS wait_s, {secs(cols['service_time'])} AS serve_s
              FROM {NATIVE})""")
    zone = conv.profile.timezone
    answered_ts = "offered_ts + to_seconds(wait_s)"
    given = {
        "call_id": (f"strftime(day, '%Y%m%d') || '-' || trim({q(cols['line'])}) || '-' || "
                    f"trim({q(cols['call'])})"),
        "offered_at": to_local_text("offered_ts", zone),
        "answered_at": f"CASE WHEN is_answered THEN {to_local_text(answered_ts, zone)} END",
        "ended_at": (f"CASE WHEN is_answered THEN "
                     f"{to_local_text(f'{answered_ts} + to_seconds(serve_s)', zone)} "
                     f"ELSE {to_local_text(answered_ts, zone)} END"),
    }
    specs = dict(feed.columns)
    selected = _select(conv, "calls", specs, given)
    if "agent_id" in specs:  # an agent only on an answered call
        i = CONTRACTS["calls"].column_names.index("agent_id")
        agent = conv.expr(specs["agent_id"], "agent_id")
        selected[i] = f"CASE WHEN is_answered THEN {agent} END AS agent_id"
    offered = "NOT not_offered AND (queued OR is_answered) AND offered_ts IS NOT NULL"
    _create(con, conv, _relation("calls"), (
        f"SELECT {ROWS}, {conv.problem()} AS {PROBLEM}, {', '.join(selected)} FROM __stages "
        f"WHERE {offered} ORDER BY {ROWS}"), pads)
    ivr, phantom = con.execute(
        "SELECT count(*) FILTER (WHERE NOT not_offered AND NOT queued AND NOT is_answered), "
        "count(*) FILTER (WHERE not_offered) FROM __stages").fetchone()
    con.execute("DROP TABLE __stages")
    notes = []
    if ivr or phantom:
        notes.append(f"not offered to an agent, so not calls of the contract: {ivr} hung up in "
                     f"the voice-response unit, {phantom} recording artefact(s) "
                     f"({', '.join(o['not_offered'])})")
    return Shaped({"calls": _relation("calls")}, notes)


SHAPE_FUNCTIONS = {"rows": rows, "snapshot_log": snapshot_log, "stage_times": stage_times}
