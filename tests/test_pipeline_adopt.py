"""Adopting a DVC project: what `mlops import-dvc` + `mlops compile --force` keep, through the CLI.

null parameters, mappings expanded into arguments, sub-folder pipelines with their own params.yaml,
stage-less dvc.yaml files, checkpoint outputs, and (slow) a repository whose dvc.lock is current stays
up to date after adoption, foreach and matrix stages included.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import git, run_cli, tool, write


def _adopt(root: Path, *sources: str) -> subprocess.CompletedProcess[str]:
    for source in sources or ("dvc.yaml",):
        out = "pipelines/main.yaml" if source == "dvc.yaml" else f"pipelines/{Path(source).parent.name}.yaml"
        imported = run_cli("import-dvc", source, "-o", out, cwd=root)
        assert imported.returncode == 0, imported.stderr
        if source != "dvc.yaml":
            (root / source).unlink()
    return run_cli("compile", "--force", cwd=root)


def _stages(root: Path) -> dict[str, str]:
    code = "import json\nfrom dvc.repo import Repo\nprint(json.dumps({s.addressing: s.cmd for s in Repo('.').index.stages}))"
    proc = subprocess.run([str(Path(tool("python"))), "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)


def test_null_and_mapping_parameters_render_as_dvc_writes_them(git_repo: Path) -> None:
    write(
        git_repo,
        "params.yaml",
        "entity: null\ntrain: {epochs: 10, lr: 0.01, tags: [a, b c], fast: true, "
        "slow: false, opt: {name: adam}}\n",
    )
    write(git_repo, "dvc.yaml", "stages:\n  train:\n    cmd: python train.py --entity ${entity} ${train}\n")
    write(git_repo, "train.py", "")
    subprocess.run([tool("dvc"), "init", "-q"], cwd=git_repo, check=True)
    before = _stages(git_repo)
    assert (
        before["train"] == "python train.py --entity None --epochs 10 --lr 0.01 --tags a 'b c' --fast "
        "--opt.name adam"
    )  # what DVC itself writes
    compiled = _adopt(git_repo)
    assert compiled.returncode == 0, compiled.stderr
    assert _stages(git_repo) == before


def test_a_mapping_outside_cmd_is_located_not_called_undefined(git_repo: Path) -> None:
    write(git_repo, "params.yaml", "train: {epochs: 10}\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: echo a\n    outs:\n      - out-${train}.txt\n",
    )
    result = run_cli("compile", cwd=git_repo)
    assert result.returncode == 2, result.stderr
    assert (
        "pipelines/main.yaml:7:9: error: `${train}`: a mapping cannot be part of a longer string (only "
        "`cmd` expands a mapping into arguments)" in result.stderr
    )
    assert "undefined" not in result.stderr


def test_a_sub_folder_pipeline_reads_its_own_params(git_repo: Path) -> None:
    write(git_repo, "params.yaml", "lr: 1\n")
    write(git_repo, "sub/params.yaml", "lr: 0.5\nsize: small\n")
    write(
        git_repo,
        "sub/dvc.yaml",
        "vars:\n  - extra.yaml\nstages:\n  train:\n    cmd: python train.py ${lr} "
        "${size} ${more}\n    deps: [train.py]\n    params: [lr]\n    outs: [model.pkl]\n"
        "metrics:\n  - live/metrics.json\nplots:\n  - live/plots/loss.tsv:\n"
        "      x: step\n",
    )
    write(git_repo, "sub/extra.yaml", "more: 3\n")
    write(git_repo, "sub/train.py", "")
    subprocess.run([tool("dvc"), "init", "-q"], cwd=git_repo, check=True)
    before = _stages(git_repo)
    assert before == {"sub/dvc.yaml:train": "python train.py 0.5 small 3"}
    compiled = _adopt(git_repo, "sub/dvc.yaml")
    assert compiled.returncode == 0, compiled.stderr
    assert _stages(git_repo) == {"train": "python train.py 0.5 small 3"}
    written = yaml.safe_load((git_repo / "dvc.yaml").read_text())
    assert written["stages"]["train"]["wdir"] == "sub" and written["stages"]["train"]["params"] == ["lr"]
    assert written["metrics"] == ["sub/live/metrics.json"]
    assert written["plots"] == [{"sub/live/plots/loss.tsv": {"x": "step"}}]


def test_a_stage_less_dvclive_file_is_imported(git_repo: Path) -> None:
    write(
        git_repo,
        "results/train/dvc.yaml",
        "params:\n  - params.yaml\nmetrics:\n  - metrics.json\nplots:\n  - plots/metrics:\n      x: step\n",
    )
    write(git_repo, "results/train/params.yaml", "lr: 1\n")
    imported = run_cli("import-dvc", "results/train/dvc.yaml", cwd=git_repo)
    assert imported.returncode == 0, imported.stderr
    assert "wrote pipelines/main.yaml: 0 stages from results/train/dvc.yaml" in imported.stdout
    (git_repo / "results/train/dvc.yaml").unlink()
    assert run_cli("lint", cwd=git_repo).returncode == 0
    compiled = run_cli("compile", cwd=git_repo)
    assert compiled.returncode == 0, compiled.stderr
    written = yaml.safe_load((git_repo / "dvc.yaml").read_text())
    assert written == {
        "metrics": ["results/train/metrics.json"],
        "plots": [{"results/train/plots/metrics": {"x": "step"}}],
        "params": ["results/train/params.yaml"],
    }  # no empty `stages:`: DVC reads it as it was


def test_checkpoint_outputs_are_refused_at_import_with_dvcs_reason(git_repo: Path) -> None:
    write(
        git_repo,
        "dvc.yaml",
        "stages:\n  train:\n    cmd: python train.py\n    outs:\n      - model.pt:\n"
        "          checkpoint: true\n",
    )
    result = run_cli("import-dvc", cwd=git_repo)
    assert result.returncode == 2
    assert (
        "stage `train`: `checkpoint: true` on `model.pt` is not supported: DVC 3.0 removed checkpoint"
        in result.stderr
    )
    assert not (git_repo / "pipelines/main.yaml").exists()


def test_a_file_that_is_not_a_dvc_yaml_is_refused(git_repo: Path) -> None:
    write(git_repo, "other.yaml", "- a\n- b\n")
    result = run_cli("import-dvc", "other.yaml", cwd=git_repo)
    assert result.returncode == 2 and "other.yaml: none of dvc.yaml's keys" in result.stderr


ADOPTED = """\
vars:
  - shards: [a, b]
