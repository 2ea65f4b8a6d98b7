"""Inline SVG charts for the HTML reports (no script, nothing fetched): histograms with rule bounds, bar charts
of categories, line charts over monitoring windows. Every chart has a y-axis with round ticks and a legend.

Colours, fonts and strokes come from classes of the one stylesheet in mlops.render.html, so every report
looks the same; values are data until here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from html import escape

# Series colours, chosen to stay apart for colour-blind readers (Okabe-Ito), then a few more.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
    "#999999",
    "#882255",
)
DASHES = ("", "6,3", "2,3", "8,3,2,3", "1,2")  # lines that overlap stay distinguishable
REFERENCE = "#9aa5b1"
CURRENT = "#0072b2"
BAD = "#c62828"


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (1.0 if lo == 0 else abs(lo) * 0.1)
    step = _tick_step((hi - lo) / max(1, count), integer)
    start = math.floor(lo / step) * step
    ticks: list[float] = []
    value = start
    while value < hi + step * 0.5 and len(ticks) < 50:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _tick_step(raw: float, integer: bool) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten) at least RAW; a whole number for counts."""
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return max(1.0, round(step)) if integer else step


def tick_label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.2g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.4g}"


@dataclass
class Frame:
    """The plot area of one chart and its scales."""

    width: int
    height: int
    x_lo: float
    x_hi: float
    y_ticks: list[float]
    left: int = 64
    right: int = 16
    top: int = 34
    bottom: int = 46
    parts: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def x(self, value: float) -> float:
        span = (self.x_hi - self.x_lo) or 1.0
        return self.left + self.plot_w * (value - self.x_lo) / span

    def y(self, value: float) -> float:
        lo, hi = self.y_ticks[0], self.y_ticks[-1]
        return self.top + self.plot_h * (1 - (value - lo) / ((hi - lo) or 1.0))


def _open(frame: Frame, title: str, y_label: str) -> None:
    frame.parts += [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-label="{escape(title)}">',
        f'<text class="title" x="{frame.left}" y="16">{escape(title)}</text>',
        f'<rect class="plot" x="{frame.left}" y="{frame.top}" width="{frame.plot_w:.1f}" height="{frame.plot_h:.1f}"/>',
    ]
    for tick in frame.y_ticks:
        y = frame.y(tick)
        frame.parts.append(
            f'<line class="grid" x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{tick_label(tick)}</text>"
        )
    frame.parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" '
        f'y2="{frame.top + frame.plot_h:.1f}"/>'
        f'<line class="axis" x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" '
        f'y1="{frame.top + frame.plot_h:.1f}" y2="{frame.top + frame.plot_h:.1f}"/>'
    )
    if y_label:
        mid = frame.top + frame.plot_h / 2
        frame.parts.append(
            f'<text class="axis-label" x="14" y="{mid:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {mid:.1f})">{escape(y_label)}</text>'
        )


def legend(frame: Frame, entries: Sequence[tuple[str, str, str]], *, y: float | None = None) -> None:
    """(name, colour, kind) entries in a row under the title: kind is "box", "line[:dash]" or "bound"."""
    x, row = float(frame.left), (frame.top - 10 if y is None else y)
    for name, colour, kind in entries:
        if kind.startswith("line"):
            dash = kind.partition(":")[2]
            frame.parts.append(
                f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{row - 4}" y2="{row - 4}" stroke="{colour}" '
                f'stroke-width="2.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            )
            x += 22
        elif kind == "bound":
            frame.parts.append(
                f'<line class="bound" x1="{x + 5:.1f}" x2="{x + 5:.1f}" y1="{row - 10}" y2="{row + 1}"/>'
            )
            x += 12
        else:
            frame.parts.append(f'<rect x="{x:.1f}" y="{row - 9}" width="10" height="10" fill="{colour}"/>')
            x += 14
        frame.parts.append(f'<text class="legend" x="{x:.1f}" y="{row}">{escape(name)}</text>')
        x += 7 * len(name) + 16


def _close(frame: Frame) -> str:
    frame.parts.append("</svg>")
    return "".join(frame.parts)


def empty(title: str, why: str, width: int = 460) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="40" role="img">'
        f'<text class="title" x="4" y="24">{escape(title)}: {escape(why)}</text></svg>'
    )


