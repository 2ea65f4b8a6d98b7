"""The stage report: from registry tags alone, how long versions stay in each stage, how many never advance,
and how their metrics change stage over stage.

A version's stay in a stage runs from the tag that assigns it until it enters a later stage (it advanced) or
stops holding the stage: another version is assigned there, it is unassigned or deregistered (the fold's
rule, mlops.registry.state). The first row, `registered`, is the wait from registration to the first
assignment; it ends without advancing when the version is deregistered or a version registered after it
is assigned first (it was passed over). Stays still open are
counted as `now`, not in the durations, so the medians only hold finished stays. Metrics are the numeric
values the registration tag recorded (`metrics` in its message block, mlops.registry.snapshot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mlops.registry.events import Event
from mlops.registry.state import ArtifactState
from mlops.registry.tags import ASSIGN, DEREGISTER, REGISTER, UNASSIGN

REGISTERED = "registered"  # the pseudo-stage before the first assignment


@dataclass
class Stay:
    """One version's time in one stage: every interval it held the stage, oldest first."""

    version: str
    stage: str
    entered: int  # epoch seconds of the first assignment (registration for `registered`)
    intervals: list[list[int | None]] = field(default_factory=list)  # [start, end]; end None: open
    advanced: bool = False

    @property
    def open(self) -> bool:
        return bool(self.intervals) and self.intervals[-1][1] is None

    def held(self) -> int:
        """Seconds held in finished intervals."""
        return sum(
            int(end) - int(start) for start, end in self.intervals if end is not None and start is not None
        )


@dataclass
class StageRow:
    stage: str
    entered: int  # versions that entered the stage in the window
    finished: int  # of those, versions whose stay is over
    now: int  # versions holding the stage now
    never_advanced: int  # finished stays that never reached a later stage
    median_seconds: float | None
    p90_seconds: float | None
    metrics: dict[str, float] = field(default_factory=dict)  # median over the versions that entered
    change: dict[str, float] = field(default_factory=dict)  # metrics minus the previous row's

    @property
    def never_advanced_share(self) -> float | None:
        return self.never_advanced / self.finished if self.finished else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "entered": self.entered,
            "finished": self.finished,
            "now": self.now,
            "never_advanced": self.never_advanced,
            "never_advanced_share": self.never_advanced_share,
            "median_seconds": self.median_seconds,
            "p90_seconds": self.p90_seconds,
            "metrics": self.metrics,
            "change": self.change,
        }


@dataclass
class ArtifactReport:
    artifact: str
    stages: list[str]  # promotion order, `registered` first
    rows: list[StageRow]
    stays: list[Stay]  # every stay in the window, by version then stage

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "stages": self.stages,
            "rows": [r.to_dict() for r in self.rows],
            "timeline": [
                {
                    "version": s.version,
                    "stage": s.stage,
                    "entered": s.entered,
                    "intervals": s.intervals,
                    "advanced": s.advanced,
                }
                for s in self.stays
            ],
        }


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) with linear interpolation, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def stage_order(art: ArtifactState, declared: list[str]) -> list[str]:
    """The declared promotion order, then stages seen only in tags, by where versions usually meet them."""
    seen = [s for s in art.queues if s]
    rank = _mean_rank(art)
    extra = sorted((s for s in seen if s not in declared), key=lambda s: (rank.get(s, 0.0), s))
    return [REGISTERED] + [s for s in declared if s in seen] + extra


def _mean_rank(art: ArtifactState) -> dict[str, float]:
    """Stage -> its mean place among the stages each version entered, in the order it entered them."""
    firsts: dict[str, list[str]] = {}
    for e in art.events:
        entered = firsts.setdefault(e.version or e.commit, [])
        if e.kind == ASSIGN and e.stage and e.stage not in entered:
            entered.append(e.stage)
    places: dict[str, list[int]] = {}
    for stages in firsts.values():
        for i, stage in enumerate(stages):
            places.setdefault(stage, []).append(i)
    return {stage: sum(p) / len(p) for stage, p in places.items()}


