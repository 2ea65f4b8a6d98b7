"""Registry commands: register, deregister, deprecate, show, versions, history, which."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import click

from mlops.cli.output import echo_json, json_option


def _api() -> Any:
    # import_module, not `from mlops.api import registry`: the latter first asks mlops.api.__getattr__,
    # which imports every area; reading the registry must load only its own modules.
    import importlib

    return importlib.import_module("mlops.api.registry")


def _warn(result: dict[str, Any]) -> None:
    for line in result.get("warnings") or []:
        click.echo(f"warning: {line}", err=True)


def _table(header: list[str], rows: list[list[Any]]) -> None:
    from mlops.render.text import aligned

    cells = [header] + [["-" if c is None else str(c) for c in row] for row in rows]
    click.echo("\n".join(aligned(cells)))  # one write: 10,000 rows in one echo, not 10,000


def _stream_table(header: list[str], rows: Iterator[list[Any]], block: int = 1000) -> None:
    """A table printed as its rows come, BLOCK rows at a time (10,000 events never sit in one string).
    Columns are as wide as the widest cell so far: one block is exactly `_table`'s output."""
    widths = [0] * len(header)
    lines: list[list[str]] = [header]
    for row in rows:
        lines.append(["-" if c is None else str(c) for c in row])
        if len(lines) >= block:
            widths = _echo_block(lines, widths)
            lines = []
    if lines:
        _echo_block(lines, widths)


