"""Calibrated defaults: quiet on noise at any batch size, loud on material change, naming the column.

The deployments here are few (CI guards the property; benchmarks/alerts.py measures the rates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.data.profile import ColumnProfile, Profile, build_profile
from mlops.monitor.calibration import Materiality, column_checks, independent_rows, judge
from mlops.monitor.features import declared_exclusions, inferred_exclusion
from mlops.monitor.run import assess_profiles


def production(rows: int, rng: np.random.Generator, start: int = 0) -> pd.DataFrame:
    plans = np.array(["basic", "pro", "team", *[f"p{i}" for i in range(20)]])
    plan_p = np.concatenate([[0.4, 0.25, 0.15], np.full(20, 0.01)])
    discount = rng.gamma(2.0, 5.0, rows)
    discount[rng.random(rows) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "customer_id": rng.choice(10**9, rows, replace=False),
            "event_time": pd.Timestamp("2026-01-01") + pd.to_timedelta(start + np.arange(rows), unit="s"),
            "amount": rng.lognormal(3.5, 1.1, rows).round(2),
            "items": rng.poisson(2.5, rows),
            "score": rng.normal(0, 1, rows),
            "discount": discount,
            "plan": rng.choice(plans, rows, p=plan_p),
            "is_mobile": rng.random(rows) < 0.35,
        }
    )


@pytest.fixture(scope="module")
def reference() -> Profile:
    return build_profile(production(20_000, np.random.default_rng(0)))


def fired(batch: pd.DataFrame, reference: Profile) -> list[str]:
    _, _, candidates = assess_profiles(build_profile(batch), reference)
    return sorted(c.rule for c in candidates if c.severity == "error")


@pytest.mark.parametrize("rows", [100, 2_000, 100_000])
def test_no_drift_is_quiet_at_any_batch_size(reference: Profile, rows: int) -> None:
    rng = np.random.default_rng(rows)
    for deployment in range(3 if rows < 100_000 else 1):
        for batch in range(3):
            assert fired(production(rows, rng, start=rows * (3 * deployment + batch)), reference) == []


def test_trivial_change_in_a_huge_batch_is_not_material(reference: Profile) -> None:
    """At 100,000 rows a 0.05 sd shift is certain but moves no one: materiality keeps it quiet."""
    batch = production(100_000, np.random.default_rng(7))
    batch["score"] += 0.05
    features, _, _ = assess_profiles(build_profile(batch), reference)
    assert features["score"]["p_value"] < 1e-6 and not features["score"]["drifted"]


@pytest.mark.parametrize("rows, size", [(2_000, 0.5), (300, 1.5)])
def test_mean_shift_is_named(reference: Profile, rows: int, size: float) -> None:
    rng = np.random.default_rng(11)
    for column in ("score", "amount"):
        batch = production(rows, rng)
        batch[column] = batch[column] + size * reference.columns[column].std
        assert fired(batch, reference) == [f"drift:{column}"]


def test_category_move_and_null_jump_are_named(reference: Profile) -> None:
    rng = np.random.default_rng(5)
    batch = production(2_000, rng)
    top = batch["plan"] == "basic"
    batch.loc[top & (rng.random(len(batch)) < 0.3), "plan"] = "pro"
    features, _, candidates = assess_profiles(build_profile(batch), reference)
    assert [c.rule for c in candidates] == ["mix:plan"]
    assert "material from 5.0 points" in candidates[0].message
    moved = features["plan"]["category"]  # the category that lost rows or the one that gained them
    assert moved["value"] in ("basic", "pro") and abs(moved["current"] - moved["reference"]) > 0.1
    assert f"share of `{moved['value']}` " in candidates[0].message
    batch = production(100, rng)
    batch.loc[rng.random(100) < 0.15, "items"] = np.nan
    batch.loc[0:14, "items"] = np.nan  # at least 15 of 100
    _, _, candidates = assess_profiles(build_profile(batch), reference)
    assert [c.rule for c in candidates] == ["nulls:items"]
    assert candidates[0].message.startswith("items: nulls 0.0% -> ")


def test_identifiers_and_timestamps_are_left_out_with_the_reason(reference: Profile) -> None:
    batch = production(500, np.random.default_rng(3))
    features, excluded, _ = assess_profiles(build_profile(batch), reference)
    assert "customer_id" not in features and "event_time" not in features
    assert excluded["event_time"] == "timestamp (datetime values)"
    assert excluded["customer_id"].startswith("identifier: no value repeats in the reference's 20,000 rows")
    assert set(features) == {"amount", "items", "score", "discount", "plan", "is_mobile"}


def test_what_the_rules_and_roles_say_is_left_out() -> None:
    rules = {
        "labels": {"timestamp": "ts", "column": "target", "predictions": "p"},
        "alert": {"exclude": ["free_text"]},
        "columns": {"order_no": {"unique": True}, "day": {"type": "datetime"}, "age": {"min": 0}},
    }
    out = declared_exclusions(rules, {"churned": "label column (--labels)"})
    assert out == {
        "churned": "label column (--labels)",
        "ts": "event-time column (labels.timestamp)",
        "target": "label column (labels.column)",
        "p": "predictions (labels.predictions)",
        "free_text": "listed in alert.exclude",
        "order_no": "identifier (unique: true in the rules)",
        "day": "timestamp (type: datetime in the rules)",
    }


def test_inferred_exclusions_from_the_data() -> None:
    frame = pd.DataFrame(
        {
            "seq": np.arange(500) * 3,
            "name": [f"user{i}" for i in range(500)],
            "x": np.random.default_rng(0).normal(size=500),
            "flag": [True, False] * 250,
        }
    )
    profile = build_profile(frame)
    assert inferred_exclusion(profile.columns["seq"]).startswith("monotone: increases row after row")
    assert inferred_exclusion(profile.columns["name"]).startswith("high cardinality: 500 distinct values")
    assert inferred_exclusion(profile.columns["x"]) is None  # floats never repeat: not an identifier
    assert inferred_exclusion(profile.columns["flag"]) is None
    small = build_profile(pd.DataFrame({"customer_id": [7, 3, 9, 1] * 5 + [11] * 0, "n": range(20)}))
    small.columns["customer_id"].unique = True  # 20 distinct ids
    assert inferred_exclusion(small.columns["customer_id"]).startswith("identifier: no value repeats")
    small.columns["n"].unique, small.columns["n"].increasing = True, False
    assert inferred_exclusion(small.columns["n"]) is None  # 20 unique rows alone prove nothing


def test_profile_keeps_the_order_flags() -> None:
    frame = pd.DataFrame({"id": np.arange(100), "x": np.arange(100)[::-1] % 7})
    profile = build_profile(frame)
    assert profile.columns["id"].increasing and profile.columns["id"].unique
    assert not profile.columns["x"].increasing and not profile.columns["x"].unique
    data = profile.to_dict()["columns"]
    assert data["id"]["increasing"] is True and "increasing" not in data["x"]
    again = Profile.from_dict(profile.to_dict())
    assert again.columns["id"].increasing and again.columns["id"].unique


def test_resampled_rows_are_not_new_evidence() -> None:
    """A batch that repeats the same 80 records 5 times carries 80 rows of evidence, not 400."""
    rng = np.random.default_rng(2)
    ref = build_profile(pd.DataFrame({"x": rng.normal(size=2_000)}))
    batch = build_profile(pd.DataFrame({"x": np.tile(rng.normal(size=80), 5)}))
    assert independent_rows(batch.columns["x"], continuous=True) == 80
    entry = column_checks(batch.columns["x"], ref.columns["x"], Materiality())
    assert entry["independent_rows"] == 80


def test_per_column_materiality_and_fixed_thresholds(reference: Profile) -> None:
    batch = production(2_000, np.random.default_rng(9))
    batch["score"] += 0.5 * reference.columns["score"].std
    rules = {"alert": {"columns": {"score": {"min_shift": 0.5}}}}
    _, _, candidates = assess_profiles(build_profile(batch), reference, rules)
    assert candidates == []  # KS about 0.2 is below the column's 0.5
    rules = {"drift": {"reference": "x", "per_column": {"amount": {"method": "psi", "threshold": 0.0}}}}
    features, _, candidates = assess_profiles(build_profile(batch), reference, rules)
    assert features["amount"]["judged_by"] == "statistic" and features["amount"]["method"] == "psi"
    assert {c.rule for c in candidates} == {"drift:amount", "drift:score"}


def test_judge_corrects_across_every_check() -> None:
    features = {
        f"c{i}": {
            "judged_by": "calibrated",
            "kind": "numeric",
            "p_value": 0.001,
            "statistic": 0.3,
            "threshold": 0.1,
            "nulls": {"p_value": 1.0, "change": 0.0, "threshold": 0.02},
        }
        for i in range(3)
    }
    assert judge(features, 0.005, "none")["drift"] == ["c0", "c1", "c2"]
    assert judge(features, 0.005, "bonferroni")["drift"] == []  # 0.001 * 6 checks > 0.005
    assert features["c0"]["p_adjusted"] == pytest.approx(0.006)


def test_empty_side_reports_no_values() -> None:
    empty = ColumnProfile("x", "numeric", "number", count=50, nulls=50)
    full = build_profile(pd.DataFrame({"x": np.arange(50.0)})).columns["x"]
    entry = column_checks(empty, full, Materiality())
    assert entry["statistic"] is None and entry["nulls"]["change"] == 1.0
