"""The validation engine: one chunked pass over the data, every rule's partial result merged, then judged.

It reads only the columns the rules need, builds the current profile of the drift columns in the same pass,
and reports progress through a callback (the CLI draws a bar on terminals; the core never prints).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlops.data.checks import Checker, Chunk, RuleResult, Status, checker_for
from mlops.data.drift import DriftResult, drift_scores
from mlops.data.profile import Profile, ProfileBuilder
from mlops.data.rules import DriftSpec, Rule, Rules
from mlops.data.source import DEFAULT_CHUNK_ROWS, DataSource, prefetch
from mlops.suggest import did_you_mean

Progress = Callable[[int, "int | None"], None]


@dataclass
class ValidationReport:
    data: str
    rules: str
    rows: int
    columns: list[str]
    results: list[RuleResult] = field(default_factory=list)
    drift: dict[str, Any] | None = None
    drift_results: dict[str, DriftResult] = field(default_factory=dict)
    profile: Profile | None = None  # of the current data (drift columns, or all with profile_all)
    reference: Profile | None = None

    @property
    def passed(self) -> bool:
        return not any(r.status == "failed" and r.severity == "error" for r in self.results)

    def summary(self) -> dict[str, int]:
        failed = [r for r in self.results if r.status == "failed"]
        return {
            "rules": len(self.results),
            "passed": sum(r.status == "passed" for r in self.results),
            "failed": len(failed),
            "skipped": sum(r.status == "skipped" for r in self.results),
            "errors": sum(r.severity == "error" for r in failed),
            "warnings": sum(r.severity == "warn" for r in failed),
            "infos": sum(r.severity == "info" for r in failed),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": self.summary(),
            "data": self.data,
            "rules": self.rules,
            "rows": self.rows,
            "columns": self.columns,
            "results": [r.to_dict() for r in self.results],
            "drift": self.drift,
        }


def _missing(name: str, names: list[str]) -> str:
    return f"column `{name}` is not in the data" + did_you_mean(name, names)


def _static(rule: Rule, names: set[str], listing: list[str]) -> RuleResult | None:
    """Rules decided by the schema alone: presence, and rules on absent columns."""
    base = RuleResult.of(rule, expected=rule.value, desc=rule.desc)
    if rule.check == "required":
        return _presence(rule, base, names, listing)
    if rule.column and rule.column not in names:
        base.status, base.message = "skipped", f"column `{rule.column}` is absent"
        return base
    lacking = sorted(c for c in rule.columns() if c not in names)
    if lacking:
        base.status = "failed"
        base.message = "; ".join(_missing(c, listing) for c in lacking)
        return base
    return None


def _presence(rule: Rule, base: RuleResult, names: set[str], listing: list[str]) -> RuleResult:
    if rule.column in names:
        base.message = "present"
    elif rule.value:
        base.status, base.message = "failed", _missing(rule.column or "", listing)
    else:
        base.status, base.message = "skipped", f"optional column `{rule.column}` is absent"
    return base


@dataclass
class Plan:
    """What one pass over the data needs: the checkers, the columns to read, the profile to build."""

    report: ValidationReport
    static: dict[str, RuleResult]
    active: list[Checker]
    drift_cols: list[str]
    read: list[str] | None  # None: every column
    dtypes: dict[str, str]
    builder: ProfileBuilder | None
    total: int | None


def plan(source: DataSource, rules: Rules, reference: Profile | None, profile_all: bool) -> Plan:
    """Decide the rules the schema settles, the checkers the others need, and the columns to read."""
    listing = source.schema()
    names = set(listing)
    static: dict[str, RuleResult] = {}
    active: list[Checker] = []
    for rule in rules.rules:
        decided = _static(rule, names, listing)
        if decided is not None:
            static[rule.id] = decided
        else:
            active.append(checker_for(rule))
    drift_cols = _drift_columns(rules, reference, names)
    read = None if rules.needs_all_columns() or profile_all else _read_columns(active, listing, drift_cols)
    dtypes = {c: "str" for c, t in rules.column_types.items() if t in ("string", "category")}
    builder = ProfileBuilder(None if profile_all else drift_cols) if (drift_cols or profile_all) else None
    report = ValidationReport(source.name, rules.path, 0, listing)
    return Plan(report, static, active, drift_cols, read, dtypes, builder, source.total_rows())


def _read_columns(active: list[Checker], listing: list[str], drift_cols: list[str]) -> list[str]:
    needed = set(drift_cols).union(*(c.rule.columns() for c in active))
    return [c for c in listing if c in needed]


def _drift_columns(rules: Rules, reference: Profile | None, names: set[str]) -> list[str]:
    if reference is None or rules.drift is None:
        return []
    wanted = rules.drift.columns if rules.drift.columns is not None else _undeclared_ids(rules, reference)
    return [c for c in wanted if c in names and c in reference.columns]


def _undeclared_ids(rules: Rules, reference: Profile) -> list[str]:
    """By default every shared column except identifiers (columns with a `unique` rule), which always drift."""
    ids = {r.column for r in rules.rules if r.check == "unique"}
    return [c for c in reference.columns if c not in ids]


def threads() -> int:
    return int(os.environ.get("MLOPS_THREADS", min(4, os.cpu_count() or 1)))


def run_checkers(pool: Any, checkers: list[Checker], chunk: Chunk) -> None:
    """Fold one chunk into every checker; in threads for big chunks (numpy/Arrow kernels release the GIL)."""
    if pool is not None and chunk.rows >= 50_000 and len(checkers) > 1:
        for col in {c.rule.column for c in checkers if c.rule.column}:
            chunk.view(col)  # shared views first, so threads do not build them twice
        list(pool.map(_update, checkers, [chunk] * len(checkers)))
    else:
        for checker in checkers:
            checker.update(chunk)


def pandas_frames(source: DataSource, step: Plan, chunk_rows: int) -> Iterator[Any]:
    """The chunks as pandas frames with every column the plan reads (JSON-lines records may lack some)."""
    listing = step.report.columns
    for frame in prefetch(source.chunks(columns=step.read, chunk_rows=chunk_rows, dtypes=step.dtypes)):
        frame.columns = [str(c) for c in frame.columns]
        absent = [c for c in (step.read if step.read is not None else listing) if c not in frame.columns]
        if absent:  # JSON-lines chunks only have the keys their records have
            frame = frame.assign(**{c: None for c in absent})
        yield frame


def validate(
    source: DataSource,
    rules: Rules,
    reference: Profile | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    profile_all: bool = False,
) -> ValidationReport:
    """Run every rule over the data; `reference` enables the drift rules."""
    from concurrent.futures import ThreadPoolExecutor

    step = plan(source, rules, reference, profile_all)
    offset = 0
    workers = threads()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for frame in pandas_frames(source, step, chunk_rows):
            run_checkers(pool if workers > 1 else None, step.active, Chunk(frame, offset, rules.column_types))
            if step.builder is not None:
                step.builder.add(frame)
            offset += len(frame)
            if progress is not None:
                progress(offset, step.total)
    return finish(step, rules, reference, offset)


def finish(step: Plan, rules: Rules, reference: Profile | None, rows: int) -> ValidationReport:
    """Judge every checker's merged result, in the rules file's order, then the extra columns and drift."""
    report = step.report
    report.rows = rows
    results = {c.rule.id: c.result(rows) for c in step.active}
    results.update(step.static)
    report.results = [results[r.id] for r in rules.rules]
    report.results.extend(_extra_columns(rules, report.columns))
    if step.builder is not None:
        report.profile = step.builder.result()
    if reference is not None and rules.drift is not None and report.profile is not None:
        report.reference = reference
        _judge_drift(report, rules, reference, step.drift_cols)
    return report


def _update(checker: Any, chunk: Chunk) -> None:
    checker.update(chunk)


def _extra_columns(rules: Rules, listing: list[str]) -> list[RuleResult]:
    if rules.extra_columns == "allow":
        return []
    declared = set(rules.declared) | {r.column for r in rules.rules if r.scope == "table" and r.column}
    extra = [c for c in listing if c not in declared]
    res = RuleResult(
        "table.extra_columns",
        "table",
        "extra_columns",
        None,
        rules.extra_severity,
        "failed" if extra else "passed",
        expected=rules.extra_columns,
        observed=extra,
        failing=len(extra),
        checked=len(listing),
    )
    res.message = ("columns without rules: " + ", ".join(f"`{c}`" for c in extra)) if extra else "none"
    return [res]


def _judge_drift(report: ValidationReport, rules: Rules, reference: Profile, columns: list[str]) -> None:
    spec = rules.drift
    assert spec is not None and report.profile is not None
    scores = drift_scores(
        report.profile, reference, columns, spec.method, spec.per_column, spec.threshold, spec.p_value
    )
    report.drift_results = scores
    # with a dataset-level drift_share rule, one drifting column is information, not a failure
    col_sev = "info" if spec.drift_share is not None else spec.severity
    for name, res in scores.items():
        report.results.append(_column_drift(name, res, spec.p_value, col_sev))
        report.results.extend(_rate_limits(name, res, spec))
    drifted = [n for n, r in scores.items() if r.drifted]
    share = len(drifted) / len(scores) if scores else 0.0
    if spec.drift_share is not None:
        report.results.append(
            _drift_limit(
                "drift.share",
                "drift_share",
                None,
                spec.severity,
                share > spec.drift_share,
                f"{len(drifted)} of {len(scores)} columns drifted ({share:.0%}; at most {spec.drift_share:.0%})",
                spec.drift_share,
                share,
            )
        )
    report.drift = {
        "reference": spec.reference,
        "columns": {n: r.to_dict() for n, r in scores.items()},
        "drifted": drifted,
        "share": round(share, 6),
    }


def _column_drift(name: str, res: DriftResult, p_value: bool, severity: str) -> RuleResult:
    """One column's drift statistic against its threshold (or its p-value against the level)."""
    stat = f"{res.method} {res.statistic:.4g}" + (f", p={res.p_value:.3g}" if res.p_value is not None else "")
    if res.statistic != res.statistic:  # NaN: one side has no values
        stat = f"{res.method}: no non-null values in the {'current data' if res.drifted else 'data'}"
    if p_value and res.p_value is not None:
        limit = f"p-value {'below' if res.drifted else 'not below'} {res.threshold:g}"
    else:
        limit = f"{'above' if res.drifted else 'within'} the threshold {res.threshold:g}"
    return RuleResult(
        f"drift.{name}",
        "drift",
        res.method,
        name,
        severity,
        "failed" if res.drifted else "passed",
        message=f"{stat}: {'drifted, ' if res.drifted else ''}{limit}",
        expected=res.threshold,
        observed=res.to_dict()["statistic"],
    )


