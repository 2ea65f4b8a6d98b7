"""Calibrated drift: a column alerts only when its change is credible for these sizes AND material.

Credible: each check is a test whose null distribution is known for a batch of n rows against a reference of
m rows, so no threshold has to be guessed per size:
  - distribution of a numeric column: two-sample Kolmogorov-Smirnov (distribution-free for continuous data,
    conservative with ties), p-value from Kolmogorov's law with Stephens' small-sample correction; in a
    continuous column, repeated values count once (a resampled or replayed feed is not new evidence);
  - mix of a categorical column: each category's share (and the share outside the reference's top
    categories) by the conditional binomial test, Bonferroni across the column's categories;
  - completeness: a rise of the null share, by the same conditional binomial test (one-sided: data lost is
    the failure; nulls replaced by a default value show up as a change of distribution or mix instead).
The p-values of all checks of a batch are then corrected together (Bonferroni by default) at the policy's
`alpha`, so noise alone raises any alert in at most about alpha of the windows, at any batch size.
Material: the effect must also reach a size a person cares about: a KS distance of 0.1 (a tenth of the rows
moved across some value), a category share changing by 5 points, a null share by 2 points. With large
batches every real difference is significant; materiality keeps the trivial ones quiet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops.data.profile import ColumnProfile

MIN_SHIFT = 0.1  # KS distance: share of rows on the other side of some value
MIN_SHARE_CHANGE = 0.05  # a category's share of the non-null rows, absolute
MIN_NULL_RATE_CHANGE = 0.02  # the share of nulls, absolute


@dataclass(frozen=True)
class Materiality:
    shift: float = MIN_SHIFT
    share: float = MIN_SHARE_CHANGE
    nulls: float = MIN_NULL_RATE_CHANGE

    @classmethod
    def from_rules(cls, alert: Mapping[str, Any] | None, column: str | None = None) -> Materiality:
        """The rules file's `alert:` settings, with `alert.columns[column]` over them."""
        values = {k: v for k, v in dict(alert or {}).items() if k in KEYS}
        columns = (alert or {}).get("columns")
        if column is not None and isinstance(columns, Mapping) and isinstance(columns.get(column), Mapping):
            values.update({k: v for k, v in columns[column].items() if k in KEYS})
        return cls(
            float(values.get("min_shift", MIN_SHIFT)),
            float(values.get("min_share_change", MIN_SHARE_CHANGE)),
            float(values.get("min_null_rate_change", MIN_NULL_RATE_CHANGE)),
        )

    def to_dict(self) -> dict[str, float]:
        return {"min_shift": self.shift, "min_share_change": self.share, "min_null_rate_change": self.nulls}


KEYS = ("min_shift", "min_share_change", "min_null_rate_change")


def column_checks(cur: ColumnProfile, ref: ColumnProfile, materiality: Materiality) -> dict[str, Any]:
    """The feature entry of one column: distribution (numeric) or mix (categorical) and completeness."""
    from mlops.data.drift import _new_category_rate

    numeric = cur.kind == "numeric" and ref.kind == "numeric"
    entry: dict[str, Any] = {
        "kind": "numeric" if numeric else "categorical",
        "judged_by": "calibrated",
        "rows": cur.count,
        "reference_rows": ref.count,
        "null_rate_change": _round(cur.null_fraction - ref.null_fraction),
        "new_category_rate": _round(_new_category_rate(cur, ref)),
    }
    if cur.non_null and ref.non_null:
        entry.update(_distribution(cur, ref, materiality) if numeric else _mix(cur, ref, materiality))
    else:  # no values on one side: completeness says it
        entry.update(
            {
                "method": "ks" if numeric else "share",
                "statistic": None,
                "p_value": None,
                "threshold": materiality.shift if numeric else materiality.share,
                "drifted": False,
            }
        )
    entry["nulls"] = null_check(cur, ref, materiality.nulls)
    return entry


def _distribution(cur: ColumnProfile, ref: ColumnProfile, materiality: Materiality) -> dict[str, Any]:
    from mlops.data.drift import ks_statistic
    from mlops.data.pvalues import ks_pvalue

    d = ks_statistic(cur, ref)
    continuous = ref.values is None or len(ref.values) >= 0.9 * ref.non_null
    n, m = independent_rows(cur, continuous), independent_rows(ref, continuous)
    out: dict[str, Any] = {
        "method": "ks",
        "statistic": _round(d),
        "p_value": ks_pvalue(d, n, m),
        "threshold": materiality.shift,
        "drifted": False,
    }
    if n < cur.non_null:
        out["independent_rows"] = n
    if cur.mean is not None and ref.mean is not None and ref.std:
        out["mean_shift_sd"] = _round((float(cur.mean) - float(ref.mean)) / float(ref.std))
    return out


