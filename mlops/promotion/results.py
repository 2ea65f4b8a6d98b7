"""What an evaluation produces: one row per checked condition, and the verdict for one promotion."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class GateResult:
    """One checked condition. A failure's `message` names the metric, the slice, both values and the threshold."""

    kind: str  # state | after | soak | metric | validation | monitor
    gate: str  # short label: "auc >= 0.75", "soak 48h in canary"
    passed: bool
    message: str = ""
    skipped: bool = False  # not applicable here (a rollback, no incumbent); counts as passed
    metric: str | None = None
    slice: str | None = None
    value: Any = None
    threshold: Any = None
    incumbent: str | None = None  # the incumbent version a comparison used
    incumbent_value: Any = None
    evaluated_on: dict[str, str] | None = None  # evaluation set -> version the numbers come from

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != ""}

    @property
    def status(self) -> str:
        return "skip" if self.skipped else ("pass" if self.passed else "FAIL")


@dataclass
class Delta:
    metric: str
    value: float | None
    incumbent_value: float | None
    slice: str | None = None

    @property
    def change(self) -> float | None:
        if self.value is None or self.incumbent_value is None:
            return None
        return self.value - self.incumbent_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "slice": self.slice,
            "value": self.value,
            "incumbent_value": self.incumbent_value,
            "change": self.change,
        }


@dataclass
class Evaluation:
    """The verdict on putting VERSION of ARTIFACT into STAGE (or emptying it, action "unassign")."""

    artifact: str
    stage: str
    version: str | None
    action: str = "assign"  # assign | unassign
    commit: str | None = None
    incumbent: str | None = None
    previous: str | None = None  # the desired value before (gate diff), when known
    rollback: bool = False
    review_required: bool = False
    results: list[GateResult] = field(default_factory=list)
    deltas: list[Delta] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]

    @property
    def title(self) -> str:
        if self.action == "unassign":
            return f"{self.artifact}: empty {self.stage} (now {self.incumbent or 'empty'})"
        was = f" (replacing {self.incumbent})" if self.incumbent and self.incumbent != self.version else ""
        back = " [rollback]" if self.rollback else ""
        return f"{self.artifact} {self.version} -> {self.stage}{was}{back}"

    def summary(self) -> str:
        """Gate results as recorded in an assignment tag's message."""
        return "; ".join(f"{r.gate}: {r.status}" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "stage": self.stage,
            "version": self.version,
            "action": self.action,
            "commit": self.commit,
            "incumbent": self.incumbent,
            "previous": self.previous,
            "rollback": self.rollback,
            "review_required": self.review_required,
            "passed": self.passed,
            "gates": [r.to_dict() for r in self.results],
            "deltas": [d.to_dict() for d in self.deltas],
        }

    def record(self) -> list[dict[str, Any]]:
        """Compact gate results for a tag message."""
        out = []
        for r in self.results:
            row: dict[str, Any] = {"gate": r.gate, "passed": r.passed, "result": r.status.lower()}
            for key in (
                "metric",
                "slice",
                "value",
                "threshold",
                "incumbent",
                "incumbent_value",
                "evaluated_on",
            ):
                value = getattr(r, key)
                if value is not None:
                    row[key] = value
            if not r.passed or r.skipped:
                row["message"] = r.message
            out.append(row)
        return out
