"""What a build must redo: the project's code and the data compared with the served build.

The served build's manifest (``docs_dir/manifest.json``) says what code made the tables
that are there now; ``raw.load_audit`` and ``raw.build_log`` say what data came since and
whether as_of moved. From those:

- :func:`refresh_reason` — the incremental models cannot be reused at this as_of (it moved
  across data an earlier build already had, or the IT service catalogue or the working
  calendars changed what built tickets read);
- :func:`data_changes` — the raw tables with rows loaded since the served build, and
  whether as_of moved;

- :func:`upstream_change_reason` — the incremental models must start again (full refresh)
  because their code, the code of anything they read, or a project macro they call changed;
- :func:`vars_change_reason` — everything must be built again because a var of
  ``dbt_project.yml`` changed (dbt's manifest does not record them: the build keeps them
  beside the docs, ``PROJECT_VARS_FILE``);
- :func:`nodes_to_run` — the nodes an incremental build runs: a node whose inputs, code and
  as_of are all the same as in the served build would write the same rows again (dbt would
  rebuild them all; a daily load touches five sources of nine, and the reference seeds,
  the catalogue and the Smart City portfolio rarely change).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.build.as_of import AS_OF_COLUMNS
from warehouse.contracts import DEFAULT_CALENDAR

AS_OF_MACRO = "macro.cityops.build_as_of"  # as_of enters the SQL there only (build_info)
PROJECT = "cityops"
PROJECT_VARS_FILE = "project_vars.json"  # beside the served manifest: the vars it was built with
# a selector no node matches: nothing new since the served build, nothing to run (dbt still
# writes the manifest the next build compares with)
NOTHING_SELECTED = "tag:cityops-nothing-changed"
# Sources every row of an incremental model reads (the IT service of each ticket gives its
# clock and name): a new load of one rebuilds the incremental models from scratch — when
# it changes what the built tickets read (catalogue_change_reason).
REBUILD_ON_CHANGE = ("it_services",)


@dataclass(frozen=True)
class DataChanges:
    """The data a build sees that the served build did not: the raw tables (source names)
    with rows loaded or rewritten since it, and whether as_of moved."""

    sources: frozenset[str]
    as_of_moved: bool


class CodeDiff:
    """The project as parsed now against the served build's manifest."""

    def __init__(self, manifest: Any, before: dict[str, Any]) -> None:
        self.manifest = manifest
        self.old_nodes: dict[str, Any] = before.get("nodes", {})
        self.old_macros: dict[str, Any] = before.get("macros", {})
        self.adapter_type: str = manifest.metadata.adapter_type  # e.g. duckdb, spark
        self._macros: dict[str, frozenset[str]] = {}

    @classmethod
    def load(cls, manifest: Any, previous_manifest: Path | None) -> CodeDiff | None:
        """None when there is no served build to compare with."""
        if previous_manifest is None or not previous_manifest.exists():
            return None
        return cls(manifest, json.loads(previous_manifest.read_text()))

    def macros_of(self, uid: str) -> frozenset[str]:
        """The macros a node calls, directly or through others, with the implementation
        ``adapter.dispatch`` picks for the manifest's adapter: ``<adapter>__<name>`` when
        the package has one, else ``default__<name>`` (dbt/macros/engine/). dbt records the
        picked body in ``depends_on`` when it can resolve the dispatch while parsing; this
        follows it when it cannot. A body of another engine (or the erroring default of
        a macro the adapter implements) cannot change this build's SQL, so it is not
        followed."""
        if uid not in self._macros:
            found: set[str] = set()
            stack = list(self.manifest.nodes[uid].depends_on.macros)
            while stack:
                macro = stack.pop()
                if macro in found or macro not in self.manifest.macros:
                    continue
                found.add(macro)
                stack += self.manifest.macros[macro].depends_on.macros
                package, name = macro.rsplit(".", 1)
                for prefix in (self.adapter_type, "default"):
                    if f"{package}.{prefix}__{name}" in self.manifest.macros:
                        stack.append(f"{package}.{prefix}__{name}")
                        break
            self._macros[uid] = frozenset(found)
        return self._macros[uid]

    def changed_macros(self, uid: str) -> list[str]:
        """The project macros the node calls whose code differs from the served build's."""
        return sorted(m.split(".")[-1] for m in self.macros_of(uid)
                      if self.manifest.macros[m].package_name == PROJECT
                      and m in self.old_macros
                      and self.old_macros[m].get("macro_sql") != self.manifest.macros[m].macro_sql)

    def node_changed(self, uid: str) -> bool:
        """The node's own SQL (or seed file) or configuration differs, or it is new."""
        old = self.old_nodes.get(uid)
        node = self.manifest.nodes[uid]
        if old is None:
            return True
        if old.get("checksum", {}).get("checksum") != node.checksum.checksum:
            return True
        return _jsonable(old.get("config")) != _jsonable(node.config.to_dict())

    def code_changed(self, uid: str) -> bool:
        return self.node_changed(uid) or bool(self.changed_macros(uid))

    def uses_as_of(self, uid: str) -> bool:
        return AS_OF_MACRO in self.macros_of(uid)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _parents(node: Any) -> list[str]:
    return list(getattr(node.depends_on, "nodes", []))  # a seed depends on no node


