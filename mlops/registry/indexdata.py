"""What the registry index keeps per artifact: the folded answers of `which` and `show`, and its round trip
through JSON (every value checked on the way in: a file that does not have this shape is Corrupt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.registry.state import ArtifactState, Version


class Corrupt(Exception):
    """An index file that cannot be trusted: the caller rebuilds."""


@dataclass(frozen=True)
class VersionRef:
    """A version as `which` and `show` name it."""

    version: str
    commit: str
    tag: str | None

    def to_json(self) -> list[str | None]:
        return [self.version, self.commit, self.tag]

    @staticmethod
    def from_json(value: Any) -> VersionRef:
        if not (isinstance(value, list) and len(value) == 3):
            raise Corrupt("a version is not [version, commit, tag]")
        version, commit, tag = value
        if not (
            isinstance(version, str) and isinstance(commit, str) and (tag is None or isinstance(tag, str))
        ):
            raise Corrupt("a version is not [version, commit, tag]")
        return VersionRef(version, commit, tag)


def _ref(v: Version) -> VersionRef:
    return VersionRef(v.version, v.commit, v.tag)


@dataclass
class ArtifactSummary:
    """The folded state of one artifact that `which` and `show` read (mlops.registry.ArtifactState has the
    rest: index.artifact_state() folds it from the index's records)."""

    name: str
    deprecated: bool
    latest: VersionRef | None
    version_count: int
    queues: dict[str, list[VersionRef]]  # stage -> versions in it, the current one first
    warnings: list[str]  # what the fold says about this artifact
    digest: str  # names the bucket holding this artifact's tag records

    @property
    def stages(self) -> dict[str, VersionRef | None]:
        return {stage: (queue[0] if queue else None) for stage, queue in self.queues.items()}

    def which(self, stage: str, back: int = 0) -> VersionRef | None:
        queue = self.queues.get(stage) or []
        return queue[back] if 0 <= back < len(queue) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "deprecated": self.deprecated,
            "latest": self.latest.to_json() if self.latest else None,
            "versions": self.version_count,
            "queues": {s: [v.to_json() for v in q] for s, q in self.queues.items()},
            "warnings": self.warnings,
            "digest": self.digest,
        }

    @staticmethod
    def from_json(name: str, data: Any) -> ArtifactSummary:
        if not isinstance(data, dict):
            raise Corrupt(f"{name}: not a mapping")
        queues, warnings = data.get("queues"), data.get("warnings")
        count, digest, deprecated = data.get("versions"), data.get("digest"), data.get("deprecated")
        if not (isinstance(queues, dict) and isinstance(warnings, list) and isinstance(digest, str)):
            raise Corrupt(f"{name}: missing queues, warnings or digest")
        if not (isinstance(count, int) and isinstance(deprecated, bool)) or isinstance(count, bool):
            raise Corrupt(f"{name}: bad version count or deprecation")
        if not all(isinstance(w, str) for w in warnings) or not all(
            isinstance(q, list) for q in queues.values()
        ):
            raise Corrupt(f"{name}: bad warnings or queues")
        latest = data.get("latest")
        return ArtifactSummary(
            name,
            deprecated,
            VersionRef.from_json(latest) if latest is not None else None,
            count,
            {str(s): [VersionRef.from_json(v) for v in q] for s, q in queues.items()},
            list(warnings),
            digest,
        )


def summarise(art: ArtifactState, warnings: list[str], digest: str) -> ArtifactSummary:
    latest = art.latest
    queues = {stage: [_ref(v) for v in queue] for stage, queue in art.queues.items()}
    return ArtifactSummary(
        art.name,
        art.deprecated,
        _ref(latest) if latest else None,
        art.version_count,
        queues,
        warnings,
        digest,
    )


@dataclass
class RegistrySummary:
    """Every artifact's summary; `warnings` is exactly the full fold's list (tag warnings, then each
    artifact's in name order), so `which` and `show` say what they said without the index."""

    root: Path
    artifacts: dict[str, ArtifactSummary]
    tag_warnings: list[str]  # tags refused before the fold (grammar, lightweight, not a commit), by name
    generation: str  # written with refs.json: a summary and a refs.json of two writers never mix
    refs: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # filled while updating only

    def artifact(self, name: str) -> ArtifactSummary | None:
        return self.artifacts.get(name)

    def which(self, artifact: str, stage: str, back: int = 0) -> VersionRef | None:
        found = self.artifacts.get(artifact)
        return found.which(stage, back) if found else None

    @property
    def warnings(self) -> list[str]:
        return self.tag_warnings + [
            w for name in sorted(self.artifacts) for w in self.artifacts[name].warnings
        ]

    @property
    def stage_names(self) -> list[str]:
        return sorted({s for a in self.artifacts.values() for s in a.queues})

    def to_json(self, magic: str, version: int, fingerprint: str) -> dict[str, Any]:
        return {
            "format": f"{magic}/summary",
            "version": version,
            "fingerprint": fingerprint,
            "generation": self.generation,
            "tag_warnings": self.tag_warnings,
            "artifacts": {name: art.to_json() for name, art in sorted(self.artifacts.items())},
        }

    @staticmethod
    def from_json(root: Path, data: dict[str, Any]) -> RegistrySummary:
        artifacts, warnings, generation = (
            data.get("artifacts"),
            data.get("tag_warnings"),
            data.get("generation"),
        )
        if not (isinstance(artifacts, dict) and isinstance(warnings, list) and isinstance(generation, str)):
            raise Corrupt("summary.json: missing artifacts, tag_warnings or generation")
        if not all(isinstance(w, str) for w in warnings):
            raise Corrupt("summary.json: bad tag warnings")
        parsed = {str(name): ArtifactSummary.from_json(str(name), value) for name, value in artifacts.items()}
        return RegistrySummary(root, parsed, list(warnings), generation)
