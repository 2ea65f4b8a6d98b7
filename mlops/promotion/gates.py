"""Gate checks on data only: metric bounds, comparison with the incumbent, validation reports, monitoring.

Candidate files are read at the candidate version's tagged commit and the incumbent's at its own, so a pull
request cannot change the numbers it is judged by. Nothing here runs code from the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from mlops.promotion.files import CommittedFileError, FileReader, lookup
from mlops.promotion.history import check_quiet, parse_history
from mlops.promotion.policy import Gate
from mlops.promotion.results import GateResult


@dataclass
class Subject:
    """A version to check: the commit its files are read at."""

    artifact: str
    version: str
    commit: str
    metrics_path: str | None


@dataclass
class GateContext:
    root: Path
    reader: FileReader
    now: datetime
    head: str  # the commit monitoring histories are read at
    head_label: str = "HEAD"
    state: Any = None  # the registry state: evaluation-set versions by md5


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass
class _Incumbent:
    """What `not_worse_than` compares against: the incumbent's metrics, or why there are none."""

    subject: Subject | None
    data: Any = None
    note: str = ""  # why the metrics are missing
    mismatch: str = ""  # why they are not comparable (other evaluation-set versions)
    rollback: bool = False


def _metric_failure(label: str, name: str, message: str) -> list[GateResult]:
    return [GateResult("metric", label, False, message, metric=name)]


def metric_gate(
    gate: Gate, subject: Subject, incumbent: Subject | None, ctx: GateContext, rollback: bool = False
) -> list[GateResult]:
    label = gate.describe()
    name = gate.metric or ""
    if not subject.metrics_path:
        return _metric_failure(label, name, f"{subject.artifact} names no metrics file")
    try:
        data = ctx.reader.data(subject.commit, subject.metrics_path)
    except CommittedFileError as exc:
        return _metric_failure(label, name, f"{name}: cannot read metrics of {subject.version}: {exc}")
    theirs = _incumbent_data(gate, data, incumbent, ctx, rollback)
    results: list[GateResult] = []
    for slice_name in _slices(gate, data, theirs.data):
        results.extend(_slice_results(gate, label, subject, data, slice_name, theirs))
    return _record_sets(results, data, ctx)


def _slice_results(
    gate: Gate, label: str, subject: Subject, data: Any, slice_name: str | None, theirs: _Incumbent
) -> list[GateResult]:
    """The bounds and the comparison of one slice (None: overall)."""
    name = gate.metric or ""
    value, problem = _value(data, name, slice_name)
    where = f"{name}" + (f" on slice {slice_name}" if slice_name else "")
    if problem:
        message = f"{where}: {problem} in the metrics of {subject.version} ({subject.metrics_path})"
        return [GateResult("metric", label, False, message, metric=name, slice=slice_name)]
    bounds: tuple[tuple[_BoundKind, float | None], ...] = (("min", gate.min), ("max", gate.max))
    results = [
        _bound(kind, limit, name, where, slice_name, value) for kind, limit in bounds if limit is not None
    ]
    if gate.not_worse_than and theirs.mismatch:
        if slice_name is None:  # one refusal, not one per slice
            results.append(GateResult("metric", label, False, f"{name}: {theirs.mismatch}", metric=name))
    elif gate.not_worse_than:
        results.append(_compare(gate, where, name, slice_name, value, theirs))
    return results


_BoundKind = Literal["min", "max"]
_BOUNDS: dict[_BoundKind, tuple[str, str]] = {
    "min": (">=", "below the minimum"),
    "max": ("<=", "above the maximum"),
}


def _bound(
    kind: _BoundKind, limit: float, name: str, where: str, slice_name: str | None, value: float
) -> GateResult:
    sign, words = _BOUNDS[kind]
    ok = value >= limit if kind == "min" else value <= limit
    return GateResult(
        "metric",
        f"{name} {sign} {limit:g}",
        ok,
        "" if ok else f"{where}: {fmt(value)} is {words} {limit:g}",
        metric=name,
        slice=slice_name,
        value=value,
        threshold=limit,
    )