def _rate_limits(name: str, res: DriftResult, spec: DriftSpec) -> list[RuleResult]:
    """The column's null-share change and share of new categories, for the limits the rules set."""
    out = []
    if spec.max_null_rate_change is not None:
        limit = spec.max_null_rate_change
        out.append(
            _drift_limit(
                f"drift.{name}.null_rate",
                "null_rate_change",
                name,
                spec.severity,
                abs(res.null_rate_change) > limit,
                f"null share changed by {res.null_rate_change:+.2%} (at most {limit:.2%})",
                limit,
                res.null_rate_change,
            )
        )
    if spec.max_new_category_rate is not None and res.new_category_rate is not None:
        limit, rate = spec.max_new_category_rate, res.new_category_rate
        out.append(
            _drift_limit(
                f"drift.{name}.new_categories",
                "new_category_rate",
                name,
                spec.severity,
                rate > limit,
                f"{rate:.2%} of rows in categories the reference never had (at most {limit:.2%})",
                limit,
                rate,
            )
        )
    return out


def _drift_limit(
    rule: str,
    check: str,
    column: str | None,
    severity: str,
    failed: bool,
    message: str,
    limit: float,
    observed: float,
) -> RuleResult:
    status: Status = "failed" if failed else "passed"
    return RuleResult(
        rule,
        "drift",
        check,
        column,
        severity,
        status,
        message=message,
        expected=limit,
        observed=round(observed, 6),
    )
