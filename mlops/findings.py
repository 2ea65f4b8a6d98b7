"""A located problem in a file, as lint, the loader and the compiler report it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int = 0  # 1-based; 0 when the problem is about the whole file
    col: int = 0  # 1-based
    message: str = field(default="", compare=False)
    severity: str = field(default="error", compare=False)  # error | warning
    rule: str = field(default="", compare=False)  # short id such as "schema", "cycle"

    def render(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.col, f.message))


def unique(findings: list[Finding]) -> list[Finding]:
    """Drop repeats (same place, same message), keeping order: several checks may meet one problem."""
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for f in findings:
        key = (f.path, f.line, f.col, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
