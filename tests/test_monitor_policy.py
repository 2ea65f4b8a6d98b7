"""The alert policy: p-value corrections, min drifted columns, consecutive windows, severities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops.errors import UsageError
from mlops.monitor import checks
from mlops.monitor.policy import AlertPolicy, Candidate, adjust_pvalues, decide, judge_drift


def test_bonferroni_and_bh_match_scipy() -> None:
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(0)
    p = rng.random(40) ** 3
    names = [f"c{i}" for i in range(40)]
    bh = adjust_pvalues(dict(zip(names, p, strict=True)), "benjamini-hochberg")
    assert np.allclose([bh[n] for n in names], false_discovery_control(p, method="bh"))
    bonf = adjust_pvalues(dict(zip(names, p, strict=True)), "bonferroni")
    assert np.allclose([bonf[n] for n in names], np.minimum(1, p * 40))
    assert adjust_pvalues({"a": None, "b": 0.01}, "bonferroni") == {"a": None, "b": 0.01}
    assert adjust_pvalues({"a": 0.2}, "none") == {"a": 0.2}


def test_policy_from_rules_and_overrides() -> None:
    policy = AlertPolicy.from_rules(
        {"consecutive": 3, "correction": "bonferroni"}, consecutive=None, severity="warn"
    )
    assert (policy.consecutive, policy.correction, policy.severity) == (3, "bonferroni", "warn")
    assert AlertPolicy.from_rules(None).consecutive == 1
    with pytest.raises(UsageError, match="correction"):
        AlertPolicy(correction="holm")
    with pytest.raises(UsageError):
        AlertPolicy(consecutive=0)


def _features(pvalues: dict[str, float]) -> dict[str, dict]:
    return {
        n: {
            "method": "ks",
            "statistic": 0.1,
            "p_value": p,
            "threshold": 0.05,
            "drifted": p < 0.05,
            "judged_by": "p_value",
        }
        for n, p in pvalues.items()
    }


def test_correction_changes_the_verdict() -> None:
    features = _features({"a": 0.001, "b": 0.02, "c": 0.5, "d": 0.04})
    assert sorted(judge_drift(features, AlertPolicy(correction="none"))) == ["a", "b", "d"]
    features = _features({"a": 0.001, "b": 0.02, "c": 0.5, "d": 0.04})
    assert judge_drift(features, AlertPolicy(correction="bonferroni")) == ["a"]
    assert features["b"]["p_adjusted"] == pytest.approx(0.08)
    effect = {
        "x": {
            "method": "psi",
            "statistic": 0.3,
            "p_value": None,
            "threshold": 0.2,
            "drifted": True,
            "judged_by": "statistic",
        }
    }
    assert judge_drift(effect, AlertPolicy(correction="bonferroni")) == ["x"]  # nothing to correct


def test_min_drifted_columns() -> None:
    features = _features({"a": 0.001, "b": 0.5})
    drifted = judge_drift(features, AlertPolicy(correction="none"))
    assert checks.drift_candidates(features, drifted, AlertPolicy(min_drifted_columns=2)) == []
    found = checks.drift_candidates(features, drifted, AlertPolicy(min_drifted_columns=1))
    assert [c.rule for c in found] == ["drift:a"]
    assert "ks p 0.001 < 0.05" in found[0].message


def _run(*rules: str) -> dict:
    return {"type": "run", "candidates": [{"rule": r} for r in rules], "alerts": []}


def test_consecutive_windows() -> None:
    policy = AlertPolicy(consecutive=3)
    history = [_run("drift:age"), _run("drift:age", "drift:x"), _run("drift:age")]
    fired = decide(
        [Candidate("drift:age", "drift", "error", "m"), Candidate("drift:x", "drift", "error", "m")],
        history,
        policy,
    )
    assert [c.rule for c in fired] == ["drift:age"]
    assert fired[0].streak == 4
    broken = [_run("drift:age"), _run(), _run("drift:age")]
    assert decide([Candidate("drift:age", "drift", "error", "m")], broken, policy) == []
    quality = Candidate("quality:age.max", "quality", "warn", "m", immediate=True)
    assert decide([quality], [], policy) == [quality]  # hard errors do not wait


def test_metric_candidates_name_the_degraded_slice() -> None:
    live = {
        "task": "classification",
        "overall": {"rows": 1000, "accuracy": 0.85, "f1": 0.84, "roc_auc": 0.9},
        "slices": {
            "plan=basic": {"rows": 500, "accuracy": 0.9, "f1": 0.9, "roc_auc": 0.95},
            "plan=pro": {"rows": 500, "accuracy": 0.7, "f1": 0.7, "roc_auc": 0.8},
            "plan=tiny": {"rows": 10, "accuracy": 0.1, "f1": 0.1, "roc_auc": 0.1},
        },
    }
    offline = checks.offline_metrics(
        {
            "metrics": {
                "acc": 0.88,
                "auc": 0.92,
                "slices": {
                    "basic": {"accuracy": 0.9},
                    "plan=pro": {"accuracy": 0.86},
                    "tiny": {"accuracy": 0.9},
                },
            }
        }
    )
    assert offline["overall"] == {"accuracy": 0.88, "roc_auc": 0.92}
    found = checks.metric_candidates(live, offline, AlertPolicy())
    assert [c.rule for c in found] == ["metrics:plan=pro"]  # overall within 0.05; tiny has too few rows
    assert "accuracy 0.700 vs 0.860 offline" in found[0].message
    gap = checks.offline_gap(live, offline)
    assert gap["overall"]["accuracy"]["gap"] == pytest.approx(-0.03)
    assert gap["slices"]["plan=pro"]["accuracy"]["gap"] == pytest.approx(-0.16)


def test_slices_without_offline_values_compare_with_earlier_windows() -> None:
    """Never a slice against the overall metric: a slice with a lower base rate would alert every time."""
    live = {
        "task": "classification",
        "overall": {"rows": 1000, "accuracy": 0.9},
        "slices": {"plan=pro": {"rows": 500, "accuracy": 0.7}},
    }
    offline = checks.offline_metrics({"accuracy": 0.9})
    assert checks.metric_candidates(live, offline, AlertPolicy()) == []  # first window: no baseline
    earlier = [{"metrics": {"slices": {"plan=pro": {"accuracy": a}}}} for a in (0.71, 0.69, 0.72)]
    assert checks.metric_candidates(live, offline, AlertPolicy(), earlier) == []  # pro was always at 0.7
    earlier = [{"metrics": {"slices": {"plan=pro": {"accuracy": a}}}} for a in (0.85, 0.86, 0.84)]
    found = checks.metric_candidates(live, offline, AlertPolicy(), earlier)
    assert "vs 0.850 median of 3 earlier windows" in found[0].message


def test_small_noisy_drop_is_not_a_candidate() -> None:
    live = {"task": "classification", "overall": {"rows": 40, "accuracy": 0.8}, "slices": {}}
    offline = checks.offline_metrics({"accuracy": 0.87})
    # 0.07 below, but two standard errors of 40 rows is about 0.11
    assert checks.metric_candidates(live, offline, AlertPolicy()) == []
    live["overall"]["rows"] = 4000
    assert [c.rule for c in checks.metric_candidates(live, offline, AlertPolicy())] == ["metrics"]


def test_regression_metrics_are_relative() -> None:
    live = {"task": "regression", "overall": {"rows": 100, "mae": 1.2, "rmse": 1.5}, "slices": {}}
    offline = checks.offline_metrics({"mae": 1.0, "rmse": 1.48})
    found = checks.metric_candidates(live, offline, AlertPolicy(max_metric_drop=0.1))
    assert len(found) == 1 and "mae" in found[0].message and "rmse" not in found[0].message


def test_one_hundred_noise_columns() -> None:
    """Seeded: 100 independent same-distribution columns at alpha 0.05 give about 5 drifted columns per
    batch uncorrected, and about 0 with bonferroni or benjamini-hochberg."""
    from mlops.data.drift import drift_scores
    from mlops.data.profile import build_profile

    rng = np.random.default_rng(8)
    reference = build_profile(pd.DataFrame({f"c{i}": rng.normal(size=2000) for i in range(100)}))
    counts = {"none": [], "bonferroni": [], "benjamini-hochberg": []}
    for _ in range(3):
        batch = build_profile(pd.DataFrame({f"c{i}": rng.normal(size=1000) for i in range(100)}))
        results = drift_scores(batch, reference, method="ks", p_value=True)
        for correction, found in counts.items():
            features = {n: {**r.to_dict(), "judged_by": "p_value"} for n, r in results.items()}
            drifted = judge_drift(features, AlertPolicy(correction=correction))
            found.append(len(checks.drift_candidates(features, drifted, AlertPolicy())))
    assert 2 <= np.mean(counts["none"]) <= 9
    assert sum(counts["bonferroni"]) <= 1
    assert sum(counts["benjamini-hochberg"]) <= 1


@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=60))
def test_corrections_are_conservative_and_ordered(pvalues: list[float]) -> None:
    names = {f"c{i}": p for i, p in enumerate(pvalues)}
    bonf = adjust_pvalues(names, "bonferroni")
    bh = adjust_pvalues(names, "benjamini-hochberg")
    for name, p in names.items():
        assert p <= bh[name] <= bonf[name] <= 1.0  # BH never stricter than Bonferroni, never below raw
    ranked = sorted(names, key=names.__getitem__)
    assert all(bh[a] <= bh[b] for a, b in zip(ranked, ranked[1:], strict=False))  # order kept


def test_metric_alerts_are_rare_without_change_and_reliable_with_one() -> None:
    """Seeded simulation: 100 windows of a model that did not change give (almost) no metric candidate; a
    slice whose accuracy fell by about 0.13 is caught in most single windows of ~180 slice rows."""
    from mlops.monitor.metrics import evaluate, prepare

    rng = np.random.default_rng(11)

    def window(rows: int, broken: bool = False) -> dict:
        plan = rng.choice(["basic", "pro", "enterprise"], rows, p=[0.6, 0.3, 0.1])
        y = (rng.random(rows) < np.where(plan == "pro", 0.4, 0.2)).astype(int)
        score = np.clip(y * 0.35 + rng.random(rows) * 0.65, 0, 1)
        if broken:
            hit = (plan == "pro") & (rng.random(rows) < 0.2)
            score[hit] = 1 - score[hit]
        return evaluate(prepare(y, score), {"plan": plan})

    offline_eval = window(4000)
    offline = checks.offline_metrics(
        {
            **offline_eval["overall"],
            "slices": {k.split("=", 1)[1]: v for k, v in offline_eval["slices"].items()},
        }
    )
    quiet = sum(len(checks.metric_candidates(window(600), offline, AlertPolicy())) for _ in range(100))
    assert quiet <= 2
    caught = sum(
        any(
            c.rule == "metrics:plan=pro"
            for c in checks.metric_candidates(window(600, broken=True), offline, AlertPolicy())
        )
        for _ in range(40)
    )
    assert caught >= 32  # 80%; consecutive windows make a real drop certain, a false one rarer still


def test_metric_alert_settings_come_from_the_rules_file(tmp_path) -> None:
    from mlops.config import load_document
    from mlops.monitor.policy import AlertPolicy

    path = tmp_path / "rules.yaml"
    path.write_text(
        "kind: Rules\nversion: 1\nalert: {consecutive: 2, max_metric_drop: 0.02, min_rows: 100}\n"
    )
    policy = AlertPolicy.from_rules(load_document(path, expected_kind="Rules").data["alert"], min_rows=None)
    assert (policy.consecutive, policy.max_metric_drop, policy.min_rows) == (2, 0.02, 100)
