"""`mlops check-ref`: what a registry tag means, with the same answers as `gto check-ref` on GTO's own tags
and on ours, read from a clone after the tag was pushed to a bare origin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, invoke, tool

mlops = invoke


def gto(cwd: Path, *args: str) -> str:
    proc = subprocess.run([tool("gto"), *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> Path:
    """Every kind of event, written by GTO and by mlops, pushed to a bare origin; returns a fresh clone."""
    from mlops.registry import write as tags

    tmp_path = tmp_path_factory.mktemp("check-ref")
    git_repo = tmp_path / "repo"
    git_repo.mkdir()
    git(git_repo, "init", "-q", "-b", "main")
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "initial")

    head = git(git_repo, "rev-parse", "HEAD").strip()
    gto(git_repo, "register", "churn", "--version", "v1.0.0")
    gto(git_repo, "assign", "churn", "--version", "v1.0.0", "--stage", "prod")
    gto(git_repo, "deprecate", "churn", "v1.0.0", "prod")  # GTO spells an unassignment so
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "second")
    tags.register(
        git_repo, "other", git(git_repo, "rev-parse", "HEAD").strip(), version="v0.2.0", bump_part="patch"
    )
    tags.assign(git_repo, "other", "v0.2.0", "staging")
    tags.deregister(git_repo, "other", "v0.2.0")
    gto(git_repo, "deprecate", "churn")
    git(git_repo, "tag", "v-release", head)  # a plain release tag
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(bare))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    return clone


FIELDS = (
    "artifact",
    "event",
    "version",
    "stage",
    "commit_hexsha",
    "tag",
    "author",
    "author_email",
    "created_at",
)


def test_same_answers_as_gto_on_every_registry_tag(tagged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tagged)
    names = [t for t in git(tagged, "tag", "-l").split() if "@" in t or "#" in t]
    assert len(names) == 7
    events = set()
    for name in names:
        theirs = json.loads(gto(tagged, "check-ref", name, "--json"))
        code, out, err = mlops("check-ref", name, "--json")
        assert code == 0, err
        ours = json.loads(out)
        assert {k: ours.get(k) for k in FIELDS} == {k: theirs.get(k) for k in FIELDS}, name
        events.add(ours["event"])
    assert events == {"registration", "deregistration", "assignment", "unassignment", "deprecation"}


def test_human_line(tagged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tagged)
    code, out, _ = mlops("check-ref", "churn#prod#1")
    assert code == 0
    assert 'Stage "prod" was assigned to version "v1.0.0" of artifact "churn"' in out
    code, out, _ = mlops("check-ref", "refs/tags/other@v0.2.0")
    assert code == 0 and 'Version "v0.2.0" of artifact "other" was registered' in out


@pytest.mark.parametrize(
    ("tag", "said"),
    [
        ("v-release", "`v-release` is not a registry tag"),
        ("main", "`main` is not a registry tag"),
        ("churn@v9.9.9", "tag `churn@v9.9.9` does not exist in this repository"),
    ],
)
def test_not_a_registry_tag_exits_2(
    tagged: Path, monkeypatch: pytest.MonkeyPatch, tag: str, said: str
) -> None:
    monkeypatch.chdir(tagged)
    code, out, err = mlops("check-ref", tag)
    assert code == 2
    assert said in err and not out


def test_lightweight_registry_tag_says_why(
    tagged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "light"
    git(tmp_path, "clone", "-q", str(tagged), str(clone))
    monkeypatch.chdir(clone)
    git(clone, "tag", "churn@v3.0.0")
    code, _, err = mlops("check-ref", "churn@v3.0.0")
    assert code == 2
    assert "lightweight" in err
