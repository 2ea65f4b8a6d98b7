"""A monitoring run's settings: the rules file (`drift:`, `alert:`, `labels:`) under the command-line options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlops.errors import UsageError
from mlops.monitor.policy import AlertPolicy

if TYPE_CHECKING:
    from mlops.monitor.run import MonitorOptions


POLICY_OVERRIDES = (
    "consecutive",
    "min_drifted_columns",
    "correction",
    "alpha",
    "severity",
    "max_metric_drop",
    "min_rows",
)


@dataclass(frozen=True)
class DriftSettings:
    """How drift is judged: the rules' `drift:` and `alert:` sections under the command-line overrides."""

    cfg: dict[str, Any]  # the rules' drift: section
    alert: dict[str, Any]  # the rules' alert: section
    method: str | None
    threshold: float | None
    p_value: bool
    fixed: bool  # a method or threshold for every column (or p-values): fixed thresholds, not calibrated

    @classmethod
    def of(cls, options: MonitorOptions, rules: dict[str, Any]) -> DriftSettings:
        cfg = dict(rules.get("drift") or {})
        p_value = bool(options.p_value if options.p_value is not None else cfg.get("p_value", False))
        return cls(
            cfg,
            dict(rules.get("alert") or {}),
            options.method or cfg.get("method"),
            options.threshold if options.threshold is not None else cfg.get("threshold"),
            p_value,
            fixed_mode(options, cfg, p_value),
        )


@dataclass(frozen=True)
class Settings:
    """A run's settings: the rules file under the command-line options."""

    rules: dict[str, Any]
    policy: AlertPolicy
    drift: DriftSettings
    against: str
    delay: str | None  # label lag
    timestamp: str | None  # event-time column of the label lag
    window: datetime

    @classmethod
    def of(cls, options: MonitorOptions) -> Settings:
        rules = load_rules(options.rules)
        label_cfg = dict(rules.get("labels") or {})
        overrides = {name: getattr(options, name) for name in POLICY_OVERRIDES}
        policy = AlertPolicy.from_rules(rules.get("alert"), **overrides)
        against = _against(options, rules)
        return cls(
            rules,
            policy,
            DriftSettings.of(options, rules),
            against,
            options.label_delay or label_cfg.get("delay"),
            options.timestamp or label_cfg.get("timestamp"),
            options.window_time or datetime.now(timezone.utc),
        )


def _against(options: MonitorOptions, rules: dict[str, Any]) -> str:
    """What to compare with (the option, else the rules' drift.reference); metrics need both columns."""
    against = options.against or dict(rules.get("drift") or {}).get("reference")
    if not against:
        raise UsageError("nothing to compare with: pass --against REF (e.g. churn-model#production)")
    if bool(options.labels) != bool(options.predictions):
        raise UsageError("--labels and --predictions go together: metrics need both columns")
    return str(against)


def load_rules(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    from mlops.config import load_document

    return dict(load_document(path, expected_kind="Rules").data or {})


def fixed_mode(options: MonitorOptions, cfg: dict[str, Any], p_value: bool) -> bool:
    """A method or threshold set for every column (or p-values) judges drift the old way: fixed thresholds."""
    return bool(
        p_value
        or options.method
        or options.threshold is not None
        or cfg.get("method")
        or cfg.get("threshold") is not None
    )
