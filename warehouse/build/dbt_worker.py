"""dbt's process: ``python -m warehouse.build.dbt_worker``, one request, one reply.

The build starts this process first (:class:`warehouse.build.dbt_process.DbtProcess`), so
dbt's imports (≈ 1.7 s) run beside the copy and the load, then sends it one request — the
`dbt build` of :func:`warehouse.build.dbt.run_dbt`, or the dbt unit tests — and reads one
reply: a JSON line on the process's original stdout (whatever dbt prints goes to stderr).
dbt and dbt-duckdb keep state for the life of a process (dbt-duckdb keeps its database
open, a multiprocessing lock per manifest): in a process of their own it is all gone when
the process ends, and the build opens the file it swaps in knowing nothing else holds it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from warehouse.build.changes import DataChanges
from warehouse.build.dbt import run_dbt, unit_tests
from warehouse.build.errors import BuildFailed


def _serve(request: dict) -> dict:
    """One request of the build process, answered."""
    messages: list[str] = []
    if request["kind"] == "unit_tests":
        ran, failures = unit_tests(Path(request["db_path"]), Path(request["workdir"]))
        return {"ran": ran, "failures": failures}
    phases: dict[str, float] = {}
    changes = request.get("changes")
    previous = request.get("previous_manifest")
    try:
        counts, build_s, docs_s, code_reason = run_dbt(
            Path(request["db_path"]), Path(request["target"]), Path(request["logs"]),
            request["as_of"], request["full_refresh"], request["docs"], messages.append,
            phases, Path(previous) if previous else None,
            DataChanges(frozenset(changes["sources"]), changes["as_of_moved"])
            if changes is not None else None,
            spark=request.get("spark"), with_unit_tests=request.get("unit_tests", False))
    except BuildFailed as exc:
        return {"failed": str(exc), "failures": exc.failures, "messages": messages}
    return {"counts": counts, "build_seconds": build_s, "docs_seconds": docs_s,
            "code_reason": code_reason, "phases": phases, "messages": messages}


def _exit_with(parent: int) -> None:
    """End this process when the build that started it is gone (killed): a dbt run must
    not go on writing a copy nobody will swap in."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(3)


def main() -> int:
    reply_to = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever dbt prints goes to stderr; the reply has the original stdout
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    # the objects of a dbt run (its manifest, millions of them) are left out of the
    # collections Python runs while it exits (walking them delayed every build's end)
    import atexit
    import gc

    atexit.register(gc.freeze)
    t0 = time.perf_counter()
    import dbt.adapters.duckdb  # noqa: F401  (the imports the build overlaps)
    import dbt.cli.main  # noqa: F401

    imported = time.perf_counter()
    line = sys.stdin.readline()
    if not line:  # the build ended before it needed dbt
        return 0
    received = time.perf_counter()
    try:
        reply = _serve(json.loads(line))
    except Exception:  # noqa: BLE001 — everything else reaches the build as a failure
        reply = {"error": traceback.format_exc()}
    reply["import_wait"] = max(0.0, imported - max(received, t0))
    reply_to.write(json.dumps(reply) + "\n")
    reply_to.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
