"""`promote` and `rollback`: check the gates, write registry.yaml; with apply, commit it and tag in one step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops import git
from mlops.errors import InputError, UsageError
from mlops.promotion.desired import RegistryFile
from mlops.promotion.evaluate import Context, evaluate
from mlops.promotion.policy import Stage
from mlops.promotion.provenance import Provenance
from mlops.promotion.results import Evaluation
from mlops.promotion.session import open_context
from mlops.promotion.sync import _apply, require_protected


@dataclass
class PromoteResult:
    evaluation: Evaluation
    written: bool = False  # registry.yaml changed
    committed: str | None = None  # the commit of registry.yaml (apply)
    tags: list[str] = field(default_factory=list)
    registry: str = "registry.yaml"
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.evaluation.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "committed": self.committed,
            "tags": self.tags,
            "registry": self.registry,
            "note": self.note,
            **self.evaluation.to_dict(),
        }


def promote(
    ref: str, stage: str, *, root: Any = None, apply: bool = False, now: datetime | None = None
) -> PromoteResult:
    """With apply, the whole read-evaluate-commit-tag runs under the registry lock (one tag per change)."""
    with _locked(root, apply):
        return _promote(ref, stage, root=root, apply=apply, now=now)


def rollback(
    artifact: str, stage: str, *, root: Any = None, apply: bool = False, now: datetime | None = None
) -> PromoteResult:
    with _locked(root, apply):
        return _rollback(artifact, stage, root=root, apply=apply, now=now)


def _locked(root: Any, apply: bool) -> Any:
    import contextlib

    from mlops.config.project import find_root
    from mlops.registry.write import registry_lock

    return registry_lock(find_root(root)) if apply else contextlib.nullcontext()


def _promote(ref: str, stage: str, *, root: Any, apply: bool, now: datetime | None) -> PromoteResult:
    from mlops.refs import resolve

    project, ctx = open_context(root, now=now)
    resolved = resolve(ref, project.root, state=ctx.state)
    if resolved.artifact is None or resolved.version is None:
        raise UsageError(
            f"`{ref}` names no registered version; use ARTIFACT@vX.Y.Z, ARTIFACT@latest or ARTIFACT#STAGE"
        )
    return _change(project, ctx, resolved.artifact, stage, resolved.version, apply=apply, verb="Promote")


def _rollback(artifact: str, stage: str, *, root: Any, apply: bool, now: datetime | None) -> PromoteResult:
    """Back to the newest earlier holder that left STAGE in good standing (replaced by a newer version);
    versions that were themselves rolled back away from are skipped, and named."""
    project, ctx = open_context(root, now=now)
    ctx.policy.artifact(artifact)
    ctx.policy.stage(stage)
    art = ctx.state.artifact(artifact)
    current = art.which(stage) if art else None
    if current is None:
        raise InputError(f"{artifact} has no version in {stage}: nothing to roll back")
    before, skipped = _rollback_target(ctx, art, artifact, stage, current.version)
    if before is None:
        why = f"; skipped {', '.join(skipped)}" if skipped else ""
        raise InputError(
            f"no earlier version of {artifact} left {stage} in good standing (now {current.version}){why}",
            hint=f"`mlops history {artifact}` shows what happened",
        )
    result = _change(project, ctx, artifact, stage, before.version, apply=apply, verb="Roll back")
    if skipped:
        result.note = "; ".join(
            filter(None, [result.note, f"skipped {', '.join(skipped)}: not a rollback target"])
        )
    return result


def _rollback_target(
    ctx: Context, art: Any, artifact: str, stage: str, current: str
) -> tuple[Any, list[str]]:
    """The newest earlier holder that left STAGE in good standing, and the holders passed over (why)."""
    from mlops.promotion.evaluate import GOOD, standing

    skipped: list[str] = []
    for v in art.stage_versions(stage)[1:]:
        if not v.registered or v.deregistered or v.version == current:
            continue
        how, _ended = standing(ctx.state, artifact, stage, v.version)
        if how == GOOD:
            return v, skipped
        skipped.append(f"{v.version} ({how} {stage})")
    return None, skipped


def _change(
    project: Any, ctx: Context, artifact: str, stage_name: str, version: str, *, apply: bool, verb: str
) -> PromoteResult:
    ctx.policy.artifact(artifact)  # unknown artifact or stage: exit 2 with a suggestion
    stage = ctx.policy.stage(stage_name)
    if apply:
        _require_apply_allowed(project, ctx, stage)
    ev = evaluate(ctx, artifact, stage_name, version)
    result = PromoteResult(ev, registry=project.registry)
    if not ev.passed:
        return result
    registry = RegistryFile.open(project.root, project.registry)
    original = registry.path.read_bytes() if registry.path.exists() else None
    result.written = registry.set(artifact, stage_name, version, ctx.policy.stage_names)
    if result.written:
        registry.save()
    holder = ctx.state.which(artifact, stage_name)
    if not apply:
        if holder is not None and holder.version == version:
            result.note = f"{artifact} {version} is already in {stage_name}"
        return result
    _commit_and_tag(project, ctx, result, registry, original, holder, verb)
    return result


def _require_apply_allowed(project: Any, ctx: Context, stage: Stage) -> None:
    """`--apply` writes tags: only outside review, on the protected branch, in a clean tree."""
    if stage.review_required:
        raise UsageError(
            f"stage {stage.name} requires review: `--apply` is not allowed",
            hint="run without --apply, commit registry.yaml on a branch and open a pull request; "
            "`mlops sync` tags it after the merge",
        )
    require_protected(project.root, ctx.policy.protected_branch, "`mlops promote --apply`")
    git.require_clean(project.root, "`--apply` commits registry.yaml and")


def _commit_and_tag(
    project: Any,
    ctx: Context,
    result: PromoteResult,
    registry: RegistryFile,
    original: bytes | None,
    holder: Any,
    verb: str,
) -> None:
    """`--apply`: commit the changed registry.yaml, then write the stage tag (none when already there)."""
    ev = result.evaluation
    artifact, stage_name, version = ev.artifact, ev.stage, ev.version
    if result.written:
        result.committed = _commit(
            project, registry, original, f"{verb} {artifact} {version} to {stage_name}"
        )
    if holder is not None and holder.version == version:
        result.note = f"{artifact} {version} is already in {stage_name}; no tag written"
        return
    provenance = Provenance(result.committed or _last_change(project), None, None, True)
    result.tags = _apply(
        ctx, ev, provenance, push=False, via=f"mlops {verb.lower().replace(' ', '')} --apply"
    )


def _last_change(project: Any) -> str | None:
    out = git.output(["log", "-1", "--format=%H", "--", project.registry], project.root).strip()
    return out or None


def _commit(project: Any, registry: RegistryFile, original: bytes | None, line: str) -> str:
    """Commit registry.yaml alone (the user's hooks run). On failure put the file back as it was."""
    from mlops import atomic
    from mlops.errors import GitError

    tracked = original is not None and project.registry in git.tracked_files(project.root)
    try:
        if not tracked:
            git.run(["add", "--", project.registry], project.root)
        git.run(["commit", "--quiet", "-m", line, "--", project.registry], project.root)
    except GitError:
        if not tracked:
            git.run(["reset", "--quiet", "--", project.registry], project.root, check=False)
        if original is None:
            registry.path.unlink(missing_ok=True)
        else:
            atomic.write_bytes(registry.path, original)
        raise
    return git.resolve_commit("HEAD", project.root)
