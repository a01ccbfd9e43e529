"""`make bench`: time and measure the pipeline at 1× and 10× against the budgets of issue 6.

For each scale: generate → load → build → check, each step in its own process (wall time and
peak RSS), repeated; then, on the 10× warehouse, a one-day incremental load + build; every
dashboard page server-side (cold and warm cache) and in the real browser (time to settled
content in a new tab, beside an empty Streamlit page: benchmarks/settle.py); and the
hand-written DuckDB SQL of the main marts (bare_sql.sql) as the yardstick for dbt's build
time.

Writes benchmarks/results/<date>.json and the table between the bench markers in README.md.
Medians are quoted: these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
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

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"

BUDGETS = {
    "pipeline_1x_s": 60.0,
    "pipeline_10x_s": 360.0,
    "peak_rss_10x_mib": 4096.0,
    "incremental_day_s": 15.0,
    "page_warm_10x_s": 1.5,
    "dbt_to_bare_sql_ratio": 1.5,
}

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
    print(f"  {name:<28} {result['seconds']:8.1f} s   peak {result['peak_rss_mib']:7.0f} MiB")
    return result


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


def bare_sql_seconds(warehouse: Path, as_of: str) -> float:
    from warehouse.store import current_file

    copy = WORK / "bare.duckdb"
    shutil.copyfile(current_file(warehouse), copy)
    sql = (ROOT / "benchmarks" / "bare_sql.sql").read_text().replace("{as_of}", as_of)
    con = duckdb.connect(str(copy))
    t0 = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - t0
    con.close()
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


def pipeline(scale: float, years: int, seed: int, tag: str, log: Path,
             src_override: Path | None = None) -> dict:
    src = WORK / f"src_{tag}"
    wh = WORK / f"wh_{tag}" / "warehouse.duckdb"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(wh.parent, ignore_errors=True)
    r = {"generate": step(f"{tag}_generate", ["generate", "--out", str(src), "--years", str(years),
                                              "--scale", str(scale), "--seed", str(seed)], log)}
    load_dir = src
    if src_override is not None:
        last = split_last_day(src, src_override / "history", src_override / "day")
        load_dir = src_override / "history"
        r["last_day"] = last
    r["load"] = step(f"{tag}_load", ["load", str(load_dir), "--warehouse", str(wh)], log)
    r["build"] = step(f"{tag}_build", ["build", "--warehouse", str(wh)], log)
    r["check"] = step(f"{tag}_check", ["check", "--warehouse", str(wh)], log)
    r["pipeline_s"] = sum(r[s]["seconds"] for s in ("generate", "load", "build", "check"))
    r["peak_rss_mib"] = max(r[s]["peak_rss_mib"] for s in ("generate", "load", "build", "check"))
    as_of = as_of_of(wh)
    r.update(yardstick(wh, as_of, log))
    r["warehouse"] = str(wh)
    return r


def yardstick(warehouse: Path, as_of: str, log: Path) -> dict:
    """dbt and the bare SQL on the three main marts (benchmarks/yardstick.py), in a child
    process so that this runner stays small for the steps it times next."""
    out = WORK / "yardstick.json"
    with log.open("a") as fh:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.yardstick", str(warehouse),
                               as_of, str(out)], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"dbt / bare SQL comparison failed; see {log}")
    return json.loads(out.read_text())


def pages(warehouse: Path, log: Path) -> dict:
    out = WORK / "pages.json"
    with log.open("a") as fh:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.pages", str(warehouse), str(out)],
                              cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"page timing failed; see {log}")
    return json.loads(out.read_text())


def page_settle(warehouse: Path, log: Path) -> dict:
    """Every page's time to settled content in a new tab of the real browser, beside an
    empty Streamlit page served the same way (benchmarks/settle.py); skipped, and said so,
    without Debian's chromium."""
    out = WORK / "page_settle.json"
    if not Path("/usr/bin/chromium").exists():
        print("  skipped: no /usr/bin/chromium")
        return {}
    with log.open("a") as fh:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.settle", str(warehouse),
                               str(out)], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"page settle timing failed; see {log}")
    return json.loads(out.read_text())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3, help="runs at 1× (median quoted)")
    ap.add_argument("--repeats-10x", type=int, default=1, help="runs at 10×")
    ap.add_argument("--repeats-day", type=int, default=5,
                    help="one-day incremental updates at 10× (median quoted)")
    ap.add_argument("--big-scale", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = WORK / "bench.log"
    log.write_text("")
    runs_1x, runs_10x = [], []
    for i in range(args.repeats):
        print(f"1× run {i + 1}/{args.repeats}")
        runs_1x.append(pipeline(1.0, args.years, args.seed, "1x", log))
    for i in range(args.repeats_10x):
        print(f"{args.big_scale:g}× run {i + 1}/{args.repeats_10x}")
        split = WORK / "split_10x"
        shutil.rmtree(split, ignore_errors=True)
        runs_10x.append(pipeline(args.big_scale, args.years, args.seed, "10x", log,
                                 src_override=split))
    big_wh = Path(runs_10x[-1]["warehouse"])
    day = str(WORK / "split_10x" / "day")
    snapshot = WORK / "wh_10x_history"
    save_warehouse(big_wh, snapshot)
    print(f"one-day incremental update on the 10× warehouse ({args.repeats_day} runs)")
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
    print("dashboard pages at 10× (server-side)")
    page_times = pages(big_wh, log)
    print("dashboard pages at 10× in the browser: time to settled content in a new tab")
    settle_times = page_settle(big_wh, log)

    def med(runs: list[dict], key: str, sub: str | None = None) -> float:
        return median([r[key][sub] if sub else r[key] for r in runs])

    summary = {
        "date": date.today().isoformat(),
        "machine": {"cores": os.cpu_count()},
        "scale_1x": {s: med(runs_1x, s, "seconds") for s in ("generate", "load", "build", "check")},
        "scale_10x": {s: med(runs_10x, s, "seconds") for s in ("generate", "load", "build",
                                                                "check")},
        "pipeline_1x_s": med(runs_1x, "pipeline_s"),
        "pipeline_10x_s": med(runs_10x, "pipeline_s"),
        "peak_rss_1x_mib": med(runs_1x, "peak_rss_mib"),
        "peak_rss_10x_mib": med(runs_10x, "peak_rss_mib"),
        "incremental_day_s": median([r["seconds"] for r in inc_runs]),
        "incremental_day_two_commands_s": inc_load["seconds"] + inc_build["seconds"],
        "incremental": {"update": inc_runs, "load": inc_load, "build": inc_build},
        "pages_10x": page_times,
        "page_settle_10x": settle_times,
        "page_warm_10x_s": max((p["warm_s"] for p in page_times.values()), default=float("nan")),
        "dbt_models_1x_s": med(runs_1x, "dbt_models_s"),
        "dbt_models_10x_s": med(runs_10x, "dbt_models_s"),
        "bare_sql_1x_s": med(runs_1x, "bare_sql_s"),
        "bare_sql_10x_s": med(runs_10x, "bare_sql_s"),
        "runs_1x": runs_1x,
        "runs_10x": runs_10x,
    }
    summary["dbt_to_bare_sql_ratio_1x"] = summary["dbt_models_1x_s"] / summary["bare_sql_1x_s"]
    summary["dbt_to_bare_sql_ratio_10x"] = summary["dbt_models_10x_s"] / summary["bare_sql_10x_s"]
    summary["dbt_to_bare_sql_ratio"] = max(summary["dbt_to_bare_sql_ratio_1x"],
                                           summary["dbt_to_bare_sql_ratio_10x"])
    summary["build_scaling_10x_over_1x"] = (summary["scale_10x"]["build"]
                                            / summary["scale_1x"]["build"])
    summary["budgets"] = {
        k: {"budget": v, "measured": summary[k], "pass": bool(summary[k] <= v)}
        for k, v in BUDGETS.items()
    }
    out = RESULTS / f"{summary['date']}.json"
    out.write_text(json.dumps(summary, indent=2, default=str))
    write_readme_table(summary)
    print(f"results → {out}")
    for k, b in summary["budgets"].items():
        print(f"  {k:<26} {b['measured']:10.2f}  budget {b['budget']:8.1f}  "
              f"{'PASS' if b['pass'] else 'FAIL'}")


def settle_rows(settle: dict) -> list[str]:
    """The browser's time to settled content in a new tab: the slowest page against the
    empty Streamlit page (benchmarks/settle.py)."""
    if not settle:
        return []
    pages = {k: v for k, v in settle.items() if k != "empty_page"}
    slowest = max(pages, key=lambda k: pages[k]["warm_s"])
    return [f"| page settled in a new tab, warm: slowest ({slowest}) / empty Streamlit page "
            f"(s) | | {pages[slowest]['warm_s']:.2f} / {settle['empty_page']['warm_s']:.2f} | |"]


def write_readme_table(s: dict) -> None:
    rows = [
        "| measure | 1× (3 years) | 10× | budget |",
        "|---|---:|---:|---|",
    ]
    for stepname in ("generate", "load", "build", "check"):
        rows.append(f"| {stepname} (s) | {s['scale_1x'][stepname]:.1f} | "
                    f"{s['scale_10x'][stepname]:.1f} | |")
    b = s["budgets"]

    def mark(k: str) -> str:
        return "✅" if b[k]["pass"] else "❌"

    rows += [
        f"| whole pipeline (s) | {s['pipeline_1x_s']:.1f} | {s['pipeline_10x_s']:.1f} | "
        f"≤ 60 {mark('pipeline_1x_s')} / ≤ 360 {mark('pipeline_10x_s')} |",
        f"| peak RSS (MiB) | {s['peak_rss_1x_mib']:.0f} | {s['peak_rss_10x_mib']:.0f} | "
        f"≤ 4096 at 10× {mark('peak_rss_10x_mib')} |",
        f"| one-day incremental load + build, `cityops update` (s) | | "
        f"{s['incremental_day_s']:.1f} | ≤ 15 {mark('incremental_day_s')} |",
        f"| the same as `cityops load` then `cityops build` (s) | | "
        f"{s['incremental_day_two_commands_s']:.1f} | |",
        f"| slowest dashboard page, warm cache (s) | | {s['page_warm_10x_s']:.2f} | "
        f"≤ 1.5 {mark('page_warm_10x_s')} |",
        *settle_rows(s.get("page_settle_10x") or {}),
        f"| dbt run of the three main marts from raw / the same in bare DuckDB SQL | "
        f"{s['dbt_to_bare_sql_ratio_1x']:.2f} | {s['dbt_to_bare_sql_ratio_10x']:.2f} | "
        f"≤ 1.5 {mark('dbt_to_bare_sql_ratio')} |",
        f"| build time 10× / 1× | | {s['build_scaling_10x_over_1x']:.1f} | linear ≈ 10 |",
    ]
    text = README.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    table = f"{start}\nMeasured {s['date']} on this 2-core machine (medians).\n\n" + \
        "\n".join(rows) + f"\n{end}"
    if start in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end):]
    else:
        text += "\n## Performance\n\n`make bench` (see `benchmarks/`).\n\n" + table + "\n"
    README.write_text(text)


if __name__ == "__main__":
    main()
