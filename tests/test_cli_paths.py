"""Every command, started from a directory outside the project with relative paths, works
there and writes nothing under the project (a relative `--warehouse` once put the build's
dbt files inside the dbt project, and `cityops docs` then found no docs); `cityops demo`
ends its build without Python's "leaked semaphore" warning.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CITYOPS = [sys.executable, "-m", "warehouse.cli"]
# what a run may add under the project without it being a defect: caches of the tools
IGNORED = {".venv", ".git", ".pytest_cache", ".ruff_cache", "__pycache__", "tests/artifacts",
           ".tools"}

pytestmark = pytest.mark.slow


def _project_files() -> set[str]:
    found = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = Path(dirpath).relative_to(ROOT).as_posix()
        dirnames[:] = [d for d in dirnames
                       if d not in IGNORED and f"{rel}/{d}".lstrip("./") not in IGNORED]
        found.update(f"{rel}/{name}" for name in filenames)
        found.update(f"{rel}/{name}/" for name in dirnames)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(CITYOPS + args, cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=_env())
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # the checkout, whatever the caller's directory
    env.pop("CITYOPS_WAREHOUSE", None)
    env.pop("CITYOPS_REPORTS_DIR", None)
    return env


def _get(url: str, proc: subprocess.Popen, timeout: float) -> str:
    """``url``'s body once the server ``proc`` starts answering ('' if proc ends first)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.read().decode("utf-8", "replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    return ""


def _serving(args: list[str], cwd: Path, url: str) -> tuple[str, str, str]:
    """Start a serving command, fetch ``url`` once it answers, stop it: (body, out, err)."""
    proc = subprocess.Popen(CITYOPS + args, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(),
                            start_new_session=True)
    try:
        body = _get(url, proc, timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    return body, out, err


@pytest.mark.long  # whole-system pass: the long tier (make test-all; CI runs both)
def test_every_command_with_relative_paths_writes_only_where_it_was_started(
        sample_dir, tmp_path):
    before = _project_files()
    work = tmp_path / "elsewhere"
    shutil.copytree(sample_dir, work / "in")
    (work / "again").mkdir()
    shutil.copy(sample_dir / "calls.csv", work / "again" / "calls.csv")

    _run(["load", "in", "--warehouse", "wh.duckdb"], work)
    _run(["build", "--warehouse", "wh.duckdb"], work)
    target = work / "wh.duckdb.builds" / "dbt" / "target"
    assert (target / "manifest.json").exists() and (target / "index.html").exists()
    _run(["update", "again", "--warehouse", "wh.duckdb"], work)
    assert (target / "manifest.json").exists() and (target / "index.html").exists()
    _run(["check", "--warehouse", "wh.duckdb"], work)
    assert (work / "wh.duckdb.builds" / "gx_docs" / "index.html").exists()
    _run(["export", "kck_queue_service", "--warehouse", "wh.duckdb", "--out", "q.csv"], work)
    assert (work / "q.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    port = _free_port()
    index, _, _ = _serving(["docs", "--warehouse", "wh.duckdb", "--port", str(port)], work,
                           f"http://127.0.0.1:{port}/")
    assert 'href="/dbt/index.html"' in index and 'href="/gx/index.html"' in index

    port = _free_port()
    health, out, _ = _serving(["serve", "--warehouse", "wh.duckdb", "--port", str(port)],
                              work, f"http://127.0.0.1:{port}/_stcore/health")
    assert health == "ok"
    assert f"(warehouse: {work / 'wh.duckdb'})" in out

    assert _project_files() == before


@pytest.mark.long  # whole-system pass: the long tier (make test-all; CI runs both)
def test_demo_from_elsewhere_serves_with_its_docs_and_no_warnings(tmp_path):
    before = _project_files()
    work = tmp_path / "demo"
    work.mkdir()
    port = _free_port()
    health, out, err = _serving(
        ["demo", "--warehouse", "data/wh.duckdb", "--years", "1", "--scale", "0.02",
         "--port", str(port)], work, f"http://127.0.0.1:{port}/_stcore/health")
    assert health == "ok"
    assert "Warning" not in err and "INFO:" not in err, err[-3000:]
    assert "0 failed: all passed" in out, out[-3000:]
    target = work / "data" / "wh.duckdb.builds" / "dbt" / "target"
    assert (target / "manifest.json").exists() and (target / "index.html").exists()
    assert _project_files() == before
