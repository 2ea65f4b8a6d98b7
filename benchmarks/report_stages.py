"""Stage report speed: `mlops report stages` against the `git for-each-ref` floor, in the same run.

One artifact whose versions move through dev -> staging -> production as a team's would: every version
registered (its tag message records metrics, as `mlops register` writes them), half reach staging a day
later, a quarter reach production three days after that, every fifth production version is unassigned.
Built in one `git fast-import` and packed, as a clone leaves tags. Times are wall clock of the real
commands, best of --repeat. Usage:

    python benchmarks/report_stages.py              # 1000, 3000, 10000 tags
    python benchmarks/report_stages.py --quick      # 1000 tags, 2 repeats
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLOPS = str(BIN / "mlops") if (BIN / "mlops").exists() else "mlops"
ART = "churn-model"
T0 = 1_700_000_000
HOUR = 3600
WHO = "Bench <bench@example.com>"


def events(n_versions: int) -> list[tuple[int, str, int, str]]:
    """(time, tag name, version index, message) of every tag, oldest first."""
    found: list[tuple[int, str, int, str]] = []
    for i in range(n_versions):
        t = T0 + i * 6 * HOUR
        block = {"event": "register", "artifact": ART, "version": f"v0.{i}.0", "metrics": _metrics(i)}
        found.append((t, f"{ART}@v0.{i}.0", i, f"Register {ART} v0.{i}.0\n\n{json.dumps(block)}"))
        if i % 2 == 0:
            found.append((t + 24 * HOUR + i % 7, "staging", i, f"Promote {ART} v0.{i}.0 to staging"))
        if i % 4 == 0:
            found.append((t + 96 * HOUR + i % 11, "production", i, f"Promote {ART} v0.{i}.0 to production"))
        if i % 20 == 0:
            found.append((t + 99 * HOUR, "production!", i, f"Remove {ART} v0.{i}.0 from production"))
    found.sort(key=lambda e: e[0])
    return found


def _metrics(i: int) -> dict[str, object]:
    return {
        "auc": round(0.7 + (i % 13) / 100, 4),
        "accuracy": round(0.8 + (i % 7) / 100, 4),
        "slices": {"eu": {"auc": 0.7}},
    }


def build(repo: Path, n_tags: int) -> None:
    """A repository with about N_TAGS registry tags (1.8 per version)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    n_versions = max(2, int(n_tags / 1.8))
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    for i in range(n_versions):
        out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
        out.append(f"committer {WHO} {T0 + i} +0000\n".encode())
        data(f"train {i}\n")
        if i:
            out.append(b"from :%d\n" % i)
        out.append(b"M 644 inline model.txt\n")
        data(f"model {i}\n")
    counter = 0
    for t, name, i, message in events(n_versions)[:n_tags]:
        if "@" not in name:
            counter += 1
            name = f"{ART}#{name}#{counter}"
        out.append(f"tag {name}\nfrom :{i + 1}\ntagger {WHO} {t} +0000\n".encode())
        data(message)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def timed(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + sys of the child, which a busy machine inflates less)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1000 tags, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = [1000], 2
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mlops.registry.read import FORMAT

    print("wall seconds (CPU seconds), best of --repeat; ratio: report text over for-each-ref, wall")
    print(f"{'tags':>6}  {'for-each-ref':>16}  {'report text':>16}  {'report json':>16}  {'ratio':>6}")
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"mlops-report-{n}-"))
        try:
            repo = tmp / "repo"
            build(repo, n)
            floor = timed(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], repo, args.repeat)
            text = timed([MLOPS, "report", "stages"], repo, args.repeat)
            as_json = timed([MLOPS, "report", "stages", "--format", "json"], repo, args.repeat)
            cells = "  ".join(f"{w:>7.3f}s ({c:.3f}s)" for w, c in (floor, text, as_json))
            print(f"{n:>6}  {cells}  {text[0] / floor[0]:>5.1f}x", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
