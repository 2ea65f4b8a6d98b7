"""The monitoring history (JSON lines) as the `monitor:` gate reads it: typed runs over the one History that
mlops.monitor.history parses.

Each line is one JSON object. `{"type": "run", ...}` records one monitoring run of a version (its fired
alerts in `alerts`); `{"type": "ack", ...}` acknowledges an alert. Lines that are not JSON objects, or of
another type, are skipped and counted, so one torn line never hides the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mlops.monitor.history import History, parse_history
from mlops.timeutil import format_duration, iso, parse_time


@dataclass(frozen=True)
class Alert:
    id: str
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class Run:
    id: str
    time: datetime
    artifact: str
    version: str
    alerts: tuple[Alert, ...] = ()


def typed_runs(history: History) -> list[Run]:
    """The history's runs as the gate reads them, oldest first."""
    runs = []
    for record in history.runs:
        moment = parse_time(str(record.get("time", "")))
        if moment is None:
            continue  # the parser already skips these; a hand-built History may not
        alerts = tuple(
            Alert(
                str(a.get("id", "")),
                str(a.get("rule", "")),
                str(a.get("severity", "error")),
                str(a.get("message", "")),
            )
            for a in record.get("alerts") or []
            if isinstance(a, dict)
        )
        runs.append(
            Run(
                str(record.get("id", "")),
                moment,
                str(record.get("artifact", "")),
                str(record.get("version", "")),
                alerts,
            )
        )
    runs.sort(key=lambda r: r.time)
    return runs


@dataclass(frozen=True)
class QuietCheck:
    passed: bool
    message: str
    runs: int
    first: datetime | None
    error_alerts: tuple[tuple[Run, Alert], ...] = ()


def _runs_of(history: History, artifact: str, version: str, now: datetime) -> list[Run]:
    return [
        r for r in typed_runs(history) if r.artifact == artifact and r.version == version and r.time <= now
    ]


def _error_alerts(runs: list[Run]) -> tuple[tuple[Run, Alert], ...]:
    return tuple((r, a) for r in runs for a in r.alerts if a.severity == "error")


def check_quiet(
    history: History, artifact: str, version: str, window: timedelta, now: datetime
) -> QuietCheck:
    """Runs of VERSION span at least WINDOW, and none within the last WINDOW fired an error alert.

    An acknowledged alert still counts: an acknowledgement says someone saw it, not that the version is fine.
    """
    runs = _runs_of(history, artifact, version, now)
    if not runs:
        return QuietCheck(False, f"no monitoring runs of {artifact} {version}", 0, None)
    first = runs[0].time
    since = now - window
    recent = [r for r in runs if r.time >= since]
    errors = _error_alerts(recent)
    if errors:
        run, alert = errors[-1]
        return QuietCheck(
            False,
            f"{len(errors)} error alert(s) in the last {format_duration(window)}; latest "
            f"{alert.rule} at {iso(run.time)}: {alert.message}",
            len(runs),
            first,
            errors,
        )
    if first > since:
        return QuietCheck(
            False,
            f"monitored for {format_duration(now - first)} only (first run {iso(first)}); "
            f"needs {format_duration(window)}",
            len(runs),
            first,
        )
    return QuietCheck(
        True,
        f"{len(recent)} run(s) in the last {format_duration(window)}, no error alerts; "
        f"monitored since {iso(first)}",
        len(runs),
        first,
    )


__all__ = ["Alert", "History", "QuietCheck", "Run", "check_quiet", "parse_history", "typed_runs"]
