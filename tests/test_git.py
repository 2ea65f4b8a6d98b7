"""mlops.git, the one gateway to git: pre-commit's environment keep-list, bytes, one batch reader, one root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops import git as mgit
from mlops.errors import GitError
from tests.conftest import git, write


def test_keep_list_drops_hook_variables_and_keeps_transport_and_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {
        "GIT_DIR": "/elsewhere/.git",
        "GIT_INDEX_FILE": "/tmp/index",
        "GIT_WORK_TREE": "/x",
        "GIT_SSL_CAINFO": "/etc/ca.pem",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "a.b",
        "GIT_CONFIG_VALUE_0": "c",
        "GIT_SSH_COMMAND": "ssh -i k",
        "GIT_ASKPASS": "/bin/pass",
    }.items():
        monkeypatch.setenv(key, value)
    env = mgit.clean_env()
    assert not {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"} & set(env)
    assert env["GIT_SSL_CAINFO"] == "/etc/ca.pem" and env["GIT_SSH_COMMAND"] == "ssh -i k"
    assert (env["GIT_CONFIG_COUNT"], env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_VALUE_0"]) == ("1", "a.b", "c")
    assert env["GIT_AUTHOR_NAME"] == "Test Author" and env["GIT_TERMINAL_PROMPT"] == "0"


def test_config_passed_through_the_environment_reaches_git(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "mlops.probe")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "seen")
    assert mgit.output(["config", "--get", "mlops.probe"], git_repo).strip() == "seen"


def test_git_dir_from_a_hook_does_not_redirect_mlops(tmp_path: Path, git_repo: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    git(other, "commit", "-q", "--allow-empty", "-m", "other")
    git(other, "tag", "-a", "elsewhere@v1.0.0", "-m", "not this repository")
    git(git_repo, "tag", "-a", "here@v1.0.0", "-m", "this repository")
    env = {**os.environ, "GIT_DIR": str(other / ".git"), "GIT_INDEX_FILE": str(other / ".git" / "index")}
    proc = subprocess.run(
        [sys.executable, "-m", "mlops", "show", "--json"],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert [a["artifact"] for a in json.loads(proc.stdout)["artifacts"]] == ["here"]


def test_dvc_runs_with_the_same_keep_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops.pipeline.runner import dvc_env

    monkeypatch.setenv("GIT_DIR", "/elsewhere/.git")
    monkeypatch.setenv("GIT_SSL_CAINFO", "/etc/ca.pem")
    env = dvc_env()
    assert "GIT_DIR" not in env and env["GIT_SSL_CAINFO"] == "/etc/ca.pem"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_cat_file_batch_reads_bytes_and_tells_missing_from_folders(git_repo: Path) -> None:
    blob = b"line\n\x00binary\nmore"
    (git_repo / "data.bin").write_bytes(blob)
    write(git_repo, "folder/x.txt", "x")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "files")
    got = mgit.cat_file_batch(git_repo, ["HEAD:data.bin", "HEAD:folder", "HEAD:missing", "HEAD:README.md"])
    assert got == [blob, None, None, b"test\n"]
    assert mgit.show_file("HEAD", "data.bin", git_repo) == blob
    with pytest.raises(GitError):
        mgit.cat_file_batch(git_repo, ["HEAD:a\nHEAD:b"])


def test_errors_name_the_command_and_options_never_pass_as_values(git_repo: Path) -> None:
    with pytest.raises(GitError, match="git rev-parse failed"):
        mgit.run(["rev-parse", "--verify", "no-such"], git_repo)
    from mlops.errors import UnknownReference

    with pytest.raises(UnknownReference, match="unknown revision `--output=x`"):
        mgit.resolve_commit("--output=x", git_repo)
    assert not (git_repo / "x").exists()


def test_one_root_finder(git_repo: Path, tmp_path: Path) -> None:
    from mlops.api.registry import _root
    from mlops.config.project import find_root

    (git_repo / "a" / "b").mkdir(parents=True)
    assert find_root(git_repo / "a" / "b") == mgit.find_root(git_repo / "a" / "b") == git_repo.resolve()
    assert _root(None) == git_repo.resolve()
    with pytest.raises(GitError, match="not a Git repository"):
        mgit.find_root(tmp_path)


def test_the_registry_lock_is_reentrant_within_a_process(git_repo: Path) -> None:
    from mlops.registry.write import registry_lock

    with registry_lock(git_repo), registry_lock(git_repo):
        assert (git_repo / ".git" / "mlops-registry.lock").exists()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fcntl,sys; f=open(sys.argv[1],'a+b'); "
            "fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)",
            str(git_repo / ".git" / "mlops-registry.lock"),
        ],
        capture_output=True,
    )
    assert probe.returncode == 0  # released after the outer block
