"""`mlops doc`: Markdown pages from the repository, and `--check` for pre-commit and CI."""

from __future__ import annotations

import click

from mlops.cli.output import echo_json, json_option
from mlops.errors import CheckFailed


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a page is stale or missing.")
@click.option(
    "-o",
    "--output",
    default="docs/mlops",
    show_default=True,
    metavar="DIR",
    help="Folder of the pages, relative to the repository root.",
)
@json_option
def doc(check: bool, output: str, as_json: bool) -> None:
    """Write Markdown pages from the repository: each pipeline's DAG (Mermaid), its inputs and outputs
    with their versions, the data rules with owners and reasons, the promotion policy in words, and what
    each stage holds now with its recent history.

    Pages hold no generation time: the same repository gives the same bytes. Only pages written by
    `mlops doc` are overwritten or removed. Exit 1 with --check when a page is stale (each is named);
    exit 2 when a pipeline, rules or policy file is invalid.

    \b
    Examples:
      mlops doc
      mlops doc --check              # in CI or as the pre-commit hook mlops-doc-check
      mlops doc -o site/mlops
    """
    from mlops.api.docgen import generate_docs

    result = generate_docs(output, check=check)
    if as_json:
        echo_json(result.to_dict())
    elif check:
        for path in result.stale:
            click.echo(f"{path}: stale")
        for path in result.removed:
            click.echo(f"{path}: no longer generated")
        if result.ok:
            click.echo(f"{len(result.unchanged)} pages in {result.output} are up to date")
    else:
        changed = len(result.written) + len(result.removed)
        for path in result.written:
            click.echo(f"wrote {path}")
        for path in result.removed:
            click.echo(f"removed {path}")
        click.echo(f"{changed} page{'s' if changed != 1 else ''} changed, {len(result.unchanged)} unchanged")
    if not result.ok:
        raise CheckFailed("pages are stale", hint="run `mlops doc` and commit the pages")
