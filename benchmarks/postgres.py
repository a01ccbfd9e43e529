"""The PostgreSQL yardstick of issue 17: the three main marts built by hand-written SQL on
DuckDB and on PostgreSQL, from the same raw rows, checked to agree, and DuckDB's ratio.

Usage: python -m benchmarks.postgres WAREHOUSE OUT.json [--as-of TS]

On a copy of the warehouse, DuckDB runs benchmarks/bare_sql.sql (timed). The raw tables it
reads are exported from that copy as CSV and copied (`\\copy`) into a throw-away PostgreSQL
cluster started in a temporary directory (initdb; pg_ctl on 127.0.0.1 and a free port, its
socket in the same directory; as the `postgres` user when run as root, which initdb
refuses), then PostgreSQL runs benchmarks/bare_sql_postgres.sql, the same marts ported
(timed). Each mart of PostgreSQL is read back and compared with DuckDB's: row counts, the
sum of every numeric column and the rows one has and the other lacks must all be zero
apart (floats compared rounded to 6 decimals: the engines sum in different orders). The
cluster is stopped and its directory removed whatever happens. Without PostgreSQL the
result says how to install it and is skipped. Driven by `psql`: no Python driver.

PostgreSQL gets the settings a DBA would give a batch job on this machine and a
throw-away cluster can afford (`SETTINGS`: no fsync or synchronous commit, 1 GiB shared
buffers, 256 MiB work_mem); DuckDB runs with its defaults, so the ratio flatters
PostgreSQL if anything.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from benchmarks.run import BARE_MARTS, ROOT, WORK, as_of_of, bare_sql_seconds

PG_SQL = ROOT / "benchmarks" / "bare_sql_postgres.sql"
MISSING = ("PostgreSQL not found (initdb, pg_ctl and psql under /usr/lib/postgresql/*/bin, "
           "$CITYOPS_PG_BIN or PATH): install Debian's with `apt-get install postgresql`; "
           "the PostgreSQL yardstick is skipped")
# the raw and reference tables bare_sql.sql reads
TABLES = ("raw.tickets", "raw.ticket_events", "raw.calls", "raw.submissions",
          "raw.publications", "raw.it_services", "raw.public_holidays",
          "reference.sla_targets")
SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "shared_buffers": "1GB", "work_mem": "256MB", "maintenance_work_mem": "512MB",
            "max_wal_size": "8GB", "max_parallel_workers_per_gather": "2"}
PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer",
            "SMALLINT": "smallint", "DOUBLE": "double precision", "FLOAT": "real",
            "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
            "TIMESTAMP WITH TIME ZONE": "timestamptz"}
FLOATS = ("DOUBLE", "FLOAT", "DECIMAL")
NUMBERS = (*FLOATS, "BIGINT", "INTEGER", "SMALLINT", "HUGEINT")


def bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and psql: $CITYOPS_PG_BIN, the newest Debian
    /usr/lib/postgresql/<major>/bin, or PATH's."""
    needed = ("initdb", "pg_ctl", "psql")
    candidates = [Path(os.environ["CITYOPS_PG_BIN"])] if os.environ.get("CITYOPS_PG_BIN") else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    return next((d for d in candidates if all((d / n).exists() for n in needed)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bin: Path
    port: int
    dir: Path

    def psql(self, *args: str, capture: bool = False) -> str:
        proc = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "bench", "-d", "postgres", "-v", "ON_ERROR_STOP=1", *args],
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"psql {' '.join(args)[:200]} failed:\n{proc.stderr[-3000:]}")
        return proc.stdout