@dataclass
class Series:
    name: str
    colour: str
    values: list[float]  # one per bin or category


def count_label(value: float) -> str:
    return f"{round(value):,}"


def histogram(
    title: str,
    edges: Sequence[float],
    series: Sequence[Series],
    *,
    y_label: str = "rows",
    bounds: Sequence[tuple[float, str]] = (),
    bad_bins: Sequence[bool] = (),
    notes: Sequence[str] = (),
    value_format: Callable[[float], str] = count_label,
    width: int = 520,
    height: int = 260,
) -> str:
    """Bars over numeric bins `edges[i]..edges[i+1]`, series side by side. Bins outside the rule bounds
    (`bad_bins`) are drawn in red in the last series, and any non-empty bin is at least 2 px tall, so 25 rows
    of 10,000 beyond a bound stay visible; `bounds` are dashed vertical lines; `notes` are printed in red
    above the plot (the exact counts beyond the bounds)."""
    frame = _bar_frame(title, y_label, series, notes, (edges[0], edges[-1]), width, height)
    for i in range(len(edges) - 1):
        _bin_bars(frame, edges, i, series, bool(i < len(bad_bins) and bad_bins[i]), value_format)
    _value_axis(frame, edges, bounds)
    extra = [("outside the rules", BAD, "box")] if any(bad_bins) else []
    if bounds:
        extra.append(("rule bound", BAD, "bound"))
    return _close_bars(frame, series, notes, extra, height)


def _bar_frame(
    title: str,
    y_label: str,
    series: Sequence[Series],
    notes: Sequence[str],
    x_range: tuple[float, float],
    width: int,
    height: int,
    bottom: int = 46,
) -> Frame:
    """The opened frame of a bar chart: y from 0 to the highest bar, room above the plot for the notes."""
    peak = max([v for s in series for v in s.values] + [0.0])
    frame = Frame(
        width,
        height + 16 * len(notes),
        x_range[0],
        x_range[1],
        nice_ticks(0.0, peak or 1.0, 4),
        top=34 + 16 * len(notes),
        bottom=bottom,
    )
    _open(frame, title, y_label)
    return frame


def _close_bars(
    frame: Frame,
    series: Sequence[Series],
    notes: Sequence[str],
    extra: list[tuple[str, str, str]],
    height: int,
) -> str:
    """The notes, a legend of the series (and the EXTRA entries) under the plot, and the closing tag."""
    _notes(frame, notes)
    legend(frame, [(s.name, s.colour, "box") for s in series] + extra, y=height + 16 * len(notes) - 8)
    return _close(frame)


def _bin_bars(
    frame: Frame,
    edges: Sequence[float],
    i: int,
    series: Sequence[Series],
    bad: bool,
    value_format: Callable[[float], str],
) -> None:
    """The bars of bin I, series side by side; a bad bin's last series in red, with its count in words."""
    base = frame.y(frame.y_ticks[0])
    x0, x1 = frame.x(edges[i]), frame.x(edges[i + 1])
    slot = max(1.0, (x1 - x0 - 2) / len(series))
    for k, s, value in _nonempty(series, i):
        outside = bad and k == len(series) - 1
        h = max(4.0 if outside else 2.0, base - frame.y(value))
        colour = BAD if outside else s.colour
        frame.parts.append(
            f'<rect x="{x0 + 1 + k * slot:.1f}" y="{base - h:.1f}" width="{max(1.0, slot - 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(s.name)}: '
            f"{value_format(value)} in {tick_label(edges[i])} .. {tick_label(edges[i + 1])}"
            f"</title></rect>"
        )
        if outside:  # how many, in words: a short red bar alone is easy to miss
            frame.parts.append(
                f'<text class="bound-label" x="{x0 + 1 + (k + 0.5) * slot:.1f}" '
                f'y="{base - h - 3:.1f}" text-anchor="middle">{value_format(value)}</text>'
            )


def _nonempty(series: Sequence[Series], i: int) -> Iterator[tuple[int, Series, float]]:
    """(k, series, value) of each series with a bar at bin or category I (drawn side by side)."""
    for k, s in enumerate(series):
        value = s.values[i] if i < len(s.values) else 0.0
        if value > 0:
            yield k, s, value


