"""Registry read speed: mlops against the `git for-each-ref` floor and gto, in one run, on the same repositories.

Several artifacts share N tags in GTO's format (registrations `A@vX.Y.Z` on their own commits, assignments
`A#stage#N` to three stages, one deprecation `A@deprecated`), built in one `git fast-import` and packed as a
clone or `git gc` leaves them. Repositories are cached under the temp folder (rebuilt with --rebuild).

For each size: the floor (`git for-each-ref` with the fields mlops reads), then `mlops which A S`, `mlops
show A`, `mlops show` and `mlops history A` three ways: cold (no registry index under .git/mlops), warm (the index is fresh), and
after one new tag (the index updates from the one ref that changed). Wall time is the best of --repeat runs,
with that run's CPU time (user + system: the machine may be shared); peak RSS is the command's own (wait4). gto runs once, only up to --gto-max tags (it grows with the square of
the tag count). Usage:

    python benchmarks/registry.py                  # 1,000 / 10,000 / 100,000 tags; gto up to 1,000
    python benchmarks/registry.py --quick          # 1,000 tags only (CI)
    python benchmarks/registry.py --sizes 1000 10000 --gto-max 3000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

BIN = Path(sys.executable).parent
MLOPS = str(BIN / "mlops") if (BIN / "mlops").exists() else "mlops"
GTO = str(BIN / "gto") if (BIN / "gto").exists() else "gto"
ART = "churn-model"
T0 = 1_700_000_000
STAGES = ("prod", "staging", "dev")
INDEX = ("mlops", "registry-index")  # under .git: what `cold` removes


def artifact_names(count: int) -> list[str]:
    return [ART] + [f"model-{i}" for i in range(1, count)]


def build(repo: Path, n_tags: int, n_artifacts: int = 1) -> None:
    """A repository with N_TAGS registry tags over N_ARTIFACTS artifacts (the last one deprecated when
    there are several): half registrations on their own commits, half assignments."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    names = artifact_names(n_artifacts)
    deprecations = 1 if n_artifacts > 1 else 0
    n_versions = (n_tags - deprecations) // 2
    n_assign = n_tags - deprecations - n_versions
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    who = "Bench <bench@example.com>"
    for i in range(n_versions):
        out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
        out.append(f"committer {who} {T0 + i} +0000\n".encode())
        data(f"train {i}\n")
        if i:
            out.append(b"from :%d\n" % i)
        out.append(b"M 644 inline model.txt\n")
        data(f"model {i}\n")
    t = T0 + n_versions
    owner = [names[i % n_artifacts] for i in range(n_versions)]  # commit i holds a version of owner[i]
    for i in range(n_versions):
        t += 1
        art, version = owner[i], f"v0.{i // n_artifacts}.0"
        out.append(f"tag {art}@{version}\nfrom :{i + 1}\ntagger {who} {t} +0000\n".encode())
        data(f"Registering artifact {art} version {version}")
    counters = dict.fromkeys(names, 0)
    for k in range(1, n_assign + 1):
        t += 1
        target = (k * 7919) % n_versions
        art = owner[target]
        counters[art] += 1
        stage = STAGES[counters[art] % 3]
        out.append(
            f"tag {art}#{stage}#{counters[art]}\nfrom :{target + 1}\ntagger {who} {t} +0000\n".encode()
        )
        data(f"Assigning stage {stage} to artifact {art}")
    if deprecations:
        t += 1
        out.append(f"tag {names[-1]}@deprecated\nfrom :{n_versions}\ntagger {who} {t} +0000\n".encode())
        data(f"Deprecating {names[-1]}")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def cached_repo(n_tags: int, n_artifacts: int, rebuild: bool) -> Path:
    repo = Path(tempfile.gettempdir()) / "mlops-bench-registry" / f"v2-{n_tags}-{n_artifacts}"
    if rebuild or not (repo / ".git" / "packed-refs").exists():
        shutil.rmtree(repo, ignore_errors=True)
        repo.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(repo, n_tags, n_artifacts)
        print(f"  built {n_tags} tags in {time.perf_counter() - start:.1f} s: {repo}", flush=True)
    return repo


class Run(NamedTuple):
    seconds: float  # best wall time
    rss_mb: float  # peak RSS of that command (the largest over the runs)
    output: str
    cpu: float = 0.0  # user + system seconds of the best run (the machine is shared: wall time waits)


