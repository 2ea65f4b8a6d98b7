"""Evaluation sets and the standard evaluation: score, add rows from production failures, show, evaluate REF."""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops.evaluation.evalset import AddResult, ShowResult
from mlops.evaluation.reevaluate import Reevaluated

__all__ = ["evalset_add", "evalset_show", "evalset_score", "evaluate"]


def _root(root: str | os.PathLike[str] | None) -> Path:
    from mlops.git import find_root

    return Path(root) if root is not None else find_root()


def _contract(base: Path) -> tuple[Any, Any]:
    from mlops.config import load_project
    from mlops.evaluation.spec import load

    project = load_project(base)
    return project, load(base, project.evaluation)


def evalset_score(artifact: str, *, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Score ARTIFACT on its evaluation sets in the work tree and write its metrics file (the DVC stage)."""
    from mlops.evaluation.score import run_evaluation
    from mlops.promotion.policy import load_policy

    base = _root(root)
    project, evaluation = _contract(base)
    spec = load_policy(base, project.promotion).artifact(artifact)
    if not spec.metrics:
        from mlops.errors import InputError

        raise InputError(f"{artifact} names no `metrics:` file in {project.promotion}")
    data = run_evaluation(base, evaluation, artifact, spec.metrics)
    return {"artifact": artifact, "metrics_file": spec.metrics, "metrics": data}


def evalset_add(
    name: str,
    source_file: str | os.PathLike[str],
    reason: str,
    *,
    source: str | None = None,
    now: datetime | None = None,
    root: str | os.PathLike[str] | None = None,
) -> AddResult:
    """Append the rows of SOURCE_FILE to evaluation set NAME (skipping keys it holds), with provenance;
    `dvc add`, commit, and register the set's next version. Refuses a dirty work tree."""
    from mlops import git, refs
    from mlops.errors import UsageError
    from mlops.evaluation.evalset import add_rows, provenance, write_and_commit

    base = _root(root)
    if not reason.strip():
        raise UsageError("--reason must say why these rows are added (it is recorded on each row)")
    git.require_clean(base, "evalset add")
    _project, evaluation = _contract(base)
    evalset = evaluation.set(name)
    if source is not None:
        resolved = refs.resolve(source, base)  # the model version that failed on the rows must exist
        source = f"{resolved.artifact}@{resolved.version}" if resolved.version else source
    path = Path(source_file)
    result, data = add_rows(
        base,
        evalset,
        path if path.is_absolute() else Path.cwd() / path,
        provenance(base, reason, source, now),
    )
    if not result.added:
        return result
    message = f"evalset {name}: add {result.added} row(s): {reason}"
    result.commit = write_and_commit(base, evalset, data, message)
    registered = _register(base, name, result, reason)
    result.tag, result.version = registered["tag"], registered["version"]
    return result


def _register(base: Path, name: str, result: AddResult, reason: str) -> dict[str, Any]:
    from mlops.api.registry import register

    extra = {
        "evalset": {"added": result.added, "rows": result.rows, "reason": reason, "source": result.source}
    }
    return register(
        name,
        "HEAD",
        bump="minor",
        message=f"Register {name}: +{result.added} row(s): {reason}",
        extra=extra,
        root=base,
    )


def evalset_show(name: str, *, root: str | os.PathLike[str] | None = None) -> ShowResult:
    """The set's registered versions (newest first, with what each added) and where its rows came from."""
    from mlops.evaluation.evalset import _read, origins
    from mlops.registry import read_state

    base = _root(root)
    _project, evaluation = _contract(base)
    evalset = evaluation.set(name)
    target = base / evalset.path
    from mlops.errors import InputError

    if not target.is_file():
        raise InputError(
            f"{evalset.path}: the evaluation set's file is missing (run `dvc pull` or `dvc checkout`)"
        )
    frame = _read(target, evalset.path)
    result = ShowResult(name, evalset.path, int(len(frame)), origins=origins(frame))
    art = read_state(base).artifact(name)
    for v in reversed(art.versions if art else []):
        data = v.message_data
        added = data.get("evalset")
        result.versions.append(
            {
                "version": v.version,
                "commit": v.commit,
                "created_at": v.created_at.isoformat(),
                "author": v.author,
                "md5": (data.get("hash") or {}).get("md5"),
                "deregistered": v.deregistered,
                "added": added if isinstance(added, dict) else None,
            }
        )
    return result


def evaluate(ref: str, *, root: str | os.PathLike[str] | None = None) -> Reevaluated:
    """Score version REF on today's evaluation sets in a temporary worktree; write
    reports/evaluations/ARTIFACT/VERSION.json for the incumbent comparison. Refuses a dirty work tree."""
    from mlops import git
    from mlops.evaluation.reevaluate import reevaluate
    from mlops.promotion.policy import load_policy

    base = _root(root)
    git.require_clean(base, "evaluate")
    project, evaluation = _contract(base)
    policy = load_policy(base, project.promotion)
    artifact = ref.split("@", 1)[0].split("#", 1)[0]
    spec = policy.artifacts.get(artifact)
    metrics_file = spec.metrics if spec is not None and spec.metrics else "metrics/evaluation.json"
    return reevaluate(base, ref, evaluation, project.evaluation, metrics_file, project.reports)


def as_dict(result: AddResult | ShowResult | Reevaluated) -> dict[str, Any]:
    return asdict(result)
