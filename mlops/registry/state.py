"""The fold: registry events -> the state of every artifact.

Stage rule (the one GTO's `gto show A#stage` applies, so both tools agree on every repository): within a
stage, each version is in or out according to its own newest assignment or unassignment event (tagger time,
then counter). Two assignments in one second are ordered as GTO orders them: the earlier-registered version
wins. Among the versions that are in, the one assigned most recently holds the stage; the others
queue behind it in the same order (`which(..., back=1)` is the next one). An unassignment therefore removes
that version only: the stage falls back to the version assigned before it, or becomes empty when none is
left. Deregistered versions leave every stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mlops.registry.events import Event
from mlops.registry.tags import ASSIGN, DEPRECATE, DEREGISTER, REGISTER, UNASSIGN, semver_key


@dataclass(eq=False)
class Version:
    artifact: str
    version: str  # vX.Y.Z; the commit hash for an assignment on a commit with no registered version
    commit: str
    registration: Event | None = None
    events: list[Event] = field(default_factory=list)  # every event of this version, oldest first
    deregistered: bool = False

    @property
    def registered(self) -> bool:
        return self.registration is not None

    @property
    def tag(self) -> str | None:
        """The registration tag; for a commit held without a version tag, the tag that first named it
        (its first assignment), which is what GTO gives as its ref."""
        if self.registration:
            return self.registration.tag
        return self.events[0].tag if self.events else None

    @property
    def created_at(self) -> dt.datetime:
        return (self.registration or self.events[0]).date

    @property
    def author(self) -> str:
        return (self.registration or self.events[0]).tagger

    @property
    def author_email(self) -> str:
        return (self.registration or self.events[0]).tagger_email

    @property
    def message(self) -> str:
        return (self.registration or self.events[0]).summary

    @property
    def message_data(self) -> dict[str, Any]:
        return self.registration.message_data if self.registration else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "version": self.version,
            "commit": self.commit,
            "tag": self.tag,
            "created_at": self.created_at.isoformat(),
            "author": self.author,
            "author_email": self.author_email,
            "message": self.message,
            "deregistered": self.deregistered,
            "registered": self.registered,
            "data": self.message_data,
        }


@dataclass(eq=False)
class ArtifactState:
    name: str
    versions: list[Version] = field(default_factory=list)  # registered versions, SemVer order (oldest first)
    events: list[Event] = field(default_factory=list)  # oldest first
    deprecated: bool = False
    queues: dict[str, list[Version]] = field(default_factory=dict)  # stage -> versions in it, current first
    unregistered: list[Version] = field(default_factory=list)  # commits assigned without a version tag

    @property
    def stages(self) -> dict[str, Version | None]:
        return {stage: (queue[0] if queue else None) for stage, queue in self.queues.items()}

    @property
    def latest(self) -> Version | None:
        """Highest SemVer among versions not deregistered (GTO's `latest`)."""
        live = [v for v in self.versions if not v.deregistered]
        return live[-1] if live else None

    def version(self, name: str) -> Version | None:
        """The version of that name; when registered on two commits, the newest live registration."""
        named = [v for v in self.versions if v.version == name]
        live = [v for v in named if not v.deregistered] or named
        return live[-1] if live else None

    def which(self, stage: str, back: int = 0) -> Version | None:
        queue = self.queues.get(stage) or []
        return queue[back] if 0 <= back < len(queue) else None

    def stage_versions(self, stage: str) -> list[Version]:
        """Every version in the stage, the current one first."""
        return list(self.queues.get(stage) or [])

    @property
    def version_count(self) -> int:
        return len(self.versions)

    @property
    def max_counter(self) -> int:
        return max((e.counter or 0 for e in self.events), default=0)


@dataclass(eq=False)
class RegistryState:
    artifacts: dict[str, ArtifactState] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # every event, oldest first
    warnings: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)  # every tag name in the repository

    def artifact(self, name: str) -> ArtifactState | None:
        return self.artifacts.get(name)

    def which(self, artifact: str, stage: str, back: int = 0) -> Version | None:
        state = self.artifacts.get(artifact)
        return state.which(stage, back) if state else None

    def next_counter(self, artifact: str) -> int:
        state = self.artifacts.get(artifact)
        return (state.max_counter if state else 0) + 1

    @property
    def stage_names(self) -> list[str]:
        return sorted({s for a in self.artifacts.values() for s in a.queues})


def fold(
    events: list[Event], warnings: list[str] | None = None, tags: set[str] | None = None
) -> RegistryState:
    state = RegistryState(warnings=list(warnings or []), tags=set(tags or ()))
    ordered = sorted(events, key=lambda e: e.order)
    by_artifact: dict[str, list[Event]] = {}
    for event in ordered:
        by_artifact.setdefault(event.artifact, []).append(event)
    for name in sorted(by_artifact):
        state.artifacts[name] = _fold_artifact(name, by_artifact[name], state.warnings)
    state.events = ordered
    return state


def fold_artifact(name: str, events: list[Event]) -> tuple[ArtifactState, list[str]]:
    """One artifact folded alone, with the warnings the fold gives about it. Events come in tag-name order,
    as for-each-ref lists them: the stable sort then orders them exactly as fold() does, so the answer is the
    same as the full fold's (an artifact's state depends on its own tags only)."""
    warnings: list[str] = []
    return _fold_artifact(name, sorted(events, key=lambda e: e.order), warnings), warnings


# stage -> id(version) -> (in the stage?, order of its newest assignment, the version)
Presence = dict[str, dict[int, tuple[bool, tuple[int, int, int], Version]]]


@dataclass
class _Fold:
    """One artifact's fold in progress: its versions by commit and by name, and stage membership."""

    name: str
    warnings: list[str]
    by_commit: dict[str, list[Version]] = field(default_factory=dict)
    by_name: dict[str, list[Version]] = field(default_factory=dict)  # what a deregistration names
    unregistered: dict[str, Version] = field(default_factory=dict)
    presence: Presence = field(default_factory=dict)

    def deregister(self, e: Event) -> bool:
        """False (and a warning) when the version was never registered: then the tag counts for nothing."""
        named = self.by_name.get(e.version or "", [])
        if not named:
            self.warnings.append(
                f"{self.name}: tag {e.tag} deregisters {e.version}, which was never registered"
            )
            return False
        on_commit = [v for v in named if v.commit == e.commit]
        for gone in on_commit or named:
            gone.deregistered = True
            gone.events.append(e)
        return True

    def stage_event(self, e: Event) -> None:
        v = _version_at(e.commit, self.by_commit, self.unregistered, self.name, e)
        e.version = v.version
        v.events.append(e)
        members = self.presence.setdefault(e.stage or "", {})
        previous = members.get(id(v))
        if e.kind == ASSIGN:
            members[id(v)] = (True, e.order, v)
        else:
            members[id(v)] = (False, previous[1] if previous else e.order, v)


def _fold_artifact(name: str, events: list[Event], warnings: list[str]) -> ArtifactState:
    art = ArtifactState(name=name, events=events)
    versions = _registered_versions(name, events, warnings)
    run = _Fold(name, warnings)
    for v in versions.values():
        run.by_commit.setdefault(v.commit, []).append(v)
        run.by_name.setdefault(v.version, []).append(v)
    _warn_shared_commits(run)
    for e in events:
        if e.kind == REGISTER:
            v = versions[(e.version or "", e.commit)]
            v.deregistered = False  # registered again by hand after a deregistration: live again, as in GTO
            v.events.append(e)
        elif e.kind == DEREGISTER and not run.deregister(e):
            continue
        elif e.kind in (ASSIGN, UNASSIGN):
            run.stage_event(e)
        # a deprecation deprecates; any later event brings a deprecated artifact back, as in GTO
        art.deprecated = e.kind == DEPRECATE
    # a stable sort: one name registered on two commits stays in registration order (latest: the newest)
    art.versions = sorted(versions.values(), key=lambda v: semver_key(v.version))
    art.unregistered = list(run.unregistered.values())
    art.queues = _queues(events, versions, run.presence)
    return art


def _warn_shared_commits(run: _Fold) -> None:
    for commit, same in run.by_commit.items():
        if len(same) > 1:
            names = ", ".join(sorted((v.version for v in same), key=semver_key))
            run.warnings.append(
                f"{run.name}: versions {names} are all on commit {commit[:7]}; "
                f"assignments on that commit count for the highest"
            )


def _queues(
    events: list[Event], versions: dict[tuple[str, str], Version], presence: Presence
) -> dict[str, list[Version]]:
    """Per stage, the versions in it, the current one first.

    Ties (two assignments in one second): GTO keeps its versions newest-registered first and sorts stably by
    assignment time, then reverses, so the version registered EARLIER wins a tie. The same rule here keeps
    both tools' answers equal on tags written by hand or by other tools (mlops itself never writes a tie)."""
    seniority = _seniority(events, versions)
    queues: dict[str, list[Version]] = {}
    for stage, in_stage in presence.items():
        live = [(order, v) for inside, order, v in in_stage.values() if inside and not v.deregistered]
        live.sort(key=lambda item: (item[0][0], seniority.get(id(item[1]), -len(events))), reverse=True)
        queues[stage] = [v for _, v in live]
    return queues


def _seniority(events: list[Event], versions: dict[tuple[str, str], Version]) -> dict[int, int]:
    """id(version) -> minus the position of its registration: the earlier registered, the higher."""
    registered = {id(e): v for v in versions.values() if v.registration is not None for e in [v.registration]}
    return {
        id(registered[id(e)]): -i for i, e in enumerate(events) if e.kind == REGISTER and id(e) in registered
    }


def _registered_versions(
    name: str, events: list[Event], warnings: list[str]
) -> dict[tuple[str, str], Version]:
    """One Version per (version, commit), as GTO keeps them: a version registered again by hand on another
    commit is a second version of that name (assignments on either commit find it), with a warning."""
    versions: dict[tuple[str, str], Version] = {}
    first: dict[str, Version] = {}  # version name -> its first registration (a dict, not a scan per tag)
    for e in events:
        if e.kind != REGISTER or (e.version or "", e.commit) in versions:
            continue
        assert e.version is not None
        earlier = [first[e.version]] if e.version in first else []
        if earlier:
            warnings.append(
                f"{name}: {e.version} is registered on two commits (tags {earlier[0].tag} and "
                f"{e.tag}); both count, as in GTO"
            )
        versions[(e.version, e.commit)] = v = Version(name, e.version, e.commit, registration=e)
        first.setdefault(e.version, v)
    return versions


def _version_at(
    commit: str,
    by_commit: dict[str, list[Version]],
    unregistered: dict[str, Version],
    artifact: str,
    event: Event,
) -> Version:
    same = by_commit.get(commit)
    if same:
        if len(same) == 1:
            return same[0]
        live = [v for v in same if not v.deregistered] or same
        return max(live, key=lambda v: semver_key(v.version))
    v = unregistered.get(commit)
    if v is None:
        v = unregistered[commit] = Version(artifact, commit, commit)
    return v
