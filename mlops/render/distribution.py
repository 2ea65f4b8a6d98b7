"""Charts of one column's distribution from its profile (mlops.data.profile): a histogram with the rules'
bounds and the rows beyond them, bars of categories with the ones not allowed, reference against current.
Used by the validate and monitor HTML reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlops.render import svg

BINS = 24


@dataclass
class Bounds:
    """What the rules say about a column, and how many rows broke each bound (exact, from the rule run)."""

    min: float | None = None
    max: float | None = None
    below: int = 0
    above: int = 0
    allowed: list[str] | None = None
    disallowed: int = 0


def column_chart(
    name: str,
    current: Any,
    reference: Any = None,
    bounds: Bounds | None = None,
    *,
    current_name: str = "current",
) -> str:
    """A chart of column NAME: rows per bin (or share of rows, against a reference). "" when the profile holds
    nothing to draw (no values)."""
    if current is None or current.non_null == 0:
        return ""
    if current.kind == "numeric" and (reference is None or reference.kind == "numeric"):
        return _numeric(name, current, reference, bounds or Bounds(), current_name)
    return _categorical(name, current, reference, bounds or Bounds(), current_name)


def _numeric(name: str, current: Any, reference: Any, bounds: Bounds, current_name: str) -> str:
    import numpy as np

    from mlops.data.drift import bin_probs

    lo, hi = _finite(current.min), _finite(current.max)
    if reference is not None:
        lo, hi = _lo_hi([lo, hi, _finite(reference.min), _finite(reference.max)])
    if lo is None or hi is None:
        return ""
    notes, marks, (lo, hi) = _bound_marks(bounds, current.non_null, lo, hi)
    edges = _edges(lo, hi, bounds, integer=current.dtype == "integer")
    interior = np.asarray(edges, dtype=float)
    share_now = bin_probs(current, interior)[1:-1]
    bad = _bad_bins(edges, bounds)
    if reference is None:
        counts = [float(v) * current.non_null for v in share_now]
        counts = _exact_tails(counts, bad, edges, bounds)
        series = [svg.Series("rows", svg.CURRENT, counts)]
        return svg.histogram(name, edges, series, bounds=marks, bad_bins=bad, notes=notes, y_label="rows")
    share_ref = bin_probs(reference, interior)[1:-1]
    series = [
        svg.Series("reference", svg.REFERENCE, [100 * float(v) for v in share_ref]),
        svg.Series(current_name, svg.CURRENT, [100 * float(v) for v in share_now]),
    ]
    return svg.histogram(
        name,
        edges,
        series,
        bounds=marks,
        bad_bins=bad,
        notes=notes,
        y_label="% of rows",
        value_format=_percent,
    )


def _bound_marks(
    bounds: Bounds, rows: int, lo: float, hi: float
) -> tuple[list[str], list[tuple[float, str]], tuple[float, float]]:
    """The notes on rows beyond each rule bound, the bounds to draw, and the x range that shows them."""
    notes: list[str] = []
    marks: list[tuple[float, str]] = []
    for value, label, broken, side in (
        (bounds.min, "min", bounds.below, "below"),
        (bounds.max, "max", bounds.above, "above"),
    ):
        if value is None:
            continue
        notes += _broken_note(broken, f"{side} {label} {svg.tick_label(value)}", rows)
        span = (hi - lo) or abs(value) or 1.0
        if broken or lo - span <= value <= hi + span:  # a bound far away would squash the data into one bar
            marks.append((value, f"{label} {svg.tick_label(value)}"))
            lo, hi = min(lo, value), max(hi, value)
    return notes, marks, (lo, hi)


def _bad_bins(edges: list[float], bounds: Bounds) -> list[bool]:
    """Per bin: wholly beyond a rule bound."""
    low = _below(bounds.min) if bounds.min is not None else -math.inf
    high = bounds.max if bounds.max is not None else math.inf
    return [right <= low or left >= high for left, right in zip(edges[:-1], edges[1:])]


def _broken_note(broken: int, what: str, rows: int) -> list[str]:
    """How many rows broke a rule, in words (none: no note)."""
    if not broken:
        return []
    return [f"{broken:,} row{'s' if broken != 1 else ''} {what} ({broken / max(1, rows):.2%})"]


def _percent(value: float) -> str:
    return f"{value:.2f}%"


def _categorical(name: str, current: Any, reference: Any, bounds: Bounds, current_name: str) -> str:
    cur, ref = _counts(current), _counts(reference)
    shown, bad_keys = _shown_categories(cur, ref, bounds.allowed)
    if not shown:
        return ""
    notes = _broken_note(bounds.disallowed, "with a value not allowed", current.non_null)
    if reference is None:
        series = [svg.Series("rows", svg.CURRENT, [float(cur.get(k, 0)) for k in shown])]
        return svg.bars(name, shown, series, bad=bad_keys, notes=notes)
    cur_total, ref_total = max(1, current.non_null), max(1, reference.non_null)
    series = [
        svg.Series("reference", svg.REFERENCE, [100 * ref.get(k, 0) / ref_total for k in shown]),
        svg.Series(current_name, svg.CURRENT, [100 * cur.get(k, 0) / cur_total for k in shown]),
    ]
    return svg.bars(
        name, shown, series, bad=bad_keys, notes=notes, y_label="% of rows", value_format=_percent
    )


def _shown_categories(
    cur: dict[str, Any], ref: dict[str, Any], allowed: list[str] | None
) -> tuple[list[str], list[str]]:
    """The 15 most frequent values plus up to 5 rare ones not allowed (they stay visible), and every value
    the rules do not allow."""
    keys = sorted(set(cur) | set(ref), key=lambda k: -(cur.get(k, 0) + ref.get(k, 0)))
    permitted = set(allowed) if allowed is not None else None
    bad_keys = [k for k in keys if k not in permitted] if permitted is not None else []
    shown = keys[:15]
    shown += [k for k in bad_keys if k not in shown][:5]
    return shown, bad_keys


def _counts(profile: Any) -> dict[str, Any]:
    """Rows per value of a categorical profile ({} without a profile)."""
    if profile is None:
        return {}
    return dict(zip(map(str, profile.values or []), profile.counts or [], strict=False))


def _edges(lo: float, hi: float, bounds: Bounds, *, integer: bool = False) -> list[float]:
    """Equal bins over [lo, hi], with each bound an edge: below a min means strictly below (an integer
    column's 18s are inside `min: 18`), above a max strictly above. Integer columns get bins of a whole
    number of values (no comb of alternately full and empty bins)."""
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if integer:
        width = float(max(1, math.ceil((hi - lo + 1) / BINS)))
        lo = math.floor(lo) - 0.5
        count = max(1, math.ceil((hi + 0.5 - lo) / width))
    else:
        width, count = (hi - lo) / BINS, BINS
    edges = [lo + width * i for i in range(count + 1)]
    for bound in (_below(bounds.min) if bounds.min is not None else None, bounds.max):
        if bound is not None and lo < bound < hi:
            edges = [e for e in edges if abs(e - bound) > width * 0.25] + [bound]
    return sorted(set(edges))


def _below(value: float) -> float:
    return value - max(abs(value), 1.0) * 1e-9


def _exact_tails(
    counts: list[float], bad: Sequence[bool], edges: Sequence[float], bounds: Bounds
) -> list[float]:
    """The profile's quantile sketch smears a few extreme rows; the rule run counted them exactly. Scale the
    bins beyond each bound to the exact count (or put it in the outermost bin when the sketch saw none)."""
    out = list(counts)
    low = bounds.min if bounds.min is not None else -math.inf
    high = bounds.max if bounds.max is not None else math.inf
    below = [i for i, b in enumerate(bad) if b and edges[i + 1] <= low]
    above = [i for i, b in enumerate(bad) if b and edges[i] >= high]
    _scale_tail(out, below, bounds.below, below[:1])
    _scale_tail(out, above, bounds.above, above[-1:])
    return out


def _scale_tail(out: list[float], idx: list[int], exact: int, outermost: list[int]) -> None:
    """Scale the bins IDX to sum to EXACT rows, or put them all in the outermost bin when they hold none."""
    if not exact or not idx:
        return
    total = sum(out[i] for i in idx)
    if total > 0:
        for i in idx:
            out[i] = out[i] * exact / total
    else:
        out[outermost[0]] = float(exact)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _lo_hi(values: list[float | None]) -> tuple[float | None, float | None]:
    present = [v for v in values if v is not None]
    return (min(present), max(present)) if present else (None, None)
