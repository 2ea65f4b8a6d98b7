"""Checks that span files: pipelines (delegated to mlops.pipeline.checks), promotion and registry."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

from mlops.config import Document, Project
from mlops.findings import Finding
from mlops.lint.ownership import owner_findings


def check(project: Project, docs: list[Document]) -> list[Finding]:
    promotion = _named(docs, "Promotion", project.promotion)
    registry = _named(docs, "Registry", project.registry)
    findings, outputs = _pipelines(project, docs)
    evaluation = _named(docs, "Evaluation", project.evaluation)
    findings.extend(_evaluation(project, evaluation, promotion))
    outputs = _with_evaluation_outputs(outputs, evaluation, promotion)
    findings.extend(_rules_files(project, docs))
    findings.extend(_stage_engines(project, docs))
    if promotion is not None and promotion.ok:
        findings.extend(_policy(project, promotion, outputs))
    if registry is not None and registry.ok:
        findings.extend(_registry(project, registry, promotion))
    findings.extend(_outside(project, promotion))
    return findings


def _named(docs: list[Document], kind: str, path: str) -> Document | None:
    """The document of KIND at the path mlops.yaml names for it, if it was read."""
    return next((d for d in docs if d.kind == kind and d.path == path), None)


def _pipelines(project: Project, docs: list[Document]) -> tuple[list[Finding], set[str] | None]:
    """The pipelines' cross-file findings and every path they produce (None when that area is absent)."""
    if not _has_module("mlops.pipeline.checks"):
        return [], None
    from mlops.pipeline import checks as pipeline_checks

    pipelines = [d for d in docs if d.kind == "Pipeline"]

    findings = list(pipeline_checks.check_pipelines(project, pipelines))
    return findings, pipeline_checks.pipeline_outputs(project, pipelines)


def _with_evaluation_outputs(
    outputs: set[str] | None, evaluation: Document | None, promotion: Document | None
) -> set[str] | None:
    """Pipeline outputs plus the files the evaluation writes (None stays None: no pipeline area)."""
    if outputs is None:
        return None
    return outputs | _evaluation_outputs(evaluation, promotion)


def _rules_files(project: Project, docs: list[Document]) -> list[Finding]:
    findings = []
    for doc in docs:
        if doc.kind == "Rules" and doc.checkable:
            findings.extend(rules_checks(project, doc))
    return findings


def _policy(project: Project, promotion: Document, outputs: set[str] | None) -> list[Finding]:
    """Everything checked about a schema-valid promotion.yaml."""
    from mlops.promotion.fallback_audit import lint_fallbacks

    findings = _promotion(project, promotion, outputs)
    findings.extend(lint_fallbacks(project.root, promotion))
    findings.extend(owner_findings(promotion))
    return findings


def _outside(project: Project, promotion: Document | None) -> list[Finding]:
    """Every configured path stays inside the repository (reads and writes never leave it)."""
    from mlops.config.project import escapes

    findings = [
        Finding(
            rel,
            1,
            1,
            f"`{rel}` is a symlink to a file outside the repository; mlops reads "
            "nothing outside the repository",
            "error",
            "path-outside",
        )
        for rel in project.outside
    ]
    if promotion is None or not isinstance(promotion.data, dict):
        return findings
    for json_path, value in _policy_paths(promotion.data):
        if isinstance(value, str) and escapes(value):
            findings.append(
                promotion.finding(
                    json_path,
                    f"`{value}` is outside the repository; paths are "
                    "relative to the repository root and stay inside it",
                    rule="path-outside",
                )
            )
    return findings


def _policy_paths(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """(where, value) of each path promotion.yaml names, whatever its shape (the schema reports that)."""
    where: list[tuple[tuple[Any, ...], Any]] = [(("allowed_signers",), data.get("allowed_signers"))]
    for name, spec in _mapping(data.get("artifacts")).items():
        for key in ("path", "metrics", "training_data", "profile"):
            where.append((("artifacts", name, key), _mapping(spec).get(key)))
    for stage, spec in _mapping(data.get("stages")).items():
        gates = _mapping(spec).get("gates")
        for i, gate in enumerate(gates if isinstance(gates, list) else []):
            for key in ("validation", "monitor"):
                where.append((("stages", stage, "gates", i, key), _mapping(gate).get(key)))
    return where


def _evaluation(project: Project, doc: Document | None, promotion: Document | None) -> list[Finding]:
    """evaluation.yaml against the policy and the DVC-tracked files (mlops.evaluation.lint)."""
    if doc is None or not _has_module("mlops.evaluation.lint"):
        return []
    from mlops.evaluation.lint import check_evaluation

    return check_evaluation(project, doc, promotion, _known_paths(project))


def _evaluation_outputs(doc: Document | None, promotion: Document | None) -> set[str]:
    if doc is None or not _has_module("mlops.evaluation.lint"):
        return set()
    from mlops.evaluation.lint import evaluation_outputs

    return evaluation_outputs(doc, promotion)


def _mapping(value: Any) -> dict[Any, Any]:
    """The value when it is a mapping, else empty: the schema reports a wrong shape, this must not crash."""
    return value if isinstance(value, dict) else {}


def referenced_files(project: Project, docs: list[Document]) -> set[str]:
    """Files whose problems matter when linting `docs`: rules named by their validate stages, and so on."""
    refs: set[str] = set()
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) and doc.checkable else {}
        if doc.kind == "Pipeline":
            for stage in (data.get("stages") or {}).values():
                if isinstance(stage, dict) and isinstance(stage.get("rules"), str):
                    refs.add(stage["rules"])
        elif doc.kind == "Registry":
            refs.add(project.promotion)
    return refs


