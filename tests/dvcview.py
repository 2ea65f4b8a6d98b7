"""What DVC itself resolves from the dvc.yaml files of some folders, as JSON (run as a script: one DVC load
per folder, every folder in one process, so the corpus test stays fast).

Per folder: every stage DVC generates (name, cmd, wdir, deps, outs with flags, params, frozen,
always_changed, desc) with paths relative to the folder, and the top-level metrics, plots and params of
every dvc.yaml, or the error DVC raises.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _rel(root: str, path: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _out(root: str, out: Any) -> list[Any]:
    return [_rel(root, out.fs_path), bool(out.use_cache), bool(out.metric), bool(out.plot), bool(out.persist)]


def stage_view(root: str, stage: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    deps = []
    for dep in stage.deps:
        if hasattr(dep, "params"):
            keys = dep.params if isinstance(dep.params, list) else sorted(dep.params or [])
            params[_rel(root, dep.fs_path)] = sorted(keys) if keys else None
        else:
            deps.append(_rel(root, dep.fs_path))
    return {
        "cmd": stage.cmd,
        "wdir": _rel(root, stage.wdir),
        "deps": sorted(deps),
        "outs": sorted(_out(root, o) for o in stage.outs),
        "params": params,
        "frozen": bool(stage.frozen),
        "always_changed": bool(stage.always_changed),
        "desc": stage.desc,
    }


def _top_level(root: str, index: Any) -> dict[str, Any]:
    """Top-level metrics/params as root-relative paths; plots as DVC keeps them, per dvc.yaml folder."""
    out: dict[str, Any] = {"metrics": [], "params": [], "plots": []}
    for key, attr in (("metrics", "_metrics"), ("params", "_params"), ("plots", "_plots")):
        for dvcfile, entries in sorted((getattr(index, attr, None) or {}).items()):
            folder = os.path.dirname(_rel(root, os.path.join(root, dvcfile)))
            for entry in entries or []:
                if isinstance(entry, str) and key != "plots":
                    out[key].append(os.path.normpath(os.path.join(folder, entry)).replace(os.sep, "/"))
                else:
                    out[key].append([folder, entry])
    return out


def view(root: str) -> dict[str, Any]:
    from dvc.repo import Repo

    try:
        with Repo(root) as repo:
            index = repo.index
            stages = {s.name: stage_view(root, s) for s in index.stages}
            return {"stages": stages, **_top_level(root, index)}
    except Exception as exc:  # noqa: BLE001 - DVC refusing a file is data for the test
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    json.dump({root: view(root) for root in sys.argv[1:]}, sys.stdout, sort_keys=True)
