"""Is dvc.lock at a commit current with its pipeline? Checked from Git objects alone, for any commit.

`dvc status` answers this for the work tree, and needs the data files present. `mlops register` tags a
commit, often not the checked-out one, so it makes the same comparison from what that commit holds:
- every stage of dvc.yaml has an entry in dvc.lock with the same command, dependencies and outputs;
- every parameter the lock recorded has the same value in the params file at that commit, and every
  parameter dvc.yaml declares is recorded;
- every dependency stored in Git has the md5 the lock recorded (DVC 3 hashes the bytes), and every
  dependency produced by another stage has the md5 that stage's lock entry gives its output;
- every output stored in Git (metrics with `cache: false`) has the md5 the lock recorded.
Outputs that live only in the DVC cache are trusted by their hash in dvc.lock. Folder dependencies stored in
Git and foreach/matrix stages over a `${...}` reference (DVC expands those) are checked by presence only.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from mlops.config.yamlload import parse_or_none
from mlops.registry.atcommit import read_blobs


def stale_reasons(root: str | os.PathLike[str], commit: str, dvc_yaml: str = "dvc.yaml",
                  dvc_lock: str = "dvc.lock") -> tuple[list[str], dict[str, Any]]:
    """(reasons dvc.lock is stale at COMMIT, the parsed lock). No reasons: current."""
    files = read_blobs(root, commit, [dvc_yaml, dvc_lock])
    pipeline, lock = parse_or_none(files[dvc_yaml]), parse_or_none(files[dvc_lock])
    if files[dvc_lock] is None:
        return [f"{dvc_lock} is not in that commit (run the pipeline and commit dvc.lock)"], {}
    if not isinstance(lock, dict) or not isinstance(lock.get("stages"), dict):
        return [f"{dvc_lock} at that commit cannot be read"], {}
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("stages"), dict):
        return [f"{dvc_yaml} is missing or unreadable at that commit"], lock
    from mlops.pipeline.expansion import generated_stages

    locked: dict[str, Any] = lock["stages"]
    stages: dict[str, Any] = generated_stages(pipeline["stages"])  # `train@small` checked like any stage
    produced = {o["path"]: o.get("md5") for entry in locked.values() if isinstance(entry, dict)
                for o in entry.get("outs") or [] if isinstance(o, dict) and "path" in o}

    reasons: list[str] = []
    to_hash: dict[str, str] = {}  # path -> md5 the lock expects, for files we will read from Git
    param_files: dict[str, dict[str, Any]] = {}
    for name, stage in stages.items():
        if not isinstance(stage, dict):
            continue
        if "foreach" in stage or "matrix" in stage:
            if not any(key.startswith(f"{name}@") for key in locked):
                reasons.append(f"stage {name} has never run (not in {dvc_lock})")
            continue
        entry = locked.get(name)
        if not isinstance(entry, dict):
            reasons.append(f"stage {name} has never run (not in {dvc_lock})")
            continue
        templated = "${" in str(stage.get("cmd"))
        if not templated and _cmd(stage.get("cmd")) != _cmd(entry.get("cmd")):
            reasons.append(f"stage {name}: its command changed since dvc.lock was written")
        deps = {d["path"]: d for d in entry.get("deps") or [] if isinstance(d, dict) and "path" in d}
        if not templated and set(_paths(stage.get("deps"))) != set(deps):
            reasons.append(f"stage {name}: its dependencies changed since dvc.lock was written")
        outs_declared = set()
        for key in ("outs", "metrics", "plots"):
            outs_declared.update(_paths(stage.get(key)))
        outs = {o["path"]: o for o in entry.get("outs") or [] if isinstance(o, dict) and "path" in o}
        if not templated and outs_declared != set(outs):
            reasons.append(f"stage {name}: its outputs changed since dvc.lock was written")
        for path, dep in deps.items():
            md5 = dep.get("md5")
            if path in produced and produced[path] != md5:
                reasons.append(f"stage {name}: dependency {path} changed (another stage produced a new one)")
            elif path not in produced and md5 and not str(md5).endswith(".dir"):
                to_hash.setdefault(path, md5)
        for path, out in outs.items():
            if out.get("md5") and not str(out["md5"]).endswith(".dir"):
                to_hash.setdefault(f"\0out\0{path}", out["md5"])
        for pfile, values in (entry.get("params") or {}).items():
            param_files.setdefault(pfile, {})[name] = values
        for pfile, keys in _declared_params(stage.get("params")).items():
            recorded = (entry.get("params") or {}).get(pfile) or {}
            missing = [k for k in keys if k not in recorded]
            if missing:
                reasons.append(f"stage {name}: parameter {missing[0]} is not recorded in dvc.lock")

    wanted = [p.split("\0")[-1] for p in to_hash] + list(param_files)
    wanted += [f"{p}.dvc" for p in to_hash if not p.startswith("\0")]
    blobs = read_blobs(root, commit, wanted)
    for key, md5 in to_hash.items():
        is_out = key.startswith("\0out\0")
        path = key.split("\0")[-1]
        data = blobs.get(path)
        if data is not None:
            if hashlib.md5(data).hexdigest() != md5:
                what = "output" if is_out else "dependency"
                reasons.append(f"{what} {path} differs from the md5 in dvc.lock (modified after the last run)")
        elif not is_out:
            tracked = parse_or_none(blobs.get(f"{path}.dvc"))
            if isinstance(tracked, dict):
                tracked_outs = tracked.get("outs") or [{}]
                if isinstance(tracked_outs[0], dict) and tracked_outs[0].get("md5") not in (None, md5):
                    reasons.append(f"dependency {path} changed ({path}.dvc has a new hash)")
    for pfile, by_stage in param_files.items():
        current = parse_or_none(blobs.get(pfile))
        for name, values in by_stage.items():
            for key, value in (values or {}).items():
                found, now = _lookup(current, key)
                if not found:
                    reasons.append(f"stage {name}: parameter {key} is no longer in {pfile}")
                elif now != value:
                    reasons.append(f"stage {name}: parameter {key} is {now!r} in {pfile}, dvc.lock ran with {value!r}")
    return reasons, lock


def _cmd(cmd: Any) -> Any:
    if isinstance(cmd, list):
        return [str(c).strip() for c in cmd]
    return str(cmd).strip() if cmd is not None else None


def _paths(items: Any) -> list[str]:
    paths = []
    for item in items or []:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            paths.extend(str(k) for k in item)
    return paths


def _declared_params(items: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in items or []:
        if isinstance(item, str):
            found.setdefault("params.yaml", []).append(item)
        elif isinstance(item, dict):
            for pfile, keys in item.items():
                found.setdefault(str(pfile), []).extend(str(k) for k in keys or [])
    return found


def _lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    if isinstance(data, dict) and dotted in data:
        return True, data[dotted]
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node
