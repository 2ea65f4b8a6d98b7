"""Small rendering helpers shared by commands: JSON, `--json` as `--format json`, `-o/--output` report files,
and config findings printed once."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

# A report file's format follows its extension; anything else is refused rather than silently written as text.
REPORT_SUFFIXES = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
}


def plural(n: int, word: str) -> str:
    """`1 file`, `2 files`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def json_alias(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--json`, the same as `--format json`, for a command whose format parameter is `fmt`."""

    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool = False, **kwargs: Any) -> Any:
        if as_json:
            kwargs["fmt"] = "json"
        return func(*args, **kwargs)

    return click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(wrapper)


def format_option(formats: list[str] | tuple[str, ...], help: str) -> Callable[[Any], Any]:
    """`--format` (the parameter `fmt`) among FORMATS, text by default: one declaration for every report."""
    return click.option(
        "--format", "fmt", type=click.Choice(formats), default="text", show_default=True, help=help
    )


def output_option(func: Any) -> Any:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Write the report to FILE instead of standard output; its format follows the "
        "extension (.json, .md, .html, .txt).",
    )(func)


def report_format(path: str, fallback: str, allowed: tuple[str, ...] | list[str]) -> str:
    """The format a report file gets from its extension (FALLBACK when it has none). A format the command
    cannot write, or an extension that names none (.pdf), is a usage error: exit 2, nothing written."""
    from mlops.errors import UsageError

    suffix = Path(path).suffix.lower()
    if not suffix:
        return fallback
    fmt = REPORT_SUFFIXES.get(suffix)
    exts = sorted({s for s, f in REPORT_SUFFIXES.items() if f in allowed})
    if fmt is None or fmt not in allowed:
        raise UsageError(
            f"cannot write a report as `{suffix}` ({path}): use {', '.join(exts)}",
            hint="or leave out the extension and choose with --format",
        )
    return fmt


def write_report(path: str, text: str) -> None:
    from mlops import atomic

    atomic.write_text(path, text)
    click.echo(f"report written to {path}", err=True)


def emit(text: str, output: str | None) -> None:
    """TEXT to OUTPUT (atomically) or to standard output."""
    if output:
        write_report(output, text)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@contextmanager
def findings_once() -> Iterator[None]:
    """Print a ConfigError's located findings one per line, as `mlops lint` does (`path:line:col: error:
    message`), instead of under the generic `mlops: error:` prefix, then exit with its code."""
    from mlops.errors import ConfigError

    try:
        yield
    except ConfigError as exc:
        if not exc.findings:
            raise
        for finding in exc.findings:
            click.echo(finding.render(), err=True)
        errors = sum(1 for f in exc.findings if getattr(f, "severity", "error") == "error")
        click.echo(f"mlops: {errors} error{'s' if errors != 1 else ''}; nothing was written or run", err=True)
        raise SystemExit(exc.exit_code) from None
