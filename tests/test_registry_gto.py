"""Interoperability with the real `gto` CLI, both ways: same answers on the same tags."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from mlops.registry import read_state, write
from tests.conftest import git_out as git
from tests.conftest import run_cli, tool

GTO = tool("gto")  # a dev dependency: when it is missing these tests fail, they never skip

pytestmark = [pytest.mark.slow]
KIND = {
    "registration": "register",
    "deregistration": "deregister",
    "assignment": "assign",
    "unassignment": "unassign",
    "deprecation": "deprecate",
}


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
    theirs = sorted(
        (e["artifact"], KIND[e["event"]], e["version"], e["stage"], e["commit"], e["ref"]) for e in history
    )
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

    for rev, name, version in [
        (c[0], "m", "v0.1.0"),
        (c[1], "m", "v0.2.0"),
        (c[2], "m", "v1.0.0"),
        (c[0], "other", None),
        (c[3], "models/sub:nested", None),
    ]:
        tick()
        write.register(git_repo, name, rev, version=version)
    for kind, version, stage in [
        ("assign", "v0.1.0", "staging"),
        ("assign", "v0.1.0", "prod"),
        ("assign", "v0.2.0", "staging"),
        ("assign", "v0.2.0", "prod"),
        ("assign", "v0.1.0", "prod"),
        ("assign", "v1.0.0", "staging"),
        ("unassign", "v1.0.0", "staging"),
        ("assign", "v1.0.0", "canary"),
    ]:
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
    # One event per second of tagger time, after the commits (which GTO also counts as events). GTO writes
    # its tags through dulwich, which takes the system clock and ignores GIT_COMMITTER_DATE, and events of
    # the same second have no order in GTO's fold: two quick steps in one second made this test flaky.
    for step in steps:
        _next_second()
        gto(git_repo, *step)
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


def _next_second() -> None:
    """Wait until the clock's whole second changes (at most a second): the only clock GTO's tags read."""
    now = int(time.time())
    while int(time.time()) == now:
        time.sleep(0.02)


def _hand_tag(repo: Path, name: str, commit: str, when: int) -> None:
    """A tag made by hand (`git tag -a`), as people do, at a given tagger time."""
    env = dict(os.environ, GIT_COMMITTER_DATE=f"@{when} +0000")
    subprocess.run(["git", "tag", "-a", name, commit, "-m", name], cwd=repo, check=True, env=env)


def _first_ref(repo: Path, artifact: str, stage: str) -> str:
    lines = gto(repo, "show", f"{artifact}#{stage}", "--ref").splitlines()
    return lines[0] if lines else ""


def test_a_stage_held_by_a_commit_without_a_version_tag(git_repo: Path) -> None:
    c = commits(git_repo, 2)
    start = int(time.time()) + 60
    _hand_tag(git_repo, "m@v1.0.0", c[0], start)
    _hand_tag(git_repo, "m#prod#1", c[0], start + 10)
    _hand_tag(git_repo, "m#prod#2", c[1], start + 20)  # c[1] has no version tag
    _hand_tag(git_repo, "solo#prod#1", c[1], start + 30)  # an artifact known only by an assignment
    state = read_state(git_repo)
    held = state.which("m", "prod")
    assert held.version == c[1] and held.tag == "m#prod#2"  # the commit, named by the tag that put it there
    assert state.which("solo", "prod").tag == "solo#prod#1"
    assert (
        _first_ref(git_repo, "m", "prod") == "m#prod#2"
        and _first_ref(git_repo, "solo", "prod") == "solo#prod#1"
    )
    assert_same_answers(git_repo, [])
    shown = run_cli("which", "m", "prod", cwd=git_repo)
    assert shown.returncode == 0 and c[1] in shown.stdout


def test_a_version_registered_again_by_hand(git_repo: Path) -> None:
    c = commits(git_repo, 3)
    start = int(time.time()) + 60
    # deregistered, then registered again on another commit; assigned there
    _hand_tag(git_repo, "m@v1.0.0", c[0], start)
    _hand_tag(git_repo, "m@v1.0.0!", c[0], start + 10)
    _hand_tag(git_repo, "m@v1.0.0#3", c[1], start + 20)
    _hand_tag(git_repo, "m#prod#4", c[1], start + 30)
    # registered twice without a deregistration; assigned on the second commit
    _hand_tag(git_repo, "n@v2.0.0", c[0], start + 40)
    _hand_tag(git_repo, "n@v2.0.0#2", c[2], start + 50)
    _hand_tag(git_repo, "n#prod#3", c[2], start + 60)
    # deregistered, then registered again on the same commit
    _hand_tag(git_repo, "o@v0.1.0", c[0], start + 70)
    _hand_tag(git_repo, "o@v0.1.0!", c[0], start + 80)
    _hand_tag(git_repo, "o@v0.1.0#3", c[0], start + 90)
    state = read_state(git_repo)
    m, n, o = (state.artifacts[a] for a in "mno")
    assert m.latest.version == "v1.0.0" and m.latest.commit == c[1]
    assert state.which("m", "prod").tag == "m@v1.0.0#3"
    assert state.which("n", "prod").version == "v2.0.0" and state.which("n", "prod").commit == c[2]
    assert o.latest.version == "v0.1.0" and not o.version("v0.1.0").deregistered
    assert _first_ref(git_repo, "m", "prod") == "m@v1.0.0#3"
    assert _first_ref(git_repo, "n", "prod") == "n@v2.0.0#2"
    assert (
        "m: v1.0.0 is registered on two commits (tags m@v1.0.0 and m@v1.0.0#3); both count, as in GTO"
        in state.warnings
    )
    assert_same_answers(git_repo, [])
    listed = run_cli("versions", "m", cwd=git_repo)
    assert listed.returncode == 0 and "registered on two commits" in listed.stderr


def test_annotations_and_annotated_artifacts_without_tags_are_shown_as_gto_shows_them(git_repo: Path) -> None:
    (git_repo / "artifacts.yaml").write_text(
        "churn:\n  type: model\n  path: models/churn.pkl\n  description: Churn model\n  labels: [tabular, prod]\n"
        "notags:\n  type: dataset\n  path: data/x.csv\n"
    )
    (git_repo / "dvc.yaml").write_text(
        "artifacts:\n  churn:\n    path: elsewhere.pkl\n  fromdvc:\n"
        "    type: model\n    path: models/dvc.pkl\n    desc: From dvc.yaml\n"
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "annotations")
    gto(git_repo, "register", "churn", "--version", "v1.0.0")
    gto(git_repo, "assign", "churn", "--version", "v1.0.0", "--stage", "prod")
    theirs = json.loads(gto(git_repo, "show", "--json"))
    shown = run_cli("show", "--json", cwd=git_repo)
    assert shown.returncode == 0, shown.stderr
    ours = {row["artifact"]: row for row in json.loads(shown.stdout)["artifacts"]}
    for name, row in theirs.items():  # every artifact gto lists, registered or not, with the same answers
        assert ours[name]["latest"] == row["version"] and ours[name]["registered"] == row["registered"], name
    assert ours["churn"]["annotation"] == {
        "type": "model",
        "path": "models/churn.pkl",
        "description": "Churn model",
        "labels": ["tabular", "prod"],
        "source": "artifacts.yaml",
    }  # artifacts.yaml wins, as in gto
    from gto.api import describe

    assert describe(str(git_repo), "churn").path == ours["churn"]["annotation"]["path"]
    assert (
        ours["fromdvc"]["annotation"]["description"] == "From dvc.yaml" and ours["fromdvc"]["versions"] == 0
    )
    table = run_cli("show", cwd=git_repo)
    assert "*notags" in table.stdout and "* annotated in artifacts.yaml or dvc.yaml" in table.stdout
    one = run_cli("versions", "churn", cwd=git_repo)
    assert one.returncode == 0
    assert (
        "type: model  path: models/churn.pkl  labels: tabular, prod  description: Churn model" in one.stdout
    )
    empty = run_cli("versions", "notags", cwd=git_repo)
    assert empty.returncode == 0 and "No versions of notags registered yet" in empty.stdout
    unknown = run_cli("versions", "nothing", cwd=git_repo)
    assert unknown.returncode == 2 and "artifact `nothing` has no registry tags" in unknown.stderr
