"""Profiles of Spark DataFrames: the pandas engine's ProfileBuilder run per partition on the executors.

Timestamps with a zone are handed to the builders as UTC wall-clock times and decimals as numbers, as the
pandas engine profiles them.
"""

from __future__ import annotations

from typing import Any

from mlops.data.profile import Profile
from mlops.data.spark.columns import integral_type, quoted


def profile_frame(df: Any, columns: list[str] | None, declared: dict[str, str] | None = None) -> Profile:
    """The profile of `columns` (all when None) of a Spark DataFrame."""

    from mlops.data.spark.partials import profile_builder

    names = [c for c in df.columns if columns is None or c in columns]
    fields = {f.name: f.dataType for f in df.schema.fields}
    selected = [_as_pandas_reads(quoted(name), fields[name]).alias(name) for name in names]
    builder = profile_builder(df.select(*selected), columns)
    profile = builder.result()
    # Arrow hands an integer column with nulls to the executors as floats; its values are still integers
    for name, column in profile.columns.items():
        if name in fields and integral_type(fields[name]) and column.dtype == "number":
            column.dtype = "integer"
    return profile


def _as_pandas_reads(col: Any, dtype: Any) -> Any:
    """The column as the pandas engine reads it: zoned timestamps as UTC wall-clock times, decimals as
    numbers (mlops.data.source._readable_type; Spark would hand them over as Python Decimal objects)."""
    from pyspark.sql import functions as F

    name = type(dtype).__name__
    if name == "TimestampType":
        return F.to_utc_timestamp(col, F.current_timezone())
    if name == "DecimalType":
        return col.cast("long" if dtype.scale == 0 and dtype.precision <= 18 else "double")
    return col
