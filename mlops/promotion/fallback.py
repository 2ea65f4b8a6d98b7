"""Break-glass: put a stage's declared fallback in at once, without a pull request, and audit it afterwards.

`fallback:` on a stage of promotion.yaml names the one version this path may assign: `previous` (the newest
earlier holder that left the stage in good standing, as `rollback` picks it) or a pinned version. Either must
have passed the stage's gates once: an assignment tag of that version to that stage, not itself a fallback,
whose message records `gates_passed: true`. The policy is read from the protected branch, never the work
tree, so a local edit cannot widen what may be assigned.

The tag is recognised by its message (`via: mlops fallback`). `mlops verify` re-derives the declared fallback
from the policy on the protected branch as it was when the tag was written and from the tags before it: a tag
assigning anything else fails; the right one is reported as an emergency change, awaiting ratification until
a reviewed registry.yaml change on the protected branch sets that stage to that version. Until then `mlops
sync` leaves the stage alone rather than re-promoting the version the team fell back from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from mlops import git
from mlops.errors import InputError, UsageError
from mlops.promotion.policy import Policy, Stage

VIA = "mlops fallback"
PREVIOUS = "previous"


def is_fallback(event: Any) -> bool:
    return bool(event.kind == "assign" and event.message_data.get("via") == VIA)


def vetting_tag(art: Any, stage: str, version: str) -> Any:
    """The newest assignment of VERSION to STAGE that records passing gates (not a fallback), or None."""
    for e in reversed(art.events if art else []):
        if e.kind != "assign" or e.stage != stage or e.version != version or is_fallback(e):
            continue
        if e.message_data.get("gates_passed") is True:
            return e
    return None


@dataclass
class Target:
    declared: str  # `previous` or the pinned version
    version: str | None = None
    vetted_by: str | None = None  # the tag that shows it passed the stage's gates
    problem: str = ""  # why the declared fallback cannot be assigned (version may still be named)


def resolve_target(stage: Stage, art: Any, artifact: str, state: Any) -> Target:
    """The version the declared fallback of STAGE names now (from the tags folded into ART and STATE)."""
    declared = stage.fallback or ""
    found = Target(declared)
    current = art.which(stage.name) if art else None
    if declared == PREVIOUS:
        found.version = _previous(state, artifact, stage.name, current)
        if found.version is None:
            found.problem = f"no earlier version of {artifact} left {stage.name} in good standing"
            return found
    else:
        v = art.version(declared) if art else None
        if v is None or not v.registered:
            found.problem = f"the pinned fallback {artifact}@{declared} is not registered"
            return found
        if v.deregistered:
            found.version, found.problem = (
                declared,
                f"the pinned fallback {artifact}@{declared} was deregistered",
            )
            return found
        found.version = declared
    vetted = vetting_tag(art, stage.name, found.version)
    if vetted is None:
        found.problem = (
            f"{artifact} {found.version} never passed {stage.name}'s gates (no assignment tag of it to "
            f"{stage.name} records passing gates)"
        )
    else:
        found.vetted_by = vetted.tag
    return found


def _previous(state: Any, artifact: str, stage: str, current: Any) -> str | None:
    from mlops.promotion.evaluate import GOOD, standing

    art = state.artifact(artifact)
    for v in (art.stage_versions(stage) if art else [])[1:]:
        if not v.registered or v.deregistered or (current and v.version == current.version):
            continue
        if standing(state, artifact, stage, v.version)[0] == GOOD:
            return str(v.version)
    return None


def emergency_tag(art: Any, stage: str) -> Any:
    """The fallback tag that put the current holder of STAGE there, or None (its latest assignment there)."""
    holder = art.which(stage) if art else None
    if holder is None:
        return None
    for e in reversed(art.events):
        if e.kind == "assign" and e.stage == stage and e.version == holder.version:
            return e if is_fallback(e) else None
    return None


@dataclass
class Protected:
    """The protected branch's view: its tip, project layout and policy (what decides, not the work tree)."""

    root: Path
    tip: str
    project: Any
    policy: Policy


def protected_view(root: Any = None) -> Protected:
    from mlops.config.project import find_root, load_project
    from mlops.promotion.policy import policy_at
    from mlops.promotion.verify import branch_ref

    top = find_root(root)
    head = git.resolve_commit("HEAD", top)
    branch = policy_at(top, head, load_project(top, commit=head).promotion).protected_branch
    tip = branch_ref(top, branch)
    project = load_project(top, commit=tip)
    return Protected(top, tip, project, policy_at(top, tip, project.promotion))


Status = Literal["switched", "already", "refused"]


@dataclass
class FallbackResult:
    artifact: str
    stage: str
    declared: str
    version: str | None
    replaced: str | None
    status: Status
    reason: str
    evidence: str | None = None
    tag: str | None = None
    vetted_by: str | None = None
    note: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status != "refused"

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "stage": self.stage,
            "declared": self.declared,
            "version": self.version,
            "replaced": self.replaced,
            "status": self.status,
            "reason": self.reason,
            "evidence": self.evidence,
            "tag": self.tag,
            "vetted_by": self.vetted_by,
            "note": self.note,
        }


