"""Files generated from one source of facts, and the check that they are not stale.

Each generator (``warehouse.contract_docs`` from the contracts, ``dashboards.navigation``
from the page list) gives ``{path: text}``; :func:`main` writes them, or with ``--check``
writes nothing and exits 1 naming each stale file (the tests run the check, so the source
cannot change without them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stale(outputs: dict[Path, str]) -> list[Path]:
    """The generated files that differ from what their source gives now."""
    return [p for p, text in outputs.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(outputs: Callable[[], dict[Path, str]], module: str, description: str,
         argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale(outputs())
        for path in old:
            print(f"{path.relative_to(ROOT)} is stale: run python -m {module}", file=sys.stderr)
        return 1 if old else 0
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0
