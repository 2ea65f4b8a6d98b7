"""Threshold suggestions from people's acknowledgements: alert criteria that tune themselves.

For a drift rule judged by an effect size, each acknowledged alert pairs the statistic that fired with what
people did. A threshold between the highest ignored statistic and the lowest acted-on one would have kept
every alert people acted on and silenced the ignored ones; when no such threshold exists, raising it would
lose real alerts, and `consecutive` or `min_drifted_columns` is the better fix.
"""

from __future__ import annotations

import math
from typing import Any


def drift_statistic(run: dict[str, Any], rule: str) -> tuple[float, float | None] | None:
    """(statistic, threshold) of the column a `drift:COL` alert fired on, when judged by an effect size."""
    if not rule.startswith("drift:"):
        return None
    feature = (run.get("features") or {}).get(rule[len("drift:"):])
    if not isinstance(feature, dict) or feature.get("judged_by") == "p_value":
        return None
    statistic, threshold = feature.get("statistic"), feature.get("threshold")
    if not isinstance(statistic, (int, float)) or not math.isfinite(statistic):
        return None
    return float(statistic), float(threshold) if isinstance(threshold, (int, float)) else None


def suggest(rule: str, ignored: list[float], acted: list[float], threshold: float | None) -> str | None:
    if not ignored:
        return None
    column = rule[len("drift:"):]
    now = f" (now {_num(threshold)})" if threshold is not None else ""
    top = max(ignored)
    if acted and min(acted) <= top:
        return (f"no threshold for {column} separates the alerts people acted on (statistic as low as "
                f"{_num(min(acted))}) from the ignored ones (up to {_num(top)}): prefer consecutive or "
                "min_drifted_columns")
    middle = (top + min(acted)) / 2 if acted else top * 1.1
    proposed = _round_up(middle)
    if acted and proposed >= min(acted):  # rounding must not silence an alert people acted on
        proposed = middle
    kept = f", keeping all {len(acted)} acted on" if acted else " (none was acted on)"
    return (f"threshold {_num(proposed)} for {column}{now} would have silenced {len(ignored)} ignored "
            f"alert{'s' if len(ignored) != 1 else ''}{kept}")


def _round_up(value: float) -> float:
    """Two significant digits, rounded up, so the suggestion sits above the highest ignored statistic."""
    if value <= 0:
        return value
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return math.ceil(value / scale) * scale


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
