"""`mlops reproduce`: rebuild a version from its sources in a temporary worktree and compare hashes.

The worktree shares the DVC cache, gets only the source data (what `dvc add` tracks) checked out, then
`dvc repro --force --no-run-cache --no-commit` re-runs every stage: forced so nothing is skipped, without the
run cache so nothing is restored instead of computed, without committing so a build that does not reproduce
leaves nothing in the cache. The dvc.lock it writes is compared, output by output, with the commit's own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlops import refs
from mlops.config.yamlload import YamlProblem, load_json
from mlops.errors import CheckFailed, InputError
from mlops.reproduce import dvcrepo, lock, worktree
from mlops.reproduce.snapshot import Snapshot

REPRO_ARGS = ["repro", "--force", "--no-run-cache", "--no-commit"]


# missing: not produced by the rebuild; unrecorded: the stage is not in the commit's dvc.lock
OutputStatus = Literal["reproduced", "differs", "missing", "unrecorded"]


@dataclass
class OutputCheck:
    stage: str
    path: str
    status: OutputStatus
    expected: str | None  # md5 recorded at the commit
    actual: str | None  # md5 of the rebuild
    expected_size: int | None = None
    actual_size: int | None = None
    files: list[str] = field(default_factory=list)  # for a directory: the files that differ, when known


@dataclass
class ReproduceResult:
    ref: str
    commit: str
    artifact: str | None
    version: str | None
    stages: list[str] = field(default_factory=list)
    outputs: list[OutputCheck] = field(default_factory=list)
    kept: str | None = None  # the worktree, with --keep
    log: str | None = None  # dvc repro's output, with --keep

    @property
    def ok(self) -> bool:
        return all(o.status == "reproduced" for o in self.outputs)

    @property
    def differing(self) -> list[OutputCheck]:
        return [o for o in self.outputs if o.status != "reproduced"]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def reproduce(
    root: str | os.PathLike[str],
    ref: str,
    *,
    keep: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> ReproduceResult:
    """Rebuild REF and compare; ON_LINE receives `dvc repro`'s output line by line (the CLI's --verbose)."""
    base = Path(root)
    resolved = refs.resolve(ref, base)
    result = ReproduceResult(
        ref=ref, commit=resolved.commit, artifact=resolved.artifact, version=resolved.version
    )
    if not dvcrepo.is_dvc_repo(base):
        raise InputError("not a DVC repository: nothing to reproduce", hint="run `mlops init` or `dvc init`")
    snapshot = Snapshot(base, resolved.commit)
    recorded = lock.from_snapshot(snapshot)
    pipeline = {name: stage for name, stage in recorded.items() if not stage.is_source}
    if not pipeline:
        raise InputError(
            f"{ref} has no pipeline stages in a dvc.lock: nothing to rebuild",
            hint="run the pipeline (`mlops run`) and commit dvc.lock",
        )
    sources = [s for s in recorded.values() if s.is_source]
    result.stages = list(pipeline)  # dvc.lock order: the pipeline's own

    temp = Path(tempfile.mkdtemp(prefix=f"mlops-reproduce-{resolved.commit[:8]}-"))
    tree = temp / "worktree"
    log = temp / "repro.log"
    try:
        _prepare(base, tree, resolved.commit, snapshot, sources)
        if dvcrepo.run_cli(REPRO_ARGS, tree, log, on_line) != 0:
            raise _repro_failed(ref, tree, log, keep)
        rebuilt = lock.from_worktree(tree, lock.lock_files(snapshot.files))
        result.outputs = compare(pipeline, rebuilt, tree)
        if keep:
            result.kept, result.log = str(tree), str(log)
    finally:
        if not keep:
            worktree.remove(base, tree)
            shutil.rmtree(temp, ignore_errors=True)
    return result


def _repro_failed(ref: str, tree: Path, log: Path, keep: bool) -> CheckFailed:
    hint = (
        f"the worktree is kept at {tree}, the full log at {log}"
        if keep
        else f"run with --keep to inspect the worktree and the full log of `dvc {' '.join(REPRO_ARGS)}`"
    )
    return CheckFailed(f"`dvc repro` failed while rebuilding {ref}: {_tail(log)}", hint=hint)


def _prepare(base: Path, tree: Path, commit: str, snapshot: Snapshot, sources: list[lock.StageLock]) -> None:
    """A worktree of COMMIT at TREE sharing the repository's DVC cache, its source data checked out."""
    with dvcrepo.dvc_errors("could not prepare the rebuild"):
        main = dvcrepo.open_repo(base)
        try:
            _ensure_sources(main, snapshot, sources)
            worktree.add(base, tree, commit)
            worktree.share_cache(main, tree)
        finally:
            main.close()
        if sources:
            repo = dvcrepo.open_repo(tree)
            try:
                repo.checkout(targets=[str(tree / s.file) for s in sources])
            finally:
                repo.close()