@contextmanager
def cluster(bindir: Path):
    """A throw-away PostgreSQL cluster in a temporary directory, stopped and removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="cityops-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as postgres (or nobody)
        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), "nobody")
        shutil.chown(tmp, user)
        as_user = ["runuser", "-u", user, "--"]
    data, port = tmp / "data", _free_port()
    options = " ".join([f"-h 127.0.0.1 -p {port} -k {tmp}",
                        *(f"-c {k}={v}" for k, v in SETTINGS.items())])
    ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "bench",
                        "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True)
        subprocess.run([*ctl, "-o", options, "-l", str(tmp / "server.log"), "-w", "-t", "120",
                        "start"], check=True, capture_output=True)
        yield Cluster(bindir, port, tmp)
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]


def pg_type(duck_type: str) -> str:
    if duck_type.startswith("DECIMAL"):
        return duck_type.replace("DECIMAL", "numeric")
    return PG_TYPES.get(duck_type, "text")


def copy_raw(con: duckdb.DuckDBPyConnection, pg: Cluster, export: Path) -> None:
    """Every table bare_sql.sql reads, from DuckDB to PostgreSQL as CSV (NULL unquoted,
    the empty string quoted, as both read it), then analysed."""
    ddl = ["create schema if not exists raw; create schema if not exists reference;"]
    for table in TABLES:
        cols = ", ".join(f'"{n}" {pg_type(t)}' for n, t in columns(con, table))
        ddl.append(f"drop table if exists {table}; create table {table} ({cols});")
    pg.psql("-c", "\n".join(ddl))
    for table in TABLES:
        csv = export / f"{table}.csv"
        con.execute(f"copy {table} to '{csv}' (format csv, header false)")
        pg.psql("-c", f"\\copy {table} from '{csv}' with (format csv)")
        csv.unlink()
    pg.psql("-c", "analyze")


def compare_marts(con: duckdb.DuckDBPyConnection, pg: Cluster, export: Path) -> dict:
    """Each mart of PostgreSQL's bench schema read back into DuckDB (with DuckDB's column
    types) and compared with DuckDB's: rows, sums of the numeric columns, rows only one has."""
    out = {}
    for mart in BARE_MARTS:
        cols = columns(con, f"bench.{mart}")
        csv = export / f"pg_{mart}.csv"
        pg.psql("-c", f"\\copy (select * from bench.{mart}) to '{csv}' with (format csv, header)")
        types = ", ".join(f"'{n}': '{t}'" for n, t in cols)
        con.execute(f"create or replace temp table pg_{mart} as select * from "
                    f"read_csv('{csv}', header = true, columns = {{{types}}})")
        csv.unlink()

        def norm(n: str, t: str) -> str:
            return f'round("{n}", 6)' if t.startswith(FLOATS) else f'"{n}"'

        proj = ", ".join(norm(n, t) for n, t in cols)
        sums = [n for n, t in cols if t.startswith(NUMBERS) or t == "BOOLEAN"]
        sum_sql = ", ".join(f'sum(cast({norm(n, t)} as decimal(38, 6)))' for n, t in cols
                            if n in sums)

        duck, post = (con.execute(f"select count(*), {sum_sql} from {table}").fetchone()
                      for table in (f"bench.{mart}", f"pg_{mart}"))
        only_duck = con.execute(f"select count(*) from (select {proj} from bench.{mart} "
                                f"except all select {proj} from pg_{mart})").fetchone()[0]
        only_pg = con.execute(f"select count(*) from (select {proj} from pg_{mart} "
                              f"except all select {proj} from bench.{mart})").fetchone()[0]
        out[mart] = {
            "rows_duckdb": duck[0], "rows_postgres": post[0],
            "sums_differ": [n for n, a, b in zip(sums, duck[1:], post[1:], strict=True)
                            if a != b],
            "rows_only_duckdb": only_duck, "rows_only_postgres": only_pg,
        }
        out[mart]["agree"] = (duck[0] == post[0] and not out[mart]["sums_differ"]
                              and only_duck == 0 and only_pg == 0)
    return out


def yardstick(warehouse: Path, as_of: str) -> dict:
    """DuckDB's and PostgreSQL's build of the three main marts from the same raw rows."""
    bindir = bin_dir()
    if bindir is None:
        print(f"  skipped: {MISSING}")
        return {"available": False, "skipped": MISSING}
    work = WORK / "postgres"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copy = work / "bare.duckdb"
    r: dict = {"available": True, "as_of": as_of, "settings": SETTINGS}
    r["duckdb_s"] = bare_sql_seconds(warehouse, as_of, keep=copy)
    con = duckdb.connect(str(copy))
    try:
        with cluster(bindir) as pg:
            r["version"] = pg.psql("-At", "-c", "select version()").strip()
            t0 = time.perf_counter()
            copy_raw(con, pg, pg.dir)
            r["postgres_load_s"] = time.perf_counter() - t0
            script = pg.dir / "marts.sql"
            script.write_text(PG_SQL.read_text().replace("{as_of}", as_of))
            t0 = time.perf_counter()
            pg.psql("-f", str(script))
            r["postgres_s"] = time.perf_counter() - t0
            r["marts"] = compare_marts(con, pg, pg.dir)
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    r["agree"] = all(m["agree"] for m in r["marts"].values())
    r["ratio"] = r["postgres_s"] / r["duckdb_s"]
    print(f"  DuckDB {r['duckdb_s']:.1f} s, PostgreSQL {r['postgres_s']:.1f} s "
          f"(load {r['postgres_load_s']:.1f} s): DuckDB {r['ratio']:.1f}× faster; marts "
          f"{'agree' if r['agree'] else 'DISAGREE: ' + json.dumps(r['marts'])}", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--as-of", help="default: the build's as_of (marts.build_info)")
    args = ap.parse_args()
    result = yardstick(args.warehouse, args.as_of or as_of_of(args.warehouse))
    args.out.write_text(json.dumps(result, indent=2))  # marts that differ: "agree": false


if __name__ == "__main__":
    main()
