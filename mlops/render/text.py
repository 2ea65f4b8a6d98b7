"""Aligned text tables for a terminal or a CI log: the one place commands lay out columns.

Not rich's Table: rich wraps and truncates cells to the terminal's width, while these tables are piped to
grep and diffed in CI logs, where a row must stay one line whatever the width; and `mlops versions` prints
10,000 rows, where importing rich alone would cost more than the listing.
"""

from __future__ import annotations

from collections.abc import Sequence


def aligned(rows: Sequence[Sequence[str]], *, indent: str = "", rule: bool = False) -> list[str]:
    """Each row as one line, columns left-aligned two spaces apart, trailing spaces dropped. Short rows are
    padded with empty cells. `rule` draws dashes under the first row (the header)."""
    cols = max((len(row) for row in rows), default=0)
    cells = [list(row) + [""] * (cols - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(cols)]
    lines = [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    if rule and lines:
        lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return lines
