"""Helpers the test modules share (pytest puts this directory on sys.path)."""

from __future__ import annotations

from pathlib import Path

from warehouse.store import connect_read_only


def query(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on the warehouse's current build, opened read-only and closed."""
    con = connect_read_only(wh)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
