"""`mlops monitor --predictions COL` with a column that cannot hold the labels' classes (text against 0/1
labels): a clear error naming both columns and what they hold, exit 2, nothing recorded, no accuracy-0 alert."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import git, write

TRAIN = "age,plan,churned,score\n" + "".join(
    f"{20 + i % 50},{('basic', 'pro')[i % 2]},{i % 2},0.{i % 9}\n" for i in range(200)
)


def test_text_predictions_against_numeric_labels_is_a_usage_error(git_repo: Path) -> None:
    from mlops.cli import cli

    write(git_repo, "data/train.csv", TRAIN)
    write(git_repo, "live.csv", TRAIN)
    write(
        git_repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nartifacts:\n  churn-model:\n"
        "    path: m.pkl\n    training_data: data/train.csv\nstages:\n  production: {}\n",
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "train")
    run = CliRunner().invoke
    result = run(
        cli,
        [
            "monitor",
            "live.csv",
            "--against",
            "HEAD",
            "--artifact",
            "churn-model",
            "--labels",
            "churned",
            "--predictions",
            "plan",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--predictions column `plan` holds text ('basic', 'pro')" in result.stderr
    assert "--labels column `churned` holds numbers ('0', '1')" in result.stderr
    assert "accuracy" not in result.output and "alert" not in result.stdout
    assert not (git_repo / "monitoring" / "history.jsonl").exists()
    result = run(
        cli,
        [
            "monitor",
            "live.csv",
            "--against",
            "HEAD",
            "--artifact",
            "churn-model",
            "--labels",
            "churned",
            "--predictions",
            "score",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output  # probabilities against 0/1 labels are fine
    assert "accuracy" in result.stdout
