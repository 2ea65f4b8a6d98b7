"""`mlops evaluate REF`: score an older version on today's evaluation sets, for incumbent comparisons.

REF's commit is checked out in a temporary worktree sharing the DVC cache (as `mlops reproduce` does) and its
outputs restored from the cache; today's evaluation.yaml and today's set files are copied in; the standard
evaluation runs there (REF's model and predict code, today's contract and data). The result is written to
`reports/evaluations/ARTIFACT/VERSION.json`, where the `not_worse_than: incumbent` gate finds it once committed
(it is reviewed in the pull request like any change).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops import atomic, refs
from mlops.errors import InputError, UsageError
from mlops.evaluation.spec import Evaluation, inside


@dataclass
class Reevaluated:
    ref: str
    artifact: str
    version: str
    commit: str
    path: str  # the results file, relative to the root
    metrics: dict[str, Any]


def _checkout_all(tree: Path) -> None:
    from mlops.reproduce import dvcrepo

    with dvcrepo.dvc_errors("could not restore the version's outputs from the DVC cache"):
        repo = dvcrepo.open_repo(tree)
        try:
            repo.checkout()
        finally:
            repo.close()


def _prepare(root: Path, tree: Path, commit: str, evaluation: Evaluation, rel: str, artifact: str) -> None:
    from mlops.reproduce import dvcrepo, worktree

    with dvcrepo.dvc_errors("could not prepare the worktree"):
        main = dvcrepo.open_repo(root)
        try:
            worktree.add(root, tree, commit)
            worktree.share_cache(main, tree)
        finally:
            main.close()
    _checkout_all(tree)
    shutil.copyfile(root / rel, tree / rel)
    for evalset in evaluation.sets_of(artifact):
        source = inside(root, evalset)
        if not source.is_file():
            raise InputError(f"{evalset.path}: today's evaluation set is missing (run `dvc checkout`)")
        (tree / evalset.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tree / evalset.path)


def reevaluate(
    root: Path, ref: str, evaluation: Evaluation, rel: str, metrics_file: str, reports: str
) -> Reevaluated:
    from mlops.evaluation.gate import reevaluation_path
    from mlops.evaluation.score import run_evaluation
    from mlops.reproduce import worktree

    resolved = refs.resolve(ref, root)
    if resolved.artifact is None or resolved.version is None:
        raise UsageError(f"`{ref}` names no registered version: give ARTIFACT@vX.Y.Z or ARTIFACT#STAGE")
    if resolved.artifact not in evaluation.models:
        raise InputError(f"{rel}: no evaluation for `{resolved.artifact}`")
    temp = Path(tempfile.mkdtemp(prefix=f"mlops-evaluate-{resolved.commit[:8]}-"))
    tree = temp / "worktree"
    try:
        _prepare(root, tree, resolved.commit, evaluation, rel, resolved.artifact)
        data = run_evaluation(tree, evaluation, resolved.artifact, metrics_file)
    finally:
        worktree.remove(root, tree)
        shutil.rmtree(temp, ignore_errors=True)
    data["reevaluated"] = {"ref": ref, "version": resolved.version, "commit": resolved.commit}
    out = reevaluation_path(reports, resolved.artifact, resolved.version)
    (root / out).parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(root / out, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return Reevaluated(ref, resolved.artifact, resolved.version, resolved.commit, out, data)
