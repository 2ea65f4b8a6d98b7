"""What a registration records: the artifact's hash from dvc.lock, its metrics, params and data hashes at REV.

`snapshot()` refuses (InputError/CheckFailed-free: UsageError, exit 2) a commit whose dvc.lock is stale or
whose dvc.lock lacks the artifact, so a version tag always names a reproducible, complete state.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mlops.config.yamlload import parse_or_none
from mlops.dvccache import read_cached
from mlops.errors import InputError, UsageError
from mlops.registry.atcommit import read_blobs
from mlops.registry.lockcheck import stale_reasons


def snapshot(root: str | os.PathLike[str], commit: str, artifact: str, spec: dict[str, Any], *,
             dvc_yaml: str = "dvc.yaml", dvc_lock: str = "dvc.lock") -> dict[str, Any]:
    reasons, lock = stale_reasons(root, commit, dvc_yaml, dvc_lock)
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        raise UsageError(f"dvc.lock at {commit[:7]} is stale: {reasons[0]}{more}",
                         hint="run the pipeline (`mlops run` or `dvc repro`), commit dvc.lock, then register")
    path = str(spec["path"]).strip("/")
    stage_name, out = _find_output(lock, path)
    if out is None:
        raise UsageError(f"{artifact}: its path {path} is not an output of any stage in dvc.lock at {commit[:7]}",
                         hint="artifacts must be produced by the pipeline (an `outs` entry) and committed")
    entry = lock["stages"][stage_name]
    data: dict[str, Any] = {
        "commit": commit,
        "path": path,
        "stage": stage_name,
        "hash": {k: out[k] for k in ("md5", "size", "nfiles", "hash") if k in out},
        "params": entry.get("params") or {},
        "deps": {d["path"]: d.get("md5") for d in entry.get("deps") or [] if isinstance(d, dict) and "path" in d},
    }
    if out["path"] != path:
        data["hash"]["inside"] = out["path"]
    if spec.get("metrics"):
        data["metrics_file"] = spec["metrics"]
        data["metrics"] = _metrics(root, commit, lock, str(spec["metrics"]))
    if spec.get("training_data"):
        _, td = _find_output(lock, str(spec["training_data"]))
        deps_md5 = data["deps"].get(spec["training_data"])
        data["training_data"] = {"path": spec["training_data"], "md5": (td or {}).get("md5") or deps_md5}
    return data


def _find_output(lock: dict[str, Any], path: str) -> tuple[str, dict[str, Any] | None]:
    inside: tuple[str, dict[str, Any] | None] = ("", None)
    for name, entry in (lock.get("stages") or {}).items():
        for out in (entry or {}).get("outs") or []:
            if not isinstance(out, dict) or "path" not in out:
                continue
            if out["path"] == path:
                return name, out
            if path.startswith(out["path"].rstrip("/") + "/"):
                inside = (name, out)
    return inside


def _metrics(root: str | os.PathLike[str], commit: str, lock: dict[str, Any], path: str) -> Any:
    """The metrics file at the commit: from Git, or from the DVC cache by its md5 in dvc.lock."""
    raw = read_blobs(root, commit, [path])[path]
    if raw is None:
        _, out = _find_output(lock, path)
        raw = read_cached(root, (out or {}).get("md5"))
    if raw is None:
        raise InputError(f"metrics file {path} is neither in Git nor in the DVC cache at {commit[:7]}")
    if path.endswith(".json"):
        try:
            return json.loads(raw)
        except ValueError:
            raise InputError(f"metrics file {path} at {commit[:7]} is not valid JSON") from None
    parsed = parse_or_none(raw)
    if parsed is None:
        raise InputError(f"metrics file {path} at {commit[:7]} cannot be read as YAML")
    return parsed
