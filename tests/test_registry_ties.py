"""Same-second events, against the real gto: tags written by hand or by other tools in one second fold the same
way in mlops and gto (mlops itself never writes two events of one artifact in one second)."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from mlops.registry import read_state
from tests.conftest import git, tool

GTO = tool("gto")  # a dev dependency: missing, this test fails rather than skips


def tag_at(root: Path, name: str, commit: str, when: int) -> None:
    env = {**os.environ, "GIT_COMMITTER_DATE": f"{when} +0000"}
    subprocess.run(["git", "tag", "-a", name, commit, "-m", name], cwd=root, env=env, check=True)


def gto_which(root: Path, ref: str) -> str:
    proc = subprocess.run([GTO, "show", ref, "--ref"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.slow
@pytest.mark.parametrize("order", list(itertools.permutations([0, 1, 2])))
@pytest.mark.parametrize("same_registration", [True, False])
def test_same_second_assignments_agree_with_gto(
    tmp_path: Path, order: tuple[int, ...], same_registration: bool
) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commits = []
    for i in range(3):
        git(root, "commit", "-q", "--allow-empty", "-m", f"c{i}")
        commits.append(git(root, "rev-parse", "HEAD").strip())
    base = 1_700_000_000
    for i, commit in enumerate(commits):
        tag_at(root, f"m@v0.{i + 1}.0", commit, base if same_registration else base + i)
    tag_at(root, "m#staging#1", commits[0], base + 50)  # an earlier, distinct assignment
    for counter, i in enumerate(order, start=7):
        tag_at(root, f"m#staging#{counter}", commits[i], base + 100)  # three in one second
    art = read_state(root).artifact("m")
    assert art is not None
    ours = art.which("staging")
    assert ours is not None
    assert gto_which(root, "m#staging") == f"m@{ours.version}", order
