"""`mlops checkout` and DVC remotes, as a new user meets them: a fresh clone of a bare origin whose HEAD names
a missing branch, a version registered before `dvc remote add`, a remote that cannot be reached or lacks the
objects, and the printed "Go back with" command after --allow-missing."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.test_reproduce_support import commit_all, dvc, sh, write

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn:
    path: model.txt
    type: model
stages:
  production: {}
"""
DVC_YAML = """\
stages:
  train:
    cmd: cp data.txt model.txt
    deps: [data.txt]
    outs: [model.txt]
"""


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> Path:
    """v1.0.0 registered before any DVC remote existed; then `dvc remote add -d` (relative URL) and push of
    both versions; v2.0.0 with other data. A bare copy whose HEAD names a branch that does not exist."""
    from mlops.api.registry import register

    base = tmp_path_factory.mktemp("remotes")
    repo = base / "origin"
    repo.mkdir()
    sh(repo, "git", "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    write(repo, "promotion.yaml", PROMOTION)
    write(repo, "dvc.yaml", DVC_YAML)
    write(repo, "data.txt", "one\n")
    dvc(repo, "repro", "-q")
    commit_all(repo, "v1, before any DVC remote")
    register("churn", version="v1.0.0", root=repo)
    (base / "remote").mkdir()
    dvc(repo, "remote", "add", "-d", "storage", "../remote")  # stored relative to .dvc/
    dvc(repo, "push", "-q")  # v1's data, from the work tree
    write(repo, "data.txt", "two\n")
    dvc(repo, "repro", "-q")
    commit_all(repo, "v2, with a remote")
    register("churn", version="v2.0.0", root=repo)
    dvc(repo, "push", "-q")
    sh(base, "git", "clone", "-q", "--bare", str(repo), str(base / "bare.git"))
    sh(base / "bare.git", "git", "symbolic-ref", "HEAD", "refs/heads/nonexistent")
    return base


@pytest.fixture
def fresh(origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone on main beside the origin (so the relative remote URL names the same folder): empty
    DVC cache, the remote configured in .dvc/config."""
    repo = origin / f"clone-{tmp_path.name}"
    sh(origin, "git", "clone", "-q", "-b", "main", str(origin / "bare.git"), repo.name)
    monkeypatch.chdir(repo)
    return repo


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def head(repo: Path) -> str:
    return sh(repo, "git", "rev-parse", "HEAD")


def test_version_older_than_dvc_remote_add_uses_the_remote_configured_now(fresh: Path) -> None:
    code, out, err = mlops("checkout", "churn@v1.0.0")
    assert code == 0, err
    assert (fresh / "model.txt").read_text() == "one\n"
    assert "Downloaded from DVC remote `storage`" in out and "this checkout's DVC config" in out


def test_fresh_clone_of_a_bare_repo_whose_head_names_a_missing_branch(
    origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = origin / f"empty-head-{tmp_path.name}"
    sh(origin, "git", "clone", "-q", str(origin / "bare.git"), repo.name)
    monkeypatch.chdir(repo)
    code, out, err = mlops("checkout", "churn@v2.0.0")  # was an IndexError, exit 3
    assert code == 0, err
    assert (repo / "model.txt").read_text() == "two\n"
    assert "Go back with" not in out  # there was nothing checked out to go back to
    # v1.0.0's own config names no remote and this clone has none configured: a clear refusal
    other = origin / f"other-{tmp_path.name}"
    sh(origin, "git", "clone", "-q", str(origin / "bare.git"), other.name)
    monkeypatch.chdir(other)
    code, out, err = mlops("checkout", "churn@v1.0.0")
    assert code == 2
    assert "no DVC remote is configured" in err and "internal error" not in err


def test_unreachable_remote_is_named_and_nothing_changes(fresh: Path, tmp_path: Path) -> None:
    dvc(fresh, "remote", "modify", "--local", "storage", "url", str(tmp_path / "nowhere"))
    before = head(fresh)
    code, _, err = mlops("checkout", "churn@v1.0.0")
    assert code == 2
    assert "DVC remote `storage`" in err and "nowhere" in err and "is unreachable" in err
    assert "nothing was changed" in err and "dvc push" not in err
    assert head(fresh) == before


def test_remote_missing_objects_is_told_apart_from_unreachable(fresh: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    dvc(fresh, "remote", "modify", "--local", "storage", "url", str(tmp_path / "empty"))
    before = head(fresh)
    code, _, err = mlops("checkout", "churn@v1.0.0")
    assert code == 2
    assert "DVC remote `storage`" in err and "does not have the data of model.txt" in err
    assert "unreachable" not in err and "dvc push -r storage" in err
    assert head(fresh) == before


def test_printed_go_back_command_works_after_allow_missing(fresh: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    dvc(fresh, "remote", "modify", "--local", "storage", "url", str(tmp_path / "empty"))
    code, out, err = mlops("checkout", "churn@v1.0.0", "--allow-missing")
    assert code == 0, err
    assert "left missing" in out and "does not have the data" in out
    back = next(line for line in out.splitlines() if line.startswith("Go back with: "))
    assert back == "Go back with: mlops checkout main"
    code, out, err = mlops(*shlex.split(back.removeprefix("Go back with: "))[1:])
    assert code == 0, err
    assert sh(fresh, "git", "symbolic-ref", "--short", "HEAD") == "main"
    assert (fresh / "model.txt").read_text() == "two\n"


def test_back_from_a_commit_without_any_remote_uses_the_target_commits_remote(fresh: Path) -> None:
    # v1.0.0's config names no remote: going back to main uses the one main's config names
    code, out, err = mlops("checkout", "churn@v1.0.0", "--allow-missing")
    assert code == 0, err
    code, out, err = mlops("checkout", "main")
    assert code == 0, err
    assert "from the DVC config at" in out
    assert (fresh / "model.txt").read_text() == "two\n"


def test_checkout_from_a_commit_without_dvc_puts_git_back_when_data_is_nowhere(
    git_repo: Path, tmp_path: Path
) -> None:
    before_dvc = head(git_repo)
    dvc(git_repo, "init", "-q")
    (tmp_path / "remote").mkdir()
    dvc(git_repo, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    (git_repo / "d.txt").write_text("data\n")
    dvc(git_repo, "add", "-q", "d.txt")
    commit_all(git_repo, "dvc")
    sh(git_repo, "rm", "-rf", ".dvc/cache")  # the data is in no cache and was never pushed
    code, _, err = mlops("checkout", before_dvc)
    assert code == 0, err
    code, _, err = mlops("checkout", "main")
    assert code == 2
    assert "does not have the data of d.txt" in err
    assert head(git_repo) == before_dvc  # Git was put back: the refusal changed nothing
    assert not (git_repo / ".dvc" / "config").exists()
