"""API: promotion (promote, gate, sync, rollback, status, verify). Each returns data; nothing prints."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops.promotion.gate import GateReport
from mlops.promotion.promote import PromoteResult
from mlops.promotion.status import StageStatus
from mlops.promotion.sync import SyncReport
from mlops.promotion.verify import VerifyReport

__all__ = ["gate", "promote", "rollback", "status", "sync", "verify"]

Root = str | os.PathLike[str] | None


def promote(
    ref: str, stage: str, *, apply: bool = False, root: Root = None, now: datetime | None = None
) -> PromoteResult:
    """Evaluate the gates of putting REF (`A@v1.2.0`, `A@latest`, `A#canary`) into STAGE; when they pass,
    write registry.yaml. `apply` also commits registry.yaml and writes the assignment tag (stages without
    review only, on the protected branch). Raises UnknownReference for an unknown artifact or stage."""
    from mlops.promotion.promote import promote as run

    return run(ref, stage, root=root, apply=apply, now=now)


def rollback(
    artifact: str, stage: str, *, apply: bool = False, root: Root = None, now: datetime | None = None
) -> PromoteResult:
    """Set STAGE of ARTIFACT back to the version that held it before, through the same path as promote."""
    from mlops.promotion.promote import rollback as run

    return run(artifact, stage, root=root, apply=apply, now=now)


def gate(base: str | None = None, *, root: Root = None, now: datetime | None = None) -> GateReport:
    """Evaluate every (artifact, stage) whose registry.yaml value differs between the merge base of BASE
    (default origin/<protected branch>) and HEAD."""
    from mlops.promotion.gate import gate as run

    return run(base, root=root, now=now)


def sync(
    *, push: bool = False, dry_run: bool = False, root: Root = None, now: datetime | None = None
) -> SyncReport:
    """On the protected branch: re-check and write the tags that make Git match registry.yaml."""
    from mlops.promotion.sync import sync as run

    return run(root, push=push, dry_run=dry_run, now=now)


@dataclass
class StatusReport:
    rows: list[StageStatus] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[StageStatus]:
        return [r for r in self.rows if r.pending]

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_sync": not self.pending,
            "stages": [r.to_dict() for r in self.rows],
            "pending": [r.to_dict() for r in self.pending],
            "warnings": self.warnings,
        }


def status(*, root: Root = None) -> StatusReport:
    """Every managed or assigned (artifact, stage): registry.yaml's value (work tree) against the tags."""
    from mlops.promotion.desired import desired_at, read_desired
    from mlops.promotion.session import open_context
    from mlops.promotion.status import compare

    project, ctx = open_context(root)
    desired = read_desired(project.root, project.registry)
    try:
        committed = desired_at(project.root, ctx.head, project.registry)
    except Exception:  # noqa: BLE001 - a broken committed file: compare with the work tree alone
        committed = None
    rows = compare(ctx.policy, ctx.state, desired, committed)
    _mark_refused(project.root, rows)
    _mark_emergencies(ctx.state, rows)
    return StatusReport(rows, list(ctx.state.warnings))


def _mark_refused(root: Any, rows: list[StageStatus]) -> None:
    """On the protected branch, a committed value that sync refuses shows as refused, with the reason."""
    from mlops.promotion.sync import refusals

    if not any(r.pending and r.committed for r in rows):
        return
    reasons = {(a.evaluation.artifact, a.evaluation.stage): a.reason for a in refusals(root)}
    for row in rows:
        if row.pending and row.committed:
            row.refused = reasons.get((row.artifact, row.stage), "")


def _mark_emergencies(state: Any, rows: list[StageStatus]) -> None:
    """A stage held by an `mlops fallback` tag that registry.yaml does not ask for yet."""
    from mlops.promotion.fallback import emergency_tag

    for row in rows:
        tag = emergency_tag(state.artifact(row.artifact), row.stage)
        if tag is not None and row.desired != row.actual:
            reason = (tag.message_data.get("fallback") or {}).get("reason") or ""
            row.emergency = f"{tag.tag}: {reason}" if reason else tag.tag


def verify(*, since: str | None = None, root: Root = None) -> VerifyReport:
    """Check every assignment tag of a review-required stage against the merged registry.yaml history;
    `since` (a time or a tag) skips the tags written before it, e.g. before the team adopted mlops."""
    from mlops.promotion.verify import verify as run

    return run(root, since=since)
