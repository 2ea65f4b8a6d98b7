"""infer-rules: a starter rules file from a profile, with bounds a reviewer can accept.

Numeric bounds: the observed range widened by `margin` of its width on each side (stated in the file), never
below 0 when no value was negative (a negative count or size is a hard error worth catching) and within [0, 1]
when every value was (probabilities, shares).
Mean bounds (+/- half a standard deviation) and null limits are warnings: a few nulls or a shifted mean are
soft errors. Allowed sets only for low-cardinality columns. Comments show the observed values for review.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mlops.data.profile import ColumnProfile, Profile, probability_grid


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else json.dumps(name)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt(value)
    return json.dumps(str(value))


def _fmt(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.6g}"


def _nice(value: float, up: bool) -> float:
    """Round outward to 3 significant digits, so bounds read well and never tighten."""
    if value == 0 or not math.isfinite(value):
        return value
    step = 10 ** (math.floor(math.log10(abs(value))) - 2)
    return (math.ceil(value / step) if up else math.floor(value / step)) * step


def _quantile(col: ColumnProfile, p: float) -> float:
    import numpy as np

    if col.quantiles:
        return float(np.interp(p, probability_grid(), np.asarray(col.quantiles, dtype=float)))
    return float(col.min)


def numeric_bounds(lowest: float, highest: float, margin: float, integer: bool) -> tuple[float, float]:
    """min and max for a column observed in [lowest, highest]: each side moved out by `margin` of the range
    (of the value itself for a constant column), rounded outward to 3 significant digits; never below 0 when no
    value was negative (a negative count or size is worth catching), and within [0, 1] when every value was
    (a probability or a share)."""
    span = highest - lowest if highest > lowest else abs(highest)
    low, high = lowest - margin * span, highest + margin * span
    if lowest >= 0:
        low = max(low, 0.0)
    if lowest >= 0 and highest <= 1 and not integer:
        high = min(high, 1.0)
    low, high = _nice(low, up=False), _nice(high, up=True)
    if integer:
        low, high = math.floor(low), math.ceil(high)
    if lowest >= 0 and highest <= 1 and not integer:  # rounding outward must not leave [0, 1]
        low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def _numeric(col: ColumnProfile, margin: float, max_categories: int, unique: bool) -> tuple[list[str], str]:
    if col.min is None:
        return ["type: " + ("integer" if col.dtype == "integer" else "number")], "no values"
    integer = _holds_integers(col)
    lines = [f"type: {'integer' if integer else 'number'}"]
    low, high = numeric_bounds(float(col.min), float(col.max), margin, integer)
    observed = _numeric_observed(col)
    if integer and _is_code_set(col, max_categories, unique):
        lines.append("allowed: [" + ", ".join(_fmt(v) for v in col.values or []) + "]")
        return lines, observed
    lines += [f"min: {_fmt(low)}", f"max: {_fmt(high)}"]
    observed += _skew_note(col)
    if unique:
        lines.append("unique: true")
    lines += _mean_line(col, low, high)
    return lines, observed


def _holds_integers(col: ColumnProfile) -> bool:
    return col.dtype == "integer" or (
        col.values is not None and all(float(v).is_integer() for v in col.values)
    )


def _numeric_observed(col: ColumnProfile) -> str:
    return (
        f"min {_fmt(col.min)}, p1 {_fmt(_quantile(col, 0.01))}, median {_fmt(_quantile(col, 0.5))}, "
        f"p99 {_fmt(_quantile(col, 0.99))}, max {_fmt(col.max)}; mean {_fmt(col.mean or 0)}, "
        f"std {_fmt(col.std or 0)}"
    )


def _mean_line(col: ColumnProfile, low: float, high: float) -> list[str]:
    """Mean bounds of +/- half a standard deviation, within the values' own bounds: never negative for a
    non-negative column, nor above 1 for probabilities."""
    std = float(col.std or 0)
    if std <= 0 or col.mean is None:
        return []
    lo = max(_nice(col.mean - 0.5 * std, up=False), low)
    hi = min(_nice(col.mean + 0.5 * std, up=True), high)
    return [f"mean: {{value: {{min: {_fmt(lo)}, max: {_fmt(hi)}}}, severity: warn}}"]


def _is_code_set(col: ColumnProfile, max_categories: int, unique: bool) -> bool:
    """A closed set of codes (classes, flags): few values, each seen often. Counts with a thin tail (a Poisson
    count's 7 seen once) are an open range instead, and get min/max."""
    return (
        col.values is not None
        and len(col.values) <= min(10, max_categories)
        and not unique
        and min(col.counts or [0]) >= max(5, 0.005 * col.non_null)
    )


def _skew_note(col: ColumnProfile) -> str:
    median = _quantile(col, 0.5)
    if float(col.min) >= 0 and median > 0 and float(col.max) >= 5 * median:
        return (
            f"; right-skewed (max {float(col.max) / median:.0f}x the median): a new batch's maximum is "
            "often higher, raise max or give it a max_fail"
        )
    return ""


def _categorical(col: ColumnProfile, max_categories: int, unique: bool) -> tuple[list[str], str]:
    kind = col.dtype if col.dtype in ("boolean", "datetime") else "string"
    lines = [f"type: {kind}"]
    top = list(zip(col.values or [], col.counts or []))
    observed = _categorical_observed(col, top)
    if kind == "string" and _is_category_set(col, max_categories, unique):
        lines.append(
            "allowed: [" + ", ".join(_scalar(v) for v, _ in sorted(top, key=lambda t: str(t[0]))) + "]"
        )
    if unique:
        lines.append("unique: true")
    return lines, observed


def _categorical_observed(col: ColumnProfile, top: list[tuple[Any, int]]) -> str:
    shown = ", ".join(f"{v} x{c}" for v, c in top[:8]) + (", ..." if len(top) > 8 or col.other else "")
    return f"{col.distinct if col.distinct is not None else 'many'} distinct: {shown}"


def _is_category_set(col: ColumnProfile, max_categories: int, unique: bool) -> bool:
    """Few categories, each seen about twice or more: an allowed set is worth stating."""
    return (
        col.distinct is not None
        and 0 < col.distinct <= max_categories
        and not unique
        and col.non_null >= 2 * col.distinct
    )


def _nulls(col: ColumnProfile) -> tuple[str, str]:
    frac = col.null_fraction
    note = f"nulls {col.nulls} ({frac:.2%})"
    if frac == 0:
        return "max_null_fraction: {value: 0, severity: warn}", note
    limit = min(1.0, math.ceil(max(2 * frac, frac + 0.01) * 1000) / 1000)
    return f"max_null_fraction: {{value: {_fmt(limit)}, severity: warn}}", note


def infer(
    profile: Profile,
    source: str,
    margin: float = 0.1,
    max_categories: int = 20,
    unique: set[str] | None = None,
) -> str:
    """YAML text of a Rules file for the profiled data; `unique` names columns whose values never repeat."""
    unique = unique or set()
    out = [
        f"# Starter rules inferred by `mlops infer-rules` from {source} ({profile.rows} rows).",
        "# Review every bound before relying on it; the comments give the observed values.",
        f"# min/max: the observed range widened by {margin:g} of its width on each side (--margin {margin:g}),",
        "# never below 0 for a column without negative values, within [0, 1] for one whose values all are.",
        "# mean: the observed mean +/- half a standard deviation, a warning.",
        "kind: Rules",
        "version: 1",
        "columns:",
    ]
    for name, col in profile.columns.items():
        is_unique = name in unique and col.nulls == 0 and col.non_null >= 20
        if col.kind == "numeric" and col.dtype != "datetime":
            lines, observed = _numeric(col, margin, max_categories, is_unique)
        else:
            lines, observed = _categorical(col, max_categories, is_unique)
            if col.dtype == "datetime":
                lines = ["type: datetime"]
                observed = "datetime values"
        null_line, null_note = _nulls(col)
        lines.append(null_line)
        out.append(f"  {_key(name)}:")
        out.append(f"    # observed: {observed}; {null_note}")
        out += [f"    {line}" for line in lines]
    out += ["table:", "  rows: {min: 1}", "  extra_columns: warn", ""]
    return "\n".join(out)


def scan(source: Any) -> tuple[Profile, set[str]]:
    """One pass: the profile and the integer/string columns whose values never repeat."""
    import pandas as pd

    from mlops.data.profile import ProfileBuilder
    from mlops.data.sketch import HashSet, hash_values

    builder = ProfileBuilder()
    seen: dict[str, HashSet] = {}
    repeated: set[str] = set()
    for frame in source.chunks():
        frame.columns = [str(c) for c in frame.columns]
        builder.add(frame)
        for name in frame.columns:
            series = frame[name]
            if name in repeated or not (
                pd.api.types.is_integer_dtype(series.dtype)
                or pd.api.types.is_string_dtype(series.dtype)
                or series.dtype == object
            ):
                repeated.add(name)
                continue
            values = series.dropna()
            if seen.setdefault(name, HashSet()).add(hash_values(values)).any():
                repeated.add(name)
    return builder.result(), set(builder.acc) - repeated
