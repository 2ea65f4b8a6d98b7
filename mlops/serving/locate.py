"""Where an artifact's bytes are at a version: the commit, the path, and the hash DVC recorded for it.

A registry reference (`churn#production`, `churn@v1.2.0`, `churn@latest`) names a commit and, through the
version's registration block (or promotion.yaml / artifacts.yaml at that commit), a path; `REV:PATH` names
both directly. The hash comes from the commit's `PATH.dvc` (or a parent folder's) and dvc.lock, read from
Git, so nothing is checked out and no repository code runs.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from mlops import git
from mlops.errors import UnknownReference, UsageError
from mlops.refs import Resolved, parse_registry_ref, resolve, split_ref_path


@dataclass(frozen=True)
class Target:
    """One artifact or file at one commit."""

    ref: str
    commit: str
    path: str  # relative to the repository root, forward slashes
    artifact: str | None = None
    version: str | None = None
    stage: str | None = None
    md5: str | None = None  # DVC's hash of the output holding PATH (`…​.dir` for a folder output)
    out_path: str | None = None  # that output's path (PATH itself, or a folder above it)
    in_git: bool = False  # Git has PATH's bytes at the commit (a plain file, not DVC-tracked)

    @property
    def inside(self) -> str:
        """PATH relative to its folder output ('' when PATH is the output itself)."""
        if not self.out_path or self.out_path == self.path:
            return ""
        return posixpath.relpath(self.path, self.out_path)


def locate(root: str | os.PathLike[str], ref: str, rev: str | None = None) -> Target:
    """The target a `mlops get` argument names; UnknownReference or UsageError (exit 2) when it names none."""
    base = Path(root)
    if rev is not None:
        if parse_registry_ref(ref) is not None:
            raise UsageError(f"`{ref}` already names a version: --rev applies to a plain PATH only")
        return _with_hash(base, Target(ref, git.resolve_commit(rev, base), _clean(ref)))
    if parse_registry_ref(ref) is not None:
        found = resolve(ref, base)
        return _with_hash(base, Target(ref, found.commit, _artifact_path(base, found), *_names(found)))
    if ":" not in ref:
        raise UsageError(
            f"`{ref}` names no version: give ARTIFACT@vX.Y.Z, ARTIFACT#STAGE, ARTIFACT@latest or REV:PATH",
            hint=f"for a file at HEAD: `mlops get HEAD:{ref}`",
        )
    rev_part, path = split_ref_path(ref)
    found = resolve(rev_part, base)
    return _with_hash(base, Target(ref, found.commit, _clean(path), *_names(found)))


def _names(found: Resolved) -> tuple[str | None, str | None, str | None]:
    return found.artifact, found.version, found.stage


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path.replace("\\", "/")).strip("/")
    if cleaned.startswith("..") or cleaned in ("", "."):
        raise UsageError(f"`{path}` is not a path inside the repository")
    return cleaned


def _artifact_path(root: Path, found: Resolved) -> str:
    """The artifact's path as its registration recorded it, else as declared at the commit."""
    from mlops.registry import read_state

    assert found.artifact is not None
    art = read_state(root).artifact(found.artifact)
    version = art.version(found.version) if art and found.version else None
    recorded = version.message_data.get("path") if version else None
    if isinstance(recorded, str) and recorded:
        return _clean(recorded)
    declared = _declared_path(root, found.commit, found.artifact)
    if declared is None:
        raise UnknownReference(
            f"`{found.ref}`: no path is recorded for {found.artifact} at {found.commit[:12]} "
            "(neither in its registration nor in promotion.yaml or artifacts.yaml)"
        )
    return _clean(declared)


def _declared_path(root: Path, commit: str, artifact: str) -> str | None:
    from mlops.config.yamlload import parse_or_none
    from mlops.registry.read import artifact_annotations

    promotion = parse_or_none(git.show_file(commit, "promotion.yaml", root))
    arts = promotion.get("artifacts") if isinstance(promotion, dict) else None
    spec = arts.get(artifact) if isinstance(arts, dict) else None
    if isinstance(spec, dict) and isinstance(spec.get("path"), str):
        return str(spec["path"])
    note = artifact_annotations(root, commit).get(artifact) or {}
    return note.get("path")


def _with_hash(root: Path, target: Target) -> Target:
    """TARGET with where its bytes are: in Git, or the DVC output (and its hash) that holds the path."""
    from dataclasses import replace

    if _git_kind(root, target.commit, target.path) == "blob":
        return replace(target, in_git=True)
    out = _dvc_output(root, target.commit, target.path)
    if out is None:
        raise UnknownReference(
            f"{target.path} is neither in Git nor tracked by DVC at {target.commit[:12]} (`{target.ref}`)"
        )
    return replace(target, md5=out[1], out_path=out[0])


def _git_kind(root: Path, commit: str, path: str) -> str:
    proc = git.run(["cat-file", "-t", f"{commit}:{path}"], root, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _dvc_output(root: Path, commit: str, path: str) -> tuple[str, str] | None:
    """(output path, md5) of the DVC output that is PATH or a folder above it, at COMMIT."""
    from mlops.registry.atcommit import read_blobs
    from mlops.reproduce.lock import read_locks

    parts = path.split("/")
    parents = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
    files = [f"{p}.dvc" for p in parents] + _lock_files(root, commit)
    stages = read_locks(files, lambda paths: read_blobs(root, commit, paths))
    for candidate in parents:
        for stage in stages.values():
            entry = stage.outs.get(candidate)
            if entry is not None and entry.md5 and (candidate == path or entry.isdir):
                return candidate, entry.md5
    return None


def _lock_files(root: Path, commit: str) -> list[str]:
    """Every dvc.lock in the commit's tree (pipelines may live in sub-folders)."""
    proc = git.run(["ls-tree", "-r", "--name-only", commit], root, check=False)
    names = proc.stdout.splitlines() if proc.returncode == 0 else []
    return [n for n in names if n == "dvc.lock" or n.endswith("/dvc.lock")] or ["dvc.lock"]
