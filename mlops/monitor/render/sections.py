"""A report as sections (title, lines, one table), so text, markdown and HTML say exactly the same things."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops.monitor.checks import describe_drift
from mlops.monitor.metrics import METRICS


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    marks: list[str] = field(default_factory=list)  # per row: "" | "bad" | "warn" (HTML highlights)


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    table: Table | None = None


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 10**-digits or abs(value) >= 1e6):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}"
    return str(value)


def share(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def run_sections(
    record: dict[str, Any], *, history: str | None, problems: list[str], max_features: int | None = None
) -> list[Section]:
    """`max_features` limits the drift table to the drifted columns plus the highest statistics (text and
    markdown); None shows every column."""
    out = [_summary(record, history, problems), _alerts(record)]
    out.append(_drift(record, max_features))
    pd = record.get("prediction_drift")
    if pd:
        out.append(Section("Prediction drift", [_prediction_line(pd)]))
    quality = record.get("quality")
    if quality:
        out.append(_quality(quality))
    if record.get("labels") is not None or record.get("metrics") is not None:
        out.extend(_metrics(record))
    return out


def _prediction_line(pd: dict[str, Any]) -> str:
    if not pd.get("against"):
        return (
            f"`{pd.get('column')}`: no reference predictions, so this window is the baseline of this version."
        )
    return (
        f"`{pd.get('column')}` against the {pd.get('against')}: {describe_drift(pd)}"
        f" -> {'drifted' if pd.get('drifted') else 'no drift'}"
    )


def _summary(record: dict[str, Any], history: str | None, problems: list[str]) -> Section:
    ref = record.get("reference") or {}
    who = record.get("ref")
    if record.get("version"):
        who = f"{who} ({record.get('artifact')}@{record.get('version')})"
    lines = [
        f"Batch {record.get('data')} ({fmt(record.get('rows'))} rows) against {who}, "
        f"commit {str(record.get('commit'))[:10]}",
        f"Reference: {ref.get('path')} ({ref.get('kind')}, {fmt(ref.get('rows'))} rows)",
        f"Window: {record.get('time')}   run id: {record.get('id')}",
    ]
    policy = record.get("policy") or {}
    lines.append("Policy: " + ", ".join(f"{k} {v}" for k, v in policy.items()))
    lines.append(f"History: appended to {history}" if history else "History: not recorded (--dry-run)")
    lines.extend(problems)
    return Section("Summary", lines)


def fired_and_waiting(record: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alerts that fired, and the candidates over threshold that the policy keeps waiting."""
    fired = record.get("alerts") or []
    fired_rules = {a.get("rule") for a in fired}
    return fired, [c for c in record.get("candidates") or [] if c.get("rule") not in fired_rules]


def _alerts(record: dict[str, Any]) -> Section:
    fired, waiting = fired_and_waiting(record)
    consecutive = (record.get("policy") or {}).get("consecutive", 1)
    if not fired and not waiting:
        return Section("Alerts", ["No alert: nothing over its threshold."])
    lines = [f"{len(fired)} alert(s) fired." if fired else "No alert fired."]
    rows = [_alert_row(a, "fired", a.get("id", "")) for a in fired]
    rows += [_alert_row(c, f"waiting {c.get('streak', 1)}/{consecutive}", "") for c in waiting]
    marks = ["bad" if a.get("severity") == "error" else "warn" for a in fired] + [""] * len(waiting)
    return Section("Alerts", lines, Table(["severity", "status", "rule", "why", "alert id"], rows, marks))


def _alert_row(alert: dict[str, Any], status: str, alert_id: str) -> list[str]:
    return [alert.get("severity", ""), status, alert.get("rule", ""), alert.get("message", ""), alert_id]


def _drift(record: dict[str, Any], max_features: int | None = None) -> Section:
    features = record.get("features") or {}
    info = record.get("drift") or {}
    drifted = info.get("drifted") or []
    lines = _drift_summary(info, len(drifted), len(features))
    lines += _small_batch(record, features)
    ordered = sorted(features.items(), key=lambda kv: (not kv[1].get("drifted"), kv[0]))
    if max_features is not None and len(ordered) > max(max_features, len(drifted)):
        rest = sorted(ordered[len(drifted) :], key=lambda kv: -float(kv[1].get("statistic") or 0))
        keep = max(max_features - len(drifted), 0)
        lines.append(
            f"Showing the {len(drifted) + keep} columns that drifted or came closest; "
            f"{len(ordered) - len(drifted) - keep} more did not drift (all in --format json or html)."
        )
        ordered = ordered[: len(drifted)] + rest[:keep]
    return Section("Feature drift", lines, _drift_table(ordered))


