"""Write one contract frame as ``<contract>.csv`` or ``<contract>.parquet``.

The frame must hold exactly the contract's columns (any order; the file gets the contract
order).  CSV: UTF-8 without BOM, comma, header line, ``\\n`` line ends, timestamps
``YYYY-MM-DD HH:MM:SS`` (local wall clock), dates ``YYYY-MM-DD``, booleans ``true``/``false``,
empty field for NULL, money with two decimals.  Parquet: the same logical types (naive
timestamps, dates, booleans, int64, float64, strings), zstd, no wall-clock metadata, so
the same frame always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.contracts import CONTRACTS

_POLARS_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "timestamp": pl.Datetime("us"),
    "date": pl.Date(),
}


# optional columns the generator's sources do not have, so its files leave them out (a
# file without them keeps the loader's behaviour before they existed)
NOT_GENERATED: dict[str, frozenset[str]] = {"ticket_events": frozenset({"event_seq"}),
                                            # UMK's tickets: the default calendar
                                            "tickets": frozenset({"calendar_code"})}


def conform(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select the contract columns in contract order, cast to their logical types."""
    contract = CONTRACTS[name]
    skipped = NOT_GENERATED.get(name, frozenset())
    missing = set(contract.column_names) - set(df.columns) - skipped
    extra = set(df.columns) - set(contract.column_names)
    if missing or extra:
        raise ValueError(f"{name}: frame columns differ from the contract "
                         f"(missing {sorted(missing)}, extra {sorted(extra)})")
    return df.select(
        pl.col(c.name).cast(_POLARS_TYPES[c.type], strict=True) for c in contract.columns
        if c.name in df.columns
    )


def write_contract(name: str, df: pl.DataFrame, out_dir: Path, fmt: str) -> Path:
    """Write ``df`` as the contract file ``name`` in ``out_dir``; returns the path."""
    df = conform(name, df)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path = out_dir / f"{name}.csv"
        df.write_csv(
            path,
            include_header=True,
            separator=",",
            line_terminator="\n",
            datetime_format="%Y-%m-%d %H:%M:%S",
            date_format="%Y-%m-%d",
            float_precision=2,
            null_value="",
        )
    elif fmt == "parquet":
        path = out_dir / f"{name}.parquet"
        df.write_parquet(path, compression="zstd", statistics=True, use_pyarrow=False)
    else:
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    # a stale file of the other format would be loaded too: remove it
    other = out_dir / f"{name}.{'parquet' if fmt == 'csv' else 'csv'}"
    other.unlink(missing_ok=True)
    return path


def wallclock(seconds: pl.Expr) -> pl.Expr:
    """Int64 wall-clock seconds (nullable) → naive Datetime."""
    return pl.from_epoch(seconds, time_unit="s").cast(pl.Datetime("us"))
