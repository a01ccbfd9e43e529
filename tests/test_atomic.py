"""Issue 5 §3: a load or build never exposes a half-built warehouse.

(a) ``kill -9`` of ``cityops load`` / ``cityops build`` at random points leaves the served
    warehouse readable and unchanged (same link target, same row counts, same mart
    checksums), and the next run succeeds (and removes the half-written copies);
(b) a reader process answering queries in a loop (resolving the link each time, like the
    dashboard) while three rebuilds run sees zero errors, and every answer comes from one
    complete build: in one connection incident_sla has a row per raw ticket and the
    director KPIs are there, and the builds it sees (their as_of, marts.build_info) only
    ever move forward.

Each rebuild uses its own ``--as-of`` (after the fixture's last event, 2025-12-31), so the
builds' as_of tell them apart.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.store import builds_dir, current_file

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CITYOPS = Path(sys.executable).parent / "cityops"
CHECKSUM_MARTS = ("incident_sla", "kck_queue_service", "director_kpis", "submissions")
# kill points: random fractions of the measured run time, one in each band
KILL_BANDS = ((0.1, 0.25), (0.25, 0.45), (0.45, 0.7))
LOAD_KILL_BANDS = ((0.2, 0.35), (0.35, 0.5), (0.5, 0.65), (0.65, 0.8))


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(CITYOPS), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, **kwargs)


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    proc = _run(args)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return time.perf_counter() - started


def _run_and_kill(args: list[str], after_s: float) -> int | None:
    """Start ``cityops ARGS``, SIGKILL it (and its process group) after ``after_s``.

    Returns None if it was killed, else its exit code (it finished first).
    """
    proc = subprocess.Popen([str(CITYOPS), *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return proc.wait(timeout=after_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return None


def _kill_series(wh: Path, args: list[str], seconds: float,
                 bands: tuple[tuple[float, float], ...], seed: int) -> tuple[int, int]:
    """Kill ``cityops ARGS`` once in each band of the measured run time.

    After each kill the served warehouse is either exactly as before (killed before its
    atomic swap) or a complete new state (killed after the swap, while printing or
    pruning) — never anything in between, and always readable.
    Returns (kills before the swap, kills that left a half-written copy behind).
    """
    rng = random.Random(seed)
    before_swap, left_partial = 0, 0
    for lo, hi in bands:
        before = fingerprint(wh)
        code = _run_and_kill(args, rng.uniform(lo, hi) * seconds)
        after = fingerprint(wh)  # readable
        if code is None and after == before:
            before_swap += 1
            left_partial += bool(_partials(wh))
        else:  # it got past the swap (or finished): a complete, consistent new state
            assert code in (None, 0)
            assert after["target"] != before["target"]
        _assert_consistent(wh)
    return before_swap, left_partial


def fingerprint(warehouse: Path) -> dict:
    """Link target, row count of every table, checksums of some marts (read-only)."""
    target = os.readlink(warehouse) if warehouse.is_symlink() else None
    con = duckdb.connect(str(current_file(warehouse)), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() order by all").fetchall()
        counts = {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }
        sums = {
            m: con.execute(
                f"select sum(hash(columns(*)))::varchar from marts.{m}").fetchone()[0]
            for m in CHECKSUM_MARTS
            if f"marts.{m}" in counts
        }
    finally:
        con.close()
    return {"target": target, "counts": counts, "checksums": sums}


def _partials(warehouse: Path) -> list[Path]:
    return sorted(builds_dir(warehouse).glob("*.partial*"))


def _served_copy(built_warehouse: Path, dest_dir: Path) -> Path:
    """A private copy of the session's built warehouse (a plain file: the first write
    turns the name into a link), and its PII key so loads hash alike."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    wh = dest_dir / "warehouse.duckdb"
    shutil.copyfile(current_file(built_warehouse), wh)
    key = Path(built_warehouse).parent / ".pii.key"
    if key.exists():
        shutil.copyfile(key, dest_dir / ".pii.key")
    return wh


def _assert_consistent(warehouse: Path) -> None:
    con = duckdb.connect(str(current_file(warehouse)), read_only=True)
    try:
        (as_ofs,) = con.execute("select count(*) from marts.build_info").fetchone()
        assert as_ofs == 1
        n_sla, n_raw = con.execute(
            "select (select count(*) from marts.incident_sla),"
            " (select count(distinct ticket_id) from raw.tickets)").fetchone()
        assert n_sla == n_raw > 0
    finally:
        con.close()


