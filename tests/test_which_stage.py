"""`mlops which ARTIFACT STAGE`: a stage neither declared in promotion.yaml nor ever assigned is a typo (exit 2,
"did you mean"), as it is for every other command; a declared stage that is empty prints nothing, exit 0."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import git, write


def test_which_unknown_stage_exits_2_with_a_suggestion(git_repo: Path) -> None:
    from mlops.cli import cli
    from mlops.registry.write import assign, register

    write(
        git_repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nartifacts:\n  churn-model: {path: m.pkl}\n"
        "stages:\n  staging: {}\n  production: {}\n  archive: {}\n",
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "policy")
    register(git_repo, "churn-model", version="v1.0.0", metadata={})
    assign(git_repo, "churn-model", "v1.0.0", "production")
    run = CliRunner().invoke
    result = run(cli, ["which", "churn-model", "prod"])
    assert result.exit_code == 2
    assert "unknown stage `prod`" in result.stderr and "did you mean `production`?" in result.stderr
    result = run(cli, ["which", "churn-model#prod"])
    assert result.exit_code == 2 and "did you mean `production`?" in result.stderr
    result = run(cli, ["which", "churn-model", "production"])
    assert result.exit_code == 0 and result.stdout.strip() == "v1.0.0"
    result = run(cli, ["which", "churn-model", "archive"])  # declared, never assigned: empty, not unknown
    assert result.exit_code == 0 and result.stdout == ""
    result = run(cli, ["which", "churn-model", "archive", "--json"])
    assert result.exit_code == 0 and '"version": null' in result.stdout
