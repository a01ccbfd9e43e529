"""`cityops build`: run the dbt project over the raw layer, on a copy swapped in atomically.

One ``dbt build`` invocation (seeds, models and data tests in DAG order) on a
:func:`warehouse.store.writable_copy` of the warehouse, then ``dbt docs generate
--no-compile`` reusing the build's manifest.  Any failing node raises :class:`BuildFailed`
naming the nodes; the copy is discarded, so the served warehouse is unchanged.  The dbt
unit tests (SQL logic, not data) run in CI through :func:`run_unit_tests`.

Speed: dbt opens the copy under a fixed name and reads as_of and the build id from the
environment only while executing, so the previous parse is reused (a changed path, var or
parse-time env var made dbt re-parse everything, ~4 s at 10×); docs reuse the compiled
manifest (0.2 s instead of ~3.5 s); dbt is imported in a thread while the copy is made
and the files load; dbt starts the nodes on the longest remaining path first. Each build
reports how long each step took (``BuildResult.phases``).

``as_of`` builds the warehouse as it was known at that moment: staging leaves out what
happened after it (dbt macros in ``dbt/macros/as_of.sql``) and every time-dependent column
(age, open, overdue) is computed at it. A date means the end of that day (23:59:59 local),
a timestamp is taken as it is, and the default is the latest timestamp in the raw data, so
the same data always gives the same marts.

The incremental models (the big facts; ``incident_sla``, ``publications``, ``submissions``)
recompute what new loads touched and what is still open; their data tests read the rows
this build wrote. ``raw.build_log`` records each build's as_of and why it refreshed fully:
the build runs with ``--full-refresh`` by itself when as_of moves across data an earlier
build already had, when the IT service catalogue changed, or when the code upstream of an
incremental model changed (:func:`refresh_reason`,
:func:`warehouse.changes.upstream_change_reason`; dbt/DECISIONS.md § 14). Otherwise only
the nodes new data, a moved as_of or changed code can reach run
(:func:`warehouse.changes.nodes_to_run`). ``load_from`` loads a directory into the same
copy first (``cityops update``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console

from warehouse.calendar import data_years, write_public_holidays
from warehouse.changes import (
    PROJECT_VARS_FILE,
    DataChanges,
    nodes_to_run,
    upstream_change_reason,
    vars_change_reason,
)
from warehouse.contracts import event_timestamps
from warehouse.migrations import migrate
from warehouse.store import builds_dir, writable_copy

if TYPE_CHECKING:
    from warehouse.loading.report import LoadReport

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
DUCKDB_PATH_ENV = "CITYOPS_DUCKDB_PATH"
# as_of and the build id reach dbt in the environment, not as vars: a changed var forces a
# full re-parse (dbt/macros/time.sql, incremental.sql)
AS_OF_ENV = "CITYOPS_AS_OF"
BUILD_ID_ENV = "CITYOPS_BUILD_ID"
# a selector no node matches: nothing new since the served build, nothing to run (dbt still
# writes the manifest the next build compares with)
NOTHING_SELECTED = "tag:cityops-nothing-changed"
DBT_DATABASE_FILE = "cityops.duckdb"  # in builds_dir/dbt: link to the copy being built
BUILD_RESULTS_FILE = "build_run_results.json"  # in docs_dir(): the dbt build's run results
NODE_SECONDS_FILE = "node_seconds.json"  # in docs_dir(): each node's last run time (scheduling)


# Sources every row of an incremental model reads (the IT service of each ticket gives its
# clock and name): a new load of one rebuilds the incremental models from scratch.
REBUILD_ON_CHANGE = ("it_services",)

# Raw timestamps whose maximum is the default as_of (the latest moment the data knows).
AS_OF_COLUMNS: tuple[tuple[str, str], ...] = event_timestamps()


class BuildFailed(Exception):
    """dbt reported failing nodes (or could not run); the served warehouse is unchanged."""

    def __init__(self, message: str, failures: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []


@dataclass
class BuildResult:
    warehouse: Path
    as_of: str
    seconds: float
    build_seconds: float
    docs_seconds: float
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes
    docs_dir: Path | None = None
    full_refresh: bool = False
    refresh_reason: str | None = None  # why a full refresh was chosen automatically
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step of the build
    load: LoadReport | None = None  # the load that ran in the same copy (load_from)


def docs_dir(warehouse: Path) -> Path:
    """Where the dbt docs of the current build live (index.html, manifest.json, catalog.json)."""
    return builds_dir(Path(warehouse)) / "dbt" / "target"


def normalise_as_of(as_of: str | date | datetime | None) -> str | None:
    """'YYYY-MM-DD HH:MM:SS' local; a bare date means the end of that day."""
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        return as_of.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(as_of, date):
        return f"{as_of.isoformat()} 23:59:59"
    text = str(as_of).strip()
    try:
        return f"{date.fromisoformat(text).isoformat()} 23:59:59"
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise BuildFailed(
            f"--as-of {text!r} is neither a date (YYYY-MM-DD) nor a timestamp "
            f"(YYYY-MM-DD HH:MM[:SS])."
        ) from exc


def default_as_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest timestamp anywhere in the raw data, or None when raw is empty."""
    parts = [f"select max({col}) as m from raw.{table}" for table, col in AS_OF_COLUMNS]
    (latest,) = con.execute(
        "select max(m) from (" + " union all ".join(parts) + ")"
    ).fetchone()
    return latest.strftime("%Y-%m-%d %H:%M:%S") if latest is not None else None


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
        return f"{changed} changed since the previous build (every ticket reads it)"
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


