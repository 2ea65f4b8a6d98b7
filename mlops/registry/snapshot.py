"""What a registration records: the artifact's hash from dvc.lock, its metrics, params and data hashes at REV.

`snapshot()` refuses (UsageError, exit 2) a commit whose dvc.lock is stale or whose dvc.lock lacks the
artifact, so a version tag always names a reproducible, complete state.
"""

from __future__ import annotations

import os
from typing import Any

from mlops.committed import CommittedFileError, CommittedFiles
from mlops.errors import InputError, UsageError
from mlops.registry.lockcheck import stale_reasons
from mlops.reproduce.lock import HashEntry, StageLock


def snapshot(
    root: str | os.PathLike[str],
    commit: str,
    artifact: str,
    spec: dict[str, Any],
    *,
    dvc_yaml: str = "dvc.yaml",
    dvc_lock: str = "dvc.lock",
) -> dict[str, Any]:
    from mlops.evaluation.tracked import dvc_tracked_snapshot

    tracked = dvc_tracked_snapshot(root, commit, artifact, spec)  # a `dvc add`ed data artifact: no dvc.lock
    if tracked is not None:
        return tracked
    lock = _fresh_lock(root, commit, dvc_yaml, dvc_lock)
    path = str(spec["path"]).strip("/")
    stage_name, out = _find_output(lock, path)
    if out is None:
        raise UsageError(
            f"{artifact}: its path {path} is not an output of any stage in dvc.lock at {commit[:7]}",
            hint="artifacts must be produced by the pipeline (an `outs` entry) and committed",
        )
    entry = lock[stage_name]
    data: dict[str, Any] = {
        "commit": commit,
        "path": path,
        "stage": stage_name,
        "hash": _hash(out),
        "params": _params(entry),
        "deps": {dep_path: dep.md5 for dep_path, dep in entry.deps.items()},
    }
    if out.path != path:
        data["hash"]["inside"] = out.path
    _add_declared(root, commit, spec, lock, data)
    return data


def _fresh_lock(
    root: str | os.PathLike[str], commit: str, dvc_yaml: str, dvc_lock: str
) -> dict[str, StageLock]:
    """dvc.lock at COMMIT; UsageError when it is stale against its pipeline."""
    reasons, lock = stale_reasons(root, commit, dvc_yaml, dvc_lock)
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        raise UsageError(
            f"dvc.lock at {commit[:7]} is stale: {reasons[0]}{more}",
            hint="run the pipeline (`mlops run` or `dvc repro`), commit dvc.lock, then register",
        )
    return lock


def _add_declared(
    root: str | os.PathLike[str],
    commit: str,
    spec: dict[str, Any],
    lock: dict[str, StageLock],
    data: dict[str, Any],
) -> None:
    """The metrics and the training data the artifact's spec declares, into DATA."""
    if spec.get("metrics"):
        data["metrics_file"] = spec["metrics"]
        data["metrics"] = _metrics(root, commit, str(spec["metrics"]))
    if spec.get("training_data"):
        _, td = _find_output(lock, str(spec["training_data"]))
        deps_md5 = data["deps"].get(spec["training_data"])
        data["training_data"] = {"path": spec["training_data"], "md5": (td.md5 if td else None) or deps_md5}


def _hash(out: HashEntry) -> dict[str, Any]:
    """The output's hash as dvc.lock records it: md5, size, nfiles, and `hash: md5` for DVC 3 entries."""
    found: dict[str, Any] = {"md5": out.md5}
    if out.size is not None:
        found["size"] = out.size
    if out.nfiles is not None:
        found["nfiles"] = out.nfiles
    if not out.legacy:
        found["hash"] = "md5"
    return found


def _params(entry: StageLock) -> dict[str, Any]:
    return {pfile: dict(values) for pfile, values in entry.params.items()}


def _find_output(lock: dict[str, StageLock], path: str) -> tuple[str, HashEntry | None]:
    inside: tuple[str, HashEntry | None] = ("", None)
    for name, entry in lock.items():
        for out_path, out in entry.outs.items():
            if out_path == path:
                return name, out
            if path.startswith(out_path.rstrip("/") + "/"):
                inside = (name, out)
    return inside


def _metrics(root: str | os.PathLike[str], commit: str, path: str) -> Any:
    """The metrics file at the commit: from Git, or from the DVC cache by its md5 (mlops.committed)."""
    try:
        return CommittedFiles(root).data(commit, path)
    except CommittedFileError as exc:
        if exc.missing:
            raise InputError(
                f"metrics file {path} is neither in Git nor in the DVC cache at {commit[:7]}"
            ) from None
        raise
