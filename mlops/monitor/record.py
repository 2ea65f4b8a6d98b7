"""The history record of a monitoring run, from what its checks found (the format: mlops.monitor.history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops.monitor.calibration import Materiality
from mlops.monitor.history import SCHEMA, new_run_id
from mlops.monitor.labels import format_time
from mlops.monitor.policy import Candidate
from mlops.monitor.reference import Reference
from mlops.monitor.settings import Settings


@dataclass
class Findings:
    """What one run found, in the order its checks ran, before it becomes the history record."""

    features: dict[str, dict[str, Any]]
    rows: int
    excluded: dict[str, str]
    profile: Any  # the batch's profile of the drift columns
    by_kind: dict[str, list[str]] = field(default_factory=dict)  # calibrated drift, mix, nulls
    drifted: list[str] = field(default_factory=list)
    prediction_drift: dict[str, Any] | None = None
    prediction_baseline: Any = None
    quality: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None
    gap: dict[str, Any] | None = None
    candidates: list[Candidate] = field(default_factory=list)


def run_record(
    data: str,
    settings: Settings,
    reference: Reference,
    found: Findings,
    fired: list[Candidate],
) -> dict[str, Any]:
    """The history record of the run (the promotion `monitor:` gate and `alerts` read it)."""
    run_id = new_run_id(settings.window)
    return {
        "type": "run",
        "schema": SCHEMA,
        "id": run_id,
        "time": format_time(settings.window),
        "artifact": reference.artifact,
        "version": reference.version,
        "ref": reference.ref,
        "commit": reference.commit,
        "data": data,
        "rows": found.rows,
        "features": found.features,
        "metrics": found.metrics,
        "label_coverage": found.coverage["coverage"] if found.coverage else None,
        "alerts": [
            {"id": f"{run_id}/{c.rule}", "rule": c.rule, "severity": c.severity, "message": c.message}
            for c in fired
        ],
        "candidates": [c.to_dict() for c in found.candidates],
        "drift": _drift_section(found, settings),
        "prediction_drift": found.prediction_drift,
        "prediction_baseline": found.prediction_baseline,
        "quality": found.quality,
        "labels": found.coverage,
        "offline_gap": found.gap,
        "offline_source": reference.offline_source,
        "reference": reference.to_dict(),
        "policy": settings.policy.to_dict(),
    }


def _drift_section(found: Findings, settings: Settings) -> dict[str, Any]:
    policy = settings.policy
    return {
        "drifted": found.drifted,
        "tested": len(found.features),
        "min_drifted_columns": policy.min_drifted_columns,
        "correction": policy.correction,
        "p_value": settings.drift.p_value,
        "mode": "fixed" if settings.drift.fixed else "calibrated",
        "alpha": policy.alpha,
        "nulls": found.by_kind["nulls"],
        "mix": found.by_kind["mix"],
        "excluded": found.excluded,
        "materiality": Materiality.from_rules(settings.rules.get("alert")).to_dict(),
    }
