"""A monitoring run and the alert history as self-contained HTML pages, through mlops.render (one stylesheet,
one set of charts): a verdict banner, the sections every format shares, reference-against-live distributions of
every drifted or failing feature, and trends over the windows."""

from __future__ import annotations

from typing import Any

from mlops.monitor.checks import WATCHED
from mlops.monitor.render.sections import Section, fired_and_waiting
from mlops.render import html
from mlops.render.svg import line_chart

MAX_WINDOWS = 200
MAX_LINES = 10
MAX_DISTRIBUTIONS = 24


def render(
    sections: list[Section],
    title: str,
    charts: list[str] | None = None,
    *,
    banner: str = "",
    figures: list[tuple[str, str]] | None = None,
) -> str:
    body = [f"<h1>{html.esc(title)}</h1>", banner] if banner else [f"<h1>{html.esc(title)}</h1>"]
    for section in sections:
        body.append(f"<h2>{html.esc(section.title)}</h2>")
        body.extend(f"<p>{html.esc(line)}</p>" for line in section.lines)
        if section.table is not None:
            body.append(html.table(section.table.headers, section.table.rows, section.table.marks))
        if figures and section.title == "Feature drift":
            body += [
                "<h2>Reference against live: drifted and failing features</h2>",
                "<p>Share of rows per bin (numbers) or per value (categories), the version's reference in "
                "grey, this batch in blue.</p>",
                html.charts(figures),
            ]
    if charts:
        body += ["<h2>Trends</h2>", html.charts([(c, "") for c in charts])]
    return html.page(title, body)


def run_banner(record: dict[str, Any]) -> str:
    """ALERT when an alert fired, WATCH when a rule is over its threshold but the policy waits, else OK."""
    fired, waiting = fired_and_waiting(record)
    detail = _banner_detail(record)
    if fired:
        errors = sum(1 for a in fired if a.get("severity") == "error")
        rules = ", ".join(str(a.get("rule")) for a in fired[:4]) + (" ..." if len(fired) > 4 else "")
        return html.banner(
            "bad" if errors else "warn",
            "ALERT",
            f"{len(fired)} alert(s) fired ({errors} error): {rules}. {detail}.",
        )
    if waiting:
        return html.banner(
            "warn",
            "WATCH",
            f"{len(waiting)} rule(s) over threshold, not yet alerting "
            f"(the policy waits for consecutive windows). {detail}.",
        )
    return html.banner("ok", "OK", f"No alert. {detail}.")


def _banner_detail(record: dict[str, Any]) -> str:
    drifted = (record.get("drift") or {}).get("drifted") or []
    tested = len(record.get("features") or {})
    detail = f"{len(drifted)} of {tested} features drifted"
    failures = ((record.get("quality") or {}).get("failures")) or []
    if failures:
        detail += f"; {len(failures)} data-quality rule(s) failed"
    return detail


def distribution_figures(record: dict[str, Any], profiles: tuple[Any, Any] | None) -> list[tuple[str, str]]:
    """Reference against live for every drifted feature and every feature a rule flagged."""
    from mlops.render.distribution import column_chart

    if not profiles or profiles[0] is None or profiles[1] is None:
        return []
    reference, current = profiles[0].columns, profiles[1].columns
    features = record.get("features") or {}
    figures = []
    for name in _flagged_columns(record, current)[:MAX_DISTRIBUTIONS]:
        svg = column_chart(name, current.get(name), reference.get(name), current_name="live")
        if svg:
            figures.append((svg, _caption(features.get(name) or {})))
    return figures