def test_kill_load_leaves_warehouse_unchanged(built_warehouse, sample_dir, tmp_path) -> None:
    wh = _served_copy(built_warehouse, tmp_path / "wh")
    load = ["load", str(sample_dir), "--warehouse", str(wh)]
    seconds = _timed(load)  # also turns the plain file into a link
    killed, _ = _kill_series(wh, load, seconds, LOAD_KILL_BANDS, seed=5)
    assert killed >= 2, f"only {killed} of {len(LOAD_KILL_BANDS)} loads were killed mid-run"
    before = fingerprint(wh)
    _timed(load)  # the next run succeeds …
    after = fingerprint(wh)
    assert after["target"] != before["target"]
    assert after["counts"]["raw.load_audit"] > before["counts"]["raw.load_audit"]
    assert _partials(wh) == []  # … and removes what the killed runs left behind
    _assert_consistent(wh)


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb
    from warehouse.store import current_file

    wh, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    with out.open("w") as fh:
        while not stop.exists():
            rec = {}
            try:
                path = current_file(wh)  # resolved per query, as the dashboard does
                con = duckdb.connect(str(path), read_only=True)
                try:
                    rec["file"] = path.name
                    rec["as_of"] = [str(con.execute(
                        "select as_of_at from marts.build_info").fetchone()[0])]
                    rec["sla_rows"], rec["raw_tickets"], rec["kpi_rows"] = con.execute(
                        "select (select count(*) from marts.incident_sla),"
                        " (select count(distinct ticket_id) from raw.tickets),"
                        " (select count(*) from marts.director_kpis)").fetchone()
                finally:
                    con.close()
                rec["ok"] = True
            except Exception as exc:
                rec = {"ok": False, "error": repr(exc)}
            fh.write(json.dumps(rec) + "\\n")
            fh.flush()
            time.sleep(0.02)
    """
)


@pytest.mark.long  # whole-system pass: the long tier (make test-all; CI runs both)
def test_killed_builds_and_three_rebuilds_under_a_reading_dashboard(
        built_warehouse, tmp_path) -> None:
    """(a) for builds and (b): while a reader process queries in a loop, rebuild #1 (timed),
    three builds killed with SIGKILL at random fractions of that time (served warehouse
    unchanged), rebuild #2 (the next run succeeds and removes the half-written copies),
    rebuild #3. The reader sees zero errors and only complete builds, in order."""
    wh = _served_copy(built_warehouse, tmp_path / "wh")
    script = tmp_path / "reader.py"
    script.write_text(READER, encoding="utf-8")
    stop, out = tmp_path / "stop", tmp_path / "answers.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # a killed build (2026-01-06) that happens to finish its swap before the kill lands sits
    # between rebuild #1 and #2, so "only forward" holds whichever way the kill falls
    as_ofs = ["2026-01-05", "2026-01-07", "2026-01-08"]
    reader = subprocess.Popen([sys.executable, str(script), str(wh), str(stop), str(out)],
                              cwd=ROOT, env=env)
    try:
        time.sleep(1.0)
        seconds = _timed(["build", "--warehouse", str(wh), "--as-of", as_ofs[0]])
        assert wh.is_symlink()
        _assert_consistent(wh)
        build = ["build", "--warehouse", str(wh), "--as-of", "2026-01-06"]
        killed, left_partial = _kill_series(wh, build, seconds, KILL_BANDS, seed=11)
        assert killed >= 2, f"only {killed} of {len(KILL_BANDS)} builds were killed mid-run"
        assert left_partial >= 1, "no kill hit a build while it was writing its copy"
        before = fingerprint(wh)
        _timed(["build", "--warehouse", str(wh), "--as-of", as_ofs[1]])
        assert fingerprint(wh)["target"] != before["target"]
        assert _partials(wh) == []
        _assert_consistent(wh)
        _timed(["build", "--warehouse", str(wh), "--as-of", as_ofs[2]])
        _assert_consistent(wh)
        time.sleep(1.0)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [a for a in answers if not a["ok"]]
    assert errors == [], errors[:3]
    assert len(answers) >= 50
    for a in answers:
        assert a["sla_rows"] == a["raw_tickets"] > 0, a
        assert a["kpi_rows"] > 0, a
    seen = [a["as_of"][0][:10] for a in answers]
    order = {d: i for i, d in enumerate(sorted(set(seen)))}
    assert [order[d] for d in seen] == sorted(order[d] for d in seen)  # only forward
    assert set(as_ofs) <= set(seen)
    assert seen[-1] == as_ofs[-1]
