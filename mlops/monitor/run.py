"""One monitoring run: a batch against a version's reference, turned into a history record.

Steps: reference (reference.py) -> per-feature drift of the batch's profile (mlops.data.drift) with the p-value
correction -> prediction drift -> data-quality rules -> live metrics over rows with matured labels, overall
and per slice, and their gap to the offline metrics -> candidates -> the policy decides what fires ->
one record appended to the history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops.errors import InputError
from mlops.monitor import checks
from mlops.monitor.calibration import judge
from mlops.monitor.drift_checks import column_results, prediction_drift
from mlops.monitor.history import append_record, read_history, same_stream
from mlops.monitor.labels import label_window
from mlops.monitor.policy import AlertPolicy, Candidate, decide, judge_drift
from mlops.monitor.record import Findings, run_record
from mlops.monitor.reference import Reference, select_reference
from mlops.monitor.settings import DriftSettings, Settings


@dataclass
class MonitorOptions:
    data: str
    against: str | None = None
    rules: str | None = None
    labels: str | None = None
    predictions: str | None = None
    scores: str | None = None
    slices: list[str] = field(default_factory=list)
    history: str | None = None  # None: monitoring/history.jsonl at the repository root
    record: bool = True  # append to the history
    window_time: datetime | None = None  # None: now
    artifact: str | None = None
    task: str | None = None
    positive: str | None = None
    input_format: str | None = None
    engine: str | None = None  # pandas | polars | spark; None: mlops.yaml `engine:`, else the default
    # overrides of the rules file (None: as the file says, else the defaults)
    consecutive: int | None = None
    min_drifted_columns: int | None = None
    correction: str | None = None
    alpha: float | None = None
    severity: str | None = None
    max_metric_drop: float | None = None
    min_rows: int | None = None
    method: str | None = None
    threshold: float | None = None
    p_value: bool | None = None
    columns: list[str] | None = None
    label_delay: str | None = None
    timestamp: str | None = None


@dataclass
class Batch:
    """The batch a run monitors: where it is read, by which engine (the runner's name), and its columns."""

    source: Any  # a local DataSource, or on Spark a mlops.data.spark.sources.SparkSource
    engine: str  # pandas | polars | spark
    schema: list[str]
    frame: Any = None  # local engines: the columns metrics, slices and prediction drift need (pandas)

    @property
    def on_spark(self) -> bool:
        return self.engine == "spark"


@dataclass
class MonitorResult:
    record: dict[str, Any]
    reference: Reference
    policy: AlertPolicy
    candidates: list[Candidate]
    fired: list[Candidate]
    history_path: str | None  # where the record was appended (None: not recorded)
    previous: list[dict[str, Any]]  # the stream's earlier runs, oldest first (for trends)
    problems: list[str] = field(default_factory=list)  # skipped history lines
    profile: Any = None  # the batch's profile of the drift columns (the HTML report draws it)
    slos: list[Any] = field(default_factory=list)  # breached SLOs (mlops.monitor.slo.SloState)

    @property
    def failed(self) -> bool:
        """An alert of severity error fired (exit 1)."""
        return any(c.severity == "error" for c in self.fired)

    @property
    def runs(self) -> list[dict[str, Any]]:
        return [*self.previous, self.record]


def monitor(options: MonitorOptions, root: str | os.PathLike[str]) -> MonitorResult:
    settings = Settings.of(options)
    policy = settings.policy
    reference = _reference(settings, options, root)
    history_path = _history_path(options.history, root)
    history = read_history(history_path, shown=_shown(history_path, root))
    previous = same_stream(history, artifact=reference.artifact, version=reference.version, ref=reference.ref)
    batch = _open(options.data, options.input_format or settings.rules.get("format"), options.engine, root)
    source, schema = batch.source, batch.schema
    _require_columns(schema, options)
    roles = _roles(options, settings.timestamp)
    found = Findings(*_drift(batch, reference, options, settings.rules, roles, settings.drift))
    _judge_features(found, policy)
    if not batch.on_spark:  # Spark computes metrics and prediction drift as aggregates on the executors
        # only the columns that metrics, slices and prediction drift need are held in memory at once
        batch.frame = _frame(source, _frame_columns(options, settings.timestamp, schema))
    _judge_predictions(found, batch, reference, options, settings, previous)
    quality = _quality(options.rules, source, options.engine, root) if options.rules else None
    found.quality = quality
    found.candidates += checks.quality_candidates((quality or {}).get("failures", []))
    if options.labels and options.predictions:
        _judge_metrics(found, batch, options, settings, reference, previous)
    fired = decide(found.candidates, previous, policy)
    record = run_record(_shown(Path(options.data), root), settings, reference, found, fired)
    slos = _slo_breaches(record, fired, history_path, root, settings.window)
    if options.record:
        append_record(history_path, record)
    shown = _shown(history_path, root) if options.record else None
    return MonitorResult(
        record,
        reference,
        policy,
        found.candidates,
        fired,
        shown,
        previous,
        history.problems,
        found.profile,
        slos,
    )


def _reference(settings: Settings, options: MonitorOptions, root: str | os.PathLike[str]) -> Reference:
    from mlops.config.project import load_project

    # the policy file mlops.yaml names (`promotion:`), as lint, gate and sync read it
    return select_reference(
        settings.against, root, artifact=options.artifact, promotion_file=load_project(root).promotion
    )


def _frame_columns(options: MonitorOptions, timestamp: str | None, schema: list[str]) -> list[str]:
    wanted = [c for c in (options.labels, options.predictions, options.scores, *options.slices) if c]
    if timestamp and options.labels and timestamp in schema:
        wanted.append(timestamp)
    return list(dict.fromkeys(wanted))


def _judge_features(found: Findings, policy: AlertPolicy) -> None:
    """Correct and decide the feature checks; drift and completeness candidates."""
    found.by_kind = judge(found.features, policy.alpha, policy.correction)
    found.drifted = judge_drift(found.features, policy)
    found.candidates += checks.drift_candidates(found.features, found.drifted, policy)
    found.candidates += checks.completeness_candidates(found.features, found.by_kind["nulls"], policy)


def _judge_predictions(
    found: Findings,
    batch: Batch,
    reference: Reference,
    options: MonitorOptions,
    settings: Settings,
    previous: list[dict[str, Any]],
) -> None:
    calibrated = None if settings.drift.fixed else settings.policy
    # on Spark the predictions column is profiled on the executors, as the drift columns are
    profile = batch.source.profile([options.predictions]) if batch.on_spark and options.predictions else None
    found.prediction_drift, found.prediction_baseline = prediction_drift(
        batch.frame, reference, options.predictions, settings.drift, previous, calibrated, profile
    )
    found.candidates += checks.prediction_candidates(found.prediction_drift, settings.policy)


def _judge_metrics(
    found: Findings,
    batch: Batch,
    options: MonitorOptions,
    settings: Settings,
    reference: Reference,
    previous: list[dict[str, Any]],
) -> None:
    """Live metrics over the rows with matured labels, their gap to the offline metrics, and candidates."""
    offline = checks.offline_metrics(reference.offline)
    found.metrics, found.coverage = _metrics(
        batch, options, settings.window, settings.delay, settings.timestamp
    )
    if found.metrics is not None:
        found.gap = checks.offline_gap(found.metrics, offline)
        found.candidates += checks.metric_candidates(found.metrics, offline, settings.policy, previous)


def _slo_breaches(
    record: dict[str, Any], fired: list[Candidate], path: Path, root: str | os.PathLike[str], now: datetime
) -> list[Any]:
    """Breached SLOs of the stages this version holds are alerts of this run (mlops.monitor.slo)."""
    from mlops.monitor.slo import monitor_breaches

    breaches = monitor_breaches(Path(root), record, _shown(path, root), now)
    for s in breaches:
        alert = Candidate(s.rule, "slo", "error", f"SLO breached: {s.name}: {s.evidence()}", immediate=True)
        fired.append(alert)
        record["candidates"].append(alert.to_dict())
        record["alerts"].append(
            {"id": f"{record['id']}/{s.rule}", "rule": s.rule, "severity": "error", "message": alert.message}
        )
    return breaches


PROFILE_CHUNK_ROWS = 1 << 17  # the batch is profiled in chunks: memory stays bounded, whatever its size


def _open(path: str, fmt: str | None, engine: str | None, root: Any) -> Batch:
    """The batch: a local DataSource, or on Spark a path or table that Spark reads and profiles itself."""
    from mlops.data.engines import get_engine
    from mlops.data.source import DataSource

    runner = get_engine(engine, root)
    source = runner.source(path) if runner.name == "spark" else DataSource.from_path(path, fmt)  # type: ignore[attr-defined]
    return Batch(source, runner.name, source.schema())


def _frame(source: Any, columns: list[str]) -> Any:
    import pandas as pd

    from mlops.data.source import read_frame

    return read_frame(source, columns=columns) if columns else pd.DataFrame()


def _require_columns(schema: list[str], options: MonitorOptions) -> None:
    wanted = [
        ("--labels", options.labels),
        ("--predictions", options.predictions),
        ("--scores", options.scores),
    ]
    wanted += [("--slice", s) for s in options.slices]
    for flag, column in wanted:
        if column and column not in schema:
            from mlops.suggest import closest

            match = closest(column, schema)
            raise InputError(
                f"{flag} column `{column}` is not in the data"
                + (f"; did you mean `{match}`?" if match else "")
            )


def _roles(options: MonitorOptions, timestamp: str | None) -> dict[str, str]:
    named = [
        (options.labels, "label column (--labels)"),
        (options.predictions, "predictions (--predictions)"),
        (options.scores, "scores (--scores)"),
        (timestamp, "event-time column (--timestamp)"),
    ]
    out: dict[str, str] = {}
    for column, why in named:
        if column:
            out.setdefault(column, why)
    return out


def _drift(
    batch: Batch,
    reference: Reference,
    options: MonitorOptions,
    rules: dict[str, Any],
    roles: dict[str, str],
    drift: DriftSettings,
) -> tuple[dict[str, dict[str, Any]], int, dict[str, str], Any]:
    from mlops.data.profile import build_profile
    from mlops.monitor.features import exclude_inferred

    source, schema = batch.source, batch.schema
    configured = options.columns or drift.cfg.get("columns")
    columns, excluded = _drift_columns(configured, schema, rules, roles)
    columns = _in_reference(columns, excluded, source, schema, reference)
    wanted = columns or schema[:1]
    current = (  # a Spark batch profiles itself on the executors (mlops.data.spark.sources.SparkSource)
        source.profile(wanted)
        if batch.on_spark
        else build_profile(source, columns=wanted, chunk_rows=PROFILE_CHUNK_ROWS)
    )
    rows = int(current.rows)
    if rows == 0:
        raise InputError(f"{source.name}: the batch has no rows")
    if not isinstance(configured, list):
        inferred = exclude_inferred(columns, reference.profile, current)
        excluded.update(inferred)
        columns = [c for c in columns if c not in inferred]
    features = column_results(current, reference.profile, columns, drift)
    return features, rows, excluded, current  # the batch profile: the HTML report draws its distributions


def _drift_columns(
    configured: Any, schema: list[str], rules: dict[str, Any], roles: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The columns to check for drift, and those left out (with why): as listed, else every feature."""
    from mlops.monitor.features import declared_exclusions

    if isinstance(configured, list):
        missing = [c for c in configured if c not in schema]
        if missing:
            raise InputError(f"drift column(s) not in the data: {', '.join(missing)}")
        return list(configured), {}
    declared = declared_exclusions(rules, roles)
    excluded = {c: why for c, why in declared.items() if c in schema}
    return [c for c in schema if c not in declared], excluded


def _in_reference(
    columns: list[str], excluded: dict[str, str], source: Any, schema: list[str], reference: Reference
) -> list[str]:
    """The drift columns the reference has too (InputError when the batch shares no column with it)."""
    columns = [c for c in columns if c in reference.profile.columns]
    if not columns and not excluded:
        raise InputError(
            f"{source.name}: no column of the batch is in the reference {reference.path} "
            f"(batch: {', '.join(schema[:8]) or 'none'}; reference: "
            f"{', '.join(list(reference.profile.columns)[:8])})"
        )
    return columns


def assess_profiles(
    current: Any, reference: Any, rules: dict[str, Any] | None = None, roles: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str], list[Candidate]]:
    """Feature drift, mix and completeness of a batch profile against a reference profile, at the rules'
    settings (the defaults when None): (features, columns left out and why, candidates). What `monitor`
    does for one window, without a repository or history (benchmarks/alerts.py replays thousands)."""
    from mlops.monitor.features import declared_exclusions, exclude_inferred

    rules = dict(rules or {})
    policy = AlertPolicy.from_rules(rules.get("alert"))
    excluded = declared_exclusions(rules, dict(roles or {}))
    columns = [c for c in current.columns if c in reference.columns and c not in excluded]
    inferred = exclude_inferred(columns, reference, current)
    excluded.update(inferred)
    columns = [c for c in columns if c not in inferred]
    drift = DriftSettings.of(MonitorOptions(data=""), rules)
    found = Findings(column_results(current, reference, columns, drift), 0, excluded, current)
    _judge_features(found, policy)
    return found.features, excluded, found.candidates


def _metrics(
    batch: Batch, options: MonitorOptions, window: datetime, delay: str | None, timestamp: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    from mlops.monitor import metrics as m

    if batch.on_spark:
        from mlops.monitor.spark_metrics import live_metrics

        return live_metrics(batch.source.df, options, window, delay, timestamp)
    frame = batch.frame
    labels = options.labels or ""
    predictions = options.predictions or ""
    if options.task != "regression":
        m.require_comparable(frame[labels].to_numpy(), frame[predictions].to_numpy(), labels, predictions)
    lw = label_window(frame, labels, predictions, window_time=window, delay=delay, timestamp=timestamp)
    coverage = lw.to_dict()
    if lw.counted == 0:
        return None, coverage
    rows = frame[lw.mask]
    scores = rows[options.scores].to_numpy(dtype=float) if options.scores else None
    prep = m.prepare(
        rows[labels].to_numpy(),
        rows[predictions].to_numpy(),
        scores,
        task=options.task,
        positive=options.positive,
    )
    slices = {column: rows[column].to_numpy(dtype=object) for column in options.slices}
    return m.evaluate(prep, slices), coverage


def _quality(rules_path: str, source: Any, engine: str | None, root: Any) -> dict[str, Any] | None:
    """The rules file's data-quality checks on the batch, through the validation engine."""
    from mlops.monitor.quality import run_quality

    return run_quality(rules_path, source, engine, root)


def _history_path(history: str | None, root: str | os.PathLike[str]) -> Path:
    from mlops.monitor.history import DEFAULT_PATH

    return Path(history) if history else Path(root) / DEFAULT_PATH


def _shown(path: Path, root: str | os.PathLike[str]) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)
