"""Drift statistics between two profiles (current vs reference).

Both sides are profiles, so drift against a stored profile and against raw data are the same computation.
Numeric: psi, ks, wasserstein (divided by the reference std), jensen_shannon, hellinger, and chi2 on
reference-decile bins. Categorical: chi2 (statistic: Cramer's V), psi, jensen_shannon, hellinger, tvd.
Effect sizes are judged against thresholds by default; with p_value=True, ks/chi2 p-values are.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mlops.data.profile import ColumnProfile, Profile, probability_grid
from mlops.errors import UsageError

NUMERIC_METHODS = ("psi", "ks", "wasserstein", "jensen_shannon", "hellinger", "chi2")
CATEGORICAL_METHODS = ("chi2", "psi", "jensen_shannon", "hellinger", "tvd")
METHODS = ("psi", "ks", "chi2", "jensen_shannon", "wasserstein", "hellinger", "tvd")
DEFAULT_THRESHOLDS = {
    "psi": 0.2,
    "ks": 0.1,
    "wasserstein": 0.1,
    "jensen_shannon": 0.1,
    "hellinger": 0.1,
    "chi2": 0.1,
    "tvd": 0.1,
}
DEFAULT_P_VALUE = 0.05
BINS = 10
_EPS = 1e-4


DriftKind = Literal["numeric", "categorical"]


@dataclass
class DriftResult:
    column: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    kind: DriftKind
    null_rate_change: float = 0.0  # current null share minus the reference's
    new_category_rate: float | None = None  # share of current rows in categories the reference never had

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("statistic", "p_value", "threshold", "null_rate_change", "new_category_rate"):
            if isinstance(out[key], float):
                out[key] = float(f"{out[key]:.6g}")
        return out


def drift_scores(
    current: Profile,
    reference: Profile,
    columns: list[str] | None = None,
    method: str | None = None,
    per_column: dict[str, Any] | None = None,
    threshold: float | None = None,
    p_value: bool = False,
) -> dict[str, DriftResult]:
    """Drift of each column shared by both profiles (or of `columns`), keyed by column name.

    `method`/`threshold` apply to every column unless `per_column[name]` ({method, threshold}) overrides them.
    A method that does not fit a column's kind falls back to psi. p-values are always computed for ks and
    chi2; with p_value=True a column drifts when the p-value is below the threshold (default 0.05).
    """
    if method is not None and method not in METHODS:
        raise UsageError(f"unknown drift method `{method}`; expected one of {', '.join(METHODS)}")
    overrides = per_column or {}
    out: dict[str, DriftResult] = {}
    for name in _shared(current, reference, columns):
        override = overrides.get(name) or {}
        out[name] = column_drift(
            current.columns[name],
            reference.columns[name],
            override.get("method", method),
            override.get("threshold", threshold),
            p_value,
        )
    return out


def _shared(current: Profile, reference: Profile, columns: list[str] | None) -> list[str]:
    """COLUMNS (default: the reference's) that both profiles have, in that order."""
    names = columns if columns is not None else list(reference.columns)
    return [n for n in names if n in current.columns and n in reference.columns]


def column_drift(
    cur: ColumnProfile,
    ref: ColumnProfile,
    method: str | None = None,
    threshold: float | None = None,
    p_value: bool = False,
) -> DriftResult:
    kind: DriftKind = "numeric" if ref.kind == "numeric" and cur.kind == "numeric" else "categorical"
    method = _method_for(kind, method, p_value)
    null_change = cur.null_fraction - ref.null_fraction
    if cur.non_null == 0 or ref.non_null == 0:  # nothing to compare: drifted when only one side is empty
        limit = _limit(method, threshold, p_value)
        return DriftResult(
            cur.name, method, math.nan, None, limit, cur.non_null != ref.non_null, kind, null_change
        )
    stat, p = (_numeric if kind == "numeric" else _categorical)(cur, ref, method)
    if p_value and p is not None:
        limit = _limit(method, threshold, True)
        drifted = p < limit
    else:
        limit = _limit(method, threshold, False)
        drifted = stat > limit
    return DriftResult(
        cur.name, method, stat, p, limit, bool(drifted), kind, null_change, _new_category_rate(cur, ref)
    )


def _method_for(kind: DriftKind, method: str | None, p_value: bool) -> str:
    """The method asked for when it fits the column's kind; else psi (ks or chi2 when judging p-values)."""
    allowed = NUMERIC_METHODS if kind == "numeric" else CATEGORICAL_METHODS
    if method is not None and method in allowed:
        return method
    return ("ks" if kind == "numeric" else "chi2") if p_value else "psi"


def _limit(method: str, threshold: float | None, p_value: bool) -> float:
    if threshold is not None:
        return threshold
    return DEFAULT_P_VALUE if p_value else DEFAULT_THRESHOLDS[method]


# -- numeric ------------------------------------------------------------------------------------------------


class _Cdf:
    """The CDF of a numeric profile: a step function (exact values) or piecewise linear (quantile grid)."""

    def __init__(self, col: ColumnProfile) -> None:
        import numpy as np

        self.col = col
        self.step = col.values is not None and col.counts is not None and len(col.values) > 0
        if self.step:
            self.x = np.asarray(col.values, dtype=float)
            counts = np.asarray(col.counts, dtype=float)
            self.cum = np.cumsum(counts) / counts.sum()
        elif col.quantiles:
            self.x = np.asarray(col.quantiles, dtype=float)
            self.p = probability_grid()
        else:
            self.x = np.asarray([], dtype=float)

    def right(self, x: Any) -> Any:
        """P(X <= x)."""
        return self._at(x, "right")

    def left(self, x: Any) -> Any:
        """P(X < x)."""
        return self._at(x, "left")

    def _at(self, x: Any, side: str) -> Any:
        import numpy as np

        x = np.asarray(x, dtype=float)
        if len(self.x) == 0:
            return np.zeros_like(x)
        if self.step:
            i = np.searchsorted(self.x, x, side=side)  # type: ignore[call-overload]
            return np.where(i > 0, self.cum[np.maximum(i - 1, 0)], 0.0)
        return self._interp(x, side)

    def _interp(self, x: Any, side: str) -> Any:
        import numpy as np

        q, p = self.x, self.p
        i = np.searchsorted(q, x, side=side)  # type: ignore[call-overload]
        lo = np.clip(i - 1, 0, len(q) - 1)
        hi = np.clip(i, 0, len(q) - 1)
        span = q[hi] - q[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (x - q[lo]) / np.where(span > 0, span, 1), 1.0)
        out = p[lo] + (p[hi] - p[lo]) * np.clip(frac, 0, 1)
        out = np.where(i <= 0, 0.0, out)
        return np.where(i >= len(q), 1.0, out)

    def quantile(self, probs: Any) -> Any:
        import numpy as np

        if len(self.x) == 0:
            return np.full(len(probs), np.nan)
        if self.step:
            idx = np.minimum(np.searchsorted(self.cum, probs, side="left"), len(self.x) - 1)
            return self.x[idx]
        return np.interp(probs, self.p, self.x)


def bin_edges(ref: ColumnProfile) -> Any:
    """Interior edges of the reference's decile bins (fewer when values repeat)."""
    import numpy as np

    cdf = _Cdf(ref)
    if cdf.step and len(cdf.x) <= BINS:
        return cdf.x  # one bin per reference value, and one for anything above them
    return np.unique(cdf.quantile(np.linspace(0, 1, BINS + 1)[1:-1]))


def bin_probs(col: ColumnProfile, edges: Any) -> Any:
    """Share of values in (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    import numpy as np

    cum = np.concatenate([[0.0], _Cdf(col).right(edges), [1.0]])
    return np.clip(np.diff(cum), 0, 1)


def ks_statistic(cur: ColumnProfile, ref: ColumnProfile) -> float:
    import numpy as np

    a, b = _Cdf(cur), _Cdf(ref)
    xs = np.unique(np.concatenate([a.x, b.x]))
    if len(xs) == 0:
        return 0.0
    right = np.abs(a.right(xs) - b.right(xs))
    left = np.abs(a.left(xs) - b.left(xs))
    return float(max(right.max(), left.max()))


def _numeric(cur: ColumnProfile, ref: ColumnProfile, method: str) -> tuple[float, float | None]:
    if method == "ks":
        return _ks(cur, ref)
    if method == "wasserstein":
        return _wasserstein(cur, ref), None
    edges = bin_edges(ref)
    p, q = bin_probs(cur, edges), bin_probs(ref, edges)
    if method == "chi2":
        return _chi2(p * cur.non_null, q * ref.non_null)
    return _distance(method, p, q), None


def _ks(cur: ColumnProfile, ref: ColumnProfile) -> tuple[float, float | None]:
    d = ks_statistic(cur, ref)
    n, m = cur.non_null, ref.non_null
    if n == 0 or m == 0:
        return d, None
    from mlops.data.pvalues import kolmogorov_sf

    en = math.sqrt(n * m / (n + m))
    return d, kolmogorov_sf(d * en)


def _wasserstein(cur: ColumnProfile, ref: ColumnProfile) -> float:
    """The mean distance between the quantile functions, in reference standard deviations (else ranges)."""
    import numpy as np

    probs = (np.arange(2000) + 0.5) / 2000
    dist = float(np.mean(np.abs(_Cdf(cur).quantile(probs) - _Cdf(ref).quantile(probs))))
    scale = ref.std or 0.0
    if not scale:
        scale = float((ref.max or 0) - (ref.min or 0)) or 1.0
    return dist / scale


# -- categorical -------------------------------------------------------------------------------------------


def _category_counts(col: ColumnProfile) -> dict[Any, float]:
    if col.kind == "numeric" and col.values is None:
        return {}
    out = {_key(v): float(c) for v, c in zip(col.values or [], col.counts or [])}
    if col.other:
        out["\x00other"] = out.get("\x00other", 0.0) + col.other
    return out


def category_counts(col: ColumnProfile) -> dict[Any, float]:
    """Rows per category (keys as strings; the reference's tail beyond its top categories under OTHER)."""
    return _category_counts(col)


OTHER = "\x00other"


def _key(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _categorical(cur: ColumnProfile, ref: ColumnProfile, method: str) -> tuple[float, float | None]:
    import numpy as np

    a, b = _category_counts(cur), _category_counts(ref)
    keys = sorted(set(a) | set(b))
    x = np.asarray([a.get(k, 0.0) for k in keys])
    y = np.asarray([b.get(k, 0.0) for k in keys])
    if x.sum() == 0 or y.sum() == 0:
        return 0.0, None
    if method == "chi2":
        return _chi2(x, y)
    return _distance(method, x / x.sum(), y / y.sum()), None


def _new_category_rate(cur: ColumnProfile, ref: ColumnProfile) -> float | None:
    if not _closed_categories(cur, ref):
        return None
    known = {_key(v) for v in ref.values or []}
    new = sum(c for v, c in zip(cur.values or [], cur.counts or []) if _key(v) not in known)
    return new / cur.non_null  # categories in the current tail (beyond the top ones) are not counted


def _closed_categories(cur: ColumnProfile, ref: ColumnProfile) -> bool:
    """Both sides categorical, the reference with every category it saw, and the current data with values."""
    return cur.kind == "categorical" and ref.kind == "categorical" and not ref.other and bool(cur.non_null)


# -- shared ------------------------------------------------------------------------------------------------


def _distance(method: str, p: Any, q: Any) -> float:
    import numpy as np

    if method == "psi":
        pp, qq = np.maximum(p, _EPS), np.maximum(q, _EPS)
        return float(np.sum((pp - qq) * np.log(pp / qq)))
    if method == "tvd":
        return float(0.5 * np.abs(p - q).sum())
    if method == "hellinger":
        return float(math.sqrt(max(0.0, 0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))))
    if method == "jensen_shannon":
        m = 0.5 * (p + q)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1) / np.where(m > 0, m, 1)), 0.0)
            kl_q = np.where(q > 0, q * np.log2(np.where(q > 0, q, 1) / np.where(m > 0, m, 1)), 0.0)
        return float(math.sqrt(max(0.0, 0.5 * (kl_p.sum() + kl_q.sum()))))
    raise UsageError(f"drift method `{method}` does not apply here")


def _chi2(x: Any, y: Any) -> tuple[float, float | None]:
    """Chi-square test of homogeneity on two count vectors; statistic reported as Cramer's V."""
    import numpy as np

    from mlops.data.pvalues import chi2_sf

    keep = (x + y) > 0
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return 0.0, 1.0
    table = np.vstack([x, y])
    total = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / total
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = len(x) - 1
    return math.sqrt(stat / total), chi2_sf(stat, dof)
