"""`mlops checkout`: a version's commit and its data, in the work tree or in a separate worktree.

Order matters for safety. What can refuse (unknown reference, uncommitted Git changes, data the cache and
the remote lack) is checked before the work tree changes. Then `git checkout --detach` and one in-process
`dvc checkout`, whose own check refuses to overwrite DVC-tracked data that is in no cache: Git is then put
back. So a refused checkout changes nothing. Each step is idempotent: after an interruption (a half-done
download, or a stop between the two checkouts) running the command again finishes the job.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlops import git, refs
from mlops.errors import DirtyTreeError, GitError, InputError, MlopsError
from mlops.reproduce import dvcrepo, lock, worktree
from mlops.reproduce.snapshot import Snapshot


@dataclass
class Restored:
    path: str
    change: str  # added | modified | deleted
    size: int  # bytes now in the work tree (0 when deleted)
    files: int  # 1 for a file, the file count for a directory


@dataclass
class CheckoutResult:
    ref: str
    commit: str
    artifact: str | None
    version: str | None
    previous: str | None  # the branch (or commit) the work tree was on, to go back to
    worktree: str | None  # set with --worktree
    restored: list[Restored] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # paths whose data came from the DVC remote
    remote: str | None = None  # the DVC remote tried, `name (url, from where)`, when the cache lacked data
    missing: list[str] = field(default_factory=list)  # with allow_missing: paths left absent
    warnings: list[str] = field(default_factory=list)
    data: bool = True  # False when DVC had no part (a plain Git repository, or a commit before `dvc init`)

    @property
    def restored_bytes(self) -> int:
        return sum(r.size for r in self.restored)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"restored_bytes": self.restored_bytes}


def cached_entries(snapshot: Snapshot, parse: lock.Parser = lock.parse_or_none) -> list[lock.HashEntry]:
    """Outputs of COMMIT that DVC keeps in its cache. Outputs committed to Git (`cache: false` metrics)
    are left out: they come with the Git checkout."""
    entries: dict[str, lock.HashEntry] = {}
    for stage in lock.from_snapshot(snapshot, parse).values():
        for path, entry in stage.outs.items():
            if path not in snapshot.files and entry.md5 and "://" not in path:
                entries[path] = entry
    return list(entries.values())


def checkout(
    root: str | os.PathLike[str],
    ref: str,
    *,
    into: str | os.PathLike[str] | None = None,
    allow_missing: bool = False,
) -> CheckoutResult:
    base = Path(root)
    resolved = refs.resolve(ref, base)
    result = CheckoutResult(
        ref=ref,
        commit=resolved.commit,
        artifact=resolved.artifact,
        version=resolved.version,
        previous=None,
        worktree=None,
    )
    if into is not None:
        return _into_worktree(base, Path(into), result, allow_missing)
    result.previous, branch = _heads(base, ref if resolved.artifact is None else None)
    _require_clean(base)
    snapshot = Snapshot(base, resolved.commit)
    if not _uses_dvc(snapshot, result):
        _git_checkout(base, resolved.commit, branch)
        return result
    if not dvcrepo.is_dvc_repo(base):  # from a commit before `dvc init`: no DVC data here to protect
        _git_checkout(base, resolved.commit, branch)
        try:  # DVC can only be opened once Git has written .dvc/config: put Git back if the data is nowhere
            with dvcrepo.dvc_errors("dvc checkout failed") as warnings:
                repo = dvcrepo.open_repo(base)
                try:
                    _ensure_cached(repo, snapshot, result, allow_missing)
                    _dvc_checkout(repo, base, result, allow_missing)
                finally:
                    repo.close()
                result.warnings.extend(_useful(warnings))
        except MlopsError as exc:
            if result.previous is None:  # nothing was checked out before (a fresh clone of an empty HEAD)
                exc.message += f" (Git now has {resolved.commit[:7]} checked out, without its DVC data)"
                raise
            _git_checkout(base, result.previous, result.previous)
            raise
        return result
    with dvcrepo.dvc_errors("dvc checkout failed") as warnings:
        repo = dvcrepo.open_repo(base)
        try:
            _ensure_cached(repo, snapshot, result, allow_missing)
            _git_checkout(base, resolved.commit, branch)
            dvcrepo.reset(repo)
            try:
                _dvc_checkout(repo, base, result, allow_missing)
            except _Unsaved as exc:  # DVC checked before writing anything: put Git back, and say why
                if result.previous is not None:
                    _git_checkout(base, result.previous, result.previous)
                raise _dirty(exc.paths, "DVC-tracked, not saved in the DVC cache") from None
        finally:
            repo.close()
        result.warnings.extend(_useful(warnings))
    return result


def _uses_dvc(snapshot: Snapshot, result: CheckoutResult) -> bool:
    """False for a commit from before `dvc init`: Git alone checks it out (DVC would find no pipeline
    there and only delete data; what the current version tracks stays in the work tree, untracked)."""
    if ".dvc/config" in snapshot.files:
        return True
    result.data = False
    if not (snapshot.root / ".dvc").is_dir():
        return False
    result.warnings.append(
        f"{snapshot.commit[:7]} predates DVC in this repository: only Git files were checked out"
    )
    return False


def _heads(root: Path, ref: str | None) -> tuple[str | None, str | None]:
    """(the branch or commit HEAD is on now, REF when it names a local branch): going back with `mlops
    checkout main` puts you on the branch, not on a detached commit. The first is None in a fresh clone
    whose HEAD names a branch with no commit yet (a bare origin whose HEAD names a missing branch)."""
    commit = git.run(["rev-parse", "--verify", "--quiet", "HEAD"], root, check=False).stdout.strip()
    now = (git.current_branch(root) or commit) if commit else None
    branch = None
    if ref and not ref.startswith("-"):
        found = git.run(["rev-parse", "--verify", "--quiet", f"refs/heads/{ref}"], root, check=False)
        branch = ref if found.returncode == 0 else None
    return now, branch


def _useful(warnings: list[str]) -> list[str]:
    """DVC's own warning about missing cache files repeats, as hashes, what mlops reports by path."""
    return [w for w in warnings if "cache files do not exist" not in w]


