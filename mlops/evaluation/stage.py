"""The evaluation stages `mlops compile` adds to dvc.yaml: one per model, depending on its evaluation sets."""

from __future__ import annotations

import shlex
from typing import Any

from mlops.config.document import Document
from mlops.evaluation.spec import Evaluation, parse

STAGE_COMMAND = "mlops evalset score"


def evaluation_stages(
    doc: Document | None, promotion: Any, evaluation_path: str
) -> dict[str, dict[str, Any]]:
    """Stage name -> DVC stage, for every model of a schema-valid evaluation.yaml (lint reports the rest)."""
    if doc is None or not doc.ok or not isinstance(doc.data, dict):
        return {}
    artifacts = (
        promotion.data.get("artifacts") if promotion is not None and isinstance(promotion.data, dict) else {}
    )
    evaluation = parse(doc)
    out: dict[str, dict[str, Any]] = {}
    for name, model in evaluation.models.items():
        spec = artifacts.get(name) if isinstance(artifacts, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("metrics"), str):
            continue
        out[model.stage] = _stage(evaluation, name, spec, evaluation_path)
    return out


def _stage(evaluation: Evaluation, name: str, spec: dict[str, Any], evaluation_path: str) -> dict[str, Any]:
    model = evaluation.models[name]
    deps = [evaluation_path, str(spec["path"])]
    deps += [evaluation.sets[s].path for s in model.sets if s in evaluation.sets]
    deps += [d for d in model.deps if d not in deps]
    return {
        "desc": f"Standard evaluation of {name} on {', '.join(model.sets)} (generated from {evaluation_path}).",
        "cmd": f"{STAGE_COMMAND} {shlex.quote(name)}",
        "deps": deps,
        "metrics": [{spec["metrics"]: {"cache": False}}],
    }
