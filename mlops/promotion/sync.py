"""Make the tags match registry.yaml on the protected branch: re-check, check review, write the tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops import git
from mlops.errors import UsageError
from mlops.promotion.desired import desired_at
from mlops.promotion.evaluate import Context, evaluate
from mlops.promotion.fallback import sync_hold
from mlops.promotion.provenance import Provenance, Tracer, ci_run, who
from mlops.promotion.results import Evaluation
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
        return {
            "status": self.status,
            "reason": self.reason,
            "tags": self.tags,
            "provenance": self.provenance.to_dict() if self.provenance else None,
            **self.evaluation.to_dict(),
        }


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
        return {
            "branch": self.branch,
            "head": self.head,
            "dry_run": self.dry_run,
            "passed": not self.refused,
            "actions": [a.to_dict() for a in self.actions],
        }


def require_protected(root: Any, branch: str, what: str) -> None:
    current = git.current_branch(root)
    if current != branch:
        where = f"on `{current}`" if current else "detached (no branch checked out)"
        raise UsageError(
            f"{what} runs only on the protected branch `{branch}`; HEAD is {where}",
            hint=f"`git switch {branch}` (CI: run it on pushes to {branch})",
        )


def sync(root: Any = None, *, push: bool = False, dry_run: bool = False, now: Any = None) -> SyncReport:
    """Under the registry lock (one tag per change, however many syncs run at once), re-read the tags and
    apply every pending registry.yaml value that passes, judged by the side its change was merged into."""
    from mlops.config.project import load_project
    from mlops.promotion.policy import policy_at
    from mlops.registry import write

    base = load_project(root)
    head = git.resolve_commit("HEAD", base.root)
    branch = policy_at(base.root, head, base.promotion).protected_branch
    require_protected(base.root, branch, "`mlops sync`")
    with write.registry_lock(base.root):
        if push and not dry_run:
            from mlops.registry import fetch_tags

            fetch_tags(base.root)  # another sync may have written tags since this checkout
        return _sync_locked(base.root, head, branch, push=push, dry_run=dry_run, now=now)


def _sync_locked(root: Any, head: str, branch: str, *, push: bool, dry_run: bool, now: Any) -> SyncReport:
    report = SyncReport(branch, head, dry_run=dry_run)
    judges = None
    for action, judges in judge_pending(root, head, now=now, dry_run=dry_run):
        report.actions.append(action)
        if action.status == "refused" or dry_run:
            continue
        ctx = judges.context(action.provenance)[0] if action.provenance else None
        assert ctx is not None
        action.tags = _apply(ctx, action.evaluation, action.provenance, push=push, via="mlops sync")
        judges.refresh()
    return report


def judge_pending(root: Any, head: str, *, now: Any = None, dry_run: bool = True) -> Any:
    """Yield (SyncAction, judges) for every registry.yaml value at HEAD that the tags do not show yet, judged
    as sync judges it; status "refused" with the reason, else "would apply" (dry run) or "applied"."""
    from mlops.config.project import load_project
    from mlops.registry import read_state
    from mlops.timeutil import utcnow

    project = load_project(root, commit=head)
    desired = desired_at(project.root, head, project.registry)
    tracer = Tracer(project.root, project.registry)
    judges = _Judges(project.root, head, now or utcnow(), read_state(root))
    for row in compare(judges.policy_for(head), judges.state, desired):
        if not row.pending:
            continue
        provenance = tracer.trace(head, row.artifact, row.stage)
        ctx, refused = judges.judge(row, provenance)
        ev = evaluate(ctx, row.artifact, row.stage, row.desired)
        action = SyncAction(ev, "would apply" if dry_run else "applied", provenance=provenance)
        reason = refused or _refusal(ev, provenance)
        if reason:
            action.status, action.reason = "refused", reason
        yield action, judges


def _refusal(ev: Evaluation, provenance: Any) -> str:
    """Why sync must not apply EV: a failed gate, or a reviewed stage changed without review."""
    if not ev.passed:
        return "; ".join(r.message or r.gate for r in ev.failures)
    if ev.review_required and not provenance.reviewed:
        return (
            f"stage {ev.stage} requires review: {provenance.reason}; "
            "change registry.yaml through a pull request merged with a merge commit"
        )
    return ""


def refusals(root: Any) -> list[SyncAction]:
    """What `mlops sync` refuses at HEAD of the protected branch (nothing elsewhere: a branch's pending
    values are a pull request's business, not refusals)."""
    from mlops.config.project import load_project
    from mlops.promotion.policy import policy_at

    project = load_project(root)
    head = git.resolve_commit("HEAD", project.root)
    if git.show_file(head, project.registry, project.root) is None:
        return []
    branch = policy_at(project.root, head, project.promotion).protected_branch
    if git.current_branch(project.root) != branch:
        return []
    return [action for action, _ in judge_pending(project.root, head) if action.status == "refused"]


class _Judges:
    """Evaluation contexts by deciding commit: the first parent of the commit that brought each change."""

    def __init__(self, root: Any, head: str, now: Any, state: Any) -> None:
        self.root, self.head, self.now, self.state = root, head, now, state
        self._contexts: dict[str, tuple[Any, Context]] = {}

    def policy_for(self, commit: str) -> Any:
        return self._open(commit)[1].policy

    def _open(self, decider: str) -> tuple[Any, Context]:
        from mlops.promotion.protected import open_at

        if decider not in self._contexts:
            self._contexts[decider] = open_at(
                self.root,
                decider,
                self.head,
                now=self.now,
                state=self.state,
                label=f"{decider[:12]} (before the change)",
            )
        return self._contexts[decider]

    def context(self, provenance: Provenance) -> tuple[Context, str]:
        """(the context that judges this change, why the change is refused as a whole or "")."""
        from mlops.promotion.protected import policy_edits, refusal

        brought = provenance.merge or provenance.change
        if brought is None:
            return self._open(self.head)[1], ""
        parents = git.output(
            ["rev-list", "--parents", "-n", "1", "--end-of-options", brought], self.root
        ).split()
        if len(parents) < 2:  # no commit changed the value (it was there from the start): HEAD decides
            return self._open(self.head)[1], ""
        project, ctx = self._open(parents[1])
        edits = policy_edits(self.root, parents[1], brought, (project, ctx.policy))
        return ctx, refusal(edits, project.registry) if edits else ""

    def judge(self, row: Any, provenance: Provenance) -> tuple[Context, str]:
        """context(), and a stage an emergency fallback holds is left alone until the team decides again."""
        ctx, refused = self.context(provenance)
        return ctx, refused or sync_hold(self.root, self.state, row.artifact, row.stage, provenance)

    def refresh(self) -> None:
        from mlops.registry import read_state

        self.state = read_state(self.root)
        for _project, ctx in self._contexts.values():
            ctx.state = self.state


def _apply(ctx: Context, ev: Evaluation, provenance: Provenance | None, *, push: bool, via: str) -> list[str]:
    from mlops.registry import write

    metadata = tag_metadata(ctx, ev, provenance, via)
    if ev.action == "assign":
        assert ev.version is not None
        message = f"{'Roll back' if ev.rollback else 'Promote'} {ev.artifact} {ev.version} to {ev.stage}"
        return [
            write.assign(
                ctx.root,
                ev.artifact,
                ev.version,
                ev.stage,
                metadata=metadata,
                message=message,
                push=push,
                sign=ctx.policy.signing_required,
            )
        ]
    art = ctx.state.artifact(ev.artifact)
    tags = []
    for version in list(art.stage_versions(ev.stage)) if art else []:
        if not version.registered:
            continue
        tags.append(
            write.unassign(
                ctx.root,
                ev.artifact,
                version.version,
                ev.stage,
                metadata=metadata,
                message=f"Remove {ev.artifact} {version.version} from {ev.stage}",
                push=push,
                sign=ctx.policy.signing_required,
            )
        )
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