def _echo_block(lines: list[list[str]], widths: list[int]) -> list[int]:
    widths = [max(w, *(len(cells[i]) for cells in lines)) for i, w in enumerate(widths)]
    click.echo("\n".join("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in lines))
    return widths


push_option = click.option("--push", is_flag=True, help="Push the new tag to origin (atomically).")
message_option = click.option("-m", "--message", help="First line of the tag message.")


@click.command()
@click.argument("artifact")
@click.argument("rev", default="HEAD")
@click.option("--version", "version", metavar="vX.Y.Z", help="Version to register (SemVer with a leading v).")
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    help="Bump this part of the latest version [default: patch; the first version is v0.1.0].",
)
@click.option(
    "--force", is_flag=True, help="Register even when the artifact is byte-identical to the latest version's."
)
@message_option
@push_option
@json_option
def register(
    artifact: str,
    rev: str,
    version: str | None,
    bump: str | None,
    force: bool,
    message: str | None,
    push: bool,
    as_json: bool,
) -> None:
    """Register a version of ARTIFACT on REV's commit (default HEAD): an annotated tag ARTIFACT@vX.Y.Z.

    ARTIFACT must be declared in promotion.yaml. Refused (exit 2): a commit whose dvc.lock is stale against
    its pipeline, an artifact missing from dvc.lock, a version that exists, a second version on one commit,
    an artifact byte-identical to the latest version's (same hash in dvc.lock; --force registers it anyway).
    The tag message records the artifact hash, metrics, params and data hashes at REV.

    \b
    Examples:
      mlops register churn-model
      mlops register churn-model --bump minor -m "new features"
      mlops register churn-model a1b2c3d --version v2.0.0 --push
    """
    result = _api().register(
        artifact, rev, version=version, bump=bump, message=message, push=push, force=force
    )
    if as_json:
        echo_json(result)
        return
    pushed = " and pushed it to origin" if push else ""
    click.echo(
        f"Registered {artifact} {result['version']} on {result['commit'][:7]}: created tag "
        f"{result['tag']}{pushed}"
    )


@click.command()
@click.argument("artifact")
@click.argument("version", required=False)
@message_option
@push_option
def deregister(artifact: str, version: str | None, message: str | None, push: bool) -> None:
    """Withdraw a version: tag ARTIFACT@vX.Y.Z! (the version leaves every stage; nothing is deleted).

    \b
    Examples:
      mlops deregister churn-model v1.2.0
      mlops deregister churn-model@v1.2.0 -m "trained on leaked labels"
    """
    from mlops.errors import UsageError

    if version is None:
        artifact, sep, version = artifact.partition("@")
        if not sep:
            raise UsageError("give the version: `mlops deregister ARTIFACT vX.Y.Z` or ARTIFACT@vX.Y.Z")
    result = _api().deregister(artifact, version, message=message, push=push)
    click.echo(f"Deregistered {artifact} {version}: created tag {result['tag']}")


@click.command()
@click.argument("artifact")
@message_option
@push_option
def deprecate(artifact: str, message: str | None, push: bool) -> None:
    """Deprecate ARTIFACT: tag ARTIFACT@deprecated (hidden by `mlops show --active`).

    \b
    Examples:
      mlops deprecate old-model
      mlops deprecate old-model -m "replaced by churn-model" --push
    """
    result = _api().deprecate(artifact, message=message, push=push)
    click.echo(f"Deprecated {artifact}: created tag {result['tag']}")


@click.command()
@click.argument("artifact", required=False)
@click.option("--fetch", is_flag=True, help="Fetch tags from origin first.")
@click.option("--active", is_flag=True, help="Hide deprecated artifacts.")
@json_option
def show(artifact: str | None, fetch: bool, active: bool, as_json: bool) -> None:
    """Artifacts with their latest version and the version in each stage.

    \b
    Examples:
      mlops show
      mlops show churn-model
      mlops show --fetch --json
    """
    result = _api().show(artifact, fetch=fetch, deprecated=not active)
    if as_json:
        echo_json(result)
        return
    _warn(result)
    if not result["artifacts"]:
        click.echo("No registered artifacts yet (`mlops register ARTIFACT` creates the first version).")
        return
    stages = result["stages"]
    rows = [_show_cells(row, stages) for row in result["artifacts"]]
    _table(["artifact", "latest"] + [f"#{s}" for s in stages], rows)
    if not all(row.get("registered", True) for row in result["artifacts"]):
        click.echo(
            "* annotated in artifacts.yaml or dvc.yaml, no version registered yet (as `gto show` marks it)"
        )
    if artifact and result["artifacts"] and result["artifacts"][0].get("annotation"):
        click.echo(_annotation_line(result["artifacts"][0]["annotation"]))


def _show_cells(row: dict[str, Any], stages: list[str]) -> list[Any]:
    mark = "" if row.get("registered", True) else "*"
    name = mark + row["artifact"] + (" (deprecated)" if row["deprecated"] else "")
    return [name, row["latest"]] + [row["stages"].get(s) for s in stages]


def _annotation_line(note: dict[str, Any]) -> str:
    """GTO's annotation of an artifact on one line: type, path, labels, description."""
    parts = [f"{key}: {note[key]}" for key in ("type", "path") if note.get(key)]
    if note.get("labels"):
        parts.append("labels: " + ", ".join(note["labels"]))
    if note.get("description"):
        parts.append(f"description: {note['description']}")
    return "  ".join(parts) + f"  (from {note['source']})"


@click.command()
@click.argument("artifact")
@json_option
def versions(artifact: str, as_json: bool) -> None:
    """Every registered version of ARTIFACT, newest first, with its commit, date, author and stages.

    \b
    Examples:
      mlops versions churn-model
      mlops versions churn-model --json
    """
    result = _api().versions(artifact)
    if as_json:
        echo_json(result)
        return
    _warn(result)
    if result.get("annotation"):
        click.echo(_annotation_line(result["annotation"]))
    if not result["versions"]:
        click.echo(
            f"No versions of {artifact} registered yet (`mlops register {artifact}` creates the first)."
        )
        return
    rows = [
        [
            v["version"] + (" (deregistered)" if v["deregistered"] else ""),
            v["commit"][:7],
            v["created_at"][:19].replace("T", " "),
            v["author"],
            ", ".join(v["stages"]) or None,
        ]
        for v in result["versions"]
    ]
    _table(["version", "commit", "created", "author", "stages"], rows)


@click.command()
@click.argument("artifact", required=False)
@json_option
def history(artifact: str | None, as_json: bool) -> None:
    """Every registry event, newest first: date, who, what, commit, and gate or PR details when recorded.

    \b
    Examples:
      mlops history
      mlops history churn-model
      mlops history churn-model --json | jq '.events[0]'
    """
    result = _api().history(artifact, stream=not as_json)
    if as_json:
        echo_json(result)
        return
    _warn(result)
    refused = [
        [
            "(pending)",
            r["artifact"],
            f"{r['version'] or '(empty)'} -> {r['stage']} REFUSED",
            "",
            "mlops sync",
            "failed: " + (", ".join(r["failed_gates"]) or r["reason"]),
        ]
        for r in result.get("refused", [])
    ]
    events = (
        [e["date"][:19].replace("T", " "), e["artifact"], _what(e), e["commit"][:7], e["tagger"]]
        + [_details(e["data"])]
        for e in result["events"]
    )
    _stream_table(["date", "artifact", "event", "commit", "by", "details"], itertools.chain(refused, events))
    for r in result.get("refused", []):
        click.echo(
            f"refused by sync: {r['artifact']}.{r['stage']} = {r['version'] or '(empty)'}: {r['reason']}"
        )


def _what(e: dict[str, Any]) -> str:
    kind = e["event"]
    if kind == "assign":
        rollback = " (rollback)" if (e.get("data") or {}).get("rollback") is True else ""
        return f"{e['version']} -> {e['stage']}{rollback}"
    if kind == "unassign":
        return f"{e['version']} left {e['stage']}"
    if kind == "deprecate":
        return "deprecated"
    return f"{kind}ed {e['version']}"


def _details(data: dict[str, Any]) -> str | None:
    if not data:
        return None
    parts = []
    if data.get("pr") is not None:
        parts.append(f"PR #{data['pr']}")
    if data.get("merge_commit"):
        parts.append(f"merge {str(data['merge_commit'])[:7]}")
    gates = data.get("gates")
    if isinstance(gates, list) and gates:
        parts.append(_gate_counts(gates, data.get("rollback") is True))
        if any(isinstance(g, dict) and g.get("gate") == "not a rollback" for g in gates):
            parts.append("returned with every gate (it had been rolled back away from)")
    return ", ".join(parts) or None


def _gate_counts(gates: list[Any], rollback: bool) -> str:
    """`gates 7/7 passed`, or `gates 1 passed, 5 skipped (rollback)`: a skipped gate is not a passed one."""
    passed, skipped, failed = _gate_tally(gates)
    if not skipped and not failed:
        return f"gates {passed}/{len(gates)} passed"
    text = f"gates {passed} passed" + (f", {skipped} skipped" if skipped else "")
    text += " (rollback)" if rollback and skipped else ""
    return text + (f", {failed} failed" if failed else "")


def _gate_tally(gates: list[Any]) -> tuple[int, int, int]:
    """(passed, skipped, failed) among gate results; a skipped gate also says passed: it is not one."""
    rows = [g for g in gates if isinstance(g, dict)]
    skipped = sum(1 for g in rows if g.get("result") == "skip")
    passed = sum(1 for g in rows if g.get("passed")) - skipped
    return passed, skipped, len(gates) - passed - skipped


@click.command()
@click.argument("artifact")
@click.argument("stage", required=False)
@click.option(
    "--back",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The N-th version before the current one in that stage (as ARTIFACT#STAGE~N).",
)
@json_option
def which(artifact: str, stage: str | None, back: int, as_json: bool) -> None:
    """The version now in STAGE of ARTIFACT (prints nothing when the stage is empty).

    The newest assignment decides, among versions whose own latest event in the stage is an assignment
    (GTO's rule: unassigning the current version gives the stage back to the one before it).

    \b
    Examples:
      mlops which churn-model production
      mlops which churn-model production --back 1
      mlops which churn-model#production~1
      git checkout "$(mlops which churn-model production --json | jq -r .commit)"
    """
    if stage is None:
        from mlops.errors import UsageError
        from mlops.refs import parse_registry_ref

        parsed = parse_registry_ref(artifact)
        if parsed is None or parsed[2] is None:
            raise UsageError(
                "give ARTIFACT STAGE or ARTIFACT#STAGE[~N], e.g. `mlops which churn-model production`"
            )
        artifact, stage, back = parsed[0], parsed[2], max(back, parsed[3])
    result = _api().which(artifact, stage, back=back)
    if as_json:
        echo_json(result)
        return
    _warn(result)
    if result["version"] is not None:
        click.echo(result["version"])
    elif not result["known_stage"]:
        click.echo(f"{artifact} was never assigned to stage {stage}", err=True)
    else:
        what = f"has no version {back} back" if back else "is empty"
        click.echo(f"stage {stage} of {artifact} {what}", err=True)
