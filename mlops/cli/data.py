"""Data commands: validate, profile, infer-rules."""

from __future__ import annotations

import sys
from typing import Any

import click

from mlops.cli.dataopts import chunk_rows_option, data_options
from mlops.cli.output import echo_json, json_alias, json_option, report_format
from mlops.errors import CheckFailed

_FORMATS = ["text", "json", "markdown", "html"]


def _api() -> Any:
    from mlops.api import data

    return data


class _Bar:
    """A progress bar on an interactive terminal; nothing in CI logs."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if self.progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            # on standard error: standard output carries the report (`--format json > report.json`)
            self.progress = Progress(
                TextColumn("validating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                TimeElapsedColumn(),
                transient=True,
                console=Console(stderr=True),
            )
            self.progress.start()
            self.task = self.progress.add_task("rows", total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()


@click.command()
@click.argument("data")
@click.option("--rules", "rules", required=True, metavar="FILE", help="The rules file (kind: Rules).")
@click.option(
    "-o",
    "--output",
    "--report",
    "reports",
    multiple=True,
    metavar="PATH",
    help="Also write the report to PATH; its format follows the extension (.json, .md, .html, "
    ".txt; any other is refused). Repeatable. Written even when rules fail.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="text",
    show_default=True,
    help="Format printed on standard output.",
)
@click.option(
    "--reference",
    metavar="REF:PATH",
    help="Reference data or profile for the drift rules (overrides `drift.reference`); REF is a Git "
    "revision or an mlops reference such as churn-model#production. A local path works too.",
)
@data_options
@chunk_rows_option
@click.option("-v", "--verbose", is_flag=True, help="List passed and skipped rules too (text format).")
@json_alias
def validate(
    data: str,
    rules: str,
    reports: tuple[str, ...],
    fmt: str,
    reference: str | None,
    input_format: str | None,
    chunk_rows: int | None,
    verbose: bool,
    engine: str | None,
) -> None:
    """Check a CSV, Parquet or JSON-lines file against a rules file.

    Exit 0 when every error-severity rule passes (warnings and info are reported only), 1 when one fails,
    2 when the data or the rules cannot be read. Row numbers in reports count data rows from 0.

    \b
    Examples:
      mlops validate data/clean.parquet --rules rules/clean.yaml
      mlops validate data/batch.csv --rules rules/clean.yaml --report reports/check.json
      mlops validate data/batch.csv --rules rules/clean.yaml --format markdown > comment.md
      mlops validate data/batch.csv --rules rules/clean.yaml --reference main:data/train.parquet
      mlops validate data/batch.csv --rules rules/clean.yaml -o report.html --json
    """
    from mlops import atomic

    kinds = {path: report_format(path, fmt, _FORMATS) for path in reports}  # refuse .pdf before reading data
    api = _api()
    with _Bar() as bar:
        report = api.validate(
            data,
            rules,
            reference=reference,
            input_format=input_format,
            chunk_rows=chunk_rows,
            progress=bar if sys.stderr.isatty() else None,
            profile_all="html" in kinds.values() or fmt == "html",
            engine=engine,
        )
    for path, kind in kinds.items():
        atomic.write_text(path, api.render_report(report, kind))
    click.echo(api.render_report(report, fmt, verbose=verbose), nl=False)
    if not report.passed:
        errors = report.summary()["errors"]
        raise CheckFailed(f"{errors} error rule{'s' if errors != 1 else ''} failed in {rules}")


@click.command()
@click.argument("data")
@click.option(
    "-o", "--output", metavar="FILE", help="Write the profile JSON here (default: standard output)."
)
@click.option("--columns", metavar="A,B,...", help="Profile only these columns (comma-separated).")
@data_options
@json_option
def profile(
    data: str,
    output: str | None,
    columns: str | None,
    input_format: str | None,
    engine: str | None,
    as_json: bool,
) -> None:
    """Write a reference profile of a data file, for drift checks and monitoring.

    Per column: count, nulls, min/max, mean/std, quantiles on a fine grid (or exact counts for few values)
    and the top categories; a few KB per column, deterministic. Drift against the profile gives the same
    statistics as against the data.

    \b
    Examples:
      mlops profile data/train.parquet -o profiles/train.json
      mlops profile data/train.csv --columns age,plan -o profiles/train.json
    """
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    result = _api().profile(data, output, columns=cols, input_format=input_format, engine=engine)
    if output is None:
        click.echo(result.to_json(), nl=False)
    elif as_json:
        echo_json({"output": output, "rows": result.rows, "columns": sorted(result.columns)})
    else:
        click.echo(f"wrote {output}: {result.rows} rows, {len(result.columns)} columns")


@click.command(name="infer-rules")
@click.argument("data")
@click.option("-o", "--output", metavar="FILE", help="Write the rules here (default: standard output).")
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    help="Widen numeric bounds by this share of the observed range.",
)
@click.option(
    "--max-categories",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Write an allowed set only for columns with at most this many values.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@data_options
def infer_rules(
    data: str,
    output: str | None,
    margin: float,
    max_categories: int,
    force: bool,
    input_format: str | None,
    engine: str | None,
) -> None:
    """Write a starter rules file from data, for a person to review.

    Bounds are widened beyond what the data shows (so the next batch does not fail), allowed sets are
    written only for low-cardinality columns, and comments give the observed values. Mean bounds and null
    limits are warnings; type and range rules are errors.

    \b
    Examples:
      mlops infer-rules data/train.csv -o rules/train.yaml
      mlops infer-rules data/train.parquet --margin 0.25 > rules/train.yaml
    """
    text = _api().infer_rules(
        data,
        output,
        input_format=input_format,
        margin=margin,
        max_categories=max_categories,
        force=force,
        engine=engine,
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {output}; review it before committing")
