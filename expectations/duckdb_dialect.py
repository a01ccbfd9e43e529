"""A SQLAlchemy dialect for DuckDB whose cursors fetch their whole result at execute.

Why: Great Expectations' SQL execution engine runs a query and fetches its rows *after*
leaving ``with engine.connect() as connection:`` (``SqlAlchemyExecutionEngine.execute_query``
returns the result; ``resolve_metric_bundle`` then calls ``.fetchall()`` on it). By then
SQLAlchemy's pool has reset the connection (a rollback on return). duckdb-engine's cursor
is the DuckDB connection itself: its pending rows live on that connection, and the rollback
drops them — so the fetch finds nothing and every expectation reports ``success=False``
with an empty result (GX issues #10738, #11579: an ``IndexError`` on ``res[0]`` inside
``resolve_metric_bundle``, caught and turned into a failed expectation).
``tests/test_expectations.py`` shows that this is what the installed versions do.

The fix lives here, through SQLAlchemy's public extension point for third-party dialects
(``sqlalchemy.dialects.registry``), not in a patch of GX or duckdb-engine:
:class:`BufferedDuckDBDialect` is duckdb-engine's dialect whose cursor, on ``execute``,
fetches all rows into Python and serves ``fetchone`` / ``fetchmany`` / ``fetchall`` from
them. GX's queries return aggregates (one row per metric bundle) or a few example values
(``LIMIT``), so the rows held are small; the scans run in DuckDB.

Use the URL ``duckdb+buffered:///<path>`` after :func:`register` (idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import registry

DRIVER = "buffered"
URL_SCHEME = f"duckdb+{DRIVER}"


class BufferedCursor:
    """A DB-API cursor over duckdb-engine's cursor that fetches the whole result at
    execute, so the rows outlive a reset of the connection they came from."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._rows: list[tuple] = []
        self._next = 0
        self.description: Sequence[tuple] | None = None

    def execute(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        self._inner.execute(statement, parameters, context)
        self.description = self._inner.description
        self._rows = self._inner.fetchall() if self.description else []
        self._next = 0

    def executemany(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        self._inner.executemany(statement, parameters, context)
        self.description, self._rows, self._next = None, [], 0

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        size = 1 if size is None else size
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[tuple]:
        rows = self._rows[self._next:]
        self._next = len(self._rows)
        return rows

    @property
    def rowcount(self) -> int:
        return len(self._rows) if self.description else -1

    def close(self) -> None:
        self._rows, self._next = [], 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class BufferedConnection:
    """duckdb-engine's connection wrapper, handing out :class:`BufferedCursor` cursors."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def cursor(self) -> BufferedCursor:
        return BufferedCursor(self._inner.cursor())

    def close(self) -> None:
        self._inner.close()

    @property
    def closed(self) -> bool:
        return bool(self._inner.closed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class BufferedDuckDBDialect(DuckDBDialect):
    """duckdb-engine's dialect (same name, ``duckdb``: GX and SQLAlchemy compile for it
    exactly as for duckdb-engine) with cursors that fetch at execute."""

    driver = DRIVER
    supports_statement_cache = False
    # A SQLAlchemy dialect *module* names its dialect class `dialect`; GX looks that name up
    # (on the module, or on the engine's dialect for a dialect it does not know) to choose
    # the SQL of a regex: this dialect is PostgreSQL's (duckdb-engine's base), so GX
    # writes PostgreSQL's `col ~ 'regex'`, which DuckDB runs (regexp_full_match).
    dialect: type[DuckDBDialect]


    def connect(self, *cargs: Any, **cparams: Any) -> BufferedConnection:  # type: ignore[override]
        return BufferedConnection(super().connect(*cargs, **cparams))


def register() -> None:
    """Make ``duckdb+buffered://`` URLs resolve to :class:`BufferedDuckDBDialect`."""
    registry.register(URL_SCHEME.replace("+", "."), __name__, BufferedDuckDBDialect.__name__)


def url(path: str) -> str:
    """The SQLAlchemy URL of a DuckDB file for this dialect."""
    return f"{URL_SCHEME}:///{path}"


BufferedDuckDBDialect.dialect = BufferedDuckDBDialect
