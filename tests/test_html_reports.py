"""HTML reports as people look at them: each one rendered by headless Chromium into a screenshot, and checked for
what a reader must be able to see (a verdict, bounds and the rows beyond them, round axis ticks, legends).
Self-contained: no script, nothing fetched. Chromium comes from .ci/run; without it the screenshot tests skip
only outside CI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops.render.svg import nice_ticks
from tests.conftest import git, invoke, write

PNG = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, out: Path) -> bytes:
    """What a person sees: the page rendered by a real browser, with no network."""
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={out.parent / 'chrome-profile'}",
            "--window-size=1200,1600",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.is_file(), f"no screenshot from chromium (exit {proc.returncode}): {proc.stderr[-2000:]}"
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000, "the screenshot is empty or blank"
    return data


def self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count("<style>") == 1  # the one stylesheet


def y_ticks(svg: str) -> list[str]:
    return re.findall(r'<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]*)</text>', svg)


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


@pytest.fixture
def people(git_repo: Path) -> Path:
    """10,000 people: 25 ages of 150 against `max: 120`, 15 negative refunds against `min: 0`."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 10_000
    age = rng.normal(42, 12, n).round().clip(18, 95).astype(int)
    age[rng.choice(n, 25, replace=False)] = 150
    refund = rng.gamma(2, 15, n).round(2)
    refund[rng.choice(n, 15, replace=False)] *= -1
    plan = rng.choice(["basic", "pro", "enterprise"], n, p=[0.6, 0.3, 0.1])
    frame = pd.DataFrame(
        {"age": age, "refund": refund, "plan": plan, "churned": (rng.random(n) < 0.3).astype(int)}
    )
    frame["score"] = (frame["churned"] * 0.4 + rng.random(n) * 0.6).round(3)
    frame.to_csv(git_repo / "people.csv", index=False)
    write(
        git_repo,
        "rules/people.yaml",
        "kind: Rules\nversion: 1\ncolumns:\n"
        "  age: {type: integer, min: 18, max: 120}\n  refund: {type: number, min: 0}\n"
        "  plan: {type: string, allowed: [basic, pro]}\n",
    )
    return git_repo


def test_validate_report_shows_bounds_and_the_rows_beyond_them(people: Path) -> None:
    code, _, err = mlops("validate", "people.csv", "--rules", "rules/people.yaml", "-o", "report.html")
    assert code == 1, err
    page = (people / "report.html").read_text()
    self_contained(page)
    assert '<div class="banner bad" role="status"><strong>FAILED</strong>' in page
    assert "25 rows above max 120 (0.25%)" in page and "15 rows below min 0 (0.15%)" in page
    assert "1,0" in page and "rows with a value not allowed" in page  # enterprise is not allowed
    assert ">max 120</text>" in page and ">min 0</text>" in page  # the bounds are drawn
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 3
    age = next(c for c in charts if 'aria-label="age"' in c)
    assert y_ticks(age) and all(re.fullmatch(r"[\d,]+", t) for t in y_ticks(age))  # a y-axis, round ticks
    beyond = re.findall(r'<rect [^>]*fill="#c62828"><title>rows: (\d+) in', age)
    assert sum(map(int, beyond)) == 25  # the 150s: red, and exactly counted
    screenshot(people / "report.html", people / "validate.png")


def test_monitor_and_alerts_reports_render(people: Path) -> None:
    import pandas as pd

    git(people, "add", "people.csv", "rules")
    git(people, "commit", "-q", "-m", "reference")
    live = pd.read_csv(people / "people.csv").sample(3000, random_state=1)
    live["refund"] = live["refund"] * 2.5  # drifts
    live.to_csv(people / "live.csv", index=False)
    for day in (1, 2, 3):
        code, _, err = mlops(
            "monitor",
            "live.csv",
            "--against",
            "HEAD:people.csv",
            "--labels",
            "churned",
            "--predictions",
            "score",
            "--window-time",
            f"2026-11-0{day}T00:00:00Z",
            "-o",
            f"monitor{day}.html",
        )
        assert code == 1, err
    page = (people / "monitor3.html").read_text()
    self_contained(page)
    assert '<div class="banner bad" role="status"><strong>ALERT</strong>' in page and "drift:refund" in page
    assert "Reference against live" in page and 'aria-label="refund"' in page  # the drifted feature, drawn
    assert ">reference</text>" in page and ">live</text>" in page  # legends
    screenshot(people / "monitor3.html", people / "monitor.png")

    history = [
        json.loads(line) for line in (people / "monitoring" / "history.jsonl").read_text().splitlines()
    ]
    first = history[0]["alerts"][0]["id"]
    assert mlops("alerts", "ack", first, "--ignored")[0] == 0
    code, _, err = mlops("alerts", "report", "-o", "alerts.html")
    assert code == 0, err
    page = (people / "alerts.html").read_text()
    self_contained(page)
    assert (
        '<div class="banner warn" role="status"><strong>NOISY</strong>1 noisy rule(s): drift:refund' in page
    )
    chart = re.search(r'<svg[^>]*aria-label="Alerts fired per rule, cumulative".*?</svg>', page, re.S)
    assert chart is not None
    assert y_ticks(chart[0]) == ["0", "1", "2", "3"]  # whole counts, not 1.08, 2.16, ...
    assert 'class="legend"' in chart[0] and ">drift:refund</text>" in chart[0]
    screenshot(people / "alerts.html", people / "alerts.png")


@pytest.mark.parametrize(
    ("lo", "hi", "integer", "expected"),
    [
        (0, 3.24, False, [0, 1, 2, 3, 4]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 0.42, False, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
        (0, 1873, False, [0, 500, 1000, 1500, 2000]),
        (-66.9, 212, False, [-100, 0, 100, 200, 300]),
    ],
)
def test_ticks_are_round(lo: float, hi: float, integer: bool, expected: list[float]) -> None:
    assert nice_ticks(lo, hi, 5, integer=integer) == expected
