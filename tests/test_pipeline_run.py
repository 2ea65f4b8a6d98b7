"""`mlops init` and `mlops run` end to end: real git, real dvc repro, the offline example project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_cli, write


def _ran(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


@pytest.mark.slow
def test_default_example_runs_reruns_only_affected_stages_and_bad_data_stops_before_train(
    tmp_path: Path,
) -> None:
    init = run_cli("init", "demo", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "compiled dvc.yaml: 6 stages" in init.stdout and "cd demo" in init.stdout
    demo = tmp_path / "demo"
    for rel in [
        "pipelines/churn.yaml",
        "rules/train.yaml",
        "promotion.yaml",
        "registry.yaml",
        "params.yaml",
        ".pre-commit-config.yaml",
        ".github/workflows/pr-gate.yml",
        ".github/workflows/sync.yml",
        ".github/CODEOWNERS",
        ".gitignore",
        "README.md",
        "data/raw.csv.dvc",
        "dvc.yaml",
        ".dvc/config",
    ]:
        assert (demo / rel).is_file(), rel
    assert not (demo / "template.yaml").exists()
    assert run_cli("lint", cwd=demo).returncode == 0
    hooks = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=demo,
        capture_output=True,
        text=True,
    )
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    import yaml

    gate = yaml.safe_load((demo / ".github/workflows/pr-gate.yml").read_text())
    steps = [s.get("run", "") for s in gate["jobs"]["gate"]["steps"]]
    assert "mlops gate --base origin/$BASE --format markdown >> $GITHUB_STEP_SUMMARY" in steps
    assert "mlops sync --push" in (demo / ".github/workflows/sync.yml").read_text()

    first = run_cli("run", cwd=demo)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _ran(first.stdout) == [
        "prepare",
        "check_train",
        "profile_train",
        "train",
        "evaluate",
        "eval-churn-model",
    ]
    metrics = json.loads((demo / "metrics/eval.json").read_text())
    assert 0.6 < metrics["auc"] <= 1 and set(metrics["slices"]) == {"basic", "pro", "enterprise"}
    assert json.loads((demo / "reports/check_train.json").read_text())["passed"] is True
    assert (demo / "profiles/train.json").is_file()
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "first run")

    params = demo / "params.yaml"
    params.write_text(params.read_text().replace("lr: 0.5", "lr: 0.3"))
    second = run_cli("run", cwd=demo)
    assert second.returncode == 0, second.stderr
    assert _ran(second.stdout) == [
        "train",
        "evaluate",
        "eval-churn-model",
    ]  # only the stages that read train.*

    model = (demo / "models/model.pkl").read_bytes()
    subprocess.run(
        [sys.executable, "src/make_data.py", "--rows", "300", "--seed", "1", "--out", "data/raw.csv"],
        cwd=demo,
        check=True,
    )
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data/raw.csv"], cwd=demo, check=True)
    bad = run_cli("run", cwd=demo)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert _ran(bad.stdout) == ["prepare", "check_train"]  # train never starts
    assert (demo / "models/model.pkl").read_bytes() == model
    assert "data validation failed in stage `check_train` (report: reports/check_train.json)" in bad.stderr
    assert "table.rows" in bad.stderr.split("data validation failed")[1]


@pytest.mark.slow
def test_minimal_template_runs_and_run_passes_arguments_to_dvc(tmp_path: Path) -> None:
    proj = tmp_path / "mini"
    assert run_cli("init", str(proj), "--template", "minimal", cwd=tmp_path).returncode == 0
    assert not (proj / "data").exists()
    dry = run_cli("run", "hello", "--", "--dry", cwd=proj)
    assert dry.returncode == 0, dry.stderr
    assert "python src/hello.py" in dry.stdout and not (proj / "outputs/hello.txt").exists()
    unknown = run_cli("run", "helo", cwd=proj)
    assert unknown.returncode == 2 and "no stage named `helo` (did you mean `hello`?)" in unknown.stderr
    # a changed pipeline is compiled before running
    pipeline = proj / "pipelines/main.yaml"
    pipeline.write_text(pipeline.read_text().replace("Replace this stage", "Change this stage"))
    done = run_cli("run", cwd=proj)
    assert done.returncode == 0, done.stderr
    assert (proj / "outputs/hello.txt").read_text() == "hello, world\n"
    assert "Change this stage" in (proj / "dvc.yaml").read_text()


def test_run_without_dvc_or_with_a_broken_pipeline(git_repo: Path) -> None:
    write(git_repo, "pipelines/main.yaml", "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: echo ${x}\n")
    no_dvc = run_cli("run", cwd=git_repo)
    assert no_dvc.returncode == 2 and "not a DVC repository" in no_dvc.stderr
    (git_repo / ".dvc").mkdir()
    broken = run_cli("run", cwd=git_repo)
    assert (
        broken.returncode == 2
        and "pipelines/main.yaml:5:10: error: undefined variable `${x}`" in broken.stderr
    )
    assert not (git_repo / "dvc.yaml").exists()


def test_init_refuses_a_non_empty_folder_and_never_overwrites_with_force(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    write(proj, "README.md", "mine\n")
    refused = run_cli("init", str(proj), "--template", "minimal", cwd=tmp_path)
    assert (
        refused.returncode == 2
        and "is not empty (README.md)" in refused.stderr
        and "--force" in refused.stderr
    )
    assert not (proj / ".git").exists()
    forced = run_cli("init", str(proj), "--template", "minimal", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "kept 1 existing file: README.md" in forced.stdout
    assert (proj / "README.md").read_text() == "mine\n"
    assert (proj / "pipelines/main.yaml").is_file() and (proj / ".dvc").is_dir() and (proj / ".git").is_dir()


def test_init_errors(tmp_path: Path, git_repo: Path) -> None:
    unknown = run_cli("init", str(tmp_path / "x"), "--template", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "no template `nope`; available: default, minimal" in unknown.stderr
    nested = run_cli("init", "sub", cwd=git_repo)
    assert nested.returncode == 2 and "is inside the Git repository" in nested.stderr
    a_file = write(tmp_path, "file.txt", "x")
    assert run_cli("init", str(a_file), cwd=tmp_path).returncode == 2


def test_init_creates_the_protected_branch_whatever_gits_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI machines and old Git default to `master`; the template's promotion policy protects `main`."""
    empty = tmp_path / "gitconfig"
    empty.write_text("[user]\n\tname = T\n\temail = t@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    proj = tmp_path / "p"
    made = run_cli("init", str(proj), "--template", "minimal", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert git(proj, "symbolic-ref", "--short", "HEAD").strip() == "main"
