"""`mlops monitor` and `mlops alerts report|ack`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from mlops.cli.dataopts import data_options
from mlops.cli.output import emit, format_option, json_alias, output_option, report_format
from mlops.errors import CheckFailed

FORMATS = ["text", "markdown", "json", "html"]
F = TypeVar("F", bound=Callable[..., Any])

history_option = click.option(
    "--history", type=click.Path(dir_okay=False), help="History file.  [default: monitoring/history.jsonl]"
)


def noise_options(*, noisy_share: str, min_fired: str, since: str) -> Callable[[F], F]:
    """--noisy-share, --min-fired, --artifact, --since: which alerts `alerts report` and `alerts tune` judge,
    declared once; each command keeps its own help text."""
    return stacked(
        click.option(
            "--noisy-share", type=click.FloatRange(0, 1), default=0.3, show_default=True, help=noisy_share
        ),
        click.option("--min-fired", type=click.IntRange(min=1), default=3, show_default=True, help=min_fired),
        click.option("--artifact", help="Only the runs of this artifact."),
        click.option("--since", metavar="WHEN", help=since),
    )


def stacked(*options: Callable[[F], F]) -> Callable[[F], F]:
    """The options applied as if written one above the other: the first listed is the first in --help."""

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


# `mlops monitor` options that override the rules file's `alert:` policy (mlops.monitor.settings)
POLICY_OVERRIDES: list[tuple[str, click.ParamType, str]] = [
    (
        "--consecutive",
        click.IntRange(min=1),
        "Windows in a row over threshold before an alert fires (overrides alert.consecutive).",
    ),
    (
        "--min-drifted-columns",
        click.IntRange(min=1),
        "Columns that must drift together (overrides alert.min_drifted_columns).",
    ),
    (
        "--correction",
        click.Choice(["none", "bonferroni", "benjamini-hochberg"]),
        "Multiple-testing correction of p-values (overrides alert.correction).",
    ),
    (
        "--alpha",
        click.FloatRange(0, 1, min_open=True, max_open=True),
        "False-alarm budget per window of the calibrated checks (overrides alert.alpha).  [default: 0.005]",
    ),
    (
        "--severity",
        click.Choice(["error", "warn", "info"]),
        "Severity of drift and metric alerts; only error exits 1 (overrides alert.severity).",
    ),
    (
        "--max-metric-drop",
        click.FloatRange(min=0),
        "Metric drop that counts: absolute for scores, relative for errors.  [default: 0.05]",
    ),
    ("--min-rows", click.IntRange(min=1), "Labeled rows a slice needs before it can alert.  [default: 30]"),
]
policy_options = stacked(*(click.option(flag, type=kind, help=text) for flag, kind, text in POLICY_OVERRIDES))


@click.command()
@click.argument("data")  # a file or a Parquet folder: the same reader as `validate`
@click.option(
    "--against",
    "against",
    metavar="REF",
    help="Version whose training data is the reference: churn-model#production, churn-model@v1.3.0, "
    "a Git revision, or REF:PATH of a data file or profile. Default: the rules file's "
    "drift.reference.",
)
@click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    help="Rules file: data-quality rules, drift settings, and the `alert:` and `labels:` policy.",
)
@click.option("--labels", metavar="COL", help="Column with the true labels (or targets).")
@click.option(
    "--predictions",
    metavar="COL",
    help="Column with the model's predictions (classes, probabilities of the positive class, or values).",
)
@click.option(
    "--scores",
    metavar="COL",
    help="Column with positive-class scores for ROC AUC, when --predictions holds classes.",
)
@click.option(
    "--slice",
    "slices",
    metavar="COL",
    multiple=True,
    help="Report metrics per value of this column (repeatable).",
)
@click.option(
    "--history",
    type=click.Path(dir_okay=False),
    help="History file (JSON lines) to read and append to.  [default: monitoring/history.jsonl]",
)
@click.option("--dry-run", is_flag=True, help="Read the history but do not append this run to it.")
@click.option(
    "--window-time",
    metavar="TIME",
    help="The window's time (ISO-8601, e.g. 2026-11-24T05:00:00Z); "
    "labels mature relative to it.  [default: now]",
)
@click.option("--artifact", help="Artifact name when --against is a plain Git revision.")
@policy_options
@click.option(
    "--method",
    type=click.Choice(["psi", "ks", "chi2", "jensen_shannon", "wasserstein", "hellinger", "tvd"]),
    help="Drift statistic (overrides drift.method).",
)
@click.option("--threshold", type=click.FloatRange(min=0), help="Drift threshold (a p-value with --p-value).")
@click.option(
    "--p-value/--effect-size",
    "p_value",
    default=None,
    help="Judge drift by p-values (ks, chi2) instead of effect sizes.",
)
@click.option("--label-delay", metavar="DURATION", help="Label lag, e.g. 14d (overrides labels.delay).")
@click.option(
    "--timestamp", metavar="COL", help="Event-time column for the label lag (overrides labels.timestamp)."
)
@click.option(
    "--task",
    type=click.Choice(["classification", "regression"]),
    help="Model task.  [default: inferred from the labels]",
)
@click.option("--positive", metavar="VALUE", help="Positive class of a binary classifier.")
@format_option(FORMATS, "Report format on stdout.")
@data_options
@output_option
@json_alias
def monitor(data: str, dry_run: bool, fmt: str, output: str | None, **options: Any) -> None:
    """Compare a live batch with what a model version was trained on; alert by policy.

    Computes per-feature drift against the version's training data (its profile, read at the version's
    commit), prediction drift, the data-quality rules of --rules, and, with --labels and --predictions,
    live metrics overall and per --slice over the rows whose labels have matured, with the gap to the
    offline metrics recorded with the version. Appends one record to the history. By default a column
    alerts (drift:, mix:, nulls:) only when its change is credible for the batch and reference sizes
    (Bonferroni-corrected across all checks at --alpha) and material; identifiers, timestamps, the label
    and the predictions are left out. An alert fires only as the policy says (consecutive windows, min
    drifted columns). Exit 1 when an alert of severity error fires, 0 otherwise, 2 when it cannot run.

    \b
    Examples:
      mlops monitor live/2026-11-24.parquet --against churn-model#production
      mlops monitor batch.csv --against churn-model#canary --rules rules/live.yaml \\
          --labels churned --predictions score --slice plan --history monitoring/canary.jsonl
      mlops monitor batch.parquet --against main:data/profile.json --format html -o report.html
      mlops monitor batch.parquet --against churn-model@v1.3.0 --p-value --correction benjamini-hochberg
    """
    from mlops import api

    fmt = report_format(output, fmt, FORMATS) if output else fmt  # refuse .pdf before any work
    result = api.monitor_batch(data, record=not dry_run, **options)
    text = api.monitor_report(result, fmt)
    emit(text, output)
    if result.fired:
        click.echo(_fired_line(result.fired), err=True)
    _fallback_commands(result)
    if result.failed:
        raise CheckFailed("")  # the alert line above says why


def _fired_line(fired: list[Any]) -> str:
    errors = sum(1 for c in fired if c.severity == "error")
    return (
        f"{len(fired)} alert(s) fired ({errors} error): "
        + ", ".join(c.rule for c in fired[:5])
        + (" ..." if len(fired) > 5 else "")
    )


def _fallback_commands(result: object) -> None:
    """A breached SLO of a stage with a declared fallback: the one command that switches to it."""
    for text in dict.fromkeys(b.fallback for b in getattr(result, "slos", []) if b.fallback):
        click.echo(f"SLO breached; to switch to the fallback: {text}", err=True)


@click.group()
def alerts() -> None:
    """Alert history: how often each alert fired and how often people ignored it; tune the policy from it.

    \b
    Examples:
      mlops alerts report
      mlops alerts tune --rules rules/live.yaml
      mlops alerts report --history monitoring/canary.jsonl --format markdown
      mlops alerts ack 20261124T050000Z-a1b2c3/drift:age --ignored
    """


@alerts.command("report")
@history_option
@noise_options(
    noisy_share="Flag a rule as noisy when at least this share of its alerts were ignored.",
    min_fired="Judge noise only for rules that fired at least this often.",
    since="Only runs from then on: a duration back from now (30d) or an ISO-8601 time.",
)
@format_option(FORMATS, "Report format.")
@output_option
@json_alias
def report(
    history: str | None,
    noisy_share: float,
    min_fired: int,
    artifact: str | None,
    since: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """Per alert rule: times fired, windows, acted/ignored, and whether it is noisy.

    A rule is noisy when a large share of its alerts were ignored, or when it fires in nearly every
    window. Noisy rules need a higher threshold, `consecutive: N`, or a p-value correction.

    \b
    Examples:
      mlops alerts report
      mlops alerts report --history monitoring/canary.jsonl --json
      mlops alerts report --since 30d --artifact churn-model
      mlops alerts report --format html -o alerts.html
    """
    from mlops import api

    fmt = report_format(output, fmt, FORMATS) if output else fmt
    result = api.alerts_report(
        history, noisy_share=noisy_share, min_fired=min_fired, artifact=artifact, since=since
    )
    emit(api.alerts_report_text(result, fmt), output)


@alerts.command("ack")
@click.argument("alert_id", metavar="ID")
@click.option("--ignored", "resolution", flag_value="ignored", help="Nothing needed doing (a false alarm).")
@click.option("--acted", "resolution", flag_value="acted", help="People acted on it.")
@history_option
@click.option("--by", help="Who acknowledges.  [default: Git's identity, `git var GIT_AUTHOR_IDENT`]")
@click.option("--note", help="Why, in a few words.")
@click.option("--json", "as_json", is_flag=True, help="Print the acknowledgement record as JSON.")
def ack(
    alert_id: str,
    resolution: str | None,
    history: str | None,
    by: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Record that an alert was acted on or ignored (appends to the history).

    ID is the alert id shown by `mlops monitor` and `mlops alerts report` (RUN-ID/RULE). The latest
    acknowledgement of an alert counts.

    \b
    Examples:
      mlops alerts ack 20261124T050000Z-a1b2c3/drift:age --ignored
      mlops alerts ack 20261124T050000Z-a1b2c3/metrics:plan=pro --acted --note "rolled back"
    """
    from mlops import api
    from mlops.cli.output import echo_json
    from mlops.errors import UsageError

    if resolution is None:
        raise UsageError("say what happened: --ignored or --acted")
    record = api.ack_alert(alert_id, resolution, history=history, by=by, note=note)
    if as_json:
        echo_json(record)
    else:
        click.echo(f"{alert_id}: {resolution} (by {record['by']})")


