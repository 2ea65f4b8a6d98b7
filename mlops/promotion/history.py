"""The monitoring history (JSON lines) as the `monitor:` gate reads it.

Each line is one JSON object. `{"type": "run", ...}` records one monitoring run of a version (its fired
alerts in `alerts`); `{"type": "ack", ...}` acknowledges an alert. Lines that are not JSON objects, or of
another type, are skipped and counted, so one torn line never hides the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mlops.config.yamlload import YamlProblem, load_json
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


@dataclass
class History:
    runs: list[Run] = field(default_factory=list)
    acks: dict[str, str] = field(default_factory=dict)  # alert id -> resolution
    skipped: int = 0


def parse_history(raw: bytes) -> History:
    history = History()
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:  # the bounded reader: a history file arrives through pull requests too
            record = load_json(line, "history")
        except YamlProblem:
            history.skipped += 1
            continue
        if not isinstance(record, dict):
            history.skipped += 1
            continue
        if record.get("type") == "ack" and isinstance(record.get("alert"), str):
            history.acks[record["alert"]] = str(record.get("resolution") or "")
            continue
        moment = parse_time(record.get("time", ""))
        if record.get("type") != "run" or moment is None:
            history.skipped += 1
            continue
        alerts = tuple(Alert(str(a.get("id", "")), str(a.get("rule", "")), str(a.get("severity", "error")),
                             str(a.get("message", "")))
                       for a in record.get("alerts") or [] if isinstance(a, dict))
        history.runs.append(Run(str(record.get("id", "")), moment, str(record.get("artifact", "")),
                                str(record.get("version", "")), alerts))
    history.runs.sort(key=lambda r: r.time)
    return history


@dataclass(frozen=True)
class QuietCheck:
    passed: bool
    message: str
    runs: int
    first: datetime | None
    error_alerts: tuple[tuple[Run, Alert], ...] = ()


def check_quiet(history: History, artifact: str, version: str, window: timedelta, now: datetime) -> QuietCheck:
    """Runs of VERSION span at least WINDOW, and none within the last WINDOW fired an error alert.

    An acknowledged alert still counts: an acknowledgement says someone saw it, not that the version is fine.
    """
    runs = [r for r in history.runs if r.artifact == artifact and r.version == version and r.time <= now]
    if not runs:
        return QuietCheck(False, f"no monitoring runs of {artifact} {version}", 0, None)
    first = runs[0].time
    since = now - window
    recent = [r for r in runs if r.time >= since]
    errors = tuple((r, a) for r in recent for a in r.alerts if a.severity == "error")
    if errors:
        run, alert = errors[-1]
        return QuietCheck(False, f"{len(errors)} error alert(s) in the last {format_duration(window)}; latest "
                                 f"{alert.rule} at {iso(run.time)}: {alert.message}", len(runs), first, errors)
    if first > since:
        return QuietCheck(False, f"monitored for {format_duration(now - first)} only (first run {iso(first)}); "
                                 f"needs {format_duration(window)}", len(runs), first)
    return QuietCheck(True, f"{len(recent)} run(s) in the last {format_duration(window)}, no error alerts; "
                            f"monitored since {iso(first)}", len(runs), first)