class _Replay:
    """Replays one artifact's events in fold order, opening and closing stays."""

    def __init__(self, position: dict[str, int]) -> None:
        self.position = position  # stage -> its place in the promotion order
        self.stays: dict[tuple[str, str], Stay] = {}
        self.members: dict[str, dict[str, int]] = {}  # stage -> version -> order of its assignment
        self.holder: dict[str, str | None] = {}
        self.waiting: dict[str, int] = {}  # registered, never assigned: version -> registration time
        self.registered_at: dict[str, int] = {}
        self.of_version: dict[str, list[Stay]] = {}

    def stay(self, version: str, stage: str, t: int) -> Stay:
        key = (version, stage)
        if key not in self.stays:
            self.stays[key] = Stay(version, stage, t)
            self.of_version.setdefault(version, []).append(self.stays[key])
        return self.stays[key]

    def apply(self, e: Event, n: int) -> None:
        version = e.version or e.commit
        if e.kind == REGISTER:
            self.registered_at.setdefault(version, e.timestamp)
            self.waiting[version] = e.timestamp
            self.stay(version, REGISTERED, e.timestamp).intervals.append([e.timestamp, None])
        elif e.kind == ASSIGN and e.stage:
            self._advance(version, e.stage, e.timestamp)
            self.members.setdefault(e.stage, {})[version] = n
            self._hand_over(e.stage, version, e.timestamp)
        elif e.kind == UNASSIGN and e.stage:
            self.members.get(e.stage, {}).pop(version, None)
            self._hand_over(e.stage, self._newest(e.stage), e.timestamp)
        elif e.kind == DEREGISTER:
            self._close(version, REGISTERED, e.timestamp)
            self.waiting.pop(version, None)
            for stage, members in self.members.items():
                if members.pop(version, None) is not None:
                    self._hand_over(stage, self._newest(stage), e.timestamp)

    def _newest(self, stage: str) -> str | None:
        members = self.members.get(stage) or {}
        return max(members, key=members.__getitem__) if members else None

    def _hand_over(self, stage: str, version: str | None, t: int) -> None:
        current = self.holder.get(stage)
        if current == version:
            return
        if current is not None:
            self._close(current, stage, t)
        if version is not None:
            stay = self.stay(version, stage, t)
            if not stay.advanced:  # a stage falling back to a version that moved on is no new stay
                stay.intervals.append([t, None])
        self.holder[stage] = version

    def _close(self, version: str, stage: str, t: int, *, advanced: bool = False) -> None:
        stay = self.stays.get((version, stage))
        if stay is not None and stay.open:
            stay.intervals[-1][1] = t
            stay.advanced = stay.advanced or advanced

    def _advance(self, version: str, stage: str, t: int) -> None:
        """Entering STAGE ends the version's open stays in earlier stages (it advanced) and, the first time,
        passes over every version registered before it that is still waiting for a first stage."""
        here = self.position.get(stage, 0)
        for stay in self.of_version.get(version, []):
            if self.position.get(stay.stage, 0) < here:
                self._close(version, stay.stage, t, advanced=True)
        if self.waiting.pop(version, None) is None:
            return
        mine = self.registered_at.get(version, t)
        for other, since in list(self.waiting.items()):
            if since < mine:  # passed over: a later registration went ahead of it
                del self.waiting[other]
                self._close(other, REGISTERED, t)


def artifact_report(
    art: ArtifactState, declared: list[str], metrics: dict[str, dict[str, float]], since: int | None = None
) -> ArtifactReport:
    """The report of one artifact. METRICS: version -> flat numeric metrics (from its registration)."""
    order = stage_order(art, declared)
    position = {s: i for i, s in enumerate(order)}
    replay = _Replay(position)
    for n, e in enumerate(art.events):
        replay.apply(e, n)
    _mark_advanced(list(replay.stays.values()), position)
    stays = _in_window(replay, since)
    by_stage: dict[str, list[Stay]] = {stage: [] for stage in order}
    for s in stays:
        by_stage[s.stage].append(s)
    rows = [_row(stage, by_stage[stage], metrics) for stage in order]
    for before, row in zip(rows, rows[1:], strict=False):
        row.change = {k: v - before.metrics[k] for k, v in row.metrics.items() if k in before.metrics}
    return ArtifactReport(art.name, order, rows, stays)


def _in_window(replay: _Replay, since: int | None) -> list[Stay]:
    """Stays that began at or after SINCE, by version (registration order), then stage order."""
    stays = [s for s in replay.stays.values() if since is None or s.entered >= since]
    registered, position = replay.registered_at, replay.position
    stays.sort(key=lambda s: (registered.get(s.version, s.entered), s.version, position[s.stage]))
    return stays


def _mark_advanced(stays: list[Stay], position: dict[str, int]) -> None:
    """A stay advanced when its version ever entered a later stage (the `registered` wait is decided by the
    replay: entering any stage ends it)."""
    reached: dict[str, int] = {}
    for s in stays:
        reached[s.version] = max(reached.get(s.version, 0), position[s.stage])
    for s in stays:
        if s.stage != REGISTERED:
            s.advanced = reached[s.version] > position[s.stage]


def _row(stage: str, stays: list[Stay], metrics: dict[str, dict[str, float]]) -> StageRow:
    finished = [s for s in stays if not s.open]
    held = [float(s.held()) for s in finished]
    return StageRow(
        stage=stage,
        entered=len(stays),
        finished=len(finished),
        now=len(stays) - len(finished),
        never_advanced=sum(1 for s in finished if not s.advanced),
        median_seconds=percentile(held, 0.5),
        p90_seconds=percentile(held, 0.9),
        metrics=_medians([metrics.get(s.version, {}) for s in stays]),
    )


def _medians(values: list[dict[str, float]]) -> dict[str, float]:
    """Per metric name, the median over the versions that have it."""
    columns: dict[str, list[float]] = {}
    for one in values:
        for name, value in one.items():
            columns.setdefault(name, []).append(value)
    return {name: float(percentile(column, 0.5) or 0.0) for name, column in sorted(columns.items())}


def flat_metrics(data: Any, prefix: str = "", *, limit: int = 200) -> dict[str, float]:
    """Numeric leaves of a metrics block as dotted names (`auc`, `slices.region=eu.auc`); booleans skipped."""
    found: dict[str, float] = {}
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack and len(found) < limit:
        name, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{name}.{k}" if name else str(k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            found[name] = float(value)
    return found
