"""`make bench`: time and measure the pipeline at 1×, 3× and 10× against the budgets of
issue 17.

For each scale: generate → load → build → check, each step in its own process (wall time,
peak RSS and the machine's load average), repeated at the smallest scale; each step's growth
exponent between consecutive scales (log-log slope in raw rows: 1 is linear); dbt beside
the hand-written DuckDB SQL of the main marts (bare_sql.sql), and that SQL beside the same
marts hand-written for PostgreSQL, from the same raw rows (benchmarks/postgres.py: they
must agree). Then, on the largest warehouse, a one-day incremental load + build; every
dashboard page server-side (cold and warm cache) and in the real browser (time to settled
content in a new tab, beside an empty Streamlit page: benchmarks/settle.py). With
`--tiers`, the times of `make test` and `make test-all` (null where a tier does not exist).

Writes benchmarks/results/<date>.json and the table between the bench markers in README.md.
Medians are quoted: these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from benchmarks.settle import pages_of

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
BARE_SQL = ROOT / "benchmarks" / "bare_sql.sql"  # the three main marts in hand-written SQL
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"

STEPS = ("generate", "load", "build", "check")
# Issue 17's budgets: measure → (limit, "max" = at most / "min" = at least, what it is).
BUDGETS = {
    "load_build_check_10x_s": (60.0, "max", "load + build + check at 10× (s)"),
    "check_10x_s": (15.0, "max", "check at 10× (s)"),
    "load_10x_s": (20.0, "max", "load at 10× (s)"),
    "peak_rss_10x_mib": (3072.0, "max", "peak RSS of any step at 10× (MiB)"),
    "pipeline_1x_s": (20.0, "max", "whole pipeline at 1× (s)"),
    "incremental_day_s": (10.0, "max", "one-day `cityops update` at 10× (s)"),
    "postgres_over_duckdb_10x": (5.0, "min",
                                 "PostgreSQL / DuckDB time, three main marts at 10×"),
    "page_settle_over_empty_10x": (1.5, "max",
                                   "slowest page / empty page, settled in a browser at 10×"),
    "make_test_s": (900.0, "max", "`make test` (s)"),
    "make_test_all_s": (3600.0, "max", "`make test-all` (s)"),
}
# A growth exponent above this is called super-linear: timings drift ~10–40 % here, and
# 10 % of noise moves an exponent over a 3.3-fold step by 0.08.
SUPER_LINEAR = 1.1
FLOWS = ("tickets", "ticket_events", "calls", "submissions", "publications")

# The column that dates a row, for cutting the last day off an extract.
DAY_COLUMN = {
    "tickets": "opened_at",
    "ticket_events": "event_at",
    "calls": "offered_at",
    "submissions": "received_at",
    "publications": "ready_at",
}


def step(name: str, args: list[str], log: Path) -> dict:
    out = WORK / f"{name}.json"
    cmd = [sys.executable, "-m", "benchmarks.measure", str(out), "--", *args]
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(args)}\n")
        fh.flush()
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed (exit {proc.returncode}); see {log}")
    result = json.loads(out.read_text())
    result["load_avg_1m"] = os.getloadavg()[0]  # the machine's, others' work included
    print(f"  {name:<28} {result['seconds']:8.1f} s   peak {result['peak_rss_mib']:7.0f} MiB"
          f"   load avg {result['load_avg_1m']:.1f}", flush=True)
    return result


def raw_rows(warehouse: Path) -> int:
    """Rows of the five flow extracts in raw: the size a growth exponent is taken over."""
    from warehouse.store import current_file

    con = duckdb.connect(str(current_file(warehouse)), read_only=True)
    try:
        return sum(con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in FLOWS)
    finally:
        con.close()


def growth(seconds_a: float, seconds_b: float, rows_a: float, rows_b: float) -> float:
    """Log-log slope between two sizes: 1 linear, below 1 fixed costs, above 1 super-linear."""
    return math.log(seconds_b / seconds_a) / math.log(rows_b / rows_a)


def split_last_day(src: Path, history: Path, day: Path) -> str:
    """Cut the last working day of the flow extracts (the last day the infoline took calls,
    and any weekend rows after it) off into `day`; the rest goes to `history`. A working day
    is the realistic daily increment: a Saturday alone brings no calls or publications."""
    history.mkdir(parents=True, exist_ok=True)
    day.mkdir(parents=True, exist_ok=True)
    last = (
        pl.scan_csv(src / "calls.csv", infer_schema=False)
        .select(pl.col("offered_at").str.slice(0, 10).max())
        .collect()
        .item()
    )
    for f in sorted(src.glob("*.csv")):
        contract = f.stem
        if contract not in DAY_COLUMN:
            shutil.copyfile(f, history / f.name)
            continue
        # streamed (scan → sink): the runner must stay small, its children inherit its
        # peak RSS in their rusage and ran slower beside a big parent
        on_day = pl.col(DAY_COLUMN[contract]).str.slice(0, 10) >= last
        if contract == "ticket_events":  # events of tickets opened on the last day go with them
            new_ids = (pl.scan_csv(src / "tickets.csv", infer_schema=False)
                       .filter(pl.col("opened_at").str.slice(0, 10) >= last)
                       .select("ticket_id").collect()["ticket_id"])
            on_day = on_day | pl.col("ticket_id").is_in(new_ids.implode())
        frame = pl.scan_csv(f, infer_schema=False)
        frame.filter(~on_day).sink_csv(history / f.name)
        frame.filter(on_day).sink_csv(day / f.name)
    return last


def bare_sql_seconds(warehouse: Path, as_of: str, keep: Path | None = None) -> float:
    """Seconds of bare_sql.sql on a copy of the warehouse (removed, unless kept at `keep`
    with its marts in schema bench)."""
    from warehouse.store import current_file

    copy = keep or WORK / "bare.duckdb"
    shutil.copyfile(current_file(warehouse), copy)
    sql = BARE_SQL.read_text().replace("{as_of}", as_of)
    con = duckdb.connect(str(copy))
    t0 = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - t0
    con.close()
    if keep is None:
        copy.unlink()
    return seconds


def as_of_of(warehouse: Path) -> str:
    from warehouse.store import connect_read_only

    con = connect_read_only(warehouse)
    try:
        value = con.execute("select as_of_at from marts.build_info").fetchone()[0]
    finally:
        con.close()
    return str(value)


BARE_MARTS = ("incident_sla", "kck_queue_service", "unit_workload")  # what bare_sql.sql builds


def dbt_seconds(warehouse: Path, as_of: str) -> float:
    """Wall time of dbt building what bare_sql.sql builds, the same way: the three main
    marts and every model upstream of them, from raw, from scratch (`dbt run
    --full-refresh --select +mart…`, models only), on a copy of the warehouse. dbt's own
    clock of the run (run_results elapsed_time): nodes, DDL and dbt's per-node overhead,
    without importing and parsing, which a long-running scheduler would pay once."""
    from dbt.cli.main import dbtRunner

    from warehouse.build import DBT_DIR, dbt_session
    from warehouse.store import current_file

    work = WORK / "dbt_lineage"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copy = work / "cityops.duckdb"
    shutil.copyfile(current_file(warehouse), copy)
    with dbt_session(copy, as_of, "bench"):
        res = dbtRunner().invoke([
            "--quiet", "run", "--full-refresh", "--project-dir", str(DBT_DIR),
            "--profiles-dir", str(DBT_DIR), "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
            "--select", *(f"+{m}" for m in BARE_MARTS)])
    if not res.success:
        raise SystemExit(f"dbt run of the main marts failed: {res.exception}")
    return res.result.elapsed_time


def save_warehouse(warehouse: Path, dest: Path) -> None:
    """Keep the current build of `warehouse` (its file, the dbt state the next build compares
    with, the pseudonymisation key) to start each timed increment from the same state."""
    from warehouse.build import docs_dir
    from warehouse.store import builds_dir, current_file

    shutil.rmtree(dest, ignore_errors=True)
    (dest / "builds").mkdir(parents=True)
    shutil.copyfile(current_file(warehouse), dest / "builds" / current_file(warehouse).name)
    shutil.copytree(docs_dir(warehouse), dest / "target")
    shutil.copyfile(builds_dir(warehouse).parent / ".pii.key", dest / ".pii.key")


def restore_warehouse(src: Path, warehouse: Path) -> None:
    """Put the saved build back under the same path (dbt's saved parse is keyed by it)."""
    from warehouse.build import docs_dir
    from warehouse.store import builds_dir

    shutil.rmtree(builds_dir(warehouse), ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    (build_file,) = (src / "builds").iterdir()
    builds_dir(warehouse).mkdir(parents=True)
    shutil.copyfile(build_file, builds_dir(warehouse) / build_file.name)
    shutil.copytree(src / "target", docs_dir(warehouse))
    shutil.copyfile(src / ".pii.key", warehouse.parent / ".pii.key")
    warehouse.symlink_to(Path(builds_dir(warehouse).name) / build_file.name)
    os.sync()  # the copy's writes must not land in the timed step



def child(module: str, args: list[str], out: Path, log: Path, what: str) -> dict:
    """Run `python -m module args… out` apart from this runner, which must stay small: its
    children inherit its peak RSS in their rusage and ran ~30 % slower beside a big parent
    (benchmarks/yardstick.py). Returns the JSON the child wrote."""
    with log.open("a") as fh:
        fh.write(f"$ python -m {module} {' '.join(args)}\n")
        fh.flush()
        proc = subprocess.run([sys.executable, "-m", module, *args, str(out)], cwd=ROOT,
                              stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed (exit {proc.returncode}); see {log}")
    return json.loads(out.read_text())


def pipeline(scale: float, years: int, seed: int, tag: str, log: Path,
             src_override: Path | None = None, postgres: bool = False) -> dict:
    src = WORK / f"src_{tag}"
    wh = WORK / f"wh_{tag}" / "warehouse.duckdb"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(wh.parent, ignore_errors=True)
    r = {"scale": scale, "generate": step(f"{tag}_generate", [
        "generate", "--out", str(src), "--years", str(years), "--scale", str(scale),
        "--seed", str(seed)], log)}
    load_dir = src
    if src_override is not None:
        last = split_last_day(src, src_override / "history", src_override / "day")
        load_dir = src_override / "history"
        r["last_day"] = last
    r["load"] = step(f"{tag}_load", ["load", str(load_dir), "--warehouse", str(wh)], log)
    r["build"] = step(f"{tag}_build", ["build", "--warehouse", str(wh)], log)
    r["check"] = step(f"{tag}_check", ["check", "--warehouse", str(wh)], log)
    r["raw_rows"] = raw_rows(wh)
    r["load_build_check_s"] = sum(r[s]["seconds"] for s in ("load", "build", "check"))
    r["pipeline_s"] = sum(r[s]["seconds"] for s in STEPS)
    r["peak_rss_mib"] = max(r[s]["peak_rss_mib"] for s in STEPS)
    as_of = as_of_of(wh)
    r.update(child("benchmarks.yardstick", [str(wh), as_of], WORK / "yardstick.json", log,
                   "dbt / bare SQL comparison"))
    if postgres:
        print("  PostgreSQL yardstick (benchmarks/postgres.py)", flush=True)
        r["postgres"] = child("benchmarks.postgres", [str(wh), "--as-of", as_of],
                              WORK / "postgres.json", log, "PostgreSQL yardstick")
        if r["postgres"].get("available"):
            p = r["postgres"]
            print(f"  DuckDB {p['duckdb_s']:.1f} s, PostgreSQL {p['postgres_s']:.1f} s: "
                  f"{p['ratio']:.1f}×; marts {'agree' if p['agree'] else 'DISAGREE'}",
                  flush=True)
        else:
            print(f"  skipped: {r['postgres']['skipped']}", flush=True)
    r["warehouse"] = str(wh)
    return r


def page_settle(warehouse: Path, log: Path) -> dict:
    """Every page's time to settled content in a new tab of the real browser, beside an
    empty Streamlit page served the same way (benchmarks/settle.py); skipped, and said so,
    without Debian's chromium."""
    if not Path("/usr/bin/chromium").exists():
        print("  skipped: no /usr/bin/chromium (apt-get install chromium)")
        return {}
    return child("benchmarks.settle", [str(warehouse)], WORK / "page_settle.json", log,
                 "page settle timing")


def test_tiers(log: Path) -> dict:
    """Wall time of `make test` and `make test-all` (null for a target the Makefile lacks)."""
    out = {}
    for target in ("test", "test-all"):
        key = f"make_{target.replace('-', '_')}"
        known = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True).returncode
        if known != 0:
            print(f"  make {target}: no such target; recorded as null")
            out[key] = None
            continue
        t0 = time.perf_counter()
        with log.open("a") as fh:
            fh.write(f"$ make {target}\n")
            fh.flush()
            code = subprocess.run(["make", target], cwd=ROOT, stdout=fh,
                                  stderr=subprocess.STDOUT).returncode
        out[key] = {"seconds": time.perf_counter() - t0, "exit_code": code,
                    "load_avg_1m": os.getloadavg()[0]}
        print(f"  make {target}: {out[key]['seconds']:.0f} s, exit {code}", flush=True)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def label(scale: float) -> str:
    return f"{scale:g}x"


def summarise_scale(runs: list[dict]) -> dict:
    """The medians of one scale's runs, with the PostgreSQL yardstick of its first run."""
    s = {k: median([r[k]["seconds"] for r in runs]) for k in STEPS}
    for k in ("load_build_check_s", "pipeline_s", "peak_rss_mib", "raw_rows", "dbt_models_s",
              "bare_sql_s"):
        s[k] = median([r[k] for r in runs])
    s["peak_rss_by_step_mib"] = {k: median([r[k]["peak_rss_mib"] for r in runs])
                                 for k in STEPS}
    s["dbt_to_bare_sql_ratio"] = s["dbt_models_s"] / s["bare_sql_s"]
    pg = runs[0].get("postgres")
    if pg:
        s["postgres"] = pg
        if pg.get("available"):  # the same run's dbt build of the three marts on DuckDB
            pg["postgres_over_dbt"] = pg["postgres_s"] / runs[0]["dbt_models_s"]
    s["runs"] = len(runs)
    return s


GROWN = (*STEPS, "load_build_check_s", "pipeline_s")


def growth_exponents(at: dict) -> dict:
    """Each step's growth exponent between consecutive scales (in raw rows)."""
    scales = list(at.values())
    out: dict = {}
    for key in (*GROWN, "dbt_models_s", "bare_sql_s", "postgres_s"):
        def secs(s: dict, key: str = key) -> float | None:
            if key == "postgres_s":
                return (s.get("postgres") or {}).get("postgres_s")
            return s[key]
        pairs = []
        for a, b in zip(scales, scales[1:], strict=False):
            sa, sb = secs(a), secs(b)
            pairs.append(growth(sa, sb, a["raw_rows"], b["raw_rows"]) if sa and sb else None)
        out[key] = pairs
    return out


def verdicts(measured: dict) -> dict:
    out = {}
    for key, (limit, way, what) in BUDGETS.items():
        value = measured.get(key)
        ok = None if value is None or math.isnan(value) else (
            value <= limit if way == "max" else value >= limit)
        out[key] = {"what": what, "budget": limit, "direction": way, "measured": value,
                    "pass": ok}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 3.0, 10.0],
                    help="ascending; the largest carries the update, page and browser runs")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs at the smallest scale (median quoted)")
    ap.add_argument("--repeats-large", type=int, default=1, help="runs at every other scale")
    ap.add_argument("--repeats-day", type=int, default=5,
                    help="one-day incremental updates at the largest scale (median quoted)")
    ap.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL yardstick")
    ap.add_argument("--tiers", action="store_true",
                    help="also time `make test` and `make test-all` (~16 min and more)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--from-results", type=Path, metavar="JSON",
                    help="measure nothing: derive the summary, verdicts and README table "
                         "again from the runs a results file keeps")
    args = ap.parse_args()
    if args.from_results:
        resummarise(args.from_results)
        return
    scales = sorted(args.scales)

    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = WORK / "bench.log"
    log.write_text("")
    load_start = os.getloadavg()
    runs: dict[str, list[dict]] = {}
    for scale in scales:
        big = scale == scales[-1]
        n = args.repeats if scale == scales[0] else args.repeats_large
        runs[label(scale)] = []
        for i in range(n):
            print(f"{scale:g}× run {i + 1}/{n}", flush=True)
            split = WORK / f"split_{label(scale)}"
            if big:  # the largest is loaded without its last day, the one the update brings
                shutil.rmtree(split, ignore_errors=True)
            runs[label(scale)].append(pipeline(
                scale, args.years, args.seed, label(scale), log,
                src_override=split if big else None,
                postgres=i == 0 and not args.no_postgres))
    big_wh = Path(runs[label(scales[-1])][-1]["warehouse"])
    day = str(WORK / f"split_{label(scales[-1])}" / "day")
    snapshot = WORK / "wh_big_history"
    save_warehouse(big_wh, snapshot)
    print(f"one-day incremental update at {scales[-1]:g}× ({args.repeats_day} runs)")
    inc_runs = []
    for i in range(args.repeats_day):
        restore_warehouse(snapshot, big_wh)
        inc_runs.append(step(f"inc_update_{i + 1}", ["update", day, "--warehouse", str(big_wh)],
                             log))
    print("the same day as two commands (load, then build)")
    restore_warehouse(snapshot, big_wh)
    inc_load = step("inc_load", ["load", day, "--warehouse", str(big_wh)], log)
    inc_build = step("inc_build", ["build", "--warehouse", str(big_wh)], log)
    shutil.rmtree(snapshot, ignore_errors=True)
    print(f"dashboard pages at {scales[-1]:g}× (server-side)")
    page_times = child("benchmarks.pages", [str(big_wh)], WORK / "pages.json", log,
                       "page timing")
    print(f"dashboard pages at {scales[-1]:g}× in the browser: settled content in a new tab")
    settle = page_settle(big_wh, log)
    tiers = {}
    if args.tiers:
        print("test tiers")
        tiers = test_tiers(log)
    summary = summarise(scales, runs, inc_runs, inc_load, inc_build, page_times, settle, tiers,
                        load_start)
    report(summary, scales)


