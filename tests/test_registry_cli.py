"""End-to-end: `mlops register` and the read commands on a real DVC pipeline in a real Git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops.cli import COMMANDS
from tests.conftest import invoke, tool

DVC = tool("dvc")
if not Path(DVC).exists():
    DVC = shutil.which("dvc") or "dvc"

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    metrics: metrics/eval.json
    training_data: data/raw.csv
  ghost:
    path: models/ghost.pkl
stages:
  staging: {}
  production: {}
"""
TRAIN = """\
import json, os
os.makedirs("models", exist_ok=True)
os.makedirs("metrics", exist_ok=True)
lr = float(open("params.yaml").read().split("lr:")[1].split()[0])
open("models/model.pkl", "w").write("model " + open("data/raw.csv").read() + str(lr))
json.dump({"auc": 0.8 + lr / 10, "slices": {"north": {"auc": 0.7}}}, open("metrics/eval.json", "w"))
"""
DVC_YAML = """\
stages:
  train:
    cmd: python src/train.py
    deps: [src/train.py, data/raw.csv]
    params: [train.lr]
    outs: [models/model.pkl]
    metrics: [{metrics/eval.json: {cache: false}}]
"""


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(list(args), cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, _isolated_home: None) -> Path:
    repo = tmp_path_factory.mktemp("registry-template") / "repo"
    repo.mkdir()
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, DVC, "init", "-q")
    for rel, text in {
        "promotion.yaml": PROMOTION,
        "src/train.py": TRAIN,
        "dvc.yaml": DVC_YAML,
        "data/raw.csv": "a,b\n1,2\n",
        "params.yaml": "train:\n  lr: 0.1\n",
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    sh(repo, DVC, "repro", "-q")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "first run")
    return repo


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(template, target, symlinks=True)
    monkeypatch.chdir(target)
    return target


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def test_register_records_the_snapshot(repo: Path) -> None:
    code, out, err = mlops("register", "churn-model")
    assert code == 0, err
    assert out.startswith("Registered churn-model v0.1.0 on ")
    body = sh(repo, "git", "tag", "-l", "--format=%(contents)", "churn-model@v0.1.0")
    first, blank, block = body.split("\n", 2)
    assert first == "Register churn-model v0.1.0" and blank == ""
    data = json.loads(block)
    lock = sh(repo, "git", "show", "HEAD:dvc.lock")
    assert data["hash"]["md5"] in lock and data["path"] == "models/model.pkl" and data["stage"] == "train"
    assert data["metrics"]["auc"] == pytest.approx(0.81)
    assert data["params"] == {"params.yaml": {"train.lr": 0.1}}
    assert set(data["deps"]) == {"src/train.py", "data/raw.csv"}
    assert data["training_data"]["path"] == "data/raw.csv" and data["training_data"]["md5"]
    assert data["mlops_version"] and data["commit"] == sh(repo, "git", "rev-parse", "HEAD")

    code, out, err = mlops("register", "churn-model", "HEAD", "--json")
    assert code == 2 and "already has v0.1.0 on commit" in err


def test_register_bump_version_and_refusals(repo: Path) -> None:
    assert mlops("register", "churn-model", "-m", "first")[0] == 0
    (repo / "params.yaml").write_text("train:\n  lr: 0.2\n")
    sh(repo, "git", "commit", "-qam", "lr 0.2 without running")
    code, _, err = mlops("register", "churn-model")
    assert code == 2
    assert "dvc.lock at" in err and "is stale: stage train: parameter train.lr is 0.2" in err
    assert "hint: run the pipeline" in err
    sh(repo, DVC, "repro", "-q")
    sh(repo, "git", "commit", "-qam", "run")
    code, _, err = mlops("register", "churn-model", "--version", "v0.1.0")
    assert code == 2 and "churn-model@v0.1.0 is already registered" in err
    code, out, _ = mlops("register", "churn-model", "--bump", "minor", "--json")
    assert code == 0 and json.loads(out)["version"] == "v0.2.0"
    # an older commit: v0.1.0 lives there already
    code, _, err = mlops("register", "churn-model", "HEAD~2", "--version", "v5.0.0")
    assert code == 2 and "already has v0.1.0" in err
    # the stale middle commit is refused whatever the version
    code, _, err = mlops("register", "churn-model", "HEAD~1", "--version", "v5.0.0")
    assert code == 2 and "is stale" in err


