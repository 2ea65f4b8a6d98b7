"""The hooks this repository offers, run by the real pre-commit against a temporary repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ORIGINAL_HOME, REPO_ROOT, git, write

HOOKS = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())


def _hook(hook_id: str) -> dict:
    return next(h for h in HOOKS if h["id"] == hook_id)


@pytest.mark.parametrize(
    ("hook_id", "path", "matches"),
    [
        ("mlops-lint", "pipelines/train.yaml", True),
        ("mlops-lint", "pipelines/sub/train.yml", True),
        ("mlops-lint", "rules/clean.yaml", True),
        ("mlops-lint", "promotion.yaml", True),
        ("mlops-lint", "registry.yaml", True),
        ("mlops-lint", "mlops.yaml", True),
        ("mlops-lint", "params.yaml", True),
        ("mlops-lint", "dvc.yaml", False),
        ("mlops-lint", "src/train.py", False),
        ("mlops-lint", ".github/workflows/ci.yaml", False),
        ("mlops-compile-check", "pipelines/train.yaml", True),
        ("mlops-compile-check", "dvc.yaml", True),
        ("mlops-compile-check", "rules/clean.yaml", False),
    ],
)
def test_hook_file_patterns(hook_id: str, path: str, matches: bool) -> None:
    assert bool(re.search(_hook(hook_id)["files"], path)) is matches


def test_hooks_call_real_commands() -> None:
    from mlops.cli import COMMANDS

    for hook in HOOKS:
        parts = hook["entry"].split()
        assert parts[0] == "mlops" and parts[1] in COMMANDS
        assert hook["language"] == "python"


def _head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
def test_bad_config_is_blocked_at_commit_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's repository that uses our hook: a typo in a pipeline stops `git commit` with a located message."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    repo = tmp_path / "user-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(
        repo,
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {REPO_ROOT}\n    rev: {_head()}\n    hooks:\n      - id: mlops-lint\n",
    )
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PIP_CACHE_DIR=os.path.join(ORIGINAL_HOME, ".cache", "pip"),
        PATH=os.environ["PATH"],
    )
    subprocess.run([str(pre_commit), "install"], cwd=repo, check=True, env=env, capture_output=True)
    write(
        repo,
        "pipelines/train.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  train:\n    cmd: python t.py\n    dep: [data.csv]\n",
    )
    git(repo, "add", ".")
    blocked = subprocess.run(
        ["git", "commit", "-m", "add pipeline"], cwd=repo, env=env, capture_output=True, text=True
    )
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert (
        "pipelines/train.yaml:6:5: error: unknown key `dep` in `stages.train` (did you mean `deps`?)"
        in output
    )
    assert (
        subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=repo, capture_output=True).returncode
        != 0
    )

    write(repo, "data.csv", "a\n1\n")
    write(
        repo,
        "pipelines/train.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  train:\n    cmd: python t.py\n    deps: [data.csv]\n",
    )
    git(repo, "add", ".")
    ok = subprocess.run(
        ["git", "commit", "-m", "add pipeline"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
