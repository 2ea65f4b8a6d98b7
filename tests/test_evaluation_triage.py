"""The weekly triage end to end, in the `init` template's project (real git, real dvc repro, real tags):
production failures join an evaluation set as its next version; a candidate evaluated on the old version is
refused; the incumbent is re-evaluated on the new version; the re-evaluated candidate is judged on the slice
that holds the new failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_cli

FAILURES_REASON = "weekly triage 2026-W48: enterprise churners the model missed"


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _python(repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=repo, check=True, capture_output=True)


def _dvc_checkout(repo: Path) -> None:
    _python(repo, "-m", "dvc", "checkout", "-q")


def _failures(repo: Path, out: Path) -> int:
    """This week's queue: live rows whose churn the production model missed, enterprise customers only."""
    import pandas as pd

    _python(
        repo, "src/make_data.py", "--rows", "2000", "--seed", "21", "--out", str(out.with_name("batch.csv"))
    )
    _python(repo, "src/predict.py", str(out.with_name("batch.csv")), str(out.with_name("scores.csv")))
    batch = pd.read_csv(out.with_name("batch.csv"))
    batch["score"] = pd.read_csv(out.with_name("scores.csv"))["score"]
    batch.to_csv(out.with_name("batch.csv"), index=False)
    missed = batch[(batch.churned == 1) & (batch.score < 0.5) & (batch.plan == "enterprise")]
    missed.to_csv(out, index=False)
    return len(missed)


@pytest.mark.slow
def test_weekly_triage_refuses_a_stale_evaluation_and_judges_the_new_failures(tmp_path: Path) -> None:
    _ok(run_cli("init", "demo", cwd=tmp_path))
    repo = tmp_path / "demo"
    policy = repo / "promotion.yaml"  # staging also compares with its incumbent on the triaged rows
    policy.write_text(
        policy.read_text().replace(
            "      - {metric: auc, min: 0.7}\n",
            "      - {metric: auc, min: 0.7}\n"
            "      - {metric: recall, not_worse_than: incumbent, tolerance: 0.05, slices: all}\n",
        )
    )
    assert "eval-churn-model" in _ok(run_cli("run", cwd=repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first model")
    base = git(repo, "rev-parse", "HEAD").strip()
    _ok(run_cli("register", "churn-holdout", cwd=repo))
    _ok(run_cli("register", "churn-model", cwd=repo))
    first = _ok(run_cli("promote", "churn-model@v0.1.0", "--to", "staging", "--apply", cwd=repo))
    assert "evaluated on churn-holdout v0.1.0" in first

    # the weekly triage: production's misses, found by monitoring, become the set's next version
    queue = tmp_path / "failures.csv"
    missed = _failures(repo, queue)
    assert missed > 3
    monitor = run_cli(
        "monitor", str(queue.with_name("batch.csv")), "--against", "churn-model#staging", "--labels", "churned",
        "--predictions", "score", "--slice", "plan", "--dry-run", cwd=repo,
    )  # fmt: skip
    assert monitor.returncode in (0, 1), monitor.stderr
    assert "enterprise" in monitor.stdout
    added = _ok(
        run_cli(
            "evalset", "add", "churn-holdout", "--from", str(queue), "--reason", FAILURES_REASON,
            "--source", "churn-model#staging", cwd=repo,
        )
    )  # fmt: skip
    assert f"Added {missed} row(s) to churn-holdout" in added and "churn-holdout v0.2.0" in added
    shown = _ok(run_cli("evalset", "show", "churn-holdout", cwd=repo))
    assert f"{missed}  {FAILURES_REASON}" in shown and "failed by churn-model@v0.1.0" in shown

    # a candidate trained on a branch cut before the triage: evaluated on churn-holdout v0.1.0
    git(repo, "checkout", "-q", "-b", "candidate", base)
    _dvc_checkout(repo)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("l2: 0.001", "l2: 0.0"))
    _ok(run_cli("run", cwd=repo))
    git(repo, "commit", "-qam", "candidate: no l2")
    _ok(run_cli("register", "churn-model", "--bump", "minor", cwd=repo))
    git(repo, "checkout", "-q", "main")
    _dvc_checkout(repo)
    stale = run_cli("promote", "churn-model@v0.2.0", "--to", "staging", cwd=repo)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert (
        "churn-model v0.2.0 was evaluated on churn-holdout v0.1.0, but the latest version in HEAD is v0.2.0"
        in stale.stdout
    )

    # re-evaluated on today's set: the candidate branch takes main, only the evaluation stage reruns
    git(repo, "checkout", "-q", "candidate")
    git(repo, "merge", "-q", "--no-edit", "main")
    _dvc_checkout(repo)
    rerun = _ok(run_cli("run", cwd=repo))
    assert "Running stage 'eval-churn-model'" in rerun and "Running stage 'train'" not in rerun
    git(repo, "commit", "-qam", "candidate evaluated on churn-holdout v0.2.0")
    # the same model bytes, a new evaluation: registered as a new version on purpose
    _ok(run_cli("register", "churn-model", "--bump", "minor", "--force", cwd=repo))
    git(repo, "checkout", "-q", "main")
    _dvc_checkout(repo)

    # the incumbent's numbers are on v0.1.0: no comparison across set versions
    unmatched = run_cli("promote", "churn-model@v0.3.0", "--to", "staging", cwd=repo)
    assert unmatched.returncode == 1
    assert (
        "incumbent v0.1.0 was evaluated on churn-holdout v0.1.0, the candidate on churn-holdout v0.2.0"
        in unmatched.stdout
    )
    assert "run `mlops evaluate churn-model@v0.1.0`" in unmatched.stdout
    git(repo, "checkout", "-q", "registry.yaml")

    redone = _ok(run_cli("evaluate", "churn-model#staging", cwd=repo))
    assert "reports/evaluations/churn-model/v0.1.0.json" in redone
    again = json.loads((repo / "reports/evaluations/churn-model/v0.1.0.json").read_text())
    assert again["slices"]["triaged"]["rows"] == missed and again["slices"]["triaged"]["recall"] == 0.0
    git(repo, "add", "reports/evaluations")
    git(repo, "commit", "-qm", "incumbent re-evaluated on churn-holdout v0.2.0")

    verdict = run_cli("promote", "churn-model@v0.3.0", "--to", "staging", "--json", cwd=repo)
    report = json.loads(verdict.stdout)
    triaged = [r for r in report["gates"] if r.get("slice") == "triaged"]
    assert triaged and triaged[0]["incumbent_value"] == 0.0
    assert triaged[0]["evaluated_on"] == {"churn-holdout": "v0.2.0"}
    assert verdict.returncode == (0 if report["passed"] else 1)
