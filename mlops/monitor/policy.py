"""The alert policy: when something over threshold becomes an alert that fires.

A *candidate* is anything over its threshold in this window (a drifted column, a metric drop, a failed
data-quality rule). It *fires* only as the policy says:
  - `alpha` is the false-alarm budget of a window: with the default `correction: bonferroni`, noise alone
    makes any calibrated drift, mix or completeness check of the batch fire in at most about alpha of windows;
  - `correction` (bonferroni, benjamini-hochberg, none) adjusts p-values across the checks of a batch, so
    100 columns of pure noise at alpha 0.05 no longer give about 5 alerts per batch;
  - `min_drifted_columns`: drift candidates exist only when at least this many columns drift in the window;
  - `consecutive: N`: a drift, prediction-drift or metric candidate fires only when the same rule was a
    candidate in the N-1 windows before too (read from the history);
  - a failed data-quality rule is a hard error about this very batch and fires at once, with its own severity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops.errors import UsageError

SEVERITIES = ("error", "warn", "info")
CORRECTIONS = ("none", "bonferroni", "benjamini-hochberg")
DEFAULT_ALPHA = 0.005  # per window: at most one false drift alert in about 200 windows


@dataclass(frozen=True)
class AlertPolicy:
    consecutive: int = 1
    min_drifted_columns: int = 1
    correction: str = "bonferroni"
    alpha: float = DEFAULT_ALPHA
    severity: str = "error"
    max_metric_drop: float = 0.05  # absolute for scores in [0, 1]; relative increase for errors (mae, rmse)
    min_rows: int = 30  # labeled rows a slice needs before its metrics can raise an alert

    def __post_init__(self) -> None:
        if self.consecutive < 1:
            raise UsageError("`consecutive` is at least 1")
        if self.min_drifted_columns < 1:
            raise UsageError("`min_drifted_columns` is at least 1")
        if self.correction not in CORRECTIONS:
            raise UsageError(f"unknown correction `{self.correction}` (one of {', '.join(CORRECTIONS)})")
        if self.severity not in SEVERITIES:
            raise UsageError(f"unknown severity `{self.severity}` (one of {', '.join(SEVERITIES)})")
        if not 0 < self.alpha < 1:
            raise UsageError("`alpha` (the false-alarm budget per window) is a number between 0 and 1")
        if not self.max_metric_drop >= 0:
            raise UsageError("the metric drop threshold is a number >= 0")

    @classmethod
    def from_rules(cls, section: Mapping[str, Any] | None, **overrides: Any) -> AlertPolicy:
        """The rules file's `alert:` section, then command-line overrides (None means not given)."""
        values: dict[str, Any] = dict(section or {})
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return {
            "consecutive": self.consecutive,
            "min_drifted_columns": self.min_drifted_columns,
            "correction": self.correction,
            "alpha": self.alpha,
            "severity": self.severity,
            "max_metric_drop": self.max_metric_drop,
            "min_rows": self.min_rows,
        }


@dataclass
class Candidate:
    rule: str  # drift:age, prediction_drift, metrics, metrics:region=west, quality:age.max
    kind: str  # drift | prediction_drift | metric | quality
    severity: str
    message: str
    immediate: bool = False  # fires without waiting for consecutive windows
    streak: int = 1  # windows in a row this rule has been a candidate, this one included
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "streak": self.streak,
        }
        if self.details:
            out["details"] = self.details
        return out


def adjust_pvalues(pvalues: Mapping[str, float | None], method: str) -> dict[str, float | None]:
    """Adjusted p-values over the tested columns (None stays None): bonferroni or benjamini-hochberg."""
    tested = [(name, float(p)) for name, p in pvalues.items() if p is not None and not math.isnan(float(p))]
    out: dict[str, float | None] = {name: None for name in pvalues}
    if method == "none" or not tested:
        out.update({name: p for name, p in tested})
        return out
    adjust = _ADJUSTMENTS.get(method)
    if adjust is None:
        raise UsageError(f"unknown correction `{method}` (one of {', '.join(CORRECTIONS)})")
    out.update(adjust(tested))
    return out


def _bonferroni(tested: list[tuple[str, float]]) -> dict[str, float]:
    m = len(tested)
    return {name: min(1.0, p * m) for name, p in tested}


def _benjamini_hochberg(tested: list[tuple[str, float]]) -> dict[str, float]:
    m = len(tested)
    ordered = sorted(tested, key=lambda item: item[1])
    running = 1.0
    adjusted: dict[str, float] = {}
    for rank in range(m, 0, -1):  # step-up: q_(i) = min over j >= i of p_(j) * m / j
        name, p = ordered[rank - 1]
        running = min(running, p * (m / rank))
        adjusted[name] = min(1.0, running)
    return adjusted


_ADJUSTMENTS: dict[str, Callable[[list[tuple[str, float]]], dict[str, float]]] = {
    "bonferroni": _bonferroni,
    "benjamini-hochberg": _benjamini_hochberg,
}


def judge_drift(features: dict[str, dict[str, Any]], policy: AlertPolicy) -> list[str]:
    """Apply the correction to p-value columns (in place: `p_adjusted`, `drifted`); return drifted columns.

    A column is judged by p-value when its result carries one and its threshold is the significance level.
    Effect-size columns (psi, wasserstein, ...) are never corrected: there is no test to correct.
    """
    by_p = {
        name: f.get("p_value")
        for name, f in features.items()
        if f.get("p_value") is not None and f.get("judged_by") == "p_value"
    }
    if by_p and policy.correction != "none":
        for name, q in adjust_pvalues(by_p, policy.correction).items():
            _set_adjusted(features[name], q)
    return [name for name, f in features.items() if f.get("drifted")]


def _set_adjusted(feature: dict[str, Any], q: float | None) -> None:
    """The corrected p-value, and the verdict at the column's threshold (its significance level)."""
    feature["p_adjusted"] = q
    threshold = feature.get("threshold")
    if q is not None and threshold is not None:
        feature["drifted"] = bool(q < float(threshold))


def decide(
    candidates: Iterable[Candidate], previous: Sequence[Mapping[str, Any]], policy: AlertPolicy
) -> list[Candidate]:
    """The candidates that fire now. `previous` are the stream's earlier run records, oldest first."""
    fired = []
    for candidate in candidates:
        if candidate.immediate:
            fired.append(candidate)
            continue
        streak = 1
        for record in reversed(previous):
            if candidate.rule not in _candidate_rules(record):
                break
            streak += 1
        candidate.streak = streak
        if streak >= policy.consecutive:
            fired.append(candidate)
    return fired


def _candidate_rules(record: Mapping[str, Any]) -> set[str]:
    rules = {str(c.get("rule")) for c in record.get("candidates") or () if isinstance(c, Mapping)}
    rules |= {str(a.get("rule")) for a in record.get("alerts") or () if isinstance(a, Mapping)}
    return rules
