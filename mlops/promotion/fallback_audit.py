"""How `verify` judges a fallback tag (mlops.promotion.fallback): the declared fallback or a forgery, and
whether a reviewed registry.yaml change has ratified it since."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops import git

AWAITING = "awaiting ratification"


@dataclass
class Audit:
    problems: list[str]
    emergency: str  # "" when the tag is not a valid fallback; AWAITING; or "ratified by merge ..."


def audit(root: Path, tip: str, state: Any, event: Any, changes: dict[str, list[Any]]) -> Audit:
    """EVENT (a fallback tag) must assign the fallback the protected branch declared when it was written,
    as the tags before it name it; then it is an emergency change, ratified or awaiting ratification."""
    data = event.message_data
    fallback = data.get("fallback") if isinstance(data.get("fallback"), dict) else {}
    problems = [] if str(fallback.get("reason") or "").strip() else ["records no reason for the fallback"]
    policy, where = _policy_when(root, tip, event.timestamp)
    stage = policy.stages.get(event.stage or "") if policy is not None else None
    if stage is None or not stage.fallback:
        problems.append(f"claims to be a fallback, but stage {event.stage} declared no fallback on {where}")
        return Audit(problems, "")
    problems.extend(_target_problems(stage, state, event, where))
    if problems:
        return Audit(problems, "")
    return Audit([], _ratification(changes, event))


def _target_problems(stage: Any, state: Any, event: Any, where: str) -> list[str]:
    """What the declared fallback named from the tags before EVENT, against what EVENT assigns."""
    from mlops.promotion.fallback import resolve_target
    from mlops.registry.state import fold

    before = fold([e for e in state.events if e.artifact == event.artifact and e.order < event.order])
    target = resolve_target(stage, before.artifact(event.artifact), event.artifact, before)
    if target.version != event.version:
        detail = f" ({target.problem})" if target.problem else ""
        return [
            f"claims to be a fallback, but assigns {event.version}: the declared fallback "
            f"({stage.fallback}) was {target.version or 'none'} on {where}{detail}"
        ]
    return [f"claims to be a fallback, but {target.problem}"] if target.problem else []


def _policy_when(root: Path, tip: str, timestamp: int) -> tuple[Any, str]:
    """The policy on the protected branch's first-parent history as of TIMESTAMP (else at its tip)."""
    from mlops.config.project import load_project
    from mlops.promotion.policy import policy_at

    out = git.output(
        ["rev-list", "-1", "--first-parent", f"--min-age={int(timestamp)}", "--end-of-options", tip], root
    ).strip()
    commit = out or tip
    try:
        project = load_project(root, commit=commit)
        return policy_at(root, commit, project.promotion), f"the protected branch at {commit[:12]}"
    except Exception:  # noqa: BLE001 - no readable policy then: nothing was declared
        return None, f"the protected branch at {commit[:12]}"


def _ratification(changes: dict[str, list[Any]], event: Any) -> str:
    """A merged change (from the merged side, after the tag) that set this stage to this version."""
    for merge, items in changes.items():
        for c in items:
            if (
                c.artifact == event.artifact
                and c.stage == event.stage
                and c.version == event.version
                and c.from_side
                and c.time >= event.timestamp
            ):
                return f"ratified by merge {merge[:12]}"
    return AWAITING


def lint_fallbacks(root: Path, doc: Any) -> list[Any]:
    """`mlops lint`: each declared fallback names a registered version that passed the stage's gates once.
    A pinned version that does not is an error; `previous` names different versions as tags come and go,
    so a problem with it is a warning, and none while no earlier version held the stage (a new project)."""
    from mlops.promotion.policy import parse_policy

    policy, _problems = parse_policy(doc)
    declaring = [s for s in policy.stages.values() if s.fallback]
    if not declaring:
        return []
    try:
        from mlops.registry import read_state

        state = read_state(root)
    except Exception:  # noqa: BLE001 - outside a Git repository there are no versions to check
        return []
    findings = []
    for stage in declaring:
        for artifact in stage.artifacts or tuple(policy.artifacts):
            findings.extend(_fallback_problem(doc, stage, artifact, state))
    return findings


def _fallback_problem(doc: Any, stage: Any, artifact: str, state: Any) -> list[Any]:
    from mlops.promotion.fallback import resolve_target

    target = resolve_target(stage, state.artifact(artifact), artifact, state)
    if not target.problem or (not target.version and stage.fallback == "previous"):
        return []
    severity = "warning" if stage.fallback == "previous" else "error"
    return [
        doc.finding(
            ("stages", stage.name, "fallback"),
            f"stage `{stage.name}`: fallback `{stage.fallback}` of {artifact}: {target.problem}",
            rule="fallback",
            severity=severity,
        )
    ]
