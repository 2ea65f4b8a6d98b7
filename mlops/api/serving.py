"""Serving operations: open or copy an artifact's bytes at a version or stage, explain a registry tag."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mlops.errors import UsageError

__all__ = ["open", "get", "locate", "check_ref", "env_diff"]


def locate(ref: str, *, rev: str | None = None, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Where REF's bytes are: commit, path, and the hash DVC recorded (None for a file in Git)."""
    from mlops.serving.locate import locate as find
    from mlops.serving.source import repository

    with repository(root) as base:
        return _describe(find(base, ref, rev))


@contextlib.contextmanager
def open(  # noqa: A001 - mirrors the builtin, as dvc.api.open does
    ref: str,
    repo: str | os.PathLike[str] | None = None,
    mode: str = "rb",
    *,
    rev: str | None = None,
) -> Iterator[IO[Any]]:
    """A read-only stream of REF's bytes (`churn#production`, `churn@v1.2.0`, `churn@latest`, `REV:PATH`)
    from the DVC cache or remote, without a checkout. REPO: a clone's path or a URL (cloned to a temporary
    folder for the duration). MODE: "rb", or "r" for UTF-8 text."""
    from mlops.serving.fetch import open_target
    from mlops.serving.locate import locate as find
    from mlops.serving.source import repository

    if mode not in ("rb", "r"):
        raise UsageError(f"mode `{mode}`: only 'rb' and 'r' (read-only) are supported")
    with repository(repo) as base, open_target(base, find(base, ref, rev)) as handle:
        if mode == "r":
            yield io.TextIOWrapper(handle, encoding="utf-8")
        else:
            yield handle


def get(
    ref: str,
    out: str | os.PathLike[str] | None = None,
    *,
    repo: str | os.PathLike[str] | None = None,
    rev: str | None = None,
) -> dict[str, Any]:
    """Copy REF's bytes to OUT (default: the file or folder name in the current folder), streaming.
    Returns what was written: `out`, and the ref's commit, path and hash."""
    from mlops.serving.fetch import copy_target
    from mlops.serving.locate import locate as find
    from mlops.serving.source import repository

    with repository(repo) as base:
        target = find(base, ref, rev)
        dest = Path(out) if out is not None else Path(Path(target.path).name)
        written = copy_target(base, target, dest)
    return {**_describe(target), "out": str(written)}


def _describe(target: Any) -> dict[str, Any]:
    return {
        "ref": target.ref,
        "artifact": target.artifact,
        "version": target.version,
        "stage": target.stage,
        "commit": target.commit,
        "path": target.path,
        "md5": target.md5,
        "in_git": target.in_git,
    }


def check_ref(tag: str, *, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What the registry tag TAG means: event, artifact, version, stage, commit (as `gto check-ref`)."""
    from mlops.git import find_root
    from mlops.serving.checkref import explain

    return explain(Path(root) if root is not None else find_root(), tag)


def env_diff(
    left: str, right: str | None = None, *, root: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The environments of two versions (or of LEFT and this environment), package by package."""
    from mlops.config import load_project
    from mlops.git import find_root
    from mlops.registry import read_state
    from mlops.serving.environment import capture, compare, recorded

    base = Path(root) if root is not None else find_root()
    state = read_state(base)
    left_label, left_env = recorded(base, left, state)
    if right is None:
        right_label, right_env = "this environment", capture(base, None, load_project(base).environment)
    else:
        right_label, right_env = recorded(base, right, state)
    diff = compare(left_env, right_env, (left_label, right_label))
    return {
        "left": left_label,
        "right": right_label,
        "same": diff.same,
        "fields": {k: {"left": a, "right": b} for k, (a, b) in diff.fields.items()},
        "packages": [
            {"name": p.name, "change": p.change, "left": p.before, "right": p.after} for p in diff.packages
        ],
        "incomplete": diff.incomplete,
    }