def run_waited(cmd: list[str], cwd: Path) -> tuple[float, float, str, float]:
    """One run: wall seconds, the command's own peak RSS in MB, stdout, CPU seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()[-300:]}")
    # Only the head of the output is kept: Linux counts the parent's RSS at fork into the child's peak, so
    # the parent must stay small (about 14 MB, what `python -c pass` reports here) for the figure to be the
    # command's own.
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss / 1024, out[:400].decode(errors="replace"), cpu


def best_of(cmd: list[str], cwd: Path, repeat: int, before: object = None) -> Run:
    best, peak, output, best_cpu = float("inf"), 0.0, "", 0.0
    for _ in range(repeat):
        if callable(before):
            before()
        seconds, rss, output, cpu = run_waited(cmd, cwd)
        if seconds < best:
            best, best_cpu = seconds, cpu
        peak = max(peak, rss)
    return Run(best, peak, output, best_cpu)


def drop_index(repo: Path) -> None:
    shutil.rmtree(repo.joinpath(".git", *INDEX), ignore_errors=True)


def one_new_tag(repo: Path, counter: list[int]) -> None:
    """A new assignment (a loose ref on top of the packed ones), as `mlops assign` adds it."""
    counter[0] += 1
    name = f"{ART}#prod#{10_000_000 + counter[0]}"
    subprocess.run(["git", "tag", "-a", "-m", "bench", name, "main"], cwd=repo, check=True)


def remove_new_tags(repo: Path) -> None:
    listed = subprocess.run(
        ["git", "tag", "-l", f"{ART}#prod#1000????*"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    if listed:
        subprocess.run(["git", "tag", "-d", *listed], cwd=repo, check=True, capture_output=True)


COMMANDS = {
    "which": ([MLOPS, "which", ART, "prod"], [GTO, "show", f"{ART}#prod", "--ref"]),
    "showA": ([MLOPS, "show", ART], [GTO, "show", ART]),
    "show": ([MLOPS, "show"], [GTO, "show"]),
    "history": ([MLOPS, "history", ART], [GTO, "history", ART]),
}


def bench_size(n: int, args: argparse.Namespace, floor_cmd: list[str]) -> dict[str, object]:
    print(f"\n{n} tags, {args.artifacts} artifacts", flush=True)
    repo = cached_repo(n, args.artifacts, args.rebuild)
    remove_new_tags(repo)
    floor = best_of(floor_cmd, repo, args.repeat)
    print(
        f"  git for-each-ref (floor)     {floor.seconds * 1000:8.0f} ms  {floor.rss_mb:6.0f} MB"
        f"  cpu {floor.cpu * 1000:6.0f} ms",
        flush=True,
    )
    row: dict[str, object] = {"n": n, "floor": floor}
    added = [0]
    for name in args.commands:
        mine, theirs = COMMANDS[name]
        cold = best_of(mine, repo, args.repeat, before=lambda: drop_index(repo))
        warm = best_of(mine, repo, args.repeat)
        if n <= args.gto_max:  # before the new tags below: both tools read the same repository
            gto = best_of(theirs, repo, 1)
            row[f"gto {name}"] = gto
        after = best_of(mine, repo, args.repeat, before=lambda: one_new_tag(repo, added))
        row[name] = (cold, warm, after)
        for label, run in (("cold", cold), ("warm", warm), ("after 1 tag", after)):
            print(
                f"  mlops {name:<8} {label:<12} {run.seconds * 1000:8.0f} ms  {run.rss_mb:6.0f} MB"
                f"  {run.seconds / floor.seconds:5.2f}x floor  cpu {run.cpu * 1000:6.0f} ms"
                f" ({run.cpu / floor.cpu:5.2f}x floor cpu)",
                flush=True,
            )
        if n <= args.gto_max:
            gto = row[f"gto {name}"]  # type: ignore[assignment]
            print(
                f"  gto {name:<10} {gto.seconds * 1000:21.0f} ms  {gto.rss_mb:6.0f} MB  cpu {gto.cpu * 1000:6.0f} ms",
                flush=True,
            )
        remove_new_tags(repo)
    which = row.get("which")
    if isinstance(which, tuple) and "gto which" in row:
        ours, gtos = which[1].output.strip(), row["gto which"].output.strip()  # type: ignore[union-attr]
        print(f"  {ART}#prod: gto {gtos}, mlops {ours}: {'agree' if gtos == f'{ART}@{ours}' else 'DISAGREE'}")
    return row


def summary(rows: list[dict[str, object]], commands: list[str]) -> None:
    print("\nsummary: wall ms (ratio to the for-each-ref floor), peak RSS MB of the warm run; then CPU ms")
    head = f"{'tags':>7} {'floor':>7}"
    for name in commands:
        head += f" | {name + ' cold':>16} {name + ' warm':>16} {'+1 tag':>16} {'MB':>4} {'gto':>8}"
    print(head)
    for row in rows:
        floor: Run = row["floor"]  # type: ignore[assignment]
        line = f"{row['n']:>7} {floor.seconds * 1000:7.0f}"
        for name in commands:
            cold, warm, after = row[name]  # type: ignore[misc]
            cells = [
                f"{r.seconds * 1000:6.0f} ({r.seconds / floor.seconds:5.2f}x)" for r in (cold, warm, after)
            ]
            gto = row.get(f"gto {name}")
            gto_cell = f"{gto.seconds * 1000:8.0f}" if isinstance(gto, Run) else f"{'-':>8}"
            line += " | " + " ".join(f"{c:>16}" for c in cells) + f" {warm.rss_mb:4.0f} {gto_cell}"
        print(line)
    for row in rows:
        floor = row["floor"]  # type: ignore[assignment]
        line = f"{row['n']:>7} {floor.cpu * 1000:7.0f}"
        for name in commands:
            runs = row[name]  # type: ignore[misc]
            cells = [f"{r.cpu * 1000:6.0f} ({r.cpu / floor.cpu:5.2f}x)" for r in runs]
            line += " | " + " ".join(f"{c:>16}" for c in cells) + f" {'':>4} {'':>8}"
        print(line + "  (CPU)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--quick", action="store_true", help="1,000 tags only, 2 runs each (CI)")
    parser.add_argument("--artifacts", type=int, default=10)
    parser.add_argument("--gto-max", type=int, default=1000, help="skip gto above this many tags")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached repositories")
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=list(COMMANDS))
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = [1000], 2
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mlops.registry.read import FORMAT

    floor_cmd = ["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"]
    rows = [bench_size(n, args, floor_cmd) for n in args.sizes]
    summary(rows, args.commands)


if __name__ == "__main__":
    main()