def fallback(
    artifact: str,
    stage_name: str,
    *,
    reason: str,
    evidence: str | None = None,
    push: bool = False,
    root: Any = None,
    now: datetime | None = None,
) -> FallbackResult:
    """Assign the declared fallback of STAGE (and nothing else) now, recording reason, actor and evidence."""
    from mlops.registry import fetch_tags, read_state
    from mlops.registry.write import registry_lock

    if not reason.strip():
        raise UsageError("--reason is required: say what broke (it is recorded in the tag)")
    view = protected_view(root)
    view.policy.artifact(artifact)
    stage = view.policy.stage(stage_name)
    if not stage.applies_to(artifact):
        raise UsageError(f"stage {stage_name} is limited to {', '.join(stage.artifacts or ())}")
    if not stage.fallback:
        raise UsageError(
            f"stage {stage_name} declares no fallback in {view.project.promotion} on "
            f"{view.policy.protected_branch}",
            hint="add `fallback: previous` (or a pinned version) to the stage through a reviewed pull request",
        )
    with registry_lock(view.root):
        if push:
            fetch_tags(view.root)  # another on-call may have switched already
        state = read_state(view.root)
        return _switch(view, state, artifact, stage, reason, evidence, push, now)


def _switch(
    view: Protected,
    state: Any,
    artifact: str,
    stage: Stage,
    reason: str,
    evidence: str | None,
    push: bool,
    now: datetime | None,
) -> FallbackResult:
    from mlops.registry import write

    art = state.artifact(artifact)
    current = art.which(stage.name) if art else None
    result = FallbackResult(
        artifact,
        stage.name,
        stage.fallback or "",
        None,
        current.version if current else None,
        "refused",
        reason,
        evidence,
    )
    if _on_fallback(view, art, result):
        return result
    if not _qualifies(resolve_target(stage, art, artifact, state), result):
        return result
    result.metadata = _metadata(view, result, now)
    line = (
        f"Fallback {artifact} {result.version} to {stage.name} (emergency, replacing {result.replaced}): "
        f"{reason}"
    )
    result.tag = write.assign(
        view.root,
        artifact,
        str(result.version),
        stage.name,
        metadata=result.metadata,
        message=line,
        push=push,
        sign=view.policy.signing_required,
    )
    result.status = "switched"
    return result


def _qualifies(target: Target, result: FallbackResult) -> bool:
    """True when TARGET is to be assigned; else RESULT says why not (refused, or already there)."""
    result.version, result.vetted_by = target.version, target.vetted_by
    if target.version is None:
        raise InputError(
            f"cannot fall back: {target.problem}", hint=f"`mlops history {result.artifact}` shows why"
        )
    if target.problem:
        result.note = f"refused: {target.problem}"
        return False
    if result.replaced == target.version:
        result.status = "already"
        result.note = f"{result.artifact} {target.version} already holds {result.stage}"
        return False
    return True


def _on_fallback(view: Protected, art: Any, result: FallbackResult) -> bool:
    """An unratified fallback already holds the stage: a second on-call running the command changes nothing."""
    already = emergency_tag(art, result.stage)
    if already is None or result.replaced is None:
        return False
    if _ratified(view, result.artifact, result.stage, result.replaced):
        return False
    result.version, result.status, result.tag = result.replaced, "already", already.tag
    result.note = (
        f"{result.artifact} {result.replaced} is already in {result.stage} by fallback tag {already.tag}"
    )
    return True


def _ratified(view: Protected, artifact: str, stage: str, version: str) -> bool:
    """registry.yaml on the protected branch now asks for VERSION in STAGE (the team has taken it on)."""
    from mlops.promotion.desired import desired_at

    try:
        return desired_at(view.root, view.tip, view.project.registry).get(artifact, {}).get(stage) == version
    except Exception:  # noqa: BLE001 - an unreadable registry.yaml ratifies nothing
        return False


def _metadata(view: Protected, result: FallbackResult, now: datetime | None) -> dict[str, Any]:
    from mlops.promotion.provenance import ci_run, who
    from mlops.timeutil import iso, utcnow

    vetted = f"passed {result.stage}'s gates in tag {result.vetted_by}"
    data: dict[str, Any] = {
        "via": VIA,
        "emergency": True,
        "by": who(view.root),
        "at": iso(now or utcnow()),
        "review": "none",
        "replaced": result.replaced,
        "fallback": {
            "declared": result.declared,
            "reason": result.reason,
            "evidence": result.evidence,
            "vetted_by": result.vetted_by,
            "policy_commit": view.tip,
        },
        "gates_passed": True,
        "gates": [
            {"gate": f"declared fallback ({result.declared})", "passed": True, "result": "pass"},
            {"gate": vetted, "passed": True, "result": "pass"},
        ],
    }
    run = ci_run()
    if run:
        data["ci_run"] = run
    return data


def sync_hold(root: Any, state: Any, artifact: str, stage: str, provenance: Any) -> str:
    """Why `mlops sync` must leave STAGE alone: a fallback holds it and registry.yaml's value predates the
    fallback (re-applying it would undo the emergency switch). "" when sync may go on."""
    tag = emergency_tag(state.artifact(artifact), stage)
    if tag is None:
        return ""
    brought = provenance.merge or provenance.change if provenance else None
    when = (
        int(git.output(["log", "-1", "--format=%ct", "--end-of-options", brought], root).strip() or 0)
        if brought
        else 0
    )
    if when >= tag.timestamp:
        return ""  # a change reviewed after the fallback decides again
    reason = (tag.message_data.get("fallback") or {}).get("reason") or "no reason recorded"
    return (
        f"emergency fallback tag {tag.tag} ({reason}) holds {stage} with {tag.version}; registry.yaml's "
        f"value predates it: ratify the fallback (set {stage}: {tag.version}) or merge a new change"
    )
