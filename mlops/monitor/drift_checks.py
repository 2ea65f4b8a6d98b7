"""Drift of each column of a batch, and of its predictions, against a baseline profile: calibrated checks
(mlops.monitor.calibration), or a fixed method and threshold where the rules or options set one."""

from __future__ import annotations

from typing import Any

from mlops.monitor.calibration import Materiality, judge
from mlops.monitor.policy import AlertPolicy
from mlops.monitor.reference import Reference
from mlops.monitor.settings import DriftSettings


def column_results(
    current: Any, reference: Any, columns: list[str], drift: DriftSettings
) -> dict[str, dict[str, Any]]:
    """Per column: calibrated checks, or the fixed method/threshold (everywhere, or per column)."""
    from mlops.monitor.calibration import column_checks

    per_column = drift.cfg.get("per_column") or {}
    features: dict[str, dict[str, Any]] = {}
    for name in columns:
        override = per_column.get(name) or {}
        materiality = Materiality.from_rules(drift.alert, name)
        if drift.fixed or "method" in override or "threshold" in override:
            features[name] = _fixed_entry(current, reference, name, drift, materiality)
        else:
            features[name] = column_checks(current.columns[name], reference.columns[name], materiality)
    return features


def _fixed_entry(
    current: Any, reference: Any, name: str, drift: DriftSettings, materiality: Materiality
) -> dict[str, Any]:
    """A column judged by a fixed method and threshold (its statistic or p-value), plus completeness."""
    from mlops.data.drift import drift_scores
    from mlops.monitor.calibration import null_check

    result = drift_scores(
        current,
        reference,
        [name],
        method=drift.method,
        per_column=drift.cfg.get("per_column") or {},
        threshold=drift.threshold,
        p_value=drift.p_value,
    )[name]
    entry = result.to_dict()
    entry.pop("column", None)
    entry["judged_by"] = _judged_by(drift, result)
    entry["nulls"] = null_check(current.columns[name], reference.columns[name], materiality.nulls)
    return entry


def _judged_by(drift: DriftSettings, result: Any) -> str:
    return "p_value" if drift.p_value and result.p_value is not None else "statistic"


def prediction_drift(
    frame: Any,
    reference: Reference,
    predictions: str | None,
    drift: DriftSettings,
    previous: list[dict[str, Any]],
    calibrated: AlertPolicy | None = None,
    profile: Any = None,
) -> tuple[dict[str, Any] | None, Any]:
    """Predictions against the reference's predictions column when it has one; else against the stream's
    baseline window (the first run of this version, which stores its predictions' profile).

    Never against the training labels: a model that is right but conservative predicts fewer positives than
    the base rate, and that difference would alert on every batch. `profile`: the batch's profile of the
    predictions column when it is already known (Spark profiles it on the executors), else built from
    `frame`. Returns (result, profile to store)."""
    if not predictions:
        return None, None
    import pandas as pd

    from mlops.data.drift import drift_scores
    from mlops.data.profile import build_profile

    name = predictions
    current = profile if profile is not None else build_profile(pd.DataFrame({name: frame[name]}))
    baseline, against = _prediction_baseline(name, reference, previous)
    if baseline is None:  # the first window of this version: it becomes the baseline (or a bad stored one)
        return (against, current.columns[name].to_dict()) if against else (None, None)
    if calibrated is not None:
        return _calibrated_prediction(current, baseline, name, drift.alert, calibrated, against), None
    result = drift_scores(
        current, baseline, [name], method=drift.method, threshold=drift.threshold, p_value=drift.p_value
    ).get(name)
    if result is None:
        return None, None
    entry = result.to_dict()
    entry["against"] = against
    entry["judged_by"] = _judged_by(drift, result)
    return entry, None


def _prediction_baseline(name: str, reference: Reference, previous: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(profile, what it is) to judge predictions against. No profile: (None, the result saying this window
    is the baseline), or (None, None) when the stored baseline cannot be read."""
    from mlops.data.profile import ColumnProfile, Profile

    if name in reference.profile.columns:
        return reference.profile, f"reference {reference.path}"
    stored = next((r for r in previous if isinstance(r.get("prediction_baseline"), dict)), None)
    if stored is None:
        return None, {"column": name, "against": None, "baseline": "this window (the first of this version)"}
    try:
        column = ColumnProfile.from_dict(name, stored["prediction_baseline"])
    except (KeyError, TypeError, ValueError):
        return None, None
    return Profile(column.count, {name: column}), f"baseline window {stored.get('time')}"


def _calibrated_prediction(
    current: Any, baseline: Any, name: str, alert: dict[str, Any], policy: AlertPolicy, against: str
) -> dict[str, Any]:
    from mlops.monitor.calibration import column_checks

    entry = column_checks(current.columns[name], baseline.columns[name], Materiality.from_rules(alert))
    entry.pop("nulls", None)
    judge({name: entry}, policy.alpha, "none")  # one test: nothing to correct across
    entry.update({"column": name, "against": against})
    return entry
