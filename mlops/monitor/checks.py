"""Candidates: what is over its threshold in this window (policy.decide then says what fires).

Metric candidates compare live metrics with a baseline of the same scope (overall, or one slice): the offline
metric recorded with the version for that scope, else the median over the stream's earlier windows. Never
a slice against the overall metric: slices differ in base rates, and F1 of a slice with few positives is
naturally lower, which would alert on every batch. A drop counts when it exceeds `max_metric_drop` (absolute
for scores in [0, 1], relative for mae and rmse) and, for scores, also three standard errors of the difference:
the live estimate's (sqrt(p(1-p)/n) with n the rows the metric rests on: all rows for accuracy, actual
positives for recall, predicted positives for precision; Hanley-McNeil for ROC AUC) plus the baseline's (the
offline estimate's when its row count was recorded; a median of k windows about 1.25 se / sqrt(k)). So a slice
of 40 unlucky rows, or an offline slice metric measured on 70 test rows, does not page anyone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from mlops.monitor.metrics import HIGHER_IS_BETTER, METRICS
from mlops.monitor.policy import AlertPolicy, Candidate

# Metrics that can raise alerts; precision and recall are reported but F1 carries them.
WATCHED = {"classification": ("accuracy", "f1", "roc_auc"), "regression": ("mae", "rmse")}
ALIASES = {
    "roc_auc": ("roc_auc", "auc", "rocauc", "roc-auc"),
    "accuracy": ("accuracy", "acc"),
    "f1": ("f1", "f1_score", "f1-score"),
    "precision": ("precision",),
    "recall": ("recall",),
    "mae": ("mae", "mean_absolute_error"),
    "rmse": ("rmse", "root_mean_squared_error"),
}
Z = 3.0  # one-sided, about 0.1% false candidates per metric and scope when nothing changed
BASELINE_WINDOWS = 10  # earlier windows whose median is the baseline when no offline metric exists


def drift_candidates(
    features: Mapping[str, Mapping[str, Any]], drifted: list[str], policy: AlertPolicy
) -> list[Candidate]:
    """One candidate per drifted column, but only when at least `min_drifted_columns` drift together."""
    if len(drifted) < policy.min_drifted_columns:
        return []
    out = []
    for name in drifted:
        f = features[name]
        prefix = "mix" if f.get("judged_by") == "calibrated" and f.get("kind") == "categorical" else "drift"
        out.append(
            Candidate(
                f"{prefix}:{name}",
                "drift",
                policy.severity,
                f"{name}: {describe_drift(f)} ({len(drifted)} of {len(features)} columns drifted)",
            )
        )
    return out


def completeness_candidates(
    features: Mapping[str, Mapping[str, Any]], columns: list[str], policy: AlertPolicy
) -> list[Candidate]:
    """A credible, material change of a column's null share (rule `nulls:COL`)."""
    out = []
    for name in columns:
        n = features[name]["nulls"]
        out.append(
            Candidate(
                f"nulls:{name}",
                "completeness",
                policy.severity,
                f"{name}: nulls {_pct(n.get('reference'))} -> {_pct(n.get('current'))} "
                f"({_points(n.get('change'))}; material from {_points(n.get('threshold'), sign=False)}), "
                f"{_p(n)}",
            )
        )
    return out


def describe_drift(f: Mapping[str, Any]) -> str:
    if f.get("judged_by") == "calibrated":
        return _describe_calibrated(f)
    method = f.get("method") or "drift"
    if f.get("judged_by") == "p_value" and f.get("p_value") is not None:
        p = f.get("p_adjusted") if f.get("p_adjusted") is not None else f.get("p_value")
        label = "adjusted p" if f.get("p_adjusted") is not None else "p"
        return f"{method} {label} {_num(p)} {'<' if f.get('drifted') else '>='} {_num(f.get('threshold'))}"
    return (
        f"{method} {_num(f.get('statistic'))} {'>' if f.get('drifted') else '<='} {_num(f.get('threshold'))}"
    )


def _describe_calibrated(f: Mapping[str, Any]) -> str:
    if f.get("statistic") is None:
        return "no values to compare on one side"
    if f.get("method") == "share":
        c = f.get("category") or {}
        change = float(c.get("current") or 0) - float(c.get("reference") or 0)
        return (
            f"share of `{c.get('value')}` {_pct(c.get('reference'))} -> {_pct(c.get('current'))} "
            f"({_points(change)}; material from {_points(f.get('threshold'), sign=False)}), {_p(f)}"
        )
    shift = f.get("mean_shift_sd")
    mean = f", mean {float(shift):+.2f} sd" if isinstance(shift, (int, float)) else ""
    return f"KS distance {_num(f.get('statistic'))} (material from {_num(f.get('threshold'))}){mean}, {_p(f)}"


