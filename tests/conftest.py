"""Shared fixtures: one small generated sample and one warehouse built from it per session.

The sample is small (1 year at scale 0.05) but spans the edge cases the rules care about:
24 December 2025, the 2025 presidential elections, the DST changes, tax deadlines.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

FIXTURE_START = date(2025, 1, 1)
FIXTURE_YEARS = 1
FIXTURE_SCALE = 0.05
FIXTURE_SEED = 7


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from warehouse.generate import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out_dir=out, years=FIXTURE_YEARS, scale=FIXTURE_SCALE, seed=FIXTURE_SEED,
             fmt="csv", start=FIXTURE_START)
    return out


@pytest.fixture(scope="session")
def loaded_warehouse(sample_dir, tmp_path_factory) -> Path:
    """A warehouse with the sample loaded into raw.* (no dbt build)."""
    from warehouse.load import load_directory

    wh = tmp_path_factory.mktemp("wh_loaded") / "warehouse.duckdb"
    load_directory(sample_dir, wh)
    return wh


@pytest.fixture(scope="session")
def built_warehouse(sample_dir, tmp_path_factory) -> Path:
    """A warehouse with the sample loaded and built (marts present). Treat as read-only."""
    from warehouse.build import build
    from warehouse.load import load_directory

    wh = tmp_path_factory.mktemp("wh_built") / "warehouse.duckdb"
    load_directory(sample_dir, wh)
    build(wh)
    return wh


@pytest.fixture(scope="module")
def pages_warehouse(built_warehouse, tmp_path_factory):
    """The built warehouse as the pages read it (AppTest): CITYOPS_WAREHOUSE pointed at it
    and saved reports in a directory of the module's own, for the module's tests."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CITYOPS_WAREHOUSE", str(built_warehouse))
    mp.setenv("CITYOPS_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))
    yield built_warehouse
    mp.undo()
