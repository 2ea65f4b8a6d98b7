"""A column of one chunk, seen through its rule's declared type.

Text formats carry no types, so a CSV column declared `integer` may hold `"abc"`: such values are counted
by the `type` rule (with examples) and left out of the value rules (min, allowed, ...), which then judge the
values that do conform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass
class ColumnView:
    name: str
    series: Any  # as read, for examples and string operations
    null: Any  # bool array
    kind: str  # num | str | dt | bool
    bad: Any  # bool array: non-null values that do not conform to the declared type
    numbers: Any = None  # float64 array (num), datetime64[ns] (dt), bool (bool)
    found: str = ""  # what the data holds, for messages

    @property
    def valid(self) -> Any:
        return ~self.null & ~self.bad


def view(name: str, series: Any, declared: str | None) -> ColumnView:
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    null = series.isna().to_numpy()
    none = np.zeros(len(series), dtype=bool)
    if pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=bool, na_value=False)
        bad = ~null if declared in ("integer", "number", "string", "datetime") else none
        return ColumnView(name, series, null, "bool", bad, values, "boolean")
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        found = "integer" if pd.api.types.is_integer_dtype(dtype) else "number"
        if declared == "integer" and found == "number":
            with np.errstate(invalid="ignore"):
                bad = ~null & (np.floor(values) != values)
        elif declared == "boolean":
            bad = ~null & ~np.isin(values, (0.0, 1.0))
        elif declared in ("string", "datetime"):
            bad = ~null
        else:
            bad = none
        return ColumnView(name, series, null, "num", bad, values, found)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = series
        if getattr(dtype, "tz", None) is not None:
            values = series.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = none if declared in (None, "datetime", "category") else ~null
        return ColumnView(name, series, null, "dt", bad, values.to_numpy(dtype="datetime64[ns]"), "datetime")
    # strings or mixed objects
    if declared in ("integer", "number"):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~null & np.isnan(numbers)
            if declared == "integer":
                bad |= ~null & ~np.isnan(numbers) & (np.floor(numbers) != numbers)
        return ColumnView(name, series, null, "num", bad, numbers, "string")
    if declared == "datetime":
        stamps = _to_datetime(series)
        bad = ~null & stamps.isna().to_numpy()
        return ColumnView(name, series, null, "dt", bad, stamps.to_numpy(dtype="datetime64[ns]"), "string")
    if declared == "boolean":
        lowered = series.astype(str).str.strip().str.lower()
        is_true = lowered.isin(_TRUE).to_numpy()
        is_false = lowered.isin(_FALSE).to_numpy()
        if pd.api.types.is_object_dtype(dtype):
            is_true |= series.map(lambda v: v is True).to_numpy(dtype=bool)
            is_false |= series.map(lambda v: v is False).to_numpy(dtype=bool)
        return ColumnView(name, series, null, "bool", ~null & ~(is_true | is_false), is_true, "string")
    bad = none
    if declared == "string" and pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series, skipna=True) != "string":
        bad = ~null & ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    return ColumnView(name, series, null, "str", bad, None, "string")


def _to_datetime(series: Any) -> Any:
    import pandas as pd

    text = series.astype(str).where(series.notna(), None)
    try:
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    except (ValueError, TypeError):
        stamps = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    return stamps.dt.tz_localize(None)


def bound(view: ColumnView, value: Any) -> Any:
    """A rule's bound in the column's terms: a number, a timestamp (ISO dates) or a string."""
    import numpy as np
    import pandas as pd

    if view.kind == "dt":
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return np.datetime64(stamp.to_datetime64(), "ns")
    if view.kind in ("num", "bool"):
        if isinstance(value, str):
            raise ValueError(f"`{value}` is not a number, and column `{view.name}` is numeric")
        return float(value)
    return str(value)


def compare(view: ColumnView, op: str, value: Any) -> Any:
    """Rows (non-null, conforming) where `column OP value` is false: the failing rows of min/max/gt/lt."""
    import numpy as np

    limit = bound(view, value)
    if view.kind == "str":
        series = view.series
        ok = {"min": series >= limit, "max": series <= limit, "gt": series > limit, "lt": series < limit}[op]
        ok = ok.fillna(True).to_numpy(dtype=bool)
    else:
        x = view.numbers
        with np.errstate(invalid="ignore"):
            ok = {"min": x >= limit, "max": x <= limit, "gt": x > limit, "lt": x < limit}[op]
    return view.valid & ~ok


def membership(view: ColumnView, values: list[Any]) -> Any:
    """Rows (non-null, conforming) whose value is among `values`."""
    import numpy as np

    if view.kind in ("num", "bool"):
        numbers = []
        for v in values:
            try:
                numbers.append(float(v))
            except (TypeError, ValueError):
                if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE and view.kind == "bool":
                    numbers.append(1.0 if v.strip().lower() in _TRUE else 0.0)
        return view.valid & np.isin(np.asarray(view.numbers, dtype=float), numbers)
    if view.kind == "dt":
        stamps = [bound(view, v) for v in values]
        return view.valid & np.isin(view.numbers, np.array(stamps, dtype="datetime64[ns]"))
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return view.valid & view.series.isin(texts).to_numpy(dtype=bool)


def jsonable(value: Any) -> Any:
    """An example value as JSON can hold it."""
    import math

    if value is None:
        return None
    if hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except (ValueError, TypeError):
            return str(value)
    if hasattr(value, "item"):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, float):
        return None if math.isnan(value) else (value if math.isfinite(value) else str(value))
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)
