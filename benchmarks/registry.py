"""Registry read speed: mlops against gto and the git floor, in the same run, on the same repositories.

One artifact with N tags (half registrations `A@vX.Y.Z` on their own commits, half assignments `A#stage#N`,
GTO's format), built in one `git fast-import` and packed as a clone or `git gc` leaves them. Times are wall
clock of the real commands, best of --repeat (gto once: it takes minutes). Usage:

    python benchmarks/registry.py                      # 300, 1000, 3000, 10000 tags; gto up to 3000
    python benchmarks/registry.py --sizes 300 1000 --gto-max 1000
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLOPS = str(BIN / "mlops") if (BIN / "mlops").exists() else "mlops"
GTO = str(BIN / "gto") if (BIN / "gto").exists() else "gto"
ART = "churn-model"
T0 = 1_700_000_000


def build(repo: Path, n_tags: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    n_versions = n_tags // 2
    n_assign = n_tags - n_versions
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
    for i in range(n_versions):
        t += 1
        out.append(f"tag {ART}@v0.{i}.0\nfrom :{i + 1}\ntagger {who} {t} +0000\n".encode())
        data(f"Registering artifact {ART} version v0.{i}.0")
    for k in range(1, n_assign + 1):
        t += 1
        stage = ("prod", "staging", "dev")[k % 3]
        target = (k * 7919) % n_versions + 1
        out.append(f"tag {ART}#{stage}#{k}\nfrom :{target}\ntagger {who} {t} +0000\n".encode())
        data(f"Assigning stage {stage} to artifact {ART}")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


CPU: dict[str, float] = {}  # command -> best CPU seconds (user + sys of the child), shown next to wall time


def timed(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, str]:
    """Best wall time of `repeat` runs (and the best child CPU time in CPU, which a busy machine inflates
    less than wall time)."""
    best, best_cpu, output = float("inf"), float("inf"), ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best, best_cpu, output = min(best, elapsed), min(best_cpu, cpu), proc.stdout
    CPU[" ".join(cmd)] = best_cpu
    return best, output


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000, 10000])
    parser.add_argument("--gto-max", type=int, default=3000, help="skip gto above this many tags")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--commands", nargs="+", default=["show", "which", "history"], choices=["show", "which", "history"]
    )
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mlops.registry.read import FORMAT

    rows = []
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"mlops-bench-{n}-"))
        try:
            repo = tmp / "repo"
            t = time.perf_counter()
            build(repo, n)
            print(f"\n{n} tags (built in {time.perf_counter() - t:.1f} s)", flush=True)
            floor, _ = timed(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], repo, args.repeat)
            mine = {
                "show": [MLOPS, "show"],
                "which": [MLOPS, "which", ART, "prod"],
                "history": [MLOPS, "history", ART],
            }
            gtos = {
                "show": [GTO, "show"],
                "which": [GTO, "show", f"{ART}#prod", "--ref"],
                "history": [GTO, "history", ART],
            }
            ours = {name: timed(mine[name], repo, args.repeat) for name in args.commands}
            print(f"  git for-each-ref (floor)   {floor * 1000:9.1f} ms")
            for name, (sec, _) in ours.items():
                cpu = CPU[" ".join(mine[name])]
                print(f"  mlops {name:<20} {sec * 1000:9.1f} ms   (cpu {cpu * 1000:.0f} ms)", flush=True)
            theirs: dict[str, tuple[float, str]] = {}
            if n <= args.gto_max:
                theirs = {name: timed(gtos[name], repo, 1) for name in args.commands}
                for name, (sec, _) in theirs.items():
                    ratio_cpu = CPU[" ".join(gtos[name])] / CPU[" ".join(mine[name])]
                    print(
                        f"  gto {name:<22} {sec * 1000:9.1f} ms   mlops is {sec / ours[name][0]:7.1f}x faster "
                        f"(cpu {CPU[' '.join(gtos[name])] * 1000:.0f} ms: {ratio_cpu:.1f}x)",
                        flush=True,
                    )
                if "which" in theirs:
                    gto_ref, ours_which = theirs["which"][1].strip(), ours["which"][1].strip()
                    agree = (
                        "agree"
                        if gto_ref == f"{ART}@{ours_which}"
                        else f"DISAGREE ({gto_ref} vs {ours_which})"
                    )
                    print(f"  {ART}#prod: gto and mlops {agree}")
            rows.append((n, floor, ours, theirs))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\nsummary (ms; ratio = gto / mlops)")
    print(
        f"{'tags':>6} {'floor':>8} {'show':>8} {'which':>8} {'history':>8}   {'gto show':>9} {'ratio':>7} "
        f"{'gto which':>10} {'ratio':>7} {'gto hist':>9} {'ratio':>7}"
    )
    for n, floor, ours, theirs in rows:
        line = f"{n:>6} {floor * 1000:8.1f}" + "".join(
            f" {ours[name][0] * 1000:8.1f}" if name in ours else f" {'-':>8}"
            for name in ("show", "which", "history")
        )
        for name in ("show", "which", "history"):
            if name in theirs:
                line += f"   {theirs[name][0] * 1000:8.0f} {theirs[name][0] / ours[name][0]:6.0f}x"
            else:
                line += f"   {'-':>8} {'-':>7}"
        print(line)
    biggest = rows[-1]
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    first = args.commands[0]
    print(
        f"\nper tag at {biggest[0]}: mlops {first} {biggest[2][first][0] / biggest[0] * 1e6:.1f} us "
        f"(linear: compare with the smaller sizes above)"
    )


if __name__ == "__main__":
    main()