def _flagged_columns(record: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The drifted columns, then those a candidate or a failed data-quality rule names, once each."""
    flagged = [str(c.get("rule", "")).removeprefix("drift:") for c in record.get("candidates") or []]
    flagged += _failed_columns(record)
    drifted = [n for n, f in (record.get("features") or {}).items() if f.get("drifted")]
    return list(dict.fromkeys(drifted + [n for n in flagged if n in current]))


def _failed_columns(record: dict[str, Any]) -> list[str]:
    """The columns of the failed data-quality rules (`age.max` -> age)."""
    failures = (record.get("quality") or {}).get("failures") or []
    return [str(f.get("rule", "")).split(".")[0] for f in failures]


def _caption(f: dict[str, Any]) -> str:
    if not f:
        return "flagged by a data-quality rule"
    return (
        f"{f.get('method')} {f.get('statistic')} (threshold {f.get('threshold')})"
        f"{': drifted' if f.get('drifted') else ''}"
    )


def trend_charts(runs: list[dict[str, Any]]) -> list[str]:
    """Drift statistic per feature, live metrics per slice, and label coverage over the windows."""
    runs = runs[-MAX_WINDOWS:]
    if not runs:
        return []
    times = [str(r.get("time")) for r in runs]
    fired = [bool(r.get("alerts")) for r in runs]
    charts = [_drift_chart(runs, times, fired)]
    charts.extend(_metric_charts(runs, times, fired))
    coverage = [r.get("label_coverage") for r in runs]
    if any(v is not None for v in coverage):
        charts.append(
            line_chart(
                "Label coverage (share of rows with a mature label)",
                times,
                {"coverage": coverage},
                marks=fired,
                y_range=(0.0, 1.0),
            )
        )
    return charts


def _drift_chart(runs: list[dict[str, Any]], times: list[str], fired: list[bool]) -> str:
    peak: dict[str, float] = {}
    methods: set[str] = set()
    thresholds: set[float] = set()
    for r in runs:
        for name, f in (r.get("features") or {}).items():
            _note_feature(name, f, peak, methods, thresholds)
    names = sorted(peak, key=lambda n: -peak[n])[:MAX_LINES]
    series = {n: [_get(r, "features", n, "statistic") for r in runs] for n in names}
    label = "/".join(sorted(methods)) if methods else "drift"
    more = f", top {MAX_LINES} of {len(peak)}" if len(peak) > MAX_LINES else ""
    return line_chart(
        f"Drift statistic per feature ({label}{more})",
        times,
        series,
        threshold=next(iter(thresholds)) if len(thresholds) == 1 else None,
        marks=fired,
    )


def _note_feature(
    name: str, f: dict[str, Any], peak: dict[str, float], methods: set[str], thresholds: set[float]
) -> None:
    """A feature's statistic in one window: its peak so far, its method, its threshold (effect sizes)."""
    value = f.get("statistic")
    if isinstance(value, (int, float)):
        peak[name] = max(peak.get(name, float("-inf")), float(value))
    methods.add(str(f.get("method")))
    if isinstance(f.get("threshold"), (int, float)) and f.get("judged_by") != "p_value":
        thresholds.add(float(f["threshold"]))


def _metric_charts(runs: list[dict[str, Any]], times: list[str], fired: list[bool]) -> list[str]:
    task = next((str((r.get("metrics") or {}).get("task")) for r in reversed(runs) if r.get("metrics")), None)
    if task is None:
        return []
    keys = _largest_slices(runs)
    charts = []
    for metric in WATCHED.get(task, ()):
        series = _metric_series(runs, keys, metric)
        if any(v is not None for vs in series.values() for v in vs):
            charts.append(line_chart(f"Live {metric}, overall and per slice", times, series, marks=fired))
    return charts


def _metric_series(runs: list[dict[str, Any]], keys: list[str], metric: str) -> dict[str, list[float | None]]:
    """The metric per window, overall and for each slice in KEYS."""
    series = {"overall": [_get(r, "metrics", "overall", metric) for r in runs]}
    for key in keys:
        series[key] = [_get(r, "metrics", "slices", key, metric) for r in runs]
    return series


def _largest_slices(runs: list[dict[str, Any]]) -> list[str]:
    """The slices with the most rows in any window (room for the overall line too)."""
    slices: dict[str, int] = {}
    for r in runs:
        for key, values in ((r.get("metrics") or {}).get("slices") or {}).items():
            slices[key] = max(slices.get(key, 0), int(values.get("rows") or 0))
    return sorted(slices, key=lambda k: -slices[k])[: MAX_LINES - 1]


def alert_charts(report: dict[str, Any]) -> list[str]:
    """Cumulative alerts per rule over the windows (the 10 that fired most): a steep line is a noisy rule."""
    times = list(report.get("run_times") or [])[-MAX_WINDOWS:]
    rules = sorted(report.get("rules") or [], key=lambda r: -int(r.get("fired") or 0))[:MAX_LINES]
    if not times or not rules:
        return []
    series: dict[str, list[float | None]] = {}
    for rule in rules:
        counts: dict[str, int] = {}
        for t in rule.get("windows") or []:
            counts[t] = counts.get(t, 0) + 1
        total, line = 0, []  # type: tuple[int, list[float | None]]
        for t in times:
            total += counts.pop(t, 0)
            line.append(float(total))
        series[str(rule["rule"])] = line
    return [line_chart("Alerts fired per rule, cumulative", times, series, integer=True, y_label="alerts")]


def _get(record: dict[str, Any], *keys: str) -> float | None:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
