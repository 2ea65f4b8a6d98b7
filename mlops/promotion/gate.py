"""`gate`: evaluate every assignment that registry.yaml changes between a base revision and HEAD (a PR check).

Everything is read from commits: registry.yaml and promotion.yaml at HEAD and at the merge base, metrics and
reports at each version's tagged commit, monitoring histories at the base branch's tip (which the change
cannot edit). No code from the change runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops import git
from mlops.errors import ConfigError, UnknownReference
from mlops.promotion.changes import Change, diff_desired
from mlops.promotion.desired import desired_at
from mlops.promotion.evaluate import evaluate
from mlops.promotion.results import Evaluation, GateResult
from mlops.promotion.session import open_context


@dataclass
class GateReport:
    base: str  # as given
    base_commit: str  # the merge base actually compared
    head: str
    evaluations: list[Evaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(ev.passed for ev in self.evaluations)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "base_commit": self.base_commit, "head": self.head, "passed": self.passed,
                "notes": self.notes, "promotions": [ev.to_dict() for ev in self.evaluations]}


def default_base(root: Any, branch: str) -> str:
    for candidate in (f"origin/{branch}", branch):
        try:
            git.resolve_commit(candidate, root)
            return candidate
        except UnknownReference:
            continue
    raise UnknownReference(f"no base to compare with: neither origin/{branch} nor {branch} exists",
                           hint="pass --base REV")


def gate(base: str | None = None, *, root: Any = None, now: datetime | None = None) -> GateReport:
    project, ctx = open_context(root, committed=True, now=now)
    base = base or default_base(project.root, ctx.policy.protected_branch)
    base_tip = git.resolve_commit(base, project.root)
    proc = git.run(["merge-base", base_tip, ctx.head], project.root, check=False)
    base_commit = proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else base_tip
    report = GateReport(base, base_commit, ctx.head)
    # Monitoring histories come from the base branch's tip: a pull request cannot edit what it is judged by.
    ctx.history_at, ctx.history_label = base_tip, base
    if base_commit == ctx.head and base_tip != ctx.head:
        report.notes.append(f"HEAD is an ancestor of {base}: nothing of this change to check")
    try:
        before = desired_at(project.root, base_commit, project.registry)
    except ConfigError as exc:
        before = {}
        report.notes.append(f"{project.registry} at the base does not load ({exc.message.splitlines()[0]}); "
                            "every value at HEAD counts as a change")
    after = desired_at(project.root, ctx.head, project.registry)
    if git.show_file(base_commit, project.promotion, project.root) != \
            git.show_file(ctx.head, project.promotion, project.root):
        report.notes.append(f"{project.promotion} changes in this change: gates are evaluated with the new "
                            "policy; review the policy change itself")
    for change in diff_desired(before, after, ctx.policy.stage_names):
        if change.removed:
            report.notes.append(f"{change.artifact}.{change.stage} is no longer managed in registry.yaml "
                                "(was " + (change.before or "empty") + "): sync leaves its tags alone")
            continue
        report.evaluations.append(_evaluate_change(ctx, change))
    return report


def _evaluate_change(ctx: Any, change: Change) -> Evaluation:
    holder = ctx.state.which(change.artifact, change.stage)
    ev = evaluate(ctx, change.artifact, change.stage, change.after, previous=change.before)
    if holder is not None and holder.version == change.after:  # already there: nothing left to gate
        ev.rollback = False
        ev.deltas = []
        ev.results = [r for r in ev.results if r.kind == "state"] + [GateResult(
            "state", "already in stage", True, f"the tags already show {change.after} in {change.stage}",
            skipped=True)]
    return ev