@alerts.command("tune")
@click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    required=True,
    help="Rules file whose `alert:` policy the proposal changes (created in the proposal if missing).",
)
@history_option
@click.option(
    "--branch",
    metavar="NAME",
    help="Commit the proposal on this new branch (from HEAD) instead of "
    "printing the diff; the work tree and the current branch are left alone.",
)
@noise_options(
    noisy_share="Tune rules when at least this share of their alerts were ignored.",
    min_fired="Tune only rules that fired at least this often.",
    since="Only runs from then on: a duration (30d) or an ISO-8601 time.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the proposal (changes, expected rates, diff) as JSON."
)
def tune(
    rules: str,
    history: str | None,
    branch: str | None,
    noisy_share: float,
    min_fired: int,
    artifact: str | None,
    since: str | None,
    as_json: bool,
) -> None:
    """Propose a change to the alert policy from what people did about alerts.

    Reads the acknowledgements (`mlops alerts ack --acted|--ignored`) and each check's measured effect and
    noise in the history. For a noisy rule whose ignored alerts all had smaller effects than the acted-on
    ones, it raises that column's materiality threshold in between; otherwise it asks for one more window
    in a row (`alert.consecutive`). Prints a unified diff of the rules file on stdout and, on stderr, each
    change with the alerts it would have kept and silenced, its expected false-alarm rate per window and
    its detection power. Never edits the file: `git apply` the diff, or use --branch and open a pull
    request. Exit 0 (also when there is nothing to change), 2 when it cannot run.

    \b
    Examples:
      mlops alerts tune --rules rules/live.yaml
      mlops alerts tune --rules rules/live.yaml | git apply
      mlops alerts tune --rules rules/live.yaml --branch tune-alerts --since 90d
    """
    from mlops import api
    from mlops.cli.output import echo_json

    proposal = api.alerts_tune(
        rules,
        history=history,
        branch=branch,
        noisy_share=noisy_share,
        min_fired=min_fired,
        artifact=artifact,
        since=since,
    )
    if as_json:
        echo_json(proposal.to_dict())
        return
    for note in proposal.notes:
        click.echo(f"note: {note}", err=True)
    if not proposal.changes:
        click.echo(
            "No change to propose: no noisy rule with ignored alerts that a threshold would fix.", err=True
        )
        return
    for change in proposal.changes:
        click.echo(_describe_change(change), err=True)
    if proposal.branch:
        click.echo(
            f"committed on branch {proposal.branch} ({proposal.commit[:10] if proposal.commit else ''}); "
            f"push it and open a pull request",
            err=True,
        )
    else:
        click.echo(proposal.diff(), nl=False)


def _describe_change(change: object) -> str:
    c: dict = change.to_dict()  # type: ignore[attr-defined]
    rate = "-" if c["false_alarm_rate"] is None else f"{c['false_alarm_rate']:.2%}"
    power = "-" if c["power"] is None else f"{c['power']:.0%}"
    return (
        f"{c['key']}: {c['old']} -> {c['new']} ({c['rule']}): {c['why']}. Replayed on {c['windows']} "
        f"window(s): fired {c['fired_before']} -> {c['fired_after']}, acted-on alerts kept "
        f"{c['acted_kept']} of {c['acted']}. Expected false alarms per window {rate}; power {power} "
        f"for {c['power_for']}."
    )
