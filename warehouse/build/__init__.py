"""`cityops build`: run the dbt project over the raw layer, on a copy swapped in atomically.

The steps of a build (:func:`build`), each in its own module:

1. a :func:`warehouse.store.writable_copy` of the warehouse (and, for ``cityops update``,
   the night's load into it);
2. prepare the copy: migrate the raw schema (:mod:`warehouse.migrations`), write the
   holiday calendar for the data's years, take the as_of (:mod:`.as_of`) and decide what
   must be redone — a full refresh, or only the nodes new data, a moved as_of or changed
   code can reach (:mod:`.changes`; dbt/DECISIONS.md § 14);
3. one ``dbt build`` and ``dbt docs generate`` (:mod:`.dbt`); any failing node raises
   :class:`BuildFailed` and the copy is discarded, so the served warehouse is unchanged;
4. record the build in ``raw.build_log``, swap the copy in, and serve its docs
   (:mod:`.docs`).

Each build reports how long each step took (``BuildResult.phases``).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console

from warehouse.build.as_of import (
    AS_OF_COLUMNS,
    NO_DATED_ROWS,
    default_as_of,
    normalise_as_of,
)
from warehouse.build.changes import DataChanges, data_changes, refresh_reason
from warehouse.build.dbt import DBT_DIR, dbt_session, reuse_parse
from warehouse.build.dbt_process import (
    DBT_DATABASE_FILE,
    DbtProcess,
    run_unit_tests,
    stable_name,
)
from warehouse.build.docs import BUILD_RESULTS_FILE, docs_dir, promote, run_dirs
from warehouse.build.errors import BuildFailed
from warehouse.calendar import data_years, write_public_holidays
from warehouse.migrations import migrate
from warehouse.store import record_update, writable_copy

if TYPE_CHECKING:
    from warehouse.loading.report import LoadReport

__all__ = ["AS_OF_COLUMNS", "BUILD_RESULTS_FILE", "DBT_DIR", "BuildFailed", "BuildResult",
           "build", "dbt_session", "default_as_of", "docs_dir", "normalise_as_of",
           "run_unit_tests"]


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


def _prepare(path: Path, as_of: str | None, full_refresh: bool
             ) -> tuple[str, bool, str | None, DataChanges | None]:
    """Raw schema, holidays, the as_of to build with, whether the incremental models must
    be rebuilt from scratch (and why), and what data changed since the served build (None:
    no build to compare with), inside the writable copy."""
    con = duckdb.connect(str(path))
    try:
        migrate(con)
        as_of = as_of or default_as_of(con)
        if as_of is None:  # never the clock: the same data must give the same marts
            raise BuildFailed(NO_DATED_ROWS)
        as_of_day = datetime.fromisoformat(as_of).date()
        holidays = write_public_holidays(con, data_years(con, extra=[as_of_day]),
                                         force=full_refresh)
        reason = None if full_refresh else refresh_reason(con, as_of)
        changes = None if full_refresh or reason else data_changes(con, as_of, holidays)
    finally:
        con.close()
    return as_of, full_refresh or reason is not None, reason, changes


def _spark_scratch(path: Path, beside: Path) -> tuple[Path, dict[str, str]]:
    """A scratch directory beside the kept builds with the copy's raw layer as Parquet,
    and the environment that points the Spark target at it."""
    import tempfile

    from warehouse.build import spark

    scratch = Path(tempfile.mkdtemp(prefix="spark-", dir=beside))
    con = duckdb.connect(str(path), read_only=True)
    try:
        spark.export_raw(con, scratch / "raw")
    finally:
        con.close()
    return scratch, {spark.RAW_ENV: str(scratch / "raw"),
                     spark.WAREHOUSE_ENV: str(scratch / "warehouse"),
                     spark.LOG4J_ENV: str(spark.LOG4J_FILE)}


def _spark_publish(path: Path, scratch: Path, target: Path) -> None:
    """Every table the Spark build wrote, into the copy (replacing DuckDB's relations)."""
    from warehouse.build import spark

    con = duckdb.connect(str(path))
    try:
        spark.publish(con, scratch / "warehouse", spark.built_tables(target / "manifest.json"))
    finally:
        con.close()


def _log_build(path: Path, as_of: str, full_refresh: bool, reason: str | None) -> None:
    """The build's row in raw.build_log, written once dbt has succeeded (a failed build's
    copy is discarded, and with it everything it wrote)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("insert into raw.build_log values (current_localtimestamp(), "
                    "cast(? as timestamp), ?, ?)", [as_of, full_refresh, reason])
    finally:
        con.close()


def build(warehouse: Path, as_of: str | date | datetime | None = None,
          full_refresh: bool = False, console: Console | None = None,
          docs: bool = True, load_from: Path | None = None,
          extracted_at: datetime | None = None,
          max_reject_pct: float | None = None, engine: str = "duckdb",
          unit_tests: bool = False) -> BuildResult:
    """Build staging → intermediate → marts with dbt on a copy of ``warehouse``; swap it in.

    ``load_from``: first load the extracts of that directory into the same copy
    (``cityops update``, the daily job; ``extracted_at`` and ``max_reject_pct`` as for
    ``cityops load``): one copy,
    one swap, and readers never see new raw data under marts that do not include it yet.
    A refused load raises :class:`warehouse.load.LoadRefused`; the served warehouse is
    unchanged.
    ``docs=False`` skips ``dbt docs generate`` (tests use it to save a few seconds).
    ``engine="spark"``: the models are built on Apache Spark and published into the copy
    (:mod:`warehouse.build.spark`); always a full build. ``unit_tests``: the dbt unit tests
    run inside the build (the Spark parity test).
    """
    # absolute: dbt resolves a relative --target-path against the dbt project folder
    warehouse = Path(warehouse).absolute()
    console = console or Console(stderr=True)
    as_of_text = normalise_as_of(as_of)
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"unknown engine {engine!r}")
    if engine == "spark":
        from warehouse.build import spark

        missing = spark.unavailable()
        if missing:
            raise BuildFailed(f"Spark cannot run on this machine: {missing}.")
        full_refresh = True
    started = time.perf_counter()
    dbt = DbtProcess()  # its imports run while the copy is made and the files load
    run_dir, target, logs = run_dirs(warehouse)
    stable = docs_dir(warehouse)
    reuse_parse(target, stable)
    phases: dict[str, float] = {}
    loaded = None
    scratch = spark_env = None  # the Spark build's Parquet files (removed afterwards)
    try:
        with dbt, writable_copy(warehouse, phases) as path:
            if load_from is not None:
                from warehouse.load import load_directory

                t0 = time.perf_counter()
                loaded = load_directory(load_from, warehouse, console=console, into=path,
                                        extracted_at=extracted_at,
                                        max_reject_pct=max_reject_pct)
                phases["load"] = time.perf_counter() - t0
            with console.status("Building the warehouse with dbt…"):
                t0 = time.perf_counter()
                as_of_text, full_refresh, reason, changes = _prepare(path, as_of_text,
                                                                     full_refresh)
                phases["prepare"] = time.perf_counter() - t0
                if reason:
                    console.print(f"Full refresh (every model from scratch): {reason}.")
                if engine == "spark":
                    t0 = time.perf_counter()
                    scratch, spark_env = _spark_scratch(path, stable.parent)
                    phases["spark_export"] = time.perf_counter() - t0
                with stable_name(path, stable.parent / DBT_DATABASE_FILE) as link:
                    reply = dbt.request({
                        "kind": "build", "db_path": str(link), "target": str(target),
                        "logs": str(logs), "as_of": as_of_text, "full_refresh": full_refresh,
                        "docs": docs, "previous_manifest": str(stable / "manifest.json"),
                        "changes": None if changes is None else {
                            "sources": sorted(changes.sources),
                            "as_of_moved": changes.as_of_moved},
                        "spark": spark_env, "unit_tests": unit_tests})
                    for message in reply["messages"]:
                        console.print(message)
                    if "failed" in reply:
                        raise BuildFailed(reply["failed"],
                                          [tuple(f) for f in reply["failures"]])
                    phases["dbt_import_wait"] = reply["import_wait"]
                    phases.update(reply["phases"])
                    counts, code_reason = reply["counts"], reply["code_reason"]
                    build_s, docs_s = reply["build_seconds"], reply["docs_seconds"]
                    t0 = time.perf_counter()
                if scratch is not None:
                    _spark_publish(path, scratch, target)
                    phases["spark_publish"] = time.perf_counter() - t0
                    t0 = time.perf_counter()
                if code_reason:
                    full_refresh, reason = True, code_reason
                _log_build(path, as_of_text, full_refresh,
                           reason or ("requested" if full_refresh else None))
                phases["checkpoint"] = time.perf_counter() - t0
    except BuildFailed as exc:
        console.print(f"[red]Build failed[/]; dbt logs kept in {logs}. "
                      "The served warehouse is unchanged.")
        record_update(warehouse, False, str(exc))
        raise
    except Exception as exc:  # a refused load, a fault: said on the pages too
        record_update(warehouse, False, str(exc).splitlines()[0] if str(exc) else repr(exc))
        raise
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    promote(warehouse, run_dir)
    record_update(warehouse, True)  # the new build is served: its docs become the current docs
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
