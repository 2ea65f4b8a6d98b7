"""Cross-file checks of evaluation.yaml: artifacts declared, sets DVC-tracked, slices parse, metrics fit."""

from __future__ import annotations

from typing import Any

from mlops.config import Document, Project
from mlops.findings import Finding
from mlops.suggest import did_you_mean

CLASSIFICATION = {"auc", "accuracy", "precision", "recall", "f1", "log_loss"}
REGRESSION = {"rmse", "mae", "r2"}


def evaluation_outputs(doc: Document | None, promotion: Document | None) -> set[str]:
    """The metrics files the evaluation stages write (each model's artifact `metrics:`)."""
    if doc is None or not doc.checkable or not isinstance(doc.data, dict):
        return set()
    artifacts = _artifacts(promotion)
    # the sets too: `dvc add`ed data (the set checks report one that is not tracked)
    out = {str(_mapping(spec).get("path", "")).strip("/") for spec in _mapping(doc.data.get("sets")).values()}
    for name in _mapping(doc.data.get("models")):
        metrics = _mapping(artifacts.get(name)).get("metrics")
        if isinstance(metrics, str):
            out.add(metrics)
    return out


def check_evaluation(
    project: Project, doc: Document, promotion: Document | None, tracked: set[str]
) -> list[Finding]:
    if not doc.checkable or not isinstance(doc.data, dict):
        return []
    artifacts = _artifacts(promotion)
    findings: list[Finding] = []
    sets = _mapping(doc.data.get("sets"))
    for name, spec in sets.items():
        findings.extend(_set_findings(project, doc, str(name), _mapping(spec), artifacts, tracked))
    for name, spec in _mapping(doc.data.get("models")).items():
        findings.extend(_model_findings(doc, str(name), _mapping(spec), artifacts, list(sets)))
    return findings


def _set_findings(
    project: Project,
    doc: Document,
    name: str,
    spec: dict[str, Any],
    artifacts: dict[str, Any],
    tracked: set[str],
) -> list[Finding]:
    from mlops.config.project import escapes

    findings = []
    path = str(spec.get("path", ""))
    if escapes(path):
        return [
            doc.finding(
                ("sets", name, "path"),
                f"`{path}` is outside the repository; paths are relative to the repository root and stay inside it",
                rule="path-outside",
            )
        ]
    path = path.strip("/")
    declared = _mapping(artifacts.get(name))
    if not declared:
        findings.append(
            doc.finding(
                ("sets", name),
                f"evaluation set `{name}` is not an artifact of {project.promotion}"
                + did_you_mean(name, list(artifacts))
                + f"; declare it there (path: {path}, type: dataset) so its versions are registered",
                key=True,
                rule="evaluation-artifact",
            )
        )
    elif str(declared.get("path", "")).strip("/") != path:
        findings.append(
            doc.finding(
                ("sets", name, "path"),
                f"evaluation set `{name}`: path `{path}` differs from its artifact's path "
                f"`{declared.get('path')}` in {project.promotion}",
                rule="evaluation-artifact",
            )
        )
    if path and f"{path}.dvc" not in tracked and not _is_file(project, f"{path}.dvc"):
        findings.append(
            doc.finding(
                ("sets", name, "path"),
                f"evaluation set `{name}`: `{path}` is not tracked by DVC (no committed `{path}.dvc`); "
                f"run `dvc add {path}` and commit the .dvc file",
                rule="evaluation-set-tracked",
            )
        )
    return findings


def _model_findings(
    doc: Document, name: str, spec: dict[str, Any], artifacts: dict[str, Any], sets: list[str]
) -> list[Finding]:
    findings = []
    art = _mapping(artifacts.get(name))
    if not art:
        findings.append(
            doc.finding(
                ("models", name),
                f"model `{name}` is not an artifact of the promotion policy"
                + did_you_mean(name, list(artifacts)),
                key=True,
                rule="evaluation-artifact",
            )
        )
    elif not isinstance(art.get("metrics"), str):
        findings.append(
            doc.finding(
                ("models", name),
                f"model `{name}` names no `metrics:` file in the promotion policy: the evaluation "
                "writes its results there, where the gates read them",
                key=True,
                rule="evaluation-metrics-file",
            )
        )
    for i, set_name in enumerate(spec.get("sets") or []):
        if set_name not in sets:
            findings.append(
                doc.finding(
                    ("models", name, "sets", i),
                    f"unknown evaluation set `{set_name}`" + did_you_mean(str(set_name), sets),
                    rule="evaluation-set",
                )
            )
    findings.extend(_slice_and_metric_findings(doc, name, spec))
    return findings


def _slice_and_metric_findings(doc: Document, name: str, spec: dict[str, Any]) -> list[Finding]:
    from mlops.data.expr import lint_expression

    findings = []
    for slice_name, text in _mapping(spec.get("slices")).items():
        problem = lint_expression(text) if isinstance(text, str) else None
        if problem:
            findings.append(
                doc.finding(
                    ("models", name, "slices", slice_name), f"slice `{slice_name}`: {problem}", rule="expr"
                )
            )
    allowed = CLASSIFICATION if spec.get("task") == "classification" else REGRESSION
    for i, metric in enumerate(spec.get("metrics") or []):
        if metric not in allowed:
            findings.append(
                doc.finding(
                    ("models", name, "metrics", i),
                    f"`{metric}` is not a {spec.get('task')} metric (use {', '.join(sorted(allowed))})",
                    rule="evaluation-metric",
                )
            )
    return findings


def _is_file(project: Project, rel: str) -> bool:
    try:
        return project.path(rel).is_file()
    except OSError:
        return False


def _artifacts(promotion: Document | None) -> dict[str, Any]:
    if promotion is None or not isinstance(promotion.data, dict):
        return {}
    return _mapping(promotion.data.get("artifacts"))


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}