stages:
  prepare:
    cmd: echo prepared > prepared.txt
    outs: [prepared.txt]
  featurize:
    foreach: ${shards}
    do:
      cmd: cat prepared.txt > features-${item}.txt && echo ${item} >> features-${item}.txt
      deps: [prepared.txt]
      outs: ['features-${item}.txt']
  train:
    matrix:
      shard: ${shards}
      depth: [2, 4]
    cmd: cat features-${item.shard}.txt > model-${key}.txt && echo ${train.entity} ${item.depth} >> model-${key}.txt
    deps: ['features-${item.shard}.txt']
    params: [train.entity]
    outs: ['model-${key}.txt']
  report:
    foreach:
      eu: {threshold: 0.5}
      us: {threshold: 0.7}
    do:
      cmd: echo ${key} ${item.threshold} > report-${key}.txt
      outs:
        - report-${key}.txt:
            cache: false
"""


@pytest.mark.slow
def test_adoption_of_a_current_lock_reruns_nothing(git_repo: Path) -> None:
    write(git_repo, "dvc.yaml", ADOPTED)
    write(git_repo, "params.yaml", "train: {entity: null}\n")
    subprocess.run([tool("dvc"), "init", "-q"], cwd=git_repo, check=True)
    repro = subprocess.run([tool("dvc"), "repro", "-q"], cwd=git_repo, capture_output=True, text=True)
    assert repro.returncode == 0, repro.stderr
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "dvc project")
    lock_before = (git_repo / "dvc.lock").read_text()
    assert "train@a-2:" in lock_before and "featurize@b:" in lock_before

    compiled = _adopt(git_repo)
    assert compiled.returncode == 0, compiled.stderr
    written = yaml.safe_load((git_repo / "dvc.yaml").read_text())
    assert written["stages"]["featurize"]["foreach"] == ["a", "b"]
    assert written["stages"]["train"]["matrix"] == {"shard": ["a", "b"], "depth": [2, 4]}
    status = subprocess.run([tool("dvc"), "status"], cwd=git_repo, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert "Data and pipelines are up to date" in status.stdout, status.stdout
    again = subprocess.run([tool("dvc"), "repro", "train@b-4"], cwd=git_repo, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "didn't change, skipping" in again.stdout and "Running stage" not in again.stdout
    assert (git_repo / "dvc.lock").read_text() == lock_before  # the lock keeps DVC's own keys
    listed = run_cli("run", "--", "--dry", cwd=git_repo)
    assert listed.returncode == 0, listed.stderr


def test_the_registry_staleness_check_sees_each_foreach_stage(git_repo: Path) -> None:
    """`mlops register` checks dvc.lock at a commit; compiled foreach/matrix stages are checked one by one."""
    from mlops.registry.lockcheck import stale_reasons

    write(git_repo, "dvc.yaml", "stages:\n  echo:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n")
    write(
        git_repo,
        "dvc.lock",
        "schema: '2.0'\nstages:\n  echo@a:\n    cmd: echo a\n  echo@b:\n    cmd: echo OLD\n",
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "lock")
    commit = git(git_repo, "rev-parse", "HEAD").strip()
    reasons, _ = stale_reasons(git_repo, commit)
    assert reasons == ["stage echo@b: its command changed since dvc.lock was written"]


def test_a_foreach_whose_items_differ_is_written_stage_by_stage_with_a_warning(git_repo: Path) -> None:
    write(git_repo, "rules/a.yaml", "kind: Rules\nversion: 1\ncolumns:\n  x: {type: integer}\n")
    write(git_repo, "data/a.csv", "x\n1\n")
    write(git_repo, "data/b.csv", "x\n1\n")
    write(
        git_repo,
        "pipelines/main.yaml",
        """\
