"""`gate`: evaluate every assignment that registry.yaml changes between a base revision and HEAD (a PR check).

Everything is read from commits: registry.yaml at HEAD and at the merge base; the policy, mlops.yaml and the
monitoring histories at the merge base (mlops.promotion.protected: the change cannot edit what it is judged
by); metrics and reports at each version's tagged commit. No code from the change runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import git
from mlops.config.project import load_project
from mlops.errors import ConfigError, UnknownReference
from mlops.promotion.changes import Change, diff_desired
from mlops.promotion.desired import Desired, desired_at
from mlops.promotion.evaluate import evaluate
from mlops.promotion.results import Evaluation, GateResult


@dataclass
class GateReport:
    base: str  # as given
    base_commit: str  # the merge base actually compared
    head: str
    evaluations: list[Evaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str = ""  # why the change as a whole is refused (policy files edited with registry.yaml)

    @property
    def passed(self) -> bool:
        return not self.refused and all(ev.passed for ev in self.evaluations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "base_commit": self.base_commit,
            "head": self.head,
            "passed": self.passed,
            "refused": self.refused or None,
            "notes": self.notes,
            "promotions": [ev.to_dict() for ev in self.evaluations],
        }


def default_base(root: Any, branch: str) -> str:
    for candidate in (f"origin/{branch}", branch):
        try:
            git.resolve_commit(candidate, root)
            return candidate
        except UnknownReference:
            continue
    raise UnknownReference(
        f"no base to compare with: neither origin/{branch} nor {branch} exists", hint="pass --base REV"
    )


def gate(base: str | None = None, *, root: Any = None, now: datetime | None = None) -> GateReport:
    from mlops.config.project import find_root
    from mlops.promotion.protected import open_at, policy_edits, refusal
    from mlops.registry import read_state
    from mlops.timeutil import utcnow

    top = find_root(root)
    head = git.resolve_commit("HEAD", top)
    if base is None:
        from mlops.promotion.policy import policy_at

        project_now = load_project(top, commit=head)
        base = default_base(top, policy_at(top, head, project_now.promotion).protected_branch)
    base_tip = git.resolve_commit(base, top)
    base_commit = _merge_base(top, base_tip, head)
    # The merge base decides: its policy, mlops.yaml and monitoring histories, never the change's own.
    project, ctx = open_at(
        top,
        base_commit,
        head,
        now=now or utcnow(),
        state=read_state(top),
        label=f"merge base {base_commit[:12]}",
    )
    report = GateReport(base, base_commit, head)
    if base_commit == head and base_tip != head:
        report.notes.append(f"HEAD is an ancestor of {base}: nothing of this change to check")
    edits = policy_edits(top, base_commit, head, (project, ctx.policy))
    if edits:
        report.refused = refusal(edits, project.registry)
        return report
    before = _desired_at_base(project, base_commit, report)
    after = desired_at(project.root, head, project.registry)
    for change in diff_desired(before, after, ctx.policy.stage_names):
        if change.removed:
            report.notes.append(
                f"{change.artifact}.{change.stage} is no longer managed in registry.yaml "
                "(was " + (change.before or "empty") + "): sync leaves its tags alone"
            )
            continue
        report.evaluations.append(_evaluate_change(ctx, change))
    return report


def _merge_base(top: Path, base_tip: str, head: str) -> str:
    """Where the change forked from the base (the base's tip when they share no history)."""
    proc = git.run(["merge-base", "--end-of-options", base_tip, head], top, check=False)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else base_tip


def _desired_at_base(project: Any, base_commit: str, report: GateReport) -> Desired:
    """registry.yaml at the base; empty (with a note) when it does not load there."""
    try:
        return desired_at(project.root, base_commit, project.registry)
    except ConfigError as exc:
        report.notes.append(
            f"{project.registry} at the base does not load ({exc.message.splitlines()[0]}); "
            "every value at HEAD counts as a change"
        )
        return {}


def _evaluate_change(ctx: Any, change: Change) -> Evaluation:
    holder = ctx.state.which(change.artifact, change.stage)
    ev = evaluate(ctx, change.artifact, change.stage, change.after, previous=change.before)
    if holder is not None and holder.version == change.after:  # already there: nothing left to gate
        ev.rollback = False
        ev.deltas = []
        ev.results = [r for r in ev.results if r.kind == "state"] + [
            GateResult(
                "state",
                "already in stage",
                True,
                f"the tags already show {change.after} in {change.stage}",
                skipped=True,
            )
        ]
    return ev
