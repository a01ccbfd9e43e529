"""The build's end of dbt's process (:mod:`warehouse.build.dbt_worker`).

DbtProcess starts ``python -m warehouse.build.dbt_worker`` at the beginning of a build
(its imports run while the build copies and loads), sends it one request and reads its
one reply; the process ends after it, and with it every piece of state dbt keeps. A build
that fails or is killed takes the process down with it (the process also watches for its
parent). :func:`stable_name` gives the copy dbt works on the fixed name the partial parse
depends on.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from warehouse.build.errors import BuildFailed

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
DBT_DATABASE_FILE = "cityops.duckdb"  # in builds_dir/dbt: link to the copy being built


class DbtProcess:
    """One dbt process for one request: ``with DbtProcess() as dbt: dbt.request({...})``."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "warehouse.build.dbt_worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env)

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send the request, wait for the reply and for the process to end."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.write(json.dumps(payload) + "\n")
            self._proc.stdin.close()
        except BrokenPipeError:
            pass  # the process is gone already: its exit code says why
        line = self._proc.stdout.readline()
        code = self._proc.wait()
        if not line:
            raise BuildFailed(f"dbt's process ended without a reply (exit code {code}); "
                              "its output is above")
        reply = json.loads(line)
        if "error" in reply:
            raise BuildFailed(f"dbt's process failed:\n{reply['error']}")
        return reply

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def __enter__(self) -> DbtProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def stable_name(path: Path, link: Path) -> Iterator[Path]:
    """dbt opens the copy under a fixed name: a hard link ``builds/dbt/cityops.duckdb``.

    dbt-duckdb names the database after the file and dbt hashes the connection (path
    included) into its partial-parse state; the copy's name changes with every build, which
    made every build re-parse the whole project. Under the link the database is
    always ``cityops`` and the previous parse is reused. (A symlink does not do: DuckDB
    names the catalog after the resolved file.) dbt's process has ended — closing its
    database — by the time the link goes; what a killed one left in the WAL is
    checkpointed first, so the copy is complete under its own name.
    """
    for stale in (link, Path(f"{link}.wal")):
        if stale.is_symlink() or stale.exists():
            stale.unlink()
    os.link(path, link)
    try:
        yield link
        if Path(f"{link}.wal").exists():
            con = duckdb.connect(str(link))
            con.execute("CHECKPOINT")
            con.close()
    finally:
        link.unlink(missing_ok=True)
        Path(f"{link}.wal").unlink(missing_ok=True)


def run_unit_tests(warehouse: Path, workdir: Path) -> tuple[int, list[tuple[str, str]]]:
    """Run the dbt unit tests against a scratch copy of the current build (they need the
    built relations for column types); returns (tests run, failures)."""
    import shutil

    from warehouse.store import current_file

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / DBT_DATABASE_FILE
    shutil.copyfile(current_file(Path(warehouse)), db)
    with DbtProcess() as dbt:
        reply = dbt.request({"kind": "unit_tests", "db_path": str(db), "workdir": str(workdir)})
    return reply["ran"], [tuple(f) for f in reply["failures"]]