def _ensure_sources(repo: Any, snapshot: Snapshot, sources: list[lock.StageLock]) -> None:
    entries = [e for s in sources for e in s.outs.values() if e.path not in snapshot.files]
    lacking = dvcrepo.missing(repo, entries)
    if not lacking:
        return
    try:  # only the sources: the outputs are what the rebuild makes
        dvcrepo.fetch(repo, snapshot.commit, sorted({s.file for s in sources}))
    except InputError:
        pass
    still = sorted(e.path for e in dvcrepo.missing(repo, lacking))
    if still:
        raise InputError(
            f"cannot rebuild: neither the DVC cache nor the remote has the source data {', '.join(still)}",
            hint="push it from where it was added (`dvc push`)",
        )


def compare(
    recorded: dict[str, lock.StageLock], rebuilt: dict[str, lock.StageLock], tree: Path
) -> list[OutputCheck]:
    checks: list[OutputCheck] = []
    for name, stage in recorded.items():
        new_stage = rebuilt.get(name)
        for path, old in sorted(stage.outs.items()):
            new = new_stage.outs.get(path) if new_stage else None
            checks.append(_check_output(name, path, old, new, tree))
    for name, stage in rebuilt.items():
        if stage.is_source or name in recorded:
            continue
        for path, new in sorted(stage.outs.items()):
            checks.append(OutputCheck(name, path, "unrecorded", None, new.md5, None, new.size))
    return checks


def _check_output(
    name: str, path: str, old: lock.HashEntry, new: lock.HashEntry | None, tree: Path
) -> OutputCheck:
    status = _status(path, old, new, tree)
    check = OutputCheck(
        name, path, status, old.md5, new.md5 if new else None, old.size, new.size if new else None
    )
    if status == "differs" and old.isdir:
        check.files = _dir_differences(tree, old)
    return check


def _status(path: str, old: lock.HashEntry, new: lock.HashEntry | None, tree: Path) -> OutputStatus:
    # only source data was checked out: an output not on disk was not rebuilt (a frozen stage),
    # whatever the lock still says
    if new is None or new.md5 is None or not (tree / path).exists():
        return "missing"
    return "reproduced" if new.md5 == old.md5 else "differs"


def _dir_differences(tree: Path, old: lock.HashEntry) -> list[str]:
    """Files of a rebuilt directory whose content differs from the recorded manifest (when in the cache)."""
    manifest = _manifest(tree, old.md5 or "")
    if manifest is None:
        return []
    folder = tree / old.path
    now: dict[str, str] = {}
    for current, _dirs, names in os.walk(folder):
        for name in names:
            full = Path(current) / name
            now[full.relative_to(folder).as_posix()] = _md5(full)
    return sorted(rel for rel in set(manifest) | set(now) if manifest.get(rel) != now.get(rel))


def _manifest(tree: Path, oid: str) -> dict[str, str] | None:
    from dvc.exceptions import DvcException

    try:
        repo = dvcrepo.open_repo(tree)
    except (InputError, DvcException):  # only a detail of the report: without it, no file list
        return None
    try:
        path = repo.cache.local.oid_to_path(oid)
        with open(path, "rb") as handle:
            listing = load_json(handle.read(), path)  # the bounded reader: cache files come from remotes
        return {str(e["relpath"]): str(e["md5"]) for e in listing}
    except (OSError, ValueError, KeyError, TypeError, YamlProblem):
        return None
    finally:
        repo.close()


def _md5(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - DVC's content hash, not security
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tail(log: Path) -> str:
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return "no output"
    lines = [line for line in lines if line]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors[-1] if errors else lines[-1]) if lines else "no output"
