"""Promotion repositories for tests: real Git, versions as annotated tags, the churn-model policy."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import git, write

CHURN_POLICY_HEAD = """\
kind: Promotion
version: 1
protected_branch: main
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    metrics: metrics/eval.json
stages:
"""


def churn_policy(stages: str) -> str:
    """promotion.yaml for the churn-model artifact on branch main; STAGES is the text under `stages:`."""
    return CHURN_POLICY_HEAD + stages


POLICY = churn_policy(
    """\
  staging:
    gates:
      - {metric: auc, min: 0.75}
      - {validation: reports/check.json}
  canary: {}
  production:
    soak: 48h
    review: required
    gates:
      - {metric: auc, not_worse_than: incumbent, tolerance: 0.005, slices: all}
      - {metric: latency_p95_ms, max: 50}
"""
)

REGISTRY = """\
# desired state
kind: Registry
version: 1
churn-model:
  staging: v1.0.0   # first model
  production: v1.0.0
"""

V1 = {"auc": 0.80, "latency_p95_ms": 30, "slices": {"north": {"auc": 0.79}, "south": {"auc": 0.77}}}
V2 = {"auc": 0.84, "latency_p95_ms": 35, "slices": {"north": {"auc": 0.86}, "south": {"auc": 0.78}}}


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def tag(root: Path, name: str, rev: str = "HEAD", *, ago: timedelta | None = None, message: str = "") -> None:
    date = datetime.now(timezone.utc) - ago if ago is not None else None
    git(root, "tag", "-a", name, f"{rev}^{{commit}}", "-m", message or name, date=date)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    outs:
      - models/model.pkl
    metrics:
      - metrics/eval.json:
          cache: false
"""


def lock_for(root: Path) -> str:
    """The dvc.lock `dvc repro` would write for DVC_YAML over the files now in ROOT (md5 of their bytes)."""
    outs = []
    for rel in ("models/model.pkl", "metrics/eval.json"):
        data = (root / rel).read_bytes()
        outs.append(
            f"    - path: {rel}\n      hash: md5\n      md5: {hashlib.md5(data).hexdigest()}\n"
            f"      size: {len(data)}\n"
        )
    return "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n" + "".join(outs)


def version_commit(root: Path, metrics: dict, *, passed: bool = True, label: str = "") -> str:
    """A commit that `mlops register` accepts: the pipeline's outputs with a current dvc.lock."""
    write(root, "metrics/eval.json", json.dumps(metrics))
    write(root, "reports/check.json", json.dumps({"passed": passed}))
    write(root, "models/model.pkl", f"model {label or json.dumps(metrics)}\n")
    write(root, "dvc.yaml", DVC_YAML)
    write(root, "dvc.lock", lock_for(root))
    return commit_all(root, f"train {label}")


def make_repo(
    root: Path,
    *,
    policy: str = POLICY,
    registry: str | None = REGISTRY,
    v2: dict | None = None,
    v1_ago: float = 200,
    v2_ago: float = 100,
) -> dict[str, str]:
    """main with promotion.yaml; v1 (in staging, canary and production) and v2 (in staging) registered."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, "promotion.yaml", policy)
    if registry is not None:
        write(root, "registry.yaml", registry)
    c1 = version_commit(root, V1, label="v1")
    tag(root, "churn-model@v1.0.0", c1, ago=hours(v1_ago))
    tag(root, "churn-model#staging#2", c1, ago=hours(v1_ago - 1))
    tag(root, "churn-model#canary#3", c1, ago=hours(v1_ago - 2))
    tag(root, "churn-model#production#4", c1, ago=hours(v1_ago - 3))
    c2 = version_commit(root, v2 or V2, label="v2")
    tag(root, "churn-model@v2.0.0", c2, ago=hours(v2_ago))
    tag(root, "churn-model#staging#6", c2, ago=hours(v2_ago - 1))
    return {"v1": c1, "v2": c2}


def registry(**stages: str) -> str:
    """registry.yaml asking for churn-model's STAGES (stage=version)."""
    return "kind: Registry\nversion: 1\nchurn-model:\n" + "".join(f"  {s}: {v}\n" for s, v in stages.items())


def tags(root: Path) -> set[str]:
    return set(git(root, "tag", "-l").split())


def pull_request(root: Path, branch: str, files: dict[str, str], number: int, *, merge: bool = True) -> str:
    """A branch from main that writes FILES, merged back with a merge commit (`--no-ff`) and pushed, as a
    forge does; with merge=False, the branch's commit, not merged."""
    git(root, "switch", "-q", "-c", branch, "main")
    for rel, text in files.items():
        write(root, rel, text)
    commit_all(root, f"change on {branch}")
    if not merge:
        return git(root, "rev-parse", "HEAD").strip()
    git(root, "switch", "-q", "main")
    git(root, "merge", "--no-ff", "-q", branch, "-m", f"Merge pull request #{number} from team/{branch}")
    git(root, "push", "-q", "origin", "main")
    return git(root, "rev-parse", "HEAD").strip()
