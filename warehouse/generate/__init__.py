"""Generator of realistic source extracts: every contract file of docs/CONTRACTS.md.

``generate(out_dir, years=3, scale=1.0, seed=42, fmt="csv", start=None)`` writes
``<contract>.csv`` (or ``.parquet``) for tickets, ticket_events, calls, submissions,
publications, it_services, service_cards, sc_projects and sc_milestones, with exactly the
columns of :mod:`warehouse.contracts`, and returns the rows written per contract.

Scale 1 is one realistic city-year of work (volumes and reasons in each module's docstring
and in the README, "Sample data volumes"); ``scale`` multiplies the flows (tickets, calls,
submissions, publications), not the catalogues (IT services, service cards, Smart City
projects), which belong to the organisation, not to its workload.

Deterministic: every source system draws from its own ``numpy`` generator seeded from
``SeedSequence([seed, <stream number>])``, so the same arguments give byte-identical files
and a change in one source leaves the others as they were.  The default start is fixed
(1 November 2026 minus ``years``), never today.

Modules: :mod:`.calendar` (working calendar, holidays, deadlines, elections, DST),
:mod:`.curves` (hour/weekday/season curves), :mod:`.topics` (what residents ask about and
when), :mod:`.servicedesk`, :mod:`.kck`, :mod:`.portals`, :mod:`.smartcity`,
:mod:`.writer` (CSV/Parquet in the contract's format).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from . import kck, portals, servicedesk, smartcity
from .calendar import Period, default_start
from .refdata import load_reference
from .writer import write_contract

__all__ = ["generate", "CONTRACT_FILES"]

#: Stream numbers of the per-source random generators (never renumber: it changes data).
STREAMS = {"it_services": 0, "service_desk": 1, "calls": 2, "submissions": 3,
           "service_cards": 4, "publications": 5, "smart_city": 6}

CONTRACT_FILES = ("it_services", "tickets", "ticket_events", "calls", "submissions",
                  "service_cards", "publications", "sc_projects", "sc_milestones")


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream]]))


def generate(out_dir: Path | str, years: int = 3, scale: float = 1.0, seed: int = 42,
             fmt: str = "csv", start: date | None = None) -> dict[str, int]:
    """Write every contract file into ``out_dir``; return rows written per contract."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    if years < 1:
        raise ValueError("years must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out_dir)
    period = Period(start or default_start(years), years)
    ref = load_reference()
    counts: dict[str, int] = {}
    cache: dict[str, pl.DataFrame] = {}

    def desk() -> tuple[pl.DataFrame, pl.DataFrame]:
        if "tickets" not in cache:
            cache["tickets"], cache["ticket_events"] = servicedesk.tickets_and_events(
                _rng(seed, "service_desk"), period, ref, scale)
        return cache["tickets"], cache["ticket_events"]

    def cards() -> pl.DataFrame:
        if "service_cards" not in cache:
            cache["service_cards"] = portals.service_cards(_rng(seed, "service_cards"), period,
                                                           ref)
        return cache["service_cards"]

    def smart() -> tuple[pl.DataFrame, pl.DataFrame]:
        if "sc_projects" not in cache:
            cache["sc_projects"], cache["sc_milestones"] = smartcity.projects_and_milestones(
                _rng(seed, "smart_city"), period, ref)
        return cache["sc_projects"], cache["sc_milestones"]

    builders: dict[str, Callable[[], pl.DataFrame]] = {
        "it_services": lambda: servicedesk.it_services(ref),
        "tickets": lambda: desk()[0],
        "ticket_events": lambda: desk()[1],
        "calls": lambda: kck.calls(_rng(seed, "calls"), period, ref, scale),
        "submissions": lambda: kck.submissions(_rng(seed, "submissions"), period, ref, scale),
        "service_cards": cards,
        "publications": lambda: portals.publications(_rng(seed, "publications"), period, ref,
                                                     scale, cards()),
        "sc_projects": lambda: smart()[0],
        "sc_milestones": lambda: smart()[1],
    }
    console = Console(stderr=True)
    progress = Progress(TextColumn("{task.description:<14}"), BarColumn(),
                        TextColumn("{task.fields[rows]:>10} rows"), TimeElapsedColumn(),
                        console=console, disable=not console.is_terminal,
                        transient=False)
    with progress:
        tasks = {name: progress.add_task(name, total=2, rows="") for name in CONTRACT_FILES}
        for name in CONTRACT_FILES:
            progress.update(tasks[name], advance=0.2)
            df = builders[name]()
            progress.update(tasks[name], advance=0.8, rows=f"{df.height:,}")
            write_contract(name, df, out, fmt)
            counts[name] = df.height
            progress.update(tasks[name], completed=2)
            cache.pop(name, None)
    if not console.is_terminal and "pytest" not in sys.modules:
        console.print(f"generated {period.start} → {period.end} (scale {scale}, seed {seed}): "
                      + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return counts
