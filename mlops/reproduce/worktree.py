"""Git worktrees that share the DVC cache of the main repository.

A worktree gets its own `.dvc/config.local` holding the main repository's local settings (remotes,
credentials) plus `cache.dir` pointing at the main repository's cache, as `dvc cache dir --local PATH`
would write. So data restored or built in the worktree costs no second copy of the cache, and nothing the
worktree does touches the main work tree.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from mlops import git
from mlops.errors import UsageError


def registered(root: str | os.PathLike[str]) -> set[Path]:
    """Paths of every worktree of the repository (the main one included)."""
    out = git.output(["worktree", "list", "--porcelain"], root)
    return {
        Path(line[len("worktree ") :]).resolve() for line in out.splitlines() if line.startswith("worktree ")
    }


def add(root: str | os.PathLike[str], path: str | os.PathLike[str], commit: str) -> Path:
    """A detached worktree of COMMIT at PATH (which must not exist or be an empty folder)."""
    target = Path(path).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{path} already exists and is not an empty folder",
            hint="choose a new folder, or remove that one",
        )
    git.run(["worktree", "add", "--detach", "--quiet", str(target), commit], root)
    return target


def share_cache(main_repo: Any, worktree: str | os.PathLike[str]) -> None:
    """Point the worktree's DVC at the main repository's cache, keeping its local settings."""
    from dvc.config import Config

    local = main_repo.config.load_one("local")  # paths come back absolute
    config = Config(dvc_dir=os.path.join(os.fspath(worktree), ".dvc"), validate=False)
    with config.edit("local") as conf:
        for section, values in local.items():
            if values:
                conf.setdefault(section, {}).update(values)
        conf.setdefault("cache", {})["dir"] = main_repo.cache.local_cache_dir


def remove(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Remove a worktree and its registration; never fails loudly (used in cleanup)."""
    git.run(["worktree", "remove", "--force", "--force", str(path)], root, check=False)
    shutil.rmtree(path, ignore_errors=True)
    git.run(["worktree", "prune"], root, check=False)
