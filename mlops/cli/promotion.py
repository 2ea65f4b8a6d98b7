"""Promotion commands: promote, gate, sync, rollback, status, verify."""

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
    import importlib

    # import_module, not `from mlops.api import promotion`: that form asks mlops.api.__getattr__ first,
    # which imports every area looking for the name
    return importlib.import_module("mlops.api.promotion")


def _fail() -> None:
    raise CheckFailed("")  # the report above says which gate or tag failed


_apply_option = click.option(
    "--apply",
    is_flag=True,
    help="Also commit registry.yaml and write the assignment tag (stages without review, on the "
    "protected branch).",
)


def _finish_change(result: Any, as_json: bool, verb: str) -> None:
    """Print a promotion or rollback (JSON or text); exit 1 when a gate refused it."""
    if as_json:
        echo_json(result.to_dict())
    else:
        _render_change(result, verb)
    if not result.passed:
        _fail()


def _render_change(result: Any, verb: str) -> None:
    from mlops.promotion import render

    click.echo(render.text([result.evaluation]))
    ev = result.evaluation
    if not result.passed:
        click.echo(
            f"{verb} refused: {len(ev.failures)} gate(s) failed; {result.registry} not changed", err=True
        )
        return
    if result.note:
        click.echo(result.note)
    if result.written:
        click.echo(f"Wrote {result.registry}: {ev.artifact}.{ev.stage} = {ev.version}")
    if result.committed:
        click.echo(f"Committed {result.registry} as {result.committed[:12]}")
    for tag in result.tags:
        click.echo(f"Created tag {tag}")
    if result.written and not result.committed:
        hint = (
            "open a pull request with it; `mlops sync` tags it after the merge"
            if ev.review_required
            else "commit it (or use --apply on the protected branch); `mlops sync` tags it"
        )
        click.echo(f"Next: {hint}")


@click.command()
@click.argument("ref")
@click.option("--to", "stage", required=True, metavar="STAGE", help="Stage to put the version in.")
@_apply_option
@json_option
def promote(ref: str, stage: str, apply: bool, as_json: bool) -> None:
    """Evaluate the gates of putting REF into STAGE; when they pass, write registry.yaml.

    REF is ARTIFACT@vX.Y.Z, ARTIFACT@latest or ARTIFACT#STAGE. Refused with the reason (exit 1): a gate that
    fails, skipping a stage, a soak not yet over, a deregistered version, a deprecated artifact. An unknown
    artifact or stage exits 2. Without --apply only registry.yaml changes: commit it and open a pull request.

    \b
    Examples:
      mlops promote churn-model@v1.4.0 --to staging --apply
      mlops promote churn-model#canary --to production
      mlops promote churn-model@latest --to staging --json
    """
    result = _api().promote(ref, stage, apply=apply)
    _finish_change(result, as_json, "promotion")


@click.command()
@click.argument("artifact")
@click.option("--stage", required=True, help="Stage to roll back.")
@_apply_option
@json_option
def rollback(artifact: str, stage: str, apply: bool, as_json: bool) -> None:
    """Put back the version that held STAGE before the current one (a new assignment; nothing is deleted).

    Goes through the same path as promote: registry.yaml changes, then a pull request and `mlops sync`
    (or --apply where the stage needs no review). The target is the newest earlier holder that left the
    stage in good standing (replaced by a newer version); a version that was itself rolled back away from
    is skipped and named. A rollback skips the entry conditions, the comparison with the incumbent and the
    monitoring gate; metric bounds and validation reports still apply.

    \b
    Examples:
      mlops rollback churn-model --stage production
      mlops rollback churn-model --stage staging --apply
    """
    result = _api().rollback(artifact, stage, apply=apply)
    _finish_change(result, as_json, "rollback")


@click.command()
@click.option(
    "--base",
    metavar="REV",
    help="Compare registry.yaml with the merge base of REV and HEAD "
    "[default: origin/<protected branch>, else the branch].",
)
@format_option(("text", "markdown", "json"), "markdown suits a PR comment or $GITHUB_STEP_SUMMARY.")
@output_option
@json_alias
def gate(base: str | None, fmt: str, output: str | None) -> None:
    """Evaluate the gates of every stage assignment that registry.yaml changes since REV (a PR check).

    Reads files from commits only and runs no code from the change. The merge base decides: its policy,
    mlops.yaml and monitoring histories (the change cannot edit what it is judged by); a change that edits
    them together with registry.yaml is refused. Each version must be provable (what `mlops register`
    checks, at its commit). Exit 1 when anything is refused.

    \b
    Examples:
      mlops gate
      mlops gate --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
      mlops gate --base main --json -o gate.json
    """
    import json

    from mlops.promotion import render

    fmt = report_format(output, fmt, ("text", "markdown", "json")) if output else fmt
    report = _api().gate(base)
    if fmt == "json":
        text = json.dumps(report.to_dict(), indent=2, default=str)
    elif fmt == "markdown":
        notes = ([f"REFUSED: {report.refused}"] if report.refused else []) + report.notes
        text = render.markdown(report.evaluations, base=report.base, notes=notes)
    else:
        text = "".join(f"note: {note}\n" for note in report.notes)
        text += f"refused: {report.refused}\n" if report.refused else render.text(report.evaluations)
    emit(text, output)
    if not report.passed:
        _fail()


