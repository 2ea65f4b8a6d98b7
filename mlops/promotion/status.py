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
    rank = {name: i for i, name in enumerate(policy.stages)}
    rows: list[StageStatus] = []
    names = list(
        dict.fromkeys(
            [
                *desired,
                *policy.artifacts,
                *(a for a in state.artifacts if a in policy.artifacts or a in desired),
            ]
        )
    )
    for artifact in names:
        art = state.artifact(artifact)
        stages = list(dict.fromkeys([*desired.get(artifact, {}), *(art.queues if art else {})]))
        stages.sort(key=lambda s: rank.get(s, len(rank)))
        for stage in stages:
            holder = art.which(stage) if art else None
            actual = holder.version if holder else None
            managed = stage in desired.get(artifact, {})
            if not managed and actual is None:
                continue
            want = desired.get(artifact, {}).get(stage)
            stage_policy = policy.stages.get(stage)
            same = committed is None or committed.get(artifact, {}).get(stage, object()) == want
            rows.append(
                StageStatus(
                    artifact,
                    stage,
                    want,
                    actual,
                    managed,
                    bool(stage_policy and stage_policy.review_required),
                    same,
                )
            )
    return rows
