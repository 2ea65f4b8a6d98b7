"""Per-partition partial results computed on the executors, merged on the driver in partition order.

Quantile sketches and profiles use the pandas engine's own mergeable partials (mlops.data.sketch,
mlops.data.profile.ProfileBuilder): each Spark partition reduces its rows to a few KB, the driver receives
one pickled partial per partition and merges them exactly as the pandas engine merges chunks. The driver
therefore holds (partitions x a few KB), never rows, and the answers carry the same stated error.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

PARTIAL = "partial"


def collect_partials(
    df: Any, reduce: Callable[[Iterator[Any]], Any], merge: Callable[[Any, Any], Any]
) -> Any:
    """`reduce` each partition's pandas batches to one partial on the executors; merge them in order here."""
    from pyspark.sql import functions as F

    def per_partition(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd
        from pyspark import TaskContext

        part = reduce(batches)
        ctx = TaskContext.get()
        index = ctx.partitionId() if ctx is not None else 0
        yield pd.DataFrame({"part": [index], PARTIAL: [pickle.dumps(part)]})

    rows = (
        df.mapInPandas(per_partition, schema="part int, partial binary")
        .orderBy(F.col("part"))
        .toLocalIterator()  # one partial at a time: the driver never holds them all as rows
    )
    merged = None
    for row in rows:
        part = pickle.loads(row[PARTIAL])  # produced by per_partition above, in this job
        merged = part if merged is None else merge(merged, part)
    return merged


def quantile_sketches(df: Any, names: list[str]) -> dict[str, Any]:
    """One QuantileSketch per column of `df` (double columns; nulls are left out)."""
    from mlops.data.sketch import QuantileSketch

    def reduce(batches: Iterator[Any]) -> dict[str, Any]:
        import numpy as np

        out = {n: QuantileSketch() for n in names}
        for batch in batches:
            for n in names:
                values = batch[n].to_numpy(dtype="float64", na_value=np.nan)
                out[n].add(values[~np.isnan(values)])
        return out

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        for n in names:
            a[n].merge(b[n])
        return a

    return collect_partials(df.select(*names), reduce, merge) or {n: QuantileSketch() for n in names}


def profile_builder(df: Any, columns: list[str] | None) -> Any:
    """A ProfileBuilder over `df` (already converted to the types the pandas engine reads)."""
    from mlops.data.profile import ProfileBuilder

    # Spark hands a boolean column with a null to pandas as Python objects; the pandas engine reads it as
    # pandas' nullable boolean (mlops.data.source._to_pandas), so its profile is a boolean's on both
    booleans = [f.name for f in df.schema.fields if type(f.dataType).__name__ == "BooleanType"]

    def reduce(batches: Iterator[Any]) -> Any:
        builder = ProfileBuilder(columns)
        for batch in batches:
            for name in booleans:
                batch[name] = batch[name].astype("boolean")
            builder.add(batch)
        return builder

    def merge(a: Any, b: Any) -> Any:
        a.merge(b)
        return a

    return collect_partials(df, reduce, merge) or ProfileBuilder(columns)