@click.command()
@click.option("--push", is_flag=True, help="Push each new tag to origin.")
@click.option("--dry-run", is_flag=True, help="Check and report, write no tag.")
@json_option
def sync(push: bool, dry_run: bool, as_json: bool) -> None:
    """Write the tags that make Git match registry.yaml (on the protected branch only; elsewhere exit 2).

    For every stage where registry.yaml and the tags differ: re-check the gates under the policy, mlops.yaml
    and monitoring histories of the merge commit's first parent (incumbent and soak may have changed since
    the pull request), refuse a change that also edited those files, check that review-required stages
    changed through a merge commit, then write the assignment tag (signed with `signing: required`)
    recording the change, the merge, the PR, the gate results and who ran it. Runs hold the registry lock:
    parallel runs write one tag per change, and a second run does nothing. Exit 1 when anything was refused.

    \b
    Examples:
      mlops sync
      mlops sync --push
      mlops sync --dry-run --json
    """
    report = _api().sync(push=push, dry_run=dry_run)
    if as_json:
        echo_json(report.to_dict())
    else:
        if not report.actions:
            click.echo(f"In sync: the tags match registry.yaml at {report.head[:12]}")
        for action in report.actions:
            ev = action.evaluation
            if action.status == "refused":
                click.echo(f"refused  {ev.title}: {action.reason}")
            elif action.status == "would apply":
                click.echo(f"would apply  {ev.title}")
            else:
                click.echo(f"applied  {ev.title}: {', '.join(action.tags) or 'no tag needed'}")
    if report.refused:
        _fail()


@click.command()
@json_option
def status(as_json: bool) -> None:
    """Where registry.yaml (the desired state) and the tags differ, and which promotions are pending.

    States: in sync, pending, uncommitted, unmanaged; on the protected branch, a merged value that
    `mlops sync` refuses shows as refused, with the reason and the failing gate; a stage held by an `mlops
    fallback` tag that registry.yaml does not ask for yet: emergency fallback, awaiting ratification.

    \b
    Examples:
      mlops status
      mlops status --json
    """
    report = _api().status()
    if as_json:
        echo_json(report.to_dict())
        return
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    if not report.rows:
        click.echo("no stage is assigned or named in registry.yaml")
        return
    from mlops.render.text import aligned

    rows = [["ARTIFACT", "STAGE", "REGISTRY.YAML", "TAGS", "STATE"]] + [_status_row(r) for r in report.rows]
    click.echo("\n".join(aligned(rows)))
    for r in report.rows:
        _status_note(r)
    pending = len(report.pending)
    click.echo(f"{pending} pending" if pending else "in sync")


def _status_row(r: Any) -> list[str]:
    desired = (r.desired or "(empty)") if r.managed else "-"
    state = r.state + (" (review)" if r.review_required and r.state == "pending" else "")
    return [r.artifact, r.stage, desired, r.actual or "(empty)", state]


def _status_note(r: Any) -> None:
    if r.emergency and r.pending:
        click.echo(
            f"emergency: {r.artifact}.{r.stage} = {r.actual} by fallback {r.emergency}; ratify it with a "
            f"reviewed pull request setting {r.stage}: {r.actual} in registry.yaml"
        )
    elif r.refused:
        click.echo(f"refused by sync: {r.artifact}.{r.stage} = {r.desired or '(empty)'}: {r.refused}")


@click.command()
@click.option(
    "--since",
    metavar="TIME|TAG",
    help="Only tags written after this time or tag (e.g. the last one from before the team adopted mlops).",
)
@json_option
def verify(since: str | None, as_json: bool) -> None:
    """Prove every assignment tag of a review-required stage by the merged change behind it.

    Each such tag must record a merge commit on the protected branch's first-parent history whose
    registry.yaml change set that stage to that version (from the merged branch), sit on that version's
    commit, be created after the merge, be the only tag proving that change, and record passing gates; with
    `signing: required`, its signature must verify against the allowed-signers file on the protected branch.
    Exit 1 listing each tag that fails with every reason (a tag pushed by hand, a copied message, an extra
    tag). A tag written by `mlops fallback` is checked against the fallback the protected branch declared
    when it was written (anything else fails) and reported as an emergency awaiting ratification until a
    merged registry.yaml change sets the stage to it; that alone does not fail.

    \b
    Examples:
      mlops verify
      mlops verify --since 2026-11-01T00:00:00Z
      mlops verify --since churn-model#production#4 --json
    """
    report = _api().verify(since=since)
    if as_json:
        echo_json(report.to_dict())
    else:
        for check in report.failures:
            click.echo(f"{check.tag}: " + "; ".join(check.problems))
        for check in report.awaiting:
            click.echo(
                f"{check.tag}: emergency fallback of {check.artifact} to {check.version} in {check.stage}, "
                f"awaiting ratification (a reviewed registry.yaml change setting {check.stage}: {check.version})"
            )
        ok = len(report.checks) - len(report.failures)
        waiting = f", {len(report.awaiting)} emergency awaiting ratification" if report.awaiting else ""
        click.echo(
            f"{len(report.checks)} assignment tag(s) of review-required stages checked: {ok} ok{waiting}, "
            f"{len(report.failures)} not verified"
        )
    if report.failures:
        _fail()
