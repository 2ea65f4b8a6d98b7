"""Benchmark: `mlops lint` on one very large rules file (50,000 columns, about 2 MB).

`mlops lint` runs as a pre-commit hook and in CI on pull-request content, so its cost must grow linearly
with the input. This writes one rules file whose columns each carry a few rules (and a `pattern`), runs
`mlops lint` on it in a fresh process, and prints the wall time and the peak RSS of that process (from
resource.getrusage(RUSAGE_CHILDREN), so it includes everything the linter allocated). Targets: < 2 s and
< 200 MB for the full size. With `--baseline DIR` (a source tree holding an `mlops` package, e.g. from
`git archive main mlops | tar -x -C DIR`) the same file is linted by that code first, in the same run,
so the two figures share the machine's load; each process is measured on its own.

    python benchmarks/lint_large.py [--columns 50000] [--quick] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

COLUMNS = 50_000


def rules_text(columns: int, error: bool = False) -> str:
    """The rules file; with ERROR its last column's pattern is refused (one finding, located)."""
    lines = ["kind: Rules", "version: 1", "desc: a very wide table", "format: csv", "columns:"]
    for i in range(columns - 1 if error else columns):
        if i % 10 == 0:
            lines.append(f"  c{i:05d}: {{type: string, pattern: '^c[0-9]+$', length: {{max: 12}}}}")
        else:
            lines.append(f"  c{i:05d}: {{type: integer, max: {i + 10}}}")
    if error:
        lines.append("  last: {type: string, pattern: '(?=a)a'}")
    lines += ["checks:", "  - name: first_below_second", "    expr: c00001 <= c00002"]
    return "\n".join(lines) + "\n"


def run(columns: int, source: str | None = None, error: bool = False) -> tuple[float, float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, file size in bytes, exit code) of one `mlops lint` run,
    by the installed mlops or by the one in SOURCE.

    CPU time is reported too because wall time on a shared machine mostly measures the other processes.
    The lint runs in a child of a fresh Python process, so RUSAGE_CHILDREN there is that process alone."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / "rules").mkdir()
        path = root / "rules" / "wide.yaml"
        path.write_text(rules_text(columns, error))
        env = dict(os.environ, PYTHONPATH=source) if source else None
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURE, sys.executable, "-m", "mlops", "lint", "rules/wide.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
        )
        *output, figures = proc.stdout.rstrip("\n").rsplit("\n", 1) or [""]
        seconds, cpu, peak_kb, code = (float(x) for x in figures.split())
        if code not in (0, 1):
            print(*output, proc.stderr[-2000:], file=sys.stderr)
        return seconds, cpu, peak_kb / 1024, path.stat().st_size, int(code)


# run the command, then print its wall time, CPU time, peak RSS (KB on Linux) and exit code
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, code)
"""


def report(label: str, columns: int, source: str | None = None, error: bool = False) -> None:
    seconds, cpu, peak_mb, size, code = run(columns, source, error)
    print(
        f"{label}mlops lint, one rules file of {columns} columns ({size / 1e6:.2f} MB): "
        f"{seconds:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak_mb:.0f} MB, exit {code}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=COLUMNS)
    parser.add_argument("--quick", action="store_true", help="5,000 columns, to check the script runs")
    parser.add_argument("--baseline", metavar="DIR", help="also lint with the mlops package in DIR, first")
    parser.add_argument(
        "--error",
        action="store_true",
        help="also a file whose last column has an error (positions looked up)",
    )
    args = parser.parse_args()
    columns = 5_000 if args.quick else args.columns
    for error in (False, True) if args.error else (False,):
        label = "with one error, " if error else ""
        if args.baseline:
            report(f"before: {label}", columns, os.path.abspath(args.baseline), error)
        report(f"after:  {label}" if args.baseline else label, columns, None, error)


if __name__ == "__main__":
    main()
