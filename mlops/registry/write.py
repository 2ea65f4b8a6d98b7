"""Writing registry events: one annotated tag each, never moved or deleted once published.

Counters (`A#stage#N`) are 1 + the highest counter among the artifact's tags. In one repository, writers
take an advisory lock (`flock` on .git/mlops-registry.lock, released by the kernel if a writer dies) around
read-count-tag, so two processes never take the same counter, even for different stages. The lock is the one
lock of every registry writer (`register`, `sync`, `promote --apply`, `rollback --apply`): a command takes it
around its whole read-decide-write, and it is re-entrant within a process. Without the lock
(file systems without flock), `git tag` still creates a ref only if it does not exist, and the loser retries
with the next counter. With `push`, tags are fetched first; when origin already has our tag name, the local,
unpublished tag is dropped and written again with the next counter.

Ties: GTO orders the events of an artifact by tagger time alone (seconds), so two events of one artifact in
the same second could fold differently in gto and mlops. A writer waits for the next second instead.
Tags are signed (`git tag -s`, Git's own signing as configured) when the caller asks.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from mlops import __version__, git
from mlops.errors import GitError, UnknownReference, UsageError
from mlops.registry import message as messages
from mlops.registry.read import fetch_tags, read_state
from mlops.registry.state import RegistryState, Version
from mlops.registry.tags import (
    ASSIGN,
    DEPRECATE,
    DEREGISTER,
    REGISTER,
    UNASSIGN,
    bump,
    format_tag,
    valid_artifact,
    valid_stage,
    valid_version,
)

RETRIES = 25


class TagExists(GitError):
    """The tag name is taken (locally or on the remote)."""


def register(
    root: str | os.PathLike[str],
    artifact: str,
    rev: str = "HEAD",
    *,
    version: str | None = None,
    bump_part: str = "patch",
    metadata: dict[str, Any] | None = None,
    message: str | None = None,
    push: bool = False,
    sign: bool = False,
) -> str:
    """Tag `ARTIFACT@vX.Y.Z` on REV's commit. Refuses an existing version and a second live version of the
    artifact on one commit. Without `version`, bumps `bump_part` of the latest version (first: v0.1.0)."""
    _check_artifact(artifact)
    if version is not None and not valid_version(version):
        raise UsageError(f"`{version}` is not a version such as v1.2.0 (SemVer with a leading v)")
    commit = git.resolve_commit(rev, root)
    if push:
        fetch_tags(root)
    for _attempt in range(RETRIES):
        with registry_lock(root):
            state = read_state(root)
            target = _next_version(state, artifact, commit, version, bump_part)
            data = {
                "event": REGISTER,
                "artifact": artifact,
                "version": target,
                "mlops_version": __version__,
                **(metadata or {}),
            }
            text = messages.compose(message or f"Register {artifact} {target}", data)
            name = format_tag(REGISTER, artifact, version=target)
            _wait_for_next_second(state, artifact)
            try:
                _create_tag(root, name, commit, text, push=push, sign=sign)
                return name
            except TagExists:
                if version is not None:
                    raise UsageError(
                        f"{artifact}@{target} is already registered (tag {name} exists)"
                    ) from None
                if push:
                    fetch_tags(root)
                continue  # a writer elsewhere took this version: bump again from the new state
    raise GitError(f"could not register {artifact}: {RETRIES} attempts lost a race with other writers")


def _next_version(state: RegistryState, artifact: str, commit: str, version: str | None, part: str) -> str:
    art = state.artifact(artifact)
    if art is None:
        return version or bump(None, part)
    on_commit = [v for v in art.versions if v.commit == commit and not v.deregistered]
    if on_commit:
        raise UsageError(
            f"{artifact} already has {on_commit[0].version} on commit {commit[:7]}; "
            "one commit holds one version of an artifact"
        )
    latest = art.latest
    target = version or bump(latest.version if latest else None, part)
    taken = art.version(target)
    if taken is not None:
        raise UsageError(
            f"{artifact}@{target} is already registered (commit {taken.commit[:7]})",
            hint="pick another --version or use --bump",
        )
    return target


def deregister(
    root: str | os.PathLike[str],
    artifact: str,
    version: str,
    *,
    metadata: dict[str, Any] | None = None,
    message: str | None = None,
    push: bool = False,
) -> str:
    def build(state: RegistryState, counter: int) -> tuple[str, str, str]:
        v = _live_version(state, artifact, version)
        name = _unused_name(state, counter, DEREGISTER, artifact, version)
        data = {"event": DEREGISTER, "artifact": artifact, "version": version, "mlops_version": __version__}
        data.update(metadata or {})
        return name, v.commit, messages.compose(message or f"Deregister {artifact} {version}", data)

    return _write_with_counter(root, artifact, build, push=push)


def _unused_name(
    state: RegistryState, counter: int, kind: str, artifact: str, version: str | None = None
) -> str:
    """The tag name without a counter (GTO's form), or with COUNTER when that name is taken."""
    name = format_tag(kind, artifact, version=version)
    return format_tag(kind, artifact, version=version, counter=counter) if name in state.tags else name


def deprecate(
    root: str | os.PathLike[str],
    artifact: str,
    *,
    metadata: dict[str, Any] | None = None,
    message: str | None = None,
    push: bool = False,
) -> str:
    def build(state: RegistryState, counter: int) -> tuple[str, str, str]:
        art = state.artifact(artifact)
        if art is None or not art.events:
            raise UnknownReference(f"artifact `{artifact}` has no registry tags")
        if art.deprecated:
            raise UsageError(f"{artifact} is already deprecated")
        name = _unused_name(state, counter, DEPRECATE, artifact)
        data = {"event": DEPRECATE, "artifact": artifact, "mlops_version": __version__, **(metadata or {})}
        return name, art.events[-1].commit, messages.compose(message or f"Deprecate {artifact}", data)

    return _write_with_counter(root, artifact, build, push=push)


def assign(
    root: str | os.PathLike[str],
    artifact: str,
    version: str,
    stage: str,
    *,
    metadata: dict[str, Any] | None = None,
    message: str | None = None,
    push: bool = False,
    sign: bool = False,
) -> str:
    """Tag `ARTIFACT#STAGE#N` on the version's commit; returns the tag name. `metadata` (gate results, PR,
    merge commit, ...) goes into the message's machine-readable block."""
    return _stage_event(root, ASSIGN, artifact, version, stage, metadata, message, push, sign)


def unassign(
    root: str | os.PathLike[str],
    artifact: str,
    version: str,
    stage: str,
    *,
    metadata: dict[str, Any] | None = None,
    message: str | None = None,
    push: bool = False,
    sign: bool = False,
) -> str:
    """Tag `ARTIFACT#STAGE!#N` on the version's commit: that version leaves the stage."""
    return _stage_event(root, UNASSIGN, artifact, version, stage, metadata, message, push, sign)


def _stage_event(
    root: str | os.PathLike[str],
    kind: str,
    artifact: str,
    version: str,
    stage: str,
    metadata: dict[str, Any] | None,
    message: str | None,
    push: bool,
    sign: bool,
) -> str:
    if not valid_stage(stage):
        raise UsageError(f"`{stage}` is not a valid stage name (letters, digits, `-`, `_`)")

    def build(state: RegistryState, counter: int) -> tuple[str, str, str]:
        v = _live_version(state, artifact, version)
        if kind == UNASSIGN and v not in state.artifacts[artifact].stage_versions(stage):
            raise UsageError(f"{artifact} {version} is not in stage {stage}")
        name = format_tag(kind, artifact, stage=stage, counter=counter)
        verb = "Assign" if kind == ASSIGN else "Unassign"
        data = {
            "event": kind,
            "artifact": artifact,
            "version": version,
            "stage": stage,
            "mlops_version": __version__,
            **(metadata or {}),
        }
        line = message or f"{verb} {artifact} {version} {'to' if kind == ASSIGN else 'from'} {stage}"
        return name, v.commit, messages.compose(line, data)

    return _write_with_counter(root, artifact, build, push=push, sign=sign)


def _write_with_counter(
    root: str | os.PathLike[str], artifact: str, build: Any, *, push: bool, sign: bool = False
) -> str:
    if push:
        fetch_tags(root)
    for _attempt in range(RETRIES):
        with registry_lock(root):
            state = read_state(root)
            counter = state.next_counter(artifact)
            name, commit, text = build(state, counter)
            _wait_for_next_second(state, artifact)
            try:
                _create_tag(root, name, commit, text, push=push, sign=sign)
                return name
            except TagExists:
                if push:
                    fetch_tags(root)
                continue
    raise GitError(f"could not write a registry tag: {RETRIES} attempts lost a race with other writers")


def _live_version(state: RegistryState, artifact: str, version: str) -> Version:
    art = state.artifact(artifact)
    if art is None:
        raise UnknownReference(f"artifact `{artifact}` has no registered versions")
    v = art.version(version)
    if v is None:
        known = ", ".join(x.version for x in art.versions[-5:]) or "none"
        raise UnknownReference(f"{artifact}@{version} is not registered (latest versions: {known})")
    if v.deregistered:
        raise UsageError(f"{artifact}@{version} was deregistered")
    return v


def _check_artifact(artifact: str) -> None:
    if not valid_artifact(artifact):
        raise UsageError(
            f"`{artifact}` is not a valid artifact name (letters, digits, `-`, `_`, `/`; "
            "`dir/sub:name` for one in a folder)"
        )


def _wait_for_next_second(state: RegistryState, artifact: str, *, limit: float = 2.0) -> None:
    """Never write a second event of ARTIFACT in the second of its newest one (see the module notes)."""
    art = state.artifact(artifact)
    if art is None or not art.events or os.environ.get("GIT_COMMITTER_DATE"):
        return  # a pinned date cannot move forward by waiting
    newest = max(e.timestamp for e in art.events)
    wait = newest + 1 - time.time()
    if 0 < wait <= limit:
        time.sleep(wait)


def _create_tag(
    root: str | os.PathLike[str], name: str, commit: str, text: str, *, push: bool, sign: bool = False
) -> None:
    mode = "-s" if sign else "-a"
    proc = git.run(
        ["tag", mode, "--cleanup=verbatim", "-F", "-", "--end-of-options", name, commit],
        root,
        check=False,
        input=text,
    )
    if proc.returncode != 0:
        raise _tag_failure(root, name, proc, sign)
    if sign:
        _require_signature(root, name, proc)
    if push:
        _push_tag(root, name)


def _tag_failure(root: str | os.PathLike[str], name: str, proc: git.Result, sign: bool) -> Exception:
    """Why `git tag` failed: the tag exists (a concurrent writer), signing failed, or git's own reason."""
    exists = git.run(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"refs/tags/{name}"], root, check=False
    )
    err = (proc.stderr or "").strip()
    if exists.returncode == 0 or "already exists" in err or "File exists" in err or "cannot lock" in err:
        return TagExists(f"tag {name} already exists")
    last = err.splitlines()[-1] if err else proc.returncode
    if sign:
        return GitError(
            f"signing tag {name} failed: {last}",
            hint="signing: required in the policy; configure Git's tag signing (user.signingkey, "
            "gpg.format ssh or openpgp)",
        )
    return GitError(f"git tag {name} failed: {last}")


