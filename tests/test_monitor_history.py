"""The history file, the alert report and acknowledgements, and the report renderers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlops.errors import UnknownReference, UsageError
from mlops.monitor.alerts import alert_report, make_ack
from mlops.monitor.history import append_record, dumps, read_history, same_stream
from mlops.monitor.render import render_alerts, render_run


def _run(n: int, rules: list[str], artifact: str = "churn-model", version: str = "v1.0.0") -> dict:
    run_id = f"2026110{n % 10}T000000Z-{n:06x}"
    return {
        "type": "run",
        "schema": 1,
        "id": run_id,
        "time": f"2026-11-{n % 28 + 1:02d}T00:00:00Z",
        "artifact": artifact,
        "version": version,
        "ref": f"{artifact}#production",
        "commit": "a" * 40,
        "data": "b.csv",
        "rows": 10,
        "features": {
            "age": {
                "method": "psi",
                "statistic": 0.01 * n,
                "p_value": None,
                "threshold": 0.2,
                "drifted": False,
            }
        },
        "metrics": {
            "task": "classification",
            "overall": {"rows": 10, "accuracy": 0.9},
            "slices": {"plan=pro": {"rows": 5, "accuracy": 0.8}},
        },
        "label_coverage": 0.5,
        "alerts": [{"id": f"{run_id}/{r}", "rule": r, "severity": "error", "message": "m"} for r in rules],
    }


def test_append_and_read_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "monitoring" / "h.jsonl"
    append_record(path, _run(1, ["drift:age"]))
    with path.open("a") as handle:
        handle.write("{not json\n[1, 2]\n\n" + json.dumps({"type": "other"}) + "\n")
    append_record(
        path, {"type": "ack", "schema": 1, "alert": "x", "resolution": "acted", "time": "t", "by": "me"}
    )
    history = read_history(path)
    assert len(history.runs) == 1 and len(history.acks) == 1
    assert [p.split(": ", 1)[0] for p in history.problems] == [f"{path}:2", f"{path}:3", f"{path}:5"]
    assert read_history(tmp_path / "missing.jsonl").exists is False


def test_dumps_is_strict_json() -> None:
    import numpy as np

    line = dumps({"a": float("nan"), "b": [float("inf"), np.float64(0.5), np.int64(3)]})
    assert json.loads(line) == {"a": None, "b": [None, 0.5, 3]}
    assert "\n" not in line


def test_same_stream_is_per_version(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    for record in (_run(1, []), _run(2, [], version="v2.0.0"), _run(3, [])):
        append_record(path, record)
    history = read_history(path)
    assert len(same_stream(history, artifact="churn-model", version="v1.0.0", ref="x")) == 2


def test_noisy_rule_is_flagged(tmp_path: Path) -> None:
    """The alert that fired often and was ignored 45% of the time."""
    path = tmp_path / "h.jsonl"
    for n in range(40):
        append_record(path, _run(n, ["drift:age"] + (["metrics:plan=pro"] if n % 10 == 0 else [])))
    history = read_history(path)
    ids = [a["id"] for r in history.runs for a in r["alerts"] if a["rule"] == "drift:age"]
    for alert_id in ids[:18]:
        append_record(path, make_ack(history, alert_id, "ignored", by="oncall"))
    for alert_id in ids[18:22]:
        append_record(path, make_ack(history, alert_id, "acted", by="oncall"))
    slice_alert = next(a["id"] for r in history.runs for a in r["alerts"] if a["rule"] == "metrics:plan=pro")
    append_record(path, make_ack(history, slice_alert, "acted", by="oncall"))
    report = alert_report(read_history(path))
    by_rule = {r.rule: r for r in report.rules}
    age = by_rule["drift:age"]
    assert (age.fired, age.ignored, age.acted, age.unacknowledged) == (40, 18, 4, 18)
    assert age.ignored_share == pytest.approx(0.45)
    assert age.noisy and "ignored 45% of 40 alerts" in age.reasons
    # ignored at statistics 0.00..0.17, acted on at 0.18..0.21: a threshold in between keeps the real ones
    assert age.suggestion == (
        "threshold 0.175 for age (now 0.2) would have silenced 18 ignored alerts, keeping all 4 acted on"
    )
    assert "fired in 100% of 40 windows" in age.reasons
    pro = by_rule["metrics:plan=pro"]
    assert pro.fired == 4 and not pro.noisy and pro.fire_rate == pytest.approx(0.1)
    assert report.noisy == [age] and report.rules[0] is age
    text = render_alerts(report.to_dict(), "text")
    assert "drift:age" in text and "45%" in text and "Noisy rules (1): drift:age" in text
    assert "Suggestion for drift:age: threshold 0.175" in text
    assert "| drift:age |" in render_alerts(report.to_dict(), "markdown")
    assert json.loads(render_alerts(report.to_dict(), "json"))["noisy"] == ["drift:age"]
    page = render_alerts(report.to_dict(), "html")
    assert "Alerts fired per rule, cumulative" in page and "<script" not in page


def test_latest_ack_wins_and_unknown_ids(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    append_record(path, _run(1, ["drift:age"]))
    history = read_history(path)
    alert_id = history.runs[0]["alerts"][0]["id"]
    append_record(path, make_ack(history, alert_id, "ignored", by="a"))
    append_record(path, make_ack(history, alert_id, "acted", by="b", note="retrained"))
    history = read_history(path)
    assert history.resolutions()[alert_id]["resolution"] == "acted"
    assert alert_report(history).rules[0].acted == 1
    with pytest.raises(UnknownReference, match="no alert"):
        make_ack(history, alert_id + "x", "acted")
    with pytest.raises(UsageError):
        make_ack(history, alert_id, "snoozed")


def test_html_report_is_self_contained_with_trends() -> None:
    runs = [_run(n, ["drift:age"] if n == 3 else []) for n in range(1, 6)]
    page = render_run(
        runs[-1] | {"candidates": [], "policy": {"consecutive": 1}}, "html", runs=runs, history="h.jsonl"
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "Drift statistic per feature" in page and "Live accuracy" in page
    assert "Label coverage" in page and "plan=pro" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page) and "<script" not in page
    assert "alert fired at 2026-11-04T00:00:00Z" in page  # the red mark of window 3


def test_text_and_markdown_run_reports() -> None:
    record = _run(2, ["drift:age"]) | {
        "candidates": [
            {"rule": "drift:age", "severity": "error", "message": "age: psi 0.3 > 0.2", "streak": 1},
            {"rule": "drift:x", "severity": "error", "message": "x drifted", "streak": 1},
        ],
        "policy": {"consecutive": 2},
        "drift": {"drifted": ["age"], "min_drifted_columns": 1},
        "labels": {
            "rows": 10,
            "labeled": 8,
            "mature": 6,
            "counted": 5,
            "coverage": 0.5,
            "delay": "14d",
            "cutoff": "2026-11-10T00:00:00Z",
            "unparsed_timestamps": 0,
        },
    }
    text = render_run(record, "text", history="h.jsonl")
    assert "1 alert(s) fired." in text and "waiting 1/2" in text
    assert "5 of 10 rows have a label that counts (coverage 50%)" in text
    assert "label delay 14d" in text
    markdown = render_run(record, "markdown")
    assert markdown.startswith("## mlops monitor") and "| **error** | fired | drift:age |" in markdown
    assert json.loads(render_run(record, "json"))["id"] == record["id"]
    with pytest.raises(UsageError):
        render_run(record, "pdf")


def _append_many(path: str, worker: int) -> None:
    for n in range(100):
        record = _run(n, ["drift:age"])
        record["id"] = f"w{worker}-{n}"
        record["padding"] = "x" * 20000  # larger than a pipe buffer: a torn write would show
        append_record(path, record)


def test_concurrent_runs_never_interleave(tmp_path: Path) -> None:
    import multiprocessing

    path = str(tmp_path / "h.jsonl")
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_append_many, args=(path, w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    history = read_history(path)
    assert history.problems == [] and len(history.runs) == 400
    assert len({r["id"] for r in history.runs}) == 400


def test_threshold_suggestions() -> None:
    from mlops.monitor.tuning import suggest

    assert suggest("drift:x", [0.21, 0.24], [], 0.2) == (
        "threshold 0.27 for x (now 0.2) would have silenced 2 ignored alerts (none was acted on)"
    )
    assert suggest("drift:x", [0.21, 0.5], [0.3], 0.2).startswith("no threshold for x separates")
    assert suggest("drift:x", [], [0.3], 0.2) is None


def test_long_drift_tables_are_cut_in_text_not_in_html() -> None:
    record = _run(1, []) | {
        "candidates": [],
        "policy": {},
        "drift": {"drifted": ["c000"]},
        "features": {
            f"c{i:03d}": {"method": "psi", "statistic": i / 1000, "threshold": 0.2, "drifted": i == 0}
            for i in range(100)
        },
    }
    text = render_run(record, "text")
    assert "Showing the 30 columns that drifted or came closest; 70 more did not drift" in text
    assert "c000" in text and "c099" in text and "c050" not in text
    page = render_run(record, "html")
    assert "c050" in page and "Showing the" not in page
