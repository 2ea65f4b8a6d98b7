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
import posixpath
from typing import Any

from mlops import dotted
from mlops.config.yamlload import parse_or_none
from mlops.registry.atcommit import read_blobs
from mlops.reproduce.lock import StageLock, read_locks
from mlops.reproduce.lock import join_path as _join  # one path rule for dvc.yaml and dvc.lock entries


def stale_reasons(
    root: str | os.PathLike[str], commit: str, dvc_yaml: str = "dvc.yaml", dvc_lock: str = "dvc.lock"
) -> tuple[list[str], dict[str, StageLock]]:
    """(reasons dvc.lock is stale at COMMIT, its stages in the typed model of mlops.reproduce.lock, keyed
    by stage name). No reasons: current."""
    files = read_blobs(root, commit, [dvc_yaml, dvc_lock])
    if files[dvc_lock] is None:
        return [f"{dvc_lock} is not in that commit (run the pipeline and commit dvc.lock)"], {}
    raw_lock = parse_or_none(files[dvc_lock], dvc_lock)
    if not isinstance(raw_lock, dict) or not isinstance(raw_lock.get("stages"), dict):
        return [f"{dvc_lock} at that commit cannot be read"], {}
    locked = {s.name.rsplit(":", 1)[-1]: s for s in read_locks([dvc_lock], lambda paths: files).values()}
    pipeline = parse_or_none(files[dvc_yaml], dvc_yaml)
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("stages"), dict):
        return [f"{dvc_yaml} is missing or unreadable at that commit"], locked
    folder = posixpath.dirname(dvc_lock)
    reasons: list[str] = []
    expected = _Expected()
    from mlops.pipeline.expansion import generated_stages

    for name, stage in generated_stages(pipeline["stages"]).items():  # `train@small` checked like any stage
        if isinstance(stage, dict):
            reasons.extend(_stage_reasons(str(name), stage, locked, folder, dvc_lock, expected))
    reasons.extend(_content_reasons(root, commit, expected))
    return reasons, locked


class _Expected:
    """What the lock says files must hold, collected while comparing stages, checked in one read."""

    def __init__(self) -> None:
        self.deps: dict[str, str] = {}  # path -> md5 of a dependency stored in Git (or by a .dvc file)
        self.outs: dict[str, str] = {}  # path -> md5 of an output stored in Git (metrics, cache: false)
        self.params: dict[str, dict[str, dict[str, Any]]] = {}  # params file -> stage -> {key: value}


def _stage_reasons(
    name: str,
    stage: dict[str, Any],
    locked: dict[str, StageLock],
    folder: str,
    dvc_lock: str,
    expected: _Expected,
) -> list[str]:
    if "foreach" in stage or "matrix" in stage:
        ran = any(key.startswith(f"{name}@") for key in locked)
        return [] if ran else [f"stage {name} has never run (not in {dvc_lock})"]
    entry = locked.get(name)
    if entry is None:
        return [f"stage {name} has never run (not in {dvc_lock})"]
    reasons = [] if "${" in str(stage.get("cmd")) else _declaration_reasons(name, stage, entry, folder)
    reasons += _dependency_reasons(name, entry, locked, expected)
    for path, out in entry.outs.items():
        if out.md5 and not out.isdir:
            expected.outs.setdefault(path, out.md5)
    return reasons + _params_reasons(name, stage, entry, folder, expected)


def _params_reasons(
    name: str, stage: dict[str, Any], entry: StageLock, folder: str, expected: _Expected
) -> list[str]:
    """Parameters the stage declares that dvc.lock did not record; the recorded ones go to EXPECTED."""
    for pfile, values in entry.params.items():
        expected.params.setdefault(pfile, {})[name] = values
    reasons = []
    for pfile, keys in _declared_params(stage.get("params"), folder).items():
        missing = [k for k in keys if k not in entry.params.get(pfile, {})]
        if missing:
            reasons.append(f"stage {name}: parameter {missing[0]} is not recorded in dvc.lock")
    return reasons


