"""What a change to registry.yaml asks for: every (artifact, stage) whose desired value differs."""

from __future__ import annotations

from dataclasses import dataclass

from mlops.promotion.desired import Desired


@dataclass(frozen=True)
class Change:
    artifact: str
    stage: str
    before: str | None  # None: absent or empty
    after: str | None
    removed: bool = False  # the key was deleted: no longer managed, nothing to do


def diff_desired(before: Desired, after: Desired, stage_order: list[str]) -> list[Change]:
    rank = {name: i for i, name in enumerate(stage_order)}
    out: list[Change] = []
    for artifact in dict.fromkeys(list(after) + list(before)):
        old, new = before.get(artifact, {}), after.get(artifact, {})
        for stage in sorted(dict.fromkeys(list(new) + list(old)), key=lambda s: rank.get(s, len(rank))):
            if stage not in new:
                out.append(Change(artifact, stage, old.get(stage), None, removed=True))
            elif stage not in old or old[stage] != new[stage]:
                out.append(Change(artifact, stage, old.get(stage), new[stage]))
    return out