def _prepare(path: Path, as_of: str | None, full_refresh: bool
             ) -> tuple[str, bool, str | None, DataChanges | None]:
    """Raw schema, holidays, the as_of to build with, whether the incremental models must
    be rebuilt from scratch (and why), and what data changed since the served build (None:
    no build to compare with), inside the writable copy."""
    con = duckdb.connect(str(path))
    try:
        migrate(con)
        as_of = as_of or default_as_of(con) or f"{date.today().isoformat()} 23:59:59"
        as_of_day = datetime.fromisoformat(as_of).date()
        holidays = write_public_holidays(con, data_years(con, extra=[as_of_day]),
                                         force=full_refresh)
        reason = None if full_refresh else refresh_reason(con, as_of)
        changes = None if full_refresh or reason else data_changes(con, as_of, holidays)
    finally:
        con.close()
    return as_of, full_refresh or reason is not None, reason, changes


def data_changes(con: duckdb.DuckDBPyConnection, as_of: str,
                 holidays_rewritten: bool) -> DataChanges | None:
    """The raw tables with rows loaded since the last build (``raw.load_audit``; every
    write to raw.* but the holiday table goes through the loader) and whether as_of moved
    (``raw.build_log``); None when no build is recorded."""
    last = con.execute("select as_of, built_at from raw.build_log order by built_at desc "
                       "limit 1").fetchone()
    if last is None:
        return None
    loaded = {c for (c,) in con.execute(
        "select distinct contract from raw.load_audit where finished_at > ? "
        "and rows_loaded > 0", [last[1]]).fetchall()}
    if holidays_rewritten:
        loaded.add("public_holidays")
    return DataChanges(sources=frozenset(loaded),
                       as_of_moved=last[0].strftime("%Y-%m-%d %H:%M:%S") != as_of)