def _drift_summary(info: dict[str, Any], drifted: int, features: int) -> list[str]:
    """How many columns drifted, under which test, and which were left out or changed otherwise."""
    corrected = info.get("p_value") and info.get("correction") not in (None, "none")
    lines = [
        f"{drifted} of {features} columns drifted"
        + (f" (p-values corrected: {info.get('correction')})" if corrected else "")
        + "."
    ]
    if info.get("mode") == "calibrated":
        lines.append(_calibrated(info))
    lines += [
        f"{label}: {', '.join(info[kind])}."
        for kind, label in (("mix", "Category mix changed"), ("nulls", "Null share changed"))
        if info.get(kind)
    ]
    return lines + _left_out(info, drifted)


def _left_out(info: dict[str, Any], drifted: int) -> list[str]:
    """The columns that are not features, and drift too narrow to alert."""
    lines = []
    excluded = info.get("excluded") or {}
    if excluded:
        lines.append(
            "Not features, left out: " + "; ".join(f"{c} ({why})" for c, why in excluded.items()) + "."
        )
    if 0 < drifted < int(info.get("min_drifted_columns") or 1):
        lines.append(f"Below min_drifted_columns ({info.get('min_drifted_columns')}): no drift alert.")
    return lines


def _calibrated(info: dict[str, Any]) -> str:
    m = info.get("materiality") or {}
    return (
        f"Calibrated: a column drifts when its change is credible for these batch and reference sizes "
        f"({info.get('correction')}-corrected p < {fmt(info.get('alpha'))} over all checks) and "
        f"material (KS >= {fmt(m.get('min_shift'))}, a category's share +/- "
        f"{share(m.get('min_share_change'))}, nulls +/- {share(m.get('min_null_rate_change'))})."
    )


def _small_batch(record: dict[str, Any], features: dict[str, Any]) -> list[str]:
    """A warning when the batch is so small that PSI shows drift where there is none."""
    rows, ref_rows = record.get("rows") or 0, (record.get("reference") or {}).get("rows") or 0
    if not (rows and ref_rows and any(f.get("method") == "psi" for f in features.values())):
        return []
    floor = 9 * (1 / rows + 1 / ref_rows)  # E[PSI] with 10 bins when nothing changed
    if floor < 0.02:
        return []
    return [
        f"Small batch: with {fmt(rows)} rows, PSI averages about {floor:.2f} even without drift; "
        "prefer `consecutive` and `min_drifted_columns` over a lower threshold."
    ]


_DRIFT_COLUMNS = [
    "column",
    "kind",
    "method",
    "statistic",
    "p-value",
    "adjusted p",
    "threshold",
    "drift",
    "null change",
]


def _drift_table(ordered: list[tuple[str, dict[str, Any]]]) -> Table | None:
    if not ordered:
        return None
    rows, marks = [], []
    for name, f in ordered:
        rows.append(
            [
                name,
                f.get("kind", ""),
                f.get("method", ""),
                fmt(f.get("statistic")),
                fmt(f.get("p_value")),
                fmt(f.get("p_adjusted")),
                fmt(f.get("threshold")),
                "DRIFT" if f.get("drifted") else "ok",
                fmt(f.get("null_rate_change")),
            ]
        )
        marks.append("bad" if f.get("drifted") else "")
    return Table(_DRIFT_COLUMNS, rows, marks)


def _quality(quality: dict[str, Any]) -> Section:
    failures = quality.get("failures") or []
    lines = [
        "All data-quality rules passed." if not failures else f"{len(failures)} data-quality rule(s) failed."
    ]
    rows = [[f.get("rule", ""), f.get("severity", ""), f.get("message", "")] for f in failures]
    return Section("Data quality", lines, Table(["rule", "severity", "message"], rows) if rows else None)


def _metrics(record: dict[str, Any]) -> list[Section]:
    lines = _label_lines(record.get("labels") or {})
    metrics = record.get("metrics")
    if not metrics:
        lines.append("No live metrics: no row has a mature label yet.")
        return [Section("Live metrics", lines)]
    task = metrics.get("task", "classification")
    names = list(METRICS.get(task, ()))
    overall = metrics.get("overall") or {}
    source = record.get("offline_source")
    lines.append(
        f"{task}, {fmt(overall.get('rows'))} rows scored; offline metrics from {source or 'nowhere (none recorded)'}."
    )
    sections = [Section("Live metrics", lines, _metrics_table(record, overall, names))]
    slices = metrics.get("slices") or {}
    if slices:
        sections.append(_slice_section(record, slices, names))
    return sections


