"""Reading: the fold, the stage rule, robustness against stray tags, references, message blocks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlops.errors import UnknownReference
from mlops.refs import parse_registry_ref, resolve
from mlops.registry import read_state, write
from mlops.registry.message import compose, parse
from tests.conftest import git_out as git


def commit(repo: Path, name: str) -> str:
    (repo / f"{name}.txt").write_text(name)
    git(repo, "add", f"{name}.txt")
    git(repo, "commit", "-q", "-m", name)
    return git(repo, "rev-parse", "HEAD")


def tag(repo: Path, name: str, rev: str, date: int, message: str = "by hand") -> None:
    git(repo, "tag", "-a", name, rev, "-m", message, date=date)


T0 = 1_700_000_000


@pytest.fixture
def repo(git_repo: Path) -> Path:
    for n in ("a", "b", "c"):
        commit(git_repo, n)
    return git_repo


def revs(repo: Path) -> tuple[str, str, str]:
    return git(repo, "rev-parse", "HEAD~2"), git(repo, "rev-parse", "HEAD~1"), git(repo, "rev-parse", "HEAD")


def test_fold_versions_stages_and_events(repo: Path) -> None:
    a, b, c = revs(repo)
    tag(repo, "m@v0.1.0", a, T0)
    tag(repo, "m@v0.2.0", b, T0 + 1)
    tag(repo, "m@v1.0.0", c, T0 + 2)
    tag(repo, "m#prod#1", a, T0 + 10)
    tag(repo, "m#prod#2", b, T0 + 20)
    tag(repo, "m#staging#3", c, T0 + 30)
    tag(repo, "m@v1.0.0!", c, T0 + 40)
    state = read_state(repo)
    art = state.artifacts["m"]
    assert [v.version for v in art.versions] == ["v0.1.0", "v0.2.0", "v1.0.0"]
    assert art.latest.version == "v0.2.0"  # v1.0.0 was deregistered
    assert art.version("v1.0.0").deregistered
    assert state.which("m", "prod").version == "v0.2.0"
    assert state.which("m", "prod", back=1).version == "v0.1.0"
    assert state.which("m", "prod", back=2) is None
    assert state.which("m", "staging") is None  # its version was deregistered
    assert [e.kind for e in state.events] == ["register"] * 3 + ["assign"] * 3 + ["deregister"]
    assert state.events[3].version == "v0.1.0" and state.events[3].counter == 1
    assert state.events[0].tagger == "Test Committer" and state.events[0].date.year == 2023
    assert state.next_counter("m") == 4 and state.next_counter("other") == 1
    assert state.warnings == []


def test_stage_rule_rollback_and_unassign(repo: Path) -> None:
    a, b, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m@v2.0.0", b, T0)
    tag(repo, "m#prod#1", a, T0 + 10)
    tag(repo, "m#prod#2", b, T0 + 20)
    tag(repo, "m#prod#3", a, T0 + 30)  # rollback: a new assignment
    state = read_state(repo)
    assert state.which("m", "prod").version == "v1.0.0"
    assert state.which("m", "prod", 1).version == "v2.0.0"
    tag(repo, "m#prod!#4", a, T0 + 40)  # v1 leaves: the stage falls back to v2 (as gto answers)
    assert read_state(repo).which("m", "prod").version == "v2.0.0"
    tag(repo, "m#prod!#5", b, T0 + 50)
    state = read_state(repo)
    assert state.which("m", "prod") is None
    assert state.artifacts["m"].stages == {"prod": None}


def test_same_second_is_ordered_by_counter(repo: Path) -> None:
    a, b, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m@v2.0.0", b, T0)
    tag(repo, "m#prod#10", a, T0 + 5)
    tag(repo, "m#prod#9", b, T0 + 5)
    assert read_state(repo).which("m", "prod").version == "v1.0.0"


def test_stray_tags_warn_about_their_artifact_and_the_rest_reads(repo: Path) -> None:
    a, b, c = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m#prod#1", a, T0 + 1)
    tag(repo, "x@created", a, T0)  # matches the grammar loosely: GTO fails on every read command
    git(repo, "tag", "light@v1.0.0", b)  # lightweight
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    tag(repo, "tree@v1.0.0", tree, T0)  # annotated tag on a tree
    blob = git(repo, "hash-object", "-w", "--stdin", stdin="data")
    tag(repo, "blob#prod#1", blob, T0)
    tag(repo, "two@v1.0.0", c, T0)
    tag(repo, "two@v1.1.0", c, T0 + 1)  # two versions on one commit
    tag(repo, "two#prod#1", c, T0 + 2)
    tag(repo, "v1.0", a, T0)  # an ordinary release tag: silently not ours
    state = read_state(repo)
    assert state.which("m", "prod").version == "v1.0.0"
    assert set(state.artifacts) == {"m", "two"}
    assert state.which("two", "prod").version == "v1.1.0"
    text = "\n".join(state.warnings)
    assert "tag x@created: ignored" in text
    assert "light: tag light@v1.0.0 is a lightweight tag" in text
    assert "tree: tag tree@v1.0.0 points at a tree" in text
    assert "blob: tag blob#prod#1 points at a blob" in text
    assert "two: versions v1.0.0, v1.1.0 are all on commit" in text
    assert len(state.warnings) == 5
    assert "v1.0" in state.tags


def test_assignment_without_a_version_and_gto_style_counters(repo: Path) -> None:
    a, b, _ = revs(repo)
    tag(repo, "m@v1.0.0#1", a, T0)  # some tools count registrations too
    tag(repo, "m#prod#2", b, T0 + 1)  # a commit with no version
    state = read_state(repo)
    art = state.artifacts["m"]
    assert art.version("v1.0.0").commit == a
    assert state.which("m", "prod").version == b and not state.which("m", "prod").registered
    assert state.next_counter("m") == 3


def test_deprecation_and_return(repo: Path) -> None:
    a, _, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m@deprecated", a, T0 + 1)
    assert read_state(repo).artifacts["m"].deprecated
    tag(repo, "m#prod#1", a, T0 + 2)
    assert not read_state(repo).artifacts["m"].deprecated


def test_folder_artifacts(repo: Path) -> None:
    a, _, _ = revs(repo)
    tag(repo, "models/churn=m@v1.0.0", a, T0)
    tag(repo, "models/churn=m#prod#1", a, T0 + 1)
    state = read_state(repo)
    assert state.which("models/churn:m", "prod").version == "v1.0.0"
    assert resolve("models/churn:m#prod", repo).commit == a
    assert resolve("models/churn=m@latest", repo).version == "v1.0.0"


def test_message_block_round_trip() -> None:
    data = {"metrics": {"auc": 0.81}, "pr": 12, "gates": [{"metric": "auc", "passed": True}]}
    text = compose("Assign m v1 to prod\nsecond line ignored", data)
    assert text.splitlines()[0] == "Assign m v1 to prod second line ignored"
    assert json.loads(text.split("\n", 2)[2]) == data
    assert parse(text) == data
    assert parse("Registering artifact m version v1.0.0") == {}
    assert parse("human\n\n---\npr: 5\nmerge_commit: abc\n") == {"pr": 5, "merge_commit": "abc"}
    assert parse("human\n\n{not json") == {}
    signed = text + "-----BEGIN PGP SIGNATURE-----\nxyz\n-----END PGP SIGNATURE-----\n"
    assert parse(signed) == data


def test_writer_metadata_is_read_back(repo: Path) -> None:
    a, _, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    name = write.assign(repo, "m", "v1.0.0", "prod", metadata={"pr": 7, "merge_commit": a}, message="Ship it")
    assert name == "m#prod#1"
    event = read_state(repo).events[-1]
    assert event.summary == "Ship it"
    assert event.message_data["pr"] == 7 and event.message_data["stage"] == "prod"
    assert write.unassign(repo, "m", "v1.0.0", "prod") == "m#prod!#2"
    assert write.deregister(repo, "m", "v1.0.0") == "m@v1.0.0!"
    assert write.deprecate(repo, "m") == "m@deprecated"


def test_references(repo: Path) -> None:
    a, b, c = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m@v1.1.0", b, T0 + 1)
    tag(repo, "m#prod#1", a, T0 + 2)
    tag(repo, "m#prod#2", b, T0 + 3)
    assert resolve("m@v1.0.0", repo).commit == a
    assert resolve("m@latest", repo).version == "v1.1.0"
    r = resolve("m#prod", repo)
    assert (r.commit, r.artifact, r.version, r.stage) == (b, "m", "v1.1.0", "prod")
    assert resolve("m#prod~1", repo).version == "v1.0.0"
    assert resolve("HEAD", repo).commit == c
    assert resolve("main~2", repo).commit == a
    for bad, words in [
        ("m#prod~2", "goes back too far"),
        ("m#dev", "never assigned"),
        ("m@v9.9.9", "no version v9.9.9"),
        ("nope@latest", "unknown artifact"),
        ("no-such-branch", "unknown revision"),
    ]:
        with pytest.raises(UnknownReference, match=words):
            resolve(bad, repo)
    assert parse_registry_ref("m#prod~3") == ("m", None, "prod", 3)
    assert parse_registry_ref("m@greatest") == ("m", "latest", None, 0)
    assert parse_registry_ref("HEAD~1") is None


def test_read_is_one_git_process(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, _, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    calls: list[list[str]] = []
    real = subprocess.run

    def spy(args, *rest, **kw):  # type: ignore[no-untyped-def]
        calls.append(list(args))
        return real(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    read_state(repo)
    assert [c[:2] for c in calls] == [["git", "for-each-ref"]]


def test_registry_references_reach_files_at_a_version(repo: Path) -> None:
    """REF:PATH readers (validate --reference, drift.reference) resolve through mlops.refs."""
    source = pytest.importorskip("mlops.data.source")
    a, b, _ = revs(repo)
    tag(repo, "m@v1.0.0", a, T0)
    tag(repo, "m@v2.0.0", b, T0 + 1)
    tag(repo, "m#prod#1", a, T0 + 2)
    assert source.read_bytes_at("m#prod:a.txt", repo) == b"a"
    assert source.read_bytes_at("m@latest:b.txt", repo) == b"b"
    with pytest.raises(UnknownReference):
        source.read_bytes_at("m#staging:a.txt", repo)


def test_benchmark_builder_smoke(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_registry", Path(__file__).parent.parent / "benchmarks" / "registry.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.build(tmp_path / "b", 40)
    state = read_state(tmp_path / "b")
    art = state.artifacts[bench.ART]
    assert len(art.versions) == 20 and len(state.events) == 40 and state.warnings == []
    assert state.next_counter(bench.ART) == 21
