"""The same dbt project on Apache Spark: ``cityops build --engine spark`` (docs/SCALE_OUT.md).

Load, import, check, serve and export stay as they are: the raw layer of record is the
DuckDB warehouse. A Spark build

1. exports the raw tables the dbt sources name from the writable copy to Parquet, one
   directory per table (:func:`export_raw`; DuckDB's TIME columns as 'HH:MM:SS' text,
   which Spark 4.0 has no type for);
2. runs the one ``dbt build --target spark`` (dbt-spark, ``method: session``: a local Spark
   inside dbt's process; a cluster by the profile, docs/SCALE_OUT.md) over them — the
   on-run-start hook ``register_raw_parquet`` makes them the ``raw`` database's tables;
   every model is a Parquet table and every Spark build a full build into a new metastore
   and warehouse directory (dbt/DECISIONS.md § 16);
3. publishes every table the project built (reference, staging, intermediate, marts)
   into the writable copy (:func:`publish`), replacing the DuckDB relations of the same
   names, so the build file swapped in is served, checked and exported exactly as a DuckDB
   build is.

The Spark files live in a scratch directory beside the kept builds and are removed after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from warehouse.build.dbt import DBT_DIR

RAW_ENV = "CITYOPS_SPARK_RAW"
WAREHOUSE_ENV = "CITYOPS_SPARK_WAREHOUSE"
LOG4J_ENV = "CITYOPS_SPARK_LOG4J"  # Spark's JVM log: errors only (dbt/spark-log4j2.properties)
LOG4J_FILE = DBT_DIR / "spark-log4j2.properties"
SCHEMAS = ("reference", "staging", "intermediate", "marts")
SOURCES_FILE = DBT_DIR / "models" / "staging" / "_sources.yml"


def unavailable() -> str | None:
    """Why Spark cannot run on this machine (None: it can): Java and the spark group."""
    if shutil.which("java") is None:
        return ("no Java runtime: Spark needs one (Debian: apt-get install "
                "openjdk-17-jre-headless)")
    try:
        subprocess.run(["java", "-version"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java does not start: {exc}"
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return (f"{exc.name} is not installed: `make setup` installs the spark dependency "
                "group (pyspark, dbt-spark[session])")
    return None


def source_tables() -> list[str]:
    """The raw tables the dbt project reads (its sources)."""
    sources = yaml.safe_load(SOURCES_FILE.read_text())["sources"]
    return [t["name"] for s in sources if s["name"] == "raw" for t in s["tables"]]


def _is_time(data_type: str) -> bool:
    return data_type.upper().startswith("TIME") and not data_type.upper().startswith(
        "TIMESTAMP")


def export_raw(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    """Each source table of raw as Parquet under ``out/<table>/``; rows per table."""
    rows = {}
    for table in source_tables():
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [table]).fetchall()
        if not columns:
            raise FileNotFoundError(f"raw.{table} is missing from the warehouse")
        select = ", ".join(
            f'cast("{name}" as varchar) as "{name}"' if _is_time(dtype) else f'"{name}"'
            for name, dtype in columns)
        (out / table).mkdir(parents=True)
        con.execute(f"copy (select {select} from raw.\"{table}\") to "
                    f"'{out / table / 'part-0.parquet'}' (format parquet)")
        rows[table] = con.execute(f'select count(*) from raw."{table}"').fetchone()[0]
    return rows


@dataclass(frozen=True)
class Built:
    schema: str
    name: str


def built_tables(manifest_path: Path) -> list[Built]:
    """The relations of the project's models and seeds (from the build's manifest)."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted({Built(n["schema"], n.get("alias") or n["name"]) for n in nodes
                   if n["resource_type"] in ("model", "seed")
                   and n["config"].get("enabled", True)
                   and n["config"].get("materialized") != "ephemeral"
                   and n["schema"] in SCHEMAS}, key=lambda b: (b.schema, b.name))


def publish(con: duckdb.DuckDBPyConnection, spark_warehouse: Path,
            tables: list[Built]) -> dict[str, int]:
    """Replace each relation of ``tables`` in the DuckDB copy with the table Spark wrote
    (``<spark warehouse>/<schema>.db/<name>/``); rows per relation."""
    rows = {}
    for t in tables:
        location = spark_warehouse / f"{t.schema}.db" / t.name
        if not location.is_dir():
            raise FileNotFoundError(f"Spark wrote no table {t.schema}.{t.name} ({location})")
        con.execute(f'create schema if not exists "{t.schema}"')
        kind = con.execute("select table_type from information_schema.tables "
                           "where table_schema = ? and table_name = ?",
                           [t.schema, t.name]).fetchone()
        if kind is not None:
            con.execute(f'drop {"view" if kind[0] == "VIEW" else "table"} '
                        f'"{t.schema}"."{t.name}"')
        con.execute(f'create table "{t.schema}"."{t.name}" as select * from '
                    f"read_parquet('{location}/*.parquet')")
        rows[f"{t.schema}.{t.name}"] = con.execute(
            f'select count(*) from "{t.schema}"."{t.name}"').fetchone()[0]
    return rows
