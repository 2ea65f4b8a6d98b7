"""The verdict on one promotion: entry conditions (registered, stage order, soak), then the stage's gates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops.promotion.files import CommittedFileError, FileReader, flatten_numbers
from mlops.promotion.gates import (
    GateContext,
    Subject,
    environment_gate,
    metric_gate,
    monitor_gate,
    validation_gate,
)
from mlops.promotion.policy import Policy, Stage
from mlops.promotion.results import Delta, Evaluation, GateResult
from mlops.timeutil import format_duration, iso


@dataclass
class Context:
    """Everything an evaluation reads: the policy, the registry state (tags), files at commits, the time."""

    root: Path
    policy: Policy
    state: Any  # mlops.registry.state.RegistryState
    now: datetime
    head: str
    reader: FileReader
    history_at: str | None = None  # where monitoring histories are read (default HEAD)
    history_label: str = "HEAD"
    dvc_yaml: str = "dvc.yaml"  # from the protected side's mlops.yaml
    proofs: dict[tuple[str, str], GateResult] = field(default_factory=dict)  # (artifact, version) -> proof

    @property
    def gates(self) -> GateContext:
        return GateContext(
            self.root, self.reader, self.now, self.history_at or self.head, self.history_label, self.state
        )


GOOD = "left in good standing"  # replaced by a version new to the stage
ROLLED_BACK = "rolled back away from"  # replaced by a version that held the stage before it
REMOVED = "removed"  # unassigned from the stage
HOLDING = "holding"


def standing(state: Any, artifact: str, stage: str, version: str) -> tuple[str | None, Any]:
    """How VERSION's latest stretch in STAGE ended, and the event that ended it: (None, None) when it never
    held the stage. Only a version that left in good standing may come back as a rollback."""
    art = state.artifact(artifact)
    if art is None:
        return None, None
    first_seen: set[str] = set()
    holder: str | None = None
    result: tuple[str | None, Any] = (None, None)
    for e in _stage_events(art, stage):
        if e.kind == "assign":
            new = e.version not in first_seen
            first_seen.add(e.version)
            if e.version == version:
                result = (HOLDING, e)
            elif holder == version:
                result = (GOOD if new else ROLLED_BACK, e)
            holder = e.version
        elif e.version == version and holder == version:
            result, holder = (REMOVED, e), None
    return result


def _stage_events(art: Any, stage: str) -> Iterator[Any]:
    """The assignments to and unassignments from STAGE, oldest first."""
    return (e for e in art.events if e.stage == stage and e.kind in ("assign", "unassign"))


def held_before(state: Any, artifact: str, stage: str, version: str) -> bool:
    """True when putting VERSION back into STAGE is a rollback: it held the stage and left it in good
    standing (a newer version replaced it), not when it was itself rolled back away from or removed."""
    return standing(state, artifact, stage, version)[0] in (GOOD, HOLDING)


def evaluate(
    ctx: Context, artifact: str, stage_name: str, version: str | None, *, previous: str | None = None
) -> Evaluation:
    """Check VERSION (None: empty the stage) against the policy of STAGE, as of ctx.now and the tags."""
    current = ctx.state.which(artifact, stage_name)
    stage = ctx.policy.stages.get(stage_name)
    ev = Evaluation(
        artifact,
        stage_name,
        version,
        incumbent=current.version if current else None,
        previous=previous,
        review_required=bool(stage and stage.review_required),
    )
    ev.results.extend(_known(ctx.policy, artifact, stage_name))
    if version is None:
        ev.action = "unassign"
        return ev
    if not all(r.passed for r in ev.results) or stage is None:
        return ev
    art_state = ctx.state.artifact(artifact)
    entry = art_state.version(version) if art_state else None
    if entry is None or not entry.registered:
        message = f"{artifact} {version} is not a registered version"
        ev.results.append(GateResult("state", "registered", False, message, value=version))
        return ev
    ev.commit = entry.commit
    ev.results.append(_proof(ctx, artifact, entry))
    ev.results.extend(_standing_checks(ctx, ev, art_state, entry))
    ev.rollback = held_before(ctx.state, artifact, stage_name, version)
    ev.results.extend(_order(ctx, stage, artifact, version, ev.rollback))
    _run_gates(ctx, ev, stage, entry, current)
    return ev


def _standing_checks(ctx: Context, ev: Evaluation, art_state: Any, entry: Any) -> list[GateResult]:
    """Deregistered and deprecated versions fail; one rolled back away from or removed returns as new."""
    artifact, version, stage_name = ev.artifact, ev.version, ev.stage
    results = []
    if entry.deregistered:
        results.append(GateResult("state", "registered", False, f"{artifact} {version} is deregistered"))
    if art_state.deprecated:
        results.append(GateResult("state", "not deprecated", False, f"{artifact} is deprecated"))
    how, ended = standing(ctx.state, artifact, stage_name, str(version))
    if how in (ROLLED_BACK, REMOVED):
        message = (
            f"{artifact} {version} was {how} {stage_name} by {ended.tag} on "
            f"{iso(ended.date)}: it returns with every gate, as a new promotion"
        )
        results.append(GateResult("state", "not a rollback", True, message))
    return results


def _run_gates(ctx: Context, ev: Evaluation, stage: Stage, entry: Any, current: Any) -> None:
    """The stage's gates on the candidate, against the incumbent where one is comparable."""
    metrics = ctx.policy.artifacts[ev.artifact].metrics
    subject = Subject(ev.artifact, str(ev.version), entry.commit, metrics)
    incumbent = None
    if current is not None and current.version != ev.version and getattr(current, "registered", True):
        incumbent = Subject(ev.artifact, current.version, current.commit, metrics)
    for gate in stage.gates:
        ev.results.extend(_run_gate(ctx, gate, subject, incumbent, stage.name, ev.rollback))
    ev.deltas = _deltas(ctx, stage, subject, incumbent)


