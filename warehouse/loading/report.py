"""The result of a load (per-file accounting) and its printed summary."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

SHOWN_REJECTS = 20  # reject messages printed per load; the rest are in raw.<contract>__rejected


@dataclass
class FileResult:
    file_name: str
    contract: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str  # "loaded" | "released" (rows that waited), each "… with rejects";
    # "skipped: already loaded"
    message: str
    reject_reasons: list[str] = field(default_factory=list)  # first few, "row N: ..."
    warnings: list[str] = field(default_factory=list)
    extracted_at: datetime | None = None  # when the extract was taken
    older: int = 0  # good rows of an older extract than raw's, kept in __history
    corrections: int = 0  # rows a newer extract corrected (a moment back, a set replaced)
    rows_pending: int = 0  # rows waiting for their parent record (raw.<contract>__pending)

    def __post_init__(self) -> None:
        assert self.rows_read == self.rows_loaded + self.rows_rejected + self.rows_pending, \
            self


@dataclass
class LoadReport:
    load_id: str
    src_dir: Path
    warehouse: Path
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # files skipped as no contract, …
    seconds: float = 0.0
    # per child contract, the rows still waiting for their parent after this load
    waiting: dict[str, int] = field(default_factory=dict)
    loaded_at: datetime | None = None  # when the load started

    def file(self, file_name: str) -> FileResult:
        for f in self.files:
            if f.file_name == file_name:
                return f
        raise KeyError(file_name)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_pending(self) -> int:
        return sum(f.rows_pending for f in self.files)

    def released(self, contract: str | None = None) -> int:
        """Rows (of ``contract``, default every one) that waited for their parent record
        and were released by this load: loaded, or rejected by another rule."""
        return sum(f.rows_read for f in self.files if f.status.startswith("released")
                   and contract in (None, f.contract))


def print_report(report: LoadReport, console: Console | None = None,
                 shown_rejects: int = SHOWN_REJECTS) -> None:
    if console is None:
        console = Console() if sys.stdout.isatty() else Console(width=160)
    table = Table(title=f"Load {report.load_id} from {report.src_dir}", title_justify="left")
    for name, justify in [("file", "left"), ("status", "left"), ("read", "right"),
                          ("loaded", "right"), ("rejected", "right"), ("waiting", "right"),
                          ("first reasons", "left")]:
        table.add_column(name, justify=justify, overflow="fold")
    for f in report.files:
        first = "; ".join(r[:120] for r in f.reject_reasons[:2])
        table.add_row(f.file_name, f.status, f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                      f"{f.rows_rejected:,}", f"{f.rows_pending:,}", first,
                      style="yellow" if f.rows_rejected or f.rows_pending else None)
    table.add_row("total", "", f"{report.rows_read:,}", f"{report.rows_loaded:,}",
                  f"{report.rows_rejected:,}", f"{report.rows_pending:,}",
                  f"{report.seconds:.1f} s", style="bold")
    console.print(table)
    for w in report.warnings + [w for f in report.files for w in f.warnings]:
        console.print(f"warning: {w}", style="yellow", markup=False, highlight=False,
                      soft_wrap=True)
    for f in report.files:
        if f.older or f.corrections or f.rows_pending or f.status.startswith("released"):
            console.print(f"note: {f.file_name}: {f.message}", markup=False, highlight=False,
                          soft_wrap=True)
    for contract, rows in report.waiting.items():
        if rows or report.released(contract):
            console.print(f"pending: {contract}: {report.released(contract):,} row(s) "
                          f"released by this load, {rows:,} still wait for their parent "
                          f"record in raw.{contract}__pending", markup=False,
                          highlight=False, soft_wrap=True)
    shown = 0
    for f in report.files:
        printed = 0
        for reason in f.reject_reasons:
            if shown >= shown_rejects:
                break
            console.print(f"rejected: {f.file_name} {reason}", markup=False, highlight=False,
                          soft_wrap=True)
            shown += 1
            printed += 1
        if f.rows_rejected > printed:
            console.print(f"… {f.file_name}: {f.rows_rejected:,} rejected rows in all, every one "
                          f"with its reason in raw.{f.contract}__rejected "
                          f"(_load_id = '{report.load_id}')", markup=False, highlight=False,
                          soft_wrap=True)
