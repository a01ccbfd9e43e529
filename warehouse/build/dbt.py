"""Running dbt: the `dbt build` of a build (parse, the nodes to run, build, docs) and the
dbt unit tests — inside dbt's own process (:mod:`warehouse.build.dbt_worker`).

dbt opens the writable copy under a fixed name (:func:`warehouse.build.dbt_process.
stable_name`), given relative to the folder it runs in (:func:`_beside`), and reads as_of
and the build id from the environment only while executing (:func:`dbt_session`,
``dbt/macros/time.sql``), so a previous parse is reused: a changed path, var or parse-time
env var makes dbt re-parse the whole project (≈ 4–6 s). The parse reused is the
warehouse's own previous one, else the machine's latest of this project
(:func:`parse_cache`): the first build of a new warehouse does not parse from scratch
either. Docs reuse the build's compiled manifest. Any failing node is reported by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from warehouse.build.changes import (
    PROJECT_VARS_FILE,
    DataChanges,
    code_change_reason,
    selection_args,
    upstream_change_reason,
    vars_change_reason,
)
from warehouse.build.docs import BUILD_RESULTS_FILE
from warehouse.build.errors import BuildFailed

DBT_DIR = Path(__file__).resolve().parent.parent.parent / "dbt"
DUCKDB_PATH_ENV = "CITYOPS_DUCKDB_PATH"
# as_of and the build id reach dbt in the environment, not as vars: a changed var forces a
# full re-parse (dbt/macros/time.sql, incremental.sql)
AS_OF_ENV = "CITYOPS_AS_OF"
BUILD_ID_ENV = "CITYOPS_BUILD_ID"
PARSE_FILE = "partial_parse.msgpack"  # dbt's saved parse, in a target directory


@contextlib.contextmanager
def dbt_session(db_path: Path, as_of: str | None = None,
                build_id: str | None = None,
                extra: dict[str, str] | None = None) -> Iterator[None]:
    """Point dbt at ``db_path`` (and give it as_of and a build id, and ``extra``: the
    Spark target's directories) through the environment the project reads (profiles.yml,
    macros/time.sql, macros/incremental.sql); afterwards put the environment back as it
    was."""
    values = {DUCKDB_PATH_ENV: str(db_path), AS_OF_ENV: as_of, BUILD_ID_ENV: build_id,
              **(extra or {})}
    values = {name: value for name, value in values.items() if value is not None}
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _beside(db_path: Path) -> Iterator[Path]:
    """Run in the folder of ``db_path`` and yield its bare name: dbt hashes the database
    path into its parse state, so a relative ``cityops.duckdb`` makes one parse serve the
    builds of every warehouse (each builds a copy of that name in its own folder)."""
    before = Path.cwd()
    os.chdir(db_path.parent)
    try:
        yield Path(db_path.name)
    finally:
        os.chdir(before)


def parse_cache() -> Path | None:
    """Where this machine keeps its latest dbt parse of this project: in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``), one per project folder — a parse
    records the paths of the project's files, so another copy of the project (the mutation
    check's) keeps its own. None for a user without a home folder (no cache)."""
    try:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # Path.home(): no HOME and no passwd entry
        return None
    project = hashlib.sha256(str(DBT_DIR).encode()).hexdigest()[:16]
    return root / "cityops" / "dbt-parse" / project / PARSE_FILE


def reuse_parse(target: Path, previous: Path | None = None) -> None:
    """Give a new dbt target a saved parse: the one in ``previous`` (the warehouse's served
    target), else the machine's latest (:func:`parse_cache`). dbt checks it: a changed
    file is parsed again; a changed dbt version, var, profile or target discards it."""
    for saved in (previous / PARSE_FILE if previous else None, parse_cache()):
        if saved is not None and saved.exists():
            with contextlib.suppress(OSError):
                shutil.copyfile(saved, target / PARSE_FILE)
                return


