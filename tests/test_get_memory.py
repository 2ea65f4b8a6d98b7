"""`mlops get` streams: the peak memory of fetching a large model is far below its size, from the remote
(fresh clone) and from the local cache alike."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_reproduce_support import commit_all, dvc, init_project, sh, write

SIZE = 192 * 1024 * 1024
PEAK = (
    "import resource, sys\n"
    "from mlops.cli import cli\n"
    "code = cli.main(args=sys.argv[1:], prog_name='mlops', standalone_mode=False)\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    "sys.exit(code)\n"
)


def _peak(cwd: Path, *args: str) -> int:
    proc = subprocess.run([sys.executable, "-c", PEAK, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip().splitlines()[-1])


def _md5(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - DVC's hash
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.slow
def test_peak_memory_of_a_large_model_stays_far_below_its_size(tmp_path: Path) -> None:
    from mlops.api.registry import register

    repo = tmp_path / "origin"
    init_project(repo, tmp_path / "remote")
    write(
        repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nartifacts:\n  big: {path: big.bin}\nstages:\n  production: {}\n",
    )
    write(repo, "small.txt", "small\n")
    with open(repo / "big.bin", "wb") as handle:
        for _ in range(SIZE // (1 << 20)):
            handle.write(hashlib.sha256(handle.tell().to_bytes(8, "big")).digest() * (1 << 15))
    write(repo, "dvc.yaml", "stages:\n  copy:\n    cmd: 'true'\n    outs: [big.bin]\n")
    dvc(repo, "commit", "-q", "-f")
    dvc(repo, "add", "-q", "small.txt")
    commit_all(repo, "big model")
    register("big", version="v1.0.0", root=repo)
    dvc(repo, "push", "-q")
    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(repo), str(clone))

    baseline = _peak(clone, "get", "HEAD:small.txt", "-o", str(tmp_path / "small.txt"))
    from_remote = _peak(clone, "get", "big@v1.0.0", "-o", str(tmp_path / "remote.bin"))
    from_cache = _peak(clone, "get", "big@v1.0.0", "-o", str(tmp_path / "cache.bin"))
    print(
        f"peak RSS MB: baseline {baseline >> 20}, from remote {from_remote >> 20}, from cache {from_cache >> 20}"
    )
    want = _md5(repo / "big.bin")
    assert _md5(tmp_path / "remote.bin") == want and _md5(tmp_path / "cache.bin") == want
    assert from_remote - baseline < SIZE // 4, (baseline, from_remote)
    assert from_cache - baseline < SIZE // 4, (baseline, from_cache)