def _p(f: Mapping[str, Any]) -> str:
    p = f.get("p_adjusted") if f.get("p_adjusted") is not None else f.get("p_value")
    ok = p is not None and f.get("alpha") is not None and float(p) < float(f["alpha"])
    return f"adjusted p {_num(p)} {'<' if ok else '>='} {_num(f.get('alpha'))}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def _points(value: Any, sign: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * float(value):{'+' if sign else ''}.1f} points"


def prediction_candidates(prediction_drift: Mapping[str, Any] | None, policy: AlertPolicy) -> list[Candidate]:
    if not prediction_drift or not prediction_drift.get("drifted"):
        return []
    against = prediction_drift.get("against")
    return [
        Candidate(
            "prediction_drift",
            "prediction_drift",
            policy.severity,
            f"predictions drifted from the {against}: {describe_drift(prediction_drift)}",
        )
    ]


def offline_metrics(snapshot: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalise a recorded metrics snapshot to {"overall": {metric: value}, "slices": {name: {...}}}."""
    if not isinstance(snapshot, Mapping):
        return {"overall": {}, "slices": {}}
    nested = snapshot.get("metrics")
    data: Mapping[str, Any] = nested if isinstance(nested, Mapping) else snapshot
    overall = _known(data)
    slices = {}
    for name, values in (data.get("slices") or {}).items() if isinstance(data.get("slices"), Mapping) else ():
        if isinstance(values, Mapping):
            slices[str(name)] = _known(values)
    return {"overall": overall, "slices": slices}


def offline_gap(live: Mapping[str, Any], offline: Mapping[str, Any]) -> dict[str, Any]:
    """live - offline for every metric both have, overall and per slice."""
    out: dict[str, Any] = {"overall": _gaps(live.get("overall") or {}, offline["overall"]), "slices": {}}
    for key, values in (live.get("slices") or {}).items():
        recorded = _slice_offline(offline, key)
        if recorded:
            out["slices"][key] = _gaps(values, recorded)
    return out


def metric_candidates(
    live: Mapping[str, Any],
    offline: Mapping[str, Any],
    policy: AlertPolicy,
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[Candidate]:
    task = str(live.get("task") or "classification")
    watched = WATCHED.get(task, METRICS.get(task, ()))
    out = []
    overall = live.get("overall") or {}
    if int(overall.get("rows") or 0) >= policy.min_rows:
        base, source = _baseline(offline["overall"], previous, ("overall",), watched)
        drops = _drops(overall, base, watched, policy, source=source, offline_rows=_rows(offline["overall"]))
        if drops:
            out.append(Candidate("metrics", "metric", policy.severity, "overall: " + "; ".join(drops)))
    for key, values in (live.get("slices") or {}).items():
        if int(values.get("rows") or 0) >= policy.min_rows:
            out += _slice_candidates(key, values, offline, policy, previous, watched)
    return out


def _slice_candidates(
    key: str,
    values: Mapping[str, Any],
    offline: Mapping[str, Any],
    policy: AlertPolicy,
    previous: Sequence[Mapping[str, Any]],
    watched: tuple[str, ...],
) -> list[Candidate]:
    recorded = _slice_offline(offline, key)
    base, source = _baseline(recorded, previous, ("slices", key), watched)
    drops = _drops(values, base, watched, policy, source=source, offline_rows=_rows(recorded))
    if not drops:
        return []
    return [
        Candidate(
            f"metrics:{key}",
            "metric",
            policy.severity,
            f"slice {key} ({values.get('rows')} labeled rows): " + "; ".join(drops),
            details={"slice": key},
        )
    ]


def _baseline(
    recorded: Mapping[str, float],
    previous: Sequence[Mapping[str, Any]],
    path: tuple[str, ...],
    watched: tuple[str, ...],
) -> tuple[dict[str, float], dict[str, str]]:
    """Per metric: the offline value, else the median of the earlier windows (None when neither exists)."""
    import statistics

    base: dict[str, float] = {}
    source: dict[str, str] = {}
    for metric in watched:
        if metric in recorded:
            base[metric], source[metric] = recorded[metric], "offline"
            continue
        seen = _earlier(previous[-BASELINE_WINDOWS:], path, metric)
        if seen:
            base[metric] = statistics.median(seen)
            source[metric] = f"median of {len(seen)} earlier window{'s' if len(seen) > 1 else ''}"
    return base, source


def _earlier(previous: Sequence[Mapping[str, Any]], path: tuple[str, ...], metric: str) -> list[float]:
    """The metric's values in earlier windows, at PATH under `metrics` (overall, or one slice)."""
    seen = []
    for run in previous:
        node: Any = run.get("metrics") or {}
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        value = node.get(metric) if isinstance(node, Mapping) else None
        if isinstance(value, (int, float)) and math.isfinite(value):
            seen.append(float(value))
    return seen


def quality_candidates(failures: list[Mapping[str, Any]]) -> list[Candidate]:
    """Failed data-quality rules fire at once with their own severity."""
    return [
        Candidate(
            f"quality:{f['rule']}",
            "quality",
            str(f.get("severity") or "error"),
            str(f.get("message")),
            immediate=True,
        )
        for f in failures
    ]


def _drops(
    live: Mapping[str, Any],
    baseline: Mapping[str, Any],
    watched: tuple[str, ...],
    policy: AlertPolicy,
    *,
    source: str | Mapping[str, str],
    offline_rows: int | None = None,
) -> list[str]:
    rows = int(live.get("rows") or 0)
    out = []
    for metric in watched:
        value, base = live.get(metric), baseline.get(metric)
        if value is None or base is None or not rows:
            continue
        where = source if isinstance(source, str) else source.get(metric, "")
        if metric in HIGHER_IS_BETTER:
            se = _drop_error(metric, float(base), live, where, offline_rows)
            out += _score_drop(metric, float(value), float(base), where, policy, se)
        else:
            out += _error_rise(metric, float(value), float(base), where, policy)
    return out


def _score_drop(
    metric: str, value: float, base: float, where: str, policy: AlertPolicy, se: float
) -> list[str]:
    """A score (higher is better) fell by more than max_metric_drop and by more than Z standard errors."""
    drop = base - value
    if drop > policy.max_metric_drop and drop > Z * se:
        return [f"{metric} {value:.3f} vs {base:.3f} {where} (-{drop:.3f})"]
    return []


def _error_rise(metric: str, value: float, base: float, where: str, policy: AlertPolicy) -> list[str]:
    """An error (mae, rmse) rose by more than max_metric_drop, relative to the baseline."""
    if base >= 0 and value > base * (1 + policy.max_metric_drop) and value - base > 1e-12:
        rise = (value - base) / base if base else math.inf
        return [f"{metric} {_num(value)} vs {_num(base)} {where} (+{rise:.0%})"]
    return []


def _drop_error(
    metric: str, base: float, live: Mapping[str, Any], where: str, offline_rows: int | None
) -> float:
    """Standard error of live - baseline: the live estimate's plus the baseline's own (offline or median)."""
    se = standard_error(metric, base, live)
    if offline_rows and where.startswith("offline"):
        share = offline_rows / int(live.get("rows") or 0)  # the offline estimate, same class balance assumed
        return math.sqrt(se * se + standard_error(metric, base, live, scale=share) ** 2)
    if where.startswith("median of "):  # windows of about this size: the median's own noise
        windows = int(where.split()[2])
        return math.sqrt(se * se + (1.25 * se) ** 2 / windows)
    return se


def standard_error(metric: str, p: float, counts: Mapping[str, Any], scale: float = 1.0) -> float:
    """Standard error of a score estimated at p from the rows in `counts` (times `scale`)."""
    rows = float(counts.get("rows") or 0) * scale
    positives = counts.get("positives")
    predicted = counts.get("predicted_positives")
    p = min(max(p, 0.0), 1.0)
    if metric == "roc_auc" and positives is not None:
        n_pos, n_neg = max(positives * scale, 1.0), max(rows - positives * scale, 1.0)
        q1, q2 = p / (2 - p), 2 * p * p / (1 + p)
        variance = (p * (1 - p) + (n_pos - 1) * (q1 - p * p) + (n_neg - 1) * (q2 - p * p)) / (n_pos * n_neg)
        return math.sqrt(max(variance, 0.0))
    n = {
        "recall": positives,
        "precision": predicted,
        "f1": min(positives, predicted) if positives is not None and predicted is not None else None,
    }.get(metric)
    effective = float(n) * scale if n is not None else rows
    return math.sqrt(p * (1 - p) / max(effective, 1.0))


def _rows(values: Mapping[str, Any]) -> int | None:
    rows = values.get("rows")
    return int(rows) if isinstance(rows, (int, float)) and not isinstance(rows, bool) and rows > 0 else None


def _known(values: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for metric, names in ALIASES.items():
        for name in names:
            value = values.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                out[metric] = float(value)
                break
    rows = _rows(values)
    if rows:
        out["rows"] = rows  # how many rows the offline metrics rest on (for the noise bound)
    return out


def _slice_offline(offline: Mapping[str, Any], key: str) -> dict[str, float]:
    """Offline slices may be named `column=value` (as monitor names them) or just `value`."""
    slices = offline.get("slices") or {}
    value = key.split("=", 1)[1] if "=" in key else key
    return dict(slices.get(key) or slices.get(value) or {})


def _gaps(live: Mapping[str, Any], offline: Mapping[str, float]) -> dict[str, Any]:
    out = {}
    for metric, recorded in offline.items():
        if metric == "rows":
            continue
        value = live.get(metric)
        if value is not None:
            out[metric] = {"live": value, "offline": recorded, "gap": float(value) - recorded}
    return out


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return (
            f"{value:.3g}"
            if abs(value) < 1e-3 or abs(value) >= 1e4
            else f"{value:.3f}".rstrip("0").rstrip(".")
        )
    return str(value)
