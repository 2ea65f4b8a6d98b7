"""The registry index (.git/mlops/registry-index) against a cold full fold, step by step.

A seeded random walk adds registry tags of every kind (and stray ones), deletes tags with `git tag -d`, by
removing loose ref files and by editing packed-refs by hand, moves tags with `git tag -f`, packs refs,
repacks objects and damages the index files; after every step every read through the index must equal the
full fold's: the summary `which` and `show` read, each artifact's events and warnings.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops.api.registry import _relevant
from mlops.registry import read_state
from mlops.registry.artindex import artifact_view
from mlops.registry.index import artifact_state, folder, registry_summary
from tests.conftest import invoke, run_cli

T0 = 1_700_000_000
ARTIFACTS = ("churn", "fraud", "dir/sub:ranker")
STAGES = ("prod", "staging")


def git(repo: Path, *args: str, date: int | None = None) -> str:
    env = dict(os.environ)
    if date is not None:
        env["GIT_COMMITTER_DATE"] = f"@{date} +0000"
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout


def new_repo(path: Path, commits: int = 6) -> list[str]:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    shas = []
    for i in range(commits):
        (path / "f.txt").write_text(str(i))
        git(path, "add", "f.txt")
        git(path, "commit", "-q", "-m", f"c{i}")
        shas.append(git(path, "rev-parse", "HEAD").strip())
    return shas


def triple(v: Any) -> tuple[str, str, str | None] | None:
    return (v.version, v.commit, v.tag) if v is not None else None


def assert_same_as_full_fold(repo: Path) -> None:
    summary = registry_summary(repo)
    full = read_state(repo)
    assert summary.warnings == full.warnings
    assert sorted(summary.artifacts) == sorted(full.artifacts)
    assert summary.stage_names == full.stage_names
    for name, art in full.artifacts.items():
        mine = summary.artifacts[name]
        assert (mine.deprecated, mine.version_count) == (art.deprecated, len(art.versions))
        assert triple(mine.latest) == triple(art.latest)
        assert {s: [triple(v) for v in q] for s, q in mine.queues.items()} == {
            s: [triple(v) for v in q] for s, q in art.queues.items()
        }
        folded = artifact_state(summary, name)
        assert folded is not None
        assert [e.to_dict() for e in folded.events] == [e.to_dict() for e in art.events]
    for name in (*ARTIFACTS, "nobody"):
        for _ in range(2):  # as it comes (updated or cached), then surely from the per-artifact files
            assert_view_same_as_full_fold(repo, name, full)


def assert_view_same_as_full_fold(repo: Path, name: str, full: Any) -> None:
    """What `which A`, `show A` and `history A` read of one artifact equals the full fold's answer."""
    view = artifact_view(repo, name)
    art = full.artifact(name)
    if art is None:
        assert view is None
        return
    assert view is not None
    mine = view.summary
    assert (mine.deprecated, mine.version_count) == (art.deprecated, len(art.versions))
    assert triple(mine.latest) == triple(art.latest)
    assert {s: [triple(v) for v in q] for s, q in mine.queues.items()} == {
        s: [triple(v) for v in q] for s, q in art.queues.items()
    }
    assert view.warnings == _relevant(full.warnings, name)
    assert view.stage_names in (None, full.stage_names)
    assert [e.to_dict() for e in view.state().events] == [e.to_dict() for e in art.events]


