"""Threshold suggestions from people's acknowledgements: alert criteria that tune themselves.

For a drift rule judged by an effect size, each acknowledged alert pairs the statistic that fired with what
people did. A threshold between the highest ignored statistic and the lowest acted-on one would have kept
every alert people acted on and silenced the ignored ones; when no such threshold exists, raising it would
lose real alerts, and `consecutive` or `min_drifted_columns` is the better fix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


def drift_statistic(run: dict[str, Any], rule: str) -> tuple[float, float | None] | None:
    """(statistic, threshold) of the column a `drift:COL` alert fired on, when judged by an effect size."""
    if not rule.startswith("drift:"):
        return None
    feature = (run.get("features") or {}).get(rule[len("drift:") :])
    if not isinstance(feature, dict) or feature.get("judged_by") == "p_value":
        return None
    statistic, threshold = feature.get("statistic"), feature.get("threshold")
    if not isinstance(statistic, (int, float)) or not math.isfinite(statistic):
        return None
    return float(statistic), float(threshold) if isinstance(threshold, (int, float)) else None


def suggest(rule: str, ignored: list[float], acted: list[float], threshold: float | None) -> str | None:
    if not ignored:
        return None
    column = rule[len("drift:") :]
    now = f" (now {_num(threshold)})" if threshold is not None else ""
    top = max(ignored)
    if acted and min(acted) <= top:
        return (
            f"no threshold for {column} separates the alerts people acted on (statistic as low as "
            f"{_num(min(acted))}) from the ignored ones (up to {_num(top)}): prefer consecutive or "
            "min_drifted_columns"
        )
    middle = (top + min(acted)) / 2 if acted else top * 1.1
    proposed = _round_up(middle)
    if acted and proposed >= min(acted):  # rounding must not silence an alert people acted on
        proposed = middle
    kept = f", keeping all {len(acted)} acted on" if acted else " (none was acted on)"
    return (
        f"threshold {_num(proposed)} for {column}{now} would have silenced {len(ignored)} ignored "
        f"alert{'s' if len(ignored) != 1 else ''}{kept}"
    )


def _round_up(value: float) -> float:
    """Two significant digits, rounded up, so the suggestion sits above the highest ignored statistic."""
    if value <= 0:
        return value
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return math.ceil(value / scale) * scale


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


# -- proposals: `mlops alerts tune` -------------------------------------------------------------------------

KEY_BY_KIND = {"drift": "min_shift", "mix": "min_share_change", "nulls": "min_null_rate_change"}


@dataclass
class Change:
    """One proposed change of the alert policy, with what it would have done and what to expect."""

    rule: str
    key: str  # dotted path in the rules file: alert.columns.amount.min_shift, alert.consecutive
    old: Any
    new: Any
    why: str
    windows: int = 0  # past windows replayed
    fired_before: int = 0
    fired_after: int = 0
    acted: int = 0
    acted_kept: int = 0
    false_alarm_rate: float | None = None  # per window, from noise alone, at the typical batch size
    power: float | None = None  # chance to fire on a change of size `power_for`
    power_for: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def observations(history: Any, rule: str) -> list[tuple[dict[str, Any], dict[str, Any], str | None]]:
    """(run, the rule's check in that run, resolution of its alert) for every run that checked the column."""
    kind, _, column = rule.partition(":")
    resolutions = history.resolutions()
    out = []
    for run in history.runs:
        feature = (run.get("features") or {}).get(column)
        if not isinstance(feature, dict) or feature.get("judged_by") != "calibrated":
            continue
        check = feature.get("nulls") if kind == "nulls" else feature
        if not isinstance(check, dict):
            continue
        alert = _alert(run, rule)
        resolution = (resolutions.get(str(alert.get("id"))) or {}).get("resolution") if alert else None
        out.append((run, {**check, "kind": feature.get("kind"), "fired": alert is not None}, resolution))
    return out


def _alert(run: dict[str, Any], rule: str) -> dict[str, Any] | None:
    """The alert RULE fired in this run, if it did."""
    return next((a for a in run.get("alerts") or () if isinstance(a, dict) and a.get("rule") == rule), None)


def effect(check: dict[str, Any], kind: str) -> float | None:
    value = (
        abs(float(check["change"]))
        if kind == "nulls" and check.get("change") is not None
        else check.get("statistic")
    )
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def threshold_change(
    rule: str, seen: list[tuple[dict[str, Any], dict[str, Any], str | None]], current: float
) -> Change | None:
    """Raise a column's materiality threshold above the ignored alerts when that keeps the acted-on ones."""
    kind, _, column = rule.partition(":")
    ignored, acted = _effects(seen, kind, "ignored"), _effects(seen, kind, "acted")
    if not ignored or (acted and min(acted) <= max(ignored)):
        return None
    top = max(ignored)
    new = max(_between(top, acted), current)
    if new >= 1:
        return None
    key = f"alert.columns.{column}.{KEY_BY_KIND[kind]}"
    why = f"ignored {len(ignored)} alert(s) with {_label(kind)} up to {_num(top)}" + (
        f"; acted on {len(acted)} from {_num(min(acted))}" if acted else "; none was acted on"
    )
    change = Change(rule, key, current, new, why)
    _replay(change, seen, kind)
    return change


def _effects(
    seen: list[tuple[dict[str, Any], dict[str, Any], str | None]], kind: str, resolution: str
) -> list[float]:
    """The effect sizes of the checks whose alerts people resolved so."""
    return [e for _, c, r in seen if r == resolution and (e := effect(c, kind)) is not None]


def _between(top: float, acted: list[float]) -> float:
    """A round threshold above the highest ignored effect and at most the lowest acted-on one."""
    new = _round_up((top + min(acted)) / 2 if acted else top * 1.1)
    if acted and new > min(acted):
        new = (top + min(acted)) / 2
    return new


def _replay(change: Change, seen: list[tuple[dict[str, Any], dict[str, Any], str | None]], kind: str) -> None:
    change.windows = len(seen)
    for _, check, resolution in seen:
        size = effect(check, kind)
        credible = _credible(check)
        now = bool(check.get("fired"))
        after = now and size is not None and size >= float(change.new) - 1e-12 and credible
        change.fired_before += now
        change.fired_after += after
        if resolution == "acted":
            change.acted += 1
            change.acted_kept += after


def _credible(check: dict[str, Any]) -> bool:
    q = check.get("p_adjusted") if check.get("p_adjusted") is not None else check.get("p_value")
    alpha = check.get("alpha")
    return q is not None and alpha is not None and float(q) < float(alpha)


def expected_rates(
    change: Change, seen: list[tuple[dict[str, Any], dict[str, Any], str | None]], alpha: float
) -> None:
    """Expected false-alarm rate per window (noise only) and power, at the median batch size seen."""
    kind = change.rule.partition(":")[0]
    runs = [run for run, _, _ in seen]
    if not runs:
        return
    n, m, checks = _typical_sizes(runs)
    level = alpha / checks  # Bonferroni: the share of alpha each check gets
    t = float(change.new)
    acted = _effects(seen, kind, "acted")
    target = min(acted) if acted else 1.5 * t
    if kind == "drift":
        _ks_rates(change, level, (n, m), (t, target))
    else:
        _share_rates(change, kind, seen[-1][1], level, (n, m), (t, target))


def _typical_sizes(runs: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Median batch rows, reference rows and checks per window (two per feature: distribution and nulls)."""
    import statistics

    rows, reference_rows, checks = zip(*(_sizes(run) for run in runs))
    n = statistics.median(rows) or 1.0
    return n, statistics.median(reference_rows) or n, statistics.median(checks) or 1


def _sizes(run: dict[str, Any]) -> tuple[float, float, int]:
    rows = float(run.get("rows") or 0)
    return rows, float((run.get("reference") or {}).get("rows") or 0), 2 * len(run.get("features") or {})


def _ks_rates(change: Change, level: float, sizes: tuple[float, float], effects: tuple[float, float]) -> None:
    """Drift: the two-sample KS test at batch and reference SIZES, for the threshold and the target EFFECTS."""
    (n, m), (t, target) = sizes, effects
    en = math.sqrt(n * m / (n + m))
    needed = max(t, _ks_critical(level) / en)
    change.false_alarm_rate = min(level, _ks_sf(needed, en))
    change.power = _normal_sf((needed - target) / (0.5 * math.sqrt(1 / n + 1 / m)))
    change.power_for = f"a KS distance of {_num(target)}"


def _share_rates(
    change: Change,
    kind: str,
    last: dict[str, Any],
    level: float,
    sizes: tuple[float, float],
    effects: tuple[float, float],
) -> None:
    """Mix and completeness: a share tested by the conditional binomial test (normal approximation), at
    batch and reference SIZES, for the threshold and the target EFFECTS."""
    (n, m), (t, target) = sizes, effects
    p = (
        float((last.get("category") or {}).get("reference") or 0)
        if kind == "mix"
        else float(last.get("reference") or 0)
    )
    sd0 = math.sqrt(max(p * (1 - p), 1 / n) * (1 / n + 1 / m))
    sides = 1 if kind == "nulls" else 2  # completeness watches rises only
    needed = max(t, _normal_isf(level / sides) * sd0)
    change.false_alarm_rate = min(level, sides * _normal_sf(needed / sd0))
    q = min(max(p + target, 1 / n), 1 - 1 / n)
    sd1 = math.sqrt(q * (1 - q) / n + p * (1 - p) / m)
    change.power = _normal_sf((needed - target) / max(sd1, 1e-12))
    change.power_for = f"a change of {100 * target:.1f} points"


def _ks_sf(d: float, en: float) -> float:
    from mlops.data.pvalues import kolmogorov_sf

    return kolmogorov_sf((en + 0.12 + 0.11 / en) * d)


def _ks_critical(level: float) -> float:
    """lambda with Kolmogorov's P(K > lambda) = level (bisection)."""
    from mlops.data.pvalues import kolmogorov_sf

    lo, hi = 0.2, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if kolmogorov_sf(mid) > level else (lo, mid)
    return hi


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def _normal_isf(p: float) -> float:
    lo, hi = -10.0, 40.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _normal_sf(mid) > p else (lo, mid)
    return hi


def _label(kind: str) -> str:
    return {"drift": "KS distance", "mix": "share change", "nulls": "null-rate change"}[kind]
