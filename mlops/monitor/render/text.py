"""Plain text: aligned columns, for a terminal or a CI log."""

from __future__ import annotations

from mlops.monitor.render.sections import Section, Table


def render(sections: list[Section], title: str) -> str:
    out = [title, "=" * len(title)]
    for section in sections:
        out += ["", section.title, "-" * len(section.title), *section.lines]
        if section.table is not None:
            out += table(section.table)
    return "\n".join(out) + "\n"


def table(t: Table, max_width: int = 100) -> list[str]:
    cells = [[_clip(c, max_width) for c in row] for row in [t.headers, *t.rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(t.headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines


def _clip(text: str, width: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."
