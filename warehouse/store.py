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
  orphaned half-written copy (and its WAL, and a half-made link) is removed at the start
  of the next write, before it copies anything.

Faults leave nothing behind and say what happened (:class:`WarehouseError`, exit code 2
from every command): a disk that fills while the copy is written removes the partial file
and says how much space the copy needs and how much is free; a current build file that
DuckDB cannot open, or a directory that cannot be written, is named with the way back —
``cityops builds`` lists the kept builds, ``cityops rollback`` switches the link back to
the newest good one (:func:`kept_builds`, :func:`rollback`), refusing without
``--discard-loads`` when that build lacks loads the current one holds (raw lives in the
build file too).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
KEEP_BUILDS = 3  # previous builds kept so readers holding one can finish


class WarehouseError(Exception):
    """The warehouse cannot be read or written; the message names the file and the way
    back. Every command exits with code 2 on it, and the dashboards show the same text."""


def _way_back(warehouse: Path) -> str:
    return (f"`cityops builds --warehouse {warehouse}` lists the kept builds; "
            f"`cityops rollback --warehouse {warehouse}` switches back to the newest good one.")


def unreadable_message(warehouse: Path, build_file: Path, error: object) -> str:
    """What a current build file DuckDB cannot open means, and the way back."""
    return (f"The current build file {build_file} (the warehouse {warehouse} points at it) "
            f"cannot be opened: {str(error).splitlines()[0]}. {_way_back(warehouse)}")


def check_readable(warehouse: Path, build_file: Path) -> None:
    """WarehouseError if DuckDB cannot open ``build_file`` (corrupt, truncated, not DuckDB)."""
    try:
        con = duckdb.connect(str(build_file), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(unreadable_message(warehouse, build_file, exc)) from None
    con.close()


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, duckdb.Error) and "No space left on device" in str(exc)


def _free_bytes(directory: Path) -> int:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return 0


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB"


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
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():  # a writer holding a plain (not linked) file
            raise
        raise WarehouseError(unreadable_message(Path(warehouse), path, exc)) from None


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


