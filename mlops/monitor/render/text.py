"""Plain text: aligned columns, for a terminal or a CI log."""

from __future__ import annotations

from mlops.monitor.render.sections import Section, Table
from mlops.render.text import aligned


def render(sections: list[Section], title: str) -> str:
    out = [title, "=" * len(title)]
    for section in sections:
        out += ["", section.title, "-" * len(section.title), *section.lines]
        if section.table is not None:
            out += table(section.table)
    return "\n".join(out) + "\n"


def table(t: Table, max_width: int = 100) -> list[str]:
    return aligned(
        [[_clip(c, max_width) for c in row] for row in [t.headers, *t.rows]], indent="  ", rule=True
    )


def _clip(text: str, width: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."
