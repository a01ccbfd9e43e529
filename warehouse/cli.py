"""`cityops` — the command line of the CityOps warehouse.

Each subcommand is a thin shell over a module function, so tests call the same code.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from warehouse.store import DEFAULT_WAREHOUSE, WarehouseError

if TYPE_CHECKING:
    import duckdb


class CallerPath(click.Path):
    """A path as the caller meant it: relative to the directory the command was started
    in, made absolute once, here at the edge — symlinks are kept as they are (the
    warehouse is a link to its current build). Everything below gets absolute paths, so
    no tool that resolves paths against its own folder (dbt resolves ``--target-path``
    against the dbt project) can put files anywhere else."""

    def __init__(self, **kwargs) -> None:
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value, param, ctx) -> Path:
        return Path(super().convert(value, param, ctx)).absolute()


warehouse_option = click.option(
    "--warehouse",
    "warehouse",
    type=CallerPath(),
    default=DEFAULT_WAREHOUSE,
    show_default=True,
    help="The warehouse: a link to the current DuckDB build file.",
)


extracted_at_option = click.option(
    "--extracted-at", "extracted_at",
    type=click.DateTime(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="When the extracts were taken (local time). Newer means extracted later: "
         "a row from an older extract than raw's is kept in "
         "raw.<contract>__history, not applied. Default: each file's latest "
         "timestamp.")

# the default is warehouse.load.DEFAULT_MAX_REJECT_PCT (a test holds them equal; the CLI
# starts without importing the loader)
max_reject_option = click.option(
    "--max-reject-pct", "max_reject_pct", type=click.FloatRange(0, 100), default=10.0,
    show_default=True,
    help="Refuse the whole load (exit 2, the warehouse unchanged) when more than this share "
         "of the rows read is rejected. A load that rejects every row, or finds nothing "
         "to load, is always refused.")


# a directory that cannot be written, a full disk: named, exit 2 (not a traceback)
_FILE_FAULTS = (errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EROFS, errno.ENOSPC,
                errno.EDQUOT)


class CityOpsGroup(click.Group):
    """Every command: a warehouse that cannot be read or written (a corrupt current build
    file, an unwritable directory, a full disk) is a message naming the file and the way
    back, and exit code 2 — not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WarehouseError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:
            if exc.errno not in _FILE_FAULTS:
                raise
            click.echo(f"error: {exc.filename or 'a file'} cannot be written "
                       f"({exc.strerror}); the served warehouse is unchanged.", err=True)
            sys.exit(2)


