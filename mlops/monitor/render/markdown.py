"""Markdown: for a pull-request comment or a CI job summary."""

from __future__ import annotations

from mlops.monitor.render.sections import Section, Table


def render(sections: list[Section], title: str) -> str:
    out = [f"## {title}"]
    for section in sections:
        out += ["", f"### {section.title}"]
        if section.lines:
            out += ["", *(line + "  " for line in section.lines)]
        if section.table is not None:
            out += ["", *table(section.table)]
    return "\n".join(out) + "\n"


def table(t: Table) -> list[str]:
    def row(cells: list[str], mark: str = "") -> str:
        text = [_escape(c) for c in cells]
        if mark == "bad" and text:
            text[0] = f"**{text[0]}**"
        return "| " + " | ".join(text) + " |"

    lines = [row(t.headers), "| " + " | ".join("---" for _ in t.headers) + " |"]
    for n, cells in enumerate(t.rows):
        lines.append(row(cells, t.marks[n] if n < len(t.marks) else ""))
    return lines


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
