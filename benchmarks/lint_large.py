"""Benchmark: `mlops lint` on one very large rules file (50,000 columns, about 2 MB).

`mlops lint` runs as a pre-commit hook and in CI on pull-request content, so its cost must grow linearly
with the input. This writes one rules file whose columns each carry a few rules (and a `pattern`), runs
`mlops lint` on it in a fresh process, and prints the wall time and the peak RSS of that process (from
resource.getrusage(RUSAGE_CHILDREN), so it includes everything the linter allocated). Targets: < 2 s and
< 200 MB for the full size.

    python benchmarks/lint_large.py [--columns 50000] [--quick]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = 50_000


def rules_text(columns: int) -> str:
    lines = ["kind: Rules", "version: 1", "desc: a very wide table", "format: csv", "columns:"]
    for i in range(columns):
        if i % 10 == 0:
            lines.append(f"  c{i:05d}: {{type: string, pattern: '^c[0-9]+$', length: {{max: 12}}}}")
        else:
            lines.append(f"  c{i:05d}: {{type: integer, max: {i + 10}}}")
    lines += ["checks:", "  - name: first_below_second", "    expr: c00001 <= c00002"]
    return "\n".join(lines) + "\n"


def run(columns: int) -> tuple[float, float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, file size in bytes, exit code) of one `mlops lint` run.

    CPU time is reported too because wall time on a shared machine mostly measures the other processes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / "rules").mkdir()
        path = root / "rules" / "wide.yaml"
        path.write_text(rules_text(columns))
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mlops", "lint", "rules/wide.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # git init ran before: tiny, and counted
        peak_kb = usage.ru_maxrss  # KB on Linux
        if proc.returncode not in (0, 1):
            print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        return seconds, usage.ru_utime + usage.ru_stime, peak_kb / 1024, path.stat().st_size, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=COLUMNS)
    parser.add_argument("--quick", action="store_true", help="5,000 columns, to check the script runs")
    args = parser.parse_args()
    columns = 5_000 if args.quick else args.columns
    seconds, cpu, peak_mb, size, code = run(columns)
    print(
        f"mlops lint, one rules file of {columns} columns ({size / 1e6:.2f} MB): "
        f"{seconds:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak_mb:.0f} MB, exit {code}"
    )


if __name__ == "__main__":
    main()
