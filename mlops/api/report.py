"""Reports over the repository: the stage report (`mlops report stages`)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["report_stages"]


def _root(root: str | os.PathLike[str] | None) -> Path:
    from mlops.git import find_root

    return Path(root) if root is not None else find_root()


def since_time(text: str, now: datetime) -> datetime:
    """`--since`: an ISO date or time (2026-01-31, 2026-01-31T12:00Z) or a duration back from now (90d)."""
    from mlops.timeutil import DURATION, parse_duration, require_time

    if DURATION.match(text):
        return now - parse_duration(text)
    return require_time(text)


def declared_stages(root: Path) -> list[str]:
    """The stage order of promotion.yaml's `stages:`; [] when there is no readable policy (tags alone decide).

    Only the keys are read (the bounded loader, no schema): a report must not cost a full policy check."""
    rel = "promotion.yaml"
    if (root / "mlops.yaml").is_file():
        from mlops.config import load_project
        from mlops.errors import MlopsError

        try:
            rel = load_project(root).promotion
        except MlopsError:
            return []
    if not (root / rel).is_file():
        return []
    from mlops.config.yamlload import YamlProblem, load_data

    try:
        data = load_data((root / rel).read_bytes(), rel)
    except (YamlProblem, OSError):
        return []
    stages = data.get("stages") if isinstance(data, dict) else None
    return [str(name) for name in stages] if isinstance(stages, dict) else []


def report_stages(
    artifact: str | None = None,
    *,
    since: str | None = None,
    now: datetime | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Per artifact and stage: versions that entered, how long they held it (median, p90, seconds), the
    share that never advanced, median metrics and their change over the previous stage; and every stay
    (the timeline). From the registry tags; promotion.yaml, when readable, only orders the stages."""
    from mlops.api.registry import _require
    from mlops.registry import read_state
    from mlops.report.stages import artifact_report, flat_metrics
    from mlops.timeutil import iso, utcnow

    base = _root(root)
    moment = now or utcnow()
    start = since_time(since, moment) if since else None
    state = read_state(base)
    arts = [_require(state, artifact)] if artifact else list(state.artifacts.values())
    declared = declared_stages(base)
    cutoff = int(start.timestamp()) if start else None
    reports = []
    for art in arts:
        metrics = {v.version: flat_metrics(v.message_data.get("metrics")) for v in art.versions}
        reports.append(artifact_report(art, declared, metrics, cutoff).to_dict())
    return {
        "now": iso(moment),
        "since": iso(start) if start else None,
        "artifacts": reports,
        "warnings": _relevant(state.warnings, artifact),
    }


def _relevant(warnings: list[str], artifact: str | None) -> list[str]:
    return [w for w in warnings if artifact is None or w.startswith(f"{artifact}:")]
