"""Cross-file pipeline checks (shared by lint and compile): every problem located where it is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlops.config import load_project
from mlops.pipeline.checks import check_pipelines, pipeline_outputs
from mlops.pipeline.load import read_pipelines
from tests.conftest import git, write


def _check(root: Path) -> list[str]:
    project = load_project(root)
    return [f.render() for f in check_pipelines(project, read_pipelines(project))]


def _one(findings: list[str], needle: str) -> str:
    hits = [f for f in findings if needle in f]
    assert len(hits) == 1, f"{needle!r} in {findings}"
    return hits[0]


def test_a_clean_pipeline_has_no_findings(git_repo: Path) -> None:
    write(git_repo, "src/prep.py", "")
    write(git_repo, "params.yaml", "prep: {n: 1}\n")
    write(git_repo, "rules/clean.yaml", "kind: Rules\nversion: 1\ncolumns:\n  a: {type: integer}\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  prep:
    cmd: python src/prep.py
    deps: [src/prep.py]
    params: [prep.n]
    outs: [data/clean.csv]
  check:
    validate: data/clean.csv
    rules: rules/clean.yaml
""",
    )
    assert _check(git_repo) == []
    assert pipeline_outputs(load_project(git_repo), read_pipelines(load_project(git_repo))) == {
        "data/clean.csv",
        "reports/check.json",
    }


def test_duplicate_names_across_files_and_duplicate_or_nested_outputs(git_repo: Path) -> None:
    write(
        git_repo,
        "pipelines/a.yaml",
        """\
kind: Pipeline
version: 1
stages:
  train:
    cmd: echo a
    outs: [models]
""",
    )
    write(
        git_repo,
        "pipelines/b.yaml",
        """\
kind: Pipeline
version: 1
stages:
  train:
    cmd: echo b
  other:
    cmd: echo c
    outs:
      - models/m.pkl
    metrics:
      - models
""",
    )
    findings = _check(git_repo)
    dup = _one(findings, "stage `train` is already defined")
    assert dup.startswith("pipelines/b.yaml:4:3: error:") and "pipelines/a.yaml:4" in dup
    assert _one(findings, "`models` is also written by stage `train`").startswith("pipelines/b.yaml:11:9")
    assert _one(findings, "`models/m.pkl` lies inside stage `train`'s output folder `models`").startswith(
        "pipelines/b.yaml:9:9"
    )


def test_cycle_is_named(git_repo: Path) -> None:
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  a:
    cmd: echo a
    deps: [c.txt]
    outs: [a.txt]
  b:
    cmd: echo b
    deps: [a.txt]
    outs: [b.txt]
  c:
    cmd: echo c
    deps: [b.txt]
    outs: [c.txt]
  self:
    cmd: echo s
    deps: [out/x]
    outs: [out]
""",
    )
    findings = _check(git_repo)
    assert _one(findings, "cycle in the pipeline: a -> b -> c -> a").startswith("pipelines/main.yaml:4:3")
    assert _one(findings, "cycle in the pipeline: self -> self")


def test_missing_dependencies_unless_produced_tracked_on_disk_or_dvc_tracked(git_repo: Path) -> None:
    write(git_repo, "tracked.txt", "x")
    git(git_repo, "add", "tracked.txt")
    git(git_repo, "commit", "-qm", "t")
    (git_repo / "tracked.txt").unlink()  # tracked by Git but deleted in the work tree: still fine
    write(git_repo, "on_disk/file.csv", "x")
    write(git_repo, "data/big.csv.dvc", "outs:\n- md5: 1\n  path: big.csv\n")
    write(git_repo, "ds.dvc", "outs:\n- md5: 1\n  path: datasets/images\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  a:
    cmd: echo a
    deps:
      - tracked.txt
      - on_disk
      - data/big.csv
      - datasets/images/cat.png
      - s3://bucket/remote.csv
      - nowhere.csv
    outs: [out]
  b:
    cmd: echo b
    deps: [out/inner.txt]
""",
    )
    git(git_repo, "add", "ds.dvc")
    findings = _check(git_repo)
    assert findings == [
        "pipelines/main.yaml:12:9: error: dependency `nowhere.csv` is produced by no stage and is "
        "not in the repository (neither tracked by Git nor by a .dvc file)"
    ]


