"""API: monitor a batch against a version, and the alert history (report, acknowledge).

The run is `monitor_batch` (not `monitor`: `mlops.api.monitor` is this module's own name)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops.monitor.alerts import AlertReport
from mlops.monitor.history import History
from mlops.monitor.run import MonitorOptions, MonitorResult

__all__ = [
    "monitor_batch",
    "alerts_report",
    "ack_alert",
    "monitor_report",
    "alerts_report_text",
    "alerts_tune",
]


def monitor_batch(
    data: str | os.PathLike[str],
    *,
    against: str | None = None,
    rules: str | None = None,
    labels: str | None = None,
    predictions: str | None = None,
    scores: str | None = None,
    slices: Sequence[str] = (),
    history: str | os.PathLike[str] | None = None,
    record: bool = True,
    window_time: str | datetime | None = None,
    root: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> MonitorResult:
    """Drift, data quality and live metrics of a batch against what the version behind `against` was trained
    on; appends one record to the history (unless record=False) and says which alerts fired.

    `overrides` take the MonitorOptions names: consecutive, min_drifted_columns, correction, alpha, severity,
    max_metric_drop, min_rows, method, threshold, p_value, columns, label_delay, timestamp, artifact, task,
    positive, input_format.
    """
    from mlops.config import find_root
    from mlops.errors import UsageError
    from mlops.monitor.labels import parse_time
    from mlops.monitor.run import monitor as run

    known = set(MonitorOptions.__dataclass_fields__)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise UsageError(f"unknown monitor option(s): {', '.join(unknown)}")
    when = parse_time(window_time) if isinstance(window_time, str) else window_time
    options = MonitorOptions(
        data=str(data),
        against=against,
        rules=rules,
        labels=labels,
        predictions=predictions,
        scores=scores,
        slices=list(slices),
        history=str(history) if history else None,
        record=record,
        window_time=when,
        **overrides,
    )
    return run(options, Path(root) if root is not None else find_root())


def alerts_report(
    history: str | os.PathLike[str] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    noisy_share: float = 0.3,
    min_fired: int = 3,
    artifact: str | None = None,
    since: str | None = None,
) -> AlertReport:
    """Per alert rule: how often it fired, in which windows, and the share people ignored. `since` is a
    duration (30d: the last 30 days) or an ISO-8601 time."""
    from mlops.monitor.alerts import alert_report

    _, found = _existing_history(history, root, artifact=artifact, since=since)
    return alert_report(found, noisy_share=noisy_share, min_fired=min_fired)


def alerts_tune(
    rules: str | os.PathLike[str],
    *,
    history: str | os.PathLike[str] | None = None,
    branch: str | None = None,
    root: str | os.PathLike[str] | None = None,
    noisy_share: float = 0.3,
    min_fired: int = 3,
    artifact: str | None = None,
    since: str | None = None,
) -> Any:
    """A proposed change of the rules file's alert policy from the acknowledgement history (a Proposal:
    changes with their expected false-alarm rate and power, and a unified diff). Never edits the file: with
    `branch`, the change is committed on that new branch (from HEAD) instead, ready for a pull request."""
    from mlops.config import find_root
    from mlops.errors import UsageError
    from mlops.monitor.proposal import propose

    base = Path(root) if root is not None else find_root()
    _, found = _existing_history(history, base, artifact=artifact, since=since)
    rules_path = Path(rules)
    if rules_path.is_dir():
        raise UsageError(f"{rules}: is a folder; name the rules file the alert policy is in")
    shown = _rel(rules_path, base)
    proposal = propose(found, rules_path, shown, noisy_share=noisy_share, min_fired=min_fired)
    if branch and proposal.changes:
        _commit_proposal(proposal, base, rules, shown, branch)
    return proposal


def _commit_proposal(
    proposal: Any, base: Path, rules: str | os.PathLike[str], shown: str, branch: str
) -> None:
    """Commit the proposed rules file on a new branch (from HEAD); the work tree stays as it is."""
    from mlops import git
    from mlops.errors import UsageError
    from mlops.monitor.proposal import commit_on_branch

    if shown.startswith("/") or shown.startswith(".."):
        raise UsageError(f"{rules}: is outside the repository; --branch commits inside it")
    git.require_clean(base, "alerts tune --branch")
    message = "alerts: tune the alert policy from acknowledgements\n\n" + "\n".join(
        f"- {c.key}: {c.old} -> {c.new} ({c.why})" for c in proposal.changes
    )
    proposal.commit = commit_on_branch(base, shown, proposal.after, branch, message)
    proposal.branch = branch


def _existing_history(
    history: str | os.PathLike[str] | None,
    root: str | os.PathLike[str] | None,
    *,
    artifact: str | None = None,
    since: str | None = None,
) -> tuple[Path, History]:
    """The history file (InputError when there is none yet), with only the runs of ARTIFACT and SINCE."""
    from mlops.errors import InputError
    from mlops.monitor.history import read_history

    path = _history(history, root)
    found = read_history(path, shown=str(history) if history else _rel(path, root))
    if not found.exists:
        raise InputError(f"{found.path}: no monitoring history yet", hint="`mlops monitor` writes it")
    if artifact or since:
        found = found.filtered(artifact=artifact, since=_since(since) if since else None)
    return path, found


def _since(text: str) -> datetime:
    from datetime import timezone

    from mlops.timeutil import DURATION, parse_duration, require_time

    if DURATION.match(text):
        return datetime.now(timezone.utc) - parse_duration(text)
    return require_time(text)


def ack_alert(
    alert_id: str,
    resolution: str,
    *,
    history: str | os.PathLike[str] | None = None,
    by: str | None = None,
    note: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Record that people acted on an alert or ignored it; returns the acknowledgement record."""
    from mlops.monitor.alerts import make_ack
    from mlops.monitor.history import append_record

    path, found = _existing_history(history, root)
    record = make_ack(found, alert_id, resolution, by=by, note=note)
    append_record(path, record)
    return record


def monitor_report(result: MonitorResult, fmt: str = "text") -> str:
    """The run as text, markdown, JSON or self-contained HTML (with trend charts over the history)."""
    from mlops.monitor.render import render_run

    return render_run(
        result.record,
        fmt,
        runs=result.runs,
        history=result.history_path,
        problems=result.problems,
        profiles=(result.reference.profile, result.profile),
    )


def alerts_report_text(report: AlertReport, fmt: str = "text") -> str:
    from mlops.monitor.render import render_alerts

    return render_alerts(report.to_dict(), fmt)


def _history(history: str | os.PathLike[str] | None, root: str | os.PathLike[str] | None) -> Path:
    from mlops.config import find_root
    from mlops.monitor.history import DEFAULT_PATH

    if history:
        return Path(history)
    return Path(root) / DEFAULT_PATH if root is not None else find_root() / DEFAULT_PATH


def _rel(path: Path, root: str | os.PathLike[str] | None) -> str:
    from mlops.config import find_root

    base = Path(root) if root is not None else find_root()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)