def _log_build(path: Path, as_of: str, full_refresh: bool, reason: str | None) -> None:
    """The build's row in raw.build_log, written once dbt has succeeded (a failed build's
    copy is discarded, and with it everything it wrote)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("insert into raw.build_log values (current_localtimestamp(), "
                    "cast(? as timestamp), ?, ?)", [as_of, full_refresh, reason])
    finally:
        con.close()


@contextlib.contextmanager
def _stable_name(path: Path, link: Path) -> Iterator[Path]:
    """dbt opens the copy under a fixed name: a hard link ``builds/dbt/cityops.duckdb``.

    dbt-duckdb names the database after the file and dbt hashes the connection (path
    included) into its partial-parse state; the copy's name changes with every build, which
    made every build re-parse the whole project (~3.5 s). Under the link the database is
    always ``cityops`` and the previous parse is reused. (A symlink does not do: DuckDB
    names the catalog after the resolved file.) dbt's database is closed — checkpointed —
    before the link goes, so the copy is complete under its own name.
    """
    for stale in (link, Path(f"{link}.wal")):
        if stale.is_symlink() or stale.exists():
            stale.unlink()
    os.link(path, link)
    try:
        yield link
        _release_dbt_database()
        if Path(f"{link}.wal").exists():
            con = duckdb.connect(str(link))
            con.execute("CHECKPOINT")
            con.close()
    finally:
        _release_dbt_database()
        link.unlink(missing_ok=True)
        Path(f"{link}.wal").unlink(missing_ok=True)


def _release_dbt_database() -> None:
    """Close dbt-duckdb's database instance if it is still open in this process (it
    closes it itself when its last connection is released; this makes sure)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            with contextlib.suppress(Exception):
                env.close()
            DuckDBConnectionManager._ENV = None


@contextlib.contextmanager
def dbt_session(db_path: Path, as_of: str | None = None,
                build_id: str | None = None) -> Iterator[None]:
    """Point dbt at ``db_path`` (and give it as_of and a build id) through the environment
    the project reads (profiles.yml, macros/time.sql, macros/incremental.sql); afterwards
    close dbt's DuckDB instance and put the environment back as it was."""
    values = {DUCKDB_PATH_ENV: str(db_path), AS_OF_ENV: as_of, BUILD_ID_ENV: build_id}
    values = {name: value for name, value in values.items() if value is not None}
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        _release_dbt_database()
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _longest_path_first(seconds: dict[str, float], threads: int) -> Iterator[None]:
    """Let dbt start the nodes on the longest remaining path first.

    dbt orders ready nodes by their depth in the DAG, so every shallow node (views, seeds,
    the KCK and publication branches) runs before the next step of the long service-desk
    chain (intervals → measures → incident_sla → monthly → KPIs), whose steps then wait
    for a free thread. Here a node's priority is the longest chain of work from it to the
    end, in the seconds each node took when it last ran (``seconds``; 0.05 s when never):
    critical-path scheduling, as Airflow's `downstream` priority weights or Bazel do. It
    changes the order only; what runs, and after what, is dbt's."""
    try:
        import networkx as nx
        from dbt.graph.queue import GraphQueue
    except ImportError:  # pragma: no cover
        yield
        return

    def scores(self, graph) -> dict[str, int]:
        remaining: dict[str, float] = {}
        for node in reversed(list(nx.topological_sort(graph))):
            after = max((remaining[child] for child in graph.successors(node)), default=0.0)
            remaining[node] = seconds.get(node, 0.05) + after
        return {node: -round(length * 1000) for node, length in remaining.items()}

    get = GraphQueue.get

    def get_when_a_thread_is_free(self, block: bool = True, timeout: float | None = None):
        # dbt hands every ready node to its thread pool at once, where they wait in
        # arrival order; waiting for a free thread first lets the order above decide
        with self.lock:
            while len(self.in_progress) >= threads:
                self.some_task_done.wait()
        return get(self, block, timeout)

    originals = GraphQueue._get_scores, GraphQueue.get
    GraphQueue._get_scores, GraphQueue.get = scores, get_when_a_thread_is_free
    try:
        yield
    finally:
        GraphQueue._get_scores, GraphQueue.get = originals


def _dbt_threads() -> int:
    """The threads of the project's dbt profile (profiles.yml)."""
    import yaml

    profile = yaml.safe_load((DBT_DIR / "profiles.yml").read_text())["cityops"]
    return int(profile["outputs"][profile["target"]].get("threads", 1))