def _ancestors(manifest: Any, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        uid = stack.pop()
        if uid in seen or uid not in manifest.nodes:
            continue
        seen.add(uid)
        stack += _parents(manifest.nodes[uid])
    return seen


def upstream_change_reason(manifest: Any, previous_manifest: Path | None) -> str | None:
    """Why the incremental models must be rebuilt from scratch because the project changed
    since the served build: the SQL or configuration of an incremental model or of anything
    it reads (models, seeds), or a project macro they call. Their kept rows were computed by
    the old code; the new code must recompute them all (dbt users run --full-refresh after
    such a deploy; this makes it automatic). A macro only tests call does not count."""
    diff = CodeDiff.load(manifest, previous_manifest)
    if diff is None:
        return None
    incremental = [uid for uid, node in manifest.nodes.items()
                   if getattr(node.config, "materialized", None) == "incremental"]
    upstream = sorted(_ancestors(manifest, incremental))
    changed = [manifest.nodes[uid].name for uid in upstream if diff.node_changed(uid)]
    if not changed:
        changed = sorted({m for uid in upstream for m in diff.changed_macros(uid)})
    if changed:
        return f"the project changed since the served build ({', '.join(changed[:5])})"
    return None


def code_change_reason(manifest: Any, previous_manifest: Path | None) -> str | None:
    """Why a build runs the dbt unit tests too (dbt/DECISIONS.md § 17): the SQL or
    configuration of a model or seed, or a project macro one calls, differs from the served
    build's — any model, not only those upstream of an incremental one. None when there is
    no served build to compare with (the first build of a warehouse) and on a daily load of
    the same code."""
    diff = CodeDiff.load(manifest, previous_manifest)
    if diff is None:
        return None
    changed = sorted(node.name for uid, node in manifest.nodes.items()
                     if node.resource_type.value in ("model", "seed") and diff.code_changed(uid))
    if changed:
        return f"the project changed since the served build ({', '.join(changed[:5])})"
    return None


def vars_change_reason(previous_manifest: Path | None, now: dict[str, Any]) -> str | None:
    """Why every model must be built again: the project's vars (targets, office hours,
    thresholds) differ from the ones the served build used. None when they are the same or
    the served build did not record them."""
    if previous_manifest is None:
        return None
    recorded = previous_manifest.parent / PROJECT_VARS_FILE
    if not recorded.exists():
        return None
    before = json.loads(recorded.read_text())
    changed = sorted(name for name in set(before) | set(now)
                     if _jsonable(before.get(name)) != _jsonable(now.get(name)))
    if changed:
        return f"vars of dbt_project.yml changed since the served build ({', '.join(changed[:5])})"
    return None


def nodes_to_run(manifest: Any, previous_manifest: Path | None,
                 changes: DataChanges) -> list[str] | None:
    """The names of the nodes an incremental build runs (None: every node).

    A table (or incremental model) runs when its data can differ from the served build's:
    its code changed, it reads a source with new rows, it uses as_of and as_of moved, or
    anything it reads runs for one of those reasons. A view holds no data — it is made
    again only when its SQL can differ: its code or an upstream model's changed, or it
    compiles as_of in and as_of moved. A seed runs when its file changed. A data test runs
    when anything it reads may hold different rows, or its own code changed.
    """
    diff = CodeDiff.load(manifest, previous_manifest)
    if diff is None:
        return None
    sources = {uid: src.name for uid, src in manifest.sources.items()}
    data: dict[str, bool] = {}
    code: dict[str, bool] = {}

    def code_upstream(uid: str) -> bool:  # this node's code or any ancestor's changed
        if uid not in code:
            node = manifest.nodes[uid]
            code[uid] = diff.code_changed(uid) or any(
                code_upstream(p) for p in _parents(node) if p in manifest.nodes)
        return code[uid]

    def data_changed(uid: str) -> bool:
        if uid in sources:
            return sources[uid] in changes.sources
        if uid not in data:
            node = manifest.nodes[uid]
            data[uid] = (diff.code_changed(uid)
                         or (changes.as_of_moved and diff.uses_as_of(uid))
                         or any(data_changed(p) for p in _parents(node)
                                if p in manifest.nodes or p in sources))
        return data[uid]

    selected = []
    for uid, node in manifest.nodes.items():
        kind = node.resource_type.value
        if kind == "model" and node.config.materialized == "view":
            run = code_upstream(uid) or (changes.as_of_moved and diff.uses_as_of(uid))
        elif kind in ("model", "seed", "test"):
            run = data_changed(uid)
        else:
            continue
        if run:
            selected.append(node.name)
    return sorted(selected)


def refresh_reason(con: duckdb.DuckDBPyConnection, as_of: str) -> str | None:
    """Why the incremental models cannot be reused at ``as_of`` (None: they can).

    They hold what the previous build knew at its as_of, and an incremental build
    recomputes only the rows of loads that came after it (and the items still open, whose
    age moves). That stays right as long as no row of a load the previous build already
    had changes what is known between its as_of and this one: no timestamp of such a row
    (opened, event, call, received, forwarded, replied, closed, ready, published) lies
    between the two. With the default as_of — the latest timestamp in the data — that
    holds every day; an as_of set back (or forward again) across data needs a full
    refresh.
    """
    existing = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'intermediate'"
    ).fetchall()}
    if not existing:
        return None  # first build: dbt builds everything whole anyway
    last = con.execute("select as_of, built_at from raw.build_log order by built_at desc limit 1"
                       ).fetchone()
    if last is None:
        return "no earlier build recorded its as_of"
    previous = last[0].strftime("%Y-%m-%d %H:%M:%S")
    changed = con.execute(
        "select string_agg(distinct contract, ', ') from raw.load_audit "
        "where finished_at > ? and rows_loaded > 0 and contract in ("
        + ", ".join(f"'{c}'" for c in REBUILD_ON_CHANGE) + ")", [last[1]]).fetchone()[0]
    if changed:
        reason = catalogue_change_reason(con)
        if reason:
            return reason
    reason = calendar_change_reason(con, last[1])
    if reason:
        return reason
    if previous == as_of:
        return None
    low, high = sorted((previous, as_of))
    built_loads = ("select load_id from raw.load_audit "
                   "where finished_at <= cast(? as timestamp)")
    for table, column in AS_OF_COLUMNS:
        (crossing,) = con.execute(
            f"select count(*) from (select 1 from raw.{table} "
            f"where {column} > cast(? as timestamp) and {column} <= cast(? as timestamp) "
            f"and _load_id in ({built_loads}) limit 1)",
            [low, high, last[1]]).fetchone()
        if crossing:
            direction = "earlier" if as_of < previous else "later"
            return (f"as_of {as_of} is {direction} than the previous build's ({previous}) "
                    f"and raw.{table} has rows the previous build already had with "
                    f"{column} between them")
    return None


