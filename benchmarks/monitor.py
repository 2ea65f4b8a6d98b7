"""Benchmark: `mlops monitor` on a 1M-row batch of 10 numeric features against a profile, versus Evidently's
data-drift report (DataDriftPreset) on the same batch and the reference data, in the same run.

Evidently needs pandas < 3, so it runs in its own virtual environment (not committed):
    python -m venv benchmarks/.venv-evidently
    benchmarks/.venv-evidently/bin/pip install evidently pyarrow "pandas<3"
    python benchmarks/monitor.py [--rows 1000000] [--repeat 3]

Both sides read the batch from the same Parquet file and are timed inside their process (imports excluded):
mlops reads the batch, profiles it, scores drift against the version's stored profile, decides alerts, appends
the history record and renders the text report; Evidently reads the batch and the reference data (it needs the
raw reference: it has no profile) and runs its drift report. The mlops command-line run, imports included, is
printed too. Target: mlops >= 20x faster.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVIDENTLY_PY = HERE / ".venv-evidently" / "bin" / "python"
SHIFTED = 3  # the first three features drift

EVIDENTLY_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
batch_path, reference_path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
best, drifted = float("inf"), None
for _ in range(repeat):
    start = time.perf_counter()
    current = pd.read_parquet(batch_path)
    reference = pd.read_parquet(reference_path)
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    result = snapshot.dict()
    best = min(best, time.perf_counter() - start)
    drifted = result["metrics"][0]["value"]["count"]
print(json.dumps({"seconds": best, "drifted": drifted}))
"""


def make_data(folder: Path, rows: int) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    reference, batch = folder / f"reference-{rows}.parquet", folder / f"batch-{rows}.parquet"
    if not reference.exists() or not batch.exists():
        rng = np.random.default_rng(0)
        pd.DataFrame({f"f{i}": rng.normal(0, 1 + i / 10, rows) for i in range(10)}).to_parquet(reference)
        pd.DataFrame(
            {f"f{i}": rng.normal(0.6 if i < SHIFTED else 0, 1 + i / 10, rows) for i in range(10)}
        ).to_parquet(batch)
    return reference, batch


def make_repo(folder: Path, reference: Path) -> Path:
    """A Git repository whose commit holds the reference profile (as a registered version would)."""
    from mlops.data.profile import build_profile

    repo = Path(tempfile.mkdtemp(prefix="repo-", dir=folder))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@b",
    }
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "profile.json").write_text(build_profile(str(reference)).to_json())
    subprocess.run(["git", "add", "profile.json"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "reference profile"], cwd=repo, check=True, env=env)
    return repo


def time_mlops(repo: Path, batch: Path, repeat: int) -> tuple[float, int]:
    from mlops import api

    best, drifted = float("inf"), -1
    for _ in range(repeat):
        start = time.perf_counter()
        result = api.monitor_batch(
            batch, against="HEAD:profile.json", root=repo, history=repo / "monitoring" / "history.jsonl"
        )
        api.monitor_report(result, "text")
        best = min(best, time.perf_counter() - start)
        drifted = len(result.record["drift"]["drifted"])
    return best, drifted


def time_mlops_cli(repo: Path, batch: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mlops", "monitor", str(batch), "--against", "HEAD:profile.json", "--dry-run"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mlops monitor failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def time_evidently(batch: Path, reference: Path, repeat: int) -> tuple[float, int]:
    proc = subprocess.run(
        [str(EVIDENTLY_PY), "-c", EVIDENTLY_SCRIPT, str(batch), str(reference), str(repeat)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"Evidently failed: {proc.stderr.strip().splitlines()[-1:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(out["seconds"]), int(out["drifted"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N (Evidently: best of min(N, 2))")
    parser.add_argument("--no-evidently", action="store_true", help="time mlops only")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=HERE / ".data" / "monitor",
        help="where the generated data is kept between runs",
    )
    args = parser.parse_args()

    reference, batch = make_data(args.data_dir, args.rows)
    repo = make_repo(args.data_dir, reference)
    try:
        seconds, drifted = time_mlops(repo, batch, args.repeat)
        cli_seconds = time_mlops_cli(repo, batch)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    print(f"rows: {args.rows:,} x 10 numeric features ({SHIFTED} shifted)")
    print(f"mlops monitor (in process, best of {args.repeat}): {seconds:.2f} s, {drifted} columns drifted")
    print(f"mlops monitor (command line, imports included): {cli_seconds:.2f} s")
    if args.no_evidently:
        return
    if not EVIDENTLY_PY.exists():
        print(f"Evidently is not installed in {EVIDENTLY_PY.parent.parent}; see this script's docstring.")
        raise SystemExit(2)
    ev_seconds, ev_drifted = time_evidently(batch, reference, min(args.repeat, 2))
    print(
        f"Evidently DataDriftPreset (in process, best of {min(args.repeat, 2)}): {ev_seconds:.2f} s, "
        f"{ev_drifted} columns drifted"
    )
    ratio = ev_seconds / seconds
    print(f"ratio: mlops is {ratio:.1f}x faster (target >= 20x) {'OK' if ratio >= 20 else 'BELOW TARGET'}")
    print(f"ratio, mlops command line vs Evidently in process: {ev_seconds / cli_seconds:.1f}x")


if __name__ == "__main__":
    main()
