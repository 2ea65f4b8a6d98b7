"""A per-version timeline (one row per version, one coloured bar per stage held) for the stage report.

Built on the frame, legend and palette of mlops.render.svg, so it looks like every other chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from mlops.render.svg import PALETTE, Frame, _close, empty, legend

ROW = 18


@dataclass(frozen=True)
class Bar:
    row: str  # the version
    stage: str
    start: int  # epoch seconds
    end: int | None  # None: still held (drawn to `now`)


def timeline(title: str, stages: Sequence[str], bars: Sequence[Bar], now: int, width: int = 1080) -> str:
    """Rows in first-seen order; colours follow STAGES' order; an open bar runs to the right edge (a
    margin after the last event, at most NOW)."""
    if not bars:
        return empty(title, "no versions in this window")
    rows = list(dict.fromkeys(b.row for b in bars))
    lo = min(b.start for b in bars)
    hi = _right_edge(bars, lo, now)
    frame = Frame(width, 44 + ROW * len(rows) + 28, lo, hi, [0.0, 1.0], left=110, top=44)
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(stages)}
    _head(frame, title, [(s, colour[s], "box") for s in stages], rows)
    index = {r: i for i, r in enumerate(rows)}
    frame.parts.extend(_bar(frame, b, index[b.row], colour.get(b.stage, "#999999"), now) for b in bars)
    _axis(frame, len(rows))
    return _close(frame)


def _right_edge(bars: Sequence[Bar], lo: int, now: int) -> int:
    """A margin after the last event (at most NOW): drawing open bars up to NOW would squash months of
    history into a sliver when the current holder has been there a long time."""
    last = max(max(b.start, b.end or b.start) for b in bars)
    if now <= last:
        return max(last, lo + 1)
    return min(now, last + max((last - lo) // 10, 3600))


def _head(frame: Frame, title: str, entries: list[tuple[str, str, str]], rows: list[str]) -> None:
    """The title, the legend of stage colours, and a label per row."""
    frame.parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-label="{escape(title)}">'
        f'<text class="title" x="{frame.left}" y="16">{escape(title)}</text>'
    )
    legend(frame, entries, y=frame.top - 12)
    for i, r in enumerate(rows):
        y = frame.top + ROW * i
        frame.parts.append(
            f'<text class="tick" x="{frame.left - 6}" y="{y + 12}" text-anchor="end">{escape(r)}</text>'
        )


def _bar(frame: Frame, bar: Bar, row: int, colour: str, now: int) -> str:
    x0, x1 = frame.x(bar.start), frame.x(min(now, frame.x_hi) if bar.end is None else bar.end)
    y = frame.top + ROW * row + 2
    still = " (now)" if bar.end is None else ""
    return (
        f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1.5):.1f}" height="{ROW - 4}" fill="{colour}">'
        f"<title>{escape(bar.row)} in {escape(bar.stage)}{still}</title></rect>"
    )


def _axis(frame: Frame, n_rows: int) -> None:
    """The time axis: five dates under the rows."""
    y = frame.top + ROW * n_rows + 4
    frame.parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" y1="{y}" y2="{y}"/>'
    )
    for k in range(5):
        t = frame.x_lo + (frame.x_hi - frame.x_lo) * k / 4
        day = dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d")
        anchor = "start" if k == 0 else ("end" if k == 4 else "middle")
        frame.parts.append(
            f'<text class="tick" x="{frame.x(t):.1f}" y="{y + 14}" text-anchor="{anchor}">{day}</text>'
        )