def _push_tag(root: str | os.PathLike[str], name: str) -> None:
    pushed = git.run(["push", "--atomic", "--quiet", "origin", "--", f"refs/tags/{name}"], root, check=False)
    if pushed.returncode != 0:
        err = (pushed.stderr or "").strip()
        git.run(["tag", "-d", "--end-of-options", name], root, check=False)  # never published: drop it
        if "already exists" in err:
            raise TagExists(f"tag {name} already exists on origin")
        raise GitError(
            f"git push of {name} to origin failed: {err.splitlines()[-1] if err else pushed.returncode}"
        )


def _require_signature(root: str | os.PathLike[str], name: str, proc: git.Result) -> None:
    """Some Git versions exit 0 and write an unsigned tag when the signing key cannot be loaded: never
    leave such a tag behind."""
    raw = git.run(["cat-file", "tag", "--end-of-options", name], root).stdout
    if "-----BEGIN " in raw and " SIGNATURE-----" in raw:
        return
    git.run(["tag", "-d", "--end-of-options", name], root, check=False)
    raise GitError(
        f"signing tag {name} failed: {git.last_line(proc) if proc.err.strip() else 'no signature'}",
        hint="signing: required in the policy; configure Git's tag signing (user.signingkey, "
        "gpg.format ssh or openpgp)",
    )


_held: dict[str, int] = {}  # lock file -> depth, so a command holding the lock can call the writers


@contextlib.contextmanager
def registry_lock(root: str | os.PathLike[str]) -> Iterator[None]:
    """Serialise the registry writers of one repository (flock, re-entrant within a process; a no-op where
    flock does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: fall back on git's create-only refs
        yield
        return
    path = str(git.git_dir(root) / "mlops-registry.lock")
    if _held.get(path):
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        _held[path] = 1
        try:
            yield
        finally:
            _held.pop(path, None)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
