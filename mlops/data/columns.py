"""A column of one chunk, seen through its rule's declared type.

Text formats carry no types, so a CSV column declared `integer` may hold `"abc"`: such values are counted
by the `type` rule (with examples) and left out of the value rules (min, allowed, ...), which then judge the
values that do conform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

ViewKind = Literal["num", "str", "dt", "bool"]  # how a column's values are compared

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass
class ColumnView:
    name: str
    series: Any  # as read, for examples and string operations
    null: Any  # bool array
    kind: ViewKind
    bad: Any  # bool array: non-null values that do not conform to the declared type
    numbers: Any = None  # float64 array (num), datetime64[ns] (dt), bool (bool)
    found: str = ""  # what the data holds, for messages
    declared: str | None = None  # the rule's type, if any

    @property
    def valid(self) -> Any:
        return ~self.null & ~self.bad


def view(name: str, series: Any, declared: str | None) -> ColumnView:
    """The column as its declared type sees it (or as its values are, undeclared)."""
    seen = _view(name, series, declared)
    seen.declared = declared
    return seen


def _view(name: str, series: Any, declared: str | None) -> ColumnView:
    import pandas as pd

    dtype = series.dtype
    null = series.isna().to_numpy()
    if declared is not None and null.all() and not _typed_text(dtype, declared):
        # no values (a header-only file, an empty CSV column read as floats, a chunk of nulls): the column is
        # what its rule declares, so `min: "2020-01-01"` on an empty datetime column is no type error
        return _declared_view(name, series, null, declared)
    if pd.api.types.is_bool_dtype(dtype):
        return _bool_view(name, series, null, declared)
    if pd.api.types.is_numeric_dtype(dtype):
        return _numeric_view(name, series, null, declared)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime_view(name, series, null, declared)
    # strings or mixed objects
    return _TEXT_AS.get(declared or "", _text_view)(name, series, null, declared)


def _typed_text(dtype: Any, declared: str) -> bool:
    """A column declared text whose file types it otherwise (Parquet numbers, booleans, times): its chunks of
    nulls are viewed as its chunks of values are, or the answer would depend on where the chunks fall (a CSV
    reads a column declared text as text, so an empty one there is still text)."""
    import pandas as pd

    typed = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
    return declared in ("string", "category") and typed


def _bool_view(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import numpy as np

    values = series.to_numpy(dtype=bool, na_value=False)
    bad = (
        ~null
        if declared in ("integer", "number", "string", "datetime")
        else np.zeros(len(series), dtype=bool)
    )
    return ColumnView(name, series, null, "bool", bad, values, "boolean")


def _numeric_view(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import numpy as np
    import pandas as pd

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    found = "integer" if pd.api.types.is_integer_dtype(series.dtype) else "number"
    if declared == "integer" and found == "number":
        with np.errstate(invalid="ignore"):
            bad = ~null & (np.floor(values) != values)
    elif declared == "boolean":
        bad = ~null & ~np.isin(values, (0.0, 1.0))
    elif declared in ("string", "datetime"):
        bad = ~null
    else:
        bad = np.zeros(len(series), dtype=bool)
    return ColumnView(name, series, null, "num", bad, values, found)


def _datetime_view(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import numpy as np

    values = series
    if getattr(series.dtype, "tz", None) is not None:
        values = series.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = np.zeros(len(series), dtype=bool) if declared in (None, "datetime", "category") else ~null
    return ColumnView(name, series, null, "dt", bad, values.to_numpy(dtype="datetime64[ns]"), "datetime")


def _text_as_numbers(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~null & np.isnan(numbers)
        if declared == "integer":
            bad |= ~null & ~np.isnan(numbers) & (np.floor(numbers) != numbers)
    return ColumnView(name, series, null, "num", bad, numbers, "string")


def _text_as_datetime(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    stamps = _to_datetime(series)
    bad = ~null & stamps.isna().to_numpy()
    return ColumnView(name, series, null, "dt", bad, stamps.to_numpy(dtype="datetime64[ns]"), "string")


def _text_as_boolean(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import pandas as pd

    lowered = series.astype(str).str.strip().str.lower()
    is_true = lowered.isin(_TRUE).to_numpy(dtype=bool)
    is_false = lowered.isin(_FALSE).to_numpy(dtype=bool)
    if pd.api.types.is_object_dtype(series.dtype):  # Python booleans among other objects
        is_true = is_true | series.map(lambda v: v is True).to_numpy(dtype=bool)
        is_false = is_false | series.map(lambda v: v is False).to_numpy(dtype=bool)
    return ColumnView(name, series, null, "bool", ~null & ~(is_true | is_false), is_true, "string")


def _text_view(name: str, series: Any, null: Any, declared: str | None) -> ColumnView:
    import numpy as np
    import pandas as pd

    bad = np.zeros(len(series), dtype=bool)
    if (
        declared == "string"
        and pd.api.types.is_object_dtype(series.dtype)
        and pd.api.types.infer_dtype(series, skipna=True) != "string"
    ):
        bad = ~null & ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    return ColumnView(name, series, null, "str", bad, None, "string")


# declared type -> the view of a text (or mixed object) column read as that type
_TEXT_AS: dict[str, Callable[[str, Any, Any, str | None], ColumnView]] = {
    "integer": _text_as_numbers,
    "number": _text_as_numbers,
    "datetime": _text_as_datetime,
    "boolean": _text_as_boolean,
}


_KINDS: dict[str, ViewKind] = {"integer": "num", "number": "num", "datetime": "dt", "boolean": "bool"}


def _declared_view(name: str, series: Any, null: Any, declared: str) -> ColumnView:
    import numpy as np

    kind = _KINDS.get(declared, "str")
    size = len(series)
    numbers: Any = {
        "num": np.full(size, np.nan),
        "dt": np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "bool": np.zeros(size, dtype=bool),
    }.get(kind)
    return ColumnView(name, series, null, kind, np.zeros(size, dtype=bool), numbers, declared)


_NULL_KEY = 0x9E3779B97F4A7C15  # the key of a null: nulls are alike in keys and rows


def value_keys(view: ColumnView) -> Any:
    """One 64-bit key per row that depends on the value only, never on how a chunk was typed: 5 in an integer
    chunk and 5.0 in a chunk that a null made float get the same key, and so do true and a nullable true.
    Used by unique, distinct, unique_keys and duplicate_rows."""
    import numpy as np
    import pandas as pd

    series, valid = view.series, view.valid
    if view.kind == "num" and pd.api.types.is_integer_dtype(series.dtype):
        keys = series.to_numpy(dtype="int64", na_value=0).view("uint64")  # exact, even beyond 2**53
    elif view.kind == "num":
        keys = _number_keys(np.where(valid, view.numbers, 0.0))
    elif view.kind == "bool":
        keys = np.asarray(view.numbers, dtype="uint64")
    elif view.kind == "dt":
        keys = np.asarray(view.numbers).view("int64").view("uint64")
    else:
        keys = _text_keys(series)
    if view.bad.any():  # values of the wrong type are keyed by their text
        keys = keys.copy()
        keys[view.bad] = _text_keys(series[view.bad])
    return np.where(view.null, np.uint64(_NULL_KEY), keys) if view.null.any() else keys


def _number_keys(numbers: Any) -> Any:
    """Whole numbers are their own keys (fast, and equal for 5 and 5.0); other numbers are hashed."""
    import numpy as np
    import pandas as pd

    with np.errstate(invalid="ignore"):
        whole = (np.floor(numbers) == numbers) & (np.abs(numbers) < 2.0**62)
    if whole.all():
        return numbers.astype("int64").view("uint64")
    keys = np.empty(len(numbers), dtype="uint64")
    keys[whole] = numbers[whole].astype("int64").view("uint64")
    keys[~whole] = pd.util.hash_array(numbers[~whole] + 0.0)  # + 0.0: -0.0 and 0.0 alike
    return keys


def _text_keys(series: Any) -> Any:
    import pandas as pd

    values = series.to_numpy(dtype=object)
    try:
        return pd.util.hash_array(values)
    except TypeError:  # unhashable cells (JSON objects, lists): key their text
        import numpy as np

        return pd.util.hash_array(np.array([str(v) for v in values], dtype=object))


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
    return scalar_bound(view.kind, view.name, value)


def scalar_bound(kind: str, name: str, value: Any) -> float | str:
    """A bound on a numeric (or boolean) column is a number, on a text column a string; ValueError for text
    against numbers. Engines with their own timestamps share this for the other kinds."""
    if kind in ("num", "bool"):
        if isinstance(value, str):
            raise ValueError(f"`{value}` is not a number, and column `{name}` is numeric")
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
        numbers = [n for n in (_as_number(v, view.kind) for v in values) if n is not None]
        return view.valid & np.isin(np.asarray(view.numbers, dtype=float), numbers)
    if view.kind == "dt":
        stamps = [bound(view, v) for v in values]
        return view.valid & np.isin(view.numbers, np.array(stamps, dtype="datetime64[ns]"))
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return view.valid & view.series.isin(texts).to_numpy(dtype=bool)


def _as_number(value: Any, kind: str) -> float | None:
    """An allowed/forbidden value in a numeric (or boolean) column's terms; None when it cannot be one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE and kind == "bool":
            return 1.0 if value.strip().lower() in _TRUE else 0.0
    return None


