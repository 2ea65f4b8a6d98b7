"""`mlops monitor` and `mlops alerts` end to end: a real Git repository with registry tags, scikit-learn's
breast-cancer data as training data, a logistic-regression model scoring live batches."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from mlops.cli import cli
from tests.conftest import git, write

FEATURES = [
    "mean radius",
    "mean texture",
    "mean smoothness",
    "mean compactness",
    "mean symmetry",
    "worst area",
]
RULES = """kind: Rules
version: 1
alert: {consecutive: 3, min_drifted_columns: 2}
"""


class Project:
    def __init__(self, root: Path) -> None:
        from sklearn.datasets import load_breast_cancer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        data = load_breast_cancer(as_frame=True).frame
        frame = data[FEATURES].copy()
        frame["size"] = np.where(data["mean radius"] > data["mean radius"].median(), "large", "small")
        frame["target"] = data["target"]
        frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
        self.root = root
        self.train, self.live = (
            frame.iloc[:320].reset_index(drop=True),
            frame.iloc[320:].reset_index(drop=True),
        )
        self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
            self.train[FEATURES], self.train["target"]
        )
        self.rng = np.random.default_rng(1)

    def batch(
        self,
        name: str,
        *,
        rows: int = 240,
        shift: float = 0.0,
        flip_slice: str | None = None,
        flip_share: float = 0.0,
        **extra: Any,
    ) -> str:
        """A bootstrap sample of the live rows, optionally shifted, scored by the model."""
        picked = self.live.sample(n=rows, replace=True, random_state=int(self.rng.integers(1 << 30)))
        picked = picked.reset_index(drop=True)
        for column in ("mean radius", "mean texture", "worst area"):
            picked[column] = picked[column] * (1 + shift)
        picked["score"] = self.model.predict_proba(picked[FEATURES])[:, 1]
        if flip_slice:
            hit = (picked["size"] == flip_slice) & (self.rng.random(rows) < flip_share)
            picked.loc[hit, "score"] = 1 - picked.loc[hit, "score"]
        for key, value in extra.items():
            picked[key] = value(picked) if callable(value) else value
        path = self.root / "live" / name
        path.parent.mkdir(exist_ok=True)
        picked.to_csv(path, index=False)
        return f"live/{name}"


@pytest.fixture
def project(git_repo: Path) -> Project:
    from mlops.monitor.metrics import evaluate, prepare
    from mlops.registry.write import assign, register

    p = Project(git_repo)
    (git_repo / "data").mkdir()
    p.train.to_csv(git_repo / "data" / "train.csv", index=False)
    write(
        git_repo,
        "promotion.yaml",
        """kind: Promotion
version: 1
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    training_data: data/train.csv
stages:
  staging: {}
  production: {}