def _value_axis(frame: Frame, edges: Sequence[float], bounds: Sequence[tuple[float, str]]) -> None:
    """Round ticks along the bins, and each rule bound as a dashed vertical line with its label."""
    base = frame.y(frame.y_ticks[0])
    for tick in nice_ticks(edges[0], edges[-1], 6):
        if edges[0] <= tick <= edges[-1]:
            frame.parts.append(
                f'<text class="tick" x="{frame.x(tick):.1f}" y="{base + 16:.1f}" '
                f'text-anchor="middle">{tick_label(tick)}</text>'
            )
    for value, label in bounds:
        x = frame.x(value)
        frame.parts.append(
            f'<line class="bound" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top - 4}" y2="{base:.1f}"/>'
            f'<text class="bound-label" x="{x + 3:.1f}" y="{frame.top + 10}">{escape(label)}</text>'
        )


def _category_bars(
    frame: Frame,
    i: int,
    label: str,
    series: Sequence[Series],
    bad: bool,
    value_format: Callable[[float], str],
) -> None:
    """The bars of category I, series side by side; a category the rules forbid in red in the last series."""
    base = frame.y(frame.y_ticks[0])
    x0, x1 = frame.x(i), frame.x(i + 1)
    slot = max(1.0, (x1 - x0 - 6) / len(series))
    for k, s, value in _nonempty(series, i):
        h = max(2.0, base - frame.y(value))
        colour = BAD if k == len(series) - 1 and bad else s.colour
        frame.parts.append(
            f'<rect x="{x0 + 3 + k * slot:.1f}" y="{base - h:.1f}" width="{max(1.0, slot - 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {escape(s.name)} '
            f"{value_format(value)}</title></rect>"
        )


def _notes(frame: Frame, notes: Sequence[str]) -> None:
    for k, note in enumerate(notes):
        frame.parts.append(f'<text class="note" x="{frame.left}" y="{32 + 16 * k}">{escape(note)}</text>')


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str = "rows",
    bad: Sequence[str] = (),
    notes: Sequence[str] = (),
    value_format: Callable[[float], str] = count_label,
    width: int = 520,
    height: int = 260,
) -> str:
    """Bars per category, series side by side; categories in `bad` (not allowed by the rules) in red."""
    frame = _bar_frame(title, y_label, series, notes, (0.0, float(max(1, len(labels)))), width, height, 58)
    base = frame.y(frame.y_ticks[0])
    flagged = set(bad)
    for i, label in enumerate(labels):
        x0, x1 = frame.x(i), frame.x(i + 1)
        _category_bars(frame, i, label, series, label in flagged, value_format)
        cls = "tick bad" if label in flagged else "tick"
        frame.parts.append(
            f'<text class="{cls}" x="{(x0 + x1) / 2:.1f}" y="{base + 14:.1f}" '
            f'text-anchor="middle">{escape(_clip(label, max(3, int((x1 - x0) / 6))))}</text>'
        )
    extra = [("not allowed by the rules", BAD, "box")] if flagged & set(labels) else []
    return _close_bars(frame, series, notes, extra, height)


def line_chart(
    title: str,
    x_labels: list[str],
    series: dict[str, list[float | None]],
    *,
    threshold: float | None = None,
    width: int = 760,
    height: int = 280,
    marks: list[bool] | None = None,
    y_range: tuple[float, float] | None = None,
    integer: bool = False,
    y_label: str = "",
) -> str:
    """`series[name][i]` is the value at window i (None: no value). Each line has its own colour, dash and
    marker, and is drawn thinner as more lines share the chart, so lines that coincide do not hide each
    other; the legend sits on the right. `marks[i]` flags windows where an alert fired (a red square under
    the axis). `integer` keeps ticks on whole numbers (counts)."""
    values = [v for vs in series.values() for v in _finite(vs)]
    if threshold is not None:
        values.append(threshold)
    if not values or not x_labels:
        return empty(title, "no data yet", width)
    ticks = _line_ticks(values, y_range, integer)
    n = len(x_labels)
    frame = Frame(width, height, 0.0, float(max(1, n - 1)), ticks, right=190)
    _open(frame, title, y_label)
    _x_axis(frame, x_labels, marks or [])
    if threshold is not None:
        y = frame.y(threshold)
        frame.parts.append(
            f'<line class="bound" x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" '
            f'y1="{y:.1f}" y2="{y:.1f}"><title>threshold {threshold:g}</title></line>'
        )
    width_px = 2.5 if len(series) <= 3 else 1.8
    for k, (name, vs) in enumerate(series.items()):
        _line(frame, k, name, vs, x_labels, width_px)
        _line_legend(frame, k, name, height)
    return _close(frame)