def _incumbent_data(
    gate: Gate, data: Any, incumbent: Subject | None, ctx: GateContext, rollback: bool
) -> _Incumbent:
    """The incumbent's metrics for `not_worse_than`, why they are missing, or why they are not comparable."""
    if not gate.not_worse_than or incumbent is None or rollback:
        return _Incumbent(incumbent, rollback=rollback)
    try:
        inc_data = ctx.reader.data(incumbent.commit, incumbent.metrics_path or "")
    except CommittedFileError as exc:
        return _Incumbent(incumbent, note=f"incumbent {incumbent.version}: {exc}")
    inc_data, mismatch = _on_same_sets(data, inc_data, incumbent, ctx)
    return _Incumbent(incumbent, inc_data, mismatch=mismatch)


def _on_same_sets(data: Any, inc_data: Any, incumbent: Subject, ctx: GateContext) -> tuple[Any, str]:
    """The incumbent's numbers on the candidate's evaluation-set versions (mlops.evaluation.gate)."""
    from mlops.evaluation.gate import reevaluation_path, same_sets, sets_in

    if same_sets(data, inc_data):
        return inc_data, ""
    path = reevaluation_path("reports", incumbent.artifact, incumbent.version)
    try:
        redone = ctx.reader.data(ctx.head, path)
    except CommittedFileError:
        redone = None
    if redone is not None and same_sets(data, redone):
        return redone, ""
    theirs, mine = _shown(sets_in(inc_data, ctx.state)), _shown(sets_in(data, ctx.state))
    return None, (
        f"incumbent {incumbent.version} was evaluated on {theirs}, the candidate on {mine}; run "
        f"`mlops evaluate {incumbent.artifact}@{incumbent.version}` and commit {path}"
    )


def _shown(sets: dict[str, str] | None) -> str:
    return ", ".join(f"{name} {version}" for name, version in (sets or {}).items()) or "no evaluation sets"


def _record_sets(results: list[GateResult], data: Any, ctx: GateContext) -> list[GateResult]:
    from mlops.evaluation.gate import sets_in

    recorded = sets_in(data, ctx.state)
    for result in results:
        result.evaluated_on = recorded
    return results


def _compare(
    gate: Gate, where: str, name: str, slice_name: str | None, value: float, theirs: _Incumbent
) -> GateResult:
    label = f"{name} not worse than incumbent" + (
        f" (tolerance {gate.tolerance:g})" if gate.tolerance else ""
    )
    base: dict[str, Any] = {"metric": name, "slice": slice_name, "value": value}
    incumbent = theirs.subject
    if theirs.rollback:
        return GateResult(
            "metric", label, True, "rollback: the version held this stage before", skipped=True, **base
        )
    if incumbent is None:
        return GateResult("metric", label, True, "no incumbent in this stage", skipped=True, **base)
    base["incumbent"] = incumbent.version
    if theirs.data is None:
        return GateResult("metric", label, True, f"nothing to compare: {theirs.note}", skipped=True, **base)
    inc_value, problem = _value(theirs.data, name, slice_name)
    if problem:
        why = f"{where} {problem} in the metrics of the incumbent {incumbent.version}"
        return GateResult("metric", label, True, f"nothing to compare: {why}", skipped=True, **base)
    return _verdict(gate, label, where, value, inc_value, base)


def _verdict(
    gate: Gate, label: str, where: str, value: float, inc_value: float, base: dict[str, Any]
) -> GateResult:
    """The candidate's VALUE against the incumbent's, within the gate's tolerance."""
    if gate.higher_is_better:
        threshold, word = inc_value - gate.tolerance, "lower"
        ok = value >= threshold
    else:
        threshold, word = inc_value + gate.tolerance, "higher"
        ok = value <= threshold
    message = (
        ""
        if ok
        else (
            f"{where}: {fmt(value)} vs incumbent {base['incumbent']}'s {fmt(inc_value)}: {word} by "
            f"{fmt(abs(value - inc_value))}, more than the tolerance {gate.tolerance:g} (threshold {fmt(threshold)})"
        )
    )
    return GateResult(
        "metric", label, ok, message, threshold=round(threshold, 12), incumbent_value=inc_value, **base
    )


def _slices(gate: Gate, data: Any, inc_data: Any) -> list[str | None]:
    out: list[str | None] = [None]
    if gate.slices == "all":
        names: list[str] = []
        for source in (data, inc_data):
            slices = source.get("slices") if isinstance(source, dict) else None
            if isinstance(slices, dict):
                names.extend(str(s) for s in slices if str(s) not in names)
        out.extend(names)
    elif gate.slices:
        out.extend(gate.slices)
    return out