def rules_checks(project: Project, doc: Document) -> list[Finding]:
    """Everything validate checks before reading data: expressions, where filters, patterns (one code path)."""
    if not _has_module("mlops.data.rules"):
        return []
    from mlops.data.rules import rules_findings

    try:
        text = project.path(doc.path).read_text("utf-8", errors="replace")
    except OSError:
        text = ""
    return rules_findings(doc, text) or engine_refusals(project, doc)


def _stage_engines(project: Project, docs: list[Document]) -> list[Finding]:
    """Rules a `validate:` stage's own `engine:` cannot run, refused in the rules file for that stage."""
    rules = {d.path: d for d in docs if d.kind == "Rules" and d.checkable}
    findings = []
    for pipeline, name, stage in _rules_stages(docs):
        engine = stage.get("engine")
        if stage["rules"] in rules and engine not in (None, project.engine):
            origin = f"stage `{name}` in {pipeline.path}"
            findings.extend(engine_refusals(project, rules[stage["rules"]], str(engine), origin))
    return findings


def _rules_stages(docs: list[Document]) -> Iterator[tuple[Document, str, dict[str, Any]]]:
    """(pipeline, stage name, stage) of every stage that names a rules file."""
    for pipeline in docs:
        if pipeline.kind == "Pipeline" and pipeline.checkable and isinstance(pipeline.data, dict):
            for name, stage in (pipeline.data.get("stages") or {}).items():
                if isinstance(stage, dict) and isinstance(stage.get("rules"), str):
                    yield pipeline, str(name), stage


def engine_refusals(
    project: Project, doc: Document, engine: str | None = None, origin: str = "mlops.yaml"
) -> list[Finding]:
    """Rules the engine mlops.yaml (or a pipeline stage) names cannot run: refused here, not when the data
    is read."""
    engine = engine or project.engine
    if engine in (None, "pandas", "polars"):  # these two run every rule kind
        return []
    from mlops.data.engines import refusals
    from mlops.data.rules import build_rules
    from mlops.errors import ConfigError

    try:
        rules = build_rules(doc.data, doc.path, locate=lambda jp, msg, pos: Finding(doc.path, 0, 0, msg))
    except ConfigError:
        return []
    findings = []
    for rule in rules.rules:
        why = refusals(str(engine), rule)
        if why:
            where = ("columns", rule.column) if rule.scope == "column" and rule.column else ()
            message = f"rule `{rule.id}` cannot run on the {engine} engine ({origin}): {why}"
            findings.append(doc.finding(where, message, rule="engine"))
    return findings


def _promotion(project: Project, doc: Document, outputs: set[str] | None) -> list[Finding]:
    data = doc.data
    stage_names = list((data.get("stages") or {}).keys())
    artifacts = data.get("artifacts") or {}
    findings = _artifact_paths(project, doc, artifacts, outputs)
    for stage, spec in (data.get("stages") or {}).items():
        spec = spec or {}
        findings.extend(_stage_order(doc, stage, spec.get("after"), stage_names))
        findings.extend(_stage_artifacts(doc, stage, spec.get("artifacts") or [], list(artifacts)))
        for i, gate in enumerate(spec.get("gates") or []):
            findings.extend(_environment_gate(doc, stage, i, gate, stage_names))
            findings.extend(_gate(doc, ("stages", stage, "gates", i), gate))
    return findings


def _artifact_paths(
    project: Project, doc: Document, artifacts: dict[str, Any], outputs: set[str] | None
) -> list[Finding]:
    """Each artifact's path and metrics are produced by a pipeline stage or tracked in the repository."""
    if outputs is None:  # no pipeline area: nothing to compare with
        return []
    findings = []
    known = _known_paths(project)
    for name, art in artifacts.items():
        for key in ("path", "metrics"):
            path = art.get(key)
            if path and not _produced(path, outputs) and path not in known:
                findings.append(
                    doc.finding(
                        ("artifacts", name, key),
                        f"artifact `{name}`: {key} `{path}` is not produced by any pipeline "
                        "stage and is not tracked in the repository",
                        rule="artifact-path",
                    )
                )
    return findings