def resummarise(results: Path) -> None:
    """The summary of a results file derived again from the runs it keeps (same date)."""
    old = json.loads(results.read_text())
    scales = sorted(r[0]["scale"] for r in old["runs"].values())
    inc = old["incremental"]
    summary = summarise(scales, old["runs"], inc["update"], inc["load"], inc["build"],
                        old["pages_10x"], old["page_settle_10x"], old["test_tiers"] or {},
                        tuple(old["machine"]["load_avg_at_start"]))
    summary["date"] = old["date"]
    report(summary, scales)


def report(summary: dict, scales: list[float]) -> None:
    out = RESULTS / f"{summary['date']}.json"
    out.write_text(json.dumps(summary, indent=2, default=str))
    write_readme_table(summary, scales)
    print(f"results → {out}")
    for b in summary["budgets"].values():
        m = "—" if b["measured"] is None else f"{b['measured']:.2f}"
        print(f"  {b['what']:<58} {m:>9}  {'≤' if b['direction'] == 'max' else '≥'} "
              f"{b['budget']:g}  {verdict_word(b['pass'])}")
    if summary["super_linear"]:
        print(f"  super-linear (exponent > {SUPER_LINEAR}): {', '.join(summary['super_linear'])}")


def summarise(scales: list[float], runs: dict, inc_runs: list[dict], inc_load: dict,
              inc_build: dict, page_times: dict, settle: dict, tiers: dict,
              load_start: tuple) -> dict:
    """Every figure of the run, the growth exponents and issue 17's verdicts."""
    at = {k: summarise_scale(v) for k, v in runs.items()}
    loads = [r[s]["load_avg_1m"] for rs in runs.values() for r in rs for s in STEPS]
    loads += [r["load_avg_1m"] for r in (*inc_runs, inc_load, inc_build)]
    summary: dict = {
        "date": date.today().isoformat(),
        "machine": {"cores": os.cpu_count(), "load_avg_at_start": load_start,
                    "load_avg_1m_after_steps": {"min": min(loads), "median": median(loads),
                                                "max": max(loads)},
                    "note": "shared with other agents' work: figures are medians under load"},
        "scales": at,
        "growth_exponents": growth_exponents(at),
        "super_linear_above": SUPER_LINEAR,
        "incremental_day_s": median([r["seconds"] for r in inc_runs]),
        "incremental_day_two_commands_s": inc_load["seconds"] + inc_build["seconds"],
        "incremental": {"update": inc_runs, "load": inc_load, "build": inc_build},
        "pages_10x": page_times,
        "page_warm_server_s": max((p["warm_s"] for p in page_times.values()),
                                  default=float("nan")),
        "page_settle_10x": settle,
        "test_tiers": tiers or None,
        "runs": runs,
    }
    summary["super_linear"] = [f"{k} {label(a)}→{label(b)}"
                               for k, es in summary["growth_exponents"].items()
                               for (a, b), e in zip(zip(scales, scales[1:], strict=False), es,
                                                    strict=True)
                               if e is not None and e > SUPER_LINEAR]
    ten, one = at.get("10x"), at.get("1x")
    pg10 = (ten or {}).get("postgres") or {}
    pages_only = pages_of(settle)
    measured = {
        "load_build_check_10x_s": ten["load_build_check_s"] if ten else None,
        "check_10x_s": ten["check"] if ten else None,
        "load_10x_s": ten["load"] if ten else None,
        "peak_rss_10x_mib": ten["peak_rss_mib"] if ten else None,
        "pipeline_1x_s": one["pipeline_s"] if one else None,
        "incremental_day_s": summary["incremental_day_s"] if ten else None,
        "postgres_over_duckdb_10x": pg10.get("ratio") if pg10.get("agree") else None,
        "page_settle_over_empty_10x": (
            max(p["warm_s"] for p in pages_only.values()) / settle["empty_page"]["warm_s"]
            if pages_only and ten else None),
        "make_test_s": ((tiers.get("make_test") or {}).get("seconds")),
        "make_test_all_s": ((tiers.get("make_test_all") or {}).get("seconds")),
    }
    summary["budgets"] = verdicts(measured)
    if pg10.get("available") and not pg10["agree"]:  # a ratio of different marts is no ratio
        summary["budgets"]["postgres_over_duckdb_10x"].update(
            measured=pg10["ratio"], note="the marts differ", **{"pass": False})
    return summary


