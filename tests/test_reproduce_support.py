"""Builders shared by the test_reproduce_* files: a small real DVC project with a local-directory DVC
remote and two registered versions (data and a param changed between them). No tests here."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlops.reproduce.dvcrepo import executable
from tests.conftest import write

PY = sys.executable
DVC = executable()

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  model:
    path: models/model.txt
    type: model
    metrics: metrics/eval.json
    training_data: data/raw.csv
stages:
  staging: {}
"""
PREPARE = """\
import os
os.makedirs("data", exist_ok=True)
rows = [line.strip() for line in open("data/raw.csv") if line.strip()][1:]
open("data/clean.csv", "w").write("x\\n" + "\\n".join(sorted(rows)) + "\\n")
"""
TRAIN = """\
import json, os
os.makedirs("models", exist_ok=True)
os.makedirs("metrics", exist_ok=True)
scale = float(open("params.yaml").read().split("scale:")[1].split()[0])
xs = [float(v) for v in open("data/clean.csv").read().split()[1:]]
weight = scale * sum(xs) / len(xs)
open("models/model.txt", "w").write(f"weight={weight}\\n")
json.dump({"rmse": round(10 / weight, 6), "rows": len(xs)}, open("metrics/eval.json", "w"))
"""
DVC_YAML = f"""\
stages:
  prepare:
    cmd: {PY} src/prepare.py
    deps: [src/prepare.py, data/raw.csv]
    outs: [data/clean.csv]
  train:
    cmd: {PY} src/train.py
    deps: [src/train.py, data/clean.csv]
    params: [train.scale]
    outs: [models/model.txt]
    metrics: [{{metrics/eval.json: {{cache: false}}}}]
"""
RULES = """\
kind: Rules
version: 1
columns:
  x: {{type: integer, min: 0, max: {max}}}
"""


def sh(cwd: Path, *args: str) -> str:
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout.strip()


def dvc(cwd: Path, *args: str) -> str:
    return sh(cwd, DVC, *args)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324


def init_project(repo: Path, remote: Path | None = None) -> None:
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    if remote is not None:
        remote.mkdir(parents=True, exist_ok=True)
        dvc(repo, "remote", "add", "-d", "storage", str(remote))


def commit_all(repo: Path, message: str) -> str:
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", message)
    return sh(repo, "git", "rev-parse", "HEAD")


def build_versions(base: Path) -> tuple[Path, Path]:
    """origin repository with model@v0.1.0 and model@v0.2.0 registered and pushed; returns (repo, remote)."""
    from mlops.api.registry import register

    repo, remote = base / "origin", base / "remote"
    init_project(repo, remote)
    write(repo, "promotion.yaml", PROMOTION)
    write(repo, "params.yaml", "train:\n  scale: 2\n")
    write(repo, "src/prepare.py", PREPARE)
    write(repo, "src/train.py", TRAIN)
    write(repo, "dvc.yaml", DVC_YAML)
    write(repo, "rules/raw.yaml", RULES.format(max=120))
    write(repo, "data/raw.csv", "x\n3\n1\n2\n")
    dvc(repo, "add", "-q", "data/raw.csv")
    dvc(repo, "repro", "-q")
    commit_all(repo, "v1")
    register("model", root=repo)
    dvc(repo, "push", "-q")

    write(repo, "data/raw.csv", "x\n3\n1\n2\n10\n20\n")
    write(repo, "params.yaml", "train:\n  scale: 3\n")
    write(repo, "rules/raw.yaml", RULES.format(max=100))
    dvc(repo, "add", "-q", "data/raw.csv")
    dvc(repo, "repro", "-q")
    commit_all(repo, "v2: more data, bigger scale")
    register("model", bump="minor", root=repo)
    dvc(repo, "push", "-q")
    return repo, remote


_BUILT: dict[str, tuple[Path, Path]] = {}


def shared_versions(factory: Any) -> tuple[Path, Path]:
    """build_versions once per test process (the test files only clone it, never change it)."""
    if "versions" not in _BUILT:
        _BUILT["versions"] = build_versions(factory.mktemp("reproduce-versions"))
    return _BUILT["versions"]


def clone(origin: Path, dest: Path) -> Path:
    sh(origin.parent, "git", "clone", "-q", str(origin), str(dest))
    return dest


def copy_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest
