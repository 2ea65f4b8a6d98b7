"""What the generated pages say, read through the loaders every other command uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.pipeline.model import About, Pipeline, Stage

HISTORY = 10  # recent registry events per artifact


@dataclass
class PipelineFile:
    path: str  # the Pipeline file, relative to the repository root
    about: About
    desc: str | None
    stages: list[Stage]


@dataclass
class ArtifactInfo:
    name: str
    path: str | None
    owner: str | None
    description: str | None
    latest: str | None = None
    holders: dict[str, tuple[str, str]] = field(default_factory=dict)  # stage -> (version, since, UTC)
    history: list[tuple[str, str, str, str]] = field(default_factory=list)  # (when, event, what, by)


@dataclass
class Sources:
    pipelines: list[PipelineFile]
    produced: dict[str, str]  # output path -> the stage producing it
    hashes: dict[str, str]  # path -> md5 recorded in dvc.lock (outputs and inputs)
    rules: list[Any]  # mlops.data.rules.Rules, one per rules file
    policy: Any | None  # mlops.promotion.policy.Policy
    artifacts: list[ArtifactInfo]


def gather(project: Any) -> Sources:
    from mlops.pipeline.write import plan

    # a repository with a policy and a registry but no pipeline files still gets its other pages
    pipeline = plan(project)[1] if project.pipeline_files() else Pipeline()
    produced = {s.root_path(o.path): s.name for s in pipeline.stages for o in s.all_outs()}
    policy = _policy(project)
    return Sources(
        pipelines=_files(pipeline),
        produced=produced,
        hashes=_hashes(project, pipeline),
        rules=_rules(project),
        policy=policy,
        artifacts=_artifacts(project, policy),
    )


def _files(pipeline: Pipeline) -> list[PipelineFile]:
    files = []
    for path in pipeline.sources:
        data = next((s.doc.data for s in pipeline.stages if s.doc.path == path), None)
        desc = data.get("desc") if isinstance(data, dict) and isinstance(data.get("desc"), str) else None
        stages = [s for s in pipeline.stages if s.doc.path == path]
        files.append(PipelineFile(path, pipeline.about.get(path, About()), desc, stages))
    return files


def _hashes(project: Any, pipeline: Pipeline) -> dict[str, str]:
    """Path -> md5: data tracked with `dvc add` from its .dvc file (what is there now), then what dvc.lock
    recorded for every dep and out (what the last run read and wrote)."""
    from mlops.reproduce.lock import from_worktree

    tracked = {f"{s.root_path(d.path)}.dvc" for s in pipeline.stages for d in s.deps}
    files = sorted(p for p in tracked if project.path(p).is_file())
    files.append(str(Path(project.dvc_yaml).with_name("dvc.lock").as_posix()))
    found: dict[str, str] = {}
    for entry in from_worktree(project.root, files).values():
        for path, item in [*entry.deps.items(), *entry.outs.items()]:
            if item.md5:
                found.setdefault(path, item.md5)
    return found


def _rules(project: Any) -> list[Any]:
    from mlops.data.rules import load_rules

    return [load_rules(project.path(rel), shown=rel) for rel in project.rules_files()]


def _policy(project: Any) -> Any | None:
    from mlops.promotion.policy import load_policy

    if not project.path(project.promotion).is_file():
        return None
    return load_policy(project.root, project.promotion)


def _artifacts(project: Any, policy: Any | None) -> list[ArtifactInfo]:
    from mlops.registry import read_state

    state = read_state(project.root)
    declared = dict(policy.artifacts) if policy else {}
    infos = []
    for name in sorted(set(declared) | set(state.artifacts)):
        spec = declared.get(name)
        info = ArtifactInfo(
            name,
            spec.path if spec else None,
            spec.owner if spec else None,
            (spec.description or spec.desc) if spec else None,
        )
        art = state.artifact(name)
        if art is not None:
            _registry_facts(info, art)
        infos.append(info)
    return infos


def _registry_facts(info: ArtifactInfo, art: Any) -> None:
    from mlops.timeutil import iso

    latest = art.latest
    info.latest = latest.version if latest else None
    for stage, version in sorted(art.stages.items()):
        if version is not None:
            info.holders[stage] = (version.version, _since(version, stage))
    for e in reversed(art.events[-HISTORY:]):
        what = " ".join(p for p in (e.version, e.stage) if p)
        info.history.append((iso(e.date), e.kind, what, e.tagger))


def _since(version: Any, stage: str) -> str:
    """When VERSION was last assigned to STAGE (UTC), from its own tag."""
    from mlops.timeutil import iso

    entered = [e for e in version.events if e.kind == "assign" and e.stage == stage]
    return iso(entered[-1].date) if entered else ""
