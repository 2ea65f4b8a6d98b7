"""Who did it, as Git itself answers (`git var GIT_AUTHOR_IDENT`): GIT_AUTHOR_NAME/EMAIL win over the config
files, for `alerts ack` as for tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops import git
from mlops.cli import cli
from tests.conftest import write


def test_identity_follows_the_environment_then_the_config(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert git.identity(git_repo) == "Test Author <author@example.com>"
    monkeypatch.delenv("GIT_AUTHOR_NAME")
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    assert git.identity(git_repo) == "Test User <test@example.com>"  # from ~/.gitconfig


def test_alerts_ack_records_the_environment_identity(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "On Call")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "oncall@example.com")
    history = {
        "type": "run",
        "id": "r1",
        "time": "2026-11-01T00:00:00Z",
        "alerts": [{"id": "r1/drift:a", "rule": "drift:a"}],
    }
    write(git_repo, "monitoring/history.jsonl", json.dumps(history) + "\n")
    result = CliRunner().invoke(cli, ["alerts", "ack", "r1/drift:a", "--ignored"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "r1/drift:a: ignored (by On Call <oncall@example.com>)"
    last = json.loads((git_repo / "monitoring/history.jsonl").read_text().splitlines()[-1])
    assert last["by"] == "On Call <oncall@example.com>"  # not test@example.com from ~/.gitconfig


def test_committer_identity_is_the_tagger(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "CI Bot")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "bot@example.com")
    assert git.identity(git_repo, "committer") == "CI Bot <bot@example.com>"
    assert git.identity(git_repo) == "Test Author <author@example.com>"
