"""The repository a `get` reads from: the current clone, a local clone given by path, or a temporary clone
of a URL (as `dvc get` makes one), removed afterwards."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mlops import git
from mlops.errors import GitError, InputError


@contextlib.contextmanager
def repository(repo: str | os.PathLike[str] | None) -> Iterator[Path]:
    """The root to read from. A local work tree is read in place (its DVC cache too); a URL or a bare
    repository is cloned into a temporary folder first."""
    if repo is None:
        yield git.find_root()
        return
    local = Path(repo)
    if local.is_dir() and (local / ".git").exists():
        yield local.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="mlops-get-") as tmp:
        yield clone(os.fspath(repo), Path(tmp) / "repo")


def clone(url: str, dest: Path) -> Path:
    """A full clone of URL (tags included) at DEST; InputError (exit 2) naming URL when git cannot."""
    if url.startswith("-"):
        raise InputError(f"`{url}` is not a repository path or URL")
    try:
        git.run(["clone", "--quiet", "--no-recurse-submodules", "--", url, os.fspath(dest)], dest.parent)
    except GitError as exc:
        raise InputError(f"cannot clone the repository {url}: {exc.message}") from None
    return dest
