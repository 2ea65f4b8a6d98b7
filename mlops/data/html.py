"""A self-contained HTML report: summary, failing rules, and an inline SVG chart per failing or drifting column."""

from __future__ import annotations

import html
import json
from typing import Any

from mlops.data.engine import ValidationReport
from mlops.data.profile import ColumnProfile

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0;width:100%}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top;font-size:14px}th{background:#f4f4f4}.error{color:#b00020;font-weight:bold}
.warn{color:#a86400;font-weight:bold}.info{color:#555}.pass{color:#1b7f3b;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #eee;padding:8px}
code{background:#f6f6f6;padding:0 3px}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _bars(title: str, labels: list[str], series: list[tuple[str, str, list[float]]]) -> str:
    """A grouped bar chart as inline SVG: series are (name, colour, values in 0..1)."""
    width, height, pad = 420, 200, 30
    n = max(1, len(labels))
    group = (width - pad) / n
    bar = max(1.0, group / (len(series) + 1))
    top = max([max(v) for _, _, v in series if v] + [1e-9])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" role="img">',
             f'<text x="4" y="14" font-size="13">{_esc(title)}</text>']
    for s, (name, colour, values) in enumerate(series):
        for i, v in enumerate(values):
            h = (height - pad) * (v / top)
            x = pad + i * group + s * bar
            parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{_esc(labels[i])}: {name} {v:.2%}</title></rect>')
        parts.append(f'<rect x="{pad + s * 90}" y="{height + 22}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{pad + s * 90 + 14}" y="{height + 31}" font-size="11">{_esc(name)}</text>')
    step = max(1, -(-n // 5))  # at most 5 labels, so they never overlap
    for i in range(0, n, step):
        parts.append(f'<text x="{pad + i * group:.1f}" y="{height + 14}" font-size="9">{_esc(labels[i][:12])}</text>')
    parts.append(f'<line x1="{pad}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/></svg>')
    return "".join(parts)


def _numeric_bins(col: ColumnProfile, edges: Any) -> list[float]:
    from mlops.data.drift import bin_probs

    return [float(v) for v in bin_probs(col, edges)]


def column_chart(name: str, current: ColumnProfile | None, reference: ColumnProfile | None) -> str:
    import numpy as np

    from mlops.data.drift import bin_edges

    if current is None:
        return ""
    if current.kind == "numeric" and (reference is None or reference.kind == "numeric"):
        if reference is not None:
            edges = bin_edges(reference)
        elif current.min is not None and current.max is not None and current.max > current.min:
            edges = np.linspace(current.min, current.max, 21)[1:-1]
        else:
            return ""
        labels = [f"<={e:.3g}" for e in edges] + [f">{edges[-1]:.3g}" if len(edges) else "all"]
        series = [("current", "#3366cc", _numeric_bins(current, edges))]
        if reference is not None:
            series.insert(0, ("reference", "#bbbbbb", _numeric_bins(reference, edges)))
        return _bars(name, labels, series)
    cur = dict(zip(map(str, current.values or []), current.counts or []))
    ref = dict(zip(map(str, (reference.values or []) if reference else []), reference.counts or [] if reference else []))
    keys = sorted(set(cur) | set(ref), key=lambda k: -(cur.get(k, 0) + ref.get(k, 0)))[:15]
    if not keys:
        return ""
    cur_total = max(1, current.non_null)
    series = [("current", "#3366cc", [cur.get(k, 0) / cur_total for k in keys])]
    if reference is not None:
        series.insert(0, ("reference", "#bbbbbb", [ref.get(k, 0) / max(1, reference.non_null) for k in keys]))
    return _bars(name, keys, series)


def to_html(report: ValidationReport) -> str:
    s = report.summary()
    verdict = '<span class="pass">PASSED</span>' if report.passed else '<span class="error">FAILED</span>'
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>Validation: {_esc(report.data)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Data validation {verdict}</h1>",
           f"<p><code>{_esc(report.data)}</code> against <code>{_esc(report.rules)}</code>: {report.rows} rows, "
           f"{s['rules']} rules; {s['passed']} passed, {s['errors']} errors, {s['warnings']} warnings, "
           f"{s['infos']} info, {s['skipped']} skipped.</p>"]
    failed = [r for r in report.results if r.status == "failed"]
    if failed:
        out.append("<h2>Failing rules</h2><table><tr><th>severity</th><th>rule</th><th>failing</th>"
                   "<th>details</th><th>examples</th></tr>")
        for r in failed:
            examples = "<br>".join(f"row {e['row']}: <code>{_esc(json.dumps(e['value'], default=str))}</code>"
                                   for e in r.examples[:5])
            count = f"{r.failing} ({r.failing_fraction:.2%})" if r.checked and r.failing else ""
            out.append(f"<tr><td class='{r.severity}'>{r.severity}</td><td><code>{_esc(r.rule)}</code></td>"
                       f"<td>{count}</td><td>{_esc(r.message)}</td><td>{examples}</td></tr>")
        out.append("</table>")
    if report.drift:
        out.append(f"<h2>Drift against <code>{_esc(report.drift['reference'])}</code></h2><table><tr>"
                   "<th>column</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th>"
                   "<th>drifted</th></tr>")
        for name, d in report.drift["columns"].items():
            p = "" if d["p_value"] is None else f"{d['p_value']:.3g}"
            mark = "<span class='warn'>yes</span>" if d["drifted"] else "no"
            out.append(f"<tr><td><code>{_esc(name)}</code></td><td>{d['method']}</td><td>{d['statistic']:.4g}</td>"
                       f"<td>{p}</td><td>{d['threshold']:g}</td><td>{mark}</td></tr>")
        out.append("</table>")
    charted = [r.column for r in failed if r.column]
    charted += [n for n, d in (report.drift or {}).get("columns", {}).items() if d["drifted"]]
    charts = []
    profile = report.profile.columns if report.profile else {}
    reference = report.reference.columns if report.reference else {}
    for name in dict.fromkeys(charted):
        svg = column_chart(name, profile.get(name), reference.get(name))
        if svg:
            charts.append(f"<div class='chart'>{svg}</div>")
    if charts:
        out.append("<h2>Columns</h2><div class='charts'>" + "".join(charts) + "</div>")
    out.append("</body></html>\n")
    return "\n".join(out)
