"""Rendering a validation report: JSON (stable keys), terminal text, Markdown (PR comments); HTML in html.py."""

from __future__ import annotations

import json
from typing import Any

from mlops.data.engine import ValidationReport

FORMATS = ("text", "json", "markdown", "html")
_MARK = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}


def render(report: ValidationReport, fmt: str, verbose: bool = False) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "html":
        from mlops.data.html import to_html

        return to_html(report)
    return to_text(report, verbose=verbose)


def to_json(report: ValidationReport) -> str:
    return json.dumps(clean(report.to_dict()), indent=2, default=str, allow_nan=False) + "\n"


def clean(value: Any) -> Any:
    """JSON has no NaN or infinity: NaN becomes null, infinities the strings "inf" and "-inf"."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _label(result: Any) -> str:
    if result.status != "failed":
        return _MARK[result.status]
    return {"error": "FAIL", "warn": "WARN", "info": "INFO"}[result.severity]


def _examples(result: Any, limit: int = 3) -> str:
    if not result.examples:
        return ""
    shown = ", ".join(
        f"row {e['row']}: {json.dumps(e['value'], default=str)}" for e in result.examples[:limit]
    )
    return f" e.g. {shown}"


def headline(report: ValidationReport) -> str:
    s = report.summary()
    verdict = "passed" if report.passed else "FAILED"
    parts = [f"{s['passed']} passed"]
    if s["errors"]:
        parts.append(f"{s['errors']} failed")
    if s["warnings"]:
        parts.append(f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''}")
    if s["infos"]:
        parts.append(f"{s['infos']} info")
    if s["skipped"]:
        parts.append(f"{s['skipped']} skipped")
    return (
        f"{report.data}: {verdict} against {report.rules} ({report.rows} rows, {s['rules']} rules: "
        f"{', '.join(parts)})"
    )


def to_text(report: ValidationReport, verbose: bool = False) -> str:
    lines = []
    for r in report.results:
        if r.status == "passed" and not verbose:
            continue
        if r.status == "skipped" and not verbose:
            continue
        lines.append(f"  {_label(r):4} {r.rule}: {r.message}{_examples(r) if r.status == 'failed' else ''}")
    lines.append(headline(report))
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: ValidationReport) -> str:
    s = report.summary()
    icon = ":white_check_mark:" if report.passed else ":x:"
    out = [
        f"### {icon} Data validation: `{report.data}` against `{report.rules}`",
        "",
        f"**{'Passed' if report.passed else 'Failed'}**: {report.rows} rows, {s['rules']} rules; "
        f"{s['passed']} passed, {s['errors']} errors, {s['warnings']} warnings, {s['infos']} info, "
        f"{s['skipped']} skipped.",
        "",
    ]
    failed = [r for r in report.results if r.status == "failed"]
    if failed:
        out += _markdown_failed(failed)
    if report.drift:
        out += _markdown_drift(report.drift)
    return "\n".join(out)


def _markdown_failed(failed: list[Any]) -> list[str]:
    """The failing rules, errors first, with their counts and first examples."""
    out = ["| severity | rule | failing | details | examples |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(failed, key=lambda r: ("error", "warn", "info").index(r.severity)):
        count = f"{r.failing} ({r.failing_fraction:.2%})" if r.checked and r.failing else ""
        examples = ", ".join(f"row {e['row']}: `{e['value']}`" for e in r.examples[:3])
        out.append(
            f"| {r.severity} | `{r.rule}` | {count} | {_md_escape(r.message)} | {_md_escape(examples)} |"
        )
    out.append("")
    return out


def _markdown_drift(drift: dict[str, Any]) -> list[str]:
    out = [
        f"**Drift** against `{drift['reference']}`: {len(drift['drifted'])} of "
        f"{len(drift['columns'])} columns drifted.",
        "",
        "| column | method | statistic | p-value | threshold | drifted |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, d in drift["columns"].items():
        p = "" if d["p_value"] is None else f"{d['p_value']:.3g}"
        out.append(
            f"| `{name}` | {d['method']} | {d['statistic']:.4g} | {p} | {d['threshold']:g} | "
            f"{'yes' if d['drifted'] else 'no'} |"
        )
    out.append("")
    return out
