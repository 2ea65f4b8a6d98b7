"""Operating a stage in production: `mlops fallback` (break glass) and `mlops slo`."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import echo_json, json_option
from mlops.errors import CheckFailed


def _api() -> Any:
    import importlib

    return importlib.import_module("mlops.api.operations")


@click.command()
@click.argument("artifact")
@click.option("--stage", required=True, help="Stage to switch to its declared fallback.")
@click.option("--reason", required=True, help="What broke (recorded in the tag).")
@click.option("--evidence", metavar="TEXT", help="The failing evidence: the SLO, alert id or dashboard link.")
@click.option("--push", is_flag=True, help="Push the tag to origin at once (fetching origin's tags first).")
@json_option
def fallback(artifact: str, stage: str, reason: str, evidence: str | None, push: bool, as_json: bool) -> None:
    """Break glass: assign the fallback STAGE declares in promotion.yaml, at once, without a pull request.

    Only the declared fallback can be assigned this way (`fallback: previous`, the last version that held
    the stage in good standing, or a pinned version), and only one that passed the stage's gates once. The
    policy is read from the protected branch, not the work tree, and no file is written, so a dirty work
    tree does not matter. The tag records the reason, who ran it and the evidence; `mlops verify` and
    `mlops status` show it as an emergency change until a reviewed registry.yaml change sets the stage to
    that version. Running it again while the fallback holds the stage does nothing. Exit 1 when the declared
    fallback never passed the stage's gates; 2 when the stage declares no fallback or none can be named.

    \b
    Examples:
      mlops fallback churn-model --stage production --reason "accuracy SLO breached"
      mlops fallback churn-model --stage production --reason "bad feed" \\
          --evidence "slo production accuracy 0.91 < 0.95 over 7d" --push
    """
    result = _api().fallback(artifact, stage, reason=reason, evidence=evidence, push=push)
    if as_json:
        echo_json(result.to_dict())
    elif result.status == "switched":
        click.echo(
            f"Fell back: {artifact} {result.version} now holds {stage} (was {result.replaced or 'empty'}); "
            f"tag {result.tag}{' pushed' if push else ''}"
        )
        click.echo(f"Declared fallback: {result.declared}; passed {stage}'s gates in tag {result.vetted_by}")
        click.echo(
            f"Next: ratify it with a reviewed pull request setting {stage}: {result.version} in registry.yaml"
            + ("" if push else "; push the tag (git push origin tag " + str(result.tag) + ")")
        )
    elif result.status == "already":
        click.echo(f"{result.note}; no tag written")
    else:
        click.echo(f"fallback {result.note}; no tag written", err=True)
    if not result.passed:
        raise CheckFailed("")


@click.command()
@click.argument("artifact", required=False)
@json_option
def slo(artifact: str | None, as_json: bool) -> None:
    """Each stage's service-level objectives, judged on the monitoring history, with the evidence.

    An objective (`slo:` on a stage of promotion.yaml, e.g. `{metric: accuracy, min: 0.95, window: 7d}`,
    also per slice) holds the version now in the stage: the row-weighted mean of the metric over that
    version's runs in the window. States: met, breached, no data (no version in the stage, or fewer labelled
    rows than `min_rows`: never a breach). For a breach on a stage that declares a fallback, prints the one
    command that switches to it. Exit 1 when an objective is breached.

    \b
    Examples:
      mlops slo
      mlops slo churn-model --json
    """
    report = _api().slo(artifact)
    if as_json:
        echo_json(report.to_dict())
    else:
        _render_slos(report)
    if report.breached:
        raise CheckFailed("")


def _render_slos(report: Any) -> None:
    for line in report.problems:
        click.echo(f"warning: {line}", err=True)
    if not report.states:
        click.echo("no stage declares an SLO (`slo:` in promotion.yaml)")
        return
    for s in report.states:
        click.echo(f"{s.state.upper():9} {s.name}: {s.evidence()}")
    for artifact, stage, text in dict.fromkeys((s.artifact, s.stage, s.fallback) for s in report.breached):
        if text:
            click.echo(f"Switch {artifact} {stage} to its fallback: {text}")
    breached = len(report.breached)
    click.echo(
        f"{len(report.states)} SLO(s): {breached} breached"
        if breached
        else f"{len(report.states)} SLO(s): none breached"
    )