def _keep_parse(target: Path) -> None:
    """The target's parse becomes the machine's latest (written beside, then renamed: a
    build reading it meanwhile sees the old one or the new one). A cache that cannot be
    written costs the next new warehouse a full parse, nothing else."""
    cached = parse_cache()
    if cached is None:
        return
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f"{PARSE_FILE}.{os.getpid()}")
        shutil.copyfile(target / PARSE_FILE, part)
        os.replace(part, cached)


def _project_vars() -> dict:
    """The vars of dbt_project.yml (targets, office hours, thresholds)."""
    import yaml

    return yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text()).get("vars") or {}


def _failures(results) -> list[tuple[str, str]]:
    out = []
    for r in getattr(results, "results", None) or []:
        status = str(getattr(r.status, "value", r.status))
        if status in ("error", "fail", "runtime error"):
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
            out.append((name, (r.message or status).strip()))
    return out


def counts_of(results) -> dict[str, int]:
    """Nodes per status ('success', 'pass', …) and per kind ('kind:model', 'kind:unit_test', …)."""
    counts: dict[str, int] = {}
    for r in getattr(results, "results", None) or []:
        status = str(getattr(r.status, "value", r.status))
        counts[status] = counts.get(status, 0) + 1
        kind = str(getattr(getattr(r.node, "resource_type", None), "value", "?"))
        counts[f"kind:{kind}"] = counts.get(f"kind:{kind}", 0) + 1
    return counts


def run_dbt(db_path: Path, target: Path, logs: Path, as_of: str, full_refresh: bool,
            docs: bool, say: Callable[[str], None], phases: dict[str, float],
            previous_manifest: Path | None = None, changes: DataChanges | None = None,
            spark: dict[str, str] | None = None, with_unit_tests: bool = False,
            ) -> tuple[dict[str, int], float, float, str | None]:
    """Parse (reusing the previous parse), then one ``dbt build`` — of every node, or when
    ``changes`` says what data is new since the served build, of the nodes that can differ
    from it (:func:`warehouse.build.changes.nodes_to_run`); returns the node counts, build and
    docs seconds, and why a full refresh was chosen here (code changed).

    ``spark``: build on the profile's Spark target instead, with these environment
    variables (:mod:`warehouse.build.spark`): always every node, no docs (their catalog
    would be Spark's, not the served file's). ``with_unit_tests``: the dbt unit tests run
    in the same ``dbt build``, each before its model (the Spark parity test).
    """
    from dbt.cli.main import dbtRunner

    code_reason = None

    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(target), "--log-path", str(logs)]
    if spark is not None:  # the profile's local Spark, or a cluster's (docs/SCALE_OUT.md)
        common += ["--target", os.environ.get("CITYOPS_SPARK_TARGET", "spark")]
        full_refresh, changes, docs = True, None, False
    build_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.time_ns()}"
    with _beside(db_path) as name, dbt_session(name, as_of, build_id, spark):
        t0 = time.perf_counter()
        # no JSON: the build writes manifest.json again; the saved parse
        # (partial_parse.msgpack) is written either way
        parsed = dbtRunner().invoke(["--quiet", "--no-write-json", "parse", *common])
        if not parsed.success:
            raise BuildFailed(f"dbt could not parse the project: {parsed.exception}")
        if spark is None:  # the Spark target's parse is its own (the target is hashed)
            _keep_parse(target)
        phases["dbt_parse"] = time.perf_counter() - t0
        runner = dbtRunner(manifest=parsed.result)
        # dbt unit tests check the SQL logic, not the data: they run in CI
        # (run_unit_tests, tests/test_build.py) and, after the build, when its code changed
        # (_guard_unit_tests), not in the dbt build of every production build
        args = ["--quiet", "--log-level-file", "info", "build", *common]
        if not with_unit_tests:
            args += ["--exclude-resource-type", "unit_test"]
        elif spark is not None:  # pinned to the last bit of DuckDB's floating point
            args += ["--exclude", "tag:float_exact"]
        project_vars = _project_vars()
        # changed code (or vars) since the served build: the unit tests guard the swap too
        # (DECISIONS.md § 17); never on a daily load of the same code, nor on Spark
        guard_reason = None if with_unit_tests or spark is not None else (
            code_change_reason(parsed.result, previous_manifest)
            or vars_change_reason(previous_manifest, project_vars))
        if not full_refresh:
            code_reason = (upstream_change_reason(parsed.result, previous_manifest)
                           or vars_change_reason(previous_manifest, project_vars))
            if code_reason:
                say(f"Full refresh (every model from scratch): {code_reason}.")
                full_refresh = True
        if full_refresh:
            args.append("--full-refresh")
        elif changes is not None:
            args += selection_args(parsed.result, previous_manifest, changes, say)
        res = runner.invoke(args)
        build_s = time.perf_counter() - t0
        phases["dbt_build"] = build_s - phases["dbt_parse"]
        counts = counts_of(res.result)
        _raise_on_failures(res, "dbt build failed", logs)
        # docs generate (and the unit tests) overwrite run_results.json: keep the build's
        if (target / "run_results.json").exists():
            shutil.copy2(target / "run_results.json", target / BUILD_RESULTS_FILE)
        if guard_reason:
            _guard_unit_tests(runner, common, guard_reason, logs, counts, phases, say)
        (target / PROJECT_VARS_FILE).write_text(json.dumps(project_vars, sort_keys=True))
        t1 = time.perf_counter()
        if docs:
            # the build compiled every node already: write the docs from that manifest
            # (--no-compile: nothing is compiled twice), the catalog still read from DuckDB
            generated = runner.invoke(["--quiet", "docs", "generate", "--no-compile",
                                       *common])
            if not generated.success:
                say(f"[yellow]dbt docs generate failed: {generated.exception}[/]")
        phases["dbt_docs"] = time.perf_counter() - t1
        return counts, build_s, phases["dbt_docs"], code_reason


