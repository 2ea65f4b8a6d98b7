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
    from mlops.errors import UnknownReference

    parsed = parse_registry_ref(ref)
    if parsed is None:
        return Resolved(ref, git.resolve_commit(ref, root))
    from mlops.registry import RegistryState, read_state

    artifact, version, stage, back = parsed
    registry = state if isinstance(state, RegistryState) else read_state(root)
    art = registry.artifact(artifact)
    if art is None:
        try:  # a plain Git tag that happens to contain @ or #
            return Resolved(ref, git.resolve_commit(ref, root))
        except UnknownReference:
            known = ", ".join(sorted(registry.artifacts)) or "none yet"
            raise UnknownReference(
                f"unknown artifact `{artifact}` in `{ref}` (registered artifacts: {known})",
                hint="`mlops show` lists them",
            ) from None
    if version == "latest":
        found = art.latest
        if found is None:
            raise UnknownReference(f"`{ref}`: {artifact} has no registered version")
        return Resolved(ref, found.commit, artifact, found.version)
    if version is not None:
        found = art.version(version)
        if found is None:
            known = ", ".join(v.version for v in art.versions[-5:]) or "none"
            raise UnknownReference(f"`{ref}`: {artifact} has no version {version} (latest: {known})")
        return Resolved(ref, found.commit, artifact, found.version)
    assert stage is not None
    found = art.which(stage, back)
    if found is None:
        if stage not in art.queues:
            stages = ", ".join(sorted(art.queues)) or "none"
            raise UnknownReference(
                f"`{ref}`: {artifact} was never assigned to stage {stage} (stages: {stages})"
            )
        held = len(art.stage_versions(stage))
        what = "is empty" if not held else f"holds {held} version(s), so ~{back} goes back too far"
        raise UnknownReference(f"`{ref}`: stage {stage} of {artifact} {what}")
    return Resolved(ref, found.commit, artifact, found.version if found.registered else None, stage)


def split_ref_path(spec: str) -> tuple[str, str]:
    """`REF:PATH` -> (REF, PATH). The last colon splits, so `dir/sub:name@v1:data.csv` works."""
    from mlops.errors import UsageError

    ref, sep, path = spec.rpartition(":")
    if not sep or not ref or not path:
        raise UsageError(f"`{spec}` is not REF:PATH (for example main:data/train.parquet)")
    return ref, path
