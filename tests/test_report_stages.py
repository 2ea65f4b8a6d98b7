"""`mlops report stages`: time in each stage, versions that never advanced, metrics stage over stage."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import invoke, write

T0 = 1_700_000_000
H = 3600
D = 24 * H


def git(repo: Path, *args: str, date: int | None = None) -> str:
    env = dict(os.environ)
    if date is not None:
        env["GIT_COMMITTER_DATE"] = f"@{date} +0000"
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def tag(repo: Path, name: str, rev: str, date: int, message: str = "by hand") -> None:
    git(repo, "tag", "-a", name, rev, "-m", message, date=date)


def register(repo: Path, version: str, rev: str, date: int, auc: float) -> None:
    block = json.dumps({"event": "register", "metrics": {"auc": auc, "slices": {"eu": {"auc": auc - 0.1}}}})
    tag(repo, f"m@{version}", rev, date, f"Register m {version}\n\n{block}")


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """v0.1.0 goes staging -> canary; v0.2.0 is passed over; v0.3.0 sits in staging; v0.4.0 waits."""
    commits = []
    for n in range(4):
        write(git_repo, f"model{n}.txt", str(n))
        git(git_repo, "add", ".")
        git(git_repo, "commit", "-q", "-m", f"model {n}")
        commits.append(git(git_repo, "rev-parse", "HEAD"))
    a, b, c, d = commits
    register(git_repo, "v0.1.0", a, T0, 0.80)
    register(git_repo, "v0.2.0", b, T0 + D, 0.70)
    register(git_repo, "v0.3.0", c, T0 + 2 * D, 0.85)
    register(git_repo, "v0.4.0", d, T0 + 3 * D, 0.75)
    tag(git_repo, "m#staging#1", a, T0 + 2 * H)
    tag(git_repo, "m#canary#2", a, T0 + D + 2 * H)
    tag(git_repo, "m#staging#3", c, T0 + 2 * D + 4 * H)
    return git_repo


def rows(out: str) -> dict[str, dict]:
    report = json.loads(out)
    (art,) = report["artifacts"]
    return {r["stage"]: r for r in art["rows"]}


def test_time_in_stage_never_advanced_and_metrics(repo: Path) -> None:
    code, out, err = invoke("report", "stages", "m", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["artifacts"][0]["stages"] == ["registered", "staging", "canary"]  # order from the tags
    got = rows(out)
    registered, staging, canary = got["registered"], got["staging"], got["canary"]
    # waits before a first stage: 2h (v0.1.0), 28h (v0.2.0, passed over by v0.3.0), 4h (v0.3.0); v0.4.0 waits
    assert (registered["entered"], registered["finished"], registered["now"]) == (4, 3, 1)
    assert registered["median_seconds"] == 4 * H
    assert registered["p90_seconds"] == pytest.approx(4 * H + 0.8 * 24 * H)
    assert registered["never_advanced"] == 1 and registered["never_advanced_share"] == pytest.approx(1 / 3)
    # v0.1.0 left staging for canary after one day; v0.3.0 still holds staging
    assert (staging["entered"], staging["finished"], staging["now"], staging["never_advanced"]) == (
        2,
        1,
        1,
        0,
    )
    assert staging["median_seconds"] == D
    assert (canary["entered"], canary["now"], canary["median_seconds"]) == (1, 1, None)
    assert registered["metrics"]["auc"] == pytest.approx(0.775)
    assert staging["metrics"]["auc"] == pytest.approx(0.825)
    assert staging["change"]["auc"] == pytest.approx(0.05)
    assert canary["change"]["auc"] == pytest.approx(-0.025)
    assert canary["metrics"]["slices.eu.auc"] == pytest.approx(0.70)


def test_declared_order_wins_and_unassign_and_deregister_end_stays(repo: Path) -> None:
    write(
        repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nstages:\n  staging: {}\n  canary: {after: staging}\n",
    )
    tag(repo, "m#canary!#4", git(repo, "rev-parse", "HEAD~3"), T0 + 2 * D + 2 * H)
    tag(repo, "m@v0.3.0!", git(repo, "rev-parse", "HEAD~1"), T0 + 2 * D + 10 * H)
    code, out, err = invoke("report", "stages", "--format", "json")
    assert code == 0, err
    got = rows(out)
    assert list(got) == ["registered", "staging", "canary"]
    assert got["canary"]["median_seconds"] == D and got["canary"]["now"] == 0  # unassigned after a day
    assert got["staging"]["finished"] == 2 and got["staging"]["never_advanced"] == 1  # v0.3.0 deregistered
    assert got["staging"]["p90_seconds"] == pytest.approx(0.1 * 6 * H + 0.9 * D)


def test_since_keeps_only_stays_that_began_after(repo: Path) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 2 * D))
    code, out, err = invoke("report", "stages", "m", "--since", since, "--format", "json")
    assert code == 0, err
    got = rows(out)
    assert (
        got["registered"]["entered"] == 2 and got["staging"]["entered"] == 1 and got["canary"]["entered"] == 0
    )
    assert json.loads(out)["since"] == since


def test_text_is_a_rich_table_a_person_reads(repo: Path) -> None:
    code, out, _ = invoke("report", "stages", "m")
    assert code == 0
    assert "m: time in each stage" in out
    line = next(row for row in out.splitlines() if "registered" in row)
    assert "4h" in line and "33% (1/3)" in line
    assert "0.825 (+0.05)" in out


def test_markdown_and_html_with_a_timeline(repo: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("report", "stages", "--format", "markdown")
    assert code == 0 and "| staging | 2 | 1d |" in out and "## m" in out
    target = tmp_path / "stages.html"
    code, _, err = invoke("report", "stages", "-o", str(target))
    assert code == 0 and "report written to" in err
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert page.count("<rect x=") >= 7  # a bar per stay: four waits, two staging stays, one canary stay
    assert "v0.2.0 in registered" in page and "v0.3.0 in staging (now)" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "stages", "nope"], "artifact `nope` has no registry tags"),
        (["report", "stages", "--since", "last week"], "`last week` is not an ISO-8601 time"),
        (["report", "stages", "-o", "out.pdf"], "cannot write a report as `.pdf`"),
    ],
)
def test_bad_input_is_exit_2_with_the_reason(repo: Path, args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2 and message in err
    assert not (repo / "out.pdf").exists()


def test_no_tags_says_so(git_repo: Path) -> None:
    code, out, _ = invoke("report", "stages")
    assert code == 0 and "No registry tags" in out


def test_ten_thousand_tags_within_a_generous_bound(tmp_path: Path) -> None:
    path = Path(__file__).parent.parent / "benchmarks" / "report_stages.py"
    spec = importlib.util.spec_from_file_location("bench_report_stages", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.build(tmp_path / "r", 10_000)
    from mlops.api.report import report_stages

    start = time.perf_counter()
    report = report_stages(bench.ART, root=tmp_path / "r")
    elapsed = time.perf_counter() - start
    got = {r["stage"]: r for r in report["artifacts"][0]["rows"]}
    assert got["staging"]["entered"] == 2778 and got["production"]["entered"] == 1389
    assert got["registered"]["never_advanced_share"] == pytest.approx(0.5, abs=0.01)
    assert elapsed < 6.0, f"{elapsed:.2f}s for 10,000 tags (the target is under a second)"


def test_outside_a_git_repository_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("report", "stages")
    assert code == 2 and "not a Git repository" in err


def test_hostile_metric_names_stay_inside_their_cells(git_repo: Path) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    block = json.dumps({"metrics": {"a|b\n| x": 1.0, "<script>": 2.0}})
    tag(git_repo, "m@v0.1.0", head, T0, f"Register\n\n{block}")
    code, out, _ = invoke("report", "stages", "--format", "markdown")
    assert code == 0 and "| a\\|b \\| x | 1 |" in out
    code, out, _ = invoke("report", "stages", "--format", "html")
    assert code == 0 and "<script>" not in out and "&lt;script&gt;" in out