# Integral floats below 2**53 are written as integers: every such float is exactly that integer.
_EXACT_INTEGERS = 2**53
_MISSING_TYPES = frozenset({"NAType", "NaTType"})  # pandas' pd.NA and pd.NaT


def jsonable(value: Any) -> Any:
    """An example value as JSON holds it, written by what the value is, not by how an engine holds it.

    The same value reads the same on every engine and in every chunk: every kind of missing (None, NaN,
    pd.NA, NaT) is None, and an integral float is an integer (52.0 is 52: pandas holds an integer column as
    floats in a chunk with a null, polars and Spark keep it integer). Timestamps are ISO 8601 text; infinities
    are "inf" and "-inf"."""
    if value is None or type(value).__name__ in _MISSING_TYPES:
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
    return _scalar_value(value)


def _scalar_value(value: Any) -> Any:
    if isinstance(value, float):
        return _float_value(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if type(value).__name__ == "Decimal" and value.is_finite():
        # a number, as the pandas engine reads decimals; exact when its scale is 0 (Spark's uint64)
        return int(value) if value.as_tuple().exponent >= 0 else _float_value(float(value))
    return str(value)


def _float_value(value: float) -> float | int | str | None:
    import math

    if math.isnan(value):
        return None
    if not math.isfinite(value):
        return str(value)
    return int(value) if value.is_integer() and abs(value) < _EXACT_INTEGERS else value


def row_text(names: Iterable[str], values: Iterable[Any]) -> str:
    """A failing row of several columns (unique_key, checks:) as `a=1, b=x`, alike on every engine."""
    return ", ".join(f"{name}={jsonable(value)}" for name, value in zip(names, values))
