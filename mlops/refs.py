"""References (SPEC section 4), resolved in one place.

`REF` is an mlops reference or any Git revision; `REF:PATH` names a file at a reference:
- `A@vX.Y.Z`: the commit of that registered version;
- `A@latest` (or `A@greatest`): the highest SemVer version not deregistered;
- `A#stage`: the version now in the stage; `A#stage~N`: the N-th one before it (mlops.registry.state);
- anything else: a Git revision (`main`, `HEAD~2`, a hash, a tag).
An artifact in a folder is `dir/sub:name` (`dir/sub=name`, the tag spelling, is accepted too).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from mlops import git


@dataclass(frozen=True)
class Resolved:
    ref: str  # as the user wrote it
    commit: str  # full hash
    artifact: str | None = None
    version: str | None = None  # vX.Y.Z when the reference names a version
    stage: str | None = None


def _registry_ref_re() -> re.Pattern[str]:
    from mlops.registry.tags import DIRNAME, NAME, SEMVER

    return re.compile(
        f"^(?P<artifact>(?:{DIRNAME}[:=])?{NAME})"
        f"(?:@(?P<version>v{SEMVER}|latest|greatest)|#(?P<stage>{NAME})(?:~(?P<back>[0-9]+))?)$"
    )


def parse_registry_ref(ref: str) -> tuple[str, str | None, str | None, int] | None:
    """(artifact, version or 'latest', stage, back) for a registry reference, None for anything else."""
    if "@" not in ref and "#" not in ref:
        return None
    m = _registry_ref_re().match(ref)
    if not m:
        return None
    version = m["version"]
    if version == "greatest":
        version = "latest"
    return m["artifact"].replace("=", ":"), version, m["stage"], int(m["back"] or 0)


def resolve(ref: str, root: str | os.PathLike[str], *, state: object | None = None) -> Resolved:
    """Resolve a reference to a commit; raises UnknownReference. `state` reuses a RegistryState."""
    parsed = parse_registry_ref(ref)
    if parsed is None:
        return Resolved(ref, git.resolve_commit(ref, root))
    from mlops.registry import RegistryState, read_state

    artifact, version, stage, back = parsed
    registry = state if isinstance(state, RegistryState) else read_state(root)
    art = registry.artifact(artifact)
    if art is None:
        return _plain_tag(ref, root, artifact, registry)
    if version is not None:
        return _version(ref, art, artifact, version)
    assert stage is not None
    return _stage_holder(ref, art, artifact, stage, back)


def _plain_tag(ref: str, root: str | os.PathLike[str], artifact: str, registry: Any) -> Resolved:
    """A plain Git tag that happens to contain @ or #; else the artifact is unknown."""
    from mlops.errors import UnknownReference

    try:
        return Resolved(ref, git.resolve_commit(ref, root))
    except UnknownReference:
        known = ", ".join(sorted(registry.artifacts)) or "none yet"
        raise UnknownReference(
            f"unknown artifact `{artifact}` in `{ref}` (registered artifacts: {known})",
            hint="`mlops show` lists them",
        ) from None


def _version(ref: str, art: Any, artifact: str, version: str) -> Resolved:
    """ARTIFACT@VERSION or ARTIFACT@latest."""
    from mlops.errors import UnknownReference

    if version == "latest":
        found = art.latest
        if found is None:
            raise UnknownReference(f"`{ref}`: {artifact} has no registered version")
        return Resolved(ref, found.commit, artifact, found.version)
    found = art.version(version)
    if found is None:
        known = ", ".join(v.version for v in art.versions[-5:]) or "none"
        raise UnknownReference(f"`{ref}`: {artifact} has no version {version} (latest: {known})")
    return Resolved(ref, found.commit, artifact, found.version)


def _stage_holder(ref: str, art: Any, artifact: str, stage: str, back: int) -> Resolved:
    """ARTIFACT#STAGE, or ARTIFACT#STAGE~N: the holder N assignments back."""
    from mlops.errors import UnknownReference

    found = art.which(stage, back)
    if found is not None:
        return Resolved(ref, found.commit, artifact, found.version if found.registered else None, stage)
    if stage not in art.queues:
        stages = ", ".join(sorted(art.queues)) or "none"
        raise UnknownReference(f"`{ref}`: {artifact} was never assigned to stage {stage} (stages: {stages})")
    held = len(art.stage_versions(stage))
    what = "is empty" if not held else f"holds {held} version(s), so ~{back} goes back too far"
    raise UnknownReference(f"`{ref}`: stage {stage} of {artifact} {what}")


def split_ref_path(spec: str) -> tuple[str, str]:
    """`REF:PATH` -> (REF, PATH). The last colon splits, so `dir/sub:name@v1:data.csv` works."""
    from mlops.errors import UsageError

    ref, sep, path = spec.rpartition(":")
    if not sep or not ref or not path:
        raise UsageError(f"`{spec}` is not REF:PATH (for example main:data/train.parquet)")
    return ref, path
