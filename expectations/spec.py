"""What a suite is: a DuckDB query that yields a frame, and the expectations on that frame.

Suites are plain data so the runner, the tests and the docs share one list.  Expectations
are given as ``(expectation type, kwargs)`` pairs — the snake-case names GX uses in its
JSON (``expect_column_values_to_be_in_set``) — so building the suites does not import GX
(it costs seconds); the runner turns them into GX objects.

The frame of a *table* suite is ``select <only the columns the expectations name> from
<table>`` (column projection keeps 10× data quick); a *computed* suite gives its own SQL,
usually a one-row frame of counts that cross-table expectations compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Expectation = tuple[str, dict[str, Any]]

_COLUMN_KEYS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class Suite:
    name: str  # e.g. "raw.tickets", "marts.incident_sla", "relations.service_desk"
    expectations: tuple[Expectation, ...]
    table: str | None = None  # schema.table to read (projected), or …
    sql: str | None = None  # … a query producing the frame
    description: str = ""
    requires: tuple[str, ...] = field(default_factory=tuple)  # tables that must exist

    def __post_init__(self) -> None:
        if (self.table is None) == (self.sql is None):
            raise ValueError(f"suite {self.name}: give exactly one of table= or sql=")

    @property
    def needed_tables(self) -> tuple[str, ...]:
        return (self.table,) if self.table else self.requires

    def columns(self) -> list[str]:
        """Columns the expectations read, in first-use order."""
        seen: dict[str, None] = {}
        for _, kwargs in self.expectations:
            for key in _COLUMN_KEYS:
                if key in kwargs:
                    seen[kwargs[key]] = None
            for col in kwargs.get("column_list", ()):
                seen[col] = None
        return list(seen)

    def query(self) -> str:
        if self.sql is not None:
            return self.sql
        cols = ", ".join(f'"{c}"' for c in self.columns())
        return f"select {cols} from {self.table}"


# ----------------------------------------------------------------- expectation helpers
def not_null(column: str) -> Expectation:
    return ("expect_column_values_to_not_be_null", {"column": column})


def unique(*columns: str) -> Expectation:
    if len(columns) == 1:
        return ("expect_column_values_to_be_unique", {"column": columns[0]})
    return ("expect_compound_columns_to_be_unique", {"column_list": list(columns)})


def in_set(column: str, values: set[str] | set[int] | set[bool] | list[Any] | tuple) -> Expectation:
    return ("expect_column_values_to_be_in_set",
            {"column": column, "value_set": sorted(values, key=str)})


def between(column: str, lo: float | None = None, hi: float | None = None) -> Expectation:
    kwargs: dict[str, Any] = {"column": column}
    if lo is not None:
        kwargs["min_value"] = lo
    if hi is not None:
        kwargs["max_value"] = hi
    return ("expect_column_values_to_be_between", kwargs)


def max_length(column: str, n: int) -> Expectation:
    return ("expect_column_value_lengths_to_be_between",
            {"column": column, "min_value": 0, "max_value": n})


def not_before(later: str, earlier: str) -> Expectation:
    """``later`` >= ``earlier`` wherever both are present."""
    return ("expect_column_pair_values_a_to_be_greater_than_b",
            {"column_A": later, "column_B": earlier, "or_equal": True,
             "ignore_row_if": "either_value_is_missing"})


def equal(a: str, b: str) -> Expectation:
    return ("expect_column_pair_values_to_be_equal", {"column_A": a, "column_B": b})


def matches(column: str, regex: str) -> Expectation:
    return ("expect_column_values_to_match_regex", {"column": column, "regex": regex})


def not_matches(column: str, regex: str) -> Expectation:
    return ("expect_column_values_to_not_match_regex", {"column": column, "regex": regex})


def one_value(column: str) -> Expectation:
    return ("expect_column_unique_value_count_to_be_between",
            {"column": column, "min_value": 1, "max_value": 1})


def row_count_between(lo: int, hi: int | None = None) -> Expectation:
    kwargs: dict[str, Any] = {"min_value": lo}
    if hi is not None:
        kwargs["max_value"] = hi
    return ("expect_table_row_count_to_be_between", kwargs)


def true(column: str) -> Expectation:
    return ("expect_column_values_to_be_in_set", {"column": column, "value_set": [True]})