def _declaration_reasons(name: str, stage: dict[str, Any], entry: StageLock, folder: str) -> list[str]:
    """What dvc.yaml declares for the stage (command, deps, outs) against what dvc.lock ran (a templated
    command is not compared: dvc.lock holds it expanded)."""
    reasons = []
    if _cmd(stage.get("cmd")) != _cmd(entry.cmd):
        reasons.append(f"stage {name}: its command changed since dvc.lock was written")
    if _paths(stage.get("deps"), folder) != set(entry.deps):
        reasons.append(f"stage {name}: its dependencies changed since dvc.lock was written")
    declared_outs: set[str] = set()
    for key in ("outs", "metrics", "plots"):
        declared_outs |= _paths(stage.get(key), folder)
    if declared_outs != set(entry.outs):
        reasons.append(f"stage {name}: its outputs changed since dvc.lock was written")
    return reasons


def _dependency_reasons(
    name: str, entry: StageLock, locked: dict[str, StageLock], expected: _Expected
) -> list[str]:
    """Dependencies another stage has produced anew; the files the lock expects are noted in EXPECTED."""
    reasons = []
    produced = {path: out.md5 for s in locked.values() for path, out in s.outs.items()}
    for path, dep in entry.deps.items():
        if path in produced and produced[path] != dep.md5:
            reasons.append(f"stage {name}: dependency {path} changed (another stage produced a new one)")
        elif path not in produced and dep.md5 and not dep.isdir:
            expected.deps.setdefault(path, dep.md5)
    return reasons


def _content_reasons(root: str | os.PathLike[str], commit: str, expected: _Expected) -> list[str]:
    """Files stored in Git whose bytes or values differ from what the lock recorded."""
    wanted = list(expected.deps) + list(expected.outs) + list(expected.params)
    wanted += [f"{p}.dvc" for p in expected.deps]
    blobs = read_blobs(root, commit, wanted)
    reasons: list[str] = []
    for what, table in (("dependency", expected.deps), ("output", expected.outs)):
        for path, md5 in table.items():
            reasons += _file_reasons(what, path, md5, blobs)
    for pfile, by_stage in expected.params.items():
        reasons += _param_reasons(pfile, by_stage, blobs)
    return reasons


def _file_reasons(what: str, path: str, md5: str, blobs: dict[str, bytes | None]) -> list[str]:
    data = blobs.get(path)
    if data is not None:
        if hashlib.md5(data).hexdigest() != md5:
            return [f"{what} {path} differs from the md5 in dvc.lock (modified after the last run)"]
    elif what == "dependency":
        tracked = read_locks([f"{path}.dvc"], lambda paths: blobs)
        outs = [o for s in tracked.values() for o in s.outs.values()]
        if outs and outs[0].md5 not in (None, md5):
            return [f"dependency {path} changed ({path}.dvc has a new hash)"]
    return []


def _param_reasons(
    pfile: str, by_stage: dict[str, dict[str, Any]], blobs: dict[str, bytes | None]
) -> list[str]:
    reasons = []
    current = parse_or_none(blobs.get(pfile), pfile)
    for name, values in by_stage.items():
        for key, value in (values or {}).items():
            found, now = dotted.find(current, key, exact_first=True)
            if not found:
                reasons.append(f"stage {name}: parameter {key} is no longer in {pfile}")
            elif now != value:
                reasons.append(
                    f"stage {name}: parameter {key} is {now!r} in {pfile}, dvc.lock ran with {value!r}"
                )
    return reasons


def _cmd(cmd: Any) -> str | None:
    """A command as one string, however dvc.yaml or dvc.lock spells it (a list runs joined by &&)."""
    if isinstance(cmd, list):
        return " && ".join(str(c).strip() for c in cmd)
    return str(cmd).strip() if cmd is not None else None


def _paths(items: Any, folder: str) -> set[str]:
    """Paths a dvc.yaml entry declares, relative to the repository root (as the lock model has them)."""
    paths: list[str] = []
    for item in items or []:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            paths.extend(str(k) for k in item)
    return {_join(folder, p) for p in paths}


def _declared_params(items: Any, folder: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in items or []:
        if isinstance(item, str):
            found.setdefault(_join(folder, "params.yaml"), []).append(item)
        elif isinstance(item, dict):
            for pfile, keys in item.items():
                found.setdefault(_join(folder, str(pfile)), []).extend(str(k) for k in keys or [])
    return found
