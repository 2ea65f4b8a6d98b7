"""Benchmark: promotion reads against GTO on the same repository, same run.

A repository with one artifact, --versions registered versions and three stages, each version assigned
through staging, canary and production (4 tags per version), plus a monitoring history. Fresh processes, as
CI runs them; median wall time of each and the ratio to the anchor, `gto show A#production --ref` (the one
question GTO answers that every promotion command must answer too):
- `mlops status`: every stage, registry.yaml against the tags;
- `mlops sync --dry-run`: the no-op sync that runs after every merge;
- `mlops gate --base main`: one promotion to production evaluated (order, soak, 4 gates, slices, history).
Target: each at most 1.0x the anchor (mlops reads tags in one for-each-ref and never imports GitPython).

    python benchmarks/promotion.py [--runs 7] [--versions 200] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLOPS = str(BIN / "mlops") if (BIN / "mlops").exists() else "mlops"
GTO = str(BIN / "gto") if (BIN / "gto").exists() else "gto"

POLICY = """\
kind: Promotion
version: 1
artifacts:
  churn-model: {path: models/model.pkl, metrics: metrics/eval.json}
stages:
  staging:
    gates: [{metric: auc, min: 0.5}]
  canary: {}
  production:
    soak: 1h
    review: required
    gates:
      - {metric: auc, not_worse_than: incumbent, tolerance: 0.01, slices: all}
      - {metric: latency_p95_ms, max: 500}
      - {monitor: monitoring/canary.jsonl, no_alerts_for: 24h}
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
    ).stdout


def write_pipeline(root: Path) -> None:
    import hashlib

    (root / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: python train.py\n    outs:\n      - models/model.pkl\n"
        "    metrics:\n      - metrics/eval.json:\n          cache: false\n"
    )
    outs = "".join(
        f"    - path: {rel}\n      md5: {hashlib.md5((root / rel).read_bytes()).hexdigest()}\n"
        for rel in ("models/model.pkl", "metrics/eval.json")
    )
    (root / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n" + outs
    )


def build(root: Path, versions: int) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.com")
    (root / "promotion.yaml").write_text(POLICY)
    (root / "metrics").mkdir()
    (root / "models").mkdir()
    (root / "monitoring").mkdir()
    start = int(time.time()) - versions * 4 * 3600 - 86400 * 3
    commits = []
    for i in range(versions):
        metrics = {
            "auc": 0.6 + i * 0.3 / versions,
            "latency_p95_ms": 40,
            "slices": {f"s{j}": {"auc": 0.6 + i * 0.3 / versions} for j in range(5)},
        }
        (root / "metrics" / "eval.json").write_text(json.dumps(metrics))
        (root / "models" / "model.pkl").write_text(f"model {i}\n")
        write_pipeline(root)  # versions must be provable: a current dvc.lock that produces the artifact
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"train {i}")
        commits.append(git(root, "rev-parse", "HEAD").strip())
    # tags in one fast-import-free batch: `git tag` per tag with the date set
    counter = 0
    lines = []
    for i, commit in enumerate(commits[:-1]):
        when = start + i * 4 * 3600
        events = [(f"churn-model@v{i + 1}.0.0", when)]
        for k, stage in enumerate(("staging", "canary", "production")):
            counter += 1
            events.append((f"churn-model#{stage}#{counter + len(commits)}", when + (k + 1) * 3600))
        for name, moment in events:
            git(root, "tag", "-a", name, commit, "-m", name, env={"GIT_COMMITTER_DATE": f"{moment} +0000"})
    last = commits[-1]
    n = len(commits)
    git(
        root,
        "tag",
        "-a",
        f"churn-model@v{n}.0.0",
        last,
        "-m",
        "last",
        env={"GIT_COMMITTER_DATE": f"{start + n * 14400} +0000"},
    )
    git(
        root,
        "tag",
        "-a",
        f"churn-model#canary#{10 * n}",
        last,
        "-m",
        "canary",
        env={"GIT_COMMITTER_DATE": f"{int(time.time()) - 7200} +0000"},
    )
    now = time.time()
    for h in range(50):
        moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 1800))
        lines.append(
            json.dumps(
                {
                    "type": "run",
                    "schema": 1,
                    "id": f"r{h}",
                    "time": moment,
                    "artifact": "churn-model",
                    "version": f"v{n}.0.0",
                    "alerts": [],
                }
            )
        )
    (root / "monitoring" / "canary.jsonl").write_text("\n".join(lines) + "\n")
    (root / "registry.yaml").write_text(
        f"kind: Registry\nversion: 1\nchurn-model:\n  staging: v{n - 1}.0.0\n"
        f"  canary: v{n}.0.0\n  production: v{n - 1}.0.0\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "policy")
    git(root, "switch", "-q", "-c", "pr")
    text = (root / "registry.yaml").read_text().replace(f"production: v{n - 1}.0.0", f"production: v{n}.0.0")
    (root / "registry.yaml").write_text(text)
    git(root, "commit", "-q", "-am", "promote")


def timed(cwd: Path, args: list[str], runs: int, ok: tuple[int, ...] = (0,)) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr or proc.stdout}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="3 runs over 50 versions (a smoke run)")
    opts = parser.parse_args()
    if opts.quick:
        opts.runs, opts.versions = 3, 50
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        build(root, opts.versions)
        anchor = timed(root, [GTO, "show", "churn-model#production", "--ref"], opts.runs)
        print(f"{opts.versions} versions, {opts.versions * 4} tags; median of {opts.runs} fresh processes")
        print(f"anchor  gto show churn-model#production --ref   {anchor * 1000:7.0f} ms")
        git(root, "switch", "-q", "main")
        rows = [
            ("mlops status", timed(root, [MLOPS, "status"], opts.runs)),
            ("mlops sync --dry-run", timed(root, [MLOPS, "sync", "--dry-run"], opts.runs, (0, 1))),
        ]
        git(root, "switch", "-q", "pr")
        rows.append(("mlops gate --base main", timed(root, [MLOPS, "gate", "--base", "main"], opts.runs)))
        for name, seconds in rows:
            print(f"        {name:<38} {seconds * 1000:7.0f} ms   {seconds / anchor:5.2f}x")


if __name__ == "__main__":
    main()
