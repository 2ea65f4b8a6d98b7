"""Profiles of Spark DataFrames: the pandas engine's ProfileBuilder run per partition on the executors.

Timestamps with a zone are handed to the builders as UTC wall-clock times, as the pandas engine profiles them.
"""

from __future__ import annotations

from typing import Any

from mlops.data.profile import Profile
from mlops.data.spark.columns import quoted


def profile_frame(df: Any, columns: list[str] | None, declared: dict[str, str] | None = None) -> Profile:
    """The profile of `columns` (all when None) of a Spark DataFrame."""
    from pyspark.sql import functions as F

    from mlops.data.spark.partials import profile_builder

    names = [c for c in df.columns if columns is None or c in columns]
    types = {f.name: type(f.dataType).__name__ for f in df.schema.fields}
    selected = []
    for name in names:
        col = quoted(name)
        if types[name] == "TimestampType":
            col = F.to_utc_timestamp(col, F.current_timezone())
        selected.append(col.alias(name))
    builder = profile_builder(df.select(*selected), columns)
    profile = builder.result()
    # Arrow hands an integer column with nulls to the executors as floats; its values are still integers
    integral = {"ByteType", "ShortType", "IntegerType", "LongType"}
    for name, column in profile.columns.items():
        if types.get(name) in integral and column.dtype == "number":
            column.dtype = "integer"
    return profile
