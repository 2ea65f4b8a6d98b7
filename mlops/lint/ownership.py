"""Ownership: a warning for every artifact that can reach production without an `owner:` (issue 20).

Production is the policy's last stage (stages are listed in promotion order). A warning, not an error: a
missing owner blocks nobody, but a pipeline nobody answers for is the one nobody dares touch later.
"""

from __future__ import annotations

from typing import Any

from mlops.config import Document
from mlops.findings import Finding


def owner_findings(doc: Document) -> list[Finding]:
    data: Any = doc.data
    stages = _mapping(data, "stages")
    artifacts = _mapping(data, "artifacts")
    if not stages or not artifacts:
        return []
    last = list(stages)[-1]
    named = stages[last].get("artifacts") if isinstance(stages[last], dict) else None
    reaching: list[Any] = named if isinstance(named, list) else list(artifacts)
    return [
        doc.finding(
            ("artifacts", name),
            f"artifact `{name}` can reach `{last}` but has no `owner:`: name who answers for it when it "
            "breaks (a person or a team)",
            key=True,
            severity="warning",
            rule="owner",
        )
        for name in reaching
        if isinstance(artifacts.get(name), dict) and not _has_text(artifacts[name].get("owner"))
    ]


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
