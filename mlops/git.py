"""Every git subprocess call goes through here.

The environment is pre-commit's keep-list (`no_git_env`): inherited GIT_* variables are removed, because
when mlops runs from a Git hook, GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE and friends point at the hook's
repository and would silently redirect our commands (and DVC's, which runs git too). Kept: identity and
dates (tests and CI pin who writes tags), transport and credentials settings (GIT_SSH*, GIT_SSL_CAINFO,
GIT_ASKPASS, proxies) and configuration passed through the environment (GIT_CONFIG_COUNT with its
GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n pairs, GIT_CONFIG_GLOBAL/SYSTEM/NOSYSTEM).

No git library (GitPython, dulwich) is used: `mlops --help` and `mlops lint` must not import one, and the
registry is read with one `git for-each-ref` process, faster than any object-per-tag library.
User values (tag names, revisions, paths) always follow `--end-of-options` or `--`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops.errors import DirtyTreeError, GitError

_KEEP = frozenset(
    {
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_ASKPASS",
        "GIT_TERMINAL_PROMPT",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_PARAMETERS",
    }
)
_KEEP_PREFIXES = ("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")


def clean_env(extra: dict[str, str] | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for git (and for tools that run git, such as dvc): the keep-list above."""
    source = os.environ if base is None else base
    env = {
        k: v
        for k, v in source.items()
        if not k.startswith("GIT_") or k in _KEEP or k.startswith(_KEEP_PREFIXES)
    }
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class Result:
    """A finished git process: bytes in, bytes out; `.stdout`/`.stderr` decode as UTF-8 (replacing)."""

    args: tuple[str, ...]
    returncode: int
    out: bytes
    err: bytes

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "replace")


def run_bytes(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """Run `git ARGS`; with `check`, a non-zero exit raises GitError naming the command and git's last line."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, input=input, env=clean_env(env))
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise GitError(f"not a folder: {cwd}") from None
    result = Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise GitError(f"git {_command(args)} failed: {last_line(result)}")
    return result


def run(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    *,
    check: bool = True,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """As run_bytes, with text input."""
    return run_bytes(args, cwd, check=check, input=None if input is None else input.encode("utf-8"), env=env)


def last_line(result: Result) -> str:
    detail = (result.stderr or result.stdout).strip().splitlines()
    return detail[-1] if detail else f"exit {result.returncode}"


def _command(args: Sequence[str]) -> str:
    """The git subcommand (`tag`, `commit`), skipping `-c key=value` options before it."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-c":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return " ".join(args[:1])


def output(args: Sequence[str], cwd: str | os.PathLike[str]) -> str:
    return run(args, cwd).stdout


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The Git work tree root containing `start`: a folder walk (no process), the one root finder."""
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    raise GitError(f"not a Git repository: {here}", hint="run `git init` or `mlops init`")


def root(cwd: str | os.PathLike[str] = ".") -> Path:
    return find_root(cwd)


def git_dir(root: str | os.PathLike[str]) -> Path:
    """The repository's common .git folder (shared by its worktrees)."""
    path = Path(root) / ".git"
    if path.is_dir():
        return path
    return (Path(root) / output(["rev-parse", "--git-common-dir"], root).strip()).resolve()


def resolve_commit(rev: str, cwd: str | os.PathLike[str]) -> str:
    """Full commit hash of a revision (tags are peeled), or UnknownReference."""
    from mlops.errors import UnknownReference

    proc = run(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd, check=False
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UnknownReference(f"unknown revision `{rev}`")
    return proc.stdout.strip()


def cat_file_batch(root: str | os.PathLike[str], objects: Iterable[str]) -> list[bytes | None]:
    """The contents of each object (`REV:PATH` or a hash) through ONE `git cat-file --batch` process;
    None for an object that is missing or is not a blob."""
    wanted = list(objects)
    if not wanted:
        return []
    if any("\n" in name for name in wanted):
        raise GitError("an object name holds a newline")
    proc = run_bytes(["cat-file", "--batch"], root, input="".join(f"{o}\n" for o in wanted).encode("utf-8"))
    out, pos, found = proc.out, 0, []
    for _name in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
            size = int(header[2])
            found.append(out[pos : pos + size] if header[1] == b"blob" else None)
            pos += size + 1
        else:  # "<object> missing" or "ambiguous"
            found.append(None)
    return found


def show_file(rev: str, path: str, cwd: str | os.PathLike[str]) -> bytes | None:
    """Bytes of PATH at REV as Git stores it, or None when the file is not in that commit."""
    return cat_file_batch(cwd, [f"{rev}:{path}"])[0]


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
        raise DirtyTreeError(
            f"the work tree has uncommitted changes ({listing}); {what} would touch it",
            hint="commit them or `git stash` first",
        )


def tracked_files(cwd: str | os.PathLike[str]) -> set[str]:
    out = output(["ls-files", "-z"], cwd)
    return {p for p in out.split("\0") if p}


def identity(cwd: str | os.PathLike[str] = ".", role: str = "author") -> str | None:
    """`Name <email>` as Git itself would record it (`git var GIT_AUTHOR_IDENT`, or GIT_COMMITTER_IDENT for
    role="committer", the tagger of a tag): GIT_AUTHOR_NAME/EMAIL win over the config files, as they do for
    commits and tags. None when Git has no identity."""
    proc = run(
        ["var", "GIT_COMMITTER_IDENT" if role == "committer" else "GIT_AUTHOR_IDENT"], cwd, check=False
    )
    ident = proc.stdout.strip()
    if proc.returncode != 0 or not ident:
        return None
    return ident.rsplit(" ", 2)[0]  # drop the timestamp and zone Git appends
