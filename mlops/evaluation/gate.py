"""Evaluation-set freshness for the promotion gates.

`evaluated_on: current`: the candidate's evaluation stage, as its commit's dvc.lock records it, read the latest
registered version of every evaluation set of its artifact; the sets and their versions are those of the
protected side (evaluation.yaml there, versions whose commit it contains). Incumbent comparisons use numbers
computed on the same set versions: the incumbent's own metrics when they match, else the re-evaluation that
`mlops evaluate REF` committed under `reports/evaluations/`. Nothing here runs code.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.promotion.results import GateResult

REEVALUATIONS = "evaluations"  # under the project's reports folder: ARTIFACT/VERSION.json


@dataclass(frozen=True)
class SetVersion:
    name: str
    path: str
    version: str | None  # None: no registered version on the protected side
    md5: str | None
    commit: str | None = None


def _is_ancestor(root: Path, commit: str, of: str) -> bool:
    from mlops import git

    return git.run(["merge-base", "--is-ancestor", commit, of], root, check=False).returncode == 0


def latest_versions(root: Path, state: Any, protected: str) -> list[SetVersion]:
    """The latest registered version of each evaluation set of the protected side (empty: no contract)."""
    from mlops.config.project import load_project
    from mlops.evaluation.spec import load_at

    evaluation = load_at(root, protected, load_project(root, commit=protected).evaluation)
    if evaluation is None:
        return []
    return [_latest(root, state, protected, s.name, s.path) for s in evaluation.sets.values()]


def _latest(root: Path, state: Any, protected: str, name: str, path: str) -> SetVersion:
    art = state.artifact(name) if state is not None else None
    live = [v for v in (art.versions if art else []) if not v.deregistered]
    reachable = [v for v in live if _is_ancestor(root, v.commit, protected)]
    if not reachable:
        return SetVersion(name, path, None, None)
    latest = reachable[-1]
    return SetVersion(
        name, path, latest.version, (latest.message_data.get("hash") or {}).get("md5"), latest.commit
    )


def sets_of(root: Path, protected: str, artifact: str) -> list[str]:
    from mlops.config.project import load_project
    from mlops.evaluation.spec import load_at

    evaluation = load_at(root, protected, load_project(root, commit=protected).evaluation)
    model = evaluation.models.get(artifact) if evaluation else None
    return list(model.sets) if model else []


def version_of(state: Any, name: str, md5: str | None) -> str | None:
    """The registered version of set NAME whose data has this md5 (the newest when several do)."""
    art = state.artifact(name) if state is not None and md5 else None
    found = [
        v.version
        for v in (art.versions if art else [])
        if (v.message_data.get("hash") or {}).get("md5") == md5
    ]
    return found[-1] if found else None


def evaluated_md5s(root: Path, commit: str, artifact: str, dvc_yaml: str) -> dict[str, str | None] | None:
    """Set path -> md5 its evaluation stage read, from COMMIT's dvc.lock; None when it has no such stage."""
    from mlops.evaluation.spec import ModelEvaluation
    from mlops.registry.atcommit import read_blobs
    from mlops.reproduce.lock import read_locks

    lock = posixpath.join(posixpath.dirname(dvc_yaml), "dvc.lock")
    blobs = read_blobs(root, commit, [lock])
    stage_name = ModelEvaluation(artifact, "classification", "", ()).stage
    stages = {s.name.rsplit(":", 1)[-1]: s for s in read_locks([lock], lambda _p: blobs).values()}
    stage = stages.get(stage_name)
    if stage is None:
        return None
    return {path: dep.md5 for path, dep in stage.deps.items()}


def evaluated_on_gate(
    root: Path,
    state: Any,
    protected: str,
    label: str,
    artifact: str,
    version: str,
    commit: str,
    dvc_yaml: str,
) -> GateResult:
    gate = "evaluated on current evaluation sets"
    wanted = [
        s for s in latest_versions(root, state, protected) if s.name in sets_of(root, protected, artifact)
    ]
    if not wanted:
        return GateResult(
            "evaluated_on", gate, True, f"{artifact} has no evaluation sets in {label}", skipped=True
        )
    read = evaluated_md5s(root, commit, artifact, dvc_yaml)
    if read is None:
        return GateResult(
            "evaluated_on",
            gate,
            False,
            f"{artifact} {version} has no evaluation stage in its dvc.lock ({commit[:12]}): it was never "
            "evaluated on the evaluation sets",
        )
    problems, used = [], {}
    for s in wanted:
        used[s.name], problem = _compare_set(state, s, read.get(s.path), artifact, version, label)
        if problem:
            problems.append(problem)
    if problems:
        return GateResult(
            "evaluated_on", gate, False, "; ".join(problems), value=used, threshold=_versions(wanted)
        )
    shown = ", ".join(f"{s.name} {s.version or '(no registered version yet)'}" for s in wanted)
    return GateResult(
        "evaluated_on", gate, True, f"evaluated on {shown}", value=used, threshold=_versions(wanted)
    )


def _compare_set(
    state: Any, s: SetVersion, have: str | None, artifact: str, version: str, label: str
) -> tuple[str, str]:
    """(the set version the candidate read, the problem or "")."""
    old = version_of(state, s.name, have) or (f"unregistered data (md5 {have})" if have else "nothing")
    if s.version is None:  # nothing registered yet: nothing to be stale against
        return old, ""
    if have != s.md5:
        return old, (
            f"{artifact} {version} was evaluated on {s.name} {old}, but the latest version in {label} is "
            f"{s.version}: re-run its evaluation (`mlops run`), commit dvc.lock and register a new version"
        )
    return old, ""


def _versions(sets: list[SetVersion]) -> dict[str, str | None]:
    return {s.name: s.version for s in sets}


def sets_in(data: Any, state: Any) -> dict[str, str] | None:
    """Set name -> version (or md5) a metrics file's `evaluated_on` records; None for a file without it."""
    recorded = data.get("evaluated_on") if isinstance(data, dict) else None
    if not isinstance(recorded, dict):
        return None
    out = {}
    for name, info in recorded.items():
        md5 = info.get("md5") if isinstance(info, dict) else None
        out[str(name)] = version_of(state, str(name), md5) or f"md5 {md5}"
    return out


def reevaluation_path(reports: str, artifact: str, version: str) -> str:
    return posixpath.join(reports, REEVALUATIONS, artifact.replace(":", "="), f"{version}.json")


def same_sets(data: Any, inc_data: Any) -> bool:
    """True when both metrics files were computed on the same bytes of every set (or neither says)."""
    mine = data.get("evaluated_on") if isinstance(data, dict) else None
    theirs = inc_data.get("evaluated_on") if isinstance(inc_data, dict) else None
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return True  # metrics from before the evaluation contract: compared as they are
    md5 = {k: v.get("md5") for k, v in mine.items() if isinstance(v, dict)}
    return md5 == {k: v.get("md5") for k, v in theirs.items() if isinstance(v, dict)}
