"""Shared fixtures: an isolated HOME and Git identity, and helpers that build real repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
ORIGINAL_HOME = os.path.expanduser("~")  # captured before tests isolate HOME; only for pip's download cache


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the real user's config; CI has no Git identity at all."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("GIT_") or key.startswith("DVC_"):
            del os.environ[key]
    os.environ.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Author",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "Test Committer",
            "GIT_COMMITTER_EMAIL": "committer@example.com",
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(home / ".dvc-site-cache"),
        }
    )
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        "[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


def git(cwd: Path, *args: str, date: datetime | int | None = None, stdin: str | None = None) -> str:
    """Git's stdout. DATE (a datetime or Unix seconds) is the commit's or tag's time, for both author and
    committer; STDIN is fed to the command."""
    env = None
    if date is not None:
        seconds = int(date.timestamp()) if isinstance(date, datetime) else int(date)
        env = {
            **os.environ,
            "GIT_COMMITTER_DATE": f"@{seconds} +0000",
            "GIT_AUTHOR_DATE": f"@{seconds} +0000",
        }
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env, input=stdin
    ).stdout


def git_out(cwd: Path, *args: str, date: datetime | int | None = None, stdin: str | None = None) -> str:
    """git() without the surrounding whitespace (a commit id, a tag list)."""
    return git(cwd, *args, date=date, stdin=stdin).strip()


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Git repository with one commit, as the current directory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("test\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(repo)
    return repo


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_cli(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `mlops` entry point in a subprocess (what a user or a hook sees)."""
    proc = subprocess.run([sys.executable, "-m", "mlops", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"mlops {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def tool(name: str) -> str:
    """A console script installed beside the running interpreter (dvc, gto, ...): never a machine path."""
    return str(Path(sys.executable).parent / name)


def invoke(*args: str) -> tuple[int, str, str]:
    """Run one command in process as a user would: (exit code, standard output, standard error)."""
    from click.testing import CliRunner

    from mlops.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