def _run_gate(
    ctx: Context, gate: Any, subject: Subject, incumbent: Subject | None, stage: str, rollback: bool
) -> list[GateResult]:
    if gate.kind == "metric":
        return metric_gate(gate, subject, incumbent, ctx.gates, rollback)
    if gate.kind == "validation":
        return [validation_gate(gate, subject, ctx.gates)]
    if gate.kind == "environment":
        return [environment_gate(gate, subject, ctx.state, stage, rollback)]
    if gate.kind == "evaluated_on":
        return [_evaluated_on(ctx, subject)]
    return [monitor_gate(gate, subject, ctx.gates, rollback)]


def _evaluated_on(ctx: Context, subject: Subject) -> GateResult:
    """The candidate read the latest versions of its evaluation sets (mlops.evaluation.gate)."""
    from mlops.evaluation.gate import evaluated_on_gate

    protected = ctx.history_at or ctx.head
    return evaluated_on_gate(
        ctx.root,
        ctx.state,
        protected,
        ctx.history_label,
        subject.artifact,
        subject.version,
        subject.commit,
        ctx.dvc_yaml,
    )


def _proof(ctx: Context, artifact: str, entry: Any) -> GateResult:
    from mlops.promotion.provable import proof

    key = (artifact, entry.version)
    if key not in ctx.proofs:
        ctx.proofs[key] = proof(ctx.root, entry, ctx.policy.artifacts[artifact], ctx.dvc_yaml)
    return ctx.proofs[key]


def _known(policy: Policy, artifact: str, stage_name: str) -> list[GateResult]:
    if artifact not in policy.artifacts:
        return [
            GateResult("state", "known artifact", False, f"`{artifact}` is not an artifact of {policy.path}")
        ]
    if stage_name not in policy.stages:
        return [
            GateResult(
                "state",
                "known stage",
                False,
                f"`{stage_name}` is not a stage of {policy.path} (stages: {', '.join(policy.stages)})",
            )
        ]
    if not policy.stages[stage_name].applies_to(artifact):
        return [
            GateResult(
                "state",
                "stage applies",
                False,
                f"stage {stage_name} is limited to {', '.join(policy.stages[stage_name].artifacts or ())}",
            )
        ]
    return []


