"""Reports of a monitoring run and of the alert history: text, markdown, JSON and self-contained HTML."""

from __future__ import annotations

import json
from typing import Any

FORMATS = ("text", "markdown", "json", "html")
MAX_FEATURES = 30  # rows of the drift table in text and markdown


def render_run(
    record: dict[str, Any],
    fmt: str,
    *,
    runs: list[dict[str, Any]] | None = None,
    history: str | None = None,
    problems: list[str] | None = None,
    profiles: tuple[Any, Any] | None = None,
) -> str:
    """A run report. `runs` (the stream's records, this one last) feed the HTML trend charts; `profiles`
    (reference, batch) its distributions of drifted and failing features."""
    from mlops.monitor.history import dumps
    from mlops.monitor.render.sections import run_sections

    if fmt == "json":
        return json.dumps(json.loads(dumps(record)), indent=2) + "\n"
    sections = run_sections(
        record, history=history, problems=problems or [], max_features=None if fmt == "html" else MAX_FEATURES
    )
    title = f"mlops monitor: {record.get('data')} against {record.get('ref')}"
    if fmt == "html":
        from mlops.monitor.render import html

        return html.render(
            sections,
            title,
            html.trend_charts(runs or [record]),
            banner=html.run_banner(record),
            figures=html.distribution_figures(record, profiles),
        )
    return _render(sections, title, fmt, runs or [record])


def render_alerts(report: dict[str, Any], fmt: str) -> str:
    from mlops.monitor.render.sections import alerts_sections

    if fmt == "json":
        return json.dumps(report, indent=2, default=str) + "\n"
    if fmt == "html":
        from mlops.monitor.render import html

        return html.render(
            alerts_sections(report),
            "mlops alerts report",
            html.alert_charts(report),
            banner=_alerts_banner(report),
        )
    return _render(alerts_sections(report), "mlops alerts report", fmt, None)


def _render(sections: Any, title: str, fmt: str, runs: list[dict[str, Any]] | None) -> str:
    if fmt == "text":
        from mlops.monitor.render import text

        return text.render(sections, title)
    if fmt == "markdown":
        from mlops.monitor.render import markdown

        return markdown.render(sections, title)
    if fmt == "html":
        from mlops.monitor.render import html

        return html.render(sections, title, html.trend_charts(runs) if runs else None)
    from mlops.errors import UsageError

    raise UsageError(f"unknown report format `{fmt}` (one of {', '.join(FORMATS)})")


def _alerts_banner(report: dict[str, Any]) -> str:
    from mlops.render.html import banner

    noisy = report.get("noisy") or []
    open_alerts = sum(len(r.get("open_alerts") or []) for r in report.get("rules") or [])
    detail = (
        f"{report.get('runs', 0)} runs, {report.get('alerts', 0)} alerts fired, "
        f"{report.get('acknowledged', 0)} acknowledged, {open_alerts} open"
    )
    if noisy:
        return banner("warn", "NOISY", f"{len(noisy)} noisy rule(s): {', '.join(noisy[:4])}. {detail}.")
    return banner("bad" if open_alerts else "ok", "OPEN ALERTS" if open_alerts else "OK", f"{detail}.")