def verdict_word(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not measured"}[ok]


def _mark(b: dict) -> str:
    sign = "≤" if b["direction"] == "max" else "≥"
    verdict = {True: "✅", False: "❌", None: "not measured"}[b["pass"]]
    return f"{sign} {b['budget']:g} {verdict}"


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_readme_table(s: dict, scales: list[float]) -> None:
    at, b, g = s["scales"], s["budgets"], s["growth_exponents"]
    labels = [label(x) for x in scales]
    head = " | ".join(f"{x:g}×" for x in scales)
    hops = " | ".join(f"growth {a:g}→{c:g}×" for a, c in zip(scales, scales[1:], strict=False))
    rows = [f"| measure | {head} | {hops} | budget (issue 17) |",
            "|---|" + "---:|" * (2 * len(scales) - 1) + "---|"]

    def row(name: str, key: str, budget: str = "", digits: int = 1,
            exponents: bool = True) -> str:
        vals = " | ".join(_num(at[k].get(key), digits) for k in labels)
        exps = " | ".join(_num(e, 2) for e in g.get(key, [])) if exponents else \
            " | ".join("" for _ in labels[1:])
        return f"| {name} | {vals} | {exps} | {budget} |"

    rows += [
        row("generate (s)", "generate"),
        row("load (s)", "load", f"{_mark(b['load_10x_s'])} at 10×"),
        row("build (s)", "build"),
        row("check (s)", "check", f"{_mark(b['check_10x_s'])} at 10×"),
        row("load + build + check (s)", "load_build_check_s",
            f"{_mark(b['load_build_check_10x_s'])} at 10×"),
        row("whole pipeline (s)", "pipeline_s", f"{_mark(b['pipeline_1x_s'])} at 1×"),
        row("peak RSS of any step (MiB)", "peak_rss_mib",
            f"{_mark(b['peak_rss_10x_mib'])} at 10×", digits=0, exponents=False),
        row("raw rows (flows)", "raw_rows", digits=0, exponents=False),
        row("dbt run of the three main marts from raw (s)", "dbt_models_s"),
        row("the same in bare DuckDB SQL (s)", "bare_sql_s"),
    ]
    pg = [at[k].get("postgres") or {} for k in labels]
    if any(p.get("available") for p in pg):
        secs = " | ".join(_num(p.get("postgres_s")) for p in pg)
        ratio = " | ".join(f"{p['ratio']:.1f}×" + ("" if p["agree"] else " (marts differ)")
                           if p.get("available") else "" for p in pg)
        rows += [f"| the same in PostgreSQL 15 SQL (s) | {secs} | "
                 f"{' | '.join(_num(e, 2) for e in g['postgres_s'])} | |",
                 f"| PostgreSQL / bare DuckDB (marts agree exactly) | {ratio} | "
                 f"{' | '.join('' for _ in labels[1:])} | "
                 f"{_mark(b['postgres_over_duckdb_10x'])} at 10× |",
                 "| PostgreSQL / dbt's build of the three marts on DuckDB | "
                 + " | ".join(f"{p['postgres_over_dbt']:.1f}×" if p.get("available") else ""
                              for p in pg)
                 + f" | {' | '.join('' for _ in labels[1:])} | |"]
    blank = " | ".join("" for _ in labels[:-1])
    gaps = " | ".join("" for _ in labels[1:])

    def big(name: str, value: str, budget: str = "") -> str:
        return f"| {name} | {blank} | {value} | {gaps} | {budget} |"

    rows += [
        big("one-day incremental load + build, `cityops update` (s)",
            _num(s["incremental_day_s"]), _mark(b["incremental_day_s"])),
        big("the same as `cityops load` then `cityops build` (s)",
            _num(s["incremental_day_two_commands_s"])),
        big("slowest dashboard page server-side, warm cache (s)",
            _num(s["page_warm_server_s"], 2)),
    ]
    settle = s.get("page_settle_10x") or {}
    pages = pages_of(settle)
    if pages:
        slowest = max(pages, key=lambda k: pages[k]["warm_s"])
        rows.append(big(f"page settled in a new tab, warm: slowest ({slowest}) / empty "
                        f"Streamlit page (s)",
                        f"{pages[slowest]['warm_s']:.2f} / {settle['empty_page']['warm_s']:.2f}",
                        _mark(b["page_settle_over_empty_10x"])))
    if "one_plotly_chart" in settle:  # the floor a chart library puts under a page
        rows.append(big("a page of one chart and nothing else, settled, warm: Plotly / "
                        "Vega-Lite (s)",
                        f"{settle['one_plotly_chart']['warm_s']:.2f} / "
                        f"{settle['one_vega_lite_chart']['warm_s']:.2f}"))
    tiers = [f"| `{t}` (min) | {_tier(s, k)} | ≤ {b[k + '_s']['budget'] / 60:g} "
             f"{({True: '✅', False: '❌', None: 'not measured'})[b[k + '_s']['pass']]} |"
             for t, k in (("make test", "make_test"), ("make test-all", "make_test_all"))]
    m = s["machine"]["load_avg_1m_after_steps"]
    note = (f"Measured {s['date']} on this 2-core machine, shared with other agents' work "
            f"(1-minute load average {m['min']:.1f}–{m['max']:.1f}, median {m['median']:.1f}, "
            f"after the steps); medians of {at[labels[0]]['runs']} runs at "
            f"{scales[0]:g}×, one at the other scales. Growth: the log-log slope of time "
            f"against raw rows between scales (1 = linear; above {SUPER_LINEAR} is counted "
            f"super-linear: " + (", ".join(s["super_linear"]) or "none") + ").")
    table = "\n".join([note, "", *rows, "", "| test tier | time | budget |", "|---|---:|---|",
                       *tiers])
    text = README.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n## Performance\n\n`make bench` (see `benchmarks/`).\n\n" + block + "\n"
    README.write_text(text)


def _tier(s: dict, key: str) -> str:
    tiers = s.get("test_tiers") or {}
    if key not in tiers:
        return "not measured (`make bench --tiers`)"
    t = tiers[key]
    if t is None:
        return "no such target"
    return f"{t['seconds'] / 60:.1f}" + ("" if t["exit_code"] == 0 else f" (exit {t['exit_code']})")


if __name__ == "__main__":
    main()
