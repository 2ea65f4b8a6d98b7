"""Files at a commit, read through ONE `git cat-file --batch` process (no checkout, no per-file git call)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from mlops import git


def read_blobs(root: str | os.PathLike[str], commit: str, paths: Iterable[str]) -> dict[str, bytes | None]:
    """PATH -> bytes of that file at COMMIT, None when it is not a file there (missing, or a folder)."""
    wanted = list(dict.fromkeys(paths))
    return dict(zip(wanted, git.cat_file_batch(root, [f"{commit}:{p}" for p in wanted]), strict=True))
