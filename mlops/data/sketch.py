"""Mergeable partial results: each chunk reduces to these, they merge, and the merged result is judged.

This is the seam for other backends (a Spark job would produce the same partials per partition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SKETCH_POINTS = 8192  # CDF error of one compression <= 1/SKETCH_POINTS
EXACT_VALUES = 256  # numeric columns with at most this many distinct values keep exact counts
CATEGORY_CAP = 20_000  # distinct categories counted exactly before the tail is folded away


# a power of two (scaling by it is exact): values near 1e308 scaled by it sum without overflowing float64
HUGE_SCALE = 2.0**-1000


def finite_mean(values: Any) -> float:
    """The mean of finite values, also where their sum overflows (two values of 1e308 have the mean 1e308)."""
    import numpy as np

    with np.errstate(all="ignore"):
        mean = float(np.mean(values))
        if math.isinf(mean):  # only from an overflowed sum: the scaled sum cannot overflow
            mean = float(np.mean(values * HUGE_SCALE)) / HUGE_SCALE
    return mean


@dataclass
class Moments:
    """Count, sum and sum of squared deviations (Chan et al.'s parallel merge), min and max."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, values: Any) -> None:
        import numpy as np

        if len(values) == 0:
            return
        mean = finite_mean(values)
        with np.errstate(all="ignore"):  # huge values overflow the variance to inf, not a warning
            # around the mean above: np.var's own mean overflows for 1e308s, whose variance is 0
            other = Moments(
                len(values),
                mean,
                float(np.sum(np.square(values - mean))),
                float(np.min(values)),
                float(np.max(values)),
            )
        self.merge(other)

    def merge(self, other: Moments) -> None:
        if other.n == 0:
            return
        # the variance of values near 1e308 overflows: numpy says inf, polars and Spark NaN; inf for all
        m2 = math.inf if math.isnan(other.m2) else other.m2
        if self.n == 0:
            self.n, self.mean, self.m2, self.min, self.max = other.n, other.mean, m2, other.min, other.max
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        if math.isfinite(delta):  # a step from one mean: exact for equal means, even subnormal ones
            self.mean += delta * (other.n / n)
        else:  # means near +-1e308 apart: a weighted mean, whose terms cannot overflow
            self.mean = self.mean * (self.n / n) + other.mean * (other.n / n)
        m2 = self.m2 + m2
        self.m2 = m2 + delta * delta * self.n * other.n / n
        self.n = n
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1), as pandas computes it."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


@dataclass
class QuantileSketch:
    """Weighted sorted points whose step CDF stays within ~1/SKETCH_POINTS of the data's, however long."""

    values: Any = None  # sorted float64 array
    weights: Any = None  # float64 array, same length
    exact: bool = True  # every point has weight 1 (no compression yet)

    @property
    def total(self) -> float:
        return float(self.weights.sum()) if self.weights is not None else 0.0

    def add(self, values: Any) -> None:
        import numpy as np

        self.add_sorted(np.sort(np.asarray(values, dtype="float64")))

    def add_sorted(self, values: Any) -> None:
        """Add values already sorted ascending (float64)."""
        import numpy as np

        if len(values) == 0:
            return
        if len(values) > 4 * SKETCH_POINTS:  # summarise the chunk before merging: no big weight arrays
            n = len(values)
            idx = np.minimum(((np.arange(SKETCH_POINTS) + 0.5) * n / SKETCH_POINTS).astype(np.int64), n - 1)
            part = values[idx]
            part[0], part[-1] = values[0], values[-1]
            self.merge(QuantileSketch(part, np.full(SKETCH_POINTS, n / SKETCH_POINTS), False))
            return
        self.merge(QuantileSketch(values, np.ones(len(values)), True))

    def merge(self, other: QuantileSketch) -> None:
        import numpy as np

        if other.values is None or len(other.values) == 0:
            return
        if self.values is None or len(self.values) == 0:
            self.values, self.weights, self.exact = other.values, other.weights, other.exact
        else:
            values = np.concatenate([self.values, other.values])
            weights = np.concatenate([self.weights, other.weights])
            order = np.argsort(values, kind="stable")
            self.values, self.weights = values[order], weights[order]
            self.exact = self.exact and other.exact
        if len(self.values) > 4 * SKETCH_POINTS:
            self._compress()

    def _compress(self) -> None:
        import numpy as np

        cum = np.cumsum(self.weights)
        total = cum[-1]
        targets = (np.arange(SKETCH_POINTS) + 0.5) * total / SKETCH_POINTS
        idx = np.minimum(np.searchsorted(cum, targets, side="left"), len(self.values) - 1)
        values = self.values[idx]
        # keep the extremes exactly: drift and bounds care about them
        values[0], values[-1] = self.values[0], self.values[-1]
        self.values = values
        self.weights = np.full(SKETCH_POINTS, total / SKETCH_POINTS)
        self.exact = False

    def quantiles(self, probs: Any) -> Any:
        """Quantiles at probabilities in [0, 1] (linear interpolation, like numpy's default for exact data)."""
        import numpy as np

        probs = np.asarray(probs, dtype="float64")
        if self.values is None or len(self.values) == 0:
            return np.full(len(probs), np.nan)
        if self.exact:
            return np.quantile(self.values, probs)
        cum = np.cumsum(self.weights)
        pos = (cum - self.weights / 2) / cum[-1]
        pos = np.concatenate([[0.0], pos, [1.0]])
        vals = np.concatenate([[self.values[0]], self.values, [self.values[-1]]])
        return np.interp(probs, pos, vals)


