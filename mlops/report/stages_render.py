"""The stage report as Markdown and HTML (text is rendered by the CLI through rich; JSON is the dict)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mlops.timeutil import format_duration

MAX_METRICS = 6  # top-level metrics shown in tables; JSON keeps every one
MAX_TIMELINE_ROWS = 40  # the most recent versions in the chart


def duration(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=seconds))


def share(row: dict[str, Any]) -> str:
    value = row["never_advanced_share"]
    return "-" if value is None else f"{value:.0%} ({row['never_advanced']}/{row['finished']})"


def shown_metrics(art: dict[str, Any]) -> list[str]:
    names = sorted({k for row in art["rows"] for k in row["metrics"] if "." not in k})
    return names[:MAX_METRICS]


def metric_cell(row: dict[str, Any], name: str) -> str:
    value = row["metrics"].get(name)
    if value is None:
        return "-"
    change = row["change"].get(name)
    return f"{value:.4g}" + ("" if change is None else f" ({change:+.4g})")


STAGE_HEADERS = ["stage", "versions", "median time", "p90 time", "holding now", "never advanced"]


def stage_cells(row: dict[str, Any], last: bool) -> list[str]:
    return [
        row["stage"],
        str(row["entered"]),
        duration(row["median_seconds"]),
        duration(row["p90_seconds"]),
        str(row["now"]),
        "-" if last else share(row),
    ]


def stage_rows(art: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """(headers, rows): one row per stage; the last stage has nothing to advance to."""
    rows = art["rows"]
    return STAGE_HEADERS, [stage_cells(r, i == len(rows) - 1) for i, r in enumerate(rows)]


def metric_rows(art: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """(headers, rows): one row per metric, one column per stage: median (change over the stage before)."""
    names = shown_metrics(art)
    return ["metric", *art["stages"]], [[n, *(metric_cell(r, n) for r in art["rows"])] for n in names]


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    cells = [[" ".join(c.split()).replace("|", "\\|") for c in row] for row in rows]
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(row) + " |" for row in cells),
    ]


def markdown(report: dict[str, Any], level: int = 1) -> str:
    hashes = "#" * level
    lines = [f"{hashes} Stage report", "", _window(report), ""]
    for art in report["artifacts"]:
        lines += [f"{hashes}# {art['artifact']}", ""]
        lines += _md_table(*stage_rows(art))
        headers, metrics = metric_rows(art)
        if metrics:
            lines += [
                "",
                "Median metrics of the versions that entered each stage (change over the stage before):",
                "",
            ]
            lines += _md_table(headers, metrics)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _window(report: dict[str, Any]) -> str:
    since = f"versions that entered a stage since {report['since']}" if report["since"] else "every version"
    return (
        f"From the registry tags: {since}. Times are finished stays: a stay ends when the version enters a "
        "later stage or loses the stage (another version assigned, unassigned, deregistered); `registered` is "
        "the wait before the first assignment; `never advanced` counts finished stays that reached no later stage."
    )


def html(report: dict[str, Any]) -> str:
    from mlops.render import html as page
    from mlops.render.timeline import Bar, timeline
    from mlops.timeutil import parse_time

    now_time = parse_time(report["now"])
    now = int(now_time.timestamp()) if now_time else 0
    body = [f"<h1>Stage report</h1><p>{page.esc(_window(report))}</p>"]
    for art in report["artifacts"]:
        body.append(f"<h2>{page.esc(art['artifact'])}</h2>")
        body.append(page.table(*stage_rows(art)))
        headers, metrics = metric_rows(art)
        if metrics:
            body.append(page.table(headers, metrics))
        recent = list(dict.fromkeys(s["version"] for s in art["timeline"]))[-MAX_TIMELINE_ROWS:]
        keep = set(recent)
        bars = [
            Bar(s["version"][:14], s["stage"], int(start), None if end is None else int(end))
            for s in art["timeline"]
            if s["version"] in keep
            for start, end in s["intervals"]
        ]
        chart = timeline(f"{art['artifact']}: each version's stages over time", art["stages"], bars, now)
        body.append(page.charts([(chart, f"The {len(recent)} most recent versions; a bar per stage held.")]))
    return page.page("Stage report", body)