kind: Pipeline
version: 1
stages:
  check_a:
    validate: data/a.csv
    rules: rules/a.yaml
  train:
    foreach: [a, b]
    cmd: echo ${item}
    deps: ['data/${item}.csv']
    outs: ['model-${item}.txt']
""",
    )
    result = run_cli("compile", cwd=git_repo)
    assert result.returncode == 0, result.stderr
    assert (
        "pipelines/main.yaml:7:3: warning: `train@a` would not read the same once DVC fills in `${item}`"
        in result.stderr
    )
    stages = yaml.safe_load((git_repo / "dvc.yaml").read_text())["stages"]
    assert set(stages) == {"check_a", "train-a", "train-b"}
    assert stages["train-a"]["deps"] == ["data/a.csv", "reports/check_a.json"]  # only a's data is validated
    assert stages["train-b"]["deps"] == ["data/b.csv"]


def test_stage_vars_are_kept_and_resolved_as_dvc_resolves_them(git_repo: Path) -> None:
    write(git_repo, "params.yaml", "lr: 1\n")
    write(git_repo, "conf/model.yaml", "model: {name: tree, depth: 3}\nother: 1\n")
    write(
        git_repo,
        "dvc.yaml",
        """\
stages:
  train:
    wdir: conf
    vars:
      - model.yaml:model
      - tag: v2
    cmd: python fit.py ${model.name} ${model.depth} ${tag} ${lr}
  shards:
    foreach: [a, b]
    do:
      vars:
        - suffix: csv
      cmd: echo ${item}.${suffix}
""",
    )
    subprocess.run([tool("dvc"), "init", "-q"], cwd=git_repo, check=True)
    before = _stages(git_repo)
    assert before == {
        "train": "python fit.py tree 3 v2 1",
        "shards@a": "echo a.csv",
        "shards@b": "echo b.csv",
    }
    compiled = _adopt(git_repo)
    assert compiled.returncode == 0, compiled.stderr
    assert _stages(git_repo) == before
    write(
        git_repo,
        "pipelines/main.yaml",
        (git_repo / "pipelines/main.yaml").read_text().replace("model.yaml:model", "model.yaml:nope"),
    )
    broken = run_cli("compile", cwd=git_repo)
    assert broken.returncode == 2 and "pipelines/main.yaml:" in broken.stderr
    assert "`conf/model.yaml` has no key `nope`" in broken.stderr
