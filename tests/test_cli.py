"""CLI shape: grouped help, examples in every command, version, exit codes of the top-level handler."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops import __version__
from mlops.cli import LazyGroup, cli, main


def _commands() -> list[str]:
    """Every command line, subcommands of groups (`alerts report`) included."""
    import click

    names: list[str] = []
    for name in LazyGroup().list_commands(None):  # type: ignore[arg-type]
        names.append(name)
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        if isinstance(command, click.Group):
            names.extend(f"{name} {sub}" for sub in command.list_commands(None))  # type: ignore[arg-type]
    return names


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output, f"`mlops {name} --help` shows no example"
    example_lines = result.output.split("Examples:", 1)[1].strip().splitlines()
    assert example_lines and example_lines[0].strip().startswith("mlops "), result.output


def test_group_help_lists_commands_by_section() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Project commands:" in result.output
    assert "lint" in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"mlops, version {__version__}"


def test_unknown_command_suggests_and_exits_2() -> None:
    result = CliRunner().invoke(cli, ["lnit"])
    assert result.exit_code == 2
    assert "Did you mean `lint`?" in result.output


def test_internal_error_exits_3_with_a_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], git_repo: Path
) -> None:
    import mlops.api.linting as api_lint

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api_lint, "lint_project", boom)
    with pytest.raises(SystemExit) as exc:
        main(["lint"])
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("mlops: internal error (a bug in mlops); details written to ")
    log = Path(err.strip().rsplit(" ", 1)[1])
    text = log.read_text()
    assert "RuntimeError: boom" in text and f"mlops {__version__}" in text


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, git_repo: Path) -> None:
    import mlops.api.linting as api_lint

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(api_lint, "lint_project", interrupted)
    with pytest.raises(SystemExit) as exc:
        main(["lint"])
    assert exc.value.code == 130


def test_user_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["lint"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"mlops: error: not a Git repository: {tmp_path.resolve()}"


HEAVY = ["dvc", "pandas", "pyarrow", "git", "numpy", "rich", "scipy"]


@pytest.mark.parametrize("args", [["--help"], ["lint"], ["lint", "--help"]])
def test_light_import_path(args: list[str], git_repo: Path) -> None:
    """`mlops --help` and `mlops lint` (run on every commit) must not import the heavy libraries."""
    (git_repo / "pipelines").mkdir()
    (git_repo / "pipelines" / "p.yaml").write_text("kind: Pipeline\nversion: 1\nstages:\n  a: {cmd: echo}\n")
    code = (
        "import sys, json\n"
        "from mlops.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=git_repo, capture_output=True, text=True)
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == [], f"`mlops {' '.join(args)}` imported {loaded}"