def test_register_refusals_for_bad_input(repo: Path) -> None:
    code, _, err = mlops("register", "churn-modle")
    assert code == 2 and "not declared in promotion.yaml" in err and "did you mean `churn-model`" in err
    code, _, err = mlops("register", "ghost")
    assert code == 2 and "models/ghost.pkl is not an output of any stage in dvc.lock" in err
    code, _, err = mlops("register", "churn-model", "no-such-rev")
    assert code == 2 and "unknown revision" in err
    code, _, err = mlops("register", "churn-model", "--version", "1.0")
    assert code == 2 and "not a version such as v1.2.0" in err
    code, _, err = mlops("register", "churn-model", "--version", "v1.0.0", "--bump", "major")
    assert code == 2 and "either --version or --bump" in err
    (repo / "src/train.py").write_text(TRAIN + "# changed\n")
    sh(repo, "git", "commit", "-qam", "edit code")
    code, _, err = mlops("register", "churn-model")
    assert code == 2 and "dependency src/train.py differs from the md5 in dvc.lock" in err
    assert sh(repo, "git", "tag") == ""  # nothing half-written


def test_register_refuses_uncommitted_lock_at_head(repo: Path) -> None:
    (repo / "params.yaml").write_text("train:\n  lr: 0.3\n")
    sh(repo, DVC, "repro", "-q")
    code, _, err = mlops("register", "churn-model")
    assert code == 2 and "dvc.lock has uncommitted changes" in err and "hint: commit dvc.lock first" in err
    assert mlops("register", "churn-model", "HEAD~0")[0] == 2  # same commit, same answer


def test_register_stale_when_lock_missing_or_stage_new(repo: Path) -> None:
    (repo / "dvc.yaml").write_text(DVC_YAML + "  report:\n    cmd: echo hi\n")
    sh(repo, "git", "commit", "-qam", "new stage")
    code, _, err = mlops("register", "churn-model")
    assert code == 2 and "stage report has never run" in err
    sh(repo, "git", "rm", "-q", "dvc.lock")
    sh(repo, "git", "commit", "-qm", "no lock")
    code, _, err = mlops("register", "churn-model")
    assert code == 2 and "dvc.lock is not in that commit" in err


