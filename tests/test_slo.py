"""`mlops slo` and the SLO alerts of `mlops monitor`, with real Git: objectives on a stage judged on the
monitoring history for the version that holds the stage; a breach exits 1, names its runs and prints the one
command that switches to the declared fallback."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import git, invoke, write

POLICY = """\
kind: Promotion
version: 1
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    training_data: data/train.csv
stages:
  production:
    fallback: v1.0.0
    slo:
      - {metric: accuracy, min: 0.9, window: 7d, slices: [plan=pro], min_rows: 50}
"""
NOW = datetime.now(timezone.utc)

mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def run(version: str, ago_hours: float, accuracy: float | None, rows: int = 100, **slices: float) -> str:
    """One run record as `mlops monitor` appends it (the documented history format)."""
    overall = {"rows": rows, "accuracy": accuracy} if accuracy is not None else None
    return json.dumps(
        {
            "type": "run",
            "schema": 1,
            "id": f"run-{version}-{ago_hours:g}h",
            "time": (NOW - timedelta(hours=ago_hours)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "artifact": "churn-model",
            "version": version,
            "metrics": {
                "task": "classification",
                "overall": overall,
                "slices": {k.replace("_", "="): {"rows": 60, "accuracy": v} for k, v in slices.items()},
            },
            "alerts": [],
        }
    )


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """v1 passed production's gates (its tag records them); v2 holds production now."""
    from mlops.registry.write import assign, register

    (git_repo / "data").mkdir()
    _frame(0).to_csv(git_repo / "data" / "train.csv", index=False)
    write(git_repo, "promotion.yaml", POLICY)
    write(git_repo, ".gitignore", "live/\nmonitoring/\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "v1")
    register(git_repo, "churn-model", version="v1.0.0")
    assign(git_repo, "churn-model", "v1.0.0", "production", metadata={"gates_passed": True, "gates": []})
    write(git_repo, "models/notes.txt", "v2\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "v2")
    register(git_repo, "churn-model", version="v2.0.0")
    assign(git_repo, "churn-model", "v2.0.0", "production", metadata={"gates_passed": True, "gates": []})
    return git_repo


def history(root: Path, *lines: str) -> None:
    write(root, "monitoring/history.jsonl", "\n".join(lines) + "\n")


def _frame(seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"age": rng.normal(40, 10, rows).round(1), "spend": rng.gamma(2.0, 30.0, rows).round(2)}
    )


def test_met_breached_and_no_data_from_the_history(repo: Path) -> None:
    # no history yet: no data, never a breach
    code, out, _ = mlops("slo")
    assert code == 0, out
    assert "NO DATA   churn-model production: accuracy >= 0.9 over 7d: 0 labelled row(s) of v2.0.0" in out

    # met: the row-weighted mean over the window; older runs, other versions and unlabelled runs add nothing
    history(
        repo,
        run("v2.0.0", 200, 0.10),  # outside the 7d window
        run("v1.0.0", 2, 0.10),  # another version
        run("v2.0.0", 30, 0.95, rows=300, plan_pro=0.93),
        run("v2.0.0", 5, None),  # labels not arrived yet
        run("v2.0.0", 1, 0.89, rows=100, plan_pro=0.91),
    )
    code, out, _ = mlops("slo")
    assert code == 0, out
    assert "MET       churn-model production: accuracy >= 0.9 over 7d: accuracy 0.935 over 400" in out
    assert "(monitoring/history.jsonl: run-v2.0.0-30h, run-v2.0.0-1h)" in out and "run-v2.0.0-200h" not in out
    assert "MET       churn-model production: accuracy >= 0.9 over 7d [slice plan=pro]: accuracy 0.92" in out

    # breached, overall: exit 1, the evidence, and the one command that switches to the fallback
    with open(repo / "monitoring/history.jsonl", "a") as handle:
        handle.write(run("v2.0.0", 0.5, 0.50, rows=400, plan_pro=0.95) + "\n")
    code, out, _ = mlops("slo")
    assert code == 1
    assert "BREACHED  churn-model production: accuracy >= 0.9 over 7d: accuracy 0.7175 over 800" in out
    assert (
        "Switch churn-model production to its fallback: mlops fallback churn-model --stage production" in out
    )
    assert "1 SLO(s)" not in out and "2 SLO(s): 1 breached" in out
    code, out, _ = mlops("slo", "churn-model", "--json")
    report = json.loads(out)
    assert code == 1 and report["breached"] == 1
    overall = report["slos"][0]
    assert overall["state"] == "breached" and overall["value"] == pytest.approx(0.7175)
    assert [r["id"] for r in overall["runs"]] == ["run-v2.0.0-30h", "run-v2.0.0-1h", "run-v2.0.0-0.5h"]
    assert overall["fallback_command"].startswith("mlops fallback churn-model --stage production --reason")


def test_slices_below_min_rows_are_no_data_and_a_breached_slice_alone_fails(repo: Path) -> None:
    history(repo, run("v2.0.0", 3, 0.97, rows=500, plan_pro=0.80))
    code, out, _ = mlops("slo")
    assert code == 1
    assert (
        "BREACHED  churn-model production: accuracy >= 0.9 over 7d [slice plan=pro]: accuracy 0.8 over 60"
        in out
    )
    assert "MET       churn-model production: accuracy >= 0.9 over 7d: accuracy 0.97" in out
    text = POLICY.replace("min_rows: 50", "min_rows: 100")
    write(repo, "promotion.yaml", text)
    code, out, _ = mlops("slo")
    assert code == 0, out
    assert (
        "NO DATA   churn-model production: accuracy >= 0.9 over 7d [slice plan=pro]: 60 labelled row(s)"
        in out
    )


def test_bad_input_exits_2(repo: Path) -> None:
    code, _, err = mlops("slo", "churn-modle")
    assert code == 2 and "unknown artifact `churn-modle`" in err and "did you mean `churn-model`" in err
    write(repo, "promotion.yaml", POLICY.replace("min_rows: 50", "min_rows: 50, history: ../x.jsonl"))
    code, _, err = mlops("slo")
    assert code == 2 and "outside the repository" in err
    write(repo, "promotion.yaml", POLICY.replace("window: 7d", "window: 7 days"))
    code, _, err = mlops("slo")
    assert (
        code == 2
        and "promotion.yaml:12:46: error: `stages.production.slo[0].window`" in err
        and "a duration such as 30m" in err
    )
    # a history line that is not JSON is skipped and named; the rest still counts
    write(repo, "promotion.yaml", POLICY)
    history(repo, "{not json", run("v2.0.0", 1, 0.99))
    code, out, err = mlops("slo")
    assert code == 0 and "monitoring/history.jsonl:1: skipped a line that is not JSON" in err


@pytest.mark.slow
def test_monitor_names_the_breached_slo_and_the_printed_command_switches_to_the_fallback(repo: Path) -> None:
    rng = np.random.default_rng(3)
    batch = _frame(1)
    batch["churned"] = rng.integers(0, 2, len(batch))
    batch["score"] = np.where(rng.random(len(batch)) < 0.6, batch["churned"], 1 - batch["churned"])
    batch["plan"] = np.where(rng.random(len(batch)) < 0.5, "pro", "basic")
    (repo / "live").mkdir()
    batch.to_csv(repo / "live" / "batch.csv", index=False)
    args = ["monitor", "live/batch.csv", "--against", "churn-model#production"]
    code, out, err = mlops(*args, "--labels", "churned", "--predictions", "score", "--slice", "plan")
    assert code == 1, out + err
    assert "slo:production:accuracy" in out and "SLO breached: churn-model production: accuracy >= 0.9" in out
    marker = "SLO breached; to switch to the fallback: "
    assert err.count(marker) == 1
    command = err.split(marker, 1)[1].splitlines()[0]
    record = json.loads((repo / "monitoring/history.jsonl").read_text().splitlines()[-1])
    assert {a["rule"] for a in record["alerts"]} >= {"slo:production:accuracy"}

    argv = shlex.split(command)
    assert argv[:5] == ["mlops", "fallback", "churn-model", "--stage", "production"]
    code, out, err = mlops(*argv[1:])
    assert code == 0, out + err
    assert "Fell back: churn-model v1.0.0 now holds production (was v2.0.0)" in out
    tag = out.split("tag ", 1)[1].split()[0]
    data = json.loads(git(repo, "tag", "-l", "--format=%(contents)", tag).split("\n", 2)[2])
    assert data["fallback"]["reason"].startswith("SLO breached: accuracy >= 0.9 over 7d")
    assert data["fallback"]["evidence"].startswith("accuracy 0.")
    # the stage now holds v1, whose runs the objective has not seen yet: no breach
    code, out, _ = mlops("slo")
    assert code == 0 and "of v1.0.0" in out


@pytest.mark.slow
def test_the_init_template_declares_a_fallback_and_an_slo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert mlops("init", "demo")[0] == 0
    monkeypatch.chdir(tmp_path / "demo")
    text = (tmp_path / "demo" / "promotion.yaml").read_text()
    assert "fallback: previous" in text and "{metric: accuracy, min: 0.7, window: 7d" in text
    code, out, _ = mlops("lint")
    assert code == 0 and "warning" not in out, out  # nothing held production before: nothing to warn about
    code, out, _ = mlops("slo")
    assert code == 0, out
    assert (
        "NO DATA   churn-model production: accuracy >= 0.7 over 7d: no version of churn-model is in production"
        in out
    )
    git(tmp_path / "demo", "add", "-A")
    git(tmp_path / "demo", "commit", "-q", "-m", "new project")
    code, _, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "drill")
    assert code == 2 and "cannot fall back: no earlier version of churn-model left production" in err
