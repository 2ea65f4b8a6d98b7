"""The documentation: the generated reference matches the code, links resolve, the README stays short and
self-contained, and CI runs exactly the set-up commands the README gives."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", REPO / "docs" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load("gen_reference")


@pytest.fixture(scope="module")
def links() -> ModuleType:
    return _load("check_links")


def test_generated_reference_is_up_to_date(gen: ModuleType) -> None:
    stale = [str(p.relative_to(REPO)) for p in gen.stale(gen.render())]
    assert not stale, f"run `python docs/gen_reference.py` and commit the result; stale: {stale}"


def test_a_changed_command_makes_the_reference_stale(
    gen: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = gen.render()
    page = REPO / "docs" / "reference" / "commands" / "register.md"
    pages[page] = pages[page].replace("--bump", "--bump-it")
    assert page in gen.stale(pages)
    assert gen.main(["--check"]) == 0  # the real tree is untouched by the above
    assert capsys.readouterr().out == ""


def test_reference_covers_every_command_option_and_schema_key(gen: ModuleType) -> None:
    from mlops.cli import COMMANDS

    pages = gen.render()
    assert set(COMMANDS) <= set(gen.EXIT_CODES), "add the exit codes of new commands to EXIT_CODES"
    register = pages[REPO / "docs" / "reference" / "commands" / "register.md"]
    for text in (
        "# mlops register",
        "`--bump`",
        "`major` \\| `minor` \\| `patch`",
        "mlops register churn-model --bump minor",
        "## Exit codes",
        "| 2 | refused",
    ):
        assert text in register
    alerts = pages[REPO / "docs" / "reference" / "commands" / "alerts.md"]
    assert "## mlops alerts ack" in alerts and "## mlops alerts report" in alerts
    promotion = pages[REPO / "docs" / "reference" / "files" / "promotion.md"]
    assert "| `stages.<name>.gates[].not_worse_than` |" in promotion and "### full.yaml" in promotion
    assert "Compare with the version now in this stage." in promotion
    api = pages[REPO / "docs" / "reference" / "api.md"]
    assert "### register" in api and "mlops.api.promote(ref: str, stage: str" in api
    nav = pages[REPO / "mkdocs.yml"]
    for name in COMMANDS:
        assert f"- mlops {name}: reference/commands/{name}.md" in nav


def test_links_resolve(links: ModuleType) -> None:
    found = [problem for page in links.pages() for problem in links.problems(page)]
    assert not found, "\n".join(found)


def test_link_checker_finds_broken_links_and_anchors(
    links: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Page A\n\n## The fold: which version\n", encoding="utf-8")
    (docs / "b.md").write_text(
        "[ok](a.md#the-fold-which-version) [gone](missing.md) [anchor](a.md#nope)\n"
        "[out](https://example.com) [up](../../etc/passwd)\n"
        "`[in code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(links, "REPO", tmp_path)
    monkeypatch.setattr(links, "DOCS", docs)
    found = links.problems(docs / "b.md")
    assert len(found) == 4, found
    assert "docs/b.md:1: broken link `missing.md`: no such file" in found
    assert "docs/b.md:1: broken link `a.md#nope`: no heading `#nope` in docs/a.md" in found
    assert any("link outside the repository `https://example.com`" in f for f in found)
    assert any("`../../etc/passwd`: it leaves the repository" in f for f in found)


def _options(command_words: str) -> set[str] | None:
    """Every option spelling of `mlops WORDS` (a group's subcommand when the second word names one)."""
    import importlib

    import click

    from mlops.cli import COMMANDS

    name, _, sub = command_words.partition(" ")
    if name not in COMMANDS:
        return None
    module, attr = COMMANDS[name][:2]
    command = getattr(importlib.import_module(module), attr)
    if isinstance(command, click.Group) and sub in command.commands:
        command = command.commands[sub]
    spellings = {"-h", "--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            spellings.update(param.opts + param.secondary_opts)
    return spellings


def test_written_commands_use_real_options(gen: ModuleType, links: ModuleType) -> None:
    """Hand-written examples in the README and the guides name options that exist, so a renamed option
    shows up here instead of in a newcomer's terminal."""
    generated = {p for p in gen.render() if p.suffix == ".md"}
    wrong = []
    for page in links.pages():
        if page in generated:
            continue
        for line, words, options in links.command_mentions(page):
            known = _options(words)
            wrong += [
                f"{page.relative_to(REPO)}:{line}: `mlops {words.split()[0]}` has no option `{o}`"
                for o in options
                if known is not None and o not in known
            ]
    assert not wrong, "\n".join(wrong)


def test_option_check_reads_code_only(links: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "Run `mlops register churn-model --bumpy minor` or mlops register --prose.\n"
        "```bash\nmlops run train -- --force  # dvc's own option\n"
        "mlops alerts ack ID --ignored | tee x\n```\n",
        encoding="utf-8",
    )
    assert links.command_mentions(page) == [
        (1, "register churn-model", ["--bumpy"]),
        (3, "run train", []),
        (4, "alerts ack", ["--ignored"]),
    ]
    assert _options("register") and "--bumpy" not in (_options("register") or set())
    assert "--ignored" in (_options("alerts ack") or set())


def test_slugs_follow_mkdocs_and_github(links: ModuleType) -> None:
    assert (
        links.mkdocs_slug("The fold: which version is in a stage") == "the-fold-which-version-is-in-a-stage"
    )
    assert links.mkdocs_slug("Why lint has its own `fast` path") == "why-lint-has-its-own-fast-path"
    assert links.github_slug("A taste of each story") == "a-taste-of-each-story"


def test_readme_is_short_and_self_contained() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    for path in [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        outside = re.search(r"\.\./shared/|(?<![A-Z_])SPEC(\.md)?\b", text)
        assert outside is None, f"{path.relative_to(REPO)} refers outside the repository: {outside}"


def _readme_setup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block, "the README starts with a bash block of set-up commands"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_setup_commands() -> None:
    commands = _readme_setup_commands()
    assert commands == ["./bootstrap.sh demo", "./bootstrap.sh test"]
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for command in commands:
        assert command in ci_lines, f".ci/run must run `{command}` as the README says"
    script = (REPO / "bootstrap.sh").read_text(encoding="utf-8")
    assert all(shlex.split(c)[1] + ")" in script for c in commands)