def _project_vars() -> dict:
    """The vars of dbt_project.yml (targets, office hours, thresholds)."""
    import yaml

    return yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text()).get("vars") or {}


def _node_seconds(served: Path | None, results=None) -> dict[str, float]:
    """How long each dbt node took when it last ran: the served build's record
    (NODE_SECONDS_FILE) updated with ``results`` (a dbt build's)."""
    seconds: dict[str, float] = {}
    if served is not None and served.exists():
        with contextlib.suppress(ValueError):
            seconds = {k: float(v) for k, v in json.loads(served.read_text()).items()}
    for r in getattr(results, "results", None) or []:
        seconds[r.node.unique_id] = round(float(r.execution_time), 3)
    return seconds


def _import_dbt_in_background() -> threading.Thread:
    """Import dbt (≈ 1.7 s of Python imports) in a thread while the main thread copies the
    warehouse, loads and prepares — work that mostly runs outside the GIL (file copy,
    DuckDB, polars). The build joins the thread before it calls dbt."""
    def run() -> None:
        with contextlib.suppress(Exception):  # a real import error surfaces in _run_dbt
            import dbt.adapters.duckdb  # noqa: F401
            import dbt.cli.main  # noqa: F401

    thread = threading.Thread(target=run, name="import-dbt", daemon=True)
    thread.start()
    return thread


def _failures(results) -> list[tuple[str, str]]:
    out = []
    for r in getattr(results, "results", None) or []:
        status = str(getattr(r.status, "value", r.status))
        if status in ("error", "fail", "runtime error"):
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
            out.append((name, (r.message or status).strip()))
    return out


def _counts(results) -> dict[str, int]:
    """Nodes per status ('success', 'pass', …) and per kind ('kind:model', 'kind:unit_test', …)."""
    counts: dict[str, int] = {}
    for r in getattr(results, "results", None) or []:
        status = str(getattr(r.status, "value", r.status))
        counts[status] = counts.get(status, 0) + 1
        kind = str(getattr(getattr(r.node, "resource_type", None), "value", "?"))
        counts[f"kind:{kind}"] = counts.get(f"kind:{kind}", 0) + 1
    return counts


def _selection(manifest, previous_manifest: Path | None, changes: DataChanges,
               console: Console) -> list[str]:
    """The `dbt build` arguments that run only the nodes that can differ from the served
    build (:func:`warehouse.changes.nodes_to_run`); none when every node must run."""
    selected = nodes_to_run(manifest, previous_manifest, changes)
    if selected is None:
        return []
    every = {n.name for n in manifest.nodes.values()
             if n.resource_type.value in ("model", "seed", "test")}
    skipped = sorted(every - set(selected))
    console.print(f"[dim]{len(selected)} of {len(every)} dbt nodes can differ from the served "
                  "build; the others are left as they are.[/]")
    if not selected:
        return ["--select", NOTHING_SELECTED]
    # exactly these nodes: no test is added or dropped because of its parents (dbt's
    # default would drop a test of a changed model against a skipped seed); naming the
    # fewer skipped nodes makes dbt's selection cheaper
    return ["--indirect-selection", "empty", "--exclude", *skipped] if skipped else []


