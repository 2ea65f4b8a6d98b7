"""`mlops diff`: params, metrics with deltas, data hashes, stages and rules between two versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.reproduce.diff import flatten
from tests.conftest import invoke
from tests.test_reproduce_support import clone, commit_all, sh, shared_versions, write


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> tuple[Path, Path]:
    return shared_versions(tmp_path_factory)


@pytest.fixture
def repo(versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = clone(versions[0], tmp_path / "clone")  # empty DVC cache: diff needs none
    monkeypatch.chdir(repo)
    return repo


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def test_text_shows_changed_param_metric_data_and_rules(repo: Path) -> None:
    code, out, err = mlops("diff", "model@v0.1.0", "model@v0.2.0")
    assert code == 0, err
    assert out.startswith("Changes from model@v0.1.0 (")
    lines = out.splitlines()
    assert any(line.split() == ["params.yaml:train.scale", "2", "3"] for line in lines)
    # v1: rows 3, weight 2*2=4, rmse 2.5; v2: rows 5, weight 3*7.2=21.6, rmse 0.462963
    assert any(
        line.split()[:4] == ["metrics/eval.json:rmse", "2.5", "0.462963", "-2.03704"] for line in lines
    )
    assert any(line.split()[:4] == ["metrics/eval.json:rows", "3", "5", "+2"] for line in lines)
    assert any(line.strip().startswith("data/raw.csv") and line.strip().endswith("source") for line in lines)
    assert any(line.strip().startswith("models/model.txt") and "output of train" in line for line in lines)
    assert not any(line.strip().startswith("src/train.py") for line in lines)  # unchanged dependency
    assert any(line.split() == ["rules/raw.yaml:columns.x.max", "120", "100"] for line in lines)
    assert "Stages" not in out


def test_json_and_markdown(repo: Path) -> None:
    code, out, _ = mlops("diff", "model@v0.1.0", "model@v0.2.0", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["a"]["version"] == "v0.1.0" and data["b"]["version"] == "v0.2.0"
    assert {c["key"]: (c["old"], c["new"]) for c in data["params"]} == {"params.yaml:train.scale": (2, 3)}
    rows = {c["key"]: c for c in data["metrics"]}
    assert rows["metrics/eval.json:rows"]["delta"] == 2
    raw = next(c for c in data["data"] if c["key"] == "data/raw.csv")
    assert raw["old"]["md5"] != raw["new"]["md5"] and raw["detail"] == "source"
    assert mlops("diff", "model@v0.1.0", "model@v0.2.0", "--json")[1] == out
    code, out, _ = mlops("diff", "model@v0.1.0", "model@v0.2.0", "--format", "markdown")
    assert code == 0
    assert out.startswith("### Changes from `model@v0.1.0`")
    assert "| `params.yaml:train.scale` | 2 | 3 |" in out
    assert "| `metrics/eval.json:rows` | 3 | 5 | +2 (+66.7%) |" in out


def test_stages_and_defaults(repo: Path) -> None:
    text = (
        (repo / "dvc.yaml")
        .read_text()
        .replace("outs: [models/model.txt]", "outs: [models/model.txt]\n    desc: trains")
    )
    write(repo, "dvc.yaml", text + "  report:\n    cmd: echo hi\n")
    commit_all(repo, "stages")
    code, out, _ = mlops("diff", "model@v0.2.0")  # REF_B defaults to HEAD
    assert code == 0
    assert any(line.split() == ["report", "added"] for line in out.splitlines())
    assert any(line.split() == ["train", "changed:", "desc"] for line in out.splitlines())


def test_same_version_and_unknown_reference(repo: Path) -> None:
    code, out, _ = mlops("diff", "model@v0.2.0", "main")
    assert code == 0 and "No differences" in out
    code, _, err = mlops("diff", "model@v0.1.0", "model@v7.0.0")
    assert code == 2 and "no version v7.0.0" in err
    code, _, err = mlops("diff", "nope", "main")
    assert code == 2 and "unknown" in err


def test_metrics_kept_by_dvc_are_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_reproduce_support import PY, dvc, init_project

    repo = tmp_path / "repo"
    init_project(repo)
    write(repo, "params.yaml", "a: 1\n")
    write(
        repo,
        "m.py",
        "import json\nv = int(open('params.yaml').read().split(':')[1])\n"
        "json.dump({'score': v * 0.25, 'nested': {'n': v}}, open('m.json', 'w'))\n",
    )
    write(
        repo,
        "dvc.yaml",
        f"stages:\n  m:\n    cmd: {PY} m.py\n    deps: [m.py]\n    params: [a]\n    metrics: [m.json]\n",
    )  # cached by DVC, not in Git
    dvc(repo, "repro", "-q")
    commit_all(repo, "a=1")
    write(repo, "params.yaml", "a: 3\n")
    dvc(repo, "repro", "-q")
    commit_all(repo, "a=3")
    monkeypatch.chdir(repo)
    code, out, _ = mlops("diff", "HEAD~1", "HEAD", "--json")
    data = json.loads(out)
    metrics = {c["key"]: (c["old"], c["new"], c["delta"]) for c in data["metrics"]}
    assert metrics == {"m.json:score": (0.25, 0.75, 0.5), "m.json:nested.n": (1, 3, 2)}
    assert sh(repo, "git", "ls-files", "m.json") == ""


def test_flatten_keys_named_lists_by_name() -> None:
    doc = {
        "kind": "Rules",
        "version": 1,
        "checks": [{"name": "b", "expr": "x > 0"}, {"name": "a", "expr": "y"}],
        "columns": {"x": {"allowed": [1, 2]}},
    }
    assert flatten(doc) == {"checks.b.expr": "x > 0", "checks.a.expr": "y", "columns.x.allowed": [1, 2]}


FOREACH = """\
stages:
  t:
    foreach: [a, bb]
    do:
      cmd: python m.py ${item}
      metrics:
        - metrics/${item}.json:
            cache: false
