"""Alert precision: how often each rule fired, in which windows, and how often people ignored it.

Precision is acted / (acted + ignored): of the alerts people judged, the share that needed doing.
A rule is flagged noisy when a large share of its acknowledged alerts were ignored (the alert that fired 1,000
times and was ignored 45% of the time), or when it fires in nearly every window (an alert that is always on
carries no information). Both suggest a higher threshold, `consecutive: N`, or a p-value correction.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlops.errors import UnknownReference, UsageError
from mlops.monitor.history import SCHEMA, History
from mlops.monitor.labels import format_time
from mlops.monitor.tuning import drift_statistic, suggest

RESOLUTIONS = ("ignored", "acted")


@dataclass
class RuleStats:
    rule: str
    severity: str
    fired: int = 0
    windows: list[str] = field(default_factory=list)  # run times in which it fired
    acted: int = 0
    ignored: int = 0
    unacknowledged: int = 0
    fire_rate: float = 0.0  # share of the windows of its artifacts in which it fired
    ignored_share: float = 0.0  # ignored / fired
    precision: float | None = None  # acted / (acted + ignored): the share of judged alerts that were real
    noisy: bool = False
    reasons: list[str] = field(default_factory=list)
    last_fired: str | None = None
    open_alerts: list[str] = field(default_factory=list)  # ids not yet acknowledged
    suggestion: str | None = None  # a threshold that would have silenced the ignored alerts (drift rules)


@dataclass
class AlertReport:
    history: str
    runs: int
    alerts: int
    acknowledged: int
    rules: list[RuleStats]
    problems: list[str]
    noisy_share: float
    always_on_rate: float
    run_times: list[str] = field(default_factory=list)  # every run's window time, in file order

    @property
    def noisy(self) -> list[RuleStats]:
        return [r for r in self.rules if r.noisy]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["noisy"] = [r.rule for r in self.noisy]
        return out


@dataclass
class _Samples:
    """A drift rule's measured statistics when people acted on or ignored it, and its thresholds then."""

    ignored: list[float] = field(default_factory=list)
    acted: list[float] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)

    def add(self, resolution: str, measured: tuple[float, float | None]) -> None:
        (self.acted if resolution == "acted" else self.ignored).append(measured[0])
        if measured[1] is not None:
            self.thresholds.append(measured[1])

    def suggestion(self, rule: str) -> str | None:
        """A threshold that would have silenced the ignored alerts (None when nothing was ignored)."""
        return suggest(rule, self.ignored, self.acted, self.thresholds[-1] if self.thresholds else None)


@dataclass
class _Tally:
    """Per rule, what the history's alerts add up to (alert_report then judges each rule)."""

    stats: dict[str, RuleStats] = field(default_factory=dict)
    artifacts: dict[str, set[str]] = field(default_factory=dict)  # rule -> artifacts it fired for
    samples: dict[str, _Samples] = field(default_factory=dict)
    total: int = 0

    @classmethod
    def of(cls, history: History) -> _Tally:
        resolutions = history.resolutions()
        tally = cls()
        for run in history.runs:
            for alert in run.get("alerts") or ():
                if isinstance(alert, dict):
                    tally.add(run, alert, (resolutions.get(str(alert.get("id"))) or {}).get("resolution"))
        return tally

    def add(self, run: dict[str, Any], alert: dict[str, Any], resolution: str | None) -> None:
        self.total += 1
        rule = str(alert.get("rule"))
        entry = self.stats.setdefault(rule, RuleStats(rule, str(alert.get("severity") or "error")))
        entry.fired += 1
        entry.windows.append(str(run.get("time")))
        entry.last_fired = str(run.get("time"))
        self.artifacts.setdefault(rule, set()).add(_stream(run))
        measured = drift_statistic(run, rule) if resolution in RESOLUTIONS else None
        if resolution is not None and measured is not None:
            self.samples.setdefault(rule, _Samples()).add(resolution, measured)
        if resolution == "acted":
            entry.acted += 1
        elif resolution == "ignored":
            entry.ignored += 1
        else:
            entry.unacknowledged += 1
            entry.open_alerts.append(str(alert.get("id")))


def alert_report(
    history: History, *, noisy_share: float = 0.3, always_on_rate: float = 0.8, min_fired: int = 3
) -> AlertReport:
    """Per rule: fired count, windows, resolutions, and whether it looks noisy."""
    windows_by_artifact: dict[str, int] = {}
    for run in history.runs:
        windows_by_artifact[_stream(run)] = windows_by_artifact.get(_stream(run), 0) + 1
    tally = _Tally.of(history)
    for entry in tally.stats.values():
        windows = sum(windows_by_artifact.get(a, 0) for a in tally.artifacts.get(entry.rule, ()))
        _judge(entry, windows, noisy_share, always_on_rate, min_fired)
        if entry.noisy and entry.rule in tally.samples:
            entry.suggestion = tally.samples[entry.rule].suggestion(entry.rule)
    rules = sorted(tally.stats.values(), key=lambda r: (not r.noisy, -r.fired, r.rule))
    acknowledged = sum(r.acted + r.ignored for r in rules)
    return AlertReport(
        history.path,
        len(history.runs),
        tally.total,
        acknowledged,
        rules,
        list(history.problems),
        noisy_share,
        always_on_rate,
        [str(r.get("time")) for r in history.runs],
    )


def _stream(run: dict[str, Any]) -> str:
    return str(run.get("artifact") or run.get("ref"))


def _judge(entry: RuleStats, windows: int, noisy_share: float, always_on_rate: float, min_fired: int) -> None:
    """Rates, precision, and the reasons a rule is noisy (ignored too often, or always on)."""
    entry.fire_rate = entry.fired / windows if windows else 0.0
    entry.ignored_share = entry.ignored / entry.fired if entry.fired else 0.0
    judged = entry.acted + entry.ignored
    entry.precision = entry.acted / judged if judged else None
    if entry.fired >= min_fired and entry.ignored_share >= noisy_share:
        entry.reasons.append(f"ignored {entry.ignored_share:.0%} of {entry.fired} alerts")
    if entry.fired >= min_fired and windows >= 5 and entry.fire_rate >= always_on_rate:
        entry.reasons.append(f"fired in {entry.fire_rate:.0%} of {windows} windows")
    entry.noisy = bool(entry.reasons)


def make_ack(
    history: History,
    alert_id: str,
    resolution: str,
    *,
    by: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An acknowledgement record for an alert that is in the history (UnknownReference otherwise)."""
    if resolution not in RESOLUTIONS:
        raise UsageError(f"resolution is `ignored` or `acted`, not `{resolution}`")
    known = history.alert_ids()
    if alert_id not in known:
        from mlops.suggest import closest

        match = closest(alert_id, sorted(known))
        hint = f"did you mean `{match}`?" if match else "`mlops alerts report` lists the open alerts"
        raise UnknownReference(f"no alert `{alert_id}` in {history.path}", hint=hint)
    record: dict[str, Any] = {
        "type": "ack",
        "schema": SCHEMA,
        "alert": alert_id,
        "resolution": resolution,
        "time": format_time(now or datetime.now(timezone.utc)),
        "by": by or whoami(),
    }
    if note:
        record["note"] = note
    return record


def whoami() -> str:
    """Who acknowledges: the Git identity, then the login name."""
    from mlops import git
    from mlops.errors import MlopsError

    try:
        ident = git.identity(os.getcwd())
        if ident:
            return ident
    except MlopsError:
        pass
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"