def _run_dbt(db_path: Path, target: Path, logs: Path, as_of: str, full_refresh: bool,
             docs: bool, console: Console, phases: dict[str, float],
             previous_manifest: Path | None = None, changes: DataChanges | None = None,
             ) -> tuple[dict[str, int], float, float, str | None]:
    """Parse (reusing the previous parse), then one ``dbt build`` — of every node, or when
    ``changes`` says what data is new since the served build, of the nodes that can differ
    from it (:func:`warehouse.changes.nodes_to_run`); returns the node counts, build and
    docs seconds, and why a full refresh was chosen here (code changed)."""
    from dbt.cli.main import dbtRunner

    code_reason = None

    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(target), "--log-path", str(logs)]
    build_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.time_ns()}"
    with dbt_session(db_path, as_of, build_id):
        t0 = time.perf_counter()
        # no JSON: the build writes manifest.json again (saves ~0.3 s); the saved parse
        # (partial_parse.msgpack) is written either way
        parsed = dbtRunner().invoke(["--quiet", "--no-write-json", "parse", *common])
        if not parsed.success:
            raise BuildFailed(f"dbt could not parse the project: {parsed.exception}")
        phases["dbt_parse"] = time.perf_counter() - t0
        runner = dbtRunner(manifest=parsed.result)
        # dbt unit tests check the SQL logic, not the data: they run in CI
        # (run_unit_tests, tests/test_build.py), not in every production build (~2 s)
        args = ["--quiet", "--log-level-file", "info", "build", *common,
                "--exclude-resource-type", "unit_test"]
        project_vars = _project_vars()
        if not full_refresh:
            code_reason = (upstream_change_reason(parsed.result, previous_manifest)
                           or vars_change_reason(previous_manifest, project_vars))
            if code_reason:
                console.print(f"Full refresh (every model from scratch): {code_reason}.")
                full_refresh = True
        if full_refresh:
            args.append("--full-refresh")
        elif changes is not None:
            args += _selection(parsed.result, previous_manifest, changes, console)
        served = previous_manifest.parent / NODE_SECONDS_FILE if previous_manifest else None
        seconds = _node_seconds(served)
        with _longest_path_first(seconds, _dbt_threads()):
            res = runner.invoke(args)
        build_s = time.perf_counter() - t0
        phases["dbt_build"] = build_s - phases["dbt_parse"]
        counts = _counts(res.result)
        failures = _failures(res.result)
        if failures or not res.success:
            if not failures and res.exception is not None:
                failures = [("dbt", str(res.exception))]
            lines = "\n".join(f"  - {name}: {msg}" for name, msg in failures[:20])
            raise BuildFailed(
                f"dbt build failed on {len(failures)} node(s):\n{lines}\n"
                f"(details: {logs / 'dbt.log'})",
                failures,
            )
        (target / NODE_SECONDS_FILE).write_text(
            json.dumps(_node_seconds(served, res.result), sort_keys=True, indent=0))
        (target / PROJECT_VARS_FILE).write_text(json.dumps(project_vars, sort_keys=True))
        # docs generate overwrites run_results.json: keep the build's results beside it
        if (target / "run_results.json").exists():
            shutil.copy2(target / "run_results.json", target / BUILD_RESULTS_FILE)
        t1 = time.perf_counter()
        if docs:
            # the build compiled every node already: write the docs from that manifest
            # (--no-compile: 0.5 s instead of 3.5 s), the catalog still read from DuckDB
            generated = runner.invoke(["--quiet", "docs", "generate", "--no-compile",
                                       *common])
            if not generated.success:
                console.print(f"[yellow]dbt docs generate failed: {generated.exception}[/]")
        phases["dbt_docs"] = time.perf_counter() - t1
        return counts, build_s, phases["dbt_docs"], code_reason


def run_unit_tests(warehouse: Path, workdir: Path) -> tuple[int, list[tuple[str, str]]]:
    """Run the dbt unit tests against a scratch copy of the current build (they need the
    built relations for column types); returns (tests run, failures)."""
    from dbt.cli.main import dbtRunner

    from warehouse.store import current_file

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / DBT_DATABASE_FILE
    shutil.copyfile(current_file(Path(warehouse)), db)
    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    with dbt_session(db):
        res = dbtRunner().invoke(["--quiet", "test", *common, "--select", "test_type:unit"])
    results = getattr(res.result, "results", None) or []
    failures = _failures(res.result)
    if not res.success and not failures:
        failures = [("dbt", str(res.exception))]
    return len(results), failures


