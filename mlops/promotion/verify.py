"""Audit: every assignment tag of a review-required stage came from a merged registry.yaml change and
recorded passing gates. A tag pushed by hand, or written from a direct commit, is listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops import git
from mlops.errors import UnknownReference, UsageError
from mlops.promotion.desired import desired_at
from mlops.promotion.policy import policy_at
from mlops.promotion.session import open_context
from mlops.timeutil import parse_time


@dataclass
class TagCheck:
    tag: str
    artifact: str
    stage: str
    version: str | None
    kind: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "artifact": self.artifact, "stage": self.stage, "version": self.version,
                "event": self.kind, "ok": self.ok, "problems": self.problems}


@dataclass
class VerifyReport:
    branch: str
    checks: list[TagCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[TagCheck]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "passed": not self.failures, "checked": len(self.checks),
                "tags": [c.to_dict() for c in self.checks]}


def branch_ref(root: Any, branch: str) -> str:
    for candidate in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        try:
            return git.resolve_commit(candidate, root)
        except UnknownReference:
            continue
    raise UnknownReference(f"protected branch `{branch}` not found (locally or as origin/{branch})")


def verify(root: Any = None, *, since: str | None = None) -> VerifyReport:
    """`since`: only tags written after this time (ISO 8601) or after this tag (tags from before mlops)."""
    project, ctx = open_context(root, committed=True)
    start = _since(ctx.state, since)
    tip = branch_ref(project.root, ctx.policy.protected_branch)
    policy = policy_at(project.root, tip, project.promotion)
    first_parent = set(git.output(["rev-list", "--first-parent", tip], project.root).split())
    report = VerifyReport(policy.protected_branch)
    for event in ctx.state.events:
        if event.kind not in ("assign", "unassign") or (start is not None and event.date <= start):
            continue
        stage = policy.stages.get(event.stage or "")
        if stage is None or not stage.review_required or event.artifact not in policy.artifacts:
            continue
        check = TagCheck(event.tag, event.artifact, event.stage or "", event.version, event.kind)
        check.problems = _problems(project, event, first_parent)
        report.checks.append(check)
    return report


def _since(state: Any, since: str | None) -> datetime | None:
    if since is None:
        return None
    moment = parse_time(since)
    if moment is not None:
        return moment
    for event in state.events:
        if event.tag == since:
            return event.date
    raise UsageError(f"--since `{since}` is neither a time (2026-11-24T05:00:00Z) nor a registry tag")


def _problems(project: Any, event: Any, first_parent: set[str]) -> list[str]:
    data = event.message_data
    problems: list[str] = []
    merge = data.get("merge_commit")
    if not merge or not isinstance(merge, str):
        problems.append("records no merge commit (not written by `mlops sync` after a merged pull request)")
    else:
        try:
            merge = git.resolve_commit(merge, project.root)
        except UnknownReference:
            problems.append(f"recorded merge commit {merge[:12]} does not exist in this repository")
            merge = None
        if merge:
            problems.extend(_merge_problems(project, event, merge, first_parent))
    gates = data.get("gates")
    if not isinstance(gates, list) or data.get("gates_passed") is not True:
        problems.append("records no passing gate results")
    else:
        bad = [g.get("gate", "?") for g in gates if not isinstance(g, dict) or g.get("passed") is not True]
        if bad:
            problems.append("records failed gates: " + ", ".join(map(str, bad)))
    return problems


def _merge_problems(project: Any, event: Any, merge: str, first_parent: set[str]) -> list[str]:
    out = []
    parents = git.output(["rev-list", "--parents", "-n", "1", merge], project.root).split()[1:]
    if len(parents) < 2:
        out.append(f"recorded merge {merge[:12]} is not a merge commit")
    if merge not in first_parent:
        out.append(f"recorded merge {merge[:12]} is not on the first-parent history of the protected branch")
    want = event.version if event.kind == "assign" else None
    try:
        have = desired_at(project.root, merge, project.registry).get(event.artifact, {}).get(event.stage, "<absent>")
    except Exception as exc:  # noqa: BLE001 - an unreadable registry.yaml is itself the finding
        return [*out, f"registry.yaml at {merge[:12]} does not load: {exc}"]
    if have != want:
        out.append(f"registry.yaml at merge {merge[:12]} says {event.stage}: {have}, not {want}")
    return out
