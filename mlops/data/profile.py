"""Reference profiles: per-column summaries, a few KB each, that drift can be computed against.

A numeric column keeps count, nulls, min/max, mean/std and its quantiles on a fixed probability grid, finer
in the tails (or, with few distinct values, the exact value counts), so KS, PSI and Wasserstein computed
against the profile match those against the raw data. A categorical column keeps its top categories.
The JSON is deterministic: same data, same bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlops.config.yamlload import YamlProblem, load_json
from mlops.data.sketch import EXACT_VALUES, Counts, Moments, QuantileSketch, _plain
from mlops.errors import InputError

PROFILE_KIND = "mlops.profile"
PROFILE_VERSION = 1
TOP_K = 50
ORDER_MIN_ROWS = 20  # fewer values are increasing or unique by chance too often to mean anything


def probability_grid() -> Any:
    """Quantile probabilities stored in a profile: steps of 1/400, and 1/2000 in each outer 1%."""
    import numpy as np

    grid = np.concatenate([np.linspace(0, 1, 401), np.linspace(0, 0.01, 21), np.linspace(0.99, 1, 21)])
    return np.unique(np.round(grid, 6))


def _num(value: float | None) -> float | int | None:
    import math

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, float):
        rounded = float(f"{value:.10g}")
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    return value


@dataclass
class ColumnProfile:
    name: str
    kind: Literal["numeric", "categorical"]
    dtype: str  # integer | number | boolean | string | datetime
    count: int = 0  # rows, nulls included
    nulls: int = 0
    distinct: int | None = None  # None when too many to count exactly
    min: Any = None
    max: Any = None
    mean: float | None = None
    std: float | None = None
    quantiles: list[float] | None = None  # on probability_grid()
    values: list[Any] | None = None  # exact value counts (numeric with few values, or every category)
    counts: list[int] | None = None
    other: int = 0  # categorical: rows in categories beyond the top ones kept
    increasing: bool = False  # numeric: strictly increasing in row order (a counter, an id, a timestamp)
    unique: bool = False  # integer: no value repeats (within each chunk read): an identifier?

    @property
    def non_null(self) -> int:
        return self.count - self.nulls

    @property
    def null_fraction(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "dtype": self.dtype,
            "count": self.count,
            "nulls": self.nulls,
            "distinct": self.distinct,
        }
        if self.kind == "numeric":
            out.update(self._numeric_dict())
        if self.values is not None:
            out["values"] = [_num(v) if isinstance(v, float) else v for v in self.values]
            out["counts"] = list(self.counts or [])
        if self.kind == "categorical":
            out["other"] = self.other
        # flags are written only when true, so other profiles keep their bytes
        out.update({flag: True for flag in ("increasing", "unique") if getattr(self, flag)})
        return out

    def _numeric_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "min": _num(self.min),
            "max": _num(self.max),
            "mean": _num(self.mean),
            "std": _num(self.std),
        }
        if self.quantiles is not None:
            out["quantiles"] = [_num(v) for v in self.quantiles]
        return out

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> ColumnProfile:
        return cls(
            name,
            data["kind"],
            data.get("dtype", "number"),
            int(data["count"]),
            int(data.get("nulls", 0)),
            **{key: data.get(key) for key in _OPTIONAL_FIELDS},
            other=int(data.get("other", 0)),
            increasing=data.get("increasing") is True,
            unique=data.get("unique") is True,
        )


_OPTIONAL_FIELDS = ("distinct", "min", "max", "mean", "std", "quantiles", "values", "counts")


@dataclass
class Profile:
    rows: int
    columns: dict[str, ColumnProfile] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": PROFILE_KIND,
            "version": PROFILE_VERSION,
            "rows": self.rows,
            "columns": {name: col.to_dict() for name, col in sorted(self.columns.items())},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        if not isinstance(data, dict) or data.get("kind") != PROFILE_KIND:
            raise InputError("not an mlops profile (expected a JSON object with kind: mlops.profile)")
        if data.get("version") != PROFILE_VERSION:
            raise InputError(f"profile version {data.get('version')!r} is not supported (expected 1)")
        try:
            cols = {str(k): ColumnProfile.from_dict(str(k), v) for k, v in data.get("columns", {}).items()}
            return cls(int(data["rows"]), cols)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed profile: {exc}") from None


def is_profile(data: bytes) -> bool:
    """Whether these bytes (a whole file, or its first and last KB) look like a profile rather than data."""
    head = data[:200].lstrip()
    marker = PROFILE_KIND.encode()
    return head.startswith(b"{") and (marker in data[:4096] or marker in data[-512:])


def load_profile(path_or_bytes: str | os.PathLike[str] | bytes) -> Profile:
    """A Profile from a JSON file path or its bytes; InputError when it is not one."""
    if isinstance(path_or_bytes, bytes):
        raw, shown = path_or_bytes, "profile"
    else:
        shown = str(path_or_bytes)
        try:
            raw = Path(path_or_bytes).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{shown}: no such file") from None
        except OSError as exc:
            raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        data = load_json(raw, shown)  # the bounded reader: profiles come from commits and the DVC cache
    except YamlProblem as exc:
        raise InputError(f"{shown}: not a JSON profile: {exc.finding.message}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: not a JSON profile: {exc}") from None
    try:
        return Profile.from_dict(data)
    except InputError as exc:
        raise InputError(f"{shown}: {exc.message}") from None


def build_profile(
    source: Any, columns: list[str] | None = None, fmt: str | None = None, chunk_rows: int | None = None
) -> Profile:
    """Profile a data file (path or DataSource) or a pandas DataFrame, in one chunked pass."""
    from mlops.data.source import DEFAULT_CHUNK_ROWS, DataSource, prefetch

    builder = ProfileBuilder(columns)
    if isinstance(source, (str, os.PathLike)):
        source = DataSource.from_path(source, fmt)
    if isinstance(source, DataSource):
        for chunk in prefetch(source.chunks(columns=columns, chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS)):
            builder.add(chunk)
    else:
        builder.add(source if columns is None else source[[c for c in columns if c in source.columns]])
    return builder.result()


# -- accumulation --------------------------------------------------------------------------------------------


def logical_dtype(dtype: Any) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


@dataclass
class ColumnAccumulator:
    name: str
    dtype: str
    rows: int = 0
    nulls: int = 0
    moments: Moments = field(default_factory=Moments)
    sketch: QuantileSketch = field(default_factory=QuantileSketch)
    exact: Counts = field(default_factory=lambda: Counts(cap=EXACT_VALUES))
    cats: Counts = field(default_factory=Counts)
    increasing: bool = True  # so far: every value above the one before it
    repeats: bool = False  # a value seen twice (within a chunk)
    first: float | None = None
    last: float | None = None

    @property
    def numeric(self) -> bool:
        return self.dtype in ("integer", "number", "datetime")

    def add(self, series: Any) -> None:
        self.rows += len(series)
        null = series.isna().to_numpy()
        self.nulls += int(null.sum())
        if not self.numeric:
            values = series[~null]
            if self.dtype == "string":
                values = _as_text(values)
            self.cats.add(values.to_numpy())
            return
        import numpy as np

        values = _numbers(series, null, self.dtype)
        values = values[np.isfinite(values)]
        self._order(values)
        values = np.sort(values)  # one sort serves the sketch and the exact counts
        if len(values) > 1 and not self.repeats and bool(np.any(values[1:] == values[:-1])):
            self.repeats = True
        self.moments.add(values)
        self.sketch.add_sorted(values)
        self._count_exact(values)

    def _count_exact(self, values: Any) -> None:
        """Exact counts of sorted values, until there are more distinct ones than the cap."""
        import numpy as np

        if self.exact.overflow or not len(values):
            return
        starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
        if len(starts) + len(self.exact.counts) > self.exact.cap:
            self.exact.overflow, self.exact.counts = True, {}
        else:
            counts = np.diff(np.concatenate([starts, [len(values)]]))
            self.exact.merge_dict(dict(zip(values[starts].tolist(), counts.tolist())))

    def _order(self, values: Any) -> None:
        """Track whether the values arrive strictly increasing (row order, across chunks)."""
        import numpy as np

        if not len(values):
            return
        if self.increasing:
            inside = len(values) < 2 or bool(np.all(values[1:] > values[:-1]))
            self.increasing = inside and (self.last is None or float(values[0]) > self.last)
        if self.first is None:
            self.first = float(values[0])
        self.last = float(values[-1])

    def merge(self, other: ColumnAccumulator) -> None:
        if other.first is not None:
            self.increasing = (
                self.increasing and other.increasing and (self.last is None or other.first > self.last)
            )
            self.first = other.first if self.first is None else self.first
            self.last = other.last
        self.repeats = self.repeats or other.repeats
        self.rows += other.rows
        self.nulls += other.nulls
        self.moments.merge(other.moments)
        self.sketch.merge(other.sketch)
        self.exact.merge(other.exact)
        self.cats.merge(other.cats)

    def result(self) -> ColumnProfile:
        col = ColumnProfile(
            self.name, "numeric" if self.numeric else "categorical", self.dtype, self.rows, self.nulls
        )
        if self.numeric:
            self._numeric_result(col)
        else:
            self._categorical_result(col)
        return col

    def _numeric_result(self, col: ColumnProfile) -> None:
        m = self.moments
        if m.n:
            col.min, col.max, col.mean, col.std = m.min, m.max, m.mean, m.std
            col.increasing = self.increasing and m.n >= ORDER_MIN_ROWS
            col.unique = self.dtype == "integer" and not self.repeats and m.n >= ORDER_MIN_ROWS
            col.quantiles = [float(v) for v in self.sketch.quantiles(probability_grid())]
        if not self.exact.overflow:
            items = sorted(self.exact.counts.items())
            col.values = [float(k) for k, _ in items]
            col.counts = [int(v) for _, v in items]
            col.distinct = len(items)

    def _categorical_result(self, col: ColumnProfile) -> None:
        """The top categories by count (ties by text), and the rows in the others."""
        if not self.cats.overflow:
            col.distinct = len(self.cats.counts)
        items = sorted(self.cats.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        top = items[:TOP_K]
        col.values = [_plain(k) for k, _ in top]
        col.counts = [int(v) for _, v in top]
        col.other = (
            sum(v for _, v in items[TOP_K:])
            if not self.cats.overflow
            else self.rows - self.nulls - sum(col.counts)
        )


def _as_text(values: Any) -> Any:
    """Values as text; bytes that are not UTF-8 (a binary column) with their odd bytes escaped."""
    try:
        return values.astype(str)
    except UnicodeDecodeError:
        return values.map(lambda v: v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else str(v))


def _add(acc: ColumnAccumulator, series: Any) -> None:
    try:
        acc.add(series)
    except (ValueError, TypeError):
        found = logical_dtype(series.dtype)
        raise InputError(
            f"column `{acc.name}` holds {found} values after {acc.dtype} values in earlier rows: a profile "
            "needs one type per column (a CSV column is typed by the values of each chunk it is read in)"
        ) from None


def _numbers(series: Any, null: Any, dtype: str) -> Any:
    """The non-null values of a numeric column as float64 (datetimes as seconds since the epoch, in UTC)."""
    import numpy as np

    if dtype != "datetime":
        return series.to_numpy(dtype="float64", na_value=np.nan)[~null]
    stamps = series[~null]
    if getattr(stamps.dtype, "tz", None) is not None:  # zoned: compare instants, in UTC
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9


class ProfileBuilder:
    """Accumulates chunks into a Profile; `merge` combines builders of separate partitions."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = columns
        self.rows = 0
        self.acc: dict[str, ColumnAccumulator] = {}

    def add(self, frame: Any) -> None:
        self.rows += len(frame)
        work = []
        for name in frame.columns:
            key = str(name)
            if self.columns is not None and key not in self.columns:
                continue
            work.append((self._accumulator(key, frame[name]), frame[name]))
        if len(work) > 1 and len(frame) >= 100_000:
            # columns are independent and numpy's sort releases the GIL: use the machine's cores
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(len(work), os.cpu_count() or 1)) as pool:
                list(pool.map(lambda item: _add(*item), work))
        else:
            for acc, series in work:
                _add(acc, series)

    def _accumulator(self, key: str, series: Any) -> ColumnAccumulator:
        """The column's accumulator; typed by its first values, not by chunks of nulls before them (a CSV
        chunk of empty fields reads as floats, a column with text in later rows is still text)."""
        acc = self.acc.get(key)
        dtype = logical_dtype(series.dtype)
        if acc is None or (acc.dtype != dtype and acc.rows == acc.nulls and bool(series.notna().any())):
            fresh = ColumnAccumulator(key, dtype)
            if acc is not None:
                fresh.rows, fresh.nulls = acc.rows, acc.nulls
            self.acc[key] = acc = fresh
        return acc

    def merge(self, other: ProfileBuilder) -> None:
        self.rows += other.rows
        for key, acc in other.acc.items():
            if key in self.acc:
                self.acc[key].merge(acc)
            else:
                self.acc[key] = acc

    def result(self) -> Profile:
        return Profile(self.rows, {k: a.result() for k, a in self.acc.items()})
