"""Serving commands: get (an artifact's bytes at a version or stage), check-ref (what a tag means)."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import echo_json, json_option


def _api() -> Any:
    import importlib

    return importlib.import_module("mlops.api.serving")


@click.command()
@click.argument("ref")
@click.option("-o", "--out", "out", metavar="PATH", help="Where to write [default: the file's name, here].")
@click.option(
    "--repo",
    metavar="URL_OR_PATH",
    help="Read from this repository (a clone's path, or a URL cloned to a temporary folder).",
)
@click.option("--rev", metavar="REV", help="With REF a plain PATH: the file at this Git revision.")
@json_option
def get(ref: str, out: str | None, repo: str | None, rev: str | None, as_json: bool) -> None:
    """Write the bytes of REF, an artifact at a version or stage, without checking anything out.

    REF is ARTIFACT#STAGE, ARTIFACT@vX.Y.Z, ARTIFACT@latest or REV:PATH. The bytes come from Git, the local
    DVC cache, or the configured DVC remote (as `dvc get`), streamed to PATH; a folder output is copied
    whole. Exit 2: an unknown artifact, stage or version, or a remote that cannot be read.

    \b
    Examples:
      mlops get churn-model#production -o model.pkl
      mlops get churn-model@v1.2.0 --repo https://github.com/acme/churn.git -o model.pkl
      mlops get main:data/clean.parquet
    """
    result = _api().get(ref, out, repo=repo, rev=rev)
    if as_json:
        echo_json(result)
        return
    held = (
        f" ({result['artifact']} {result['version'] or result['commit'][:12]})" if result["artifact"] else ""
    )
    click.echo(f"Wrote {result['out']}: {result['path']} at {result['commit'][:12]}{held}")


@click.command("check-ref")
@click.argument("tag")
@json_option
def check_ref(tag: str, as_json: bool) -> None:
    """Say what the registry tag TAG means: event, artifact, version, stage and commit.

    For CI jobs that start on a tag push (as `gto check-ref`, and the same answers on GTO's tags). Exit 2
    for a tag that is not a registry event.

    \b
    Examples:
      mlops check-ref 'churn-model#production#3' --json
      mlops check-ref "$GITHUB_REF_NAME"
    """
    from mlops.serving.checkref import sentence

    result = _api().check_ref(tag)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{sentence(result)} (commit {result['commit_hexsha'][:12]})")


@click.group()
def env() -> None:
    """The training environment each registered version recorded (Python, platform, packages).

    \b
    Examples:
      mlops env diff churn-model@v1.2.0 churn-model@v1.3.0
    """


@env.command("diff")
@click.argument("left")
@click.argument("right", required=False)
@json_option
def env_diff(left: str, right: str | None, as_json: bool) -> None:
    """Compare the environments of versions LEFT and RIGHT (or LEFT and this environment), package by
    package: Python, platform, and each package added, removed or at another version. Exit 0 either way.

    \b
    Examples:
      mlops env diff churn-model@v1.2.0 churn-model@v1.3.0
      mlops env diff churn-model#production          # against the packages installed here
    """
    result = _api().env_diff(left, right)
    if as_json:
        echo_json(result)
        return
    click.echo(_render_env(result))


def _env_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = [["", result["left"], result["right"]]]
    rows += [[key, str(v["left"]), str(v["right"])] for key, v in result["fields"].items()]
    return rows + [[p["name"], p["left"] or "-", p["right"] or "-"] for p in result["packages"]]


def _render_env(result: dict[str, Any]) -> str:
    left, right = result["left"], result["right"]
    if result["same"]:
        return f"Same environment: {left} and {right}."
    rows = _env_rows(result)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    counted = {c: sum(p["change"] == c for p in result["packages"]) for c in ("changed", "added", "removed")}
    lines.append(", ".join(f"{n} {c}" for c, n in counted.items()) + " package(s)")
    lines += [f"note: {side} recorded only a hash of its packages" for side in result["incomplete"]]
    return "\n".join(lines)
