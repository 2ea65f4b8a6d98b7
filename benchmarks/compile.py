"""Benchmark: `mlops compile` of a 1,000-stage pipeline vs `dvc stage list` on the dvc.yaml it writes;
`mlops run` overhead over plain `dvc repro` on the example project; and how `dvc repro` grows with the
number of stages.

Everything runs as fresh processes (as a user or CI runs them), in the same run on the same machine; the
median wall time of each and the ratios are printed. Targets: compile <= 0.25x `dvc stage list`; run <=
1.05x `dvc repro` + 0.2 s.

    python benchmarks/compile.py [--runs 5] [--scaling 25,50,100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES, ITEMS = 10, 100  # 10 foreach stages x 100 items = 1,000 stages


def build(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pipelines").mkdir()
    (root / "src").mkdir()
    (root / "src" / "step.py").write_text("print('step')\n")
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n  epochs: 3\n")
    items = "[" + ", ".join(f"shard{i:03d}" for i in range(ITEMS)) + "]"
    lines = [
        "kind: Pipeline",
        "version: 1",
        "vars:",
        f"  - shards: {items}",
        "defaults:",
        "  deps: [src/step.py]",
        "stages:",
    ]
    for t in range(TEMPLATES):
        dep = "src/step.py" if t == 0 else f"out/s{t - 1}/${{item}}.csv"
        lines += [
            f"  s{t}:",
            "    foreach: ${shards}",
            f"    desc: step {t} of ${{item}}",
            f"    cmd: python src/step.py --step {t} --shard ${{item}} --lr ${{train.lr}}",
            "    deps:",
            f"      - {dep}",
            "    params: [train.lr, train.epochs]",
            "    outs:",
            f"      - out/s{t}/${{item}}.csv",
        ]
    (root / "pipelines" / "big.yaml").write_text("\n".join(lines) + "\n")


def timed(args: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return statistics.median(times)


def compile_vs_stage_list(runs: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-compile-"))
    try:
        build(root)
        subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True)
        (root / "dvc.yaml").unlink(missing_ok=True)
        mlops = timed([sys.executable, "-m", "mlops", "compile"], root, runs)
        stages = TEMPLATES * ITEMS  # written as DVC foreach groups: DVC generates the 1,000 stages
        dvc = timed([sys.executable, "-m", "dvc", "stage", "list"], root, runs)
        print(
            f"compile {stages} stages: mlops compile {mlops:.2f}s, dvc stage list {dvc:.2f}s, "
            f"ratio {mlops / dvc:.2f}x (target <= 0.25x)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_overhead(runs: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="mlops-bench-run-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "mlops", "init", "demo"], cwd=base, check=True, capture_output=True
        )
        demo = base / "demo"
        subprocess.run([sys.executable, "-m", "mlops", "run"], cwd=demo, check=True, capture_output=True)
        dvc = timed([sys.executable, "-m", "dvc", "repro"], demo, runs)
        mlops = timed([sys.executable, "-m", "mlops", "run"], demo, runs)
        print(
            f"up-to-date example: mlops run {mlops:.2f}s, dvc repro {dvc:.2f}s, ratio {mlops / dvc:.2f}x, "
            f"overhead {mlops - dvc:+.2f}s (target <= 1.05x + 0.2s, i.e. <= {dvc * 1.05 + 0.2:.2f}s)"
        )
        forced_dvc = timed([sys.executable, "-m", "dvc", "repro", "-f"], demo, max(1, runs // 2))
        forced_mlops = timed([sys.executable, "-m", "mlops", "run", "--", "-f"], demo, max(1, runs // 2))
        print(
            f"full example run (-f): mlops run {forced_mlops:.2f}s, dvc repro {forced_dvc:.2f}s, "
            f"ratio {forced_mlops / forced_dvc:.2f}x"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def repro_scaling(sizes: list[int]) -> None:
    """Wall time of a first `dvc repro` of N trivial chained stages: DVC rewrites dvc.lock after each."""
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix="mlops-bench-scale-"))
        try:
            subprocess.run(["git", "init", "-q", str(root)], check=True)
            subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True)
            (root / "pipelines").mkdir()
            lines = ["kind: Pipeline", "version: 1", "stages:"]
            for i in range(n):
                lines += [f"  s{i}:", f"    cmd: echo {i} > o{i}.txt", f"    outs: [o{i}.txt]"]
            (root / "pipelines" / "p.yaml").write_text("\n".join(lines) + "\n")
            seconds = timed([sys.executable, "-m", "mlops", "run"], root, 1)
            print(f"dvc repro of {n} stages: {seconds:.1f}s ({seconds / n * 1000:.0f} ms per stage)")
        finally:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scaling", default="", help="comma-separated stage counts, e.g. 25,50,100")
    args = parser.parse_args()
    # as in an activated virtual environment: `python` and `mlops` in stage commands are this installation
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    compile_vs_stage_list(args.runs)
    run_overhead(args.runs)
    if args.scaling:
        repro_scaling([int(n) for n in args.scaling.split(",")])


if __name__ == "__main__":
    main()
