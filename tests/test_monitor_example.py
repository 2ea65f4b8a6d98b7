"""Monitoring the example project's model (`mlops init`): trained by `mlops run`, registered and put in
production, then scored on fresh customers. The reference is the DVC-tracked training profile, read at the
version's commit; offline metrics (overall and per plan) come from the version's tag message."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import invoke

mlops = invoke  # exit code, stdout, stderr (tests.conftest)


@pytest.mark.slow
def test_example_model_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops.registry.write import assign

    monkeypatch.chdir(tmp_path)
    assert mlops("init", "demo")[0] == 0
    repo = tmp_path / "demo"
    monkeypatch.chdir(repo)
    code, out, err = mlops("run")
    assert code == 0, err + out
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first model"], cwd=repo, check=True)
    code, out, err = mlops("register", "churn-model", "--version", "v1.0.0")
    assert code == 0, err
    assign(repo, "churn-model", "v1.0.0", "production")

    sys.path.insert(0, str(repo / "src"))
    try:
        from common import features, sigmoid  # the example's own code
        from make_data import generate
    finally:
        sys.path.remove(str(repo / "src"))
    model = pickle.loads((repo / "models" / "model.pkl").read_bytes())

    def batch(name: str, seed: int, *, spend: float = 1.0, flip_pro: float = 0.0) -> str:
        frame = generate(3000, seed)
        frame["monthly_spend"] *= spend
        x = (features(frame) - np.array(model["mean"])) / np.array(model["std"])
        frame["score"] = sigmoid(x @ np.array(model["weights"]) + model["bias"])
        flip = (frame["plan"] == "pro").to_numpy() & (
            np.random.default_rng(seed + 1000).random(len(frame)) < flip_pro
        )
        frame.loc[flip, "churned"] = 1 - frame.loc[flip, "churned"]
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return str(path)

    args = (
        "--against",
        "churn-model#production",
        "--labels",
        "churned",
        "--predictions",
        "score",
        "--slice",
        "plan",
        "--json",
    )
    code, out, err = mlops("monitor", batch("ok.csv", 11), *args)
    assert code == 0, err
    record = json.loads(out)
    assert record["alerts"] == [] and record["reference"]["path"] == "profiles/train.json"
    assert record["reference"]["kind"] == "profile" and record["offline_source"] == "tag churn-model@v1.0.0"
    assert set(record["offline_gap"]["slices"]) == {"plan=basic", "plan=pro", "plan=enterprise"}

    code, out, err = mlops("monitor", batch("spend.csv", 12, spend=1.6), *args)
    assert code == 1
    assert [a["rule"] for a in json.loads(out)["alerts"]] == ["drift:monthly_spend"]

    code, out, err = mlops("monitor", batch("pro.csv", 13, flip_pro=0.6), *args)
    assert code == 1, out
    assert "metrics:plan=pro" in {a["rule"] for a in json.loads(out)["alerts"]}
    assert not any(
        a["rule"] in ("metrics:plan=basic", "metrics:plan=enterprise") for a in json.loads(out)["alerts"]
    )
    assert len((repo / "monitoring" / "history.jsonl").read_text().splitlines()) == 3