class Walk:
    """The random steps. Registry tags carry a counter unique per artifact, so every name is fresh."""

    def __init__(self, repo: Path, shas: list[str], rng: random.Random) -> None:
        self.repo, self.shas, self.rng = repo, shas, rng
        self.n = 0

    def tags(self) -> list[str]:
        return git(self.repo, "tag", "-l").split()

    def add(self) -> None:
        self.n += 1
        art = self.rng.choice(ARTIFACTS).replace(":", "=")
        kind = self.rng.choice(["register", "register", "assign", "assign", "unassign", "deprecate", "dereg"])
        version = f"v{self.rng.randint(0, 2)}.{self.rng.randint(0, 3)}.0"
        stage = self.rng.choice(STAGES)
        name = {
            "register": f"{art}@{version}",
            "dereg": f"{art}@{version}!#{self.n}",
            "assign": f"{art}#{stage}#{self.n}",
            "unassign": f"{art}#{stage}!#{self.n}",
            "deprecate": f"{art}@deprecated#{self.n}",
        }[kind]
        if name in self.tags():
            name = f"{art}#{stage}#{self.n}"
        date = T0 + self.rng.randint(0, 40)  # ties on purpose
        message = (
            "by hand" if self.rng.random() < 0.7 else 'reg\n\n{"gates": [{"gate": "x", "passed": true}]}'
        )
        git(self.repo, "tag", "-a", name, self.rng.choice(self.shas), "-m", message, date=date)

    def add_stray(self) -> None:
        self.n += 1
        kind = self.rng.choice(["light", "bad", "plain", "tree"])
        if kind == "light":
            git(self.repo, "tag", f"churn#prod#{1000 + self.n}", self.rng.choice(self.shas))
        elif kind == "bad":
            git(self.repo, "tag", "-a", f"churn@bad{self.n}", "-m", "x", self.shas[0])
        elif kind == "tree":
            git(self.repo, "tag", "-a", f"fraud@v9.{self.n}.0", "-m", "x", "HEAD^{tree}")
        else:
            git(self.repo, "tag", f"release-{self.n}", self.shas[0])

    def delete(self) -> None:
        names = self.tags()
        if names:
            git(self.repo, "tag", "-d", self.rng.choice(names))

    def delete_loose_file(self) -> None:
        loose = [p for p in (self.repo / ".git" / "refs" / "tags").rglob("*") if p.is_file()]
        if loose:
            self.rng.choice(loose).unlink()

    def delete_packed_line(self) -> None:
        packed = self.repo / ".git" / "packed-refs"
        if not packed.exists():
            return
        lines = packed.read_text().splitlines(keepends=True)
        refs = [i for i, line in enumerate(lines) if " refs/tags/" in line]
        if refs:
            i = self.rng.choice(refs)
            drop = 2 if i + 1 < len(lines) and lines[i + 1].startswith("^") else 1
            packed.write_text("".join(lines[:i] + lines[i + drop :]))

    def move(self) -> None:
        names = [n for n in self.tags() if "@" in n or "#" in n]
        if names:
            date = T0 + self.rng.randint(0, 40)
            git(
                self.repo,
                "tag",
                "-f",
                "-a",
                self.rng.choice(names),
                self.rng.choice(self.shas),
                "-m",
                "moved",
                date=date,
            )

    def pack(self) -> None:
        git(self.repo, "pack-refs", "--all")

    def repack(self) -> None:
        git(self.repo, "repack", "-a", "-d", "-q")

    def damage(self) -> None:
        where = folder(self.repo)
        files = sorted(p for p in where.rglob("*") if p.is_file()) if where.exists() else []
        if not files:
            return
        target = self.rng.choice(files)
        how = self.rng.choice(["truncate", "garbage", "version", "deep", "delete", "lie"])
        raw = target.read_bytes()
        if how == "truncate":
            target.write_bytes(raw[: len(raw) // 2])
        elif how == "garbage":
            target.write_bytes(os.urandom(64))
        elif how == "deep":
            target.write_text("[" * 100_000 + "]" * 100_000)
        elif how == "delete":
            target.unlink()
        elif target.suffix == ".txt":  # the summary: another version, or digests naming no bucket
            text = raw.decode()
            if how == "version":
                target.write_text(text.replace(" 1\n", " 99\n", 1))
            else:
                target.write_text(re.sub(r"\x00[0-9a-f]{64}\x00", "\x00" + "0" * 64 + "\x00", text))
        elif target.suffix == ".rec":  # an artifact's records: another version, or one record's id changed
            if how == "version":
                target.write_bytes(raw.replace(b" 1\0", b" 99\0", 1))
            else:
                target.write_bytes(
                    re.sub(rb"\x00[0-9a-f]{40}\x00", b"\x00" + b"0" * 40 + b"\x00", raw, count=1)
                )
        else:
            data = json.loads(raw)
            data["version"] = 99
            target.write_text(json.dumps(data))

    def step(self) -> str:
        moves = {
            "add": 6, "add_stray": 1, "delete": 2, "delete_loose_file": 1, "delete_packed_line": 1,
            "move": 1, "pack": 1, "repack": 0.3, "damage": 1,
        }  # fmt: skip
        name = self.rng.choices(list(moves), weights=list(moves.values()))[0]
        getattr(self, name)()
        return name


def run_walk(tmp_path: Path, seed: int, steps: int) -> None:
    repo = tmp_path / f"repo{seed}"
    walk = Walk(repo, new_repo(repo), random.Random(seed))
    for i in range(steps):
        done = walk.step()
        try:
            assert_same_as_full_fold(repo)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, step {i} ({done}): {exc}") from exc


def test_index_matches_the_full_fold_through_random_edits(tmp_path: Path) -> None:
    run_walk(tmp_path, seed=1, steps=60)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 5))
