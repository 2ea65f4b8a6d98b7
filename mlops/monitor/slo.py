"""Service-level objectives: `slo:` on a stage of promotion.yaml, judged on the monitoring history.

An objective holds the version that holds the stage now: its runs (records of `mlops monitor` with that
artifact and version) within `window` of now. The value is the row-weighted mean of the metric over those runs
(for accuracy, the share of correct predictions among every labelled row of the window); runs without labels
yet (label lag) add nothing. Fewer than `min_rows` labelled rows is `no data`, never a breach: a quiet window
must not page anyone. A breach names the runs behind it and, when the stage declares a fallback, the one
command that switches to it.
"""

from __future__ import annotations

import math
import posixpath
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from mlops.monitor.history import History, read_history
from mlops.promotion.policy import Policy, Slo, Stage
from mlops.timeutil import iso, parse_time

SloVerdict = Literal["met", "breached", "no data"]


@dataclass
class RunValue:
    id: str
    time: str
    value: float
    rows: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time, "value": self.value, "rows": self.rows}


@dataclass
class SloState:
    artifact: str
    stage: str
    objective: Slo
    slice: str | None
    version: str | None  # the version holding the stage (whose runs count)
    state: SloVerdict = "no data"
    value: float | None = None
    rows: int = 0
    runs: list[RunValue] = field(default_factory=list)
    since: datetime | None = None
    why: str = ""  # for no data: what is missing
    fallback: str | None = None  # the command that switches the stage to its declared fallback

    @property
    def name(self) -> str:
        scope = f" [slice {self.slice}]" if self.slice else ""
        return f"{self.artifact} {self.stage}: {self.objective.describe()}{scope}"

    @property
    def rule(self) -> str:
        """The alert rule `mlops monitor` fires for a breach (acknowledged like any other alert)."""
        return f"slo:{self.stage}:{self.objective.metric}" + (f":{self.slice}" if self.slice else "")

    def evidence(self) -> str:
        if self.state == "no data":
            return self.why
        ids = [r.id for r in self.runs]
        shown = ", ".join(ids[-3:]) + (f" and {len(ids) - 3} earlier" if len(ids) > 3 else "")
        return (
            f"{self.objective.metric} {self.value:.4g} over {self.rows} labelled row(s) in {len(self.runs)} "
            f"run(s) of {self.version} since {iso(self.since) if self.since else '?'} "
            f"({self.objective.history}: {shown})"
        )

    def to_dict(self) -> dict[str, Any]:
        o = self.objective
        return {
            "artifact": self.artifact,
            "stage": self.stage,
            "metric": o.metric,
            "slice": self.slice,
            "min": o.min,
            "max": o.max,
            "window": o.window_text,
            "history": o.history,
            "version": self.version,
            "state": self.state,
            "value": self.value,
            "rows": self.rows,
            "since": iso(self.since) if self.since else None,
            "evidence": self.evidence(),
            "runs": [r.to_dict() for r in self.runs],
            "fallback_command": self.fallback,
        }


@dataclass
class SloReport:
    states: list[SloState] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # history lines skipped

    @property
    def breached(self) -> list[SloState]:
        return [s for s in self.states if s.state == "breached"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": not self.breached,
            "breached": len(self.breached),
            "slos": [s.to_dict() for s in self.states],
            "problems": self.problems,
        }


class Histories:
    """Each history file read once; `extra` adds a run not yet appended (the one `mlops monitor` is writing)."""

    def __init__(self, root: Path, extra: dict[str, dict[str, Any]] | None = None) -> None:
        self.root = root
        self.extra = extra or {}
        self._read: dict[str, History] = {}

    def get(self, rel: str) -> History:
        if rel not in self._read:
            from mlops.config.project import escapes
            from mlops.errors import InputError

            if escapes(rel):
                raise InputError(f"SLO history `{rel}` is outside the repository")
            history = read_history(self.root / rel, shown=rel)
            extra = self.extra.get(posixpath.normpath(rel))
            if extra is not None:
                history.runs.append(extra)
            self._read[rel] = history
        return self._read[rel]


def evaluate(
    policy: Policy,
    state: Any,
    histories: Histories,
    now: datetime,
    *,
    artifact: str | None = None,
    stages: list[str] | None = None,
) -> SloReport:
    """Every objective of every stage (or of STAGES) for every artifact it applies to (or ARTIFACT)."""
    report = SloReport()
    for stage in policy.stages.values():
        if not stage.slos or (stages is not None and stage.name not in stages):
            continue
        names = [n for n in stage.artifacts or tuple(policy.artifacts) if artifact in (None, n)]
        for name in names:
            _stage_states(report, stage, name, state.which(name, stage.name), histories, now)
    _attach_commands(report, policy)
    return report


def _stage_states(
    report: SloReport, stage: Stage, artifact: str, holder: Any, histories: Histories, now: datetime
) -> None:
    for objective in stage.slos:
        history = histories.get(objective.history)
        report.problems.extend(p for p in history.problems if p not in report.problems)
        version = holder.version if holder else None
        report.states.extend(_judge(stage, artifact, objective, version, history, now))


