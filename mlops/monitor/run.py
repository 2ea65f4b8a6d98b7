"""One monitoring run: a batch against a version's reference, turned into a history record.

Steps: reference (reference.py) -> per-feature drift of the batch's profile (mlops.data.drift) with the p-value
correction -> prediction drift -> data-quality rules -> live metrics over rows with matured labels, overall
and per slice, and their gap to the offline metrics -> candidates -> the policy decides what fires ->
one record appended to the history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlops.errors import InputError, UsageError
from mlops.monitor import checks
from mlops.monitor.calibration import Materiality, judge
from mlops.monitor.history import SCHEMA, append_record, new_run_id, read_history, same_stream
from mlops.monitor.labels import format_time, label_window
from mlops.monitor.policy import AlertPolicy, Candidate, decide, judge_drift
from mlops.monitor.reference import Reference, select_reference


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


POLICY_OVERRIDES = (
    "consecutive",
    "min_drifted_columns",
    "correction",
    "alpha",
    "severity",
    "max_metric_drop",
    "min_rows",
)


@dataclass(frozen=True)
class DriftSettings:
    """How drift is judged: the rules' `drift:` and `alert:` sections under the command-line overrides."""

    cfg: dict[str, Any]  # the rules' drift: section
    alert: dict[str, Any]  # the rules' alert: section
    method: str | None
    threshold: float | None
    p_value: bool
    fixed: bool  # a method or threshold for every column (or p-values): fixed thresholds, not calibrated

    @classmethod
    def of(cls, options: MonitorOptions, rules: dict[str, Any]) -> DriftSettings:
        cfg = dict(rules.get("drift") or {})
        p_value = bool(options.p_value if options.p_value is not None else cfg.get("p_value", False))
        return cls(
            cfg,
            dict(rules.get("alert") or {}),
            options.method or cfg.get("method"),
            options.threshold if options.threshold is not None else cfg.get("threshold"),
            p_value,
            _fixed_mode(options, cfg, p_value),
        )


@dataclass(frozen=True)
class Settings:
    """A run's settings: the rules file under the command-line options."""

    rules: dict[str, Any]
    policy: AlertPolicy
    drift: DriftSettings
    against: str
    delay: str | None  # label lag
    timestamp: str | None  # event-time column of the label lag
    window: datetime

    @classmethod
    def of(cls, options: MonitorOptions) -> Settings:
        rules = _rules(options.rules)
        label_cfg = dict(rules.get("labels") or {})
        overrides = {name: getattr(options, name) for name in POLICY_OVERRIDES}
        policy = AlertPolicy.from_rules(rules.get("alert"), **overrides)
        against = _against(options, rules)
        return cls(
            rules,
            policy,
            DriftSettings.of(options, rules),
            against,
            options.label_delay or label_cfg.get("delay"),
            options.timestamp or label_cfg.get("timestamp"),
            options.window_time or datetime.now(timezone.utc),
        )


def _against(options: MonitorOptions, rules: dict[str, Any]) -> str:
    """What to compare with (the option, else the rules' drift.reference); metrics need both columns."""
    against = options.against or dict(rules.get("drift") or {}).get("reference")
    if not against:
        raise UsageError("nothing to compare with: pass --against REF (e.g. churn-model#production)")
    if bool(options.labels) != bool(options.predictions):
        raise UsageError("--labels and --predictions go together: metrics need both columns")
    return str(against)


@dataclass
class Findings:
    """What one run found, in the order its checks ran, before it becomes the history record."""

    features: dict[str, dict[str, Any]]
    rows: int
    excluded: dict[str, str]
    profile: Any  # the batch's profile of the drift columns
    by_kind: dict[str, list[str]] = field(default_factory=dict)  # calibrated drift, mix, nulls
    drifted: list[str] = field(default_factory=list)
    prediction_drift: dict[str, Any] | None = None
    prediction_baseline: Any = None
    quality: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None
    gap: dict[str, Any] | None = None
    candidates: list[Candidate] = field(default_factory=list)


def monitor(options: MonitorOptions, root: str | os.PathLike[str]) -> MonitorResult:
    settings = Settings.of(options)
    policy = settings.policy
    reference = _reference(settings, options, root)
    history_path = _history_path(options.history, root)
    history = read_history(history_path, shown=_shown(history_path, root))
    previous = same_stream(history, artifact=reference.artifact, version=reference.version, ref=reference.ref)
    source, schema = _open(options.data, options.input_format or settings.rules.get("format"))
    _require_columns(schema, options)
    roles = _roles(options, settings.timestamp)
    found = Findings(*_drift(source, schema, reference, options, settings.rules, roles, settings.drift))
    _judge_features(found, policy)
    # only the columns that metrics, slices and prediction drift need are held in memory at once
    frame = _frame(source, _frame_columns(options, settings.timestamp, schema))
    _judge_predictions(found, frame, reference, options, settings, previous)
    quality = _quality(options.rules, source, options.engine, root) if options.rules else None
    found.quality = quality
    found.candidates += checks.quality_candidates((quality or {}).get("failures", []))
    if options.labels and options.predictions:
        _judge_metrics(found, frame, options, settings, reference, previous)
    fired = decide(found.candidates, previous, policy)
    record = _record(options, settings, reference, found, fired, root)
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
    frame: Any,
    reference: Reference,
    options: MonitorOptions,
    settings: Settings,
    previous: list[dict[str, Any]],
) -> None:
    calibrated = None if settings.drift.fixed else settings.policy
    found.prediction_drift, found.prediction_baseline = _prediction_drift(
        frame, reference, options, settings.drift, previous, calibrated
    )
    found.candidates += checks.prediction_candidates(found.prediction_drift, settings.policy)