class _Unsaved(Exception):
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths


def _into_worktree(base: Path, into: Path, result: CheckoutResult, allow_missing: bool) -> CheckoutResult:
    target = into.resolve()
    resume = target in worktree.registered(base) and target != base.resolve()
    if resume:  # a previous run was interrupted, or the user reuses the folder: same rules as in place
        _require_clean(target)
    snapshot = Snapshot(base, result.commit)
    if not dvcrepo.is_dvc_repo(base) or not _uses_dvc(snapshot, result):  # worktree of a pre-DVC repo/commit
        if resume:
            _git_checkout(target, result.commit)
        else:
            worktree.add(base, target, result.commit)
        result.worktree = str(target)
        return result
    with dvcrepo.dvc_errors("dvc checkout failed") as warnings:
        main = dvcrepo.open_repo(base)
        try:
            _ensure_cached(main, snapshot, result, allow_missing)
            if resume:
                _git_checkout(target, result.commit)
            else:
                worktree.add(base, target, result.commit)
            result.worktree = str(target)
            worktree.share_cache(main, target)
        finally:
            main.close()
        repo = dvcrepo.open_repo(target)
        try:
            _dvc_checkout(repo, target, result, allow_missing)
        except _Unsaved as exc:
            raise _dirty(exc.paths, "DVC-tracked, not saved in the DVC cache") from None
        finally:
            repo.close()
        result.warnings.extend(_useful(warnings))
    return result


def _require_clean(root: Path) -> None:
    dirty = git.dirty_paths(root)
    if dirty:
        raise _dirty(dirty, "uncommitted")


def _dirty(paths: list[str], what: str) -> DirtyTreeError:
    listing = _listing(paths)
    hint = (
        "commit them, or set them aside with `git stash` (and `git stash pop` later)"
        if what == "uncommitted"
        else "save them (`dvc commit` or `mlops run`, then `git commit`), or discard them with "
        "`dvc checkout --force`"
    )
    return DirtyTreeError(
        f"the work tree has {what} changes, which checkout would overwrite: {listing}", hint=hint
    )