@click.group(cls=CityOpsGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """CityOps: the operations warehouse of Kraków City Hall.

    Source extracts → load (validate, pseudonymise, quarantine) → build (dbt) →
    check (Great Expectations) → serve (dashboards) / export.
    """


@main.command()
@click.option("--out", "out_dir", type=CallerPath(), default=Path("data/sample"),
              show_default=True, help="Directory to write the extracts to.")
@click.option("--years", type=click.IntRange(1, 20), default=3, show_default=True,
              help="How many years of operations to generate.")
@click.option("--scale", type=click.FloatRange(0.001, 100), default=1.0, show_default=True,
              help="1 = a realistic city-year of work (see README); 10 = ten times the volume.")
@click.option("--seed", type=int, default=42, show_default=True,
              help="Random seed: the same arguments give byte-identical files.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the generated period (default: 1 January, --years before "
                   "2026-11-01... see README).")
@warehouse_option
def generate(out_dir: Path, years: int, scale: float, seed: int, fmt: str, start,
             warehouse: Path) -> None:
    """Generate realistic source extracts (every contract of docs/CONTRACTS.md)."""
    from warehouse.generate import generate as run

    start_date: date | None = start.date() if start else None
    run(out_dir=out_dir, years=years, scale=scale, seed=seed, fmt=fmt, start=start_date)


@main.command()
@click.argument("src_dir", type=CallerPath())
@warehouse_option
@extracted_at_option
@max_reject_option
def load(src_dir: Path, warehouse: Path, extracted_at, max_reject_pct: float) -> None:
    """Validate the extracts in SRC_DIR and load them into raw.*.

    Bad rows go to raw.<contract>__rejected with a reason; a ticket's events (a project's
    milestones) delivered before their ticket wait in raw.<contract>__pending and load when
    it arrives; every file gets a row in raw.load_audit (rows_read = rows_loaded +
    rows_rejected + rows_pending). Caller numbers and e-mails are replaced by a keyed hash
    before anything is stored. Exit 2, nothing loaded, when no contract file is found,
    every row is rejected or more than --max-reject-pct are (waiting rows do not count).
    """
    from warehouse.load import LoadRefused, load_directory

    try:
        load_directory(src_dir, warehouse, extracted_at=extracted_at,
                       max_reject_pct=max_reject_pct)
    except LoadRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.command("import")
@click.argument("profile")
@click.argument("files", nargs=-1, required=True, type=CallerPath(dir_okay=False))
@click.option("--mapping", "mapping", type=CallerPath(dir_okay=False), default=None,
              help="The city's mapping (TOML): source codes → unit codes, IT services, "
                   "channels, KCK topics, outcomes, districts; the source's time zone.")
@click.option("--write-mapping", "write_mapping", type=CallerPath(dir_okay=False),
              default=None,
              help="Write a mapping skeleton to this file: every code list of the profile "
                   "and every source code of the files, to fill in.")
@warehouse_option
@extracted_at_option
@max_reject_option
def import_(profile: str, files: tuple[Path, ...], mapping: Path | None,
            write_mapping: Path | None, warehouse: Path, extracted_at,
            max_reject_pct: float) -> None:
    """Convert native exports (FILE...) by PROFILE and load them into raw.*.

    PROFILE is a built-in profile — servicenow, queue-log, open311, socrata-311 — or the
    path of a profile file (.toml; copy a built-in one from warehouse/importing/profiles/
    and edit it). The rows go through the same validation, quarantine, PII hashing, audit
    and atomic swap as `cityops load`. Every import prints the source codes the mapping
    does not map, with counts.
    """
    from warehouse.importing import import_files
    from warehouse.load import LoadRefused

    try:
        import_files(profile, list(files), warehouse, mapping=mapping,
                     write_mapping=write_mapping, extracted_at=extracted_at,
                     max_reject_pct=max_reject_pct)
    except LoadRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.command()
@warehouse_option
@click.option("--as-of", "as_of", default=None,
              help="Date (end of that day, local time) or timestamp to compute ages, backlog "
                   "and overdue as of. Default: the latest timestamp in the data.")
@click.option("--full-refresh", is_flag=True,
              help="Rebuild everything from scratch (after changing raw.* other than by a "
                   "load, or upgrading the holidays package).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True,
              help="Where dbt builds the models: the warehouse's DuckDB, or Apache Spark "
                   "(local, or a cluster by dbt/profiles.yml; docs/SCALE_OUT.md), the marts "
                   "then published into the served DuckDB file. Spark builds are full builds.")
def build(warehouse: Path, as_of: str | None, full_refresh: bool, engine: str) -> None:
    """Build staging → intermediate → marts with dbt (one invocation), tests included."""
    from warehouse.build import BuildFailed
    from warehouse.build import build as run

    try:
        run(warehouse, as_of=as_of, full_refresh=full_refresh, engine=engine)
    except BuildFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@click.argument("src_dir", type=CallerPath())
@warehouse_option
@click.option("--as-of", "as_of", default=None,
              help="As for `cityops build`. Default: the latest timestamp in the data.")
@click.option("--full-refresh", is_flag=True,
              help="Rebuild everything from scratch (after changing raw.* other than by a "
                   "load, or upgrading the holidays package).")
@extracted_at_option
@max_reject_option
def update(src_dir: Path, warehouse: Path, as_of: str | None, full_refresh: bool,
           extracted_at, max_reject_pct: float) -> None:
    """Load the extracts in SRC_DIR and build, in one step — the daily job.

    The same as `cityops load SRC_DIR` followed by `cityops build`, on one copy of the
    warehouse swapped in once: faster (one copy, dbt imported while the load runs), and the
    dashboards never see the new raw data before the marts include it. If the load is
    refused or the build fails, the served warehouse is unchanged.
    """
    from warehouse.build import BuildFailed
    from warehouse.build import build as run
    from warehouse.load import LoadRefused

    try:
        run(warehouse, as_of=as_of, full_refresh=full_refresh, load_from=src_dir,
            extracted_at=extracted_at, max_reject_pct=max_reject_pct)
    except LoadRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except BuildFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@warehouse_option
def check(warehouse: Path) -> None:
    """Run the Great Expectations suites on raw and marts; non-zero exit on failure."""
    from expectations.runner import run_checks
    from warehouse.store import check_readable, current_file

    path = current_file(warehouse)
    if path is None:
        click.echo(f"error: no warehouse at {warehouse}. Run `cityops load` and "
                   "`cityops build` first (or `make demo`).", err=True)
        sys.exit(2)
    check_readable(warehouse, path)  # a corrupt build: named with the way back, exit 2
    ok = run_checks(warehouse)
    sys.exit(0 if ok else 1)


@main.command()
@click.argument("mart")
@warehouse_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.option("--dialect", type=click.Choice(["excel-pl", "standard"]), default="excel-pl",
              show_default=True,
              help="excel-pl: for Excel (UTF-8 with BOM, ';', decimal comma; the columns' labels, "
                   "tak/nie, values as words, a '#' block saying what it holds); standard: for "
                   "programs (UTF-8, ',' and '.', the documented column names, raw values).")
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True,
              help="The language of excel-pl's and XLSX's headers, words and 'about' block.")