""",
    )
    write(git_repo, "rules/live.yaml", RULES)
    write(git_repo, ".gitignore", "live/\nmonitoring/\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "train")
    offline = evaluate(
        prepare(p.train["target"].to_numpy(), p.model.predict_proba(p.train[FEATURES])[:, 1]),
        {"size": p.train["size"].to_numpy()},
    )
    offline = {**offline["overall"], "slices": offline["slices"]}  # a sliced evaluation, as teams record it
    register(git_repo, "churn-model", version="v1.0.0", metadata={"metrics": offline})
    assign(git_repo, "churn-model", "v1.0.0", "production")
    return p


def mlops(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def monitor(data: str, *args: str) -> Result:
    return mlops(
        "monitor",
        data,
        "--against",
        "churn-model#production",
        "--labels",
        "target",
        "--predictions",
        "score",
        "--slice",
        "size",
        *args,
    )


def history(root: Path, name: str = "monitoring/history.jsonl") -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / name).read_text().splitlines()]


def test_same_distribution_raises_no_alert(project: Project) -> None:
    for day in (1, 2, 3):
        result = monitor(
            project.batch(f"day{day}.csv"),
            "--rules",
            "rules/live.yaml",
            "--window-time",
            f"2026-11-0{day}T00:00:00Z",
        )
        assert result.exit_code == 0, result.output
        assert "No alert" in result.stdout
        assert (
            "Calibrated: a column drifts when its change is credible for these batch and reference sizes"
            in result.stdout
        )
    runs = history(project.root)
    assert [r["alerts"] for r in runs] == [[], [], []]
    last = runs[-1]
    assert (last["artifact"], last["version"], last["ref"]) == (
        "churn-model",
        "v1.0.0",
        "churn-model#production",
    )
    assert last["time"] == "2026-11-03T00:00:00Z" and last["rows"] == 240 and last["label_coverage"] == 1.0
    assert set(last["features"]) == set(FEATURES) | {"size"}  # labels and predictions are not features
    assert last["offline_source"] == "tag churn-model@v1.0.0"
    assert "accuracy" in last["offline_gap"]["overall"]
    assert set(last["metrics"]["slices"]) == {"size=large", "size=small"}


def test_shifted_batch_alerts_after_consecutive_windows(project: Project) -> None:
    codes = []
    for day in (1, 2, 3, 4):
        result = monitor(
            project.batch(f"shift{day}.csv", shift=0.5),
            "--rules",
            "rules/live.yaml",
            "--window-time",
            f"2026-11-0{day}T00:00:00Z",
            "--history",
            "monitoring/prod.jsonl",
        )
        codes.append(result.exit_code)
        if day == 2:
            assert "waiting 2/3" in result.stdout and "No alert fired." in result.stdout
    assert codes == [0, 0, 1, 1]
    assert "alert(s) fired" in result.stderr and "drift:mean radius" in result.stderr
    runs = history(project.root, "monitoring/prod.jsonl")
    assert [bool(r["alerts"]) for r in runs] == [False, False, True, True]
    fired = runs[2]["alerts"]
    assert {"drift:mean radius", "drift:mean texture", "drift:worst area"} <= {a["rule"] for a in fired}
    assert all(a["id"] == f"{runs[2]['id']}/{a['rule']}" and a["severity"] == "error" for a in fired)

    report = mlops("alerts", "report", "--history", "monitoring/prod.jsonl")
    assert report.exit_code == 0, report.output
    assert "drift:worst area" in report.stdout and "4 runs" in report.stdout
    alert_id = fired[0]["id"]
    ack = mlops(
        "alerts", "ack", alert_id, "--ignored", "--history", "monitoring/prod.jsonl", "--by", "oncall"
    )
    assert ack.exit_code == 0, ack.output
    assert ack.stdout.strip() == f"{alert_id}: ignored (by oncall)"
    data = json.loads(mlops("alerts", "report", "--history", "monitoring/prod.jsonl", "--json").stdout)
    rule = next(r for r in data["rules"] if r["rule"] == fired[0]["rule"])
    assert (rule["fired"], rule["ignored"], rule["unacknowledged"]) == (2, 1, 1)
    assert history(project.root, "monitoring/prod.jsonl")[-1] | {"time": "t"} == {
        "type": "ack",
        "schema": 1,
        "alert": alert_id,
        "resolution": "ignored",
        "time": "t",
        "by": "oncall",
    }


def test_a_new_version_starts_a_new_streak(project: Project) -> None:
    from mlops.registry.write import assign, register

    for day in (1, 2):
        monitor(
            project.batch(f"s{day}.csv", shift=0.5),
            "--consecutive",
            "3",
            "--window-time",
            f"2026-11-0{day}T00:00:00Z",
        )
    git(project.root, "commit", "-q", "--allow-empty", "-m", "retrain")
    register(project.root, "churn-model", version="v1.1.0")
    assign(project.root, "churn-model", "v1.1.0", "production")
    result = monitor(project.batch("s3.csv", shift=0.5), "--consecutive", "3")
    assert result.exit_code == 0 and "waiting 1/3" in result.stdout
    assert history(project.root)[-1]["version"] == "v1.1.0"


def test_degradation_confined_to_one_slice_is_named(project: Project) -> None:
    result = monitor(project.batch("slice.csv", rows=600, flip_slice="large", flip_share=0.5))
    assert result.exit_code == 1, result.output
    assert "metrics:size=large" in result.stdout and "Degraded: size=large." in result.stdout
    record = history(project.root)[-1]
    rules = {a["rule"]: a for a in record["alerts"]}
    assert "metrics:size=large" in rules and "metrics:size=small" not in rules  # overall may drop too
    assert rules["metrics:size=large"]["message"].startswith("slice size=large (")
    assert not any(r.startswith("drift:") for r in rules)
    small = record["metrics"]["slices"]["size=small"]["accuracy"]
    large = record["metrics"]["slices"]["size=large"]["accuracy"]
    assert large < small - 0.2


def test_label_lag_excludes_immature_rows(project: Project) -> None:
    def times(frame: pd.DataFrame) -> list[str]:
        return ["2026-11-01T00:00:00Z" if i % 2 else "2026-11-22T00:00:00Z" for i in range(len(frame))]

    def garbage(frame: pd.DataFrame) -> pd.Series:  # recent rows: labels not settled yet, mostly wrong
        recent = pd.Series([i % 2 == 0 for i in range(len(frame))])
        return frame["target"].where(~recent, 1 - frame["target"])

    batch = project.batch("lag.csv", rows=400, ts=times)
    frame = pd.read_csv(project.root / batch)
    frame["target"] = garbage(frame)
    frame.to_csv(project.root / batch, index=False)
    write(project.root, "rules/lag.yaml", "kind: Rules\nversion: 1\nlabels: {delay: 14d, timestamp: ts}\n")
    git(project.root, "add", "rules/lag.yaml")
    git(project.root, "commit", "-q", "-m", "lag")
    args = ("--window-time", "2026-11-24T00:00:00Z")
    result = monitor(batch, "--rules", "rules/lag.yaml", *args)
    assert result.exit_code == 0, result.output
    assert "200 of 400 rows have a label that counts (coverage 50%)" in result.stdout
    assert "rows after 2026-11-10T00:00:00Z are not mature yet" in result.stdout
    record = history(project.root)[-1]
    assert record["label_coverage"] == 0.5 and record["metrics"]["overall"]["rows"] == 200
    assert record["metrics"]["overall"]["accuracy"] > 0.85
    naive = monitor(batch, *args)  # without the lag, the unsettled labels look like a collapse
    assert naive.exit_code == 1 and "metrics" in naive.stderr


def test_one_hundred_noise_columns_end_to_end(git_repo: Path) -> None:
    rng = np.random.default_rng(3)
    pd.DataFrame({f"n{i:03d}": rng.normal(size=1500) for i in range(100)}).to_csv(
        git_repo / "ref.csv", index=False
    )
    git(git_repo, "add", "ref.csv")
    git(git_repo, "commit", "-q", "-m", "ref")
    pd.DataFrame({f"n{i:03d}": rng.normal(size=1000) for i in range(100)}).to_csv(
        git_repo / "b.csv", index=False
    )
    base = (
        "monitor",
        "b.csv",
        "--against",
        "HEAD:ref.csv",
        "--p-value",
        "--method",
        "ks",
        "--json",
        "--dry-run",
    )
    raw = mlops(*base, "--correction", "none")  # uncorrected: about 5 of 100 noise columns "drift"
    plain = json.loads(raw.stdout)
    assert 2 <= len(plain["alerts"]) <= 10 and raw.exit_code == 1
    for correction in ("bonferroni", "benjamini-hochberg", None):  # None: the default, bonferroni
        result = mlops(*base, *(("--correction", correction) if correction else ()))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["alerts"] == []
    assert not (git_repo / "monitoring").exists()  # --dry-run


def test_profile_reference_and_reports(project: Project) -> None:
    from mlops.data.profile import build_profile

    (project.root / "data" / "train.profile.json").write_text(build_profile(project.train).to_json())
    text = (project.root / "promotion.yaml").read_text()
    (project.root / "promotion.yaml").write_text(
        text.replace("training_data:", "profile: data/train.profile.json\n    training_data:")
    )
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "profile")
    batch = project.batch("p.csv")
    # churn-model#production is still the old commit: no profile there yet, so the training data is used
    result = monitor(batch, "--format", "markdown", "--dry-run")
    assert "Reference: data/train.csv (data, 320 rows)" in result.stdout
    result = mlops(
        "monitor",
        batch,
        "--against",
        "HEAD",
        "--labels",
        "target",
        "--predictions",
        "score",
        "--rules",
        "rules/live.yaml",
        "--format",
        "html",
        "-o",
        "report.html",
    )
    assert result.exit_code == 0, result.output
    page = (project.root / "report.html").read_text()
    assert "data/train.profile.json (profile" in page and "<svg" in page
    assert (
        not re.search(r"""(src|href)=["']?https?:""", page) and "<script" not in page and "<link" not in page
    )
    record = history(project.root)[-1]
    assert record["version"] is None and record["reference"]["kind"] == "profile"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--against", "churn-model#production"], "missing.csv: no such file"),
        (["live/x.csv", "--against", "churn-model#nowhere"], "nowhere"),
        (["live/x.csv", "--against", "churn-model#production", "--labels", "target"], "go together"),
        (
            [
                "live/x.csv",
                "--against",
                "churn-model#production",
                "--labels",
                "targt",
                "--predictions",
                "score",
            ],
            "did you mean `target`",
        ),
        (["live/x.csv"], "pass --against REF"),
        (["live/x.csv", "--against", "HEAD:nope.csv"], "nope.csv"),
        (["live/x.csv", "--against", "churn-model#production", "--window-time", "soon"], "ISO-8601"),
    ],
)
def test_monitor_cannot_proceed_exits_2(project: Project, args: list[str], message: str) -> None:
    project.batch("x.csv")
    result = mlops("monitor", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_artifact_without_training_data(git_repo: Path) -> None:
    write(
        git_repo,
        "promotion.yaml",
        "kind: Promotion\nversion: 1\nartifacts:\n  m: {path: m.pkl}\nstages:\n  prod: {}\n",
    )
    write(git_repo, "b.csv", "a\n1\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "p")
    result = mlops("monitor", "b.csv", "--against", "HEAD")
    assert result.exit_code == 2
    assert "neither `profile` nor `training_data`" in result.stderr


def test_alerts_commands_fail_cleanly(git_repo: Path) -> None:
    result = mlops("alerts", "report")
    assert result.exit_code == 2 and "no monitoring history yet" in result.stderr
    write(
        git_repo,
        "monitoring/history.jsonl",
        json.dumps(
            {
                "type": "run",
                "id": "r1",
                "time": "2026-11-01T00:00:00Z",
                "alerts": [{"id": "r1/drift:a", "rule": "drift:a"}],
            }
        )
        + "\n",
    )
    result = mlops("alerts", "ack", "r1/drift:b", "--acted")
    assert (
        result.exit_code == 2
        and "no alert `r1/drift:b`" in result.stderr
        and "did you mean `r1/drift:a`" in result.stderr
    )
    result = mlops("alerts", "ack", "r1/drift:a")
    assert result.exit_code == 2 and "--ignored or --acted" in result.stderr
    result = mlops("alerts", "ack", "r1/drift:a", "--acted", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["resolution"] == "acted"
    data = json.loads(mlops("alerts", "report", "--since", "2026-10-31", "--json").stdout)
    assert (data["runs"], data["alerts"]) == (1, 1)
    data = json.loads(mlops("alerts", "report", "--since", "2026-11-02T00:00:00Z", "--json").stdout)
    assert (data["runs"], data["alerts"]) == (0, 0)
    assert json.loads(mlops("alerts", "report", "--artifact", "other", "--json").stdout)["runs"] == 0
    result = mlops("alerts", "report", "--since", "last week")
    assert result.exit_code == 2 and "ISO-8601" in result.stderr


def test_help_has_examples() -> None:
    for args in (
        ["monitor", "--help"],
        ["alerts", "--help"],
        ["alerts", "report", "--help"],
        ["alerts", "ack", "--help"],
    ):
        result = mlops(*args)
        assert result.exit_code == 0 and "Examples:" in result.output
        assert result.output.split("Examples:", 1)[1].strip().startswith("mlops ")


def test_shared_alert_options_keep_each_commands_help() -> None:
    """`alerts report` and `alerts tune` declare --history/--noisy-share/--min-fired/--artifact/--since once;
    each command still says what the option means for it, in the same order, with its default."""
    helps = {name: mlops("alerts", name, "--help").output for name in ("report", "tune", "ack")}
    words = {name: " ".join(text.split()) for name, text in helps.items()}  # help text is wrapped
    assert "Flag a rule as noisy when at least this share of its alerts were ignored." in words["report"]
    assert "Tune rules when at least this share of their alerts were ignored." in words["tune"]
    assert "Judge noise only for rules that fired at least this often." in words["report"]
    assert "Tune only rules that fired at least this often." in words["tune"]
    for name in ("report", "tune"):
        flags = re.findall(r"^  (--[a-z-]+)", helps[name], re.M)
        assert flags.index("--noisy-share") < flags.index("--min-fired") < flags.index("--since")
        assert "[default: 0.3; 0<=x<=1]" in words[name] and "[default: 3; x>=1]" in words[name]
    for name in helps:
        assert "History file. [default: monitoring/history.jsonl]" in words[name]


def test_monitor_passes_every_policy_option_through(project: Project) -> None:
    """The monitor options are declared once (click) and reach the run under the MonitorOptions names."""
    batch = project.batch("same.csv")
    result = monitor(
        batch,
        "--consecutive",
        "4",
        "--min-drifted-columns",
        "2",
        "--correction",
        "benjamini-hochberg",
        "--alpha",
        "0.01",
        "--severity",
        "warn",
        "--max-metric-drop",
        "0.2",
        "--min-rows",
        "50",
        "--dry-run",
        "--json",
    )
    assert result.exit_code == 0, result.output
    policy = json.loads(result.stdout)["policy"]
    assert policy == {
        "consecutive": 4,
        "min_drifted_columns": 2,
        "correction": "benjamini-hochberg",
        "alpha": 0.01,
        "severity": "warn",
        "max_metric_drop": 0.2,
        "min_rows": 50,
    }


def test_quality_rules_fire_at_once_with_their_severity(project: Project) -> None:
    write(
        project.root,
        "rules/quality.yaml",
        """kind: Rules
version: 1
columns:
  mean radius: {min: 0}
  mean texture: {max: {value: 30, severity: warn, max_fail: 0}}
alert: {consecutive: 3}
""",
    )
    bad = project.batch("neg.csv", **{"mean radius": lambda f: -f["mean radius"]})
    result = monitor(bad, "--rules", "rules/quality.yaml")
    assert result.exit_code == 1, result.output
    record = history(project.root)[-1]
    severities = {a["rule"]: a["severity"] for a in record["alerts"]}
    assert severities["quality:mean radius.min"] == "error"  # a hard error does not wait 3 windows
    assert severities.get("quality:mean texture.max") in (None, "warn")
    assert "Data quality" in result.stdout and "mean radius.min" in result.stdout
    fine = project.batch("fine.csv", **{"mean texture": 10.0})
    result = monitor(fine, "--rules", "rules/quality.yaml")
    assert result.exit_code == 0, result.output
    assert history(project.root)[-1]["quality"]["passed"] is True


def test_regression_model_against_earlier_windows(git_repo: Path) -> None:
    """No offline metrics (a REF:PATH reference): each window is compared with the median of the earlier ones."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    data = load_diabetes(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, live = data.iloc[:250], data.iloc[250:].reset_index(drop=True)
    features = [c for c in data.columns if c != "target"]
    model = LinearRegression().fit(train[features], train["target"])
    train.to_csv(git_repo / "diabetes.csv", index=False)
    git(git_repo, "add", "diabetes.csv")
    git(git_repo, "commit", "-q", "-m", "reference")
    rng = np.random.default_rng(0)

    def window(name: str, noise: float) -> Result:
        batch = live.sample(n=150, replace=True, random_state=int(rng.integers(1000))).reset_index(drop=True)
        batch["pred"] = model.predict(batch[features]) + rng.normal(0, noise, len(batch))
        batch.to_csv(git_repo / name, index=False)
        return mlops(
            "monitor",
            name,
            "--against",
            "HEAD:diabetes.csv",
            "--labels",
            "target",
            "--predictions",
            "pred",
            "--max-metric-drop",
            "0.25",
            "--min-drifted-columns",
            "6",
            "--json",
        )

    first = window("w1.csv", 0.0)
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    assert record["metrics"]["task"] == "regression" and set(record["metrics"]["overall"]) == {
        "rows",
        "mae",
        "rmse",
    }
    assert record["artifact"] is None and record["offline_gap"] == {"overall": {}, "slices": {}}
    assert window("w2.csv", 0.0).exit_code == 0
    worse = window("w3.csv", 120.0)
    assert worse.exit_code == 1
    alerts = {a["rule"]: a for a in json.loads(worse.stdout)["alerts"]}
    assert "median of 2 earlier windows" in alerts["metrics"]["message"]
    assert "prediction_drift" in alerts  # noisier predictions are spread wider than in the first window


def test_scores_column_gives_roc_auc(project: Project) -> None:
    batch = project.batch("scores.csv", pred=lambda f: (f["score"] >= 0.5).astype(int))
    result = mlops(
        "monitor",
        batch,
        "--against",
        "churn-model#production",
        "--labels",
        "target",
        "--predictions",
        "pred",
        "--scores",
        "score",
        "--json",
        "--dry-run",
        "--min-drifted-columns",
        "4",
    )
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["metrics"]["overall"]
    assert overall["roc_auc"] > 0.9 and overall["predicted_positives"] > 0
    without = json.loads(
        mlops(
            "monitor",
            batch,
            "--against",
            "churn-model#production",
            "--labels",
            "target",
            "--predictions",
            "pred",
            "--json",
            "--dry-run",
        ).stdout
    )
    assert without["metrics"]["overall"]["roc_auc"] is None


def test_benchmark_smoke(tmp_path: Path) -> None:
    """benchmarks/monitor.py runs (tiny, mlops side only); the real numbers come from running it by hand."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "monitor.py"
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            "--rows",
            "3000",
            "--repeat",
            "1",
            "--no-evidently",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 columns drifted" in proc.stdout


def test_history_is_what_the_promotion_monitor_gate_reads(project: Project) -> None:
    """Contract with the `monitor:` gate (mlops.promotion.history): same records, same verdicts."""
    from datetime import datetime, timedelta, timezone

    from mlops.promotion.history import check_quiet, parse_history

    monitor(project.batch("q1.csv"), "--rules", "rules/live.yaml", "--window-time", "2026-11-20T00:00:00Z")
    monitor(project.batch("q2.csv"), "--rules", "rules/live.yaml", "--window-time", "2026-11-21T12:00:00Z")
    raw = (project.root / "monitoring" / "history.jsonl").read_bytes()
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    assert check_quiet(parse_history(raw), "churn-model", "v1.0.0", timedelta(hours=24), now).passed
    result = monitor(
        project.batch("q3.csv", shift=0.5), "--consecutive", "1", "--window-time", "2026-11-21T18:00:00Z"
    )
    assert result.exit_code == 1
    parsed = parse_history((project.root / "monitoring" / "history.jsonl").read_bytes())
    assert parsed.skipped == 0 and len(parsed.runs) == 3
    verdict = check_quiet(parsed, "churn-model", "v1.0.0", timedelta(hours=24), now)
    assert not verdict.passed and "error alert(s) in the last 1d" in verdict.message


def test_warn_severity_records_but_exits_0(project: Project) -> None:
    result = monitor(project.batch("warn.csv", shift=0.5), "--severity", "warn")
    assert result.exit_code == 0, result.output
    assert "alert(s) fired (0 error)" in result.stderr
    record = history(project.root)[-1]
    assert record["alerts"] and {a["severity"] for a in record["alerts"]} == {"warn"}


def test_api_from_outside_the_repository(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops import api

    batch = project.root / project.batch("api.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = api.monitor_batch(
        batch,
        against="churn-model#production",
        labels="target",
        predictions="score",
        root=project.root,
        consecutive=2,
    )
    assert result.record["version"] == "v1.0.0" and result.history_path == "monitoring/history.jsonl"
    assert "Live metrics" in api.monitor_report(result, "markdown")
    report = api.alerts_report(project.root / "monitoring" / "history.jsonl")
    assert report.runs == 1
    with pytest.raises(Exception, match="not a Git repository"):
        api.monitor_batch(batch, against="churn-model#production")