def build(warehouse: Path, as_of: str | date | datetime | None = None,
          full_refresh: bool = False, console: Console | None = None,
          docs: bool = True, load_from: Path | None = None) -> BuildResult:
    """Build staging → intermediate → marts with dbt on a copy of ``warehouse``; swap it in.

    ``load_from``: first load the extracts of that directory into the same copy
    (``cityops update``, the daily job): one copy, one swap, and readers never see new raw
    data under marts that do not include it yet. A refused load raises
    :class:`warehouse.load.LoadRefused`; the served warehouse is unchanged.
    ``docs=False`` skips ``dbt docs generate`` (tests use it to save a few seconds).
    """
    # absolute: dbt resolves a relative --target-path against the dbt project folder
    warehouse = Path(warehouse).absolute()
    console = console or Console(stderr=True)
    as_of_text = normalise_as_of(as_of)
    started = time.perf_counter()
    importing = _import_dbt_in_background()
    dbt_root = builds_dir(warehouse) / "dbt"
    dbt_root.mkdir(parents=True, exist_ok=True)
    run_dir = dbt_root / f"run-{os.getpid()}-{time.time_ns()}"
    target, logs = run_dir / "target", run_dir / "logs"
    target.mkdir(parents=True)
    stable = docs_dir(warehouse)
    if (stable / "partial_parse.msgpack").exists():  # reuse the previous parse
        shutil.copy2(stable / "partial_parse.msgpack", target / "partial_parse.msgpack")
    phases: dict[str, float] = {}
    loaded = None
    try:
        with writable_copy(warehouse, phases) as path:
            if load_from is not None:
                from warehouse.load import load_directory

                t0 = time.perf_counter()
                loaded = load_directory(load_from, warehouse, console=console, into=path)
                phases["load"] = time.perf_counter() - t0
            with console.status("Building the warehouse with dbt…"):
                t0 = time.perf_counter()
                as_of_text, full_refresh, reason, changes = _prepare(path, as_of_text,
                                                                     full_refresh)
                phases["prepare"] = time.perf_counter() - t0
                if reason:
                    console.print(f"Full refresh (every model from scratch): {reason}.")
                t0 = time.perf_counter()
                importing.join()
                phases["dbt_import_wait"] = time.perf_counter() - t0
                with _stable_name(path, dbt_root / DBT_DATABASE_FILE) as link:
                    counts, build_s, docs_s, code_reason = _run_dbt(
                        link, target, logs, as_of_text, full_refresh, docs, console, phases,
                        stable / "manifest.json", changes)
                    t0 = time.perf_counter()
                if code_reason:
                    full_refresh, reason = True, code_reason
                _log_build(path, as_of_text, full_refresh,
                           reason or ("requested" if full_refresh else None))
                phases["checkpoint"] = time.perf_counter() - t0
    except BuildFailed:
        console.print(f"[red]Build failed[/]; dbt logs kept in {logs}. "
                      "The served warehouse is unchanged.")
        raise
    # the new build is served: its docs become the current docs
    old = dbt_root / f"old-{os.getpid()}-{time.time_ns()}"
    if stable.exists():
        stable.rename(old)
    target.rename(stable)
    shutil.rmtree(old, ignore_errors=True)
    for leftover in dbt_root.glob("run-*"):
        if leftover != run_dir and time.time() - leftover.stat().st_mtime > 3600:
            shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())
                        if not status.startswith("kind:"))
    console.print(f"Built {warehouse} as of {as_of_text} in {seconds:.1f} s "
                  f"(dbt build {build_s:.1f} s, docs {docs_s:.1f} s): {summary}.")
    console.print("[dim]Steps: " + ", ".join(f"{name.replace('_', ' ')} {s:.1f} s"
                                            for name, s in phases.items()) + "[/]")
    return BuildResult(warehouse=warehouse, as_of=as_of_text, seconds=seconds,
                       build_seconds=build_s, docs_seconds=docs_s, counts=counts,
                       docs_dir=stable, full_refresh=full_refresh, refresh_reason=reason,
                       phases=phases, load=loaded)
