"""Writers racing in separate processes: no duplicate counter, no lost tag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlops.registry import read_state
from tests.conftest import git_out as git

WRITER = """
import sys
from mlops.registry import write
root, stage, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    print(write.assign(root, "m", "v0.1.0", stage, metadata={"writer": stage, "i": i}))
"""
REGISTRAR = """
import sys
from mlops.registry import write
print(write.register(sys.argv[1], "m", sys.argv[2]))
"""


def test_parallel_assigners_never_share_a_counter(git_repo: Path) -> None:
    git(git_repo, "tag", "-a", "m@v0.1.0", "-m", "first")
    writers, per_writer = 4, 6
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(git_repo), f"stage{w}", str(per_writer)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    written = [line for out, _ in outputs for line in out.split()]
    state = read_state(git_repo)
    assigns = [e for e in state.events if e.kind == "assign"]
    assert len(written) == len(assigns) == writers * per_writer  # no tag lost
    assert sorted(e.counter for e in assigns) == list(range(1, writers * per_writer + 1))  # no duplicate
    assert sorted(written) == sorted(e.tag for e in assigns)
    for w in range(writers):
        assert state.which("m", f"stage{w}").version == "v0.1.0"


def test_parallel_registrations_get_distinct_versions(git_repo: Path) -> None:
    commits = []
    for i in range(4):
        (git_repo / f"f{i}").write_text(str(i))
        git(git_repo, "add", f"f{i}")
        git(git_repo, "commit", "-q", "-m", f"c{i}")
        commits.append(git(git_repo, "rev-parse", "HEAD"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REGISTRAR, str(git_repo), c],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in commits
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    versions = read_state(git_repo).artifacts["m"].versions
    assert [v.version for v in versions] == ["v0.1.0", "v0.1.1", "v0.1.2", "v0.1.3"]
    assert sorted(v.commit for v in versions) == sorted(commits)
