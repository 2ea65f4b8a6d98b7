"""--push and --fetch against a bare repository on disk as origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops.cli import cli
from mlops.errors import GitError
from mlops.registry import write
from tests.conftest import git_out as git


@pytest.fixture
def clones(git_repo: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(origin))
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(origin), str(a))
    git(tmp_path, "clone", "-q", str(origin), str(b))
    return origin, a, b


def remote_tags(origin: Path) -> list[str]:
    return sorted(
        line.split("refs/tags/")[1] for line in git(origin, "for-each-ref", "refs/tags").splitlines()
    )


def test_push_then_fetch(clones: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    origin, a, b = clones
    assert write.register(a, "m", push=True) == "m@v0.1.0"
    assert write.assign(a, "m", "v0.1.0", "prod", push=True) == "m#prod#1"
    assert remote_tags(origin) == ["m#prod#1", "m@v0.1.0"]
    monkeypatch.chdir(b)
    result = CliRunner().invoke(cli, ["show"])
    assert "No registered artifacts" in result.stdout
    result = CliRunner().invoke(cli, ["show", "--fetch"])
    assert result.exit_code == 0 and result.stdout.splitlines()[1].split() == ["m", "v0.1.0", "v0.1.0"]
    result = CliRunner().invoke(cli, ["deprecate", "m", "--push"])
    assert result.exit_code == 0, result.stderr
    assert "m@deprecated" in remote_tags(origin)


def test_counters_count_what_origin_has(clones: tuple[Path, Path, Path]) -> None:
    origin, a, b = clones
    write.register(a, "m", push=True)
    write.assign(a, "m", "v0.1.0", "prod", push=True)
    # b has not fetched: with push, it fetches before counting, so it does not reuse counter 1
    assert write.assign(b, "m", "v0.1.0", "staging", push=True) == "m#staging#2"
    assert remote_tags(origin) == ["m#prod#1", "m#staging#2", "m@v0.1.0"]


def test_a_name_taken_on_origin_is_retried_with_the_next_counter(clones: tuple[Path, Path, Path]) -> None:
    origin, a, b = clones
    write.register(a, "m", push=True)
    # Another clone pushes m#prod#2 after b fetched: b's own reference-transaction hook writes it to origin
    # when b's fetch updates refs, so b counts without it, and its first push collides.
    hook = b / ".git" / "hooks" / "reference-transaction"
    hook.write_text(f"""#!/bin/sh
[ "$1" = committed ] || exit 0
[ -f {b}/.git/taken ] && exit 0
touch {b}/.git/taken
unset GIT_DIR GIT_INDEX_FILE
git --git-dir={origin} tag -a 'm#prod#2' -m elsewhere HEAD
""")
    hook.chmod(0o755)
    git(origin, "tag", "-a", "m#prod#1", "-m", "elsewhere", "HEAD")
    name = write.assign(b, "m", "v0.1.0", "prod", push=True)
    assert name == "m#prod#3"
    assert remote_tags(origin) == ["m#prod#1", "m#prod#2", "m#prod#3", "m@v0.1.0"]
    assert git(b, "tag", "-l", "m#prod#2", "--format=%(contents:subject)") == "elsewhere"


def test_push_rejected_leaves_no_local_tag(clones: tuple[Path, Path, Path]) -> None:
    origin, a, _ = clones
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(GitError, match="push of m@v0.1.0 to origin failed"):
        write.register(a, "m", push=True)
    assert git(a, "tag") == "" and remote_tags(origin) == []
