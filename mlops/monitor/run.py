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


def monitor(options: MonitorOptions, root: str | os.PathLike[str]) -> MonitorResult:
    rules = _rules(options.rules)
    drift_cfg = dict(rules.get("drift") or {})
    label_cfg = dict(rules.get("labels") or {})
    policy = AlertPolicy.from_rules(
        rules.get("alert"),
        consecutive=options.consecutive,
        min_drifted_columns=options.min_drifted_columns,
        correction=options.correction,
        alpha=options.alpha,
        severity=options.severity,
        max_metric_drop=options.max_metric_drop,
        min_rows=options.min_rows,
    )
    against = options.against or drift_cfg.get("reference")
    if not against:
        raise UsageError("nothing to compare with: pass --against REF (e.g. churn-model#production)")
    if bool(options.labels) != bool(options.predictions):
        raise UsageError("--labels and --predictions go together: metrics need both columns")
    delay = options.label_delay or label_cfg.get("delay")
    timestamp = options.timestamp or label_cfg.get("timestamp")
    window = options.window_time or datetime.now(timezone.utc)

    from mlops.config.project import load_project

    # the policy file mlops.yaml names (`promotion:`), as lint, gate and sync read it
    reference = select_reference(
        str(against), root, artifact=options.artifact, promotion_file=load_project(root).promotion
    )
    history_path = _history_path(options.history, root)
    history = read_history(history_path, shown=_shown(history_path, root))
    previous = same_stream(history, artifact=reference.artifact, version=reference.version, ref=reference.ref)
    source, schema = _open(options.data, options.input_format or rules.get("format"), options.engine, root)
    _require_columns(schema, options)
    roles = _roles(options, timestamp)
    p_value = bool(options.p_value if options.p_value is not None else drift_cfg.get("p_value", False))
    fixed = _fixed_mode(options, drift_cfg, p_value)
    features, rows, excluded, profile = _drift(
        source, schema, reference, options, rules, roles, p_value, fixed
    )
    by_kind = judge(features, policy.alpha, policy.correction)
    drifted = judge_drift(features, policy)
    # only the columns that metrics, slices and prediction drift need are held in memory at once
    wanted = [c for c in (options.labels, options.predictions, options.scores, *options.slices) if c]
    if timestamp and options.labels and timestamp in schema:
        wanted.append(timestamp)
    frame = _frame(source, list(dict.fromkeys(wanted)))

    candidates = checks.drift_candidates(features, drifted, policy)
    candidates += checks.completeness_candidates(features, by_kind["nulls"], policy)
    prediction_drift, prediction_baseline = _prediction_drift(
        frame,
        reference,
        options,
        drift_cfg,
        p_value,
        previous,
        None if fixed else policy,
        dict(rules.get("alert") or {}),
    )
    candidates += checks.prediction_candidates(prediction_drift, policy)
    quality = _quality(options.rules, source, options.engine, root) if options.rules else None
    candidates += checks.quality_candidates((quality or {}).get("failures", []))

    metrics: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None
    gap: dict[str, Any] | None = None
    offline = checks.offline_metrics(reference.offline)
    if options.labels and options.predictions:
        metrics, coverage = _metrics(frame, options, window, delay, timestamp)
        if metrics is not None:
            gap = checks.offline_gap(metrics, offline)
            candidates += checks.metric_candidates(metrics, offline, policy, previous)
    fired = decide(candidates, previous, policy)

    run_id = new_run_id(window)
    record: dict[str, Any] = {
        "type": "run",
        "schema": SCHEMA,
        "id": run_id,
        "time": format_time(window),
        "artifact": reference.artifact,
        "version": reference.version,
        "ref": reference.ref,
        "commit": reference.commit,
        "data": _shown(Path(options.data), root),
        "rows": rows,
        "features": features,
        "metrics": metrics,
        "label_coverage": coverage["coverage"] if coverage else None,
        "alerts": [
            {"id": f"{run_id}/{c.rule}", "rule": c.rule, "severity": c.severity, "message": c.message}
            for c in fired
        ],
        "candidates": [c.to_dict() for c in candidates],
        "drift": {
            "drifted": drifted,
            "tested": len(features),
            "min_drifted_columns": policy.min_drifted_columns,
            "correction": policy.correction,
            "p_value": p_value,
            "mode": "fixed" if fixed else "calibrated",
            "alpha": policy.alpha,
            "nulls": by_kind["nulls"],
            "mix": by_kind["mix"],
            "excluded": excluded,
            "materiality": Materiality.from_rules(rules.get("alert")).to_dict(),
        },
        "prediction_drift": prediction_drift,
        "prediction_baseline": prediction_baseline,
        "quality": quality,
        "labels": coverage,
        "offline_gap": gap,
        "offline_source": reference.offline_source,
        "reference": reference.to_dict(),
        "policy": policy.to_dict(),
    }
    slos = _slo_breaches(record, fired, history_path, root, window)
    if options.record:
        append_record(history_path, record)
    return MonitorResult(
        record,
        reference,
        policy,
        candidates,
        fired,
        _shown(history_path, root) if options.record else None,
        previous,
        history.problems,
        profile,
        slos,
    )


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


