"""`mlops compile`: golden output, byte stability, --check, refusals, and DVC accepting what we write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mlops.cli import cli
from tests.conftest import git, write

GOLDEN = Path(__file__).parent / "golden" / "pipeline"
TEMPLATES = Path(__file__).parent.parent / "mlops" / "templates"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _mlops(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "mlops", *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def _dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True)


def _copy(source: Path, dest: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file() and path.name != "template.yaml" and "__pycache__" not in path.parts:
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _check_golden(text: str, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text)
    assert golden.exists(), (
        f"{golden} is missing; UPDATE_GOLDEN=1 writes it (a test never writes its own golden)"
    )
    assert text == golden.read_text(), f"compiled output differs from {golden}; UPDATE_GOLDEN=1 to accept"


@pytest.fixture
def features(git_repo: Path) -> Path:
    _copy(GOLDEN / "features", git_repo)
    return git_repo


def test_golden_features(features: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["compile"])
    assert result.exit_code == 0, result.output
    assert (
        "wrote dvc.yaml: 11 stages from pipelines/a_prepare.yaml, pipelines/b_train.yaml, promotion.yaml"
        in result.output
    )
    text = (features / "dvc.yaml").read_text()
    _check_golden(text, "features.dvc.yaml")
    again = runner.invoke(cli, ["compile"])
    assert again.exit_code == 0 and "unchanged: dvc.yaml" in again.output
    assert (features / "dvc.yaml").read_text() == text  # idempotent, byte-stable


def test_golden_default_template(git_repo: Path) -> None:
    _copy(TEMPLATES / "default", git_repo)
    write(git_repo, "data/raw.csv", "x\n")
    result = CliRunner().invoke(cli, ["compile"])
    assert result.exit_code == 0, result.output
    _check_golden((git_repo / "dvc.yaml").read_text(), "default-template.dvc.yaml")


def test_dvc_accepts_the_output(features: Path) -> None:
    from dvc.schema import COMPILED_MULTI_STAGE_SCHEMA

    assert CliRunner().invoke(cli, ["compile"]).exit_code == 0
    data = yaml.safe_load((features / "dvc.yaml").read_text())
    COMPILED_MULTI_STAGE_SCHEMA(data)  # DVC's own dvc.yaml schema (voluptuous); raises when invalid
    git(features, "init", "-q")
    assert _dvc(features, "init", "-q").returncode == 0
    listed = _dvc(features, "stage", "list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    # foreach/matrix stay DVC's own, so DVC generates the names (and dvc.lock keys) it always did
    assert names == [
        "extract@eu",
        "extract@us",
        "merge",
        "check_merged",
        "profile_merged",
        "train@linear-0.1",
        "train@linear-0.01",
        "train@tree-0.1",
        "train@tree-0.01",
        "report",
        "publish",
    ]
    dag = _dvc(features, "dag", "--dot")
    assert dag.returncode == 0, dag.stderr
    assert '"merge" -> "train@tree-0.1"' in dag.stdout
    assert (
        '"check_merged" -> "train@linear-0.01"' in dag.stdout
    )  # consumers of validated data wait for the check


def test_validate_and_profile_stages_compile_to_mlops_commands(features: Path) -> None:
    assert CliRunner().invoke(cli, ["compile"]).exit_code == 0
    stages = yaml.safe_load((features / "dvc.yaml").read_text())["stages"]
    check = stages["check_merged"]
    assert check["cmd"] == (
        "mlops validate data/merged.parquet --rules rules/merged.yaml --report reports/check_merged.json"
    )
    assert check["deps"] == ["data/merged.parquet", "rules/merged.yaml"]
    assert check["metrics"] == [{"reports/check_merged.json": {"cache": False}}]
    assert (
        stages["profile_merged"]["cmd"] == "mlops profile data/merged.parquet -o profiles/profile_merged.json"
    )
    assert "../reports/check_merged.json" in stages["train"]["deps"]


def test_check_reports_a_stale_file_with_a_diff_and_writes_nothing(features: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["compile", "--check"])
    assert result.exit_code == 1
    assert "+stages:" in result.output and "dvc.yaml is stale" in result.output
    assert not (features / "dvc.yaml").exists()
    assert runner.invoke(cli, ["compile"]).exit_code == 0
    result = runner.invoke(cli, ["compile", "--check"])
    assert result.exit_code == 0 and "dvc.yaml is up to date (11 stages)" in result.output
    params = features / "params.yaml"
    params.write_text(params.read_text().replace("epochs: 10", "epochs: 20"))
    before = (features / "dvc.yaml").read_text()
    result = runner.invoke(cli, ["compile", "--check"])
    assert result.exit_code == 1
    assert (
        "---epochs 10" not in result.output
        and "-    cmd: python ../src/train.py --model ${item.model}" in result.output
    )
    assert (features / "dvc.yaml").read_text() == before


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        (
            "stages:\n  a:\n    cmd: echo\n    deps: [b.txt]\n    outs: [a.txt]\n"
            "  b:\n    cmd: echo\n    deps: [a.txt]\n    outs: [b.txt]\n",
            "pipelines/main.yaml:4:3: error: cycle in the pipeline: a -> b -> a",
        ),
        (
            "stages:\n  a:\n    cmd: echo\n    deps: [nowhere.txt]\n",
            "pipelines/main.yaml:6:12: error: dependency `nowhere.txt` is produced by no stage",
        ),
        (
            "stages:\n  a:\n    cmd: echo\n    outs: [x]\n  b:\n    cmd: echo\n    outs: [x]\n",
            "pipelines/main.yaml:9:12: error: `x` is also written by stage `a`",
        ),
        (
            "stages:\n  a:\n    cmd: echo ${nope}\n",
            "pipelines/main.yaml:5:10: error: undefined variable `${nope}`",
        ),
        (
            "stages:\n  a:\n    foreach: ${n}\n    cmd: echo\n",
            "pipelines/main.yaml:5:14: error: `foreach` must be a non-empty list or mapping, not int `3`",
        ),
        (
            "stages:\n  a:\n    cmd: echo\n    dep: [x]\n",
            "pipelines/main.yaml:6:5: error: unknown key `dep` in `stages.a` (did you mean `deps`?)",
        ),
    ],
)
def test_bad_pipelines_are_refused_with_located_errors_and_nothing_written(
    git_repo: Path, pipeline: str, expected: str
) -> None:
    write(git_repo, "params.yaml", "n: 3\n")
    write(git_repo, "pipelines/main.yaml", "kind: Pipeline\nversion: 1\n" + pipeline)
    write(git_repo, "dvc.yaml", "# Generated by `mlops compile` from: old.\nstages: {}\n")
    code, out, err = _mlops("compile")
    assert code == 2, out + err
    assert expected in err
    assert (git_repo / "dvc.yaml").read_text() == "# Generated by `mlops compile` from: old.\nstages: {}\n"
    assert not [p for p in git_repo.iterdir() if p.name.startswith(".dvc.yaml.")]  # no temp file left


def test_a_hand_written_dvc_yaml_is_not_overwritten_without_force(git_repo: Path) -> None:
    write(git_repo, "pipelines/main.yaml", "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: echo\n")
    write(git_repo, "dvc.yaml", "stages:\n  mine:\n    cmd: echo mine\n")
    code, out, err = _mlops("compile")
    assert code == 2
    assert "dvc.yaml was not written by mlops; refusing to overwrite it" in err
    assert "mlops import-dvc" in err and "--force" in err
    assert "mine" in (git_repo / "dvc.yaml").read_text()
    code, out, err = _mlops("compile", "--force")
    assert code == 0, err
    assert (
        (git_repo / "dvc.yaml")
        .read_text()
        .startswith("# Generated by `mlops compile` from: pipelines/main.yaml.")
    )


def test_no_pipeline_files_and_not_a_repository(git_repo: Path, tmp_path: Path) -> None:
    code, _, err = _mlops("compile")
    assert code == 2 and "no pipeline files found (pipelines/*.yaml" in err
    outside = tmp_path / "outside"
    outside.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "mlops", "compile"], cwd=outside, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "not a Git repository" in proc.stderr


@pytest.mark.parametrize("command", ["init", "compile", "import-dvc", "run"])
def test_help_has_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:\n    mlops " in result.output


def test_bytes_do_not_depend_on_hash_seed(features: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        (features / "dvc.yaml").unlink(missing_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "mlops", "compile"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append((features / "dvc.yaml").read_bytes())
    assert outputs[0] == outputs[1]


def test_every_check_of_the_data_a_stage_reads_runs_before_it(git_repo: Path) -> None:
    write(git_repo, "rules/a.yaml", "kind: Rules\nversion: 1\ncolumns:\n  a: {type: integer}\n")
    write(git_repo, "data.csv", "a\n1\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  check_a:
    validate: data.csv
    rules: rules/a.yaml
  check_b:
    validate: ./data.csv
    rules: rules/a.yaml
    report: out/b.json
  use:
    cmd: echo
    wdir: sub
    deps: [../data.csv]
""",
    )
    (git_repo / "sub").mkdir()
    assert CliRunner().invoke(cli, ["compile"]).exit_code == 0
    stages = yaml.safe_load((git_repo / "dvc.yaml").read_text())["stages"]
    assert stages["use"]["deps"] == ["../data.csv", "../reports/check_a.json", "../out/b.json"]
