"""Data-quality rules of the rules file on a live batch, through the validation engine (mlops.data).

Only the column, table and expression rules run here: drift is computed by monitoring itself, against the
version's reference, so the rules file's `drift:` section only supplies its settings (method, threshold,
columns) and its reference is used only when --against is not given.
"""

from __future__ import annotations

from typing import Any


def run_quality(
    rules_path: str, source: Any, engine: str | None = None, root: Any = None
) -> dict[str, Any] | None:
    """{"passed", "summary", "failures": [{"rule", "severity", "message"}]}, or None when the file has no
    data-quality rules (only an alert policy, say)."""
    from mlops.data.engines import get_engine
    from mlops.data.rules import load_rules

    spec = load_rules(rules_path)
    if not spec.rules and spec.extra_columns == "allow":
        return None
    report = get_engine(engine, root).validate(source, spec)
    failures = [
        {"rule": r.rule, "severity": r.severity, "message": f"{r.rule}: {r.message}".strip()}
        for r in report.results
        if r.status == "failed"
    ]
    return {"passed": report.passed, "summary": report.summary(), "failures": failures}