def _open(path: str, fmt: str | None, engine: str | None, root: Any) -> tuple[Any, list[str]]:
    """The batch: a local DataSource, or on Spark a path or table that Spark reads and profiles itself."""
    from mlops.data.engines import get_engine
    from mlops.data.source import DataSource

    runner = get_engine(engine, root)
    source = runner.source(path) if runner.name == "spark" else DataSource.from_path(path, fmt)  # type: ignore[attr-defined]
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
    p_value: bool,
    fixed: bool,
) -> tuple[dict[str, dict[str, Any]], int, dict[str, str], Any]:
    from mlops.data.profile import build_profile
    from mlops.monitor.features import declared_exclusions, exclude_inferred

    cfg = dict(rules.get("drift") or {})
    configured = options.columns or cfg.get("columns")
    excluded: dict[str, str] = {}
    if isinstance(configured, list):
        missing = [c for c in configured if c not in schema]
        if missing:
            raise InputError(f"drift column(s) not in the data: {', '.join(missing)}")
        columns = list(configured)
    else:
        declared = declared_exclusions(rules, roles)
        excluded = {c: why for c, why in declared.items() if c in schema}
        columns = [c for c in schema if c not in declared]
    columns = [c for c in columns if c in reference.profile.columns]
    if not columns and not excluded:
        raise InputError(
            f"{source.name}: no column of the batch is in the reference {reference.path} "
            f"(batch: {', '.join(schema[:8]) or 'none'}; reference: "
            f"{', '.join(list(reference.profile.columns)[:8])})"
        )
    wanted = columns or schema[:1]
    current = (  # a Spark batch profiles itself on the executors (mlops.data.spark.sources.SparkSource)
        source.profile(wanted)
        if hasattr(source, "profile")
        else build_profile(source, columns=wanted, chunk_rows=PROFILE_CHUNK_ROWS)
    )
    rows = int(current.rows)
    if rows == 0:
        raise InputError(f"{source.name}: the batch has no rows")
    if not isinstance(configured, list):
        inferred = exclude_inferred(columns, reference.profile, current)
        excluded.update(inferred)
        columns = [c for c in columns if c not in inferred]
    alert = dict(rules.get("alert") or {})
    features = _column_results(current, reference.profile, columns, options, cfg, alert, p_value, fixed)
    return features, rows, excluded, current  # the batch profile: the HTML report draws its distributions


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
    options = MonitorOptions(data="")
    cfg = dict(rules.get("drift") or {})
    features = _column_results(
        current,
        reference,
        columns,
        options,
        cfg,
        dict(rules.get("alert") or {}),
        bool(cfg.get("p_value")),
        _fixed_mode(options, cfg, bool(cfg.get("p_value"))),
    )
    by_kind = judge(features, policy.alpha, policy.correction)
    drifted = judge_drift(features, policy)
    candidates = checks.drift_candidates(features, drifted, policy)
    candidates += checks.completeness_candidates(features, by_kind["nulls"], policy)
    return features, excluded, candidates


def _column_results(
    current: Any,
    reference: Any,
    columns: list[str],
    options: MonitorOptions,
    cfg: dict[str, Any],
    alert: dict[str, Any],
    p_value: bool,
    fixed: bool,
) -> dict[str, dict[str, Any]]:
    """Per column: calibrated checks, or the fixed method/threshold (everywhere, or per column)."""
    from mlops.data.drift import drift_scores
    from mlops.monitor.calibration import Materiality, column_checks, null_check

    per_column = cfg.get("per_column") or {}
    features: dict[str, dict[str, Any]] = {}
    for name in columns:
        override = per_column.get(name) or {}
        materiality = Materiality.from_rules(alert, name)
        if fixed or "method" in override or "threshold" in override:
            result = drift_scores(
                current,
                reference,
                [name],
                method=options.method or cfg.get("method"),
                per_column=per_column,
                threshold=options.threshold if options.threshold is not None else cfg.get("threshold"),
                p_value=p_value,
            )[name]
            entry = result.to_dict()
            entry.pop("column", None)
            entry["judged_by"] = "p_value" if p_value and result.p_value is not None else "statistic"
            entry["nulls"] = null_check(current.columns[name], reference.columns[name], materiality.nulls)
        else:
            entry = column_checks(current.columns[name], reference.columns[name], materiality)
        features[name] = entry
    return features


def _prediction_drift(
    frame: Any,
    reference: Reference,
    options: MonitorOptions,
    cfg: dict[str, Any],
    p_value: bool,
    previous: list[dict[str, Any]],
    calibrated: AlertPolicy | None = None,
    alert: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, Any]:
    """Predictions against the reference's predictions column when it has one; else against the stream's
    baseline window (the first run of this version, which stores its predictions' profile).

    Never against the training labels: a model that is right but conservative predicts fewer positives than
    the base rate, and that difference would alert on every batch. Returns (result, profile to store)."""
    if not options.predictions:
        return None, None
    import pandas as pd

    from mlops.data.drift import drift_scores
    from mlops.data.profile import ColumnProfile, Profile, build_profile

    name = options.predictions
    current = build_profile(pd.DataFrame({name: frame[name]}))
    if name in reference.profile.columns:
        baseline, against = reference.profile, f"reference {reference.path}"
    else:
        stored = next((r for r in previous if isinstance(r.get("prediction_baseline"), dict)), None)
        if stored is None:
            return {
                "column": name,
                "against": None,
                "baseline": "this window (the first of this version)",
            }, current.columns[name].to_dict()
        try:
            column = ColumnProfile.from_dict(name, stored["prediction_baseline"])
        except (KeyError, TypeError, ValueError):
            return None, None
        baseline, against = Profile(column.count, {name: column}), f"baseline window {stored.get('time')}"
    if calibrated is not None:
        return _calibrated_prediction(current, baseline, name, alert or {}, calibrated, against), None
    result = drift_scores(
        current,
        baseline,
        [name],
        method=options.method or cfg.get("method"),
        threshold=options.threshold if options.threshold is not None else cfg.get("threshold"),
        p_value=p_value,
    ).get(name)
    if result is None:
        return None, None
    entry = result.to_dict()
    entry["against"] = against
    entry["judged_by"] = "p_value" if p_value and result.p_value is not None else "statistic"
    return entry, None


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