def test_params_keys_files_undefined_variables_and_foreach(git_repo: Path) -> None:
    write(git_repo, "params.yaml", "train: {lr: 0.1, sizes: [a, b]}\n")
    write(git_repo, "other.yaml", "x: 1\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  t:
    foreach: ${train.sizes}
    cmd: echo ${item} ${train.nope}
    params:
      - train.lr
      - train.missing
      - other.yaml: [x, y]
      - gone.yaml: [z]
  u:
    foreach: ${train.lr}
    cmd: echo
""",
    )
    findings = _check(git_repo)
    assert _one(findings, "undefined variable `${train.nope}`").startswith("pipelines/main.yaml:6:10")
    assert _one(findings, "params key `train.missing` is not in `params.yaml`").startswith(
        "pipelines/main.yaml:9:9"
    )
    assert _one(findings, "params key `y` is not in `other.yaml`").startswith("pipelines/main.yaml:10:25")
    assert _one(findings, "params file `gone.yaml` does not exist")
    assert _one(findings, "`foreach` must be a non-empty list or mapping, not float `0.1`").startswith(
        "pipelines/main.yaml:13:14"
    )


def test_validate_stage_rules_missing_or_invalid(git_repo: Path) -> None:
    write(git_repo, "data.csv", "a\n1\n")
    write(git_repo, "rules/bad.yaml", "kind: Rules\nversion: 1\ncolumns:\n  a: {typ: integer}\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  c1:
    validate: data.csv
    rules: rules/missing.yaml
  c2:
    validate: data.csv
    rules: rules/bad.yaml
  c3:
    validate: data.csv
""",
    )
    findings = _check(git_repo)
    assert _one(findings, "rules file `rules/missing.yaml` of validate stage `c1` does not exist").startswith(
        "pipelines/main.yaml:6:12"
    )
    assert _one(findings, "unknown key `typ`").startswith("rules/bad.yaml:4:7")
    assert _one(findings, "validate stage `c3` needs `rules:`")


def test_schema_invalid_documents_are_checked_where_they_make_sense(git_repo: Path) -> None:
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  a:
    cmd: echo
    dep: [x]
    deps: [missing.txt]
  b: not-a-mapping
""",
    )
    findings = _check(git_repo)
    assert findings == [
        "pipelines/main.yaml:7:12: error: dependency `missing.txt` is produced by no stage "
        "and is not in the repository (neither tracked by Git nor by a .dvc file)"
    ]


def test_the_lint_path_imports_no_heavy_modules(git_repo: Path) -> None:
    code = (
        "import sys; from mlops.pipeline import checks; from mlops.api import pipeline; "
        "bad = [m for m in ('pandas', 'numpy', 'dvc', 'git', 'pyarrow') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_outputs_tracked_by_a_dvc_file_are_flagged_and_lint_exits_1(git_repo: Path) -> None:
    write(git_repo, "data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  path: data\n")
    write(
        git_repo,
        "models/model.pkl.dvc",
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: model.pkl\n",
    )
    git(git_repo, "add", "-A")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  clean:
    cmd: echo clean
    outs:
      - data/clean.csv
      - models/model.pkl
      - reports/ok.json
""",
    )
    findings = _check(git_repo)
    assert _one(findings, "data/clean.csv").startswith(
        "pipelines/main.yaml:7:9: error: output `data/clean.csv` "
        "lies inside `data`, tracked by `data.dvc`; DVC refuses"
    )
    assert "output `models/model.pkl` is tracked by `models/model.pkl.dvc`" in _one(
        findings, "models/model.pkl"
    )
    assert not [f for f in findings if "reports/ok.json" in f]
    lint = subprocess.run(
        [sys.executable, "-m", "mlops", "lint"], cwd=git_repo, capture_output=True, text=True
    )
    assert lint.returncode == 1 and "tracked by `data.dvc`" in lint.stdout + lint.stderr
