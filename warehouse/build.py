"""`cityops build`: run the dbt project over the raw layer, on a copy swapped in atomically.

One ``dbt build`` invocation (seeds, models, unit tests and data tests in DAG order) on a
:func:`warehouse.store.writable_copy` of the warehouse, then ``dbt docs generate`` reusing
the parsed manifest.  Any failing node raises :class:`BuildFailed` naming the nodes; the
copy is discarded, so the served warehouse is unchanged.

``as_of`` fixes every time-dependent column (age, open, overdue): a date means the end of
that day (23:59:59 local), a timestamp is taken as it is, and the default is the latest
timestamp in the raw data, so the same data always gives the same marts.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
from rich.console import Console

from warehouse.calendar import data_years, write_public_holidays
from warehouse.contracts import ensure_raw_schema
from warehouse.store import builds_dir, writable_copy

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
DUCKDB_PATH_ENV = "CITYOPS_DUCKDB_PATH"
BUILD_RESULTS_FILE = "build_run_results.json"  # in docs_dir(): the dbt build's run results

# Raw timestamps whose maximum is the default as_of (the latest moment the data knows).
AS_OF_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tickets", "opened_at"),
    ("ticket_events", "event_at"),
    ("calls", "offered_at"),
    ("calls", "answered_at"),
    ("calls", "ended_at"),
    ("submissions", "received_at"),
    ("submissions", "forwarded_at"),
    ("submissions", "unit_replied_at"),
    ("submissions", "closed_at"),
    ("publications", "ready_at"),
    ("publications", "published_at"),
    ("service_cards", "last_reviewed_at"),
)


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


def _prepare(path: Path, as_of: str | None) -> str:
    """Raw schema, holidays and the as_of to build with, inside the writable copy."""
    con = duckdb.connect(str(path))
    try:
        ensure_raw_schema(con)
        as_of = as_of or default_as_of(con) or f"{date.today().isoformat()} 23:59:59"
        as_of_day = datetime.fromisoformat(as_of).date()
        write_public_holidays(con, data_years(con, extra=[as_of_day]))
    finally:
        con.close()
    return as_of


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


def _run_dbt(db_path: Path, target: Path, logs: Path, as_of: str, full_refresh: bool,
             docs: bool, console: Console) -> tuple[dict[str, int], float, float]:
    from dbt.cli.main import dbtRunner

    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(target), "--log-path", str(logs)]
    old_env = os.environ.get(DUCKDB_PATH_ENV)
    os.environ[DUCKDB_PATH_ENV] = str(db_path)
    try:
        t0 = time.perf_counter()
        parsed = dbtRunner().invoke(["--quiet", "parse", *common,
                                     "--vars", json.dumps({"as_of": as_of})])
        if not parsed.success:
            raise BuildFailed(f"dbt could not parse the project: {parsed.exception}")
        runner = dbtRunner(manifest=parsed.result)
        args = ["--quiet", "--log-level-file", "info", "build", *common,
                "--vars", json.dumps({"as_of": as_of})]
        if full_refresh:
            args.append("--full-refresh")
        res = runner.invoke(args)
        build_s = time.perf_counter() - t0
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
        # docs generate overwrites run_results.json: keep the build's results beside it
        if (target / "run_results.json").exists():
            shutil.copy2(target / "run_results.json", target / BUILD_RESULTS_FILE)
        t1 = time.perf_counter()
        if docs:
            generated = runner.invoke(["--quiet", "docs", "generate", *common,
                                       "--vars", json.dumps({"as_of": as_of})])
            if not generated.success:
                console.print(f"[yellow]dbt docs generate failed: {generated.exception}[/]")
        return counts, build_s, time.perf_counter() - t1
    finally:
        if old_env is None:
            os.environ.pop(DUCKDB_PATH_ENV, None)
        else:
            os.environ[DUCKDB_PATH_ENV] = old_env


def build(warehouse: Path, as_of: str | date | datetime | None = None,
          full_refresh: bool = False, console: Console | None = None,
          docs: bool = True) -> BuildResult:
    """Build staging → intermediate → marts with dbt on a copy of ``warehouse``; swap it in.

    ``docs=False`` skips ``dbt docs generate`` (tests use it to save a few seconds).
    """
    warehouse = Path(warehouse)
    console = console or Console(stderr=True)
    as_of_text = normalise_as_of(as_of)
    started = time.perf_counter()
    dbt_root = builds_dir(warehouse) / "dbt"
    dbt_root.mkdir(parents=True, exist_ok=True)
    run_dir = dbt_root / f"run-{os.getpid()}-{time.time_ns()}"
    target, logs = run_dir / "target", run_dir / "logs"
    target.mkdir(parents=True)
    stable = docs_dir(warehouse)
    if (stable / "partial_parse.msgpack").exists():  # reuse the previous parse
        shutil.copy2(stable / "partial_parse.msgpack", target / "partial_parse.msgpack")
    try:
        with console.status("Building the warehouse with dbt…"), writable_copy(warehouse) as path:
            as_of_text = _prepare(path, as_of_text)
            counts, build_s, docs_s = _run_dbt(path, target, logs, as_of_text, full_refresh,
                                               docs, console)
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
    return BuildResult(warehouse=warehouse, as_of=as_of_text, seconds=seconds,
                       build_seconds=build_s, docs_seconds=docs_s, counts=counts,
                       docs_dir=stable)
