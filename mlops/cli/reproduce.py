"""Reproduce commands: checkout, reproduce, diff."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import (
    echo_json,
    emit,
    format_option,
    json_alias,
    json_option,
    output_option,
    report_format,
)
from mlops.errors import CheckFailed


def _api() -> Any:
    from mlops.api import reproduce  # direct import: no other area is loaded

    return reproduce


@click.command()
@click.argument("ref")
@click.option(
    "--worktree",
    "worktree",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Build the version in a new git worktree at DIR (sharing the DVC cache); "
    "the current work tree is left untouched.",
)
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Check out even when some data is in neither the DVC cache nor the remote.",
)
@json_option
def checkout(ref: str, worktree: str | None, allow_missing: bool, as_json: bool) -> None:
    """Check out a version with its data: git checkout (detached) + dvc checkout.

    REF is ARTIFACT@vX.Y.Z, ARTIFACT@latest, ARTIFACT#STAGE, ARTIFACT#STAGE~N or any Git revision
    (a local branch name puts you back on that branch). Data the DVC cache lacks is downloaded from the
    DVC remote first. Refuses (exit 2, nothing changed) when the work tree has uncommitted changes, Git or
    DVC-tracked, and when the data is nowhere to be found. Interrupted? Run it again: it finishes the job.

    \b
    Examples:
      mlops checkout churn-model@v1.2.0
      mlops checkout churn-model#production
      mlops checkout churn-model#production~1 --worktree ../prod-before
      mlops checkout main
    """
    from mlops.reproduce.render import checkout_text

    result = _api().checkout(ref, worktree=worktree, allow_missing=allow_missing)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(checkout_text(result))


@click.command()
@click.argument("ref")
@click.option("--keep", is_flag=True, help="Keep the temporary worktree and the `dvc repro` log to inspect.")
@click.option("-v", "--verbose", is_flag=True, help="Show `dvc repro`'s output (on stderr) as it runs.")
@json_option
def reproduce(ref: str, keep: bool, verbose: bool, as_json: bool) -> None:
    """Rebuild a version from its sources and check that every output has the hash in its dvc.lock.

    Runs `dvc repro --force --no-run-cache --no-commit` in a temporary git worktree of REF's commit that
    shares the DVC cache (your work tree is not touched), then compares each output's hash with the
    commit's dvc.lock. Exit 1 when any output differs (for example an unseeded random step) or the
    pipeline fails; exit 2 when REF is unknown or its source data cannot be found.

    \b
    Examples:
      mlops reproduce churn-model#production
      mlops reproduce churn-model@v1.2.0 --keep -v
      mlops reproduce HEAD --json
    """
    from mlops.reproduce.render import reproduce_text

    if not as_json:  # a rebuild can take long: say what is going on before it starts
        click.echo(f"Rebuilding {ref} from its sources in a temporary worktree...", err=True)
    echo_line = (lambda line: click.echo(line, err=True)) if verbose else None
    result = _api().reproduce_version(ref, keep=keep, on_line=echo_line)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(reproduce_text(result))
    if not result.ok:
        raise CheckFailed("")  # the report above names each mismatch


@click.command()
@click.argument("ref_a", metavar="REF_A")
@click.argument("ref_b", metavar="[REF_B]", default="HEAD")
@format_option(("text", "markdown", "json"), "Report format (markdown suits PR comments).")
@output_option
@json_alias
def diff(ref_a: str, ref_b: str, fmt: str, output: str | None) -> None:
    """What changed between two versions: params, metrics with deltas, data and output hashes
    (dvc.lock and .dvc files), pipeline stages, and rules. Read from Git history: nothing is checked out.

    REF_B defaults to HEAD. Exit 0 whether or not anything changed; 2 for an unknown reference.

    \b
    Examples:
      mlops diff churn-model@v1.2.0 churn-model@v1.3.0
      mlops diff churn-model#production churn-model#staging --format markdown
      mlops diff main~3 --json
      mlops diff churn-model#production churn-model#staging -o diff.md
    """
    import json

    from mlops.reproduce.render import diff_markdown, diff_text

    fmt = report_format(output, fmt, ("text", "markdown", "json")) if output else fmt
    result = _api().diff(ref_a, ref_b)
    if fmt == "json":
        text = json.dumps(result.as_dict(), indent=2, default=str)
    elif fmt == "markdown":
        text = diff_markdown(result)
    else:
        text = diff_text(result)
    emit(text, output)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
