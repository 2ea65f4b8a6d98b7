"""`mlops lint`."""

from __future__ import annotations

import click

from mlops.cli.output import emit, json_alias, output_option, report_format
from mlops.errors import CheckFailed


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
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
    if fmt == "json":
        text = json.dumps(report.to_dict(), indent=2, default=str) + "\n"
    else:
        lines = [finding.render() for finding in report.findings]
        n_err, n_warn = len(report.errors), len(report.warnings)
        checked = f"{len(report.files)} file{'s' if len(report.files) != 1 else ''} checked"
        if n_err or n_warn:
            lines.append(
                f"{checked}: {n_err} error{'s' if n_err != 1 else ''}, "
                f"{n_warn} warning{'s' if n_warn != 1 else ''}"
            )
        else:
            lines.append(f"{checked}: no problems")
        text = "\n".join(lines) + "\n"
    emit(text, output)
    if not report.ok:
        raise CheckFailed("")  # the findings above say why
