"""What the local engines would hold of a Spark column, rebuilt from a few aggregated values: numpy arrays of
the pandas engine's dtypes (`pandas_array`), and the numbers-against-text check (metrics.require_comparable)
over the distinct values of the batch's first 10,000 rows, found on the executors."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops.monitor import metrics as m

INTEGRAL = {"ByteType", "ShortType", "IntegerType", "LongType"}
FLOATS = {"FloatType", "DoubleType"}
NUMERIC = INTEGRAL | FLOATS | {"BooleanType", "DecimalType"}
ROW = "__row"  # the read-order row id (monotonically_increasing_id)
FIRST_ROWS = 10_000  # the rows require_comparable reads (metrics._value_kind, metrics._examples)
_LOW_BITS = (1 << 33) - 1  # monotonically_increasing_id: partition index above bit 33, row number below


def pandas_array(values: list[Any], tname: str, nulls: bool = False) -> Any:
    """Values of a Spark column as the numpy array the local engines hold (int columns with nulls as floats,
    booleans with nulls as objects)."""
    if tname in INTEGRAL:
        dtype: Any = np.float64 if nulls else np.int64
    elif tname == "FloatType":
        dtype = np.float32
    elif tname == "DoubleType":
        dtype = np.float64
    elif tname == "BooleanType" and not nulls:
        dtype = np.bool_
    else:
        dtype = object
    if dtype is object:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.array([np.nan if v is None else v for v in values], dtype=dtype)


def require_comparable(df: Any, labels: str, predictions: str, types: dict[str, str]) -> None:
    """metrics.require_comparable over what it reads: the distinct values of the first 10,000 rows, in the
    order they first appear. Two numeric columns always compare: nothing to read."""
    numeric = INTEGRAL | FLOATS | {"BooleanType", "DecimalType"}
    if types[labels] in numeric and types[predictions] in numeric:
        return
    firsts, nulls = _first_values(df, [labels, predictions])
    m.require_comparable(
        pandas_array(firsts[0], types[labels], nulls[0]),
        pandas_array(firsts[1], types[predictions], nulls[1]),
        labels,
        predictions,
    )


def _first_values(df: Any, names: list[str]) -> tuple[list[list[Any]], list[bool]]:
    """Per column: its distinct values among the first FIRST_ROWS rows in read order (first seen first), and
    whether the whole column has a missing value."""
    from functools import reduce

    from pyspark.sql import functions as F

    from mlops.data.spark.columns import quoted

    cols = [f"__c{i}" for i in range(len(names))]
    base = df.select(
        *[quoted(n).alias(c) for n, c in zip(names, cols)], F.monotonically_increasing_id().alias(ROW)
    )
    part = F.shiftright(F.col(ROW), 33)
    offsets, nulls = _offsets(base, part, cols)
    if not offsets:
        return [[] for _ in cols], nulls
    offset: Any = reduce(lambda acc, kv: acc.when(part == kv[0], kv[1]), offsets.items(), F)
    index = offset + F.col(ROW).bitwiseAND(_LOW_BITS)
    near = base.withColumn("__i", index).where(F.col("__i") < FIRST_ROWS)
    firsts = []
    for c in cols:
        seen = near.groupBy(c).agg(F.min("__i").alias("__first")).orderBy("__first").collect()
        firsts.append([r[c] for r in seen])
    return firsts, nulls


def _offsets(base: Any, part: Any, cols: list[str]) -> tuple[dict[int, int], list[bool]]:
    """The read-order index of each partition's first row (the partitions that start within FIRST_ROWS),
    and whether each column has a missing value: one row per partition reaches the driver."""
    from pyspark.sql import functions as F

    sizes = base.groupBy(part.alias("p")).agg(
        F.count(F.lit(1)).alias("n"), *[F.sum(F.col(c).isNull().cast("long")).alias(c) for c in cols]
    )
    offsets, start, nulls = {}, 0, [False] * len(cols)
    for row in sorted(sizes.collect(), key=lambda r: r["p"]):
        if start < FIRST_ROWS:
            offsets[int(row["p"])] = start
        start += int(row["n"])
        nulls = [nulls[i] or bool(row[c]) for i, c in enumerate(cols)]
    return offsets, nulls
