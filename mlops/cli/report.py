"""`mlops report stages`: where versions spend their time between stages, from the registry tags."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import echo_json, emit, json_alias, output_option, report_format


@click.group()
def report() -> None:
    """Reports over the repository's history.

    \b
    Examples:
      mlops report stages
      mlops report stages churn-model --since 90d --format html -o stages.html
    """


@report.command()
@click.argument("artifact", required=False)
@click.option("--since", metavar="DATE", help="Only stays that began since DATE (2026-01-31, or 90d back).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "json"]),
    default=None,
    help="Output format [default: text, or the -o file's extension].",
)
@output_option
@json_alias
def stages(artifact: str | None, since: str | None, fmt: str | None, output: str | None) -> None:
    """Per stage: how long versions held it (median, p90), the share that never advanced to a later stage,
    and the median metrics of the versions that entered it, with the change over the stage before.

    Read from the registry tags alone (promotion.yaml, when readable, only orders the stages). The HTML
    format adds a timeline of each version's stages. Exit 2 for an artifact without tags or a bad DATE.

    \b
    Examples:
      mlops report stages churn-model
      mlops report stages --since 2026-01-01 --format markdown
      mlops report stages -o stages.html
    """
    import importlib

    chosen = fmt or (
        report_format(output, "text", ["text", "markdown", "html", "json"]) if output else "text"
    )
    result = importlib.import_module("mlops.api.report").report_stages(artifact, since=since)
    for line in result["warnings"]:
        click.echo(f"warning: {line}", err=True)
    if chosen == "json" and not output:
        echo_json(result)
        return
    from mlops.report import stages_render

    if chosen == "json":
        import json

        text = json.dumps(result, indent=2, default=str) + "\n"
    elif chosen == "markdown":
        text = stages_render.markdown(result)
    elif chosen == "html":
        text = stages_render.html(result)
    else:
        text = rich_text(result)
    emit(text, output)


def rich_text(result: dict[str, Any]) -> str:
    """The report as terminal tables (rich), returned as plain text so -o and pipes get the same thing."""
    import io

    from rich.console import Console

    from mlops.report import stages_render as r

    if not result["artifacts"]:
        return "No registry tags: nothing to report.\n"
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, no_color=True, highlight=False)
    for art in result["artifacts"]:
        console.print(f"{art['artifact']}: time in each stage")
        console.print(_rich_table(*r.stage_rows(art)))
        headers, metrics = r.metric_rows(art)
        if metrics:
            console.print(
                f"{art['artifact']}: median metrics of the versions that entered each stage (change)"
            )
            console.print(_rich_table(headers, metrics))
    since = f" since {result['since']}" if result["since"] else ""
    console.print(f"Finished stays{since}; `holding now` counts stays still open.")
    return buffer.getvalue()


def _rich_table(headers: list[str], rows: list[list[str]]) -> Any:
    from rich.table import Table

    table = Table()
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for cells in rows:
        table.add_row(*cells)
    return table
