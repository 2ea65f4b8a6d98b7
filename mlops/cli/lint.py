"""`mlops lint`."""

from __future__ import annotations

import click

from mlops.cli.output import echo_json
from mlops.errors import EXIT_CHECK_FAILED


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def lint(files: tuple[str, ...], fmt: str) -> None:
    """Check mlops files against their schemas and against each other.

    Without FILES, checks every mlops file of the repository (pipelines/, rules/, promotion.yaml,
    registry.yaml, mlops.yaml). With FILES (as pre-commit passes them), checks those and the files they
    reference. Exit 1 when any error is found.

    \b
    Examples:
      mlops lint
      mlops lint pipelines/train.yaml rules/clean.yaml
      mlops lint --format json
    """
    from mlops import api

    report = api.lint(list(files) or None)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        for finding in report.findings:
            click.echo(finding.render())
        n_err, n_warn = len(report.errors), len(report.warnings)
        checked = f"{len(report.files)} file{'s' if len(report.files) != 1 else ''} checked"
        if n_err or n_warn:
            click.echo(f"{checked}: {n_err} error{'s' if n_err != 1 else ''}, "
                       f"{n_warn} warning{'s' if n_warn != 1 else ''}",)
        else:
            click.echo(f"{checked}: no problems")
    if not report.ok:
        raise SystemExit(EXIT_CHECK_FAILED)
