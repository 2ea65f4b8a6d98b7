"""A Spark column seen through its rule's declared type: the Spark twin of mlops.data.columns.

Each view is a handful of Column expressions (null, bad, typed numbers) built from the DataFrame's schema, so
every rule that reads it is one more aggregate in the same pass. The semantics follow the pandas views: NaN
is null, values that do not fit the declared type are `bad` (counted by the `type` rule, left out of value
rules), strings declared numeric are parsed, timestamps compare as UTC instants (microseconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_NUMERIC = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType")
_INTEGRAL = ("ByteType", "ShortType", "IntegerType", "LongType")
_KINDS = {"integer": "num", "number": "num", "datetime": "dt", "boolean": "bool"}


@dataclass
class SparkView:
    name: str
    series: Any  # the column as read (examples, string operations)
    null: Any  # boolean Column, never SQL NULL
    kind: str  # num | str | dt | bool | null
    bad: Any  # boolean Column: non-null values that do not fit the declared type
    numbers: Any = None  # double (num), microseconds since the epoch in UTC (dt), boolean (bool)
    found: str = ""  # what the data holds, for messages
    declared: str | None = None
    integral: bool = False  # an integer Spark type: keys are exact beyond 2**53

    @property
    def valid(self) -> Any:
        return ~self.null & ~self.bad


def quoted(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def spark_view(name: str, dtype: Any, declared: str | None) -> SparkView:
    """The view of column `name` (Spark type `dtype`) under its declared type."""
    seen = _view(name, dtype, declared)
    seen.declared = declared
    return seen


def _view(name: str, dtype: Any, declared: str | None) -> SparkView:
    from pyspark.sql import functions as F

    col = quoted(name)
    tname = type(dtype).__name__
    if tname == "NullType":  # no values at all (a JSON key that is always null)
        kind = _KINDS.get(declared or "", "str") if declared else "null"
        return SparkView(name, col, F.lit(True), kind, F.lit(False), F.lit(None), declared or "null")
    if tname == "BooleanType":
        return _boolean_view(name, col, declared)
    if tname in _NUMERIC:
        return _numeric_view(name, col, integral_type(dtype), declared)
    if tname in ("TimestampType", "TimestampNTZType", "DateType"):
        null = col.isNull()
        bad = F.lit(False) if declared in (None, "datetime", "category") else ~null
        return SparkView(name, col, null, "dt", bad, _micros(col, tname), "datetime")
    text = col if tname == "StringType" else col.cast("string")
    return _text_view(name, text, declared)


def _boolean_view(name: str, col: Any, declared: str | None) -> SparkView:
    from pyspark.sql import functions as F

    no = F.lit(False)
    null = col.isNull()
    bad = ~null if declared in ("integer", "number", "string", "datetime") else no
    return SparkView(name, col, null, "bool", bad, F.coalesce(col, no), "boolean")


def integral_type(dtype: Any) -> bool:
    """An integer type; a decimal of scale 0 holds integers too (Spark reads Parquet's uint64 so)."""
    tname = type(dtype).__name__
    return tname in _INTEGRAL or (tname == "DecimalType" and dtype.scale == 0)


def _numeric_view(name: str, col: Any, integral: bool, declared: str | None) -> SparkView:
    from pyspark.sql import functions as F

    numbers = col.cast("double")
    null = col.isNull() | (F.lit(False) if integral else F.isnan(numbers))
    null = F.coalesce(null, F.lit(True))
    found = "integer" if integral else "number"
    if declared == "integer" and not integral:
        bad = ~null & _fractional(numbers)
    elif declared == "boolean":
        bad = ~null & ~numbers.isin(0.0, 1.0)
    elif declared in ("string", "datetime"):
        bad = ~null
    else:
        bad = F.lit(False)
    return SparkView(name, col, null, "num", F.coalesce(bad, F.lit(False)), numbers, found, integral=integral)


def _fractional(numbers: Any) -> Any:
    """Doubles with a fraction. Not `floor(x) != x`: Spark's floor is a long, so -1e308 (a whole number, as
    numpy's floor says) clamps to -2**63 and would fail `type: integer`."""
    from pyspark.sql import functions as F

    return F.rint(numbers) != numbers


def _text_view(name: str, col: Any, declared: str | None) -> SparkView:
    from pyspark.sql import functions as F

    null = col.isNull()
    if declared in ("integer", "number"):
        numbers = col.try_cast("double")
        bad = ~null & (numbers.isNull() | F.isnan(numbers))
        if declared == "integer":
            bad = bad | (~null & _fractional(numbers))
        return SparkView(name, col, null, "num", F.coalesce(bad, F.lit(False)), numbers, "string")
    if declared == "datetime":
        stamps = col.try_cast("timestamp")
        bad = ~null & stamps.isNull()
        return SparkView(name, col, null, "dt", bad, _micros(stamps, "TimestampType"), "string")
    if declared == "boolean":
        lowered = F.lower(F.trim(col))
        is_true, is_false = lowered.isin(*_TRUE), lowered.isin(*_FALSE)
        bad = ~null & ~(is_true | is_false)
        return SparkView(
            name, col, null, "bool", F.coalesce(bad, F.lit(False)), F.coalesce(is_true, F.lit(False))
        )
    return SparkView(name, col, null, "str", F.lit(False), None, "string")


def _micros(col: Any, tname: str) -> Any:
    """Microseconds since the epoch, UTC: timestamps with a zone are instants; naive ones and dates are read as
    UTC wall-clock times, as the pandas engine reads them."""
    from pyspark.sql import functions as F

    if tname == "TimestampType":
        return F.unix_micros(col)
    if tname == "DateType":
        return F.unix_date(col).cast("long") * 86_400_000_000
    # TIMESTAMP_NTZ: its wall-clock fields as if in UTC
    return F.unix_micros(F.to_utc_timestamp(col.cast("timestamp"), F.current_timezone()))


def micros_of(value: Any) -> int:
    """A rule's timestamp bound (an ISO text or a datetime) in UTC microseconds; ValueError when not a date."""
    import pandas as pd

    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        raise ValueError(f"`{value}` is not a date or time")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.value // 1000)


def bound(view: SparkView, value: Any) -> Any:
    """A rule's bound in the column's terms (as mlops.data.columns.bound)."""
    if view.kind == "dt":
        return micros_of(value)
    if view.kind in ("num", "bool"):
        if isinstance(value, str):
            raise ValueError(f"`{value}` is not a number, and column `{view.name}` is numeric")
        return float(value)
    return str(value)


def compare(view: SparkView, op: str, value: Any) -> Any:
    """Failing rows of min/max/gt/lt: valid values where `column OP value` is false."""
    from pyspark.sql import functions as F

    limit = F.lit(bound(view, value))
    x = view.series if view.kind == "str" else view.numbers
    if view.kind == "bool":
        x = x.cast("double")
    ok = {"min": x >= limit, "max": x <= limit, "gt": x > limit, "lt": x < limit}[op]
    return view.valid & ~F.coalesce(ok, F.lit(True))


def membership(view: SparkView, values: list[Any]) -> Any:
    """Valid rows whose value is among `values` (as mlops.data.columns.membership)."""
    from pyspark.sql import functions as F

    if view.kind == "null":
        return F.lit(False)
    if view.kind in ("num", "bool"):
        numbers = _number_members(view, values)
        hit = view.numbers.cast("double").isin(*numbers) if numbers else F.lit(False)
    elif view.kind == "dt":
        hit = view.numbers.isin(*[micros_of(v) for v in values]) if values else F.lit(False)
    else:
        texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        hit = view.series.isin(*texts) if texts else F.lit(False)
    return view.valid & F.coalesce(hit, F.lit(False))


def _number_members(view: SparkView, values: list[Any]) -> list[float]:
    """The values a numeric or boolean column can equal: numbers, and true/false words for booleans."""
    numbers: list[float] = []
    for v in values:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            low = v.strip().lower() if isinstance(v, str) else None
            if low in _TRUE + _FALSE and view.kind == "bool":
                numbers.append(1.0 if low in _TRUE else 0.0)
    return numbers


def key(view: SparkView) -> Any:
    """One value per row that identifies it as the pandas engine's value_keys do: nulls alike, 5 and 5.0
    alike (one Spark column has one type), values of the wrong type by their text."""
    from pyspark.sql import functions as F

    if view.kind == "num":
        typed = view.series.cast("string") if view.integral else _number_text(view.numbers)
    elif view.kind in ("bool", "dt"):
        typed = view.numbers.cast("string")
    else:
        typed = view.series.cast("string")
    typed = F.when(view.bad, F.concat(F.lit("\u0001"), view.series.cast("string"))).otherwise(typed)
    return F.when(view.null, F.lit(None).cast("string")).otherwise(typed)


def _number_text(numbers: Any) -> Any:
    from pyspark.sql import functions as F

    # whole numbers by their integer text (5 and 5.0 alike), -0.0 as 0.0
    whole = (F.floor(numbers) == numbers) & (F.abs(numbers) < F.lit(2.0**62))
    return F.when(whole, numbers.cast("long").cast("string")).otherwise((numbers + F.lit(0.0)).cast("string"))
