"""Time the three main marts built by dbt and by hand-written SQL, in a process of its own.

Usage: python -m benchmarks.yardstick WAREHOUSE AS_OF OUT.json

Run apart from the benchmark runner: DuckDB and dbt left the runner holding ~3 GB at 10×,
and every step it started afterwards ran ~30 % slower (a one-day update 12.7–14 s from a
fresh parent, 16.7–18.3 s after the yardstick had run in it; measured).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.run import bare_sql_seconds, dbt_seconds


def main() -> None:
    warehouse, as_of, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    result = {"bare_sql_s": bare_sql_seconds(warehouse, as_of),
              "dbt_models_s": dbt_seconds(warehouse, as_of)}
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