def _raise_on_failures(res: Any, what: str, logs: Path) -> None:
    """BuildFailed naming every failed node of a dbt invocation (or dbt's exception)."""
    failures = _failures(res.result)
    if failures or not res.success:
        if not failures and res.exception is not None:
            failures = [("dbt", str(res.exception))]
        lines = "\n".join(f"  - {name}: {msg}" for name, msg in failures[:20])
        raise BuildFailed(f"{what} on {len(failures)} node(s):\n{lines}\n"
                          f"(details: {logs / 'dbt.log'})", failures)


def _guard_unit_tests(runner: Any, common: list[str], reason: str, logs: Path,
                      counts: dict[str, int], phases: dict[str, float],
                      say: Callable[[str], None]) -> None:
    """Every dbt unit test, on the built copy before it is swapped in (its relations give
    the inputs' column types); a failure fails the build, so nothing is swapped."""
    say(f"dbt unit tests before the swap: {reason}.")
    t0 = time.perf_counter()
    res = runner.invoke(["--quiet", "--log-level-file", "info", "test", "--select",
                         "test_type:unit", *common])
    phases["dbt_unit_tests"] = time.perf_counter() - t0
    _raise_on_failures(res, f"dbt unit tests failed on changed code ({reason})", logs)
    for key, n in counts_of(res.result).items():
        counts[key] = counts.get(key, 0) + n


def unit_tests(db: Path, workdir: Path) -> tuple[int, list[tuple[str, str]]]:
    """Run the dbt unit tests against ``db`` (a scratch copy of a build: they need the
    built relations for column types); returns (tests run, failures)."""
    from dbt.cli.main import dbtRunner

    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    (workdir / "target").mkdir(parents=True, exist_ok=True)
    reuse_parse(workdir / "target")
    with _beside(db) as name, dbt_session(name):
        res = dbtRunner().invoke(["--quiet", "test", *common, "--select", "test_type:unit"])
    results = getattr(res.result, "results", None) or []
    failures = _failures(res.result)
    if not res.success and not failures:
        failures = [("dbt", str(res.exception))]
    return len(results), failures