def test_index_matches_the_full_fold_long_walks(tmp_path: Path, seed: int) -> None:
    run_walk(tmp_path, seed=seed, steps=100)


def three_commands(repo: Path) -> list[tuple[int, str]]:
    os.chdir(repo)
    out = []
    for args in (("which", "churn", "prod", "--json"), ("show", "--json"), ("history", "churn", "--json")):
        code, stdout, _ = invoke(*args)
        out.append((code, stdout))
    return out


def test_cli_answers_are_the_same_with_a_fresh_stale_or_deleted_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shas = new_repo(repo)
    monkeypatch.chdir(repo)
    git(repo, "tag", "-a", "churn@v1.0.0", shas[1], "-m", "r", date=T0)
    git(repo, "tag", "-a", "churn#prod#1", shas[1], "-m", "a", date=T0 + 1)
    cold = three_commands(repo)
    index = repo / ".git" / "mlops" / "registry-index"
    assert (index / "summary.txt").exists() and git(repo, "status", "--porcelain") == ""
    assert three_commands(repo) == cold  # warm
    assert json.loads(cold[0][1])["version"] == "v1.0.0"
    git(repo, "tag", "-a", "churn@v1.1.0", shas[2], "-m", "r", date=T0 + 2)
    git(repo, "tag", "-a", "churn#prod#2", shas[2], "-m", "a", date=T0 + 3)
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.1.0")  # the new tags, not the cached answer
    git(repo, "tag", "-d", "churn#prod#2")
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.0.0")
    (index / "summary.txt").write_text("{not json")
    assert three_commands(repo) == three_commands(repo)
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.0.0")
    import shutil

    shutil.rmtree(index)
    code, out, err = invoke("which", "churn", "nope")
    assert code == 2 and "unknown stage `nope`" in err


def test_read_only_git_folder_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shas = new_repo(repo)
    git(repo, "tag", "-a", "churn@v1.0.0", shas[1], "-m", "r", date=T0)
    git(repo, "tag", "-a", "churn#prod#1", shas[1], "-m", "a", date=T0 + 1)
    (repo / ".git" / "mlops").mkdir()
    (repo / ".git" / "mlops" / "registry-index").write_text("a file where the folder goes")
    monkeypatch.chdir(repo)
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.0.0")


def test_which_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shas = new_repo(repo)
    git(repo, "tag", "-a", "churn@v1.0.0", shas[1], "-m", "r", date=T0)
    git(repo, "tag", "-a", "churn#prod#1", shas[1], "-m", "a", date=T0 + 1)
    probe = (
        "import sys; from mlops.cli import cli\n"
        "try:\n    cli(['which', 'churn', 'prod'], standalone_mode=False)\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'dvc', 'git', 'rich', 'pyarrow') if m in sys.modules))"
    )
    import sys

    for _ in range(2):  # cold, then warm
        proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert run_cli("which", "churn", "prod", cwd=repo).stdout.strip() == "v1.0.0"


def test_a_worktree_shares_the_index_of_its_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shas = new_repo(repo)
    git(repo, "tag", "-a", "churn@v1.0.0", shas[1], "-m", "r", date=T0)
    git(repo, "tag", "-a", "churn#prod#1", shas[1], "-m", "a", date=T0 + 1)
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), shas[2])
    monkeypatch.chdir(tmp_path / "wt")
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.0.0")
    assert (repo / ".git" / "mlops" / "registry-index" / "names.txt").exists()
    assert list((repo / ".git" / "mlops" / "registry-index" / "artifacts").glob("*.txt"))
    git(tmp_path / "wt", "tag", "-a", "churn@v1.1.0", shas[2], "-m", "r", date=T0 + 2)
    git(tmp_path / "wt", "tag", "-a", "churn#prod#2", shas[2], "-m", "a", date=T0 + 3)
    code, out, _ = invoke("which", "churn", "prod")
    assert (code, out.strip()) == (0, "v1.1.0")
    assert_same_as_full_fold(tmp_path / "wt")
