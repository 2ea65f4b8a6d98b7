"""Smoke test: the benchmark scripts run end to end on tiny data (the real runs are not part of the suite)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.slow
def test_validate_benchmark_runs_on_tiny_data(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "validate.py"),
            "--rows",
            "3000",
            "--tools",
            "floor,polars,mlops,mlops-pandas",
        ],
        capture_output=True,
        text=True,
        env={"MLOPS_BENCH_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "mlops / floor time:" in proc.stdout and "mlops / polars by hand time:" in proc.stdout
    assert "cpu" in proc.stdout.split("mlops / polars by hand time:")[1].splitlines()[0]  # CPU ratio too
    lines = {
        line.split()[0]: line.split()
        for line in proc.stdout.splitlines()
        if line.startswith(("floor ", "polars ", "mlops")) and "/" not in line
    }
    assert all(float(line[2]) > 0 for line in lines.values())  # CPU seconds of each child
    assert {tool: line[4] for tool, line in lines.items()} == {  # the same 30 rules pass on valid data
        "floor": "0",
        "polars": "0",
        "mlops": "0",
        "mlops-pandas": "0",
    }


@pytest.mark.slow
def test_drift_benchmark_agrees_with_the_full_sample(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "drift.py"), "--rows", "20000"],
        capture_output=True,
        text=True,
        env={
            "MLOPS_BENCH_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "MLOPS_BENCH_NO_EVIDENTLY": "1",
        },
    )
    assert proc.returncode == 0, proc.stderr
    ks_error = float(proc.stdout.split("max |KS mlops - KS full sample|:")[1].split()[0])
    assert ks_error < 1e-3


@pytest.mark.slow
def test_engines_benchmark_finds_the_same_drift_on_every_engine(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "engines.py"), "--rows", "5000"],
        capture_output=True,
        text=True,
        env={"MLOPS_BENCH_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "same drift statistics on every engine: yes" in proc.stdout
    assert "pandas " in proc.stdout


@pytest.mark.slow
@pytest.mark.spark
def test_spark_validate_benchmark_runs_with_a_bounded_driver(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    proc = subprocess.run(
        [sys.executable, str(BENCH / "spark_validate.py"), "--rows", "20000", "--only", "mlops"],
        capture_output=True,
        text=True,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYSPARK_PYTHON": sys.executable,  # the workers import pyarrow from this environment
            "HOME": str(tmp_path),
            "TMPDIR": str(tmp_path),
        },
    )
    # exit 1 would mean the driver's heap went past 1 GB
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rows 20,000" in proc.stdout
    assert "mlops spark engine:" in proc.stdout
