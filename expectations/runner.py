"""Run every suite with Great Expectations on frames read from DuckDB, print, write Data Docs.

Why pandas frames and not GX's SQL datasource: GX 1.x on DuckDB through duckdb-engine
reports ``success=False`` with an empty result for every expectation, silently (GX issues
#10738, #11579).  So each suite's frame is read from the current build (read-only, only the
columns the suite needs) into pandas, and validated with GX's pandas datasource in an
ephemeral context: one dataframe asset + whole-dataframe batch definition, one
ExpectationSuite, one ValidationDefinition and one Checkpoint per suite.  Data Docs go to
``<warehouse>.builds/gx_docs/index.html`` (see :func:`docs_dir`).

``run_checks(warehouse)`` is the API behind ``cityops check``: True when every expectation
of every suite holds.
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

from rich.console import Console
from rich.table import Table

from warehouse.store import builds_dir, connect_read_only

from .mart_suites import mart_suites
from .raw_suites import raw_suites
from .relation_suites import relation_suites
from .spec import Suite

DOCS_SITE = "cityops"
MAX_FAILURES_SHOWN = 3


def all_suites() -> list[Suite]:
    """Every suite: raw contract tables, marts, relations and freshness."""
    return raw_suites() + mart_suites() + relation_suites()


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
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        return self.error is None and self.failed == 0


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
    where = kwargs.get("column") or "/".join(
        str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs
    ) or ",".join(kwargs.get("column_list", [])) or "table"
    result = res.result or {}
    values: Any = result.get("partial_unexpected_list")
    if not values and result.get("observed_value") is not None:
        values = result["observed_value"]
    if res.exception_info and res.exception_info.get("raised_exception"):
        values = f"error: {res.exception_info.get('exception_message')}"
    count = result.get("unexpected_count")
    shown = repr(values[:3]) if isinstance(values, list) else repr(values)
    rule = cfg.type.removeprefix("expect_")
    return f"{where}: {rule}" + (f" ({count} rows)" if count else "") + f" → {shown}"


def _compact_strings(frame: Any) -> Any:
    """String columns → pandas categoricals (integer codes + one copy of each text).

    GX's pandas metrics filter the whole frame for every expectation; with pandas 3's
    Arrow-backed strings those row gathers dominated the 500k-row raw.calls suite at demo
    scale (profiled: 1.3 s of 4.2 s in pyarrow ``take``); on categoricals they are
    integer gathers (0.2 s)."""
    import pandas as pd

    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype):
            frame[name] = frame[name].astype("category")
    return frame


def _missing_tables(con: Any, tables: Iterable[str]) -> list[str]:
    present = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views()"
        ).fetchall()
    }
    return [t for t in tables if t not in present]


# Expectations that need every row at once; all others hold row by row, so a big table is
# validated in batches of BATCH_ROWS and its memory stays flat (10×: 5 M calls).
WHOLE_TABLE = {
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_column_unique_value_count_to_be_between",
    "expect_table_row_count_to_be_between",
}
BATCH_ROWS = 500_000


def _checkpoint(ctx: Any, datasource: Any, name: str, expectations: list) -> Any:
    gx = _gx()
    asset = datasource.add_dataframe_asset(name=name)
    batch = asset.add_batch_definition_whole_dataframe(name=f"{name} (all rows)")
    # all expectations at once: add_expectation() re-serialises the stored suite each time
    gx_suite = ctx.suites.add(gx.ExpectationSuite(
        name=name,
        expectations=[_expectation(kind, dict(kwargs)) for kind, kwargs in expectations],
    ))
    validation = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
    )
    return ctx.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[validation],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )


def _failures(checkpoint: Any, frame: Any) -> dict[str, str]:
    """Failed expectations of one run, keyed by their configuration (to merge batches)."""
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    failed: dict[str, str] = {}
    for run_result in result.run_results.values():
        for res in run_result.results:
            if not res.success:
                cfg = res.expectation_config
                key = f"{cfg.type}{sorted(cfg.kwargs.items(), key=str)}"
                failed.setdefault(key, _describe_failure(res))
    return failed


def _frame(con: Any, sql: str) -> Any:
    return _compact_strings(con.sql(sql).df())


def _run_one(ctx: Any, datasource: Any, con: Any, suite: Suite) -> SuiteOutcome:
    started = time.perf_counter()
    outcome = SuiteOutcome(name=suite.name, expectations=len(suite.expectations))
    missing = _missing_tables(con, suite.needed_tables)
    if missing:
        outcome.error = "missing table(s): " + ", ".join(missing)
        outcome.failed = outcome.expectations
        return outcome
    try:
        rows = con.execute(f"select count(*) from ({suite.query()})").fetchall()[0][0]
        failed: dict[str, str] = {}
        if rows <= BATCH_ROWS or suite.table is None:
            frame = _frame(con, suite.query())
            failed = _failures(_checkpoint(ctx, datasource, suite.name, suite.expectations),
                               frame)
        else:
            whole = [e for e in suite.expectations if e[0] in WHOLE_TABLE]
            by_row = [e for e in suite.expectations if e[0] not in WHOLE_TABLE]
            if whole:
                cols = Suite(name=suite.name, table=suite.table, expectations=tuple(whole)).query()
                failed |= _failures(_checkpoint(ctx, datasource, suite.name, whole),
                                    _frame(con, cols))
            if by_row:
                part = Suite(name=suite.name, table=suite.table, expectations=tuple(by_row)).query()
                check = _checkpoint(ctx, datasource, f"{suite.name} (row checks)", by_row)
                for offset in range(0, rows, BATCH_ROWS):
                    batch = _frame(con, f"{part} order by rowid limit {BATCH_ROWS} "
                                        f"offset {offset}")
                    for key, text in _failures(check, batch).items():
                        failed.setdefault(key, text)
                    del batch
    except Exception as exc:  # a broken query is a failed suite, not a crash
        outcome.error = f"query failed: {exc}".splitlines()[0]
        outcome.failed = outcome.expectations
        return outcome
    outcome.rows = rows
    outcome.failed = len(failed)
    outcome.failures = list(failed.values())
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_suites(
    warehouse: Path, suites: Iterable[Suite] | None = None, write_docs: bool = True
) -> list[SuiteOutcome]:
    """Validate ``suites`` (default: all) against the current build; build Data Docs."""
    warehouse = Path(warehouse)
    docs = docs_dir(warehouse) if write_docs else None
    ctx = _context(docs)
    datasource = ctx.data_sources.add_pandas(name="cityops")
    outcomes: list[SuiteOutcome] = []
    con = connect_read_only(warehouse)
    con.execute("set memory_limit = '1GB'")  # DuckDB's share; pandas and GX hold the rest
    try:
        # GX prints nothing useful on stdout here; keep the CLI output ours.
        with contextlib.redirect_stdout(io.StringIO()):
            for suite in suites if suites is not None else all_suites():
                outcomes.append(_run_one(ctx, datasource, con, suite))
    finally:
        con.close()
    if docs is not None:
        shutil.rmtree(docs, ignore_errors=True)
        docs.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):
            ctx.build_data_docs(site_names=[DOCS_SITE])
    return outcomes


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
        status = "green" if o.success else "red"
        detail = o.error or "\n".join(o.failures[:MAX_FAILURES_SHOWN])
        table.add_row(f"[{status}]{o.name}[/]", str(o.rows), str(o.expectations),
                      f"[{status}]{o.failed}[/]", detail)
    console.print(table)
    total = sum(o.expectations for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    bad = [o.name for o in outcomes if not o.success]
    verdict = "[green]all passed[/]" if not bad else f"[red]{len(bad)} suite(s) failed[/]"
    console.print(f"{len(outcomes)} suites, {total} expectations, {failed} failed: {verdict}")
    if docs is not None:
        console.print(f"Data Docs: {docs / 'index.html'}")


def run_checks(warehouse: Path, suites: Iterable[Suite] | None = None,
               console: Console | None = None) -> bool:
    """Run all suites, print the summary, write Data Docs; False if anything failed."""
    started = time.perf_counter()
    outcomes = run_suites(Path(warehouse), suites)
    print_summary(outcomes, console, docs_dir(Path(warehouse)))
    (console or Console()).print(f"checked in {time.perf_counter() - started:.1f} s")
    return all(o.success for o in outcomes)
