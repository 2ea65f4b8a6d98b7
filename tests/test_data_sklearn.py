"""Real data (scikit-learn's bundled breast cancer and wine sets): infer rules on one half, validate the other,
then corrupt copies and check that each kind of error is caught with the right severity and exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import invoke

sklearn_datasets = pytest.importorskip("sklearn.datasets")


run = invoke  # exit code, stdout, stderr (tests.conftest)


def _dataset(name: str) -> pd.DataFrame:
    loader = {"breast_cancer": sklearn_datasets.load_breast_cancer, "wine": sklearn_datasets.load_wine}[name]
    frame = loader(as_frame=True).frame
    frame.columns = [str(c) for c in frame.columns]
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)


@pytest.fixture(params=["breast_cancer", "wine"])
def halves(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[pd.DataFrame, str]:
    monkeypatch.chdir(tmp_path)
    frame = _dataset(request.param)
    half = len(frame) // 2
    frame.iloc[:half].to_csv("first.csv", index=False)
    frame.iloc[half:].to_csv("second.csv", index=False)
    code, out, err = run("infer-rules", "first.csv", "-o", "rules.yaml")
    assert code == 0, err
    return frame.iloc[:half].reset_index(drop=True), request.param  # corrupted copies of what rules came from


def _report(data: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run("validate", data, "--rules", "rules.yaml", "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def _failed(report: dict[str, Any]) -> dict[str, str]:
    return {r["rule"]: r["severity"] for r in report["results"] if r["status"] == "failed"}


def test_inferred_rules_pass_on_their_data_and_on_the_other_half(halves: tuple[pd.DataFrame, str]) -> None:
    code, report = _report("first.csv")
    assert code == 0 and _failed(report) == {}
    text = Path("rules.yaml").read_text()
    assert "# observed: min " in text and "kind: Rules" in text
    assert "unique: true" not in text or "target" not in text
    # bounds stay near the observed range (10% of it by default), so 284 rows of heavy-tailed measurements do
    # not bound the next 284: only range rules can fail, on a few extreme rows, and the review says which
    code, report = _report("second.csv")
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert all(r["check"] in ("min", "max") and r["failing"] <= 3 for r in failed), _failed(report)
    assert sum(r["status"] == "passed" for r in report["results"]) > 10 * len(failed)


def test_a_hard_error_fails_with_exit_1(halves: tuple[pd.DataFrame, str]) -> None:
    frame, _ = halves
    column = frame.columns[0]
    bad = frame.copy()
    bad.loc[5, column] = -abs(bad[column].max()) * 10  # impossible value (all observed values are >= 0)
    bad.to_csv("hard.csv", index=False)
    code, report = _report("hard.csv")
    assert code == 1
    failed = _failed(report)
    assert failed.get(f"{column}.min") == "error"
    rule = {r["rule"]: r for r in report["results"]}[f"{column}.min"]
    assert rule["failing"] == 1 and rule["examples"][0]["row"] == 5


def test_a_few_nulls_are_a_warning(halves: tuple[pd.DataFrame, str]) -> None:
    frame, _ = halves
    column = frame.columns[1]
    soft = frame.copy()
    soft[column] = soft[column].astype(float)
    soft.loc[[3, 10], column] = np.nan
    soft.to_csv("soft.csv", index=False)
    code, report = _report("soft.csv")
    assert code == 0
    assert _failed(report) == {f"{column}.max_null_fraction": "warn"}


def test_a_shifted_distribution_is_a_warning_and_drift(halves: tuple[pd.DataFrame, str]) -> None:
    frame, name = halves
    column = {"breast_cancer": "mean radius", "wine": "alcohol"}[name]
    shifted = frame.copy()
    top = np.sort(frame[column].to_numpy())[int(0.6 * len(frame)) :]
    shifted[column] = np.random.default_rng(0).choice(top, len(frame))  # plausible rows, wrong mean
    shifted.to_csv("shifted.csv", index=False)
    code, report = _report("shifted.csv")
    assert code == 0
    assert _failed(report).get(f"{column}.mean") == "warn"
    assert all(sev != "error" for sev in _failed(report).values())
    # with the first half as the drift reference, the column is reported as drifting
    rules = (
        Path("rules.yaml").read_text() + "drift:\n  reference: first.csv\n  method: psi\n  severity: warn\n"
    )
    Path("rules.yaml").write_text(rules)
    code, report = _report("shifted.csv")
    assert code == 0
    assert column in report["drift"]["drifted"]
    assert _failed(report).get(f"drift.{column}") == "warn"


def _synthetic(seed: int, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 1, n)
    income[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame(
        {
            "customer_id": [f"c{seed}-{i}" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "income": income,
            "score": rng.beta(2, 5, n),
            "plan": rng.choice(["basic", "pro", "enterprise"], n, p=[0.6, 0.3, 0.1]),
            "active": rng.random(n) < 0.7,
            "signup": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "children": rng.poisson(1.2, n),
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_inferred_rules_pass_on_a_fresh_sample_of_mixed_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for seed in range(4):
        frame = _synthetic(seed)
        if fmt == "csv":
            frame.to_csv(f"s{seed}.csv", index=False)
        else:
            frame.to_parquet(f"s{seed}.parquet")
    code, _, err = run("infer-rules", f"s0.{fmt}", "-o", "rules.yaml")
    assert code == 0, err
    text = Path("rules.yaml").read_text()
    assert 'allowed: ["basic", "enterprise", "pro"]' in text and "unique: true" in text
    # the lognormal income is flagged for review: fresh samples exceed its observed maximum
    assert "right-skewed (max 22x the median): a new batch's maximum is often higher" in text
    for seed in range(4):
        code, report = _report(f"s{seed}.{fmt}")
        assert set(_failed(report)) <= {"income.max"}, (seed, _failed(report))
    bad = _synthetic(9)
    bad.loc[3, "age"] = -1
    bad.loc[4, "plan"] = "platinum"
    getattr(bad, "to_csv" if fmt == "csv" else "to_parquet")(
        f"bad.{fmt}", **({"index": False} if fmt == "csv" else {})
    )
    code, report = _report(f"bad.{fmt}")
    assert code == 1 and set(_failed(report)) - {"income.max"} == {"age.min", "plan.allowed"}


def test_inferred_bounds_are_ones_a_reviewer_can_accept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases a new user hit: a probability bounded by 3.46, a max of 14600 for 111.77, a negative mean
    bound on a non-negative column, min 0 for ages from 18."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(5)
    n = 1000
    amount = rng.lognormal(0, 1.2, n)
    amount = amount * 111.77 / amount.max()
    pd.DataFrame(
        {
            "proba": np.clip(rng.beta(0.5, 3, n), 0, 0.899),
            "amount": amount,
            "age": rng.integers(18, 91, n),
            "share": np.r_[0.0, 1.0, rng.random(n - 2)],
        }
    ).to_csv("d.csv", index=False)
    code, out, err = run("infer-rules", "d.csv")
    assert code == 0, err
    import yaml

    rules = yaml.safe_load(out)["columns"]
    assert rules["proba"]["min"] == 0 and 0.899 <= rules["proba"]["max"] <= 1
    assert 111.77 <= rules["amount"]["max"] <= 111.77 * 1.11 and rules["amount"]["min"] == 0
    assert rules["amount"]["mean"]["value"]["min"] >= 0  # never negative: no value was
    assert 10 <= rules["age"]["min"] <= 18 and 90 <= rules["age"]["max"] <= 98
    assert (rules["share"]["min"], rules["share"]["max"]) == (0, 1)  # a probability stays within [0, 1]
    assert 0 <= rules["proba"]["mean"]["value"]["min"] <= rules["proba"]["mean"]["value"]["max"] <= 1
    assert "# min/max: the observed range widened by 0.1 of its width on each side (--margin 0.1)" in out
    # and what was inferred passes on the data it came from, through the CLI
    Path("rules.yaml").write_text(out)
    code, report = _report("d.csv")
    assert code == 0 and _failed(report) == {}
