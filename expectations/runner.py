"""Run every suite with Great Expectations as SQL in DuckDB, print, write Data Docs.

GX validates the current build file through its SQL datasource (read-only), so every
expectation is a query DuckDB runs where the data is — no frame of a big table is read
into Python.  GX 1.x on DuckDB through duckdb-engine alone reports ``success=False`` with
an empty result for every expectation (GX issues #10738, #11579): GX fetches a result
after its connection went back to the pool, and duckdb-engine's rows live on the DuckDB
connection, which the pool's reset clears.  :mod:`expectations.duckdb_dialect` registers,
through SQLAlchemy's dialect registry, duckdb-engine's dialect with a cursor that fetches
at execute, and GX connects with it (``duckdb+buffered://``).  One ephemeral context holds
one asset per suite (a table asset, or a query asset for a computed one-row frame), one
ExpectationSuite, ValidationDefinition and Checkpoint per suite, validated for success
only; the expectations that failed are validated again, in a checkpoint "<suite>
(failures)", with counts and the first offending values (row-level where the proof was an
aggregate: spec.ROW_LEVEL).  Data Docs go to ``<warehouse>.builds/gx_docs/index.html``
(see :func:`docs_dir`).

A suite whose source contract was never loaded (no ``raw.load_audit`` row of it with
rows_loaded > 0) is not run: it is reported "not loaded", counted apart, and fails
nothing — a city with only some sources can pass ``cityops check``; a source loaded once
and then stale still fails its freshness suite.

``run_checks(warehouse)`` is the API behind ``cityops check``: True when every suite of
the loaded sources holds (and at least one source was loaded).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy
from rich.console import Console
from rich.table import Table

from warehouse.store import builds_dir, current_file

from . import duckdb_dialect
from .freshness_suites import freshness_suites
from .raw_suites import raw_suites
from .spec import Expectation, Suite, row_level

DOCS_SITE = "cityops"
MAX_FAILURES_SHOWN = 3
NOT_LOADED = "not loaded"
CONNECT_ARGS = {"read_only": True}  # duckdb.connect() arguments of every connection
# Two passes: every suite is validated for success only (BOOLEAN_ONLY: GX skips the query
# of example values that each row-level expectation would otherwise run, half of its
# queries); the expectations that failed are validated again, row-level where the first
# form was an aggregate (spec.ROW_LEVEL), with counts and the first offending values.
PROOF_FORMAT = {"result_format": "BOOLEAN_ONLY"}
EXPLAIN_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
# GX's SQL expectation (spec.unexpected_rows) shows its rows only in the COMPLETE format
# (at most GX's MAX_RESULT_RECORDS of them); it is explained in a checkpoint of its own
UNEXPECTED_ROWS = "unexpected_rows_expectation"
EXPLAIN_ROWS_FORMAT = {"result_format": "COMPLETE"}


def all_suites() -> list[Suite]:
    """Every suite: raw contract tables, their rejects, the load audit, freshness."""
    return raw_suites() + freshness_suites()


def suite_names() -> list[str]:
    return [s.name for s in all_suites()]


def docs_dir(warehouse: Path) -> Path:
    """Where the GX Data Docs of a warehouse are written (``index.html`` inside)."""
    return (builds_dir(Path(warehouse)) / "gx_docs").absolute()


@dataclass
class SuiteOutcome:
    name: str
    rows: int = 0
    expectations: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # "column: expectation → values"
    error: str | None = None  # the suite could not run (missing table, query error)
    source: str | None = None  # the contract the suite belongs to (Suite.source)
    not_loaded: bool = False  # its source was never loaded: skipped, fails nothing
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        """Nothing failed (a suite of a source never loaded fails nothing)."""
        return self.error is None and self.failed == 0

    @property
    def status(self) -> str:
        if self.not_loaded:
            return NOT_LOADED
        return "passed" if self.success else "failed"


# --------------------------------------------------------------------------- GX plumbing
def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _expectation(kind: str, kwargs: dict[str, Any]) -> Any:
    import great_expectations.expectations as gxe

    cls = getattr(gxe, _camel(kind))
    return cls(**kwargs)


def _context(docs: Path | None) -> Any:
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX sets this logger to INFO and logs its housekeeping there ("Created temporary
    # directory …"); the message reaches the terminal once a library in the same process has
    # given the root logger a handler (dbt's snowplow tracker does: `cityops demo`)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    # For a dialect GX does not know it compares column types with SQLAlchemy's own and
    # says so at WARNING for every type expectation; that is the comparison intended here
    # (raw_suites.SQL_TYPE_NAMES)
    logging.getLogger("great_expectations.expectations.type_comparison").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs is not None:
        ctx.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return ctx


def _describe_failure(res: Any) -> str:
    cfg = res.expectation_config
    kwargs = cfg.kwargs
    result = res.result or {}
    if cfg.type == UNEXPECTED_ROWS:  # its description is "where: rule"
        where, _, rule = (cfg.description or "table: unexpected rows").partition(": ")
        rows = (result.get("details") or {}).get("unexpected_rows") or []
        values: Any = [tuple(r.values()) if isinstance(r, dict) else r for r in rows]
        count = result.get("observed_value")
    else:
        where = kwargs.get("column") or "/".join(
            str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs
        ) or ",".join(kwargs.get("column_list", [])) or "table"
        rule = cfg.type.removeprefix("expect_")
        values = result.get("partial_unexpected_list")
        if not values and result.get("observed_value") is not None:
            values = result["observed_value"]
        count = result.get("unexpected_count")
    # GX keys the exception of an expectation by the metric that raised it
    info = res.exception_info or {}
    raised = [info] if "raised_exception" in info else list(info.values())
    errors = [e for e in raised if isinstance(e, dict) and e.get("raised_exception")]
    if errors:
        values = f"error: {str(errors[0].get('exception_message')).splitlines()[0]}"
    shown = repr(values[:3]) if isinstance(values, list) else repr(values)
    return f"{where}: {rule}" + (f" ({count} rows)" if count else "") + f" → {shown}"


def _missing_tables(con: Any, tables: Iterable[str]) -> list[str]:
    present = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views()"
        ).fetchall()
    }
    return [t for t in tables if t not in present]


def _loaded_sources(con: Any) -> set[str]:
    """Contracts with at least one row ever loaded (raw.load_audit)."""
    try:
        rows = con.execute("select distinct contract from raw.load_audit "
                           "where rows_loaded > 0").fetchall()
    except duckdb.CatalogException:
        return set()
    return {r[0] for r in rows}


def _asset(datasource: Any, suite: Suite) -> Any:
    if suite.table is not None:
        schema, table = suite.table.split(".", 1)
        return datasource.add_table_asset(name=suite.name, schema_name=schema,
                                          table_name=table)
    return datasource.add_query_asset(name=suite.name, query=suite.sql)


def _checkpoint(ctx: Any, datasource: Any, suite: Suite, name: str,
                expectations: Iterable[Expectation], result_format: dict) -> Any:
    gx = _gx()
    asset = datasource.get_asset(suite.name) if suite.name in datasource.get_asset_names() \
        else _asset(datasource, suite)
    batch = asset.add_batch_definition_whole_table(name=f"{name} (all rows)")
    # all expectations at once: add_expectation() re-serialises the stored suite each time
    gx_suite = ctx.suites.add(gx.ExpectationSuite(
        name=name,
        expectations=[_expectation(kind, dict(kwargs)) for kind, kwargs in expectations],
    ))
    validation = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=gx_suite))
    return ctx.checkpoints.add(gx.Checkpoint(
        name=name, validation_definitions=[validation], result_format=result_format))


def _failed(checkpoint: Any) -> list[Any]:
    """The results of the expectations that failed, in suite order."""
    result = checkpoint.run()
    return [res for run_result in result.run_results.values()
            for res in run_result.results if not res.success]


def _prepare(con: Any, suite: Suite, loaded: set[str]) -> SuiteOutcome:
    """The outcome before GX runs: not loaded, missing tables, a broken query, or the
    number of rows the suite validates (an error or not_loaded outcome is final)."""
    outcome = SuiteOutcome(name=suite.name, expectations=len(suite.expectations),
                           source=suite.source)
    if suite.source is not None and suite.source not in loaded:
        outcome.not_loaded = True
        return outcome
    missing = _missing_tables(con, suite.needed_tables)
    if missing:
        outcome.error = "missing table(s): " + ", ".join(missing)
    else:
        frame = suite.table if suite.table is not None else f"({suite.sql})"
        try:
            outcome.rows = con.execute(f"select count(*) from {frame}").fetchone()[0]
        except duckdb.Error as exc:  # a broken query is a failed suite, not a crash
            outcome.error = f"query failed: {exc}".splitlines()[0]
    if outcome.error:
        outcome.failed = outcome.expectations
    return outcome


def _validate(ctx: Any, datasource: Any, suite: Suite, outcome: SuiteOutcome) -> None:
    started = time.perf_counter()
    try:
        failed = _failed(_checkpoint(ctx, datasource, suite, suite.name, suite.expectations,
                                     PROOF_FORMAT))
        if failed:
            explain = [row_level((res.expectation_config.type, _kwargs(res)))
                       for res in failed]
            explained: list[Any] = []
            for label, fmt, exps in (
                    ("failures", EXPLAIN_FORMAT, [e for e in explain if e[0] != UNEXPECTED_ROWS]),
                    ("failing rows", EXPLAIN_ROWS_FORMAT,
                     [e for e in explain if e[0] == UNEXPECTED_ROWS])):
                if exps:
                    explained += _failed(_checkpoint(ctx, datasource, suite,
                                                     f"{suite.name} ({label})", exps, fmt))
            # an aggregate's row-level form can hold where the aggregate did not (or the
            # data moved): report the first pass's failure then
            shown = {_key(res): res for res in explained}
            failures = [_describe_failure(shown.get(_key_row_level(res), res))
                        for res in failed]
        else:
            failures = []
    except Exception as exc:  # GX could not run the suite at all
        outcome.error = f"GX failed: {exc}".splitlines()[0]
        outcome.failed = outcome.expectations
        return
    outcome.failed = len(failures)
    outcome.failures = failures
    outcome.seconds = time.perf_counter() - started


def _kwargs(res: Any) -> dict[str, Any]:
    """An expectation's arguments as the suite gave them (GX adds the batch id, and keeps
    the description apart from the kwargs)."""
    cfg = res.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k != "batch_id"}
    if cfg.type == UNEXPECTED_ROWS:
        kwargs["description"] = cfg.description
    return kwargs


def _key(res: Any) -> str:
    return f"{res.expectation_config.type}{sorted(_kwargs(res).items(), key=str)}"


def _key_row_level(res: Any) -> str:
    kind, kwargs = row_level((res.expectation_config.type, _kwargs(res)))
    return f"{kind}{sorted(kwargs.items(), key=str)}"


def run_suites(
    warehouse: Path, suites: Iterable[Suite] | None = None, write_docs: bool = True
) -> list[SuiteOutcome]:
    """Validate ``suites`` (default: all) against the current build; build Data Docs."""
    warehouse = Path(warehouse)
    path = current_file(warehouse)
    if path is None:
        raise FileNotFoundError(
            f"No warehouse at {warehouse}. Run `cityops load` and `cityops build` first "
            f"(or `make demo`).")
    suites = list(suites if suites is not None else all_suites())
    duckdb_dialect.register()
    url = duckdb_dialect.url(str(path))
    # No pool: every connection GX opens is closed when GX is done with it (a pooled one
    # outlived the run and kept the file open in this process). `keep` holds the DuckDB
    # instance open meanwhile, so each of GX's connections attaches to it cheaply; it is
    # opened by the same dialect with the same config (DuckDB refuses a second instance
    # of a file with another config in one process).
    engine = sqlalchemy.create_engine(url, connect_args=CONNECT_ARGS,
                                      poolclass=sqlalchemy.pool.NullPool)
    docs = docs_dir(warehouse) if write_docs else None
    ctx = _context(docs)
    with engine.connect() as keep:
        con = keep.connection.dbapi_connection
        loaded = _loaded_sources(con)
        outcomes = [_prepare(con, suite, loaded) for suite in suites]
        # create_temp_table=False: a query asset is a subquery, not a temp table filled
        # first (the build file is read-only, and the one-row frames are cheap to re-run)
        datasource = ctx.data_sources.add_sql(
            name="cityops", connection_string=url, create_temp_table=False,
            kwargs={"connect_args": CONNECT_ARGS, "poolclass": sqlalchemy.pool.NullPool})
        # GX prints nothing useful on stdout here; keep the CLI output ours.
        with contextlib.redirect_stdout(io.StringIO()):
            for suite, outcome in zip(suites, outcomes, strict=True):
                if outcome.error is None and not outcome.not_loaded:
                    _validate(ctx, datasource, suite, outcome)
    engine.dispose()
    if docs is not None:
        shutil.rmtree(docs, ignore_errors=True)
        docs.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):
            ctx.build_data_docs(site_names=[DOCS_SITE])
    return outcomes


def passed(outcomes: list[SuiteOutcome]) -> bool:
    """Every suite that ran holds, and (when the suites belong to sources) at least one of
    their sources was loaded: a warehouse with nothing loaded passes nothing."""
    sourced = [o for o in outcomes if o.source is not None]
    return all(o.success for o in outcomes) and (
        not sourced or any(not o.not_loaded for o in sourced))


def print_summary(outcomes: list[SuiteOutcome], console: Console | None = None,
                  docs: Path | None = None) -> None:
    console = console or Console()
    table = Table(title="Great Expectations — CityOps", show_lines=False)
    table.add_column("suite")
    table.add_column("rows", justify="right")
    table.add_column("expectations", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("first failures (column: rule → values)", overflow="fold")
    for o in outcomes:
        if o.not_loaded:
            table.add_row(f"[yellow]{o.name}[/]", "–", str(o.expectations), "–",
                          "[yellow]not loaded: skipped (no rows of this source were ever "
                          "loaded)[/]")
            continue
        status = "green" if o.success else "red"
        detail = o.error or "\n".join(o.failures[:MAX_FAILURES_SHOWN])
        table.add_row(f"[{status}]{o.name}[/]", str(o.rows), str(o.expectations),
                      f"[{status}]{o.failed}[/]", detail)
    console.print(table)
    ran = [o for o in outcomes if not o.not_loaded]
    skipped = len(outcomes) - len(ran)
    total = sum(o.expectations for o in ran)
    failed = sum(o.failed for o in ran)
    bad = [o.name for o in ran if not o.success]
    if bad:
        verdict = f"[red]{len(bad)} suite(s) failed[/]"
    elif passed(outcomes):
        verdict = "[green]all passed[/]"
    else:
        verdict = "[red]no source loaded[/]"
    console.print(f"{len(ran)} suites, {total} expectations, {failed} failed: {verdict}"
                  + (f"; {skipped} suite(s) not loaded (skipped)" if skipped else ""))
    if docs is not None:
        console.print(f"Data Docs: {docs / 'index.html'}")


def run_checks(warehouse: Path, suites: Iterable[Suite] | None = None,
               console: Console | None = None) -> bool:
    """Run all suites, print the summary, write Data Docs; False if anything failed."""
    started = time.perf_counter()
    outcomes = run_suites(Path(warehouse), suites)
    print_summary(outcomes, console, docs_dir(Path(warehouse)))
    (console or Console()).print(f"checked in {time.perf_counter() - started:.1f} s")
    return passed(outcomes)