def _judge_metrics(
    found: Findings,
    frame: Any,
    options: MonitorOptions,
    settings: Settings,
    reference: Reference,
    previous: list[dict[str, Any]],
) -> None:
    """Live metrics over the rows with matured labels, their gap to the offline metrics, and candidates."""
    offline = checks.offline_metrics(reference.offline)
    found.metrics, found.coverage = _metrics(
        frame, options, settings.window, settings.delay, settings.timestamp
    )
    if found.metrics is not None:
        found.gap = checks.offline_gap(found.metrics, offline)
        found.candidates += checks.metric_candidates(found.metrics, offline, settings.policy, previous)


def _record(
    options: MonitorOptions,
    settings: Settings,
    reference: Reference,
    found: Findings,
    fired: list[Candidate],
    root: str | os.PathLike[str],
) -> dict[str, Any]:
    """The history record of the run (the promotion `monitor:` gate and `alerts` read it)."""
    run_id = new_run_id(settings.window)
    return {
        "type": "run",
        "schema": SCHEMA,
        "id": run_id,
        "time": format_time(settings.window),
        "artifact": reference.artifact,
        "version": reference.version,
        "ref": reference.ref,
        "commit": reference.commit,
        "data": _shown(Path(options.data), root),
        "rows": found.rows,
        "features": found.features,
        "metrics": found.metrics,
        "label_coverage": found.coverage["coverage"] if found.coverage else None,
        "alerts": [
            {"id": f"{run_id}/{c.rule}", "rule": c.rule, "severity": c.severity, "message": c.message}
            for c in fired
        ],
        "candidates": [c.to_dict() for c in found.candidates],
        "drift": _drift_record(found, settings),
        "prediction_drift": found.prediction_drift,
        "prediction_baseline": found.prediction_baseline,
        "quality": found.quality,
        "labels": found.coverage,
        "offline_gap": found.gap,
        "offline_source": reference.offline_source,
        "reference": reference.to_dict(),
        "policy": settings.policy.to_dict(),
    }


def _drift_record(found: Findings, settings: Settings) -> dict[str, Any]:
    policy = settings.policy
    return {
        "drifted": found.drifted,
        "tested": len(found.features),
        "min_drifted_columns": policy.min_drifted_columns,
        "correction": policy.correction,
        "p_value": settings.drift.p_value,
        "mode": "fixed" if settings.drift.fixed else "calibrated",
        "alpha": policy.alpha,
        "nulls": found.by_kind["nulls"],
        "mix": found.by_kind["mix"],
        "excluded": found.excluded,
        "materiality": Materiality.from_rules(settings.rules.get("alert")).to_dict(),
    }


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


