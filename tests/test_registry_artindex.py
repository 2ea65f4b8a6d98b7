"""The per-artifact index (mlops.registry.artindex) through the CLI: `which A S`, `show A` and `history A`
give the full fold's answer cold, warm, after changes, and where the artifact alone cannot answer (a stage
only another artifact has, refs this path cannot read) they fall back to the full index."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.registry import read_state
from mlops.registry.artindex import artifact_view
from tests.conftest import invoke
from tests.test_registry_index import T0, assert_view_same_as_full_fold, git, new_repo


def answers(repo: Path, artifact: str = "churn") -> list[tuple[int, str, str]]:
    out = []
    for args in (
        ("which", artifact, "prod", "--json"),
        ("which", artifact, "prod"),
        ("show", artifact, "--json"),
        ("show", artifact),
        ("history", artifact, "--json"),
    ):
        out.append(invoke(*args))
    return out


def full_fold_answers(repo: Path, artifact: str = "churn") -> list[tuple[int, str, str]]:
    """The same commands through the full index rebuilt from scratch (a full fold of every tag), with the
    per-artifact path switched off."""

    from mlops.registry import artindex

    for name in ("summary.txt", "refs.json"):
        (repo / ".git" / "mlops" / "registry-index" / name).unlink(missing_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(artindex, "artifact_view", lambda root, name: None)
        return answers(repo, artifact)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    path = tmp_path / "repo"
    shas = new_repo(path)
    monkeypatch.chdir(path)
    git(path, "tag", "-a", "churn@v1.0.0", shas[1], "-m", "r", date=T0)
    git(path, "tag", "-a", "churn#prod#1", shas[1], "-m", "a", date=T0 + 1)
    git(path, "tag", "-a", "fraud@v1.0.0", shas[2], "-m", "r", date=T0 + 2)
    git(path, "tag", "-a", "fraud#prod#1", shas[2], "-m", "a", date=T0 + 3)
    return path, shas


def test_one_artifact_reads_equal_the_full_fold_cold_warm_and_after_changes(
    repo: tuple[Path, list[str]],
) -> None:
    path, shas = repo
    cold = answers(path)
    assert cold == full_fold_answers(path)
    assert (path / ".git" / "mlops" / "registry-index" / "artifacts").is_dir()
    assert answers(path) == cold  # warm
    assert cold[1][:2] == (0, "v1.0.0\n")
    git(path, "tag", "-a", "churn@v1.1.0", shas[3], "-m", "r", date=T0 + 4)
    git(path, "tag", "-a", "churn#prod#2", shas[3], "-m", "a", date=T0 + 5)
    git(path, "tag", "churn#prod#3", shas[1])  # lightweight: a warning, not an event
    git(path, "tag", "-a", "churn@nonsense", shas[1], "-m", "x")  # no grammar: a warning of every read
    after = answers(path)
    assert after == full_fold_answers(path)
    assert after[1][1] == "v1.1.0\n" and "churn#prod#3 is a lightweight tag" in after[1][2]
    assert "tag churn@nonsense: ignored" in after[1][2]
    git(path, "pack-refs", "--all")
    git(path, "tag", "-d", "churn#prod#2")
    assert answers(path) == full_fold_answers(path)
    assert answers(path)[1][1] == "v1.0.0\n"


def test_a_stage_only_another_artifact_has_asks_the_full_index(repo: tuple[Path, list[str]]) -> None:
    path, shas = repo
    git(path, "tag", "-a", "fraud#canary#2", shas[2], "-m", "a", date=T0 + 6)
    code, out, err = invoke("which", "churn", "canary")
    assert (code, out) == (0, "") and "churn was never assigned to stage canary" in err
    code, out, err = invoke("which", "churn", "canry")
    assert code == 2 and "unknown stage `canry`" in err and "did you mean `canary`?" in err
    code, out, _ = invoke("show", "churn", "--json")
    assert code == 0 and json.loads(out)["stages"] == ["canary", "prod"]  # every stage, as the full fold
    assert answers(path) == full_fold_answers(path)


def test_an_unknown_artifact_or_one_with_only_refused_tags_is_exit_2(repo: tuple[Path, list[str]]) -> None:
    path, shas = repo
    git(path, "tag", "ranker#prod#1", shas[1])  # lightweight only
    for name in ("chrun", "ranker"):
        code, _, err = invoke("which", name, "prod")
        assert code == 2 and f"artifact `{name}` has no registry tags" in err
        code, _, err = invoke("show", name)
        assert code == 2 and f"artifact `{name}` has no registry tags" in err
    assert "did you mean `churn`?" in invoke("history", "chrun")[2]


def test_warnings_of_an_artifact_in_a_folder_are_not_its_folders(repo: tuple[Path, list[str]]) -> None:
    """`churn:x` (artifact x in folder churn) is not `churn`: its warnings are not churn's."""
    path, shas = repo
    git(path, "tag", "churn=x#prod#1", shas[1])  # lightweight: a warning about churn:x
    code, out, err = invoke("which", "churn", "prod")
    assert (code, out) == (0, "v1.0.0\n") and "churn:x" not in err
    assert answers(path) == full_fold_answers(path)


def test_a_symbolic_tag_ref_falls_back_to_the_full_index(repo: tuple[Path, list[str]]) -> None:
    path, _ = repo
    (path / ".git" / "refs" / "tags" / "churn#prod#9").write_text("ref: refs/tags/churn@v1.0.0\n")
    assert artifact_view(path, "churn") is None
    assert answers(path) == full_fold_answers(path)


def test_reads_while_another_process_writes_tags(repo: tuple[Path, list[str]]) -> None:
    path, shas = repo
    script = (
        "import subprocess, sys\n"
        "for i in range(2, 40):\n"
        "    subprocess.run(['git', 'tag', '-a', f'churn#prod#{i}', sys.argv[i % 2 + 1], '-m', 'a'], check=True)\n"
        "    if i % 10 == 0:\n"
        "        subprocess.run(['git', 'pack-refs', '--all'], check=True)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, shas[1], shas[3]], cwd=path)
    try:
        while writer.poll() is None:
            view = artifact_view(path, "churn")
            assert view is not None and view.summary.which("prod") is not None
    finally:
        writer.wait()
    assert writer.returncode == 0
    full = read_state(path)
    for _ in range(2):
        assert_view_same_as_full_fold(path, "churn", full)
    assert answers(path) == full_fold_answers(path)


def test_history_prints_its_rows_as_they_come(capsys: pytest.CaptureFixture[str]) -> None:
    """One block is exactly the aligned table; later blocks keep the columns at least as wide."""
    from mlops.cli.registry import _stream_table, _table

    rows = [["2026-01-01", "churn", "v1.0.0 -> prod"], ["2026-01-02", "churn", "registered v1.10.0"]]
    _table(["date", "artifact", "event"], rows)
    whole = capsys.readouterr().out
    _stream_table(["date", "artifact", "event"], iter(rows))
    assert capsys.readouterr().out == whole

    def endless() -> Iterator[list[str]]:
        yield ["a", "b", "c"]
        yield ["a-much-longer-cell", "b", "c"]
        raise AssertionError("read past the first block before printing it")

    with pytest.raises(AssertionError, match="read past"):
        _stream_table(["x", "y", "z"], endless(), block=2)
    assert capsys.readouterr().out == "x  y  z\na  b  c\n"  # printed before the next rows were made