def _metrics_table(record: dict[str, Any], overall: dict[str, Any], names: list[str]) -> Table:
    """Each metric live, offline, and the gap."""
    gaps = (record.get("offline_gap") or {}).get("overall") or {}
    rows = []
    for name in names:
        gap = gaps.get(name) or {}
        rows.append([name, fmt(overall.get(name)), fmt(gap.get("offline")), _signed(gap.get("gap"))])
    return Table(["metric", "live", "offline", "gap"], rows)


def _label_lines(labels: dict[str, Any]) -> list[str]:
    """How many rows have a label that counts, and why the others do not."""
    if not labels:
        return []
    text = (
        f"{fmt(labels.get('counted'))} of {fmt(labels.get('rows'))} rows have a label that counts "
        f"(coverage {share(labels.get('coverage'))})"
    )
    if labels.get("delay"):
        text += (
            f"; label delay {labels.get('delay')}: rows after {labels.get('cutoff')} are not mature yet "
            f"({fmt(labels.get('rows', 0) - labels.get('mature', 0))} rows)"
        )
    lines = [text + "."]
    if labels.get("unparsed_timestamps"):
        lines.append(
            f"{fmt(labels['unparsed_timestamps'])} rows have an unreadable timestamp and do not count."
        )
    return lines


def _slice_section(record: dict[str, Any], slices: dict[str, Any], names: list[str]) -> Section:
    flagged = {
        c.get("details", {}).get("slice") for c in record.get("candidates") or [] if c.get("kind") == "metric"
    }
    srows, marks = [], []
    for key, values in slices.items():
        srows.append([key, fmt(values.get("rows"))] + [fmt(values.get(n)) for n in names])
        marks.append("bad" if key in flagged else "")
    slice_lines = []
    if flagged - {None}:
        slice_lines.append("Degraded: " + ", ".join(sorted(k for k in flagged if k)) + ".")
    return Section("Metrics per slice", slice_lines, Table(["slice", "rows", *names], srows, marks))


def _signed(value: Any) -> str:
    if value is None:
        return "-"
    return f"{float(value):+.3f}"


def alerts_sections(report: dict[str, Any]) -> list[Section]:
    lines = [
        f"History {report['history']}: {fmt(report['runs'])} runs, {fmt(report['alerts'])} alerts fired, "
        f"{fmt(report['acknowledged'])} acknowledged."
    ]
    rules = report.get("rules") or []
    lines += _noisy_lines(report.get("noisy") or [], rules)
    lines.extend(report.get("problems") or [])
    out = [Section("Alert report", lines, _rules_table(rules))]
    open_ids = [(r["rule"], i) for r in rules for i in r.get("open_alerts") or []]
    if open_ids:
        out.append(_open_alerts(open_ids))
    return out


def _noisy_lines(noisy: list[str], rules: list[dict[str, Any]]) -> list[str]:
    if not noisy:
        return []
    return [
        f"Noisy rules ({len(noisy)}): {', '.join(noisy)}. `mlops alerts tune` proposes a change "
        "to the alert policy (a higher materiality threshold, or `consecutive: N`).",
        *(f"Suggestion for {r['rule']}: {r['suggestion']}." for r in rules if r.get("suggestion")),
    ]


_RULE_COLUMNS = [
    "rule",
    "severity",
    "fired",
    "windows",
    "acted",
    "ignored",
    "open",
    "ignored share",
    "precision",
    "fire rate",
    "noisy",
]


def _rules_table(rules: list[dict[str, Any]]) -> Table | None:
    """One row per alert rule: how often it fired, what people did about it, whether it is noisy."""
    if not rules:
        return None
    rows, marks = [], []
    for r in rules:
        windows = r.get("windows") or []
        span = f"{windows[0]} .. {windows[-1]}" if len(windows) > 1 else (windows[0] if windows else "-")
        rows.append(
            [
                r["rule"],
                r["severity"],
                fmt(r["fired"]),
                span,
                fmt(r["acted"]),
                fmt(r["ignored"]),
                fmt(r["unacknowledged"]),
                share(r["ignored_share"]),
                share(r["precision"]) if r.get("precision") is not None else "-",
                share(r["fire_rate"]),
                "; ".join(r.get("reasons") or []) or "-",
            ]
        )
        marks.append("warn" if r.get("noisy") else "")
    return Table(_RULE_COLUMNS, rows, marks)


def _open_alerts(open_ids: list[tuple[str, str]]) -> Section:
    shown = open_ids[-20:]
    return Section(
        "Open alerts",
        [
            f"{len(open_ids)} alert(s) not acknowledged"
            + (" (the latest 20)" if len(open_ids) > 20 else "")
            + ": `mlops alerts ack ID --ignored|--acted`"
        ],
        Table(["alert id", "rule"], [[i, rule] for rule, i in shown]),
    )
