"""The served dbt docs of a build: where they live and what the build keeps beside them.

Each build runs dbt with its own target directory; once the build is swapped in, that
directory becomes the served docs (:func:`promote`) — index.html, manifest.json (the next
build compares its code with it), catalog.json — with the build's run results and the
project vars it used kept beside them.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from warehouse.store import builds_dir

BUILD_RESULTS_FILE = "build_run_results.json"  # in docs_dir(): the dbt build's run results


def docs_dir(warehouse: Path) -> Path:
    """Where the dbt docs of the current build live (index.html, manifest.json, catalog.json)."""
    return builds_dir(Path(warehouse)) / "dbt" / "target"


def run_dirs(warehouse: Path) -> tuple[Path, Path, Path]:
    """A new directory for one dbt run beside the served docs: (run dir, target, logs)."""
    dbt_root = builds_dir(Path(warehouse)) / "dbt"
    run_dir = dbt_root / f"run-{os.getpid()}-{time.time_ns()}"
    (run_dir / "target").mkdir(parents=True)
    return run_dir, run_dir / "target", run_dir / "logs"


def promote(warehouse: Path, run_dir: Path) -> Path:
    """The run's target becomes the served docs (the build it documents is served now);
    runs older than an hour that a crash left behind are removed."""
    stable = docs_dir(warehouse)
    dbt_root = stable.parent
    old = dbt_root / f"old-{os.getpid()}-{time.time_ns()}"
    if stable.exists():
        stable.rename(old)
    (run_dir / "target").rename(stable)
    shutil.rmtree(old, ignore_errors=True)
    for leftover in dbt_root.glob("run-*"):
        if leftover != run_dir and time.time() - leftover.stat().st_mtime > 3600:
            shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return stable
