"""The promotion walk-through on a project made by `mlops init`: register, staging and canary with --apply,
production through a branch, `gate`, a `--no-ff` merge and `sync`; then `verify` proves every stage tag."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops.cli import cli
from tests.conftest import git, run_cli


def mlops(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_verify_proves_every_tag_after_the_walk_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    assert run_cli("init", "demo", cwd=tmp_path).returncode == 0
    demo = tmp_path / "demo"
    ran = run_cli("run", cwd=demo)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "first run")
    git(demo, "remote", "add", "origin", str(origin))
    git(demo, "push", "-q", "origin", "main")
    monkeypatch.chdir(demo)

    code, out, err = mlops("register", "churn-model")
    assert code == 0 and "created tag churn-model@v0.1.0" in out, out + err
    # staging and canary need no review; the canary tag is dated three days back (the 48h soak is over)
    code, out, err = mlops("promote", "churn-model@v0.1.0", "--to", "staging", "--apply")
    assert code == 0, out + err
    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    stamp = f"{int(earlier.timestamp())} +0000"
    code, out, err = mlops(
        "promote",
        "churn-model@v0.1.0",
        "--to",
        "canary",
        "--apply",
        env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp},
    )
    assert code == 0, out + err
    git(demo, "push", "-q", "origin", "main", "--tags")

    git(demo, "switch", "-q", "-c", "promote-v0.1.0")
    code, out, err = mlops("promote", "churn-model#canary", "--to", "production")
    assert code == 0 and "Wrote registry.yaml: churn-model.production = v0.1.0" in out, out + err
    git(demo, "commit", "-qam", "Promote churn-model v0.1.0 to production")
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 0, out
    git(demo, "switch", "-q", "main")
    git(
        demo,
        "merge",
        "--no-ff",
        "-q",
        "promote-v0.1.0",
        "-m",
        "Merge pull request #1 from team/promote-v0.1.0",
    )
    code, out, err = mlops("sync", "--push")
    assert code == 0 and "applied  churn-model v0.1.0 -> production" in out, out + err

    code, out, _ = mlops("verify")
    assert code == 0, out
    assert "1 assignment tag(s) of review-required stages checked: 1 ok, 0 not verified" in out
    code, out, _ = mlops("status")
    assert code == 0 and out.strip().endswith("in sync")
    assert os.environ.get("GIT_COMMITTER_DATE") is None