"""


def lock_text(a: str, b: str) -> str:
    return (
        "schema: '2.0'\nstages:\n"
        f"  t@a:\n    cmd: python m.py a\n    outs:\n    - path: metrics/a.json\n      hash: md5\n      md5: {a}\n"
        f"  t@bb:\n    cmd: python m.py bb\n    outs:\n    - path: metrics/bb.json\n      hash: md5\n      md5: {b}\n"
    )


def test_metrics_of_foreach_stages(git_repo: Path) -> None:
    write(git_repo, "dvc.yaml", FOREACH)
    write(git_repo, "dvc.lock", lock_text("1" * 32, "2" * 32))
    write(git_repo, "metrics/a.json", '{"s": 2}')
    write(git_repo, "metrics/bb.json", '{"s": 4}')
    commit_all(git_repo, "one")
    write(git_repo, "dvc.lock", lock_text("3" * 32, "4" * 32))
    write(git_repo, "metrics/a.json", '{"s": 3}')
    write(git_repo, "metrics/bb.json", '{"s": 6}')
    commit_all(git_repo, "two")
    code, out, _ = mlops("diff", "HEAD~1", "HEAD", "--json")
    assert code == 0
    data = json.loads(out)
    assert {c["key"]: c["delta"] for c in data["metrics"]} == {"metrics/a.json:s": 1, "metrics/bb.json:s": 2}
    assert {c["key"]: c["detail"] for c in data["data"]} == {
        "metrics/a.json": "output of t@a",
        "metrics/bb.json": "output of t@bb",
    }


def test_python_api_returns_data(repo: Path) -> None:
    from mlops import api

    result = api.diff("model@v0.1.0", "model@v0.2.0", root=repo)
    assert [(c.key, c.old, c.new) for c in result.params] == [("params.yaml:train.scale", 2, 3)]
    assert result.a.version == "v0.1.0" and not result.empty
