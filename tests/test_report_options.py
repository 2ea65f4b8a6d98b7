"""One way to ask for a report across commands: `--json` wherever `--format json` exists, `-o/--output` on
every command that writes a report (validate keeps `--report`), and report files whose extension names no
format (.pdf) refused with exit 2 before anything is written. Also: config findings printed once by
`mlops compile --check` (the pre-commit hook), as `mlops lint` prints them."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from mlops.cli import COMMANDS, cli
from tests.conftest import git, write

RULES = "kind: Rules\nversion: 1\ncolumns:\n  age: {type: integer, min: 18, max: 120}\n"
DATA = "age\n30\n150\n40\n"


def mlops(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _commands() -> list[tuple[str, click.Command]]:
    import importlib

    found = []
    for name, (module, attr, _section, _help) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attr)
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_json_flag_wherever_format_json_exists(name: str, command: click.Command) -> None:
    options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    fmt = next((p for p in command.params if isinstance(p, click.Option) and "--format" in p.opts), None)
    if fmt is not None and isinstance(fmt.type, click.Choice) and "json" in fmt.type.choices:
        assert "--json" in options, f"`mlops {name}` has --format json but no --json"
    if fmt is not None:  # a command that renders a report can also write it to a file
        assert "-o" in options and "--output" in options, f"`mlops {name}` has --format but no -o/--output"


@pytest.fixture
def data_repo(git_repo: Path) -> Path:
    write(git_repo, "rules/people.yaml", RULES)
    write(git_repo, "people.csv", DATA)
    return git_repo


def test_validate_json_output_and_report_spellings(data_repo: Path) -> None:
    as_flag = mlops("validate", "people.csv", "--rules", "rules/people.yaml", "--json")
    as_format = mlops("validate", "people.csv", "--rules", "rules/people.yaml", "--format", "json")
    assert as_flag.exit_code == as_format.exit_code == 1
    assert json.loads(as_flag.stdout) == json.loads(as_format.stdout)
    result = mlops(
        "validate",
        "people.csv",
        "--rules",
        "rules/people.yaml",
        "-o",
        "r.json",
        "--output",
        "r.md",
        "--report",
        "r.html",
    )
    assert result.exit_code == 1
    assert json.loads((data_repo / "r.json").read_text())["passed"] is False
    assert (data_repo / "r.md").read_text().startswith("### :x: Data validation")
    assert (data_repo / "r.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("flag", ["--report", "-o", "--output"])
def test_validate_refuses_a_report_extension_it_cannot_write(data_repo: Path, flag: str) -> None:
    result = mlops("validate", "people.csv", "--rules", "rules/people.yaml", flag, "report.pdf")
    assert result.exit_code == 2
    assert "cannot write a report as `.pdf`" in result.stderr and ".html" in result.stderr
    assert not (data_repo / "report.pdf").exists()


def test_lint_json_and_output(data_repo: Path) -> None:
    result = mlops("lint", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []
    result = mlops("lint", "-o", "lint.json")
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads((data_repo / "lint.json").read_text())["findings"] == []
    result = mlops("lint", "-o", "lint.html")  # lint writes text or JSON only
    assert result.exit_code == 2 and "cannot write a report as `.html`" in result.stderr


def test_gate_and_diff_take_json_and_output(data_repo: Path) -> None:
    write(
        data_repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nartifacts:\n  m: {path: m.pkl}\nstages:\n  production: {}\n",
    )
    write(data_repo, "registry.yaml", "kind: Registry\nversion: 1\n")
    write(data_repo, "params.yaml", "lr: 0.1\n")
    git(data_repo, "add", "-A")
    git(data_repo, "commit", "-q", "-m", "policy")
    result = mlops("gate", "--base", "HEAD", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True
    result = mlops("gate", "--base", "HEAD", "-o", "gate.md")
    assert result.exit_code == 0 and (data_repo / "gate.md").exists()
    assert mlops("gate", "--base", "HEAD", "-o", "gate.pdf").exit_code == 2
    result = mlops("diff", "HEAD~1", "HEAD", "-o", "diff.json")
    assert result.exit_code == 0, result.output
    assert "params" in json.loads((data_repo / "diff.json").read_text())
    result = mlops("diff", "HEAD~1", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)
    result = mlops("diff", "HEAD~1", "-o", "diff.pdf")
    assert result.exit_code == 2 and not (data_repo / "diff.pdf").exists()


def test_monitor_and_alerts_report_output_follow_the_extension(data_repo: Path) -> None:
    result = mlops("monitor", "people.csv", "--against", "HEAD:people.csv", "-o", "m.pdf")
    assert result.exit_code == 2 and "cannot write a report as `.pdf`" in result.stderr
    assert not (data_repo / "monitoring").exists()  # refused before the run was recorded
    history = {
        "type": "run",
        "id": "r1",
        "time": "2026-11-01T00:00:00Z",
        "alerts": [{"id": "r1/drift:a", "rule": "drift:a", "severity": "error"}],
    }
    write(data_repo, "monitoring/history.jsonl", json.dumps(history) + "\n")
    result = mlops("alerts", "report", "-o", "alerts.html")
    assert result.exit_code == 0, result.output
    assert (data_repo / "alerts.html").read_text().startswith("<!DOCTYPE html>")
    assert json.loads(mlops("alerts", "report", "--json").stdout)["runs"] == 1
    assert mlops("alerts", "report", "--output", "alerts.docx").exit_code == 2


BROKEN_PIPELINE = """\
kind: Pipeline
version: 1
stages:
  train:
    cmd: python train.py
    outz: [model.pkl]
"""


def test_compile_check_prints_each_finding_once(git_repo: Path) -> None:
    write(git_repo, "pipelines/x.yaml", BROKEN_PIPELINE)
    result = mlops("compile", "--check")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    findings = [line for line in lines if line.startswith("pipelines/x.yaml:")]
    assert findings and all(": error: " in line for line in findings)
    assert findings[0].startswith("pipelines/x.yaml:6:5: error:")
    assert "mlops: error: pipelines/" not in result.stderr  # no doubled prefix
    assert all(line.count("error:") <= 1 for line in lines)
    lint = mlops("lint", "pipelines/x.yaml")
    assert [f for f in lint.stdout.splitlines() if f.startswith("pipelines/")] == findings
