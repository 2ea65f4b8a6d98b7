"""Inline SVG line charts (no JavaScript, no CDN): one line per series over the monitoring windows."""

from __future__ import annotations

import math
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")


def line_chart(title: str, x_labels: list[str], series: dict[str, list[float | None]], *,
               threshold: float | None = None, width: int = 720, height: int = 260,
               marks: list[bool] | None = None, y_range: tuple[float, float] | None = None) -> str:
    """`series[name][i]` is the value at window i (None: no value). `marks[i]` flags windows where an alert
    fired (a red tick under the axis)."""
    left, right, top, bottom = 56, 170, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    if threshold is not None:
        values.append(threshold)
    if not values or not x_labels:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40" role="img">'
                f'<text x="4" y="24" font-size="13">{escape(title)}: no data yet</text></svg>')
    if y_range is not None:
        lo, hi = y_range
    else:
        lo, hi = min(values), max(values)
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5 if lo else 0.0, hi + 0.5 if hi else 1.0
        pad = (hi - lo) * 0.08
        lo, hi = (0.0 if lo >= 0 and lo - pad < 0 else lo - pad), hi + pad
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" font-family="sans-serif">',
             f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>']
    for k in range(5):  # y grid and labels
        v = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{_tick(v)}</text>')
    for i in _label_indexes(n):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="10" text-anchor="middle">'
                     f'{escape(_short(x_labels[i]))}</text>')
    for i, flag in enumerate(marks or []):
        if flag:
            parts.append(f'<rect x="{x(i) - 3:.1f}" y="{top + plot_h + 22}" width="6" height="6" fill="#d62728">'
                         f'<title>alert fired at {escape(x_labels[i])}</title></rect>')
    if threshold is not None:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                     f'stroke="#d62728" stroke-dasharray="5,4"><title>threshold {threshold:g}</title></line>')
    for k, (name, vs) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = [(x(i), y(v), v) for i, v in enumerate(vs) if v is not None and math.isfinite(v)]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        for (px, py, v), i in zip(points, [i for i, v in enumerate(vs) if v is not None and math.isfinite(v)], strict=True):
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}">'
                         f'<title>{escape(name)} at {escape(x_labels[i])}: {v:.4g}</title></circle>')
        ly = top + 12 + 16 * k
        if ly < height - 8:
            parts.append(f'<rect x="{left + plot_w + 12}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
            parts.append(f'<text x="{left + plot_w + 27}" y="{ly + 1}" font-size="11">{escape(_clip(name, 22))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label_indexes(n: int, most: int = 6) -> list[int]:
    if n <= most:
        return list(range(n))
    step = (n - 1) / (most - 1)
    return sorted({round(k * step) for k in range(most)})


def _short(label: str) -> str:
    """2026-11-24T05:00:00Z -> 11-24 05:00."""
    if len(label) >= 16 and label[4] == "-" and "T" in label:
        return f"{label[5:10]} {label[11:16]}"
    return label


def _tick(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
