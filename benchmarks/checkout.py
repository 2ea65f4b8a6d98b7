"""Benchmark: `mlops checkout REF` vs `git checkout REF && dvc checkout`, same repository, same run.

A DVC repository with two versions that differ in every tracked file (one large file, a folder of many small
ones); the DVC cache holds both, as after a first checkout. Each tool switches back and forth between the
versions --runs times as a fresh process, the way a user runs it; the median wall time per switch of each and
their ratio are printed. mlops does more per switch (resolves the reference, refuses a dirty tree, including
unsaved DVC-tracked data, checks that the cache holds the target's data before touching anything, reports
sizes): the target is a ratio of at most 1.1.

    python benchmarks/checkout.py [--runs 9] [--mb 50] [--files 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLOPS = str(BIN / "mlops") if (BIN / "mlops").exists() else "mlops"
DVC = str(BIN / "dvc") if (BIN / "dvc").exists() else "dvc"


def sh(cwd: Path, *args: str) -> None:
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True)


def build(root: Path, mb: int, files: int) -> None:
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "git", "config", "user.email", "bench@example.com")
    sh(root, "git", "config", "user.name", "bench")
    sh(root, DVC, "init", "-q")
    (root / "data").mkdir()
    for version in (1, 2):
        (root / "big.bin").write_bytes(os.urandom(mb * 1024 * 1024))
        for i in range(files):
            (root / "data" / f"f{i:05d}.csv").write_text(f"id,value\n{i},{version}\n")
        sh(root, DVC, "add", "-q", "big.bin", "data")
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-q", "-m", f"v{version}")
        sh(root, "git", "tag", f"v{version}")


ENV = dict(os.environ, DVC_NO_ANALYTICS="1")  # no usage-report process for the dvc CLI: a fair race


def timed(cwd: Path, command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, shell=True, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--mb", type=int, default=50, help="size of the large file")
    parser.add_argument("--files", type=int, default=500, help="files in the tracked folder")
    args = parser.parse_args()
    env_note = f"{args.mb} MB file + folder of {args.files} files, DVC cache warm, {args.runs} switches each"
    with tempfile.TemporaryDirectory(prefix="mlops-bench-checkout-") as tmp:
        root = Path(tmp)
        build(root, args.mb, args.files)
        tools = {
            "git checkout && dvc checkout": "git checkout -q --detach {ref} && " + DVC + " checkout -q",
            "mlops checkout": MLOPS + " checkout {ref}",
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        for _run in range(args.runs):  # interleaved, so machine load hits both alike
            for name, template in tools.items():
                for ref in ("v1", "v2"):
                    times[name].append(timed(root, template.format(ref=ref)))
    base, ours = (statistics.median(times[name]) for name in tools)
    print(f"checkout: {env_note}")
    for name in tools:
        print(f"  {name:<30} median {statistics.median(times[name]) * 1000:7.0f} ms per switch")
    print(f"  ratio mlops / (git + dvc checkout): {ours / base:.2f}x  (target <= 1.10x)")


if __name__ == "__main__":
    main()