@click.option("--out", "out", type=CallerPath(), required=True)
def export(mart: str, warehouse: Path, fmt: str, dialect: str, lang: str, out: Path) -> None:
    """Export marts.MART to CSV or XLSX (XLSX: the dialect's headers and values, a frozen
    header row with a filter, a second sheet saying what it holds)."""
    from warehouse.export import export_mart

    try:
        n = export_mart(warehouse, mart, out, fmt=fmt, dialect=dialect, lang=lang)
    except (KeyError, FileNotFoundError) as exc:
        click.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        sys.exit(2)
    click.echo(f"{n} rows → {out}")


@contextlib.contextmanager
def _report_reading(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for a report; what goes wrong is named with exit 2 — no
    warehouse, a report the data cannot give (PackError), an SMTP server that cannot be
    reached or a file that cannot be written (OSError)."""
    from dashboards.pack import PackError
    from warehouse.store import connect_read_only

    try:
        con = connect_read_only(warehouse)
    except (FileNotFoundError, WarehouseError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        yield con
    except (PackError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        con.close()


@main.group()
def report() -> None:
    """Reports for directors: the monthly pack, the yearly MPI report."""


@report.command()
@warehouse_option
@click.option("--month", "month", required=True,
              help="The month, YYYY-MM, or 'previous' (the month before today).")
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True)
@click.option("--out", "out", type=CallerPath(), required=True,
              help="pack.pdf (printed by Debian's chromium) or pack.html.")
@click.option("--mail-to", "mail_to", multiple=True,
              help="Send the pack to this address (repeat for more); SMTP settings from "
                   "the [mail] table of cityops.toml beside the warehouse.")
@click.option("--if-first-working-day", is_flag=True,
              help="Do nothing (exit 0) unless today is the first working day of the month "
                   "on the Polish calendar: for a daily cron or systemd timer.")
def monthly(warehouse: Path, month: str, lang: str, out: Path, mail_to: tuple[str, ...],
            if_first_working_day: bool) -> None:
    """The monthly director pack: city score, alerts, every KPI against its target with its
    13-month trend, the drill-down by unit, a section per unit, the definitions."""
    from datetime import date

    from dashboards import pack
    from warehouse.store import last_update

    today = date.today()  # the CLI may read the clock; the models never do
    if if_first_working_day and not pack.is_first_working_day(today):
        click.echo(f"{today}: not the first working day of the month; no pack made.")
        return
    try:
        chosen = (pack.previous_month(today) if month == "previous"
                  else date.fromisoformat(f"{month}-01"))
    except ValueError:
        click.echo(f"error: --month {month!r}: write YYYY-MM (e.g. 2026-10) or 'previous'",
                   err=True)
        sys.exit(2)
    with _report_reading(warehouse) as con:
        written = pack.write_pack(con, chosen, lang, out, last_update(warehouse))
        click.echo(f"{written}")
        if mail_to:
            pack.send_pack(written, list(mail_to), chosen, lang, pack.mail_settings(warehouse))
            click.echo(f"sent to {', '.join(mail_to)}")


@report.command("mpi-annual")
@warehouse_option
@click.option("--year", "year", type=click.IntRange(2000, 2100), required=True,
              help="The report's year: it covers 1 December of the year before to 30 "
                   "November (ordinance 1447/2019 § 7: due by 31 December).")
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True)
@click.option("--out", "out", type=CallerPath(), required=True,
              help="report.pdf (printed by Debian's chromium) or report.html.")
def mpi_annual(warehouse: Path, year: int, lang: str, out: Path) -> None:
    """The yearly report on the MPI platform "Magiczny Kraków": publications by portal,
    area, unit and month, the share published without delay and its trend, the slowest
    units, stale service cards."""
    from dashboards import mpi_report

    with _report_reading(warehouse) as con:
        click.echo(f"{mpi_report.write_report(con, year, lang, out)}")


@main.command()
@warehouse_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
def serve(warehouse: Path, host: str, port: int) -> None:
    """Serve the dashboards (read-only) on http://HOST:PORT."""
    from warehouse.serve import serve as run

    run(warehouse, host=host, port=port)


@main.command()
@warehouse_option
@click.option("--port", default=8080, show_default=True, type=int)
def docs(warehouse: Path, port: int) -> None:
    """Serve the dbt docs and the Great Expectations Data Docs on http://127.0.0.1:PORT."""
    from warehouse.serve import serve_docs

    serve_docs(warehouse, port=port)


@main.command()
@warehouse_option
@click.option("--years", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--scale", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--port", default=8501, show_default=True, type=int,
              help="Port of the dashboards (on 127.0.0.1).")
@click.option("--no-serve", is_flag=True, help="Stop after the checks.")
def demo(warehouse: Path, years: int, scale: float, seed: int, port: int,
         no_serve: bool) -> None:
    """Generate the default sample, load it, build, check and serve the dashboards."""
    from expectations.runner import run_checks
    from warehouse.build import build as run_build
    from warehouse.generate import generate as run_generate

    sample = warehouse.parent / "sample"
    run_generate(out_dir=sample, years=years, scale=scale, seed=seed, fmt="csv", start=None)
    run_build(warehouse, as_of=None, full_refresh=False, load_from=sample)
    if not run_checks(warehouse):
        click.echo("Quality checks failed: see the summary above.", err=True)
        sys.exit(1)
    if not no_serve:
        from warehouse.serve import serve as run_serve

        run_serve(warehouse, host="127.0.0.1", port=port)


@main.command()
@warehouse_option
def builds(warehouse: Path) -> None:
    """List the kept builds, newest first: current, good or not, as_of, loads."""
    from warehouse.store import kept_builds

    kept = kept_builds(warehouse)
    if not kept:
        click.echo(f"No kept builds for {warehouse}.")
        return
    for b in kept:
        mark = "*" if b.current else " "
        state = f"cannot be opened: {b.error}" if b.error else (
            f"as of {b.as_of or '(not built)'}, {len({lid for lid, *_ in b.loads})} load(s), "
            f"{len(b.loads)} file(s)")
        click.echo(f"{mark} {b.path.name}  {state}")
    click.echo("(* = current)")


@main.command()
@warehouse_option
@click.option("--to", "to", default=None,
              help="The build file name to switch to (see `cityops builds`). Default: the "
                   "newest good build older than the current one.")
@click.option("--discard-loads", is_flag=True,
              help="Switch even if the older build lacks loads the current one holds "
                   "(they are lost: load those files again).")
def rollback(warehouse: Path, to: str | None, discard_loads: bool) -> None:
    """Switch the warehouse link back to an older good build (e.g. after a corrupt file)."""
    from warehouse.store import rollback as run

    done = run(warehouse, to=to, discard_loads=discard_loads)
    click.echo(f"{warehouse} now points at {done.target.name}.")
    if done.missing_loads:
        names = sorted({name for _, _, name, _ in done.missing_loads})
        click.echo(f"Discarded loads: load these files again: {', '.join(names)}.")
    elif done.current_unreadable:
        click.echo("The loads of the unreadable build are lost: load the extracts loaded "
                   "since then again.")


if __name__ == "__main__":
    main()
