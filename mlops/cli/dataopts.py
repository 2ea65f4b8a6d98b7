"""Options shared by the data commands (validate, profile, infer-rules, monitor), declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

engine_option = click.option(
    "--engine",
    type=click.Choice(["pandas", "polars", "spark"]),
    default=None,
    help="Engine that reads the data and runs the rules (overrides mlops.yaml `engine:`).  "
    "[default: polars when installed, else pandas]",
)
input_format_option = click.option(
    "--input-format",
    type=click.Choice(["csv", "parquet", "jsonl"]),
    default=None,
    help="Read DATA as this format instead of guessing from its extension.",
)
chunk_rows_option = click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Rows per chunk (memory bound); default 500,000.",
)


def data_options(func: F) -> F:
    """--input-format and --engine: how a data command reads its DATA argument."""
    return engine_option(input_format_option(func))
