"""Benchmark: PSI and KS on 10 numeric columns, 1M current rows against a 1M-row reference.

mlops computes drift of the current batch against a stored reference profile (profile the batch, compare
sketches); the anchors are a full-sample numpy/scipy computation and Evidently (in its own virtualenv,
benchmarks/.venv-evidently, because it pins its own pandas):

    python3 -m venv benchmarks/.venv-evidently && benchmarks/.venv-evidently/bin/pip install evidently
    python benchmarks/drift.py [--rows 1000000]

Prints each tool's wall time (each in its own process, in the same run) and the ratios; target: mlops at
least 20x faster than Evidently. Also prints the largest difference between mlops' statistics and the
full-sample ones (KS within 1e-3).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVIDENTLY_PY = HERE / ".venv-evidently" / "bin" / "python"
COLUMNS = [f"f{i}" for i in range(10)]


def generate(folder: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({c: rng.normal(i, 1 + i / 10, rows) for i, c in enumerate(COLUMNS)})
    cur = pd.DataFrame(
        {c: rng.normal(i + (0.1 if i % 3 == 0 else 0), 1 + i / 10, rows) for i, c in enumerate(COLUMNS)}
    )
    ref.to_parquet(folder / "ref.parquet")
    cur.to_parquet(folder / "cur.parquet")


def run_mlops(folder: Path) -> dict[str, object]:
    from mlops.data.drift import drift_scores
    from mlops.data.profile import build_profile, load_profile

    profile_path = folder / "ref.profile.json"
    if not profile_path.exists():
        profile_path.write_text(build_profile(folder / "ref.parquet").to_json())
    start = time.perf_counter()
    reference = load_profile(profile_path)
    current = build_profile(folder / "cur.parquet")
    psi = drift_scores(current, reference, method="psi")
    ks = drift_scores(current, reference, method="ks")
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "psi": {c: r.statistic for c, r in psi.items()},
        "ks": {c: r.statistic for c, r in ks.items()},
    }


def run_numpy(folder: Path) -> dict[str, object]:
    import numpy as np
    import pandas as pd
    from scipy import stats

    start = time.perf_counter()
    ref, cur = pd.read_parquet(folder / "ref.parquet"), pd.read_parquet(folder / "cur.parquet")
    psi, ks = {}, {}
    for c in COLUMNS:
        r, x = ref[c].to_numpy(), cur[c].to_numpy()
        edges = np.concatenate([[-np.inf], np.unique(np.quantile(r, np.linspace(0, 1, 11)[1:-1])), [np.inf]])
        p = np.maximum(np.histogram(x, edges)[0] / len(x), 1e-4)
        q = np.maximum(np.histogram(r, edges)[0] / len(r), 1e-4)
        psi[c] = float(np.sum((p - q) * np.log(p / q)))
        ks[c] = float(stats.ks_2samp(x, r).statistic)
    return {"seconds": time.perf_counter() - start, "psi": psi, "ks": ks}


EVIDENTLY_SCRIPT = r"""
import json, sys, time
import pandas as pd
folder = sys.argv[1]
cols = [f"f{i}" for i in range(10)]
start = time.perf_counter()
ref, cur = pd.read_parquet(folder + "/ref.parquet"), pd.read_parquet(folder + "/cur.parquet")
try:  # Evidently >= 0.7
    from evidently import Report
    from evidently.presets import DataDriftPreset
    for method in ("psi", "ks"):
        Report([DataDriftPreset(method=method)]).run(cur, ref)
except ImportError:  # older releases
    from evidently.report import Report
    from evidently.metric_preset import DataDriftPreset
    for method in ("psi", "ks"):
        Report(metrics=[DataDriftPreset(stattest=method)]).run(reference_data=ref, current_data=cur)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def child(tool: str, folder: str) -> None:
    result = run_mlops(Path(folder)) if tool == "mlops" else run_numpy(Path(folder))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "FOLDER"))
    parser.add_argument("--generate", metavar="FOLDER")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.generate:
        generate(Path(args.generate), args.rows)
        return
    folder = Path(os.environ.get("MLOPS_BENCH_DIR", tempfile.gettempdir())) / f"mlops-drift-{args.rows}"
    if not (folder / "cur.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, __file__, "--generate", str(folder), "--rows", str(args.rows)], check=True
        )
    results = {}
    for tool in ("mlops", "numpy"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", tool, str(folder)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[tool] = json.loads(proc.stdout.strip().splitlines()[-1])
    if os.environ.get("MLOPS_BENCH_NO_EVIDENTLY"):
        pass
    elif EVIDENTLY_PY.exists():
        proc = subprocess.run(
            [str(EVIDENTLY_PY), "-c", EVIDENTLY_SCRIPT, str(folder)], capture_output=True, text=True
        )
        if proc.returncode == 0:
            results["evidently"] = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            print("evidently failed:", proc.stderr.strip().splitlines()[-1:])
    else:
        print(f"evidently skipped: no {EVIDENTLY_PY} (see the docstring)")
    for tool, res in results.items():
        print(f"{tool:10} {res['seconds']:8.2f} s")
    m = results["mlops"]
    ks_err = max(abs(m["ks"][c] - results["numpy"]["ks"][c]) for c in COLUMNS)
    psi_err = max(abs(m["psi"][c] - results["numpy"]["psi"][c]) for c in COLUMNS)
    print(f"max |KS mlops - KS full sample|:   {ks_err:.2e}")
    print(f"max |PSI mlops - PSI full sample|: {psi_err:.2e}")
    print(f"numpy/scipy / mlops: {results['numpy']['seconds'] / m['seconds']:.1f}x")
    if "evidently" in results:
        print(f"evidently / mlops:   {results['evidently']['seconds'] / m['seconds']:.1f}x (target >= 20)")


if __name__ == "__main__":
    main()