def _ensure_cached(repo: Any, snapshot: Snapshot, result: CheckoutResult, allow_missing: bool) -> None:
    """Fetch from the DVC remote what the cache lacks, before anything in the work tree changes. The remote
    is the one configured now (mlops.reproduce.dvcrepo.pull_entries); the error says which remote was tried
    and whether it could not be reached or lacks the objects."""
    lacking = dvcrepo.missing(repo, cached_entries(snapshot, dvcrepo.parse_yaml))
    if not lacking:
        return
    try:
        pulled = dvcrepo.pull_entries(repo, snapshot.root, snapshot.commit, lacking)
    except InputError:
        if not allow_missing:
            raise
        result.missing = sorted(e.path for e in lacking)
        result.warnings.append("no DVC remote is configured: the data the cache lacks was left missing")
        return
    result.remote = pulled.describe()
    still = {e.path for e in pulled.lacking}
    result.fetched = sorted(e.path for e in lacking if e.path not in still)
    result.missing = sorted(still)
    if not still:
        return
    listing = _listing(sorted(still))
    problem, hint = _remote_problem(pulled, listing)
    if allow_missing:
        result.warnings.append(problem)
        return
    raise InputError(
        f"the DVC cache lacks {listing} at {snapshot.commit[:12]} and {problem}; nothing was changed",
        hint=f"{hint}, or pass --allow-missing",
    )


def _remote_problem(pulled: Any, listing: str) -> tuple[str, str]:
    """Why the remote did not provide LISTING, and what to do about it."""
    if pulled.unreachable:
        hint = "check its URL and credentials (`dvc remote list`; `dvc remote modify --local` to change them here)"
        return pulled.problem(), hint
    return (
        f"{pulled.describe()} does not have the data of {listing}",
        f"push it from where it was built (`dvc push -r {pulled.remote}`)",
    )


def _listing(paths: list[str]) -> str:
    """The first ten paths, and how many more."""
    return ", ".join(paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")


def _git_checkout(root: Path, commit: str, branch: str | None = None) -> None:
    args = ["checkout", "--quiet", branch] if branch else ["checkout", "--quiet", "--detach", commit]
    proc = git.run(args, root, check=False)
    if proc.returncode == 0:
        return
    blocking = [line.strip() for line in proc.stderr.splitlines() if line.startswith("\t")]
    if blocking:  # untracked files in the way: git refused before changing anything
        raise DirtyTreeError(
            f"untracked files would be overwritten by the checkout: {_listing(blocking)}",
            hint="move or remove them, or set them aside with `git stash --include-untracked`",
        )
    detail = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    raise GitError(f"git checkout failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")


def _dvc_checkout(repo: Any, root: Path, result: CheckoutResult, allow_missing: bool) -> None:
    from dvc.exceptions import CheckoutError, DvcException

    try:
        changes = repo.checkout(allow_missing=allow_missing)
    except CheckoutError as exc:
        failed = ", ".join(sorted(_rel(root, p) for p in exc.target_infos))
        raise InputError(
            f"dvc checkout could not restore {failed}",
            hint="run `mlops checkout` again once the DVC remote has the data",
        ) from None
    except DvcException as exc:
        text = str(exc)
        if not text.startswith(dvcrepo.UNSAVED):
            raise
        raise _Unsaved(
            sorted(_rel(root, line.strip()) for line in text.splitlines()[1:] if line.strip())
        ) from None
    for change in ("added", "modified", "deleted"):
        for path in changes.get(change, []):
            rel = _rel(root, path)
            size, files = (0, 0) if change == "deleted" else _measure(root / rel)
            result.restored.append(Restored(rel, change, size, files))
    result.restored.sort(key=lambda r: r.path)


def _rel(root: Path, path: str) -> str:
    """DVC reports paths relative to the current directory; make them relative to the repository."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _measure(path: Path) -> tuple[int, int]:
    if path.is_file():
        return path.stat().st_size, 1
    size = files = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            try:
                size += os.stat(os.path.join(folder, name)).st_size
                files += 1
            except OSError:
                pass
    return size, files
