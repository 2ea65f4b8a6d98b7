"""`mlops import-dvc`: a realistic DVC project becomes Pipeline files that compile to the same pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import run_cli, write

DVC_YAML = """\
vars:
  - params.yaml
  - shards: [a, b]
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
      - data/data.xml
      - src/prepare.py
    params:
      - prepare.seed
      - prepare.split
    outs:
      - data/prepared
  featurize:
    foreach: ${shards}
    do:
      cmd: python src/featurization.py data/prepared ${item} data/features/${item}
      deps:
        - data/prepared
        - src/featurization.py
      params:
        - featurize.max_features
      outs:
        - data/features/${item}
  train:
    matrix:
      shard: ${shards}
      depth: [2, 4]
    cmd: python src/train.py data/features/${item.shard} model-${item.shard}-${item.depth}.pkl ${item.depth}
    deps:
      - data/features/${item.shard}
      - src/train.py
    params:
      - train.seed
    outs:
      - model-${item.shard}-${item.depth}.pkl
  evaluate:
    cmd: python src/evaluate.py model-a-2.pkl data/features/a
    deps:
      - data/features/a
      - model-a-2.pkl
      - src/evaluate.py
    metrics:
      - eval/metrics.json:
          cache: false
    plots:
      - eval/plots/sklearn/roc.json:
          cache: false
          x: fpr
          y: tpr
  per_region:
    foreach:
      eu: {threshold: 0.5}
      us: {threshold: 0.7}
    do:
      cmd: python src/report.py ${key} ${item.threshold}
      wdir: reports
      deps:
        - ../eval/metrics.json
      outs:
        - ${key}.md:
            cache: false
metrics:
  - eval/metrics.json
plots:
  - ROC:
      template: simple
      x: fpr
      y: {eval/plots/sklearn/roc.json: tpr}
artifacts:
  text-classifier:
    path: model-a-2.pkl
    type: model
"""

PARAMS = """\
prepare: {split: 0.2, seed: 20170428}
featurize: {max_features: 100}
train: {seed: 20170428}
"""


def _stages(root: Path) -> dict[str, tuple[Any, ...]]:
    """DVC's own view of a dvc.yaml: per stage, command, deps, outs (with flags), params and wdir."""
    code = """
import json, sys
from dvc.repo import Repo
repo = Repo(sys.argv[1])
out = {}
for stage in repo.index.stages:
    params = sorted(f"{p.def_path}:{k}" for p in stage.params for k in (p.params or []))
    out[stage.name] = [stage.cmd, sorted(str(d.def_path) for d in stage.deps if not hasattr(d, "params")),
                       sorted((str(o.def_path), o.use_cache, o.metric is not None and bool(o.metric),
                               bool(o.plot)) for o in stage.outs),
                       params, stage.wdir.replace(sys.argv[1], ".")]
print(json.dumps(out, sort_keys=True))
"""
    proc = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr
    import json

    return {k: tuple(map(lambda v: json.dumps(v), value)) for k, value in json.loads(proc.stdout).items()}


def test_import_then_compile_gives_the_same_pipeline(git_repo: Path) -> None:
    write(git_repo, "dvc.yaml", DVC_YAML)
    write(git_repo, "params.yaml", PARAMS)
    for rel in [
        "data/data.xml",
        "src/prepare.py",
        "src/featurization.py",
        "src/train.py",
        "src/evaluate.py",
        "src/report.py",
        "reports/.keep",
    ]:
        write(git_repo, rel, "")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=git_repo, check=True)
    before = _stages(git_repo)

    imported = run_cli("import-dvc", cwd=git_repo)
    assert imported.returncode == 0, imported.stderr
    assert "wrote pipelines/main.yaml: 5 stages from dvc.yaml" in imported.stdout
    assert "top-level `metrics`" not in imported.stderr and "top-level `plots`" not in imported.stderr
    assert "not imported: top-level `artifacts` (list artifacts in promotion.yaml" in imported.stderr
    assert "foreach: ${shards}" in (git_repo / "pipelines/main.yaml").read_text()
    assert run_cli("lint", cwd=git_repo).returncode == 0

    refused = run_cli("compile", cwd=git_repo)
    assert refused.returncode == 2 and "mlops import-dvc" in refused.stderr
    compiled = run_cli("compile", "--force", cwd=git_repo)
    assert compiled.returncode == 0, compiled.stderr
    after = _stages(git_repo)

    assert set(after) == {
        "prepare",
        "featurize@a",
        "featurize@b",
        "train@a-2",
        "train@a-4",
        "train@b-2",
        "train@b-4",
        "evaluate",
        "per_region@eu",
        "per_region@us",
    }
    assert after == before  # same names, commands, deps, outs, params and working folders
    written = yaml.safe_load((git_repo / "dvc.yaml").read_text())
    assert written["metrics"] == ["eval/metrics.json"]  # top-level lists survive for `dvc metrics show`
    assert written["plots"][0]["ROC"]["y"] == {"eval/plots/sklearn/roc.json": "tpr"}
    assert written["stages"]["featurize"]["foreach"] == ["a", "b"]  # DVC's own foreach

    again = run_cli("import-dvc", cwd=git_repo)
    assert again.returncode == 2 and "generated by `mlops compile`" in again.stderr


def test_import_refuses_to_overwrite_and_reports_bad_input(git_repo: Path) -> None:
    assert run_cli("import-dvc", cwd=git_repo).returncode == 2  # no dvc.yaml
    write(git_repo, "dvc.yaml", "stages:\n  a:\n    cmd: echo a\n")
    write(git_repo, "pipelines/main.yaml", "kind: Pipeline\n")
    refused = run_cli("import-dvc", cwd=git_repo)
    assert refused.returncode == 2 and "pipelines/main.yaml already exists" in refused.stderr
    other = run_cli("import-dvc", "dvc.yaml", "-o", "pipelines/dvc.yaml", cwd=git_repo)
    assert other.returncode == 0 and (git_repo / "pipelines/dvc.yaml").is_file()
    write(git_repo, "odd.yaml", "just: text\n")
    odd = run_cli("import-dvc", "odd.yaml", "-o", "pipelines/x.yaml", cwd=git_repo)
    assert odd.returncode == 2 and "odd.yaml: none of dvc.yaml's keys" in odd.stderr
    write(git_repo, "broken.yaml", "stages: [\n")
    broken = run_cli("import-dvc", "broken.yaml", "-o", "pipelines/y.yaml", cwd=git_repo)
    assert broken.returncode == 2 and "broken.yaml:2:1: error: YAML syntax" in broken.stderr
    write(git_repo, "list.yaml", "stages: [a, b]\n")
    listed = run_cli("import-dvc", "list.yaml", "-o", "pipelines/z.yaml", cwd=git_repo)
    assert listed.returncode == 2 and "`stages:` is not a mapping" in listed.stderr


def test_a_sub_folder_keeps_inline_vars_names_and_rebases_only_vars_files() -> None:
    from mlops.pipeline.importer import convert

    data = {
        "vars": ["extra.yaml", "more.yaml:a,b", {"site_name": "EBLA", "images": [{"name": "x"}]}],
        "stages": {"s": {"cmd": "echo ${site_name}", "wdir": "../.."}},
    }
    out, _, _ = convert(data, "data/sites/EBLA/dvc.yaml")
    assert out["vars"] == [
        "data/sites/EBLA/extra.yaml",
        "data/sites/EBLA/more.yaml:a,b",
        {"site_name": "EBLA", "images": [{"name": "x"}]},  # names, not paths: left as they are
    ]