def test_read_commands(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops.registry import write

    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1700000000 +0100")
    assert mlops("register", "churn-model")[0] == 0
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1700000100 +0100")
    write.assign(
        repo,
        "churn-model",
        "v0.1.0",
        "production",
        metadata={
            "pr": 42,
            "merge_commit": "abcdef123",
            "gates": [{"metric": "auc", "passed": True}, {"metric": "lat", "passed": True}],
        },
    )
    code, out, _ = mlops("show")
    assert code == 0
    assert out.splitlines()[0].split() == ["artifact", "latest", "#production"]
    assert out.splitlines()[1].split() == ["churn-model", "v0.1.0", "v0.1.0"]
    code, out, _ = mlops("show", "churn-model", "--json")
    row = json.loads(out)["artifacts"][0]
    assert row["stages"] == {"production": "v0.1.0"} and row["latest"] == "v0.1.0"
    code, out, _ = mlops("versions", "churn-model")
    assert out.splitlines()[1].split()[0] == "v0.1.0" and "production" in out
    code, out, _ = mlops("versions", "churn-model", "--json")
    assert json.loads(out)["versions"][0]["data"]["metrics"]["auc"] == pytest.approx(0.81)
    code, out, _ = mlops("history")
    lines = out.splitlines()
    assert "v0.1.0 -> production" in lines[1] and "PR #42, merge abcdef1, gates 2/2 passed" in lines[1]
    assert "registered v0.1.0" in lines[2]
    code, out, _ = mlops("history", "churn-model", "--json")
    events = json.loads(out)["events"]
    assert [e["event"] for e in events] == ["assign", "register"]
    assert events[0]["data"]["pr"] == 42 and events[0]["date"].endswith("+01:00")
    assert mlops("which", "churn-model", "production") == (0, "v0.1.0\n", "")
    code, out, err = mlops("which", "churn-model", "production", "--back", "1")
    assert (code, out) == (0, "") and "has no version 1 back" in err
    code, out, err = mlops("which", "churn-model", "staging")
    assert (code, out) == (0, "") and "never assigned to stage staging" in err
    code, out, _ = mlops("which", "churn-model", "production", "--json")
    assert json.loads(out)["version"] == "v0.1.0"
    assert mlops("which", "churn-model#production") == (0, "v0.1.0\n", "")
    code, out, err = mlops("which", "churn-model#production~1")
    assert (code, out) == (0, "") and "has no version 1 back" in err
    code, _, err = mlops("which", "churn-model")
    assert code == 2 and "give ARTIFACT STAGE or ARTIFACT#STAGE" in err
    code, _, err = mlops("which", "churn-modle", "production")
    assert code == 2 and "did you mean `churn-model`" in err


def test_deregister_and_deprecate(repo: Path) -> None:
    assert mlops("register", "churn-model")[0] == 0
    code, out, _ = mlops("deregister", "churn-model@v0.1.0", "-m", "leaked labels")
    assert code == 0 and "created tag churn-model@v0.1.0!" in out
    code, _, err = mlops("deregister", "churn-model", "v0.1.0")
    assert code == 2 and "was deregistered" in err
    code, _, err = mlops("deregister", "churn-model", "v3.0.0")
    assert code == 2 and "is not registered" in err
    code, _, err = mlops("deregister", "churn-model")
    assert code == 2 and "give the version" in err
    code, out, _ = mlops("versions", "churn-model")
    assert "(deregistered)" in out
    code, out, _ = mlops("deprecate", "churn-model")
    assert code == 0 and "churn-model@deprecated" in out
    code, _, err = mlops("deprecate", "churn-model")
    assert code == 2 and "already deprecated" in err
    assert "(deprecated)" in mlops("show")[1]
    assert "No registered artifacts" in mlops("show", "--active")[1]
    code, _, err = mlops("deprecate", "nothing")
    assert code == 2 and "has no registry tags" in err


def test_empty_registry_and_not_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_repo: Path
) -> None:
    code, out, _ = mlops("show")
    assert code == 0 and "No registered artifacts yet" in out
    code, out, _ = mlops("history", "--json")
    assert json.loads(out) == {"events": [], "refused": [], "warnings": []}
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    code, _, err = mlops("show")
    assert code == 2 and "not a Git repository" in err


def test_warnings_go_to_stderr(repo: Path) -> None:
    sh(repo, "git", "tag", "-a", "x@created", "-m", "stray")
    code, out, err = mlops("show")
    assert code == 0 and "warning: tag x@created: ignored" in err and "x@created" not in out


@pytest.mark.parametrize(
    "name", ["register", "deregister", "deprecate", "show", "versions", "history", "which"]
)
def test_help_has_examples(name: str) -> None:
    assert COMMANDS[name][0] == "mlops.cli.registry"
    code, out, _ = mlops(name, "--help")
    assert code == 0 and "Examples:\n    mlops " in out


def test_register_push_to_a_bare_origin(repo: Path, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    sh(tmp_path, "git", "init", "-q", "--bare", str(origin))
    sh(repo, "git", "remote", "add", "origin", str(origin))
    code, out, err = mlops("register", "churn-model", "--push")
    assert code == 0, err
    assert out.endswith("and pushed it to origin\n")
    assert sh(origin, "git", "tag") == "churn-model@v0.1.0"
