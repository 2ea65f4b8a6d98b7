"""The validation report as a self-contained HTML page: a verdict banner, the failing rules, drift, and a chart
of every failing or drifting column with the rules' bounds and the rows beyond them (mlops.render)."""

from __future__ import annotations

import json
from typing import Any

from mlops.data.engine import ValidationReport
from mlops.render import html
from mlops.render.distribution import Bounds, column_chart


def to_html(report: ValidationReport) -> str:
    s = report.summary()
    failed = [r for r in report.results if r.status == "failed"]
    state = "ok" if report.passed and not failed else ("warn" if report.passed else "bad")
    verdict = "PASSED" if report.passed else "FAILED"
    detail = (
        f"{report.data} against {report.rules}: {report.rows:,} rows, {s['rules']} rules; {s['passed']} "
        f"passed, {s['errors']} errors, {s['warnings']} warnings, {s['infos']} info, {s['skipped']} skipped"
    )
    body = [
        f"<h1>Data validation: <code>{html.esc(report.data)}</code></h1>",
        html.banner(state, verdict, detail),
    ]
    if failed:
        body += _failing_rules(failed)
    if report.drift:
        body += _drift(report.drift)
    figures = _figures(report, failed)
    if figures:
        body += [
            "<h2>Columns that failed or drifted</h2>",
            "<p>Rows per bin; red bars and the dashed lines mark values outside the rules' bounds (every "
            "non-empty bin is drawn, however few its rows). Drifted columns show both distributions as a "
            "share of rows.</p>",
            html.charts(figures),
        ]
    return html.page(f"Validation: {report.data}", body)


def _failing_rules(failed: list[Any]) -> list[str]:
    """The failing rules, errors first, each with its count and first examples."""
    ordered = sorted(failed, key=lambda r: ("error", "warn", "info").index(r.severity))
    rows = []
    for r in ordered:
        examples = "<br>".join(
            f"row {e['row']}: <code>{html.esc(json.dumps(e['value'], default=str))}</code>"
            for e in r.examples[:5]
        )
        count = f"{r.failing:,} ({r.failing_fraction:.2%})" if r.checked and r.failing else ""
        rows.append(
            [
                f"<span class='{r.severity}'>{r.severity}</span>",
                f"<code>{html.esc(r.rule)}</code>",
                count,
                html.esc(r.message),
                examples,
            ]
        )
    marks = ["bad" if r.severity == "error" else "warn" for r in ordered]  # in the rows' order
    return [
        "<h2>Failing rules</h2>",
        html.table(["severity", "rule", "failing rows", "details", "examples"], rows, marks, raw=True),
    ]


def _drift(drift: dict[str, Any]) -> list[str]:
    rows, marks = [], []
    for name, d in drift["columns"].items():
        p = "" if d["p_value"] is None else f"{d['p_value']:.3g}"
        rows.append(
            [
                name,
                d["method"],
                f"{d['statistic']:.4g}",
                p,
                f"{d['threshold']:g}",
                "DRIFT" if d["drifted"] else "no",
            ]
        )
        marks.append("bad" if d["drifted"] else "")
    return [
        f"<h2>Drift against <code>{html.esc(drift['reference'])}</code></h2>",
        html.table(["column", "method", "statistic", "p-value", "threshold", "drifted"], rows, marks),
    ]


def _figures(report: ValidationReport, failed: list[Any]) -> list[tuple[str, str]]:
    profile = report.profile.columns if report.profile else {}
    reference = report.reference.columns if report.reference else {}
    drifted = _drifted(report)
    names = list(dict.fromkeys([r.column for r in failed if r.column] + drifted))
    figures = []
    for name in names:
        rules = [r.rule for r in failed if r.column == name]
        svg = column_chart(
            name, profile.get(name), reference.get(name) if name in drifted else None, _bounds(report, name)
        )
        if svg:
            figures.append((svg, _caption(rules, name in drifted)))
    return figures


def _caption(rules: list[str], drifted: bool) -> str:
    parts = (["failed: " + ", ".join(rules)] if rules else []) + (
        ["drifted against the reference"] if drifted else []
    )
    return "; ".join(parts)


def _bounds(report: ValidationReport, column: str) -> Bounds:
    """The rules' min, max and allowed values for COLUMN, with the rows that broke each."""
    bounds = Bounds()
    for r in report.results:
        if r.column == column and r.status != "skipped":
            _add_bound(bounds, r)
    return bounds


def _add_bound(bounds: Bounds, r: Any) -> None:
    if r.check == "min" and _is_number(r.expected):
        bounds.min, bounds.below = float(r.expected), r.failing
    elif r.check == "max" and _is_number(r.expected):
        bounds.max, bounds.above = float(r.expected), r.failing
    elif r.check == "allowed" and isinstance(r.expected, list):
        bounds.allowed, bounds.disallowed = [str(v) for v in r.expected], r.failing


def _drifted(report: ValidationReport) -> list[str]:
    return [n for n, d in (report.drift or {}).get("columns", {}).items() if d["drifted"]]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
