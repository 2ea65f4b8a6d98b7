"""Evaluation commands: `evalset add|show|score` and `evaluate REF`."""

from __future__ import annotations

from typing import Any

import click

from mlops.cli.output import echo_json, json_option


def _api() -> Any:
    import importlib

    return importlib.import_module("mlops.api.evaluation")


@click.group()
def evalset() -> None:
    """Evaluation sets: grow them from production failures, list their versions, score a model on them.

    \b
    Examples:
      mlops evalset add churn-holdout --from failures.csv --reason "weekly triage" --source churn-model#production
      mlops evalset show churn-holdout
    """


@evalset.command()
@click.argument("name", metavar="SET")
@click.option(
    "--from",
    "source_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Rows to add (CSV, Parquet, JSON lines).",
)
@click.option(
    "--reason",
    required=True,
    help="Why these rows are added; recorded on every row and in the version's tag.",
)
@click.option(
    "--source",
    metavar="REF",
    help="The model version that failed on these rows (e.g. churn-model#production).",
)
@json_option
def add(name: str, source_file: str, reason: str, source: str | None, as_json: bool) -> None:
    """Append rows to evaluation set SET, skipping keys it already holds; each new row records the reason,
    date, who and the --source model version. Then `dvc add`, one commit, and the set's next version tag.

    Refused (exit 2): a dirty work tree, an unknown set or reference, rows lacking the set's columns.

    \b
    Examples:
      mlops evalset add churn-holdout --from triage/2026-11-30.csv --reason "weekly triage: enterprise churners"
      mlops evalset add churn-holdout --from failures.parquet --reason "late labels" --source churn-model@v1.3.0
    """
    result = _api().evalset_add(name, source_file, reason, source=source)
    if as_json:
        echo_json(_api().as_dict(result))
        return
    skipped = f" ({result.skipped} already in the set, skipped)" if result.skipped else ""
    if not result.added:
        click.echo(f"Nothing added to {name}: every row's key is already in {result.path}{skipped}.")
        return
    click.echo(
        f"Added {result.added} row(s) to {name}{skipped}: {result.rows} rows in {result.path}; "
        f"committed {result.commit[:7]} and registered {name} {result.version} (tag {result.tag})"
    )


@evalset.command()
@click.argument("name", metavar="SET")
@json_option
def show(name: str, as_json: bool) -> None:
    """The versions of evaluation set SET (newest first) and where its rows came from.

    \b
    Examples:
      mlops evalset show churn-holdout
      mlops evalset show churn-holdout --json
    """
    result = _api().evalset_show(name)
    if as_json:
        echo_json(_api().as_dict(result))
        return
    lines = [f"{name}: {result.rows} rows in {result.path}", "", "versions:"]
    for v in result.versions or []:
        added = v["added"]
        what = f"+{added['added']} row(s): {added['reason']}" if added else "registered"
        lines.append(f"  {v['version']}  {v['created_at'][:19]}  {v['commit'][:7]}  {what}")
    if not result.versions:
        lines.append("  (none registered: `mlops register " + name + "`)")
    lines += ["", "rows by origin:"]
    for o in result.origins:
        if o["reason"] is None:
            lines.append(f"  {o['rows']:>6}  original rows")
        else:
            source = f", failed by {o['source']}" if o.get("source") else ""
            lines.append(f"  {o['rows']:>6}  {o['reason']} ({o['added_at']}, {o['added_by']}{source})")
    click.echo("\n".join(lines))


@evalset.command()
@click.argument("artifact")
def score(artifact: str) -> None:
    """Score ARTIFACT on its evaluation sets and write its metrics file: the command of the evaluation stage
    `mlops compile` generates (run it through `mlops run` / `dvc repro`).

    \b
    Examples:
      mlops evalset score churn-model
    """
    result = _api().evalset_score(artifact)
    sets = ", ".join(f"{k} ({v['rows']} rows)" for k, v in result["metrics"]["evaluated_on"].items())
    click.echo(f"Evaluated {artifact} on {sets}: wrote {result['metrics_file']}")


@click.command()
@click.argument("ref")
@json_option
def evaluate(ref: str, as_json: bool) -> None:
    """Score version REF on today's evaluation sets, so an incumbent is compared on the same set versions as
    its candidate. REF's commit is rebuilt in a temporary worktree (sharing the DVC cache); today's
    evaluation.yaml and sets are copied in; the results go to reports/evaluations/ARTIFACT/VERSION.json:
    commit that file in the pull request, where the `not_worse_than: incumbent` gate reads it.

    Refused (exit 2): a dirty work tree, an unknown reference, a version whose model is not in the DVC cache.

    \b
    Examples:
      mlops evaluate churn-model#production
      mlops evaluate churn-model@v1.3.0 --json
    """
    result = _api().evaluate(ref)
    if as_json:
        echo_json(_api().as_dict(result))
        return
    sets = ", ".join(f"{k} ({v['rows']} rows)" for k, v in result.metrics["evaluated_on"].items())
    click.echo(
        f"Evaluated {result.artifact} {result.version} ({result.commit[:7]}) on today's {sets}: wrote "
        f"{result.path}\nCommit it with the pull request; the incumbent comparison reads it."
    )
