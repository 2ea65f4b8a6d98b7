"""Interoperability with the real `gto` CLI, both ways: same answers on the same tags."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from mlops.registry import read_state, write
from tests.conftest import tool

GTO = tool("gto")  # a dev dependency: when it is missing these tests fail, they never skip

pytestmark = [pytest.mark.slow]
KIND = {"registration": "register", "deregistration": "deregister", "assignment": "assign",
        "unassignment": "unassign", "deprecation": "deprecate"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def gto(repo: Path, *args: str) -> str:
    proc = subprocess.run([GTO, *args], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, f"gto {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def commits(repo: Path, n: int) -> list[str]:
    out = []
    for i in range(n):
        (repo / f"f{i}.txt").write_text(str(i))
        git(repo, "add", f"f{i}.txt")
        git(repo, "commit", "-q", "-m", f"c{i}")
        out.append(git(repo, "rev-parse", "HEAD"))
    return out


def assert_same_answers(repo: Path, which_pairs: list[tuple[str, str]]) -> None:
    state = read_state(repo)
    shown = json.loads(gto(repo, "show", "--json"))
    active = {name for name, art in state.artifacts.items() if not art.deprecated}
    assert set(shown) == active
    for name, row in shown.items():
        art = state.artifacts[name]
        assert row["version"] == (art.latest.version if art.latest else None), name
        for stage, version in row["stage"].items():
            current = art.which(stage)
            assert version == (current.version if current else None), (name, stage)
    history = json.loads(gto(repo, "history", "--json"))
    theirs = sorted((e["artifact"], KIND[e["event"]], e["version"], e["stage"], e["commit"], e["ref"])
                    for e in history)
    ours = sorted((e.artifact, e.kind, e.version, e.stage, e.commit, e.tag) for e in state.events)
    assert ours == theirs
    for name, stage in which_pairs:
        ref = gto(repo, "show", f"{name}#{stage}", "--ref").strip()
        current = state.which(name, stage)
        assert ref == (current.tag if current else ""), (name, stage)


def test_gto_reads_what_mlops_writes(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = commits(git_repo, 4)
    # Tag times after the commits' times: GTO counts commits as events too (a commit newer than a
    # deprecation brings the artifact back in GTO's fold).
    start = int(time.time()) + 60
    clock = iter(range(start, start + 100_000, 60))

    def tick() -> None:
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{next(clock)} +0000")

    for rev, name, version in [(c[0], "m", "v0.1.0"), (c[1], "m", "v0.2.0"), (c[2], "m", "v1.0.0"),
                               (c[0], "other", None), (c[3], "models/sub:nested", None)]:
        tick()
        write.register(git_repo, name, rev, version=version)
    for kind, version, stage in [("assign", "v0.1.0", "staging"), ("assign", "v0.1.0", "prod"),
                                 ("assign", "v0.2.0", "staging"), ("assign", "v0.2.0", "prod"),
                                 ("assign", "v0.1.0", "prod"), ("assign", "v1.0.0", "staging"),
                                 ("unassign", "v1.0.0", "staging"), ("assign", "v1.0.0", "canary")]:
        tick()
        getattr(write, kind)(git_repo, "m", version, stage)
    tick()
    write.deregister(git_repo, "m", "v1.0.0")
    tick()
    write.assign(git_repo, "models/sub:nested", "v0.1.0", "prod")
    tick()
    write.deprecate(git_repo, "other")
    state = read_state(git_repo)
    assert state.which("m", "prod").version == "v0.1.0"  # rolled back
    assert state.which("m", "staging").version == "v0.2.0"  # v1.0.0 left it
    assert state.which("m", "canary") is None  # v1.0.0 was deregistered
    assert state.artifacts["m"].latest.version == "v0.2.0"
    assert_same_answers(git_repo, [("m", "prod"), ("m", "staging"), ("models/sub:nested", "prod")])


def test_mlops_reads_what_gto_writes(git_repo: Path) -> None:
    c = commits(git_repo, 3)
    steps = [
        ("register", "m", c[0], "--version", "v0.1.0"),
        ("register", "m", c[1], "--version", "v0.2.0"),
        ("register", "m", c[2]),  # gto bumps: v0.2.1
        ("assign", "m", "--version", "v0.1.0", "--stage", "prod"),
        ("assign", "m", "--version", "v0.2.0", "--stage", "prod"),
        ("assign", "m", "--version", "v0.2.1", "--stage", "staging"),
        ("deprecate", "m", "v0.2.0", "prod"),  # unassign: prod falls back to v0.1.0
        ("deprecate", "m", "v0.2.1"),  # deregister
        ("register", "other", c[0]),
        ("deprecate", "other"),
    ]
    last = 0
    for step in steps:
        while int(time.time()) <= last:  # one event per second: same-second ties have no order in GTO
            time.sleep(0.05)
        gto(git_repo, *step)
        last = int(time.time())
    state = read_state(git_repo)
    assert state.warnings == []
    m = state.artifacts["m"]
    assert [v.version for v in m.versions] == ["v0.1.0", "v0.2.0", "v0.2.1"]
    assert m.version("v0.2.1").deregistered and m.latest.version == "v0.2.0"
    assert state.which("m", "prod").version == "v0.1.0"
    assert state.which("m", "staging") is None
    assert state.artifacts["other"].deprecated
    assert m.version("v0.1.0").message_data == {} and "Registering" in m.version("v0.1.0").message
    assert_same_answers(git_repo, [("m", "prod"), ("m", "staging")])
