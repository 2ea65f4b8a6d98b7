"""`mlops alerts report` precision and `mlops alerts tune`: a reviewed change, never a silent edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mlops.cli import cli
from mlops.monitor.history import append_record
from tests.conftest import git, write

RULES = """kind: Rules
version: 1
# the policy the on-call rotation agreed on
alert:
  consecutive: 1   # page at once
"""


def mlops(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _feature(statistic: float, drifted: bool = True) -> dict[str, Any]:
    return {
        "kind": "numeric",
        "judged_by": "calibrated",
        "method": "ks",
        "statistic": statistic,
        "p_value": 1e-7,
        "p_adjusted": 1e-6,
        "alpha": 0.005,
        "threshold": 0.1,
        "drifted": drifted,
        "nulls": {
            "reference": 0.0,
            "current": 0.0,
            "change": 0.0,
            "p_value": 1.0,
            "p_adjusted": 1.0,
            "alpha": 0.005,
            "threshold": 0.02,
            "drifted": False,
        },
    }


def _run(i: int, rules: dict[str, float]) -> dict[str, Any]:
    run_id = f"202611{i // 24 + 1:02d}T{i % 24:02d}0000Z-{i:06x}"
    features = {
        "amount": _feature(rules.get("drift:amount", 0.02), "drift:amount" in rules),
        "score": _feature(rules.get("drift:score", 0.02), "drift:score" in rules),
    }
    return {
        "type": "run",
        "schema": 1,
        "id": run_id,
        "time": f"2026-11-{i // 24 + 1:02d}T{i % 24:02d}:00:00Z",
        "artifact": "churn-model",
        "version": "v1.0.0",
        "ref": "churn-model#production",
        "commit": "a" * 40,
        "data": "b.csv",
        "rows": 1000,
        "reference": {"rows": 50_000},
        "features": features,
        "candidates": [
            {"rule": r, "kind": "drift", "severity": "error", "message": "m", "streak": 1} for r in rules
        ],
        "alerts": [{"id": f"{run_id}/{r}", "rule": r, "severity": "error", "message": "m"} for r in rules],
    }


def _ack(run: dict[str, Any], rule: str, resolution: str) -> dict[str, Any]:
    return {
        "type": "ack",
        "schema": 1,
        "alert": f"{run['id']}/{rule}",
        "resolution": resolution,
        "time": run["time"],
        "by": "oncall@example.com",
    }


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """History: drift:amount ignored at KS 0.11-0.15 and acted on at 0.3+; drift:score ignored and acted on
    at the same sizes (no threshold separates them)."""
    path = git_repo / "monitoring" / "history.jsonl"
    for i in range(30):
        rules = {}
        if i < 10:
            rules["drift:amount"] = 0.11 + 0.004 * i
        elif i < 13:
            rules["drift:amount"] = 0.3 + 0.05 * (i - 10)
        if i % 3 == 0:
            rules["drift:score"] = 0.2
        run = _run(i, rules)
        append_record(path, run)
        for rule in rules:
            if rule == "drift:amount":
                append_record(path, _ack(run, rule, "ignored" if i < 10 else "acted"))
            else:
                append_record(path, _ack(run, rule, "ignored" if i % 2 else "acted"))
    write(git_repo, "rules/live.yaml", RULES)
    write(git_repo, ".gitignore", "monitoring/\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "rules")
    return git_repo


def test_tune_prints_a_diff_and_edits_nothing(repo: Path) -> None:
    result = mlops("alerts", "tune", "--rules", "rules/live.yaml")
    assert result.exit_code == 0, result.output
    diff = result.stdout
    assert diff.startswith("--- a/rules/live.yaml\n+++ b/rules/live.yaml\n")
    assert "+  consecutive: 2   # page at once" in diff and "-  consecutive: 1   # page at once" in diff
    assert "+  columns:\n+    amount:\n+      min_shift: 0.23\n" in diff
    assert "# the policy the on-call rotation agreed on" not in [
        line[1:] for line in diff.splitlines() if line.startswith(("+", "-"))
    ]
    assert (repo / "rules/live.yaml").read_text() == RULES  # never edits silently
    assert (
        "alert.columns.amount.min_shift: 0.1 -> 0.23 (drift:amount): ignored 10 alert(s) with KS distance "
        "up to 0.146; acted on 3 from 0.3" in result.stderr
    )
    assert "fired 13 -> 3, acted-on alerts kept 3 of 3" in result.stderr
    assert "power 100% for a KS distance of 0.3" in result.stderr
    # the diff applies as is
    (repo / "p.diff").write_text(diff)
    git(repo, "apply", "--check", "p.diff")


def test_tune_json_has_expected_rates(repo: Path) -> None:
    data = json.loads(mlops("alerts", "tune", "--rules", "rules/live.yaml", "--json").stdout)
    change = next(c for c in data["changes"] if c["rule"] == "drift:amount")
    assert change["new"] == 0.23 and change["fired_after"] == 3 and change["acted_kept"] == 3
    assert 0 <= change["false_alarm_rate"] <= 0.005 / 4 and change["power"] > 0.95
    consecutive = next(c for c in data["changes"] if c["key"] == "alert.consecutive")
    assert consecutive["rule"] == "drift:score" and consecutive["new"] == 2
    assert consecutive["fired_after"] == 0  # the score alerts never came two windows in a row


def test_tune_commits_on_a_new_branch_only(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    result = mlops("alerts", "tune", "--rules", "rules/live.yaml", "--branch", "tune-alerts")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "committed on branch tune-alerts" in result.stderr
    assert (
        git(repo, "rev-parse", "HEAD").strip() == head
        and git(repo, "branch", "--show-current").strip() == "main"
    )
    assert (repo / "rules/live.yaml").read_text() == RULES and git(repo, "status", "--porcelain") == ""
    committed = git(repo, "show", "tune-alerts:rules/live.yaml")
    assert "min_shift: 0.23" in committed and "consecutive: 2" in committed
    assert git(repo, "rev-parse", "tune-alerts~1").strip() == head
    assert "alert.columns.amount.min_shift: 0.1 -> 0.23" in git(
        repo, "log", "-1", "--format=%B", "tune-alerts"
    )
    again = mlops("alerts", "tune", "--rules", "rules/live.yaml", "--branch", "tune-alerts")
    assert again.exit_code == 2 and "branch `tune-alerts` already exists" in again.stderr
    bad = mlops("alerts", "tune", "--rules", "rules/live.yaml", "--branch", "no..dots")
    assert bad.exit_code == 2 and "not a valid branch name" in bad.stderr


def test_tune_refuses_a_dirty_tree_for_a_branch(repo: Path) -> None:
    (repo / "rules/live.yaml").write_text(RULES + "# local edit\n")
    result = mlops("alerts", "tune", "--rules", "rules/live.yaml", "--branch", "tune-alerts")
    assert result.exit_code == 2 and "uncommitted changes" in result.stderr
    assert git(repo, "branch", "--list", "tune-alerts") == ""


def test_tune_without_history_or_noise(git_repo: Path) -> None:
    result = mlops("alerts", "tune", "--rules", "rules/live.yaml")
    assert result.exit_code == 2 and "no monitoring history yet" in result.stderr
    path = git_repo / "monitoring" / "history.jsonl"
    for i in range(5):
        append_record(path, _run(i, {}))
    result = mlops("alerts", "tune", "--rules", "rules/live.yaml")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No change to propose" in result.stderr
    assert not (git_repo / "rules").exists()


def test_tune_creates_the_rules_file_in_the_diff_when_missing(repo: Path) -> None:
    result = mlops("alerts", "tune", "--rules", "rules/new.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "--- /dev/null\n+++ b/rules/new.yaml\n@@ -0,0 +1,7 @@\n+kind: Rules\n+version: 1\n"
    )
    assert not (repo / "rules/new.yaml").exists()


def test_tune_reports_a_broken_rules_file(repo: Path) -> None:
    write(repo, "rules/bad.yaml", "kind: Rules\nversion: 1\nalert: {alpha: 2}\n")
    result = mlops("alerts", "tune", "--rules", "rules/bad.yaml")
    assert result.exit_code == 2 and "rules/bad.yaml:3:" in result.stderr


def test_report_precision_for_the_studys_alert(git_repo: Path) -> None:
    """The interview study's alert: fired 1,000 times, ignored 45% of the time."""
    path = git_repo / "monitoring" / "history.jsonl"
    lines = []
    from mlops.monitor.history import dumps

    for i in range(1000):
        run = _run(i % 600, {"drift:amount": 0.2})
        run["id"] = f"run{i:04d}"
        run["alerts"][0]["id"] = f"run{i:04d}/drift:amount"
        lines.append(dumps(run))
        lines.append(
            dumps(
                {
                    "type": "ack",
                    "schema": 1,
                    "alert": f"run{i:04d}/drift:amount",
                    "resolution": "ignored" if i % 20 < 9 else "acted",
                    "time": run["time"],
                    "by": "x",
                }
            )
        )
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    result = mlops("alerts", "report", "--json")
    assert result.exit_code == 0, result.output
    rule = json.loads(result.stdout)["rules"][0]
    assert (rule["rule"], rule["fired"], rule["ignored"], rule["acted"]) == ("drift:amount", 1000, 450, 550)
    assert rule["ignored_share"] == 0.45 and rule["precision"] == 0.55 and rule["noisy"]
    assert "ignored 45% of 1000 alerts" in rule["reasons"]
    text = mlops("alerts", "report").stdout
    assert "precision" in text and "55%" in text and "`mlops alerts tune` proposes a change" in text
