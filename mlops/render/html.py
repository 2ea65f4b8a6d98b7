"""The one home of HTML reports: a page with the one stylesheet, a verdict banner, tables and chart grids.

Pages are self-contained (inline CSS and SVG, no script, nothing fetched from the network), so a report can be
attached to a CI run, mailed, or opened from disk years later. Charts come from mlops.render.svg.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

CSS = """
:root{--ok:#1b7f3b;--bad:#c62828;--warn:#a86400;--ink:#1f2328;--muted:#57606a;--line:#d0d7de}
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;color:var(--ink);
max-width:1120px;padding:0 16px;line-height:1.4}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid var(--line);
padding-bottom:4px}
p{margin:4px 0;font-size:14px}code{background:#f6f8fa;padding:0 3px;border-radius:3px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr.bad td{background:#fdecea}tr.warn td{background:#fff6df}
td.error,.error{color:var(--bad);font-weight:600}td.warn,.warn{color:var(--warn);font-weight:600}
.info{color:var(--muted)}.pass{color:var(--ok);font-weight:600}
.banner{border-radius:6px;padding:12px 16px;margin:12px 0 16px;font-size:15px;border:1px solid}
.banner strong{font-size:18px;margin-right:10px}
.banner.ok{background:#e9f6ec;border-color:#9fd3ad;color:#14532d}
.banner.bad{background:#fdecea;border-color:#f1a9a0;color:#7f1d1d}
.banner.warn{background:#fff6df;border-color:#f0cf7a;color:#6b4200}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.charts figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px;background:#fff}
.charts figcaption{font-size:12px;color:var(--muted);max-width:520px}
svg.chart{display:block;font-family:inherit}
svg .title{font-size:13px;font-weight:600;fill:var(--ink)}
svg .tick{font-size:10px;fill:var(--muted)}svg .tick.bad{fill:var(--bad);font-weight:600}
svg .legend{font-size:11px;fill:var(--ink)}svg .axis-label{font-size:11px;fill:var(--muted)}
svg .plot{fill:#fbfbfc;stroke:none}svg .grid{stroke:#e6e8eb}svg .axis{stroke:#8c959f}
svg .bound{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:5,3}
svg .bound-label{font-size:10px;fill:var(--bad);font-weight:600}
svg .note{font-size:12px;fill:var(--bad);font-weight:600}
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def page(title: str, body: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def banner(state: str, verdict: str, detail: str) -> str:
    """The verdict first, in colour and in words (state: ok | bad | warn)."""
    return f'<div class="banner {state}" role="status"><strong>{esc(verdict)}</strong>{esc(detail)}</div>'


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], marks: Sequence[str] = (), *, raw: bool = False
) -> str:
    """Cells are escaped unless `raw` (cells already HTML); `marks[i]` is a row class: bad | warn | ""."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for n, cells in enumerate(rows):
        mark = marks[n] if n < len(marks) else ""
        cls = f' class="{mark}"' if mark else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def charts(figures: Sequence[tuple[str, str]]) -> str:
    """A grid of (svg, caption) figures."""
    items = "".join(
        f"<figure>{svg}" + (f"<figcaption>{esc(caption)}</figcaption>" if caption else "") + "</figure>"
        for svg, caption in figures
    )
    return f'<div class="charts">{items}</div>'
