"""Make the tags match registry.yaml on the protected branch: re-check, check review, write the tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops import git
from mlops.errors import UsageError
from mlops.promotion.desired import desired_at
from mlops.promotion.evaluate import Context, evaluate
from mlops.promotion.provenance import Provenance, Tracer, ci_run, who
from mlops.promotion.results import Evaluation
from mlops.promotion.session import open_context, refresh
from mlops.promotion.status import compare
from mlops.timeutil import iso


@dataclass
class SyncAction:
    evaluation: Evaluation
    status: str  # applied | refused | would apply
    reason: str = ""
    tags: list[str] = field(default_factory=list)
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "tags": self.tags,
                "provenance": self.provenance.to_dict() if self.provenance else None,
                **self.evaluation.to_dict()}


@dataclass
class SyncReport:
    branch: str
    head: str
    actions: list[SyncAction] = field(default_factory=list)
    dry_run: bool = False

    @property
    def refused(self) -> list[SyncAction]:
        return [a for a in self.actions if a.status == "refused"]

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "head": self.head, "dry_run": self.dry_run, "passed": not self.refused,
                "actions": [a.to_dict() for a in self.actions]}


def require_protected(root: Any, branch: str, what: str) -> None:
    current = git.current_branch(root)
    if current != branch:
        where = f"on `{current}`" if current else "detached (no branch checked out)"
        raise UsageError(f"{what} runs only on the protected branch `{branch}`; HEAD is {where}",
                         hint=f"`git switch {branch}` (CI: run it on pushes to {branch})")


def sync(root: Any = None, *, push: bool = False, dry_run: bool = False, now: Any = None) -> SyncReport:
    from mlops.config.project import load_project
    from mlops.promotion.policy import policy_at

    base = load_project(root)
    branch = policy_at(base.root, git.resolve_commit("HEAD", base.root), base.promotion).protected_branch
    require_protected(base.root, branch, "`mlops sync`")
    if push and not dry_run:
        from mlops.registry import fetch_tags

        fetch_tags(base.root)  # another sync may have written tags since this checkout
    project, ctx = open_context(base.root, committed=True, now=now)
    report = SyncReport(ctx.policy.protected_branch, ctx.head, dry_run=dry_run)
    desired = desired_at(project.root, ctx.head, project.registry)
    tracer = Tracer(project.root, project.registry)
    for row in compare(ctx.policy, ctx.state, desired):
        if not row.pending:
            continue
        ev = evaluate(ctx, row.artifact, row.stage, row.desired)
        action = SyncAction(ev, "would apply" if dry_run else "applied")
        report.actions.append(action)
        if not ev.passed:
            action.status = "refused"
            action.reason = "; ".join(r.message or r.gate for r in ev.failures)
            continue
        action.provenance = tracer.trace(ctx.head, row.artifact, row.stage)
        if ev.review_required and not action.provenance.reviewed:
            action.status = "refused"
            action.reason = (f"stage {row.stage} requires review: {action.provenance.reason}; "
                             "change registry.yaml through a pull request merged with a merge commit")
            continue
        if dry_run:
            continue
        action.tags = _apply(ctx, ev, action.provenance, push=push, via="mlops sync")
        refresh(ctx)
    return report


def _apply(ctx: Context, ev: Evaluation, provenance: Provenance | None, *, push: bool, via: str) -> list[str]:
    from mlops.registry import write

    metadata = tag_metadata(ctx, ev, provenance, via)
    if ev.action == "assign":
        assert ev.version is not None
        message = f"{'Roll back' if ev.rollback else 'Promote'} {ev.artifact} {ev.version} to {ev.stage}"
        return [write.assign(ctx.root, ev.artifact, ev.version, ev.stage, metadata=metadata, message=message,
                             push=push)]
    art = ctx.state.artifact(ev.artifact)
    tags = []
    for version in list(art.stage_versions(ev.stage)) if art else []:
        if not version.registered:
            continue
        tags.append(write.unassign(ctx.root, ev.artifact, version.version, ev.stage, metadata=metadata,
                                   message=f"Remove {ev.artifact} {version.version} from {ev.stage}", push=push))
    return tags


def tag_metadata(ctx: Context, ev: Evaluation, provenance: Provenance | None, via: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "via": via,
        "by": who(ctx.root),
        "at": iso(ctx.now),
        "desired_at": ctx.head,
        "registry_change": provenance.change if provenance else None,
        "merge_commit": provenance.merge if provenance else None,
        "pr": provenance.pr if provenance else None,
        "review": "merged" if provenance and provenance.reviewed else "none",
        "rollback": ev.rollback,
        "replaced": ev.incumbent,
        "gates_passed": ev.passed,
        "gates": ev.record(),
    }
    run = ci_run()
    if run:
        data["ci_run"] = run
    return data