def _judge(
    stage: Stage, artifact: str, objective: Slo, version: str | None, history: History, now: datetime
) -> list[SloState]:
    since = now - objective.window
    runs = []
    for run in history.runs:
        when = parse_time(str(run.get("time")))
        if (
            run.get("artifact") == artifact
            and run.get("version") == version
            and when
            and since <= when <= now
        ):
            runs.append(run)
    out = []
    for scope in _scopes(objective, runs):
        s = SloState(artifact, stage.name, objective, scope, version, since=since)
        _measure(s, runs)
        out.append(s)
    return out


def _scopes(objective: Slo, runs: list[dict[str, Any]]) -> list[str | None]:
    if objective.slices is None:
        return [None]
    if objective.slices != "all":
        return [None, *objective.slices]
    seen: dict[str, None] = {}
    for run in runs:
        seen.update(dict.fromkeys(str(k) for k in _slices(run)))
    return [None, *sorted(seen)]


def _slices(run: dict[str, Any]) -> dict[str, Any]:
    metrics = run.get("metrics")
    slices = metrics.get("slices") if isinstance(metrics, dict) else None
    return slices if isinstance(slices, dict) else {}


def _point(run: dict[str, Any], scope: str | None, metric: str) -> RunValue | None:
    """The metric of one run in one scope (overall or a slice), with the rows it rests on."""
    metrics = run.get("metrics")
    found = (
        metrics.get("overall")
        if scope is None and isinstance(metrics, dict)
        else _slices(run).get(scope or "")
    )
    if not isinstance(found, dict):
        return None
    value, rows = _number(found.get(metric)), _number(found.get("rows"))
    if value is None:
        return None  # no labels yet (label lag), or not this kind of metric
    counted = int(rows) if rows is not None and rows >= 1 else None
    return RunValue(str(run.get("id")), str(run.get("time")), value, counted)


def _number(value: Any) -> float | None:
    """A finite number from a history record (which anyone can edit), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _measure(s: SloState, runs: list[dict[str, Any]]) -> None:
    o = s.objective
    s.runs = [p for p in (_point(run, s.slice, o.metric) for run in runs) if p is not None]
    s.rows = sum(r.rows or 0 for r in s.runs)
    if s.version is None:
        s.why = f"no version of {s.artifact} is in {s.stage}"
        return
    if not s.runs or s.rows < o.min_rows:
        s.why = (
            f"{s.rows} labelled row(s) of {s.version} with {o.metric} in the last {o.window_text} of "
            f"{o.history} (needs {o.min_rows})"
        )
        return
    _verdict(s)


def _verdict(s: SloState) -> None:
    o = s.objective
    if all(r.rows for r in s.runs):
        s.value = sum(r.value * (r.rows or 0) for r in s.runs) / s.rows
    else:  # runs that do not say how many rows they counted weigh the same
        s.value = sum(r.value for r in s.runs) / len(s.runs)
    low = o.min is not None and s.value < o.min
    high = o.max is not None and s.value > o.max
    s.state = "breached" if low or high else "met"


def _attach_commands(report: SloReport, policy: Policy) -> None:
    """One fallback command per breached (artifact, stage) that declares a fallback, naming every breach."""
    groups: dict[tuple[str, str], list[SloState]] = {}
    for s in report.breached:
        groups.setdefault((s.artifact, s.stage), []).append(s)
    for (artifact, stage), breaches in groups.items():
        if policy.stages[stage].fallback:
            text = command(artifact, stage, breaches)
            for s in breaches:
                s.fallback = text


def command(artifact: str, stage: str, breaches: list[SloState]) -> str:
    """The one command that switches STAGE to its declared fallback, with the breaches as its evidence."""
    named = [s.objective.describe() + (f" [slice {s.slice}]" if s.slice else "") for s in breaches]
    reason = "SLO breached: " + "; ".join(named)
    evidence = "; ".join(s.evidence() for s in breaches)
    args = ["mlops", "fallback", artifact, "--stage", stage, "--reason", reason, "--evidence", evidence]
    return " ".join(shlex.quote(a) for a in args)


def monitor_breaches(root: Path, record: dict[str, Any], history: str, now: datetime) -> list[SloState]:
    """For `mlops monitor`: the breached objectives of the stages the monitored version holds that read the
    history this run goes to (HISTORY, relative to ROOT), judged with the run being recorded."""
    from mlops.config.project import load_project
    from mlops.errors import ConfigError, InputError
    from mlops.promotion.policy import load_policy
    from mlops.registry import read_state

    artifact, version = record.get("artifact"), record.get("version")
    if not artifact or not version:
        return []
    try:
        policy = load_policy(root, load_project(root).promotion)
    except (InputError, ConfigError):  # no policy, or one being edited (lint names it): monitoring goes on
        return []
    state = read_state(root)
    art = state.artifact(str(artifact))
    held = [s for s, queue in (art.queues.items() if art else []) if queue and queue[0].version == version]
    rel = posixpath.normpath(history)
    histories = Histories(root, {rel: record})
    report = evaluate(policy, state, histories, now, artifact=str(artifact), stages=held)
    return [s for s in report.breached if posixpath.normpath(s.objective.history) == rel]
