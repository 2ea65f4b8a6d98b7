"""`mlops monitor` at its defaults, as the issue tried it: scikit-learn's wine data, one half registered as
training data, the other half live."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from mlops.cli import cli
from tests.conftest import git


def mlops(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def wine(git_repo: Path) -> Path:
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    data.insert(0, "customer_id", np.random.default_rng(0).choice(10**6, len(data), replace=False))
    half = len(data) // 2
    data.iloc[:half].to_csv(git_repo / "train.csv", index=False)
    data.iloc[half:].to_csv(git_repo / "live.csv", index=False)
    (git_repo / ".gitignore").write_text("live*.csv\nmonitoring/\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "train")
    return git_repo


def test_same_distribution_is_quiet_and_non_features_are_named(wine: Path) -> None:
    result = mlops(
        "monitor",
        "live.csv",
        "--against",
        "HEAD:train.csv",
        "--labels",
        "target",
        "--predictions",
        "target",
        "--dry-run",
    )
    assert result.exit_code == 0, result.output
    assert "No alert: nothing over its threshold." in result.stdout
    assert "Not features, left out: target (label column (--labels))" in result.stdout
    assert "customer_id (identifier: no value repeats in the reference's 89 rows)" in result.stdout
    data = json.loads(
        mlops("monitor", "live.csv", "--against", "HEAD:train.csv", "--json", "--dry-run").stdout
    )
    assert data["drift"]["mode"] == "calibrated" and data["drift"]["alpha"] == 0.005
    assert data["drift"]["correction"] == "bonferroni" and "customer_id" in data["drift"]["excluded"]
    assert data["alerts"] == [] and len(data["features"]) == 14  # 13 features and the label


def test_null_jump_fails_and_names_the_column(wine: Path) -> None:
    live = pd.read_csv(wine / "live.csv")
    live.loc[live.index[:14], "alcohol"] = np.nan  # 0% -> 16%
    live.to_csv(wine / "live-nulls.csv", index=False)
    result = mlops("monitor", "live-nulls.csv", "--against", "HEAD:train.csv")
    assert result.exit_code == 1, result.output
    assert "1 alert(s) fired (1 error): nulls:alcohol" in result.stderr
    assert "alcohol: nulls 0.0% -> 15.7% (+15.7 points; material from 2.0 points)" in result.stdout
    record = json.loads((wine / "monitoring/history.jsonl").read_text().splitlines()[-1])
    assert record["drift"]["nulls"] == ["alcohol"] and record["alerts"][0]["rule"] == "nulls:alcohol"


def test_large_shift_fails_and_fixed_thresholds_still_work(wine: Path) -> None:
    live = pd.read_csv(wine / "live.csv")
    live["proline"] = live["proline"] + 1.5 * live["proline"].std()
    live.to_csv(wine / "live-shift.csv", index=False)
    result = mlops("monitor", "live-shift.csv", "--against", "HEAD:train.csv", "--dry-run")
    assert result.exit_code == 1 and "drift:proline" in result.stderr
    assert "proline: KS distance" in result.stdout and "mean +1." in result.stdout
    old = mlops(
        "monitor",
        "live.csv",
        "--against",
        "HEAD:train.csv",
        "--method",
        "psi",
        "--threshold",
        "0.2",
        "--dry-run",
        "--json",
    )  # the fixed threshold the issue found noisy, still available
    assert json.loads(old.stdout)["drift"]["mode"] == "fixed"
    loose = mlops("monitor", "live-shift.csv", "--against", "HEAD:train.csv", "--alpha", "1e-30", "--dry-run")
    assert loose.exit_code == 0, loose.output
    bad = mlops("monitor", "live.csv", "--against", "HEAD:train.csv", "--alpha", "1.5")
    assert bad.exit_code == 2 and "--alpha" in bad.stderr