def _finite(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _line_ticks(values: list[float], y_range: tuple[float, float] | None, integer: bool) -> list[float]:
    if y_range is not None:
        return nice_ticks(y_range[0], y_range[1], 5, integer=integer)
    lo, hi = min(values), max(values)
    if lo >= 0 and lo <= (hi - lo):
        lo = 0.0  # counts and shares start at 0
    return nice_ticks(lo, hi, 5, integer=integer)


def _x_axis(frame: Frame, x_labels: list[str], marks: list[bool]) -> None:
    """Window labels under the axis, and a red square under each window where an alert fired."""
    n, base = len(x_labels), frame.top + frame.plot_h
    for i in _label_indexes(n):
        frame.parts.append(
            f'<text class="tick" x="{_xi(frame, i, n):.1f}" y="{base + 16:.1f}" '
            f'text-anchor="middle">{escape(_short(x_labels[i]))}</text>'
        )
    for i, flag in enumerate(marks):
        if flag:
            frame.parts.append(
                f'<rect x="{_xi(frame, i, n) - 3:.1f}" y="{base + 24:.1f}" width="6" height="6" '
                f'fill="{BAD}"><title>alert fired at {escape(x_labels[i])}</title></rect>'
            )


def _dashed(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _line(
    frame: Frame, k: int, name: str, vs: list[float | None], x_labels: list[str], width_px: float
) -> None:
    """Series K: a polyline in its colour and dash, and a marker with a tooltip at each value."""
    n = len(x_labels)
    colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
    points = [
        (_xi(frame, i, n), frame.y(v), v, i) for i, v in enumerate(vs) if v is not None and math.isfinite(v)
    ]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        frame.parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{width_px}" '
            f'stroke-opacity="0.85" points="{path}"' + _dashed(dash) + "/>"
        )
    for px, py, v, i in points:
        frame.parts.append(
            _marker(k, px, py, colour)
            + f"<title>{escape(name)} at {escape(x_labels[i])}: {v:.4g}</title></g>"
        )


def _line_legend(frame: Frame, k: int, name: str, height: int) -> None:
    """Series K's legend entry on the right, while there is room for it."""
    ly = frame.top + 8 + 18 * k
    if ly >= height - 8:
        return
    colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
    lx = frame.left + frame.plot_w + 14
    frame.parts.append(
        f'<line x1="{lx}" x2="{lx + 22}" y1="{ly}" y2="{ly}" stroke="{colour}" '
        f'stroke-width="2.5"' + _dashed(dash) + "/>" + _marker(k, lx + 11, ly, colour) + "</g>"
        f'<text class="legend" x="{lx + 28}" y="{ly + 4}">{escape(_clip(name, 22))}</text>'
    )


def _marker(k: int, x: float, y: float, colour: str) -> str:
    """Circle, square, triangle, diamond: a different shape per series, outlined in white."""
    shape = k % 4
    if shape == 0:
        body = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2"/>'
    elif shape == 1:
        body = f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6"/>'
    elif shape == 2:
        body = f'<path d="M{x:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 3:.1f} L{x - 4:.1f},{y + 3:.1f} Z"/>'
    else:
        body = f'<path d="M{x:.1f},{y - 4:.1f} L{x + 4:.1f},{y:.1f} L{x:.1f},{y + 4:.1f} L{x - 4:.1f},{y:.1f} Z"/>'
    return f'<g fill="{colour}" stroke="#fff" stroke-width="0.8">{body}'


def _xi(frame: Frame, i: int, n: int) -> float:
    return frame.left + (frame.plot_w * i / (n - 1) if n > 1 else frame.plot_w / 2)


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


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
