"""Benchmark: `mlops lint` vs `check-jsonschema --schemafile` on 50 pipeline files of 20 stages each.

Both run as fresh processes (as pre-commit runs them), several times each, same machine, same run; the
median wall time of each and their ratio are printed. mlops also runs its cross-file checks (graph,
producers, duplicate outputs, params), check-jsonschema only the schema.

    python benchmarks/lint.py [--runs 7]
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

FILES, STAGES = 50, 20


def build(root: Path) -> list[str]:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pipelines").mkdir()
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n  epochs: 3\n")
    (root / "data").mkdir()
    (root / "src").mkdir()
    (root / "src" / "step.py").write_text("print('step')\n")
    paths = []
    for f in range(FILES):
        (root / "data" / f"raw{f}.csv").write_text("a\n1\n")
        lines = [
            "kind: Pipeline",
            "version: 1",
            f"desc: pipeline {f}",
            "defaults:",
            "  deps: [src/step.py]",
            "stages:",
        ]
        for s in range(STAGES):
            dep = f"data/raw{f}.csv" if s == 0 else f"out/p{f}/s{s - 1}.parquet"
            lines += [
                f"  p{f}_s{s}:",
                f"    desc: step {s} of pipeline {f}",
                f"    cmd: python src/step.py --in {dep} --out out/p{f}/s{s}.parquet",
                f"    deps: [{dep}]",
                "    params: [train.lr, train.epochs]",
                f"    outs: [out/p{f}/s{s}.parquet]",
                f"    metrics: [{{out/p{f}/m{s}.json: {{cache: false}}}}]",
            ]
        path = root / "pipelines" / f"p{f:02d}.yaml"
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path.relative_to(root)))
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    return paths


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        code = proc.returncode
        if proc.returncode not in (0,):
            print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    mlops = [str(bindir / "mlops")] if (bindir / "mlops").exists() else [sys.executable, "-m", "mlops"]
    cj = (
        str(bindir / "check-jsonschema")
        if (bindir / "check-jsonschema").exists()
        else shutil.which("check-jsonschema")
    )
    schema = Path(__file__).resolve().parent.parent / "mlops" / "schemas" / "pipeline.schema.json"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        paths = build(root)
        env_note = f"{FILES} files x {STAGES} stages, {args.runs} runs each, median wall time"
        ours, ours_code = timed([*mlops, "lint"], root, args.runs)
        theirs, theirs_code = timed([cj, "--schemafile", str(schema), *paths], root, args.runs)
        ours_files, _ = timed([*mlops, "lint", *paths[:3]], root, args.runs)
    print(f"lint benchmark: {env_note}")
    print(f"  mlops lint (whole project, schema + cross-file): {ours:.3f} s (exit {ours_code})")
    print(f"  mlops lint (3 changed files, as pre-commit):    {ours_files:.3f} s")
    print(f"  check-jsonschema --schemafile (schema only):    {theirs:.3f} s (exit {theirs_code})")
    print(f"  ratio mlops/check-jsonschema: {ours / theirs:.2f}x (target <= 0.25x)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "0")
    main()
