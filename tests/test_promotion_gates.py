"""Gate evaluation on committed data: bounds, incumbent comparison per slice, reports, monitoring, entry rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlops.promotion.evaluate import evaluate
from mlops.promotion.history import check_quiet, parse_history
from mlops.promotion.session import open_context
from tests.conftest import git, write
from tests.helpers.promotion import POLICY, V2, commit_all, hours, lock_for, make_repo, tag, version_commit

NOW = datetime.now(timezone.utc)


def _eval(root: Path, stage: str, version: str | None, now: datetime | None = None):  # type: ignore[no-untyped-def]
    _, ctx = open_context(root, now=now)
    return evaluate(ctx, "churn-model", stage, version)


def _messages(ev) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.message for r in ev.failures]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    make_repo(root)
    return root


def test_metric_bounds_pass_and_fail(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root, v2={"auc": 0.70, "latency_p95_ms": 80})
    ev = _eval(root, "staging", "v2.0.0")
    assert _messages(ev) == ["auc: 0.7 is below the minimum 0.75"]
    failed = ev.failures[0]
    assert (failed.metric, failed.value, failed.threshold) == ("auc", 0.70, 0.75)


def test_incumbent_comparison_per_slice_names_everything(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root, v2={"auc": 0.90, "latency_p95_ms": 60, "slices": {"north": {"auc": 0.95}}})
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    ev = _eval(root, "production", "v2.0.0")
    assert ev.incumbent == "v1.0.0"
    assert _messages(ev) == [
        "auc on slice south: no slice `south` in the metrics of v2.0.0 (metrics/eval.json)",
        "latency_p95_ms: 60 is above the maximum 50",
    ]
    north = next(r for r in ev.results if r.slice == "north" and r.kind == "metric")
    assert north.passed and north.incumbent_value == 0.79 and north.threshold == pytest.approx(0.785)


def test_lower_is_better_and_tolerance(tmp_path: Path) -> None:
    policy = POLICY.replace(
        "      - {metric: latency_p95_ms, max: 50}\n",
        "      - {metric: latency_p95_ms, not_worse_than: incumbent, higher_is_better: false,"
        " tolerance: 2}\n",
    )
    root = tmp_path / "r"
    make_repo(root, policy=policy, v2={**V2, "latency_p95_ms": 33})
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    ev = _eval(root, "production", "v2.0.0")
    assert _messages(ev) == [
        "latency_p95_ms: 33 vs incumbent v1.0.0's 30: higher by 3, more than the tolerance 2 (threshold 32)"
    ]


def test_entry_rules_order_and_soak(repo: Path) -> None:
    ev = _eval(repo, "production", "v2.0.0")
    assert _messages(ev) == [
        "churn-model v2.0.0 has not been in canary; production comes after canary (promote it there first)"
    ]
    tag(repo, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(10))
    ev = _eval(repo, "production", "v2.0.0")
    soak = ev.failures[0]
    assert (
        soak.kind == "soak"
        and "has been in canary for 10h" in soak.message
        and "soak needs 48h" in soak.message
    )
    assert _eval(repo, "production", "v2.0.0", now=datetime.now(timezone.utc) + hours(39)).passed


def test_soak_ends_when_replaced(repo: Path) -> None:
    tag(repo, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(100))
    tag(repo, "churn-model#canary#8", "churn-model@v1.0.0", ago=hours(90))  # v2 left canary after 10h
    ev = _eval(repo, "production", "v2.0.0")
    assert "for 10h" in ev.failures[0].message


def test_unregistered_deregistered_deprecated(repo: Path) -> None:
    assert _messages(_eval(repo, "staging", "v9.0.0")) == ["churn-model v9.0.0 is not a registered version"]
    tag(repo, "churn-model@v2.0.0!", "churn-model@v2.0.0")
    assert "churn-model v2.0.0 is deregistered" in _messages(_eval(repo, "canary", "v2.0.0"))
    tag(repo, "churn-model@deprecated", "churn-model@v1.0.0")
    assert "churn-model is deprecated" in _messages(_eval(repo, "canary", "v1.0.0"))


def test_unknown_stage_and_limited_stage(repo: Path) -> None:
    assert _messages(_eval(repo, "prod", "v2.0.0")) == [
        "`prod` is not a stage of promotion.yaml (stages: staging, canary, production)"
    ]


def test_rollback_skips_comparison_but_keeps_bounds(repo: Path) -> None:
    tag(repo, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    tag(repo, "churn-model#production#8", "churn-model@v2.0.0", ago=hours(1))
    ev = _eval(repo, "production", "v1.0.0")
    assert ev.rollback and ev.passed
    assert {r.kind for r in ev.results if r.skipped} == {"after", "metric"}
    assert any(r.gate == "latency_p95_ms <= 50" and not r.skipped for r in ev.results)


def test_validation_report(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root)
    c3 = version_commit(root, {"auc": 0.9}, passed=False, label="v3")
    tag(root, "churn-model@v3.0.0", c3)
    ev = _eval(root, "staging", "v3.0.0")
    assert _messages(ev) == [f"reports/check.json at v3.0.0 ({c3[:12]}): passed: false"]
    git(root, "rm", "-q", "reports/check.json")
    c4 = commit_all(root, "no report")
    tag(root, "churn-model@v4.0.0", c4)
    assert _messages(_eval(root, "staging", "v4.0.0")) == [
        f"validation report of v4.0.0: reports/check.json is not in commit {c4[:12]}"
    ]


def test_metrics_read_from_the_version_commit_not_the_work_tree(repo: Path) -> None:
    write(repo, "metrics/eval.json", json.dumps({"auc": 0.1}))  # a doctored work tree changes nothing
    assert _eval(repo, "staging", "v2.0.0").passed


def test_broken_metrics_file_is_a_failed_gate(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root)
    write(root, "metrics/eval.json", "{not json")
    write(root, "dvc.lock", lock_for(root))  # a pipeline that wrote a broken file: provable, unreadable
    c3 = commit_all(root, "broken")
    tag(root, "churn-model@v3.0.0", c3)
    [message] = _messages(_eval(root, "staging", "v3.0.0"))
    assert (
        message.startswith("auc: cannot read metrics of v3.0.0: metrics/eval.json at")
        and "not valid JSON" in message
    )


MONITOR_POLICY = POLICY + "      - {monitor: monitoring/canary.jsonl, no_alerts_for: 24h}\n"


def _run(version: str, ago: timedelta, severity: str | None = None) -> str:
    alerts = (
        [{"id": "r/drift:age", "rule": "drift:age", "severity": severity, "message": "psi 0.4 > 0.2"}]
        if severity
        else []
    )
    return json.dumps(
        {
            "type": "run",
            "schema": 1,
            "id": f"r{ago}",
            "artifact": "churn-model",
            "version": version,
            "time": (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "alerts": alerts,
        }
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (None, "no monitoring history monitoring/canary.jsonl at"),
        ([], "no monitoring runs of churn-model v2.0.0"),
        ([_run("v2.0.0", hours(5))], "monitored for 5h"),
        (
            [_run("v2.0.0", hours(30)), _run("v2.0.0", hours(2), "error")],
            "1 error alert(s) in the last 1d; latest drift:age at",
        ),
        ([_run("v1.0.0", hours(30))], "no monitoring runs of churn-model v2.0.0"),
    ],
)
def test_monitor_gate_failures(tmp_path: Path, lines: list[str] | None, message: str) -> None:
    root = tmp_path / "r"
    make_repo(root, policy=MONITOR_POLICY)
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    if lines is not None:
        write(root, "monitoring/canary.jsonl", "\n".join(lines) + "\n")
        commit_all(root, "history")
    failures = _eval(root, "production", "v2.0.0").failures
    assert len(failures) == 1 and failures[0].kind == "monitor"
    assert failures[0].message.startswith(message), failures[0].message


def test_monitor_gate_passes_with_old_errors_and_warnings(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root, policy=MONITOR_POLICY)
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    lines = [_run("v2.0.0", hours(40), "error"), _run("v2.0.0", hours(3), "warn"), "{torn line"]
    write(root, "monitoring/canary.jsonl", "\n".join(lines) + "\n")
    commit_all(root, "history")
    ev = _eval(root, "production", "v2.0.0")
    assert ev.passed, [r.message for r in ev.failures]


def test_history_parser_counts_bad_lines_and_reads_acks() -> None:
    raw = "\n".join(
        [
            _run("v1.0.0", hours(1), "error"),
            "[1, 2]",
            "nope",
            json.dumps({"type": "ack", "schema": 1, "alert": "r/drift:age", "resolution": "ignored"}),
            json.dumps({"type": "run", "time": "garbage"}),
        ]
    ).encode()
    history = parse_history(raw)
    assert (
        len(history.runs) == 1
        and history.skipped == 3
        and history.acknowledged() == {"r/drift:age": "ignored"}
    )
    check = check_quiet(history, "churn-model", "v1.0.0", hours(24), NOW)
    assert not check.passed and len(check.error_alerts) == 1  # an acknowledged alert still counts


def test_metrics_tracked_by_dvc_are_read_from_the_cache(tmp_path: Path) -> None:
    import hashlib

    root = tmp_path / "r"
    make_repo(root)
    body = json.dumps({"auc": 0.5}).encode()
    md5 = hashlib.md5(body).hexdigest()
    cached = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(body)
    git(root, "rm", "-q", "metrics/eval.json")
    model = hashlib.md5((root / "models/model.pkl").read_bytes()).hexdigest()
    write(
        root,
        "dvc.lock",
        f"schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n"
        f"    - path: models/model.pkl\n      md5: {model}\n"
        f"    - path: metrics/eval.json\n      md5: {md5}\n      size: {len(body)}\n",
    )
    write(root, ".gitignore", ".dvc/cache\n")
    c3 = commit_all(root, "metrics in the DVC cache")
    tag(root, "churn-model@v3.0.0", c3)
    assert _messages(_eval(root, "staging", "v3.0.0")) == ["auc: 0.5 is below the minimum 0.75"]


def test_entry_skips_stages_limited_to_other_artifacts(tmp_path: Path) -> None:
    policy = (
        POLICY.replace("  canary: {}\n", "  canary: {artifacts: [other]}\n")
        .replace("    soak: 48h\n", "    soak: 1h\n")
        .replace(
            "    metrics: metrics/eval.json\n",
            "    metrics: metrics/eval.json\n  other:\n    path: o.pkl\n    metrics: o.json\n",
            1,
        )
    )
    root = tmp_path / "r"
    make_repo(root, policy=policy)
    ev = _eval(root, "production", "v2.0.0")
    assert ev.passed, [r.message for r in ev.failures]
    assert [r.gate for r in ev.results if r.kind in ("after", "soak")] == [
        "was in staging",
        "soak 1h in staging",
    ]
    assert _messages(_eval(root, "canary", "v2.0.0")) == ["stage canary is limited to other"]
