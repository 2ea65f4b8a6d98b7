"""Where registry.yaml (the desired state) and the tags (the actual state) differ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops.promotion.desired import Desired
from mlops.promotion.policy import Policy


@dataclass
class StageStatus:
    artifact: str
    stage: str
    desired: str | None
    actual: str | None
    managed: bool  # registry.yaml names this stage (a missing key means "no opinion")
    review_required: bool = False
    committed: bool = True  # the desired value is the one committed at HEAD
    refused: str = ""  # why `mlops sync` refuses it (on the protected branch), with the failing gate
    emergency: str = ""  # the fallback tag holding the stage until a reviewed change ratifies it

    @property
    def state(self) -> str:
        if not self.managed:
            return "unmanaged"
        if self.desired == self.actual:
            return "in sync"
        if self.emergency:
            return "emergency fallback, awaiting ratification"
        if not self.committed:
            return "uncommitted"
        return "refused" if self.refused else "pending"

    @property
    def pending(self) -> bool:
        return self.managed and self.desired != self.actual

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "stage": self.stage,
            "desired": self.desired,
            "actual": self.actual,
            "state": self.state,
            "review_required": self.review_required,
            "refused": self.refused or None,
            "emergency": self.emergency or None,
        }


def compare(
    policy: Policy, state: Any, desired: Desired, committed: Desired | None = None
) -> list[StageStatus]:
    rows: list[StageStatus] = []
    for artifact in _artifact_names(policy, state, desired):
        art = state.artifact(artifact)
        wanted = desired.get(artifact, {})
        for stage in _stage_names(policy, art, wanted):
            holder = art.which(stage) if art else None
            actual = holder.version if holder else None
            if stage not in wanted and actual is None:
                continue
            want = wanted.get(stage)
            stage_policy = policy.stages.get(stage)
            same = committed is None or committed.get(artifact, {}).get(stage, object()) == want
            review = bool(stage_policy and stage_policy.review_required)
            rows.append(StageStatus(artifact, stage, want, actual, stage in wanted, review, same))
    return rows


def _artifact_names(policy: Policy, state: Any, desired: Desired) -> list[str]:
    """registry.yaml's artifacts, then the policy's, then any other in the tags that either names."""
    known = (a for a in state.artifacts if a in policy.artifacts or a in desired)
    return list(dict.fromkeys([*desired, *policy.artifacts, *known]))


def _stage_names(policy: Policy, art: Any, wanted: dict[str, str | None]) -> list[str]:
    """The stages registry.yaml or the tags name for one artifact, in promotion order."""
    rank = {name: i for i, name in enumerate(policy.stages)}
    stages = list(dict.fromkeys([*wanted, *(art.queues if art else {})]))
    stages.sort(key=lambda s: rank.get(s, len(rank)))
    return stages