def _rules(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    from mlops.config import load_document

    return dict(load_document(path, expected_kind="Rules").data or {})


PROFILE_CHUNK_ROWS = 1 << 17  # the batch is profiled in chunks: memory stays bounded, whatever its size


def _open(path: str, fmt: str | None) -> tuple[Any, list[str]]:
    from mlops.data.source import DataSource

    source = DataSource.from_path(path, fmt)
    return source, source.schema()


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


def _fixed_mode(options: MonitorOptions, cfg: dict[str, Any], p_value: bool) -> bool:
    """A method or threshold set for every column (or p-values) judges drift the old way: fixed thresholds."""
    return bool(
        p_value
        or options.method
        or options.threshold is not None
        or cfg.get("method")
        or cfg.get("threshold") is not None
    )


def _drift(
    source: Any,
    schema: list[str],
    reference: Reference,
    options: MonitorOptions,
    rules: dict[str, Any],
    roles: dict[str, str],
    drift: DriftSettings,
) -> tuple[dict[str, dict[str, Any]], int, dict[str, str], Any]:
    from mlops.data.profile import build_profile
    from mlops.monitor.features import exclude_inferred

    configured = options.columns or drift.cfg.get("columns")
    columns, excluded = _drift_columns(configured, schema, rules, roles)
    columns = _in_reference(columns, excluded, source, schema, reference)
    current = build_profile(source, columns=columns or schema[:1], chunk_rows=PROFILE_CHUNK_ROWS)
    rows = int(current.rows)
    if rows == 0:
        raise InputError(f"{source.name}: the batch has no rows")
    if not isinstance(configured, list):
        inferred = exclude_inferred(columns, reference.profile, current)
        excluded.update(inferred)
        columns = [c for c in columns if c not in inferred]
    features = _column_results(current, reference.profile, columns, drift)
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
    found = Findings(_column_results(current, reference, columns, drift), 0, excluded, current)
    _judge_features(found, policy)
    return found.features, excluded, found.candidates


def _column_results(
    current: Any, reference: Any, columns: list[str], drift: DriftSettings
) -> dict[str, dict[str, Any]]:
    """Per column: calibrated checks, or the fixed method/threshold (everywhere, or per column)."""
    from mlops.monitor.calibration import Materiality, column_checks

    per_column = drift.cfg.get("per_column") or {}
    features: dict[str, dict[str, Any]] = {}
    for name in columns:
        override = per_column.get(name) or {}
        materiality = Materiality.from_rules(drift.alert, name)
        if drift.fixed or "method" in override or "threshold" in override:
            features[name] = _fixed_entry(current, reference, name, drift, materiality)
        else:
            features[name] = column_checks(current.columns[name], reference.columns[name], materiality)
    return features


def _fixed_entry(
    current: Any, reference: Any, name: str, drift: DriftSettings, materiality: Materiality
) -> dict[str, Any]:
    """A column judged by a fixed method and threshold (its statistic or p-value), plus completeness."""
    from mlops.data.drift import drift_scores
    from mlops.monitor.calibration import null_check

    result = drift_scores(
        current,
        reference,
        [name],
        method=drift.method,
        per_column=drift.cfg.get("per_column") or {},
        threshold=drift.threshold,
        p_value=drift.p_value,
    )[name]
    entry = result.to_dict()
    entry.pop("column", None)
    entry["judged_by"] = _judged_by(drift, result)
    entry["nulls"] = null_check(current.columns[name], reference.columns[name], materiality.nulls)
    return entry


def _judged_by(drift: DriftSettings, result: Any) -> str:
    return "p_value" if drift.p_value and result.p_value is not None else "statistic"


def _prediction_drift(
    frame: Any,
    reference: Reference,
    options: MonitorOptions,
    drift: DriftSettings,
    previous: list[dict[str, Any]],
    calibrated: AlertPolicy | None = None,
) -> tuple[dict[str, Any] | None, Any]:
    """Predictions against the reference's predictions column when it has one; else against the stream's
    baseline window (the first run of this version, which stores its predictions' profile).

    Never against the training labels: a model that is right but conservative predicts fewer positives than
    the base rate, and that difference would alert on every batch. Returns (result, profile to store)."""
    if not options.predictions:
        return None, None
    import pandas as pd

    from mlops.data.drift import drift_scores
    from mlops.data.profile import build_profile

    name = options.predictions
    current = build_profile(pd.DataFrame({name: frame[name]}))
    baseline, against = _prediction_baseline(name, reference, previous)
    if baseline is None:  # the first window of this version: it becomes the baseline (or a bad stored one)
        return (against, current.columns[name].to_dict()) if against else (None, None)
    if calibrated is not None:
        return _calibrated_prediction(current, baseline, name, drift.alert, calibrated, against), None
    result = drift_scores(
        current, baseline, [name], method=drift.method, threshold=drift.threshold, p_value=drift.p_value
    ).get(name)
    if result is None:
        return None, None
    entry = result.to_dict()
    entry["against"] = against
    entry["judged_by"] = _judged_by(drift, result)
    return entry, None


def _prediction_baseline(name: str, reference: Reference, previous: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(profile, what it is) to judge predictions against. No profile: (None, the result saying this window
    is the baseline), or (None, None) when the stored baseline cannot be read."""
    from mlops.data.profile import ColumnProfile, Profile

    if name in reference.profile.columns:
        return reference.profile, f"reference {reference.path}"
    stored = next((r for r in previous if isinstance(r.get("prediction_baseline"), dict)), None)
    if stored is None:
        return None, {"column": name, "against": None, "baseline": "this window (the first of this version)"}
    try:
        column = ColumnProfile.from_dict(name, stored["prediction_baseline"])
    except (KeyError, TypeError, ValueError):
        return None, None
    return Profile(column.count, {name: column}), f"baseline window {stored.get('time')}"


def _calibrated_prediction(
    current: Any, baseline: Any, name: str, alert: dict[str, Any], policy: AlertPolicy, against: str
) -> dict[str, Any]:
    from mlops.monitor.calibration import Materiality, column_checks

    entry = column_checks(current.columns[name], baseline.columns[name], Materiality.from_rules(alert))
    entry.pop("nulls", None)
    judge({name: entry}, policy.alpha, "none")  # one test: nothing to correct across
    entry.update({"column": name, "against": against})
    return entry


def _metrics(
    frame: Any, options: MonitorOptions, window: datetime, delay: str | None, timestamp: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    from mlops.monitor import metrics as m

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