def clean_debris(warehouse: Path) -> list[Path]:
    """Remove what a killed or failed write left: partial copies of processes no longer
    running (and their WAL files) and half-made links. Returns what was removed."""
    bdir = builds_dir(warehouse)
    removed: list[Path] = []
    for partial in sorted(bdir.glob("*.partial*")):
        if not _owned_by_live_process(partial):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    for link in warehouse.parent.glob(f".{warehouse.name}.*.tmp"):
        try:
            pid = int(link.name.rsplit(".", 2)[-2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            link.unlink(missing_ok=True)
            removed.append(link)
    return removed


def _prune(warehouse: Path, keep: Path) -> None:
    """Remove half-written leftovers and all but the newest KEEP_BUILDS complete builds."""
    bdir = builds_dir(warehouse)
    clean_debris(warehouse)
    complete = sorted(bdir.glob("*.duckdb"), key=lambda p: p.name, reverse=True)
    for old in complete[KEEP_BUILDS:]:
        if old != keep:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owned_by_live_process(partial: Path) -> bool:
    # names look like <stamp>-<pid>.partial.duckdb
    try:
        pid = int(partial.name.split(".partial")[0].rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    return _pid_alive(pid)


@contextlib.contextmanager
def writable_copy(warehouse: Path, timings: dict[str, float] | None = None) -> Iterator[Path]:
    """Yield the path of a fresh copy of the current build, to be changed in place.

    The caller opens (and closes) its own connections to the path — dbt opens its own.
    On normal exit the copy is checkpointed, fsynced and swapped in atomically; on an
    exception (or a kill) it never becomes current and the served warehouse is unchanged.
    ``timings`` (if given) receives the seconds spent copying and committing.
    """
    warehouse = Path(warehouse)
    bdir = builds_dir(warehouse)
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        bdir.mkdir(exist_ok=True)
        lock = open(bdir / ".write.lock", "w")  # noqa: SIM115 (held across the yield)
    except OSError as exc:
        where = exc.filename or bdir
        raise WarehouseError(
            f"The warehouse directory {where} cannot be written ({exc.strerror}): a load or "
            f"build writes its new copy there. Give this user write access to it, or "
            f"choose another --warehouse.") from None
    # One writer at a time: a load and a build started together would otherwise both copy
    # the same build and the later swap would silently drop the other's changes. The lock
    # is released by the kernel if the process is killed.
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        clean_debris(warehouse)  # what a killed or failed write left, before copying
        with _writable_copy_locked(warehouse, bdir, timings) as path:
            yield path


def _build_stamp(bdir: Path) -> str:
    """A name stamp that sorts after every kept build's (builds are ordered by name).

    One clock reading gives both the seconds and the nanoseconds (two readings could straddle
    a second and sort a new build before an older one); a clock set back still gets a stamp
    after the newest kept build.
    """
    def stamp_of(ns: int) -> str:
        return time.strftime("%Y%m%dT%H%M%S", time.localtime(ns // 1_000_000_000)) \
            + f"{ns % 1_000_000_000:09d}"

    ns = time.time_ns()
    newest = max((p.name.split("-", 1)[0] for p in bdir.glob("*.duckdb")), default="")
    if stamp_of(ns) <= newest and len(newest) == 24:
        last = datetime.strptime(newest[:15], "%Y%m%dT%H%M%S").timestamp()
        ns = int(last) * 1_000_000_000 + int(newest[15:]) + 1
    return stamp_of(ns)


@contextlib.contextmanager
def _writable_copy_locked(warehouse: Path, bdir: Path,
                          timings: dict[str, float] | None) -> Iterator[Path]:
    timings = {} if timings is None else timings
    stamp = _build_stamp(bdir)
    partial = bdir / f"{stamp}-{os.getpid()}.partial.duckdb"
    final = bdir / f"{stamp}-{os.getpid()}.duckdb"
    src = current_file(warehouse)
    if warehouse.is_symlink() and src is None:
        raise WarehouseError(
            f"The warehouse {warehouse} points at {os.readlink(warehouse)}, which does not "
            f"exist. {_way_back(warehouse)}")
    if src is not None:
        check_readable(warehouse, src)
    t0 = time.perf_counter()
    try:
        if src is not None:
            shutil.copyfile(src, partial)
        timings["copy"] = time.perf_counter() - t0
        yield partial
        t0 = time.perf_counter()
        con = duckdb.connect(str(partial))
        con.execute("CHECKPOINT")
        con.close()
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
        if _no_space(exc):
            need = src.stat().st_size if src is not None else 0
            raise WarehouseError(
                f"No space left on the disk of {bdir} while writing the working copy "
                f"{partial.name}; it was removed and the served warehouse is unchanged. "
                f"A load or build needs at least {_mb(need)} free there (the size of the "
                f"current build, plus what the load adds); {_mb(_free_bytes(bdir))} are "
                f"free now. Free some space and run the command again.") from exc
        raise
    os.rename(partial, final)
    if warehouse.exists() and not warehouse.is_symlink():
        # first write over a plain file: keep it aside, then replace it with the link
        os.replace(warehouse, bdir / f"{stamp}-original.duckdb")
    _swap(warehouse, final)
    _prune(warehouse, keep=final)
    timings["commit"] = time.perf_counter() - t0


# --------------------------------------------------------------------------- last update
LAST_UPDATE = "last_update.json"


def record_update(warehouse: Path, ok: bool, message: str = "",
                  at: datetime | None = None) -> None:
    """Record how the latest build or update ended, beside the kept builds (a failed one
    leaves no build file to hold it): the dashboards and the monthly pack say when the last
    update failed while they keep serving the last good build."""
    bdir = builds_dir(Path(warehouse))
    bdir.mkdir(parents=True, exist_ok=True)
    record = {"ok": ok, "at": (at or datetime.now()).isoformat(timespec="seconds"),
              "message": message[:2000]}
    tmp = bdir / f".{LAST_UPDATE}.{os.getpid()}"
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, bdir / LAST_UPDATE)


def last_update(warehouse: Path) -> dict | None:
    """The record of :func:`record_update` (``ok``, ``at`` as a datetime, ``message``), or
    None when none was written or it cannot be read."""
    path = builds_dir(Path(warehouse)) / LAST_UPDATE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["at"] = datetime.fromisoformat(record["at"])
        return record
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --------------------------------------------------------------------------- kept builds
@dataclass
class KeptBuild:
    """One complete build file kept in the builds folder, as ``cityops builds`` lists it."""

    path: Path
    current: bool
    error: str | None = None  # why DuckDB cannot open it (None: it opens)
    as_of: str | None = None  # marts.build_info.as_of_at, if built
    loads: set[tuple[str, str, str, int]] = field(default_factory=set)
    # (load_id, contract, file_name, rows_loaded) of raw.load_audit

    @property
    def good(self) -> bool:
        return self.error is None


def _describe(path: Path, current: bool) -> KeptBuild:
    kept = KeptBuild(path=path, current=current)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        kept.error = str(exc).splitlines()[0]
        return kept
    try:
        tables = {(s, t) for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables()").fetchall()}
        if ("marts", "build_info") in tables:
            row = con.execute("select max(as_of_at) from marts.build_info").fetchone()
            kept.as_of = None if row[0] is None else str(row[0])
        if ("raw", "load_audit") in tables:
            kept.loads = {(str(a), str(b), str(c), int(d or 0)) for a, b, c, d in con.execute(
                "select load_id, contract, file_name, rows_loaded from raw.load_audit"
            ).fetchall()}
    except duckdb.Error as exc:
        kept.error = str(exc).splitlines()[0]
    finally:
        con.close()
    return kept


def kept_builds(warehouse: Path) -> list[KeptBuild]:
    """The complete build files of ``warehouse``, newest first, each opened read-only to
    say whether it is good, its as_of and the loads its raw layer holds."""
    warehouse = Path(warehouse)
    bdir = builds_dir(warehouse)
    current = warehouse.resolve() if warehouse.is_symlink() else None
    files = sorted((p for p in bdir.glob("*.duckdb") if ".partial" not in p.name),
                   key=lambda p: p.name, reverse=True)
    return [_describe(p, p.resolve() == current) for p in files]


@dataclass
class Rollback:
    target: Path
    missing_loads: list[tuple[str, str, str, int]]  # in the current build, not in the target
    current_unreadable: bool


def rollback(warehouse: Path, to: str | None = None, discard_loads: bool = False) -> Rollback:
    """Point ``warehouse`` back at an older good build (``to``: its file name; default the
    newest good build older than the current one), under the write lock.

    Raw lives in the build file, so loads the current build holds and the target lacks
    would be lost: without ``discard_loads`` that is refused with a WarehouseError naming
    them (files, rows) — re-load those files after switching back. When the current file
    cannot be read its loads cannot be listed, and ``discard_loads`` is needed as well.
    The builds newer than the target are renamed ``*.duckdb.abandoned`` (kept for a look,
    never served or copied again; remove them by hand).
    """
    warehouse = Path(warehouse)
    bdir = builds_dir(warehouse)
    if not bdir.is_dir():
        raise WarehouseError(f"No kept builds in {bdir}: nothing to switch back to.")
    with open(bdir / ".write.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        builds = kept_builds(warehouse)
        current = next((b for b in builds if b.current), None)
        if to is not None:
            target = next((b for b in builds if b.path.name == to), None)
            if target is None:
                names = ", ".join(b.path.name for b in builds) or "none"
                raise WarehouseError(f"No kept build named {to} in {bdir}; kept: {names}.")
            if not target.good:
                raise WarehouseError(f"The build {target.path} cannot be opened either: "
                                     f"{target.error}.")
        else:
            older = [b for b in builds if not b.current
                     and (current is None or b.path.name < current.path.name)]
            target = next((b for b in older if b.good), None)
            if target is None:
                raise WarehouseError(f"No good build older than the current one in {bdir}.")
        unreadable = current is not None and not current.good
        missing = sorted(current.loads - target.loads) if current and current.good else []
        if not discard_loads and (missing or unreadable):
            if unreadable:
                what = (f"the current build {current.path} cannot be read, so the loads it "
                        f"holds beyond {target.path.name} cannot be listed")
            else:
                files: dict[str, int] = {}
                for _, _, name, n in missing:
                    files[name] = files.get(name, 0) + n
                what = (f"{target.path.name} lacks {len(missing)} loaded file(s) the current "
                        "build holds: " + ", ".join(f"{name} ({n} rows)"
                                                    for name, n in sorted(files.items())))
            raise WarehouseError(
                f"Not switched back: {what}. Re-run with --discard-loads to switch anyway, "
                f"then load those files again.")
        _swap(warehouse, target.path)
        for newer in builds:  # set aside, so no later write takes them for the newest
            if newer.path.name > target.path.name:
                os.replace(newer.path, newer.path.with_name(newer.path.name + ".abandoned"))
                Path(str(newer.path) + ".wal").unlink(missing_ok=True)
    return Rollback(target=target.path, missing_loads=missing, current_unreadable=unreadable)
