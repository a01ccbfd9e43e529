"""Time every dashboard page server-side (AppTest), cold and warm cache.

Usage: python -m benchmarks.pages WAREHOUSE OUT.json
Cold = the first run of the page in a fresh process (empty st.cache_data); warm = the
median of the next three runs (caches filled, as a director clicking around sees it).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    warehouse, out = sys.argv[1], sys.argv[2]
    os.environ["CITYOPS_WAREHOUSE"] = str(Path(warehouse).resolve())
    from streamlit.testing.v1 import AppTest

    results = {}
    from dashboards.navigation import PAGES

    for page in PAGES:
        path = page.file
        timings = []
        for _ in range(4):
            at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=120)
            at.switch_page(path)
            t0 = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - t0)
            if at.exception:
                raise SystemExit(f"{path}: {at.exception[0].message}")
        results[path] = {"cold_s": timings[0], "warm_s": statistics.median(timings[1:])}
        print(f"{path:<28} cold {timings[0]:6.2f} s   warm {results[path]['warm_s']:6.2f} s")
    Path(out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
