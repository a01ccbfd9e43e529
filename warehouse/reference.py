"""Reference data from the ordinances: read the CSV seeds in ``seeds/``.

The seeds are the single source of the organisation (units, topics, portal areas, SLA
targets, districts) for the generator, the loader's foreign-key checks and dbt (which loads
them as seeds).  ``default_it_services.csv`` is not a dbt seed: it is the default
``it_services`` extract the generator writes, so the catalogue arrives as a source.

Every reader returns a cached, read-only view: treat the frames as immutable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# Columns whose values are codes and must stay text (e.g. "IT-01-1", "PO").
_TEXT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "org_units": {"unit_code": pl.String, "parent_code": pl.String, "department": pl.String},
    "kck_topics": {"topic_code": pl.String, "default_unit": pl.String},
    "portal_areas": {"area_code": pl.String},
    "default_it_services": {
        "service_code": pl.String,
        "owner_unit": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
    },
}


def seed_path(name: str) -> Path:
    """Path of ``seeds/<name>.csv``; raises FileNotFoundError naming the file if absent."""
    stem = name.removesuffix(".csv")
    path = SEEDS_DIR / f"{stem}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"seed {stem!r} not found: expected {path}")
    return path


@lru_cache(maxsize=64)
def load_seed(name: str) -> pl.DataFrame:
    """Read one seed CSV (UTF-8) into a polars DataFrame; empty strings become null."""
    stem = name.removesuffix(".csv")
    return pl.read_csv(
        seed_path(stem),
        encoding="utf8",
        schema_overrides=_TEXT_SCHEMAS.get(stem),
        empty_string_is_null=True,
    )


def unit_codes() -> set[str]:
    """Every org unit code (departments, units, city units and companies)."""
    return set(_codes("org_units", "unit_code"))


def topic_codes() -> set[str]:
    """Every KCK topic code."""
    return set(_codes("kck_topics", "topic_code"))


def portal_area_codes() -> set[str]:
    """Every portal area code (KPUM areas, MPI parts, BIP)."""
    return set(_codes("portal_areas", "area_code"))


@lru_cache(maxsize=64)
def _codes(seed: str, column: str) -> frozenset[str]:
    return frozenset(load_seed(seed)[column].to_list())


def default_it_services() -> pl.DataFrame:
    """The default ``it_services`` extract: exactly the contract's columns, in its order."""
    from warehouse.contracts import CONTRACTS

    columns = CONTRACTS["it_services"].column_names
    return load_seed("default_it_services").select(columns)
