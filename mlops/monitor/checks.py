"""Candidates: what is over its threshold in this window (policy.decide then says what fires).

Metric candidates compare live metrics with a baseline: for a slice, the offline metric of that slice recorded
with the version, else the version's overall offline metric, else the live overall metric of this batch.
A drop counts when it exceeds `max_metric_drop` (absolute for scores in [0, 1], relative for mae and rmse)
and, for scores, also two standard errors of the live estimate (sqrt(p(1-p)/n)), so a slice of 40 unlucky
rows does not page anyone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlops.monitor.metrics import HIGHER_IS_BETTER, METRICS
from mlops.monitor.policy import AlertPolicy, Candidate

# Metrics that can raise alerts; precision and recall are reported but F1 carries them.
WATCHED = {"classification": ("accuracy", "f1", "roc_auc"), "regression": ("mae", "rmse")}
ALIASES = {"roc_auc": ("roc_auc", "auc", "rocauc", "roc-auc"), "accuracy": ("accuracy", "acc"),
           "f1": ("f1", "f1_score", "f1-score"), "precision": ("precision",), "recall": ("recall",),
           "mae": ("mae", "mean_absolute_error"), "rmse": ("rmse", "root_mean_squared_error")}
Z = 2.0


def drift_candidates(features: Mapping[str, Mapping[str, Any]], drifted: list[str],
                     policy: AlertPolicy) -> list[Candidate]:
    """One candidate per drifted column, but only when at least `min_drifted_columns` drift together."""
    if len(drifted) < policy.min_drifted_columns:
        return []
    out = []
    for name in drifted:
        f = features[name]
        out.append(Candidate(f"drift:{name}", "drift", policy.severity,
                             f"{name}: {describe_drift(f)} ({len(drifted)} of {len(features)} columns drifted)"))
    return out


def describe_drift(f: Mapping[str, Any]) -> str:
    method = f.get("method") or "drift"
    if f.get("judged_by") == "p_value" and f.get("p_value") is not None:
        p = f.get("p_adjusted") if f.get("p_adjusted") is not None else f.get("p_value")
        label = "adjusted p" if f.get("p_adjusted") is not None else "p"
        return f"{method} {label} {_num(p)} {'<' if f.get('drifted') else '>='} {_num(f.get('threshold'))}"
    return f"{method} {_num(f.get('statistic'))} {'>' if f.get('drifted') else '<='} {_num(f.get('threshold'))}"


def prediction_candidates(prediction_drift: Mapping[str, Any] | None, policy: AlertPolicy) -> list[Candidate]:
    if not prediction_drift or not prediction_drift.get("drifted"):
        return []
    against = prediction_drift.get("against")
    return [Candidate("prediction_drift", "prediction_drift", policy.severity,
                      f"predictions drifted from the reference's `{against}`: {describe_drift(prediction_drift)}")]


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


def metric_candidates(live: Mapping[str, Any], offline: Mapping[str, Any], policy: AlertPolicy) -> list[Candidate]:
    task = str(live.get("task") or "classification")
    watched = WATCHED.get(task, METRICS.get(task, ()))
    overall = live.get("overall") or {}
    out = []
    drops = _drops(overall, offline["overall"], watched, policy, source="offline")
    if drops:
        out.append(Candidate("metrics", "metric", policy.severity, "overall: " + "; ".join(drops)))
    for key, values in (live.get("slices") or {}).items():
        if (values.get("rows") or 0) < policy.min_rows:
            continue
        recorded = _slice_offline(offline, key)
        baseline = {m: recorded.get(m, offline["overall"].get(m, overall.get(m))) for m in watched}
        source = {m: ("offline slice" if m in recorded else "offline" if m in offline["overall"] else "overall")
                  for m in watched}
        drops = _drops(values, baseline, watched, policy, source=source)
        if drops:
            out.append(Candidate(f"metrics:{key}", "metric", policy.severity,
                                 f"slice {key} ({values.get('rows')} labeled rows): " + "; ".join(drops),
                                 details={"slice": key}))
    return out


def quality_candidates(failures: list[Mapping[str, Any]]) -> list[Candidate]:
    """Failed data-quality rules fire at once with their own severity."""
    return [Candidate(f"quality:{f['rule']}", "quality", str(f.get("severity") or "error"), str(f.get("message")),
                      immediate=True) for f in failures]


def _drops(live: Mapping[str, Any], baseline: Mapping[str, Any], watched: tuple[str, ...], policy: AlertPolicy,
           *, source: str | Mapping[str, str]) -> list[str]:
    rows = int(live.get("rows") or 0)
    out = []
    for metric in watched:
        value, base = live.get(metric), baseline.get(metric)
        if value is None or base is None or not rows:
            continue
        value, base = float(value), float(base)
        where = source if isinstance(source, str) else source.get(metric, "")
        if metric in HIGHER_IS_BETTER:
            drop = base - value
            noise = Z * math.sqrt(max(base * (1 - base), 0.0) / rows)
            if drop > policy.max_metric_drop and drop > noise:
                out.append(f"{metric} {value:.3f} vs {base:.3f} {where} (-{drop:.3f})")
        elif base >= 0 and value > base * (1 + policy.max_metric_drop) and value - base > 1e-12:
            out.append(f"{metric} {_num(value)} vs {_num(base)} {where} (+{(value - base) / base if base else math.inf:.0%})")
    return out


def _known(values: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for metric, names in ALIASES.items():
        for name in names:
            value = values.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                out[metric] = float(value)
                break
    return out


def _slice_offline(offline: Mapping[str, Any], key: str) -> dict[str, float]:
    """Offline slices may be named `column=value` (as monitor names them) or just `value`."""
    slices = offline.get("slices") or {}
    value = key.split("=", 1)[1] if "=" in key else key
    return dict(slices.get(key) or slices.get(value) or {})


def _gaps(live: Mapping[str, Any], offline: Mapping[str, float]) -> dict[str, Any]:
    out = {}
    for metric, recorded in offline.items():
        value = live.get(metric)
        if value is not None:
            out[metric] = {"live": value, "offline": recorded, "gap": float(value) - recorded}
    return out


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)
