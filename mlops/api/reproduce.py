"""Reproduce operations: checkout, reproduce, diff (mlops.reproduce)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops.reproduce.checkout import CheckoutResult
    from mlops.reproduce.diff import DiffResult
    from mlops.reproduce.rebuild import ReproduceResult

# `reproduce_version`, not `reproduce`: the package attribute `mlops.api.reproduce` is this module once imported
__all__ = ["checkout", "reproduce_version", "diff"]


def _root(root: str | os.PathLike[str] | None) -> Path:
    from mlops.config import find_root

    return Path(root) if root is not None else find_root()


def checkout(
    ref: str,
    *,
    worktree: str | os.PathLike[str] | None = None,
    allow_missing: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> CheckoutResult:
    """Check out REF's commit (detached) and its DVC data, fetching what the cache lacks from the DVC
    remote. With `worktree`, build it in a new git worktree sharing the DVC cache instead.
    Raises DirtyTreeError (uncommitted changes), UnknownReference, InputError (data nowhere to be found)."""
    from mlops.reproduce.checkout import checkout as run

    return run(_root(root), ref, into=worktree, allow_missing=allow_missing)


def reproduce_version(
    ref: str,
    *,
    keep: bool = False,
    on_line: Callable[[str], None] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> ReproduceResult:
    """Re-run REF's pipeline in a temporary worktree and compare every output hash with its dvc.lock.
    The result's `ok` is False when any output differs. Raises CheckFailed when `dvc repro` fails.
    `on_line` receives `dvc repro`'s output line by line, as it runs."""
    from mlops.reproduce.rebuild import reproduce as run

    return run(_root(root), ref, keep=keep, on_line=on_line)


def diff(ref_a: str, ref_b: str, *, root: str | os.PathLike[str] | None = None) -> DiffResult:
    """Params, metrics (with deltas), data hashes, pipeline stages and rules changed from REF_A to REF_B."""
    from mlops.reproduce.diff import diff as run

    return run(_root(root), ref_a, ref_b)