def entry_stage(policy: Policy, stage: Stage, artifact: str) -> str | None:
    """The stage a version must come from: `after`, skipping stages limited to other artifacts."""
    after = stage.after
    seen = {stage.name}
    while after is not None and after in policy.stages and not policy.stages[after].applies_to(artifact):
        if after in seen:
            return None
        seen.add(after)
        after = policy.stages[after].after
    return after


def _order(ctx: Context, stage: Stage, artifact: str, version: str, rollback: bool) -> list[GateResult]:
    after = entry_stage(ctx.policy, stage, artifact)
    if after is None:
        return []
    label = f"was in {after}"
    if rollback:
        return [
            GateResult("after", label, True, f"rollback: {version} held {stage.name} before", skipped=True)
        ]
    interval = time_in_stage(ctx.state, artifact, after, version, ctx.now)
    if interval is None:
        return [
            GateResult(
                "after",
                label,
                False,
                f"{artifact} {version} has not been in {after}; {stage.name} comes after "
                f"{after} (promote it there first)",
            )
        ]
    start, end = interval
    results = [GateResult("after", label, True, f"in {after} since {iso(start)}", value=iso(start))]
    if stage.soak is not None:
        spent = end - start
        ok = spent >= stage.soak
        message = (
            f"{format_duration(spent)} in {after} since {iso(start)}"
            if ok
            else f"{artifact} {version} has been in {after} for {format_duration(spent)} "
            f"(since {iso(start)}); soak needs {stage.soak_text} "
            f"(ready at {iso(start + stage.soak)})"
        )
        results.append(
            GateResult(
                "soak",
                f"soak {stage.soak_text} in {after}",
                ok,
                message,
                value=format_duration(spent),
                threshold=stage.soak_text,
            )
        )
    return results


def time_in_stage(
    state: Any, artifact: str, stage: str, version: str, now: datetime
) -> tuple[datetime, datetime] | None:
    """The latest stretch VERSION held STAGE: (from its assignment tag's date, until replaced or now)."""
    art = state.artifact(artifact)
    if art is None:
        return None
    start: datetime | None = None
    last: tuple[datetime, datetime] | None = None
    for e in _stage_events(art, stage):
        if e.kind == "assign" and e.version == version:
            if start is None:
                start = e.date
        elif start is not None and (e.kind == "assign" or e.version == version):
            last = (start, e.date)
            start = None
    if start is not None:
        return (start, max(now, start))
    return last


def _deltas(ctx: Context, stage: Stage, subject: Subject, incumbent: Subject | None) -> list[Delta]:
    if incumbent is None or not subject.metrics_path:
        return []
    try:
        mine = ctx.reader.data(subject.commit, subject.metrics_path)
        theirs = ctx.reader.data(incumbent.commit, subject.metrics_path)
    except CommittedFileError:
        return []
    gated = [g.metric for g in stage.gates if g.kind == "metric" and g.slices and g.metric]
    out = _overall_deltas(mine, theirs) + _slice_deltas(gated, _slices_of(mine), _slices_of(theirs))
    return out[:60]


def _overall_deltas(mine: Any, theirs: Any) -> list[Delta]:
    a, b = flatten_numbers(mine), flatten_numbers(theirs)
    return [Delta(name, a.get(name), b.get(name)) for name in list(a) + [n for n in b if n not in a]]


def _slices_of(metrics: Any) -> dict[Any, Any]:
    slices = metrics.get("slices") if isinstance(metrics, dict) else None
    return slices or {}


def _slice_deltas(gated: list[Any], slices_a: dict[Any, Any], slices_b: dict[Any, Any]) -> list[Delta]:
    """Every slice of either side, for each metric a sliced gate checks."""
    out = []
    for name in dict.fromkeys(gated):
        for s in dict.fromkeys(list(slices_a) + list(slices_b)):
            va = flatten_numbers(slices_a.get(s) or {}).get(name)
            vb = flatten_numbers(slices_b.get(s) or {}).get(name)
            out.append(Delta(name, va, vb, slice=str(s)))
    return out
