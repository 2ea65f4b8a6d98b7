"""`mlops doc`: pages from the repository, stable bytes, `--check` naming stale pages, and owners."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, invoke, write

PIPELINE = """\
kind: Pipeline
version: 1
desc: Train and evaluate.
owner: ml-team
description: Feeds the weekly retention campaign.
stages:
  prepare:
    desc: Split the raw data.
    owner: data-eng
    cmd: python prepare.py
    deps: [prepare.py, data/raw.csv]
    outs: [data/train.csv]
  check:
    validate: data/train.csv
    rules: rules/train.yaml
  train:
    description: Logistic regression; keep the seed.
    cmd: python train.py
    deps: [train.py, data/train.csv]
    outs: [models/model.pkl]
    metrics:
      - metrics/eval.json: {cache: false}
"""
RULES = """\
kind: Rules
version: 1
owner: data-eng
description: What the trainer assumes about its input.
columns:
  age: {type: integer, min: {value: 18, desc: adults only (legal)}}
"""
PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn:
    path: models/model.pkl
    metrics: metrics/eval.json
    owner: ml-oncall
    description: Scores churn risk.
stages:
  staging:
    gates: [{metric: auc, min: 0.7}]
  production:
    after: staging
    soak: 48h
    review: required
    owner: ml-oncall
"""


@pytest.fixture
def project(git_repo: Path) -> Path:
    write(git_repo, "pipelines/churn.yaml", PIPELINE)
    write(git_repo, "rules/train.yaml", RULES)
    write(git_repo, "promotion.yaml", PROMOTION)
    for source in ("prepare.py", "train.py", "data/raw.csv"):
        write(git_repo, source, "x\n")
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "project")
    return git_repo


def pages(root: Path) -> dict[str, bytes]:
    folder = root / "docs" / "mlops"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.md"))}


def test_pages_say_what_the_repository_says(project: Path) -> None:
    code, out, err = invoke("doc")
    assert code == 0, err
    assert "wrote docs/mlops/pipelines/churn.md" in out and "5 pages changed, 0 unchanged" in out
    churn = (project / "docs/mlops/pipelines/churn.md").read_text()
    assert "Owner: ml-team." in churn and "Feeds the weekly retention campaign." in churn
    assert (
        '```mermaid\nflowchart LR\n  s0["prepare"]\n  s1["check"]\n  s2["train"]\n  s0 --> s1\n  s0 --> s2\n```'
        in churn
    )
    assert "| prepare | data-eng | Split the raw data. |" in churn
    assert "| train | *nobody named* | Logistic regression; keep the seed. |" in churn
    assert "| `data/raw.csv` | prepare | not built yet |" in churn
    assert "| `models/model.pkl` | train | not built yet | churn (latest none yet) |" in churn
    rules = (project / "docs/mlops/rules.md").read_text()
    assert "Owner: data-eng." in rules and "| `age.min` | error | 18 | adults only (legal) |" in rules
    policy = (project / "docs/mlops/promotion.md").read_text()
    assert "`staging` → `production`" in policy and "- Gate: auc >= 0.7." in policy
    assert "It must have stayed in `staging` for at least 48h (soak)." in policy
    assert "needs an approved review" in policy
    index = (project / "docs/mlops/index.md").read_text()
    assert "[Pipeline churn](pipelines/churn.md)" in index and "ml-oncall, ml-team" in index


def test_output_is_stable_and_check_names_stale_pages(project: Path) -> None:
    code, out, _ = invoke("doc", "--check")
    assert code == 1 and "docs/mlops/index.md: stale" in out  # no pages yet
    assert not (project / "docs").exists()
    invoke("doc")
    first = pages(project)
    code, out, _ = invoke("doc")
    assert code == 0 and "0 pages changed, 5 unchanged" in out and pages(project) == first
    code, out, _ = invoke("doc", "--check")
    assert (code, out.strip()) == (0, "5 pages in docs/mlops are up to date")
    write(project, "rules/train.yaml", RULES.replace("owner: data-eng", "owner: quality-team"))
    code, out, err = invoke("doc", "--check")
    assert code == 1 and out.strip() == "docs/mlops/rules.md: stale"
    assert "run `mlops doc`" in err
    assert pages(project) == first  # --check writes nothing


