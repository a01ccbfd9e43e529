"""What a suite is: a table of the current build (or a query over it) and its expectations.

Suites are plain data so the runner, the tests and the docs share one list.  Expectations
are given as ``(expectation type, kwargs)`` pairs — the snake-case names GX uses in its
JSON (``expect_column_values_to_be_in_set``) — so building the suites does not import GX
(it costs seconds); the runner turns them into GX objects and validates them as SQL in
DuckDB (:mod:`expectations.runner`).

A *table* suite validates ``schema.table`` itself (GX's table asset); a *computed* suite
gives its own SQL, a one-row frame of counts or ages (GX's query asset).  ``source`` names
the contract a suite belongs to: a suite of a source never loaded is skipped and reported
"not loaded".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Expectation = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Suite:
    name: str  # e.g. "raw.tickets", "raw.calls__rejected", "freshness.calls"
    expectations: tuple[Expectation, ...]
    table: str | None = None  # schema.table to validate, or …
    sql: str | None = None  # … a query producing the frame
    description: str = ""
    requires: tuple[str, ...] = field(default_factory=tuple)  # tables that must exist
    source: str | None = None  # the contract whose loading the suite needs

    def __post_init__(self) -> None:
        if (self.table is None) == (self.sql is None):
            raise ValueError(f"suite {self.name}: give exactly one of table= or sql=")

    @property
    def needed_tables(self) -> tuple[str, ...]:
        return (self.table,) if self.table else self.requires


# ----------------------------------------------------------------- expectation helpers
def not_null(column: str) -> Expectation:
    return ("expect_column_values_to_not_be_null", {"column": column})


def unique(*columns: str) -> Expectation:
    """The key is unique. One column: every value distinct (one ``count(distinct)`` in the
    suite's aggregate query; when it fails the runner explains it with
    :data:`ROW_LEVEL`'s expectation, which lists duplicated values). Several: as many
    distinct keys as rows (one aggregate; GX's compound-key expectation counts with a
    window over the whole table, several times slower on the big tables),
    explained by the keys on more than one row (``group by … having``)."""
    if len(columns) == 1:
        return ("expect_column_proportion_of_unique_values_to_be_between",
                {"column": columns[0], "min_value": 1.0})
    cols = ", ".join(f'"{c}"' for c in columns)
    where = ",".join(columns)
    proof = unexpected_rows(
        f"select count(*) - count(distinct ({cols})) as duplicate_rows from {{batch}} "
        f"having count(*) != count(distinct ({cols}))", where, "key unique")
    _EXPLAINED_BY[proof[1]["unexpected_rows_query"]] = unexpected_rows(
        f"select {cols}, count(*) as rows from {{batch}} group by {cols} having count(*) > 1",
        where, "key unique")
    return proof


def unexpected_rows(query: str, where: str, rule: str) -> Expectation:
    """GX's SQL expectation: ``query`` (over ``{batch}``, the suite's table) returns no
    row; each row it returns is an offender. ``where`` and ``rule`` name it in reports."""
    return ("unexpected_rows_expectation",
            {"unexpected_rows_query": query, "description": f"{where}: {rule}"})


# An aggregate expectation and the row-level one that names the offending values: the
# runner validates the first (one query) and, only when it fails, the second.
ROW_LEVEL: dict[str, str] = {
    "expect_column_proportion_of_unique_values_to_be_between":
        "expect_column_values_to_be_unique",
}


# an aggregate SQL check (spec.unique of several columns) → the query naming the offenders
_EXPLAINED_BY: dict[str, Expectation] = {}


def row_level(expectation: Expectation) -> Expectation:
    """The expectation that explains a failure of ``expectation`` with its offending values
    (itself when it names them already)."""
    kind, kwargs = expectation
    if kind in ROW_LEVEL:
        return ROW_LEVEL[kind], {"column": kwargs["column"]}
    if kind == "unexpected_rows_expectation" and kwargs["unexpected_rows_query"] in _EXPLAINED_BY:
        return _EXPLAINED_BY[kwargs["unexpected_rows_query"]]
    return expectation


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


def matches(column: str, regex: str) -> Expectation:
    return ("expect_column_values_to_match_regex", {"column": column, "regex": regex})


def row_count_between(lo: int, hi: int | None = None) -> Expectation:
    kwargs: dict[str, Any] = {"min_value": lo}
    if hi is not None:
        kwargs["max_value"] = hi
    return ("expect_table_row_count_to_be_between", kwargs)


def of_type(column: str, type_name: str) -> Expectation:
    return ("expect_column_values_to_be_of_type", {"column": column, "type_": type_name})