@dataclass
class Counts:
    """Exact value counts up to a cap of distinct values; past it, `overflow` says they are incomplete."""

    cap: int = CATEGORY_CAP
    counts: dict[Any, int] = field(default_factory=dict)
    overflow: bool = False

    def add(self, values: Any) -> None:
        import pandas as pd

        if self.overflow or len(values) == 0:
            return
        vc = pd.Series(values).value_counts(sort=False, dropna=True)
        self.merge_dict({_plain(k): int(v) for k, v in vc.items()})

    def merge_dict(self, other: dict[Any, int]) -> None:
        if self.overflow:
            return
        for key, value in other.items():
            self.counts[key] = self.counts.get(key, 0) + value
        if len(self.counts) > self.cap:
            self.overflow = True
            self.counts = {}

    def merge(self, other: Counts) -> None:
        if other.overflow:
            self.overflow, self.counts = True, {}
        else:
            self.merge_dict(other.counts)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python values, so they hash, compare and serialise alike."""
    if hasattr(value, "item"):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


class HashSet:
    """The distinct 64-bit hashes seen so far: uniqueness and distinct counts in one pass.

    Uses pandas' hash table (O(n) per chunk); falls back to a sorted array if that internal API is missing.
    """

    def __init__(self) -> None:
        self.table: Any = None
        self.sorted: Any = None
        self.count = 0

    def add(self, hashes: Any) -> Any:
        """Add a chunk's hashes; return a mask of the entries already seen (earlier or within this chunk)."""
        import numpy as np

        hashes = np.ascontiguousarray(hashes, dtype="uint64")
        try:
            return self._add_hashed(hashes)
        except (ImportError, AttributeError):  # pragma: no cover - older or newer pandas internals
            return self._add_sorted(hashes)

    def _add_hashed(self, hashes: Any) -> Any:
        import numpy as np
        import pandas as pd
        from pandas._libs import hashtable

        if self.table is None:
            self.table = hashtable.UInt64HashTable(max(4 * len(hashes), 1024))
        # fast path for clean data: nothing seen before, and the table grows by the whole chunk
        earlier = np.asarray(self.table.lookup(hashes)) >= 0 if self.count else None
        if earlier is None or not earlier.any():
            before = len(self.table)
            self.table.map_locations(hashes)
            if len(self.table) - before == len(hashes):
                self.count += len(hashes)
                return np.zeros(len(hashes), dtype=bool)
        dup = pd.Series(hashes, copy=False).duplicated().to_numpy()
        if earlier is not None:
            dup = dup | earlier
        self.table.map_locations(hashes[~dup])
        self.count = len(self.table)
        return dup

    def _add_sorted(self, hashes: Any) -> Any:  # pragma: no cover - older or newer pandas internals
        import numpy as np
        import pandas as pd

        dup = pd.Series(hashes, copy=False).duplicated().to_numpy()
        if self.sorted is not None and len(self.sorted):
            pos = np.searchsorted(self.sorted, hashes)
            pos[pos >= len(self.sorted)] = 0
            dup = dup | (self.sorted[pos] == hashes)
        fresh = hashes[~dup]
        self.sorted = fresh if self.sorted is None else np.union1d(self.sorted, fresh)
        self.count += len(fresh)
        return dup

    def __len__(self) -> int:
        return self.count


def hash_values(values: Any) -> Any:
    """64-bit hashes of a Series or DataFrame's rows (pandas' stable hashing; nulls hash alike)."""
    import pandas as pd

    try:
        return pd.util.hash_pandas_object(values, index=False).to_numpy()
    except TypeError:  # unhashable cells (JSON objects, lists): hash their text
        return pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy()
