"""Every git subprocess call goes through here.

Inherited GIT_* variables are removed (as pre-commit does): when mlops runs from a Git hook, GIT_DIR,
GIT_INDEX_FILE and friends point at the hook's repository and would silently redirect our commands.
Identity variables (GIT_AUTHOR_*, GIT_COMMITTER_*) are kept so tests and CI can pin who writes tags.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from mlops.errors import DirtyTreeError, GitError

_KEEP = {"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
         "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS",
         "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"}


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if extra:
        env.update(extra)
    return env


def run(args: Sequence[str], cwd: str | os.PathLike[str], *, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input,
                              env=clean_env(env), encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")
    return proc


def output(args: Sequence[str], cwd: str | os.PathLike[str]) -> str:
    return run(args, cwd).stdout


def root(cwd: str | os.PathLike[str] = ".") -> Path:
    proc = run(["rev-parse", "--show-toplevel"], cwd, check=False)
    if proc.returncode != 0:
        raise GitError(f"not a Git repository: {Path(cwd).resolve()}")
    return Path(proc.stdout.strip())


def resolve_commit(rev: str, cwd: str | os.PathLike[str]) -> str:
    """Full commit hash of a revision (tags are peeled), or UnknownReference."""
    from mlops.errors import UnknownReference

    proc = run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UnknownReference(f"unknown revision `{rev}`")
    return proc.stdout.strip()


def show_file(rev: str, path: str, cwd: str | os.PathLike[str]) -> bytes | None:
    """Bytes of PATH at REV as Git stores it, or None when the file is not in that commit."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=cwd, capture_output=True, env=clean_env())
    if proc.returncode != 0:
        return None
    return proc.stdout


def current_branch(cwd: str | os.PathLike[str]) -> str | None:
    proc = run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    return proc.stdout.strip() or None


def dirty_paths(cwd: str | os.PathLike[str], *, include_untracked: bool = False) -> list[str]:
    args = ["status", "--porcelain=v1", "-z"]
    args.append("--untracked-files=normal" if include_untracked else "--untracked-files=no")
    out = output(args, cwd)
    paths = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        if not entry:
            i += 1
            continue
        status, path = entry[:2], entry[3:]
        paths.append(path)
        i += 2 if status[0] in "RC" else 1  # renames carry the old path as the next entry
    return paths


def require_clean(cwd: str | os.PathLike[str], what: str = "this command") -> None:
    dirty = dirty_paths(cwd)
    if dirty:
        listing = ", ".join(dirty[:10]) + (f" and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        raise DirtyTreeError(f"the work tree has uncommitted changes ({listing}); {what} would touch it",
                             hint="commit them or `git stash` first")


def tracked_files(cwd: str | os.PathLike[str]) -> set[str]:
    out = output(["ls-files", "-z"], cwd)
    return {p for p in out.split("\0") if p}


def identity(cwd: str | os.PathLike[str] = ".", role: str = "author") -> str | None:
    """`Name <email>` as Git itself would record it (`git var GIT_AUTHOR_IDENT`, or GIT_COMMITTER_IDENT for
    role="committer", the tagger of a tag): GIT_AUTHOR_NAME/EMAIL win over the config files, as they do for
    commits and tags. None when Git has no identity."""
    proc = run(["var", "GIT_COMMITTER_IDENT" if role == "committer" else "GIT_AUTHOR_IDENT"], cwd, check=False)
    ident = proc.stdout.strip()
    if proc.returncode != 0 or not ident:
        return None
    return ident.rsplit(" ", 2)[0]  # drop the timestamp and zone Git appends
