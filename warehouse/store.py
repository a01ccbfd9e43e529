"""Where the warehouse lives, and how a write never shows readers a half-built file.

``--warehouse data/warehouse.duckdb`` names a *symlink* to the current build file, kept in
``data/warehouse.duckdb.builds/``.  Every write (a load, a build) copies the current file
to a new, uniquely named file, changes the copy, closes it, and swaps the symlink with an
atomic ``rename``.  So:

* readers never open a file that a writer holds (DuckDB refuses a second process on a file
  opened for writing, even read-only);
* each build has its own path, so DuckDB's per-path instance cache in a long-running reader
  (the dashboard) cannot serve an old build under a new name;
* ``kill -9`` at any moment leaves the symlink pointing at the last complete build; the
  orphaned half-written copy is removed by the next write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
KEEP_BUILDS = 3  # previous builds kept so readers holding one can finish


def builds_dir(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".builds")


def current_file(warehouse: Path) -> Path | None:
    """The build file the warehouse name points at now, or None if there is none yet."""
    warehouse = Path(warehouse)
    if warehouse.is_symlink():
        target = warehouse.resolve()
        return target if target.exists() else None
    if warehouse.exists():  # a plain file (e.g. copied by hand): use it as it is
        return warehouse
    return None


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current build (resolved now, not at query time)."""
    path = current_file(Path(warehouse))
    if path is None:
        raise FileNotFoundError(
            f"No warehouse at {warehouse}. Run `cityops load` and `cityops build` first "
            f"(or `make demo`)."
        )
    return duckdb.connect(str(path), read_only=True)


def _swap(warehouse: Path, new_file: Path) -> None:
    tmp_link = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(os.path.relpath(new_file, warehouse.parent), tmp_link)
    os.replace(tmp_link, warehouse)  # atomic on POSIX
    dir_fd = os.open(warehouse.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _prune(warehouse: Path, keep: Path) -> None:
    """Remove half-written leftovers and all but the newest KEEP_BUILDS complete builds."""
    bdir = builds_dir(warehouse)
    for partial in bdir.glob("*.partial*"):
        if not _owned_by_live_process(partial):
            partial.unlink(missing_ok=True)
    complete = sorted(bdir.glob("*.duckdb"), key=lambda p: p.name, reverse=True)
    for old in complete[KEEP_BUILDS:]:
        if old != keep:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


def _owned_by_live_process(partial: Path) -> bool:
    # names look like <stamp>-<pid>.partial.duckdb
    try:
        pid = int(partial.name.split(".partial")[0].rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def writable_copy(warehouse: Path, timings: dict[str, float] | None = None) -> Iterator[Path]:
    """Yield the path of a fresh copy of the current build, to be changed in place.

    The caller opens (and closes) its own connections to the path — dbt opens its own.
    On normal exit the copy is checkpointed, fsynced and swapped in atomically; on an
    exception (or a kill) it never becomes current and the served warehouse is unchanged.
    ``timings`` (if given) receives the seconds spent copying and committing.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    bdir = builds_dir(warehouse)
    bdir.mkdir(exist_ok=True)
    # One writer at a time: a load and a build started together would otherwise both copy
    # the same build and the later swap would silently drop the other's changes. The lock
    # is released by the kernel if the process is killed.
    with open(bdir / ".write.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with _writable_copy_locked(warehouse, bdir, timings) as path:
            yield path


@contextlib.contextmanager
def _writable_copy_locked(warehouse: Path, bdir: Path,
                          timings: dict[str, float] | None) -> Iterator[Path]:
    timings = {} if timings is None else timings
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"{time.time_ns() % 1_000_000_000:09d}"
    partial = bdir / f"{stamp}-{os.getpid()}.partial.duckdb"
    final = bdir / f"{stamp}-{os.getpid()}.duckdb"
    src = current_file(warehouse)
    t0 = time.perf_counter()
    if src is not None:
        shutil.copyfile(src, partial)
    timings["copy"] = time.perf_counter() - t0
    try:
        yield partial
        t0 = time.perf_counter()
        con = duckdb.connect(str(partial))
        con.execute("CHECKPOINT")
        con.close()
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
        raise
    os.rename(partial, final)
    if warehouse.exists() and not warehouse.is_symlink():
        # first write over a plain file: keep it aside, then replace it with the link
        os.replace(warehouse, bdir / f"{stamp}-original.duckdb")
    _swap(warehouse, final)
    _prune(warehouse, keep=final)
    timings["commit"] = time.perf_counter() - t0