def catalogue_change_reason(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why a load of the IT service catalogue changes the tickets already built (None: it
    does not): a service the served build's tickets use (marts.incident_sla) whose support
    hours or Polish name in the catalogue — its latest row, as staging takes it — differ
    from what those tickets hold. A service only the data knows (an importer kept its code
    unmapped: on the default clock, named "niezmapowane: <code>") changes nothing until the
    catalogue names it, and a catalogue delivered again unchanged, or adding services no
    ticket uses yet, leaves the incremental models as they are (dbt/DECISIONS.md § 19)."""
    served = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()}
    if "incident_sla" not in served:
        return "it_services changed since the previous build (every ticket reads it)"
    rows = con.execute("""
        with catalogue as (
            select service_code, support_hours, name_pl from raw.it_services
            qualify row_number() over (partition by service_code
                                       order by _load_id desc, _source_row desc) = 1
        ),
        built as (
            select distinct service_code, support_hours, service_name_pl
            from marts.incident_sla
        )
        select distinct built.service_code from built
        join catalogue on catalogue.service_code = built.service_code
        where catalogue.support_hours is distinct from built.support_hours
           or catalogue.name_pl is distinct from built.service_name_pl
        order by 1
    """).fetchall()
    if not rows:
        return None
    codes = ", ".join(r[0] for r in rows[:5]) + (" …" if len(rows) > 5 else "")
    return (f"it_services changed the clock or name of {len(rows)} service(s) built tickets "
            f"use ({codes}) since the previous build")


def _calendars_declared_since(con: duckdb.DuckDBPyConnection, since: Any) -> bool:
    """Whether an import wrote a working calendar's definition after ``since``."""
    return con.execute("select count(*) > 0 from raw.working_calendars where declared_at > ?",
                       [since]).fetchone()[0]


def calendar_change_reason(con: duckdb.DuckDBPyConnection, since: Any) -> str | None:
    """Why what came after the served build (built at ``since``) changes the business clock
    of tickets it already built (None: it does not). Every segment of a ticket is measured
    on its working calendar (intermediate.int_ticket_intervals.calendar_code), and the
    incremental models recompute only the tickets with new events; so a full refresh is
    needed when a calendar built tickets run on has another definition in
    raw.working_calendars than the one the served build used
    (intermediate.int_working_calendars: other weekdays, hours, zone or holidays), or a
    ticket delivered since names another calendar than its built segments. A new calendar,
    one no built ticket uses, or one declared again unchanged changes nothing (UMK's
    definition is the project's vars: vars_change_reason)."""
    built = {(t, c) for t, c in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema "
        "= 'intermediate' and table_name in ('int_ticket_intervals', 'int_working_calendars') "
        "and column_name = 'calendar_code'").fetchall()}
    if len(built) < 2:
        return None  # built before working calendars: its code differs, a full refresh anyway
    if _calendars_declared_since(con, since):
        rows = con.execute(f"""
            with used as (
                select distinct calendar_code from intermediate.int_ticket_intervals
                where calendar_code <> '{DEFAULT_CALENDAR}'
            ),
            served as (
                select calendar_code, iso_weekday, day_start_second, day_end_second,
                       timezone, holiday_country
                from intermediate.int_working_calendars
                where calendar_code in (select calendar_code from used)
            ),
            declared as (
                select calendar_code, iso_weekday, cast(epoch(day_start) as integer),
                       cast(epoch(day_end) as integer), timezone, holiday_country
                from raw.working_calendars
                where calendar_code in (select calendar_code from used)
            )
            select distinct calendar_code from (
                (select * from served except select * from declared)
                union all (select * from declared except select * from served)
            ) order by 1
        """).fetchall()
        if rows:
            codes = ", ".join(r[0] for r in rows)
            return (f"the definition of working calendar(s) {codes} that built tickets run "
                    "on changed since the previous build")
    tickets = con.execute("""
        select count(*) > 0 from raw.load_audit
        where contract = 'tickets' and finished_at > ? and rows_loaded > 0""",
                          [since]).fetchone()[0]
    if not tickets:
        return None
    # the latest raw row of each ticket delivered since (as staging takes it) against the
    # calendar its built segments ran on
    (moved, example) = con.execute(f"""
        with delivered as (
            select distinct ticket_id from raw.tickets
            where _load_id in (select load_id from raw.load_audit
                               where contract = 'tickets' and finished_at > ?)
        ),
        latest as (
            select ticket_id, coalesce(calendar_code, '{DEFAULT_CALENDAR}') as calendar_code
            from raw.tickets
            where ticket_id in (select ticket_id from delivered)
            qualify row_number() over (partition by ticket_id
                                       order by _load_id desc, _source_row desc) = 1
        ),
        built as (
            select distinct ticket_id, calendar_code from intermediate.int_ticket_intervals
            where ticket_id in (select ticket_id from delivered)
        )
        select count(distinct latest.ticket_id), min(latest.ticket_id)
        from latest inner join built on built.ticket_id = latest.ticket_id
        where built.calendar_code <> latest.calendar_code
    """, [since]).fetchone()
    if moved:
        return (f"{moved} built ticket(s) moved to another working calendar since the "
                f"previous build (e.g. {example})")
    return None