def test_registry_state_and_history_come_from_the_tags(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    env = {**os.environ, "GIT_COMMITTER_DATE": "@1700000000 +0000"}
    for name in ("churn@v0.1.0", "churn#staging#1", "churn#production#2"):
        subprocess.run(["git", "tag", "-a", name, head, "-m", "by hand"], cwd=project, check=True, env=env)
    invoke("doc")
    art = (project / "docs/mlops/artifacts.md").read_text()
    assert "Latest version: v0.1.0." in art and "Owner: ml-oncall." in art
    assert "| production | v0.1.0 | 2023-11-14T22:13:20Z |" in art
    assert "| 2023-11-14T22:13:20Z | assign | v0.1.0 production | Test Committer |" in art


def test_foreign_pages_are_kept_and_old_generated_pages_removed(project: Path) -> None:
    invoke("doc")
    write(project, "docs/mlops/notes.md", "hand-written\n")
    old = (project / "docs/mlops/rules.md").read_text()
    write(project, "docs/mlops/pipelines/old.md", old)
    code, out, _ = invoke("doc", "--check")
    assert code == 1 and out.strip() == "docs/mlops/pipelines/old.md: no longer generated"
    code, out, _ = invoke("doc")
    assert code == 0 and "removed docs/mlops/pipelines/old.md" in out
    assert (project / "docs/mlops/notes.md").read_text() == "hand-written\n"
    write(project, "docs/mlops/rules.md", "mine\n")
    code, _, err = invoke("doc")
    assert code == 2 and "docs/mlops/rules.md exists and was not written by `mlops doc`" in err
    assert (project / "docs/mlops/rules.md").read_text() == "mine\n"


def test_invalid_files_are_refused_with_their_location(project: Path) -> None:
    write(
        project,
        "promotion.yaml",
        PROMOTION.replace("owner: ml-oncall\n    description", "owner: 7\n    description"),
    )
    code, _, err = invoke("doc")
    assert code == 2 and "promotion.yaml:7:12: error" in err
    assert not (project / "docs").exists()


def test_owner_and_description_never_reach_dvc_yaml(project: Path) -> None:
    code, _, err = invoke("compile")
    assert code == 0, err
    dvc_yaml = (project / "dvc.yaml").read_text()
    assert "owner" not in dvc_yaml and "description" not in dvc_yaml and "Split the raw data." in dvc_yaml


@pytest.mark.slow
def test_init_template_documents_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The init template (real git and DVC): owners everywhere lint asks, pages, and the pre-commit hook."""
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("init", "demo")
    assert code == 0, err
    demo = tmp_path / "demo"
    monkeypatch.chdir(demo)
    code, out, _ = invoke("lint")
    assert code == 0 and "warning" not in out, out
    hooks = (demo / ".pre-commit-config.yaml").read_text()
    assert "entry: mlops doc --check" in hooks
    code, out, _ = invoke("doc")
    assert code == 0
    churn = (demo / "docs/mlops/pipelines/churn.md").read_text()
    assert "Owner: ml-team@example.com." in churn and "| `data/raw.csv` | prepare | " in churn
    assert "not built yet |\n" in churn  # the pipeline has not run
    assert "| prepare | data-eng@example.com |" in churn
    assert "owner" not in (demo / "dvc.yaml").read_text()
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "start")
    code, out, _ = invoke("doc", "--check")
    assert code == 0, out


@pytest.mark.parametrize("target", ["../outside", ".", "rules/train.yaml"])
def test_output_outside_the_repository_or_not_a_folder_is_refused(project: Path, target: str) -> None:
    code, _, err = invoke("doc", "-o", target)
    assert code == 2 and f"-o {target}:" in err
    assert not (project.parent / "outside").exists() and not (project / "index.md").exists()


def test_a_repository_without_pipelines_still_documents_its_policy(project: Path) -> None:
    (project / "pipelines/churn.yaml").unlink()
    code, out, err = invoke("doc")
    assert code == 0, err
    assert "4 pages changed" in out and (project / "docs/mlops/promotion.md").is_file()
