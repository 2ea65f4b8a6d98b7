"""A self-contained HTML report: inline CSS and SVG, no script, nothing fetched from the network."""

from __future__ import annotations

from html import escape
from typing import Any

from mlops.monitor.checks import WATCHED
from mlops.monitor.render.sections import Section, Table
from mlops.monitor.render.svg import line_chart

MAX_WINDOWS = 200
MAX_LINES = 10

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr.bad td{background:#fde8e8}tr.warn td{background:#fff6df}
p{margin:4px 0;font-size:14px}.charts svg{display:block;margin:10px 0}
"""


def render(sections: list[Section], title: str, charts: list[str] | None = None) -> str:
    body = [f"<h1>{escape(title)}</h1>"]
    for section in sections:
        body.append(f"<h2>{escape(section.title)}</h2>")
        body.extend(f"<p>{escape(line)}</p>" for line in section.lines)
        if section.table is not None:
            body.append(table(section.table))
    if charts:
        body.append('<h2>Trends</h2><div class="charts">')
        body.extend(charts)
        body.append("</div>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def table(t: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    rows = []
    for n, cells in enumerate(t.rows):
        mark = t.marks[n] if n < len(t.marks) else ""
        cls = f' class="{mark}"' if mark else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def trend_charts(runs: list[dict[str, Any]]) -> list[str]:
    """Drift statistic per feature, live metrics per slice, and label coverage over the windows."""
    runs = runs[-MAX_WINDOWS:]
    if not runs:
        return []
    times = [str(r.get("time")) for r in runs]
    fired = [bool(r.get("alerts")) for r in runs]
    charts = [_drift_chart(runs, times, fired)]
    charts.extend(_metric_charts(runs, times, fired))
    coverage = [r.get("label_coverage") for r in runs]
    if any(v is not None for v in coverage):
        charts.append(line_chart("Label coverage (share of rows with a mature label)", times,
                                 {"coverage": coverage}, marks=fired, y_range=(0.0, 1.0)))
    return charts


def _drift_chart(runs: list[dict[str, Any]], times: list[str], fired: list[bool]) -> str:
    peak: dict[str, float] = {}
    methods: set[str] = set()
    thresholds: set[float] = set()
    for r in runs:
        for name, f in (r.get("features") or {}).items():
            value = f.get("statistic")
            if isinstance(value, (int, float)):
                peak[name] = max(peak.get(name, float("-inf")), float(value))
            methods.add(str(f.get("method")))
            if isinstance(f.get("threshold"), (int, float)) and f.get("judged_by") != "p_value":
                thresholds.add(float(f["threshold"]))
    names = sorted(peak, key=lambda n: -peak[n])[:MAX_LINES]
    series = {n: [_get(r, "features", n, "statistic") for r in runs] for n in names}
    label = "/".join(sorted(methods)) if methods else "drift"
    more = f", top {MAX_LINES} of {len(peak)}" if len(peak) > MAX_LINES else ""
    return line_chart(f"Drift statistic per feature ({label}{more})", times, series,
                      threshold=next(iter(thresholds)) if len(thresholds) == 1 else None, marks=fired)


def _metric_charts(runs: list[dict[str, Any]], times: list[str], fired: list[bool]) -> list[str]:
    task = next((str((r.get("metrics") or {}).get("task")) for r in reversed(runs) if r.get("metrics")), None)
    if task is None:
        return []
    slices: dict[str, int] = {}
    for r in runs:
        for key, values in ((r.get("metrics") or {}).get("slices") or {}).items():
            slices[key] = max(slices.get(key, 0), int(values.get("rows") or 0))
    keys = sorted(slices, key=lambda k: -slices[k])[: MAX_LINES - 1]
    charts = []
    for metric in WATCHED.get(task, ()):
        series = {"overall": [_get(r, "metrics", "overall", metric) for r in runs]}
        for key in keys:
            series[key] = [_get(r, "metrics", "slices", key, metric) for r in runs]
        if any(v is not None for vs in series.values() for v in vs):
            charts.append(line_chart(f"Live {metric}, overall and per slice", times, series, marks=fired))
    return charts


def alert_charts(report: dict[str, Any]) -> list[str]:
    """Cumulative alerts per rule over the windows (the 10 that fired most): a steep line is a noisy rule."""
    times = list(report.get("run_times") or [])[-MAX_WINDOWS:]
    rules = sorted(report.get("rules") or [], key=lambda r: -int(r.get("fired") or 0))[:MAX_LINES]
    if not times or not rules:
        return []
    series: dict[str, list[float | None]] = {}
    for rule in rules:
        fired = set(rule.get("windows") or [])
        counts: dict[str, int] = {}
        for t in rule.get("windows") or []:
            counts[t] = counts.get(t, 0) + 1
        total, line = 0, []  # type: tuple[int, list[float | None]]
        for t in times:
            total += counts.pop(t, 0) if t in fired else 0
            line.append(float(total))
        series[str(rule["rule"])] = line
    return [line_chart("Alerts fired per rule, cumulative", times, series)]


def _get(record: dict[str, Any], *keys: str) -> float | None:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