def _value(data: Any, name: str, slice_name: str | None) -> tuple[Any, str]:
    source = data
    if slice_name is not None:
        slices = data.get("slices") if isinstance(data, dict) else None
        if not isinstance(slices, dict) or slice_name not in slices:
            return None, f"no slice `{slice_name}`"
        source = slices[slice_name]
    try:
        value = lookup(source, name)
    except KeyError:
        return None, f"no metric `{name}`"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"`{name}` is {value!r}, not a number"
    return float(value), ""


def validation_gate(gate: Gate, subject: Subject, ctx: GateContext) -> GateResult:
    label = gate.describe()
    path = gate.path or ""
    try:
        report = ctx.reader.data(subject.commit, path)
    except CommittedFileError as exc:
        return GateResult("validation", label, False, f"validation report of {subject.version}: {exc}")
    passed = report.get("passed") if isinstance(report, dict) else None
    if passed is True:
        return GateResult(
            "validation",
            label,
            True,
            f"{path} at {subject.commit[:12]} says passed",
            value=True,
            threshold=True,
        )
    said = "passed: false" if passed is False else "no top-level `passed: true|false`"
    return GateResult(
        "validation",
        label,
        False,
        f"{path} at {subject.version} ({subject.commit[:12]}): {said}",
        value=passed,
        threshold=True,
    )


def monitor_gate(gate: Gate, subject: Subject, ctx: GateContext, rollback: bool = False) -> GateResult:
    label = gate.describe()
    if rollback:
        return GateResult(
            "monitor", label, True, "rollback: the version held this stage before", skipped=True
        )
    raw = ctx.reader.raw(ctx.head, gate.path or "")
    if raw is None:
        return GateResult(
            "monitor",
            label,
            False,
            f"no monitoring history {gate.path} at {ctx.head[:12]} ({ctx.head_label})",
        )
    check = check_quiet(
        parse_history(raw), subject.artifact, subject.version, gate.no_alerts_for or timedelta(0), ctx.now
    )
    return GateResult(
        "monitor", label, check.passed, check.message, value=len(check.error_alerts), threshold=0
    )


def environment_gate(
    gate: Gate, subject: Subject, state: Any, stage: str, rollback: bool = False
) -> GateResult:
    """The candidate's recorded environment against the holder of `same_as` (default: this stage's
    incumbent): every package, Python and platform, or only the `pinned` packages."""
    label, where = gate.describe(), gate.same_as or stage
    art = state.artifact(subject.artifact)
    holder = art.which(where) if art else None
    if rollback or holder is None or holder.commit == subject.commit:
        return GateResult("environment", label, True, _env_skipped(rollback, where), skipped=True)
    return _environment_verdict(gate, label, where, holder, subject.version, art.version(subject.version))


def _environment_verdict(
    gate: Gate, label: str, where: str, holder: Any, version: str, candidate: Any
) -> GateResult:
    from mlops.serving.environment import compare

    mine, theirs = _recorded_env(candidate), _recorded_env(holder)
    if not isinstance(mine, dict):
        return GateResult("environment", label, False, f"{version} records no environment")
    if not isinstance(theirs, dict):
        why = f"{holder.version} in {where} records no environment"
        return GateResult("environment", label, True, why, skipped=True)
    diff = compare(theirs, mine, (holder.version, version), list(gate.pinned or []) or None)
    if diff.same:
        return GateResult("environment", label, True, f"same as {holder.version} in {where}")
    said = f"{version} differs from {holder.version} in {where}: {_env_changes(diff)}"
    return GateResult("environment", label, False, said, value=[p.name for p in diff.packages])


def _env_skipped(rollback: bool, where: str) -> str:
    return "rollback: the version held this stage before" if rollback else f"no other version in {where}"


def _recorded_env(version: Any) -> Any:
    return version.message_data.get("environment") if version is not None else None


def _env_changes(diff: Any) -> str:
    """`numpy 1.26.4 -> 2.0.0, python 3.11.7 -> 3.12.1`: what differs, named."""
    parts = [f"{key} {a} -> {b}" for key, (a, b) in diff.fields.items()]
    parts += [f"{p.name} {p.before or 'missing'} -> {p.after or 'missing'}" for p in diff.packages]
    parts += [f"{side} recorded only a hash of its packages" for side in diff.incomplete]
    return ", ".join(parts)
