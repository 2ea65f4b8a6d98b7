"""Benchmark: profile and drift (validate against a reference profile) on each installed engine.

    python benchmarks/engines.py [--rows 10000000]
    python benchmarks/engines.py --quick      # 200k rows (CI)

Each engine runs in its own process, in the same run; prints wall time and peak memory (max RSS) per engine
and operation, and checks that every engine found the same drift.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = ["a", "b", "c", "plan"]


def generate(folder: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    for name, shift in (("reference", 0.0), ("current", 0.05)):
        frame = pd.DataFrame(
            {
                "a": rng.normal(shift, 1, rows),
                "b": rng.lognormal(0, 1, rows),
                "c": rng.integers(0, 100, rows),
                "plan": rng.choice(np.array(["basic", "pro", "enterprise"], dtype=object), rows),
            }
        )
        frame.to_parquet(folder / f"{name}.parquet", row_group_size=1_000_000)


def child(engine: str, folder: Path) -> None:
    from mlops.data.engines import get_engine
    from mlops.data.rules import rules_from_dict

    runner = get_engine(engine)
    start = time.perf_counter()
    reference = runner.profile(str(folder / "reference.parquet"))
    profiled = time.perf_counter() - start
    rules = rules_from_dict(
        {"kind": "Rules", "version": 1, "drift": {"reference": "unused", "method": "psi", "columns": COLUMNS}}
    )
    start = time.perf_counter()
    report = runner.validate(str(folder / "current.parquet"), rules, reference=reference)
    drifted = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stats = {n: c["statistic"] for n, c in (report.drift or {}).get("columns", {}).items()}
    print(json.dumps({"profile": profiled, "drift": drifted, "peak": peak, "stats": stats}))


def main() -> None:
    from mlops.data.engines import available

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200k rows")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    rows = min(args.rows, 200_000) if args.quick else args.rows
    folder = Path(os.environ.get("MLOPS_BENCH_DIR", tempfile.gettempdir())) / f"mlops-engines-{rows}"
    if not folder.exists():
        folder.mkdir(parents=True)
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import engines; engines.generate(__import__('pathlib').Path({str(folder)!r}), {rows})",
            ],
            check=True,
        )
    results = {}
    for engine in available():
        proc = subprocess.run(
            [sys.executable, __file__, "--child", engine, str(folder)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(f"{engine} failed:\n{proc.stderr}")
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"{'engine':8} {'profile s':>9} {'drift s':>8} {'peak MB':>8}   ({rows} rows x {len(COLUMNS)} columns)"
    )
    for engine, res in results.items():
        print(f"{engine:8} {res['profile']:9.2f} {res['drift']:8.2f} {res['peak'] / 2**20:8.0f}")
    first = next(iter(results.values()))["stats"]
    same = all(r["stats"] == first for r in results.values())
    # exact while each partition's column fits the sketch exactly; beyond, within the sketches' error
    gap = max(abs(r["stats"][c] - first[c]) for r in results.values() for c in first) if first else 0.0
    print(f"same drift statistics on every engine: {'yes' if same else 'NO'} (largest difference {gap:.3g})")
    for engine, res in results.items():
        if res["stats"] != first:  # say which engine, and by how much
            print(f"  {engine}: {res['stats']} (first engine: {first})")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
