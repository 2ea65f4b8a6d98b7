"""What the registry index keeps per artifact: the folded answers of `which` and `show`, and its round trip
through JSON (every value checked on the way in: a file that does not have this shape is Corrupt)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlops.registry.state import ArtifactState, Version


class Corrupt(Exception):
    """An index file that cannot be trusted: the caller rebuilds."""


@dataclass(frozen=True)
class VersionRef:
    """A version as `which` and `show` name it."""

    version: str
    commit: str
    tag: str | None

    def pack(self) -> str:
        return f"{self.version}\0{self.commit}\0{self.tag or ''}"

    @staticmethod
    def unpack(packed: str) -> VersionRef:
        version, commit, tag = packed.split("\0")
        return VersionRef(version, commit, tag or None)


class Queues(Mapping[str, list[VersionRef]]):
    """stage -> versions, decoded only for the stage asked for (`stage in queues` decodes nothing)."""

    def __init__(self, packed: dict[str, str]) -> None:
        self._packed = packed

    def __getitem__(self, stage: str) -> list[VersionRef]:
        return _unpack_queue(self._packed[stage])

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def _unpack_queue(packed: str) -> list[VersionRef]:
    parts = packed.split("\0") if packed else []
    return [VersionRef(parts[i], parts[i + 1], parts[i + 2] or None) for i in range(0, len(parts), 3)]


def _ref(v: Version) -> VersionRef:
    return VersionRef(v.version, v.commit, v.tag)


@dataclass
class ArtifactSummary:
    """The folded state of one artifact that `which` and `show` read (mlops.registry.ArtifactState has the
    rest: index.artifact_state() folds it from the index's records). Queues stay packed strings until asked
    for: `which` of one artifact decodes one stage, not every artifact's history."""

    name: str
    deprecated: bool
    latest: VersionRef | None
    version_count: int
    packed_queues: dict[str, str]  # stage -> "version NUL commit NUL tag NUL ...", the current one first
    warnings: list[str]  # what the fold says about this artifact
    digest: str  # names the bucket holding this artifact's tag records

    @property
    def queues(self) -> Mapping[str, list[VersionRef]]:
        return Queues(self.packed_queues)

    @property
    def stages(self) -> dict[str, VersionRef | None]:
        heads = {s: q.split("\0", 3)[:3] for s, q in self.packed_queues.items()}
        return {s: (VersionRef(h[0], h[1], h[2] or None) if len(h) == 3 else None) for s, h in heads.items()}

    def which(self, stage: str, back: int = 0) -> VersionRef | None:
        queue = _unpack_queue(self.packed_queues.get(stage) or "")
        return queue[back] if 0 <= back < len(queue) else None

    def lines(self) -> list[str]:
        latest = self.latest.pack() if self.latest else "\0\0"
        head = ["A", self.name, "1" if self.deprecated else "0", str(self.version_count), self.digest, latest]
        out = ["\0".join(head)]
        out += [f"w\0{w}" for w in self.warnings]
        out += [f"Q\0{stage}\0{queue}" for stage, queue in self.packed_queues.items()]
        return out


def summarise(art: ArtifactState, warnings: list[str], digest: str) -> ArtifactSummary:
    latest = art.latest
    queues = {stage: "\0".join(_ref(v).pack() for v in queue) for stage, queue in art.queues.items()}
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
        return sorted({s for a in self.artifacts.values() for s in a.packed_queues})

    def to_text(self, header: str, fingerprint: str) -> str | None:
        """One record a line, fields split by NUL: no parser beyond str.split reads it back. None when a
        value holds a newline or NUL (then there is no index: the answer is right, only slower)."""
        lines = [f"T\0{w}" for w in self.tag_warnings]
        for name in sorted(self.artifacts):
            lines += self.artifacts[name].lines()
        body = [header, fingerprint, self.generation, *lines, "end"]
        if any("\n" in line for line in body) or any(_nuls_wrong(line) for line in lines):
            return None
        return "\n".join(body) + "\n"

    @staticmethod
    def from_text(root: Path, text: str, header: str) -> tuple[str, RegistrySummary]:
        """(fingerprint, summary) of a to_text() text; Corrupt when it is anything else."""
        lines = text.split("\n")
        if len(lines) < 5 or lines[0] != header or lines[-2:] != ["end", ""]:
            raise Corrupt("summary: not a complete summary file")
        summary = RegistrySummary(root, {}, [], lines[2])
        current: ArtifactSummary | None = None
        for line in lines[3:-2]:
            current = _read_line(summary, current, line)
        return lines[1], summary


_FIELDS = {"T": 1, "A": 7, "w": 1}  # NULs per line of each kind (a queue line: 2 + 3 per version - 1)


def _nuls_wrong(line: str) -> bool:
    return line[0] != "Q" and line.count("\0") != _FIELDS[line[0]]


def _read_line(
    summary: RegistrySummary, current: ArtifactSummary | None, line: str
) -> ArtifactSummary | None:
    """Apply one line of summary.txt; the artifact that later `w` and `Q` lines belong to."""
    kind, _, rest = line.partition("\0")
    if kind == "A":
        return _artifact_line(summary, line, rest)
    if kind == "T" and "\0" not in rest:
        summary.tag_warnings.append(rest)
    elif kind == "w" and "\0" not in rest and current is not None:
        current.warnings.append(rest)
    elif kind == "Q" and current is not None:
        _queue_line(current, rest)
    else:
        raise Corrupt("summary: a line of unknown kind")
    return current


def _queue_line(current: ArtifactSummary, rest: str) -> None:
    stage, _, queue = rest.partition("\0")
    if queue and queue.count("\0") % 3 != 2:
        raise Corrupt(f"summary: bad queue {stage} of {current.name}")
    current.packed_queues[stage] = queue


def _artifact_line(summary: RegistrySummary, line: str, rest: str) -> ArtifactSummary:
    if line.count("\0") != _FIELDS["A"]:
        raise Corrupt("summary: bad artifact line")
    name, deprecated, count, digest, version, commit, tag = rest.split("\0")
    if deprecated not in ("0", "1") or not count.isdigit() or name in summary.artifacts:
        raise Corrupt(f"summary: bad artifact line for {name}")
    latest = VersionRef(version, commit, tag or None) if version else None
    summary.artifacts[name] = ArtifactSummary(name, deprecated == "1", latest, int(count), {}, [], digest)
    return summary.artifacts[name]
