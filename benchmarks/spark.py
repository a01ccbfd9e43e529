"""The Spark build against the DuckDB build, at several scales: ``python -m benchmarks.spark``.

For each scale: generate the sample, load it, build it on DuckDB (full refresh) and on
Spark (``cityops build --engine spark``, local mode), each as its own process measured by
``benchmarks.measure`` (seconds, peak RSS), then compare the two builds table by table
(``benchmarks.compare``: they must be equal). Prints and writes
``benchmarks/results/spark-<date>.json`` with each step, the Spark/DuckDB ratio and the
growth exponent between consecutive scales (log time ratio / log rows ratio: 1 is linear,
below 1 means fixed costs — Spark's start and dbt's per-node overhead — still dominate).
docs/SCALE_OUT.md quotes these figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from benchmarks.compare import compare
from benchmarks.run import RESULTS, WORK, growth, raw_rows, step

AS_OF = "2026-10-31"


def at_scale(scale: float, years: int, seed: int, log: Path) -> dict:
    tag = f"spark_{scale:g}x"
    src, base = WORK / f"src_{tag}", WORK / f"wh_{tag}"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    duck, spark = base / "duckdb" / "warehouse.duckdb", base / "spark" / "warehouse.duckdb"
    r = {"scale": scale, "years": years}
    r["generate"] = step(f"{tag}_generate", ["generate", "--out", str(src), "--years",
                                             str(years), "--scale", str(scale), "--seed",
                                             str(seed)], log)
    for wh in (duck, spark):
        step(f"{tag}_load_{wh.parent.name}", ["load", str(src), "--warehouse", str(wh)], log)
    r["raw_rows"] = raw_rows(duck)
    r["duckdb_build"] = step(f"{tag}_duckdb_build", ["build", "--warehouse", str(duck),
                                                      "--as-of", AS_OF, "--full-refresh"], log)
    r["spark_build"] = step(f"{tag}_spark_build", ["build", "--warehouse", str(spark),
                                                    "--as-of", AS_OF, "--engine", "spark"], log)
    r["ratio"] = r["spark_build"]["seconds"] / r["duckdb_build"]["seconds"]
    diffs = compare(duck, spark, ("marts",))
    # build_info.previous_as_of_at: a Spark build is a full build into a new metastore
    r["marts_differ"] = [d.name for d in diffs if not d.same and d.name != "marts.build_info"]
    r["marts_compared"] = len(diffs)
    return r


def exponents(runs: list[dict], key: str) -> list[float]:
    return [growth(a[key]["seconds"], b[key]["seconds"], a["raw_rows"], b["raw_rows"])
            for a, b in zip(runs, runs[1:], strict=False)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "spark.log"
    runs = []
    for scale in args.scales:
        print(f"scale {scale:g}×, {args.years} years")
        runs.append(at_scale(scale, args.years, args.seed, log))
        r = runs[-1]
        print(f"  raw rows {r['raw_rows']:,}; Spark/DuckDB {r['ratio']:.1f}×; marts differing: "
              f"{r['marts_differ'] or 'none'}")
    date = time.strftime("%Y-%m-%d")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"spark-{date}.json"
    if out.exists():  # the same day's runs at other scales are kept beside these
        kept = [r for r in json.loads(out.read_text())["runs"]
                if (r["scale"], r["years"]) not in {(n["scale"], n["years"]) for n in runs}]
        runs = sorted(kept + runs, key=lambda r: (r["years"], r["scale"]))
    result = {"date": date, "runs": runs,
              "spark_growth_exponents": exponents(runs, "spark_build"),
              "duckdb_growth_exponents": exponents(runs, "duckdb_build")}
    out.write_text(json.dumps(result, indent=2))
    print(f"growth exponents: Spark {result['spark_growth_exponents']}, "
          f"DuckDB {result['duckdb_growth_exponents']}; written to {out}")


if __name__ == "__main__":
    main()
