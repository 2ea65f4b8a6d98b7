"""`mlops get` and `mlops.api.open/get`: an artifact's bytes at a version or stage, from the local DVC cache
or the remote, inside a clone and from anywhere with --repo; folder outputs; the errors a user reads."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.test_reproduce_support import commit_all, dvc, init_project, sh, write

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn:
    path: model.bin
    type: model
  images:
    path: shards
    type: dataset
stages:
  production: {}
  staging: {}
"""
DVC_YAML = """\
stages:
  train:
    cmd: cp data.txt model.bin && mkdir -p shards/a && cp data.txt shards/a/one.txt && echo two > shards/two.txt
    deps: [data.txt]
    outs: [model.bin, shards]
"""

mlops = invoke


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> Path:
    """churn v1.0.0 (in production) and v2.0.0 (latest, in staging), both pushed to a local-directory
    remote given by absolute path; a bare copy of the repository."""
    from mlops.api.registry import register
    from mlops.registry import write as tags

    base = tmp_path_factory.mktemp("get")
    repo = base / "origin"
    init_project(repo, base / "remote")
    write(repo, "promotion.yaml", PROMOTION)
    write(repo, "dvc.yaml", DVC_YAML)
    for version, data in (("v1.0.0", "one\n"), ("v2.0.0", "two\n")):
        write(repo, "data.txt", data)
        dvc(repo, "repro", "-q")
        commit_all(repo, f"train {version}")
        register("churn", version=version, root=repo)
        register("images", version=version, root=repo)
        dvc(repo, "push", "-q")
    tags.assign(repo, "churn", "v1.0.0", "production")
    tags.assign(repo, "churn", "v2.0.0", "staging")
    sh(base, "git", "clone", "-q", "--bare", str(repo), str(base / "bare.git"))
    return base


@pytest.fixture
def fresh(origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone: tags, no DVC cache."""
    repo = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(origin / "bare.git"), str(repo))
    monkeypatch.chdir(repo)
    return repo


def test_stage_version_and_latest_from_the_remote_in_a_fresh_clone(fresh: Path) -> None:
    code, out, err = mlops("get", "churn#production", "-o", "prod.bin")
    assert code == 0, err
    assert (fresh / "prod.bin").read_text() == "one\n"
    assert "churn v1.0.0" in out and "model.bin" in out
    assert mlops("get", "churn@latest", "-o", "latest.bin")[0] == 0
    assert (fresh / "latest.bin").read_text() == "two\n"
    assert mlops("get", "churn@v1.0.0", "-o", "v1.bin")[0] == 0
    assert (fresh / "v1.bin").read_text() == "one\n"
    assert not (fresh / "model.bin").exists()  # nothing checked out


def test_rev_path_and_plain_path_with_rev(fresh: Path) -> None:
    code, _, err = mlops("get", "churn@v2.0.0:shards/a/one.txt", "-o", "one.txt")
    assert code == 0, err
    assert (fresh / "one.txt").read_text() == "two\n"
    code, _, err = mlops("get", "model.bin", "--rev", "churn@v1.0.0", "-o", "m.bin")
    assert code == 0, err
    assert (fresh / "m.bin").read_text() == "one\n"
    code, _, err = mlops("get", "HEAD:promotion.yaml", "-o", "p.yaml")  # a file Git tracks
    assert code == 0, err
    assert (fresh / "p.yaml").read_text() == PROMOTION


def test_folder_output_is_copied_whole(fresh: Path) -> None:
    code, _, err = mlops("get", "images@v1.0.0", "-o", "out")
    assert code == 0, err
    assert (fresh / "out" / "a" / "one.txt").read_text() == "one\n"
    assert (fresh / "out" / "two.txt").read_text() == "two\n"


def test_repo_from_a_plain_folder_outside_any_repository(origin: Path, tmp_path: Path) -> None:
    from mlops import api

    plain = tmp_path / "plain"
    plain.mkdir()
    out = plain / "model.bin"
    result = api.get("churn#staging", out, repo=str(origin / "bare.git"))
    assert out.read_text() == "two\n" and result["version"] == "v2.0.0"
    with api.open("churn#production", repo=str(origin / "bare.git")) as handle:
        assert handle.read() == b"one\n"
    with api.open("churn@v2.0.0:shards/a/one.txt", repo=str(origin / "origin"), mode="r") as text:
        assert text.read() == "two\n"
    code, _, err = mlops("get", "churn#production", "--repo", f"file://{origin / 'bare.git'}", "-o", str(out))
    assert code == 0, err
    assert out.read_text() == "one\n"


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        ("nochurn#production", "unknown artifact `nochurn`"),
        ("churn#prod", "never assigned to stage prod"),
        ("churn@v9.9.9", "has no version v9.9.9"),
        ("HEAD:missing.bin", "missing.bin is neither in Git nor tracked by DVC"),
        ("churn", "names no version"),
    ],
)
def test_unknown_references_exit_2_naming_them(fresh: Path, ref: str, said: str) -> None:
    code, _, err = mlops("get", ref)
    assert code == 2
    assert said in err


def test_unreachable_remote_exits_2_naming_the_remote(fresh: Path, tmp_path: Path) -> None:
    dvc(fresh, "remote", "modify", "--local", "storage", "url", str(tmp_path / "gone"))
    code, _, err = mlops("get", "churn#production")
    assert code == 2
    assert "DVC remote `storage`" in err and "gone" in err
    assert "Traceback" not in err


def test_bad_repo_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = mlops("get", "churn#production", "--repo", str(tmp_path / "nowhere"))
    assert code == 2
    assert "cannot clone the repository" in err


def test_local_cache_is_read_without_the_remote(origin: Path, tmp_path: Path) -> None:
    """In the origin (cache filled), a missing remote does not matter: the cache answers."""
    repo = tmp_path / "copy"
    shutil.copytree(origin / "origin", repo, symlinks=True)
    dvc(repo, "remote", "modify", "--local", "storage", "url", str(tmp_path / "gone"))
    code, _, err = mlops("get", "churn#production", "--repo", str(repo), "-o", str(tmp_path / "m.bin"))
    assert code == 0, err
    digest = hashlib.md5((tmp_path / "m.bin").read_bytes()).hexdigest()  # noqa: S324
    assert digest == hashlib.md5(b"one\n").hexdigest()  # noqa: S324


@pytest.mark.parametrize("relpath", ["../evil.txt", "/etc/evil", "a/../../evil"])
def test_folder_listing_naming_a_path_outside_is_refused(tmp_path: Path, relpath: str) -> None:
    """A `.dir` listing comes from a remote anyone with push rights fills: it never writes outside -o."""
    import json

    from mlops.errors import InputError
    from mlops.serving.fetch import _listing

    md5 = "ab" + "c" * 30 + ".dir"
    cache = tmp_path / ".dvc" / "cache" / "files" / "md5" / md5[:2]
    cache.mkdir(parents=True)
    (cache / md5[2:]).write_text(json.dumps([{"relpath": relpath, "md5": "d" * 32}]))
    with pytest.raises(InputError, match="outside its folder"):
        _listing(tmp_path, md5)
