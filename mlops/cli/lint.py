"""`mlops lint`."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import emit, format_option, json_alias, output_option, plural, report_format
from mlops.errors import CheckFailed


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@format_option(("text", "json"), "Output format.")
@output_option
@json_alias
def lint(files: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Check mlops files against their schemas and against each other.

    Without FILES, checks every mlops file of the repository (pipelines/, rules/, promotion.yaml,
    registry.yaml, mlops.yaml). With FILES (as pre-commit passes them), checks those and the files they
    reference. Exit 1 when any error is found.

    \b
    Examples:
      mlops lint
      mlops lint pipelines/train.yaml rules/clean.yaml
      mlops lint --json
      mlops lint -o lint.json
    """
    import json

    from mlops import api

    if output:
        fmt = report_format(output, fmt, ("text", "json"))
    report = api.lint(list(files) or None)
    text = json.dumps(report.to_dict(), indent=2, default=str) + "\n" if fmt == "json" else _text(report)
    emit(text, output)
    if not report.ok:
        raise CheckFailed("")  # the findings above say why


def _text(report: Any) -> str:
    """Each finding, then `N files checked: N errors, N warnings` (or `no problems`)."""
    lines = [finding.render() for finding in report.findings]
    n_err, n_warn = len(report.errors), len(report.warnings)
    checked = f"{plural(len(report.files), 'file')} checked"
    if n_err or n_warn:
        lines.append(f"{checked}: {plural(n_err, 'error')}, {plural(n_warn, 'warning')}")
    else:
        lines.append(f"{checked}: no problems")
    return "\n".join(lines) + "\n"