def data_changes(con: duckdb.DuckDBPyConnection, as_of: str,
                 holidays_rewritten: bool) -> DataChanges | None:
    """The raw tables with rows loaded since the last build (``raw.load_audit``; every
    write to raw.* but the holiday table and the working calendars goes through the
    loader; an import stamps the calendars it declares, ``declared_at``) and whether as_of
    moved (``raw.build_log``); None when no build is recorded."""
    last = con.execute("select as_of, built_at from raw.build_log order by built_at desc "
                       "limit 1").fetchone()
    if last is None:
        return None
    loaded = {c for (c,) in con.execute(
        "select distinct contract from raw.load_audit where finished_at > ? "
        "and rows_loaded > 0", [last[1]]).fetchall()}
    if holidays_rewritten:
        loaded.add("public_holidays")
    if _calendars_declared_since(con, last[1]):
        loaded.add("working_calendars")
    return DataChanges(sources=frozenset(loaded),
                       as_of_moved=last[0].strftime("%Y-%m-%d %H:%M:%S") != as_of)


def selection_args(manifest, previous_manifest: Path | None, changes: DataChanges,
                   say: Callable[[str], None]) -> list[str]:
    """The `dbt build` arguments that run only the nodes that can differ from the served
    build (:func:`nodes_to_run`); none when every node must run."""
    selected = nodes_to_run(manifest, previous_manifest, changes)
    if selected is None:
        return []
    every = {n.name for n in manifest.nodes.values()
             if n.resource_type.value in ("model", "seed", "test")}
    skipped = sorted(every - set(selected))
    say(f"[dim]{len(selected)} of {len(every)} dbt nodes can differ from the served build; "
        "the others are left as they are.[/]")
    if not selected:
        return ["--select", NOTHING_SELECTED]
    # exactly these nodes: no test is added or dropped because of its parents (dbt's
    # default would drop a test of a changed model against a skipped seed); naming the
    # fewer skipped nodes makes dbt's selection cheaper
    return ["--indirect-selection", "empty", "--exclude", *skipped] if skipped else []
