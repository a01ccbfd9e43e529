"""The project's mutation check (`make mutate`, issue 19 § 2): does the suite see a broken rule?

``tests/mutants.toml`` is a curated list of mutants. Each is one small textual edit of one
file of the project (``old`` → ``new``; ``old`` must occur exactly once in the file, else
the mutant is *stale* — the code it was written against has moved — and that is a
failure), the rule it breaks (a section of ``dbt/DECISIONS.md``, a loader rule of the
contracts, a refusal of the SQL box, a PII path, an export dialect) and the small test
selection that must catch it (pytest arguments: one module, ``-k``).

The runner copies the project's files (``git ls-files``: tracked and untracked, not
ignored) into a temporary directory once, then for each mutant writes the edited file
into that copy, runs the selection there (``PYTHONPATH`` = the copy, so the venv's
editable install and every subprocess — dbt's worker, the ``cityops`` script — import
the copy, never the working tree) and puts the original file back, whatever happened. The
working tree is never written. A mutant is *killed* when the selection fails (pytest exit
1, or 2/3: an error), *survived* when it passes; a selection that collects no test (exit
5) is reported as *empty* — a failure, like a stale mutant or a timeout.

Prints a table (mutant, rule, result, seconds) and the score; exits 1 unless every mutant
was killed. ``--only a,b`` runs some mutants, ``--list`` lists them, ``--jobs N`` runs N
at once (each in its own copy), ``--baseline`` first runs each distinct selection on the
unedited copy (it must pass: else a "killed" proves nothing).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tests" / "mutants.toml"
LOGS = ROOT / "tests" / "artifacts" / "mutants"
TIMEOUT_S = 900  # one selection; a mutant that makes a test hang is a failure, not a kill


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    rule: str
    tests: str  # pytest arguments, shell-quoted

    @property
    def args(self) -> list[str]:
        return shlex.split(self.tests)


@dataclass
class Outcome:
    mutant: Mutant
    result: str  # killed | survived | stale | empty | timeout
    seconds: float
    detail: str = ""


def load(path: Path = MUTANTS) -> list[Mutant]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = [Mutant(**m) for m in data["mutant"]]
    ids = [m.id for m in mutants]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SystemExit(f"{path}: mutant ids used twice: {', '.join(dupes)}")
    return mutants


def project_files(root: Path = ROOT) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=root, check=True, capture_output=True).stdout
    return sorted({p for p in out.decode().split("\0") if p and (root / p).is_file()})


def copy_tree(dest: Path, root: Path = ROOT) -> Path:
    """The project's files under ``dest`` (and a link to the venv, for anything that looks
    for ``.venv`` next to the project)."""
    for rel in project_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target, follow_symlinks=False)
    if (root / ".venv").exists():
        (dest / ".venv").symlink_to(root / ".venv")
    return dest


def stale_reason(mutant: Mutant, text: str) -> str | None:
    n = text.count(mutant.old)
    if n != 1:
        return f"'old' occurs {n} times in {mutant.file} (must be once)"
    if mutant.old == mutant.new:
        return "'old' equals 'new'"
    return None


def pytest_command(mutant: Mutant) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
            "-o", "addopts=", *mutant.args]


def run_selection(copy: Path, mutant: Mutant, log: Path | None) -> tuple[int | None, str]:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    try:
        proc = subprocess.run(pytest_command(mutant), cwd=copy, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        if log:
            log.write_text(out)
        return None, "timeout"
    out = proc.stdout + proc.stderr
    if log:
        log.write_text(out)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    return proc.returncode, lines[-1] if lines else ""


def apply_and_run(copy: Path, mutant: Mutant, log_dir: Path | None) -> Outcome:
    """Edit one file of ``copy``, run the selection there, put the file back (always)."""
    started = time.perf_counter()
    path = copy / mutant.file
    if not path.is_file():
        return Outcome(mutant, "stale", 0.0, f"{mutant.file} does not exist")
    original = path.read_bytes()
    text = original.decode("utf-8")
    reason = stale_reason(mutant, text)
    if reason:
        return Outcome(mutant, "stale", 0.0, reason)
    log = None if log_dir is None else log_dir / f"{mutant.id}.log"
    try:
        path.write_bytes(text.replace(mutant.old, mutant.new).encode("utf-8"))
        code, last = run_selection(copy, mutant, log)
    finally:
        path.write_bytes(original)
    seconds = time.perf_counter() - started
    if code is None:
        return Outcome(mutant, "timeout", seconds, f"over {TIMEOUT_S} s")
    result = {0: "survived", 5: "empty"}.get(code, "killed")
    return Outcome(mutant, result, seconds, last)


def baseline(copy: Path, mutants: list[Mutant]) -> list[str]:
    """The distinct selections run on the unedited copy: the ones that do not pass."""
    failing, seen = [], set()
    for m in mutants:
        if m.tests in seen:
            continue
        seen.add(m.tests)
        code, last = run_selection(copy, m, None)
        print(f"baseline {m.tests}: exit {code} ({last})", flush=True)
        if code != 0:
            failing.append(m.tests)
    return failing


def table(outcomes: list[Outcome]) -> str:
    rows = [("mutant", "file", "rule", "result", "s")]
    rows += [(o.mutant.id, o.mutant.file, o.mutant.rule[:60], o.result, f"{o.seconds:.0f}")
             for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def score(outcomes: list[Outcome]) -> tuple[int, int]:
    return sum(o.result == "killed" for o in outcomes), len(outcomes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at once (own copies)")
    ap.add_argument("--baseline", action="store_true",
                    help="first run every selection unedited (each must pass)")
    args = ap.parse_args(argv)
    mutants = load()
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - {m.id for m in mutants})
        if unknown:
            raise SystemExit(f"unknown mutant ids: {', '.join(unknown)}")
        mutants = [m for m in mutants if m.id in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.id:40} {m.file:55} {m.rule}")
        return 0
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cityops-mutants-") as tmp:
        jobs = max(1, min(args.jobs, len(mutants)))
        copies = [copy_tree(Path(tmp) / f"tree{i}") for i in range(jobs)]
        if args.baseline:
            failing = baseline(copies[0], mutants)
            if failing:
                print("selections failing without a mutant: " + "; ".join(failing))
                return 1
        outcomes: list[Outcome] = []
        free = list(copies)

        def one(m: Mutant) -> Outcome:
            copy = free.pop()
            try:
                return apply_and_run(copy, m, LOGS)
            finally:
                free.append(copy)

        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for outcome in pool.map(one, mutants):
                print(f"{outcome.mutant.id}: {outcome.result} ({outcome.seconds:.0f} s) "
                      f"{outcome.detail}", flush=True)
                outcomes.append(outcome)
    print()
    print(table(outcomes))
    killed, total = score(outcomes)
    print(f"\nmutation score: {killed}/{total} killed ({100 * killed / max(total, 1):.0f} %) "
          f"in {time.perf_counter() - started:.0f} s; logs in {LOGS.relative_to(ROOT)}/")
    for o in outcomes:
        if o.result != "killed":
            print(f"  {o.result}: {o.mutant.id} — {o.detail or o.mutant.rule}")
    return 0 if killed == total else 1


if __name__ == "__main__":
    sys.exit(main())
