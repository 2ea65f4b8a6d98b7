"""`mlops compile`: check everything, then write dvc.yaml atomically (or report that it is stale)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from mlops.errors import ConfigError, InputError
from mlops.findings import Finding, sort_findings
from mlops.pipeline.compiler import Compiled, is_generated, render

ADOPT_HINT = (
    "run `mlops import-dvc` to turn it into a Pipeline file, then `mlops compile --force` "
    "to replace it with the generated one"
)


@dataclass
class CompileResult:
    path: str  # dvc.yaml, relative to the root
    stages: list[str]
    sources: list[str]
    changed: bool  # the file on disk differs (or is missing)
    written: bool = False
    diff: str = ""
    warnings: list[Finding] = field(default_factory=list)


def plan(project: Any) -> tuple[Compiled, Any]:
    """Read, check and render every Pipeline file; raise ConfigError with every located error."""
    from mlops.config import read_document
    from mlops.findings import unique
    from mlops.pipeline.build import build
    from mlops.pipeline.checks import check_model
    from mlops.pipeline.load import read_pipelines

    docs = read_pipelines(project)
    if not docs:
        patterns = ", ".join(project.pipelines)
        raise InputError(
            f"no pipeline files found ({patterns})",
            hint="write one (see `mlops init`) or run `mlops import-dvc` on an existing dvc.yaml",
        )
    findings: list[Finding] = [f for d in docs for f in d.findings]
    promotion = None
    if project.path(project.promotion).is_file():
        promotion = read_document(
            project.path(project.promotion), shown=project.promotion, expected_kind="Promotion"
        )
        findings.extend(promotion.findings)
    evaluation = None
    if project.path(project.evaluation).is_file():
        evaluation = read_document(
            project.path(project.evaluation), shown=project.evaluation, expected_kind="Evaluation"
        )
        findings.extend(evaluation.findings)
    pipeline, problems = build(project, docs)
    findings.extend(problems)
    findings.extend(check_model(project, pipeline))
    findings = unique(findings)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ConfigError(sort_findings(errors))
    compiled = render(pipeline, promotion, project.promotion, evaluation, project.evaluation)
    compiled.findings = findings + compiled.findings  # render warns about stages it writes one by one
    return compiled, pipeline


def current(project: Any) -> str | None:
    path = project.path(project.dvc_yaml)
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{project.dvc_yaml}: cannot read: {exc}") from None


def short_diff(old: str | None, new: str, name: str, limit: int = 40) -> str:
    lines = list(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{name} (on disk)",
            f"{name} (compiled)",
            n=1,
        )
    )
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more diff lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compile_project(project: Any, *, check: bool = False, force: bool = False) -> CompileResult:
    compiled, _ = plan(project)
    existing = current(project)
    result = CompileResult(
        project.dvc_yaml,
        compiled.stages,
        compiled.sources,
        existing != compiled.text,
        warnings=[f for f in compiled.findings if f.severity != "error"],
    )
    if check:
        if result.changed:
            result.diff = short_diff(existing, compiled.text, project.dvc_yaml)
        return result
    if existing is not None and not is_generated(existing) and not force:
        raise InputError(
            f"{project.dvc_yaml} was not written by mlops; refusing to overwrite it", hint=ADOPT_HINT
        )
    if result.changed:
        from mlops import atomic

        atomic.write_text(project.path(project.dvc_yaml), compiled.text)
        result.written = True
    return result


def is_stale(project: Any) -> bool:
    compiled, _ = plan(project)
    return current(project) != compiled.text
