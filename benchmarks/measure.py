"""Run one `cityops` command in this process and report its wall time and peak RSS.

Usage: python -m benchmarks.measure OUT.json -- <cityops args…>

dbt runs inside the CLI's process, so ru_maxrss of this process (plus any children) is the
step's peak memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    out = sys.argv[1]
    args = sys.argv[sys.argv.index("--") + 1 :]
    from warehouse.cli import main as cli

    t0 = time.perf_counter()
    code = 0
    try:
        cli.main(args=args, standalone_mode=False)
    except SystemExit as exc:  # click commands exit with the step's status
        code = int(exc.code or 0)
    seconds = time.perf_counter() - t0
    rss_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    with open(out, "w") as fh:
        json.dump({"args": args, "seconds": seconds, "peak_rss_mib": rss_kib / 1024,
                   "exit_code": code}, fh)
    sys.exit(code)


if __name__ == "__main__":
    main()