def independent_rows(col: ColumnProfile, continuous: bool) -> int:
    """Rows that count as independent evidence. In a continuous column, a value seen twice is one record seen
    twice (a resampled or replayed feed), not two draws: each distinct value counts once. Known only when the
    profile keeps exact values (up to 256 distinct); otherwise every row counts."""
    if continuous and col.values is not None:
        return min(col.non_null, len(col.values))
    return col.non_null


def _mix(cur: ColumnProfile, ref: ColumnProfile, materiality: Materiality) -> dict[str, Any]:
    """The category whose share changed most among the material ones, tested against the reference."""
    from mlops.data.drift import OTHER, category_counts
    from mlops.data.pvalues import count_test

    a, b = category_counts(cur), category_counts(ref)
    n, m = float(cur.non_null), float(ref.non_null)
    cells = _cells(a, b, n)
    tests = len(cells)
    scored = []  # (not material, p, -|change|, key, current share, reference share)
    for key, x, y in cells:
        change = x / n - y / m
        p = min(1.0, tests * count_test(x, n, y, m))
        scored.append((abs(change) < materiality.share, p, -abs(change), str(key), x / n, y / m))
    _, p, _, key, now, before = min(scored)
    shown = key if key != OTHER else "(other categories)" if b.get(OTHER) else "(new categories)"
    return {
        "method": "share",
        "statistic": _round(abs(now - before)),
        "p_value": p,
        "threshold": materiality.share,
        "drifted": False,
        "tests": tests,
        "category": {"value": shown, "reference": _round(before), "current": _round(now)},
    }


def _cells(a: dict[Any, float], b: dict[Any, float], n: float) -> list[tuple[Any, float, float]]:
    """(category, batch rows, reference rows) for the reference's categories and the rest, when not empty."""
    from mlops.data.drift import OTHER

    known = [k for k in b if k != OTHER]
    rest = n - sum(a.get(k, 0.0) for k in known)  # the batch's rows outside the reference's listed categories
    cells = [(k, a.get(k, 0.0), b[k]) for k in known] + [(OTHER, max(rest, 0.0), b.get(OTHER, 0.0))]
    return [c for c in cells if c[1] or c[2]]


def null_check(cur: ColumnProfile, ref: ColumnProfile, threshold: float) -> dict[str, Any]:
    from mlops.data.pvalues import count_test

    change = cur.null_fraction - ref.null_fraction
    return {
        "reference": _round(ref.null_fraction),
        "current": _round(cur.null_fraction),
        "change": _round(change),
        "p_value": count_test(cur.nulls, cur.count, ref.nulls, ref.count, alternative="greater"),
        "threshold": threshold,
        "drifted": False,
    }


def judge(features: dict[str, dict[str, Any]], alpha: float, correction: str) -> dict[str, list[str]]:
    """Correct the p-values of every calibrated check of the batch together, then decide (in place:
    `p_adjusted`, `alpha`, `drifted`). Returns the columns that drifted per rule kind (drift, mix, nulls)."""
    from mlops.monitor.policy import adjust_pvalues

    adjusted = adjust_pvalues(_pvalues(features), correction)
    out: dict[str, list[str]] = {"drift": [], "mix": [], "nulls": []}
    for key, q in adjusted.items():
        which, name = key.split("\x00", 1)
        f = features[name]
        target = f if which == "dist" else f["nulls"]
        effect = target.get("statistic") if which == "dist" else float(target["change"])  # nulls: a rise
        if _decide(target, q, alpha, effect):
            out["nulls" if which == "null" else "drift" if f.get("kind") == "numeric" else "mix"].append(name)
    return out


def _pvalues(features: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Every calibrated check's p-value, keyed `dist\0COLUMN` (distribution or mix) or `null\0COLUMN`."""
    checks: dict[str, float | None] = {}
    for name, f in features.items():
        if f.get("judged_by") == "calibrated" and f.get("p_value") is not None:
            checks[f"dist\x00{name}"] = float(f["p_value"])
        if isinstance(f.get("nulls"), dict):
            checks[f"null\x00{name}"] = float(f["nulls"]["p_value"])
    return checks


def _decide(check: dict[str, Any], q: float | None, alpha: float, effect: Any) -> bool:
    """Credible (adjusted p below alpha) and material (the effect reaches the threshold); in place."""
    check["p_adjusted"] = _round(q)
    check["alpha"] = alpha
    check["drifted"] = bool(
        q is not None
        and q < alpha
        and effect is not None
        and float(effect) >= float(check["threshold"]) - 1e-12
    )
    return bool(check["drifted"])


def _round(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return value
    return float(f"{value:.6g}")
