"""`mlops reproduce`: a deterministic version rebuilds to the bytes its dvc.lock records; a stage with
unseeded randomness is caught; the temporary worktree goes away unless --keep."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.test_reproduce_support import PY, clone, commit_all, dvc, init_project, sh, shared_versions, write


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> tuple[Path, Path]:
    return shared_versions(tmp_path_factory)


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def worktrees(repo: Path) -> list[str]:
    return [
        line
        for line in sh(repo, "git", "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def cache_files_paths(repo: Path) -> list[Path]:
    return [p for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file()]


def cache_files(repo: Path) -> set[str]:
    return {str(p) for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file()}


def leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("mlops-reproduce-*")}


def test_deterministic_version_reproduces_from_a_fresh_clone(
    versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = clone(versions[0], tmp_path / "clone")  # empty cache: the source data comes from the remote
    monkeypatch.chdir(repo)
    before = leftovers()
    code, out, err = mlops("reproduce", "model@v0.1.0")
    assert code == 0, err + out
    assert "re-ran 2 stage(s) (prepare, train)" in out
    for path in ("data/clean.csv", "models/model.txt", "metrics/eval.json"):
        assert f"reproduced  {path}" in out
    assert "Reproducible: all 3 output(s) match" in out
    assert len(worktrees(repo)) == 1 and leftovers() == before
    assert sh(repo, "git", "status", "--porcelain") == ""
    # only the source data came from the remote: the outputs were rebuilt, not downloaded
    raw = sh(repo, "git", "show", "model@v0.1.0:data/raw.csv.dvc").split("md5: ")[1].split()[0]
    assert {p.parent.name + p.name for p in cache_files_paths(repo)} == {raw}
    assert sh(repo, "git", "branch", "--show-current") == "main"


def test_json_and_keep(versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = clone(versions[0], tmp_path / "clone")
    monkeypatch.chdir(repo)
    code, out, err = mlops("reproduce", "model@latest", "--keep", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["version"] == "v0.2.0"
    assert {o["path"] for o in data["outputs"]} == {"data/clean.csv", "models/model.txt", "metrics/eval.json"}
    kept = Path(data["kept"])
    assert (kept / "models" / "model.txt").is_file() and Path(data["log"]).is_file()
    assert "Running stage 'train'" in Path(data["log"]).read_text()
    assert len(worktrees(repo)) == 2
    sh(repo, "git", "worktree", "remove", "--force", str(kept))


UNSEEDED = """\
import os, random
os.makedirs("models", exist_ok=True)
open("models/model.txt", "w").write(str(random.random()))
"""


def test_unseeded_randomness_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    init_project(repo)
    write(repo, "src/train.py", UNSEEDED)
    write(
        repo,
        "src/count.py",
        "import os\nos.makedirs('out', exist_ok=True)\n"
        "open('out/n.txt', 'w').write('3')\nopen('out/m.txt', 'w').write('4')\n",
    )
    write(
        repo,
        "dvc.yaml",
        f"stages:\n  train:\n    cmd: {PY} src/train.py\n    deps: [src/train.py]\n"
        f"    outs: [models/model.txt]\n  count:\n    cmd: {PY} src/count.py\n    deps: [src/count.py]\n"
        "    outs: [out]\n",
    )
    dvc(repo, "repro", "-q")
    commit_all(repo, "unseeded")
    monkeypatch.chdir(repo)
    cache_before = cache_files(repo)
    code, out, err = mlops("reproduce", "HEAD")
    assert code == 1, err + out
    assert "DIFFERS     models/model.txt" in out
    assert "reproduced  out " in out  # a directory output that does reproduce
    assert "Not reproducible: 1 of 2 output(s) differ" in out
    assert cache_files(repo) == cache_before  # a rebuild that does not reproduce leaves nothing in the cache
    assert len(worktrees(repo)) == 1


@pytest.mark.slow
def test_directory_output_names_the_differing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    init_project(repo)
    write(
        repo,
        "src/gen.py",
        "import os, random\nos.makedirs('out', exist_ok=True)\n"
        "open('out/fixed.txt', 'w').write('1')\nopen('out/noise.txt', 'w').write(str(random.random()))\n",
    )
    write(
        repo,
        "dvc.yaml",
        f"stages:\n  gen:\n    cmd: {PY} src/gen.py\n    deps: [src/gen.py]\n    outs: [out]\n",
    )
    dvc(repo, "repro", "-q")
    commit_all(repo, "dir")
    monkeypatch.chdir(repo)
    code, out, err = mlops("reproduce", "HEAD")
    assert code == 1
    assert "files that differ: noise.txt" in out


@pytest.mark.slow
def test_failing_pipeline_exits_1_with_dvc_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    init_project(repo)
    write(repo, "src/train.py", "open('model.txt', 'w').write('m')\n")
    write(
        repo,
        "dvc.yaml",
        f"stages:\n  train:\n    cmd: {PY} src/train.py\n    deps: [src/train.py]\n    outs: [model.txt]\n",
    )
    dvc(repo, "repro", "-q")
    commit_all(repo, "works")
    write(repo, "src/train.py", "raise SystemExit('boom')\n")
    commit_all(repo, "broken script, stale lock")  # the lock still says the old hash
    monkeypatch.chdir(repo)
    code, out, err = mlops("reproduce", "HEAD", "-v")
    assert code == 1
    assert "`dvc repro` failed while rebuilding HEAD" in err
    assert "Running stage 'train'" in err and "boom" in err  # -v streams dvc's output
    assert len(worktrees(repo)) == 1


def test_cannot_proceed_cases(git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = mlops("reproduce", "HEAD")
    assert code == 2 and "not a DVC repository" in err
    repo = tmp_path / "dvc-only"
    init_project(repo)
    commit_all(repo, "empty")
    monkeypatch.chdir(repo)
    code, _, err = mlops("reproduce", "HEAD")
    assert code == 2 and "no pipeline stages" in err
    code, _, err = mlops("reproduce", "nope@v1.0.0")
    assert code == 2 and "unknown" in err


@pytest.mark.slow
def test_example_project_reproduces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = mlops("init", "demo")
    assert code == 0, err
    repo = tmp_path / "demo"
    monkeypatch.chdir(repo)
    code, out, err = mlops("run")
    assert code == 0, err + out
    commit_all(repo, "Start from mlops init")
    code, out, err = mlops("reproduce", "HEAD")
    assert code == 0, err + out
    assert "Reproducible: all" in out and "models/model.pkl" in out


@pytest.mark.slow
def test_stage_missing_from_the_lock_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    init_project(repo)
    write(repo, "dvc.yaml", "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n")
    dvc(repo, "repro", "-q")
    commit_all(repo, "a")
    write(
        repo,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n"
        "  b:\n    cmd: echo b > b.txt\n    outs: [b.txt]\n",
    )
    commit_all(repo, "b added, never run")
    monkeypatch.chdir(repo)
    code, out, err = mlops("reproduce", "HEAD", "--json")
    assert code == 1
    statuses = {o["path"]: o["status"] for o in json.loads(out)["outputs"]}
    assert statuses == {"a.txt": "reproduced", "b.txt": "unrecorded"}


def test_python_api_from_outside_the_repository(versions: tuple[Path, Path], tmp_path: Path) -> None:
    import mlops.api.reproduce  # noqa: F401 - once imported, the module shadows a function of its name
    from mlops import api

    repo = clone(versions[0], tmp_path / "clone")  # cwd stays elsewhere: the targeted fetch falls back
    result = api.reproduce_version("model@v0.1.0", root=repo)
    assert result.ok and [o.status for o in result.outputs] == ["reproduced"] * 3
    assert api.checkout("model@v0.1.0", root=repo).version == "v0.1.0"
