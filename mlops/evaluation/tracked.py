"""Data artifacts tracked with `dvc add` (evaluation sets): their hash from the committed `.dvc` file."""

from __future__ import annotations

import os
from typing import Any


def dvc_tracked_snapshot(
    root: str | os.PathLike[str], commit: str, artifact: str, spec: dict[str, Any]
) -> dict[str, Any] | None:
    """What a registration records for a `dvc add`ed artifact (hash, path, .dvc file); None when PATH.dvc is not
    committed at COMMIT (then the artifact is a pipeline output, checked through dvc.lock)."""
    from mlops.registry.atcommit import read_blobs
    from mlops.reproduce.lock import read_locks

    path = str(spec["path"]).strip("/")
    dvcfile = f"{path}.dvc"
    blobs = read_blobs(root, commit, [dvcfile])
    if blobs[dvcfile] is None:
        return None
    stage = read_locks([dvcfile], lambda _paths: blobs).get(dvcfile)
    out = stage.outs.get(path) if stage else None
    if out is None or not out.md5:
        return None
    found: dict[str, Any] = {"md5": out.md5}
    if out.size is not None:
        found["size"] = out.size
    if not out.legacy:
        found["hash"] = "md5"
    return {"commit": commit, "path": path, "stage": dvcfile, "hash": found}