def _stage_artifacts(doc: Document, stage: str, names: list[str], artifacts: list[str]) -> list[Finding]:
    """The artifacts a stage lists are defined under `artifacts:`."""
    return [
        doc.finding(
            ("stages", stage, "artifacts"),
            f"stage `{stage}` names unknown artifact `{art}`" + _suggest(art, artifacts),
            rule="unknown-artifact",
        )
        for art in names
        if art not in artifacts
    ]


def _stage_order(doc: Document, stage: str, after: Any, stage_names: list[str]) -> list[Finding]:
    """`after:` names a stage listed before this one."""
    if not isinstance(after, str):
        return []
    where = ("stages", stage, "after")
    if after not in stage_names:
        message = f"stage `{stage}`: `after: {after}` names no stage" + _suggest(after, stage_names)
        return [doc.finding(where, message, rule="unknown-stage")]
    if stage_names.index(after) >= stage_names.index(stage):
        message = (
            f"stage `{stage}` comes after `{after}` but is listed before it; "
            "stages are listed in promotion order"
        )
        return [doc.finding(where, message, rule="stage-order")]
    return []


def _gate(doc: Document, where: tuple[Any, ...], gate: dict[str, Any]) -> list[Finding]:
    """A gate's keys that only make sense together."""
    findings = []
    if "not_worse_than" in gate and "metric" not in gate:
        findings.append(doc.finding(where, "`not_worse_than` needs a `metric`", rule="gate"))
    if gate.get("monitor") and not gate.get("no_alerts_for"):
        findings.append(doc.finding(where, "a `monitor:` gate needs `no_alerts_for`", rule="gate"))
    if "metric" in gate and not any(k in gate for k in ("min", "max", "not_worse_than")):
        message = f"gate on `{gate['metric']}` has no threshold (`min`, `max` or `not_worse_than`)"
        findings.append(doc.finding(where, message, rule="gate"))
    return findings


def _registry(project: Project, doc: Document, promotion: Document | None) -> list[Finding]:
    if promotion is None:
        return [
            doc.finding(
                ("kind",),
                f"registry names artifacts but there is no {project.promotion} defining them",
                rule="unknown-artifact",
            )
        ]
    if not promotion.ok:
        return []
    artifacts = promotion.data.get("artifacts") or {}
    stages = list((promotion.data.get("stages") or {}).keys())
    findings = []
    for name, assignments in doc.data.items():
        if name in ("kind", "version"):
            continue
        if name not in artifacts:
            findings.append(
                doc.finding(
                    (name,),
                    f"unknown artifact `{name}`"
                    + _suggest(name, list(artifacts))
                    + f" (artifacts are defined in {project.promotion})",
                    key=True,
                    rule="unknown-artifact",
                )
            )
            continue
        findings.extend(_registry_stages(project, doc, name, assignments or {}, stages))
    return findings


def _registry_stages(
    project: Project, doc: Document, name: str, assignments: dict[str, Any], stages: list[str]
) -> list[Finding]:
    """The stages an artifact is assigned to in registry.yaml are stages of the promotion policy."""
    return [
        doc.finding(
            (name, stage),
            f"unknown stage `{stage}` for `{name}`"
            + _suggest(stage, stages)
            + f" (stages are defined in {project.promotion})",
            key=True,
            rule="unknown-stage",
        )
        for stage in assignments
        if stage not in stages
    ]


def _environment_gate(doc: Document, stage: str, i: int, gate: Any, stage_names: list[str]) -> list[Finding]:
    """An `environment: {same_as: STAGE}` gate names a declared stage."""
    env = gate.get("environment") if isinstance(gate, dict) else None
    same_as = env.get("same_as") if isinstance(env, dict) else None
    if not isinstance(same_as, str) or same_as in stage_names:
        return []
    return [
        doc.finding(
            ("stages", stage, "gates", i, "environment", "same_as"),
            f"stage `{stage}`: `same_as: {same_as}` names no stage" + _suggest(same_as, stage_names),
            rule="unknown-stage",
        )
    ]


def _produced(path: str, outputs: set[str]) -> bool:
    path = path.rstrip("/")
    return path in outputs or any(path.startswith(out.rstrip("/") + "/") for out in outputs)


def _known_paths(project: Project) -> set[str]:
    from mlops import git

    try:
        tracked = git.tracked_files(project.root)
    except Exception:  # noqa: BLE001 - outside a repository nothing is tracked
        tracked = set()
    known = set(tracked)
    for t in tracked:  # `data.csv.dvc` tracks data.csv
        if t.endswith(".dvc"):
            known.add(t[:-4])
    return known


def _suggest(word: str, options: list[str]) -> str:
    from mlops.suggest import did_you_mean

    return did_you_mean(word, options)


def _has_module(name: str) -> bool:
    """True when an optional part of mlops is present (areas land independently)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
