"""`mlops checkout`: a version's commit and its exact bytes, from a fresh clone with an empty DVC cache and a
local-directory DVC remote; refusals change nothing; interrupted runs finish when run again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops.cli import cli
from tests.conftest import invoke
from tests.test_reproduce_support import clone, dvc, md5, sh, shared_versions


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> tuple[Path, Path]:
    return shared_versions(tmp_path_factory)


@pytest.fixture(scope="session")
def bytes_at(
    versions: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, str]]:
    """md5 of every DVC-tracked file at v0.1.0 and v0.2.0, read from the origin's own checkouts."""
    origin, _ = versions
    work = clone(origin, tmp_path_factory.mktemp("reference") / "repo")
    shutil.copytree(origin / ".dvc" / "cache", work / ".dvc" / "cache")
    found = {}
    for version in ("v0.1.0", "v0.2.0"):
        sh(work, "git", "checkout", "-q", "--detach", f"model@{version}")
        dvc(work, "checkout", "-q")
        found[version] = {p: md5(work / p) for p in ("data/raw.csv", "data/clean.csv", "models/model.txt")}
    assert found["v0.1.0"] != found["v0.2.0"]
    return found


@pytest.fixture
def fresh(versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone of the origin: tags present, DVC cache empty, the remote configured in .dvc/config."""
    repo = clone(versions[0], tmp_path / "clone")
    monkeypatch.chdir(repo)
    return repo


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def head(repo: Path) -> str:
    return sh(repo, "git", "rev-parse", "HEAD")


def tag_commit(repo: Path, tag: str) -> str:
    return sh(repo, "git", "rev-parse", f"{tag}^{{commit}}")


def data_md5s(repo: Path) -> dict[str, str]:
    return {p: md5(repo / p) for p in ("data/raw.csv", "data/clean.csv", "models/model.txt")}


def test_fresh_clone_restores_v1_bytes_exactly(fresh: Path, bytes_at: dict[str, dict[str, str]]) -> None:
    assert not (fresh / ".dvc" / "cache").exists()
    code, out, err = mlops("checkout", "model@v0.1.0")
    assert code == 0, err
    assert head(fresh) == tag_commit(fresh, "model@v0.1.0")
    assert data_md5s(fresh) == bytes_at["v0.1.0"]
    assert "Checked out model@v0.1.0" in out
    assert "Downloaded from DVC remote `storage`" in out and "models/model.txt" in out
    assert "added     data/raw.csv" in out
    # and forward again to v2, then back by branch name
    code, out, err = mlops("checkout", "model@latest")
    assert code == 0, err
    assert data_md5s(fresh) == bytes_at["v0.2.0"]
    assert "modified  data/raw.csv" in out
    code, out, err = mlops("checkout", "main")
    assert code == 0, err
    assert sh(fresh, "git", "branch", "--show-current") == "main"


def test_json_output(fresh: Path) -> None:
    code, out, err = mlops("checkout", "model@v0.1.0", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["artifact"] == "model" and data["version"] == "v0.1.0"
    assert data["previous"] == "main"
    paths = {r["path"]: r for r in data["restored"]}
    assert set(paths) == {"data/raw.csv", "data/clean.csv", "models/model.txt"}
    assert paths["data/raw.csv"]["size"] == (fresh / "data/raw.csv").stat().st_size
    assert data["restored_bytes"] == sum(r["size"] for r in data["restored"])
    assert sorted(data["fetched"]) == ["data/clean.csv", "data/raw.csv", "models/model.txt"]


def test_dirty_git_tree_is_refused_and_nothing_lost(fresh: Path) -> None:
    before = head(fresh)
    (fresh / "params.yaml").write_text("train:\n  scale: 99\n")
    code, out, err = mlops("checkout", "model@v0.1.0")
    assert code == 2
    assert "uncommitted changes" in err and "params.yaml" in err and "git stash" in err
    assert head(fresh) == before
    assert (fresh / "params.yaml").read_text() == "train:\n  scale: 99\n"


def test_unsaved_dvc_data_is_refused_and_nothing_lost(fresh: Path) -> None:
    assert mlops("checkout", "main")[0] == 0  # data in place
    before = head(fresh)
    (fresh / "data" / "raw.csv").write_text("x\n42\n")  # DVC-tracked, so Git sees nothing
    assert sh(fresh, "git", "status", "--porcelain") == ""
    code, out, err = mlops("checkout", "model@v0.1.0")
    assert code == 2
    assert "DVC-tracked" in err and "data/raw.csv" in err
    assert head(fresh) == before
    assert (fresh / "data" / "raw.csv").read_text() == "x\n42\n"


def test_unknown_reference(fresh: Path) -> None:
    code, _, err = mlops("checkout", "model@v9.9.9")
    assert code == 2 and "no version v9.9.9" in err
    code, _, err = mlops("checkout", "no-such-branch")
    assert code == 2 and "unknown" in err


def test_data_nowhere_to_be_found_changes_nothing(fresh: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-remote"
    empty.mkdir()
    dvc(fresh, "remote", "modify", "--local", "storage", "url", str(empty))
    before = head(fresh)
    code, _, err = mlops("checkout", "model@v0.1.0")
    assert code == 2
    assert "does not have the data of" in err and "nothing was changed" in err
    assert head(fresh) == before
    code, out, err = mlops("checkout", "model@v0.1.0", "--allow-missing")
    assert code == 0, err
    assert head(fresh) == tag_commit(fresh, "model@v0.1.0")
    assert "left missing" in out


def test_interrupted_between_git_and_dvc_with_partial_cache_completes(
    fresh: Path, versions: tuple[Path, Path], bytes_at: dict[str, dict[str, str]]
) -> None:
    # as if a run was stopped mid-download, after moving HEAD: one object in the cache, HEAD already there
    _, remote = versions
    objects = sorted(p for p in (remote / "files" / "md5").rglob("*") if p.is_file())
    first = objects[0]
    target = fresh / ".dvc" / "cache" / first.relative_to(remote)
    target.parent.mkdir(parents=True)
    shutil.copy2(first, target)
    sh(fresh, "git", "checkout", "-q", "--detach", "model@v0.1.0")
    code, out, err = mlops("checkout", "model@v0.1.0")
    assert code == 0, err
    assert data_md5s(fresh) == bytes_at["v0.1.0"]
    # running it again is a no-op
    code, out, err = mlops("checkout", "model@v0.1.0")
    assert code == 0, err
    assert "nothing to restore" in out


def test_worktree_leaves_current_tree_untouched_and_shares_cache(
    fresh: Path, tmp_path: Path, bytes_at: dict[str, dict[str, str]]
) -> None:
    assert mlops("checkout", "main")[0] == 0
    before, before_bytes = head(fresh), data_md5s(fresh)
    objects_before = sorted(p.name for p in (fresh / ".dvc" / "cache").rglob("*") if p.is_file())
    target = tmp_path / "v1"
    code, out, err = mlops("checkout", "model@v0.1.0", "--worktree", str(target))
    assert code == 0, err
    assert f"in worktree {target}" in out and "git worktree remove" in out
    assert head(fresh) == before and data_md5s(fresh) == before_bytes
    assert head(target) == tag_commit(fresh, "model@v0.1.0")
    assert data_md5s(target) == bytes_at["v0.1.0"]
    assert str(fresh / ".dvc" / "cache") in dvc(target, "cache", "dir")
    assert not (target / ".dvc" / "cache").exists()
    # v1's objects came into the one shared cache
    objects_after = sorted(p.name for p in (fresh / ".dvc" / "cache").rglob("*") if p.is_file())
    assert set(objects_before) < set(objects_after)


def test_worktree_interrupted_before_data_completes(
    fresh: Path, tmp_path: Path, bytes_at: dict[str, dict[str, str]]
) -> None:
    target = tmp_path / "v1"
    sh(fresh, "git", "worktree", "add", "-q", "--detach", str(target), "model@v0.1.0")
    code, out, err = mlops("checkout", "model@v0.1.0", "--worktree", str(target))
    assert code == 0, err
    assert data_md5s(target) == bytes_at["v0.1.0"]


def test_worktree_refuses_an_existing_folder(fresh: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "file.txt").write_text("mine")
    code, _, err = mlops("checkout", "model@v0.1.0", "--worktree", str(target))
    assert code == 2 and "not an empty folder" in err
    assert (target / "file.txt").read_text() == "mine"


def test_plain_git_repository_without_dvc(git_repo: Path) -> None:
    first = head(git_repo)
    (git_repo / "a.txt").write_text("a")
    sh(git_repo, "git", "add", "a.txt")
    sh(git_repo, "git", "commit", "-q", "-m", "a")
    code, out, err = mlops("checkout", first)
    assert code == 0, err
    assert head(git_repo) == first and not (git_repo / "a.txt").exists()


def test_help_has_examples() -> None:
    for command in ("checkout", "reproduce", "diff"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Examples:" in result.output


def test_untracked_file_in_the_way_is_refused(git_repo: Path) -> None:
    first = head(git_repo)
    (git_repo / "a.txt").write_text("committed")
    sh(git_repo, "git", "add", "a.txt")
    sh(git_repo, "git", "commit", "-q", "-m", "a")
    second = head(git_repo)
    sh(git_repo, "git", "checkout", "-q", first)
    (git_repo / "a.txt").write_text("mine, untracked")
    code, _, err = mlops("checkout", second)
    assert code == 2
    assert "untracked files would be overwritten by the checkout: a.txt" in err
    assert (git_repo / "a.txt").read_text() == "mine, untracked" and head(git_repo) == first


def test_commit_from_before_dvc_init_and_back(git_repo: Path) -> None:
    before_dvc = head(git_repo)
    dvc(git_repo, "init", "-q")
    (git_repo / "d.txt").write_text("data\n")
    dvc(git_repo, "add", "-q", "d.txt")
    sh(git_repo, "git", "add", "-A")
    sh(git_repo, "git", "commit", "-q", "-m", "dvc")
    code, out, err = mlops("checkout", before_dvc)
    assert code == 0, err
    assert "predates DVC" in out and "nothing to restore" not in out
    assert not (git_repo / ".dvc" / "config").exists()
    (git_repo / "d.txt").unlink()
    code, out, err = mlops("checkout", "main")
    assert code == 0, err
    assert (git_repo / "d.txt").read_text() == "data\n" and "added     d.txt" in out


@pytest.mark.slow
def test_benchmark_smoke() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "checkout.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--runs", "1", "--mb", "1", "--files", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ratio mlops / (git + dvc checkout):" in proc.stdout


def test_stage_references(fresh: Path, bytes_at: dict[str, dict[str, str]]) -> None:
    from mlops.registry.write import assign

    assign(fresh, "model", "v0.1.0", "staging")
    assign(fresh, "model", "v0.2.0", "staging")
    code, out, err = mlops("checkout", "model#staging~1")
    assert code == 0, err
    assert data_md5s(fresh) == bytes_at["v0.1.0"]
    assert "Checked out model#staging~1 (model@v0.1.0, " in out
    code, _, err = mlops("checkout", "model#staging")
    assert code == 0, err
    assert data_md5s(fresh) == bytes_at["v0.2.0"]


def test_console_script_exit_codes(git_repo: Path) -> None:
    from tests.conftest import run_cli

    proc = run_cli("checkout", "no-such-ref", cwd=git_repo)
    assert proc.returncode == 2 and proc.stderr.startswith("mlops: error: unknown revision `no-such-ref`")
    proc = run_cli("diff", "HEAD", "HEAD", "--format", "markdown", cwd=git_repo)
    assert proc.returncode == 0 and "No differences" in proc.stdout
