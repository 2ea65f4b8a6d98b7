"""A version is admitted only if mlops can prove it: whoever made its tag, its commit must pass what
`mlops register` checks (dvc.lock current with the pipeline, the artifact an output of a stage with the
hash the registration recorded, the metrics file an output read through its dvc.lock hash).

A version tag pushed by hand on a commit with doctored metrics therefore fails every gate that would read it.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mlops.promotion.results import GateResult


def dvc_lock_path(dvc_yaml: str) -> str:
    return posixpath.join(posixpath.dirname(dvc_yaml), "dvc.lock")


def proof(root: Any, version: Any, spec: Any, dvc_yaml: str = "dvc.yaml") -> GateResult:
    """One `state` result: passed when VERSION (mlops.registry.state.Version) of an artifact whose policy
    is SPEC (ArtifactPolicy) is provable at its commit; otherwise the message names the version and why."""
    problems = problems_at(root, version.commit, spec, dvc_yaml, version.message_data)
    label = f"{version.artifact} {version.version}"
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return GateResult(
            "state",
            "provable version",
            False,
            f"{label} cannot be proven at commit {version.commit[:12]}: {problems[0]}{more}; "
            "`mlops register` would refuse that commit",
        )
    return GateResult(
        "state",
        "provable version",
        True,
        f"{label}: dvc.lock at {version.commit[:12]} is current and records the artifact",
    )


def problems_at(root: Any, commit: str, spec: Any, dvc_yaml: str, recorded: dict[str, Any]) -> list[str]:
    from mlops.registry.lockcheck import stale_reasons
    from mlops.registry.snapshot import _find_output

    lock_path = dvc_lock_path(dvc_yaml)
    reasons, lock = stale_reasons(root, commit, dvc_yaml, lock_path)
    if reasons:
        return [f"{lock_path} is stale: {r}" for r in reasons]
    path = str(spec.path).strip("/")
    _stage, out = _find_output(lock, path)
    if out is None:
        return [f"{path} is not an output of any stage in {lock_path}"]
    recorded_md5 = _recorded_md5(recorded)
    if recorded_md5 and out.md5 and recorded_md5 != out.md5:
        return [
            f"the artifact hash in {lock_path} ({out.md5}) is not the one its registration recorded "
            f"({recorded_md5})"
        ]
    if spec.metrics and _find_output(lock, str(spec.metrics).strip("/"))[1] is None:
        return [
            f"metrics file {spec.metrics} is not an output of any stage in {lock_path}, so its values "
            "cannot be traced to the run that produced the artifact"
        ]
    return []


def _recorded_md5(recorded: Any) -> Any:
    """The md5 the registration tag's message recorded, if any."""
    want = (recorded.get("hash") or {}) if isinstance(recorded, dict) else {}
    return want.get("md5") if isinstance(want, dict) else None
