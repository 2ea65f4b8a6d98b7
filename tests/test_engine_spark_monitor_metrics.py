"""`mlops monitor --engine spark --labels ... --predictions ...`: live metrics overall and per slice, label
coverage and prediction drift are computed as aggregates on the executors and equal the pandas engine's
(classification with scores, probabilities as predictions, multiclass text, regression, numbers against text,
missing values, a label delay, a slice column with more than 50 values); only aggregates reach the driver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import git, write
from tests.spark_fixtures import spark  # noqa: F401 - the session fixture: small memory, no UI
from tests.test_engine_spark_monitor import PROMOTION, close, monitor

pytestmark = pytest.mark.spark

WINDOW = ["--window-time", "2024-03-01T00:00:00Z"]


def scored(rows: int, seed: int) -> pd.DataFrame:
    """Features, labels of every kind, predictions, scores with ties, slices and event times, with gaps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    prob = np.round(np.clip(y * 0.35 + rng.random(rows) * 0.65, 0, 1), 2)  # ties
    labels = pd.array(y, dtype="Int64")
    labels[rng.random(rows) < 0.05] = pd.NA  # an integer column with nulls: floats in pandas
    prob[rng.random(rows) < 0.03] = np.nan
    words = np.array(["a", "b", " c", "c"], dtype=object)
    multiclass = rng.choice(words, rows)
    guess = np.where(rng.random(rows) < 0.7, multiclass, rng.choice(words, rows)).astype(object)
    guess[rng.random(rows) < 0.04] = None
    target = rng.normal(50, 10, rows)
    estimate = target + rng.normal(0, 3, rows)
    estimate[rng.random(rows) < 0.02] = np.nan
    estimate[:3] = np.inf  # left out of the errors, as pandas leaves them out
    region = rng.choice(
        np.array(["north", "south", "east", None], dtype=object), rows, p=[0.4, 0.3, 0.2, 0.1]
    )
    times = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 60 * 24, rows), unit="h")
    text_times = times.strftime("%Y-%m-%d %H:%M").to_numpy(dtype=object)
    text_times[rng.random(rows) < 0.03] = "not a time"
    text_times[rng.random(rows) < 0.03] = None
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 20, rows),
            "y": labels,
            "pred": (prob >= 0.6).astype(np.int64),
            "prob": prob,
            "score": np.round(rng.random(rows) * 0.5 + y * 0.3, 1),
            "yc": multiclass,
            "pc": guess,
            "target": target,
            "estimate": estimate,
            "region": region,
            "shop": _shops(rng, rows),
            "till": rng.integers(0, 70, rows),  # 70 slices, ties at the 50th: broken by first appearance
            "plan": rng.choice(np.array(["basic", "pro"], dtype=object), rows),
            "digits": np.where(prob >= 0.5, " 1", "0").astype(object),  # numbers as text: compared as text
            "ts": times,
            "ts_text": text_times,
        }
    )


def _shops(rng: np.random.Generator, rows: int) -> np.ndarray:
    """70 numeric slices (the top 50 and `truncated`) of distinct sizes, so that which 50 are the top does not
    hang on the read order (Spark reads a folder's files largest first); the rest missing: `(null)`."""
    values = np.repeat(np.arange(70) * 1.0, np.arange(70) + 20)[:rows]
    values = np.concatenate([values, np.full(rows - values.size, np.nan)])
    return rng.permutation(values)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any) -> Path:  # noqa: F811
    git(tmp_path, "init", "-q")
    (tmp_path / "data").mkdir()
    scored(2_000, 1).to_parquet(tmp_path / "data" / "train.parquet")
    write(tmp_path, "promotion.yaml", PROMOTION)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "train")
    spark.createDataFrame(scored(4_000, 2)).repartition(3).write.parquet(str(tmp_path / "batch"))
    one = pd.read_parquet(tmp_path / "batch")  # the same rows, one file
    one.to_parquet(tmp_path / "batch.parquet", coerce_timestamps="us", allow_truncated_timestamps=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record(report: dict[str, Any]) -> dict[str, Any]:
    return report.get("record", report)


CASES = {
    "binary with scores, delay": [
        *("--labels", "y", "--predictions", "pred", "--scores", "score"),
        *("--slice", "region", "--slice", "shop", "--label-delay", "14d", "--timestamp", "ts"),
    ],
    "probabilities, text times": [
        *("--labels", "y", "--predictions", "prob", "--slice", "region"),
        *("--label-delay", "7d", "--timestamp", "ts_text"),
    ],
    "multiclass text": ["--labels", "yc", "--predictions", "pc", "--slice", "region", "--slice", "shop"],
    "positive class": [
        "--labels",
        "yc",
        "--predictions",
        "pc",
        "--positive",
        "c",
        "--task",
        "classification",
    ],
    "numbers against digits": ["--labels", "y", "--predictions", "digits", "--slice", "region"],
    "regression": ["--labels", "target", "--predictions", "estimate", "--slice", "region", "--slice", "shop"],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_live_metrics_on_spark_equal_the_pandas_engine(repo: Path, case: str) -> None:
    args = [*CASES[case], *WINDOW]
    code_pandas, expected, err = monitor("batch.parquet", "pandas", *args)
    code_spark, got, err_spark = monitor("batch", "spark", *args)
    assert code_spark == code_pandas, err_spark
    want, have = record(expected), record(got)
    assert want["metrics"] is not None, err
    for key in ("metrics", "labels", "label_coverage", "prediction_drift", "offline_gap"):
        close(want[key], have[key], key, 1e-9)
    assert [c["rule"] for c in want["candidates"]] == [c["rule"] for c in have["candidates"]]
    overall = have["metrics"]["overall"]
    assert overall["rows"] > 0
    if "score" in CASES[case] or "prob" in CASES[case]:
        assert isinstance(overall["roc_auc"], float)
    if "shop" in CASES[case]:
        assert have["metrics"]["truncated"] == {"shop": 71}
        assert sum(k.startswith("shop=") for k in have["metrics"]["slices"]) == 50
    if "region" in CASES[case]:
        assert "region=(null)" in have["metrics"]["slices"]


def test_numbers_against_text_is_refused_on_spark_as_on_pandas(repo: Path) -> None:
    args = ["--labels", "y", "--predictions", "plan", *WINDOW]
    code_pandas, _, err_pandas = monitor("batch.parquet", "pandas", *args)
    code_spark, _, err_spark = monitor("batch", "spark", *args)
    assert code_pandas == code_spark == 2
    assert "--predictions column `plan` holds text" in err_spark
    assert err_spark == err_pandas


def test_binary_metrics_on_spark_equal_pandas(repo: Path) -> None:
    """The default suite's one run: scores, a delay and a slice with ties at the 50th value, on one file
    (Spark reads it in the pandas engine's order)."""
    args = [*CASES["binary with scores, delay"], "--slice", "till", *WINDOW]
    _, expected, _ = monitor("batch.parquet", "pandas", *args)
    code, got, err = monitor("batch.parquet", "spark", *args)
    assert code in (0, 1) and got, err
    close(record(expected)["metrics"], record(got)["metrics"], "metrics", 1e-9)
    close(record(expected)["labels"], record(got)["labels"], "labels", 0)
    assert record(got)["labels"]["delay"] == "14d" and 0 < record(got)["label_coverage"] < 1
    assert record(got)["metrics"]["truncated"] == {"shop": 71, "till": 70}


def _edge_frames() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    rng = np.random.default_rng(7)
    n = 1_500
    y = rng.integers(0, 2, n)
    flags = pd.array(y.astype(bool), dtype="boolean")
    flags[:50] = pd.NA
    three = rng.integers(0, 3, n)
    scores = rng.random(n)
    scores[:40], scores[40:45] = np.nan, np.inf
    halves = rng.integers(0, 4, n) * 0.5
    halves[:30] = np.nan
    times = pd.Series(
        pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h")
    )
    return {
        "booleans with nulls against 0.0/1.0 classes": (
            pd.DataFrame({"y": flags, "p": (rng.random(n) < 0.5).astype(float)}),
            {},
        ),
        "text digits against integers": (
            pd.DataFrame({"y": np.where(y == 1, "1", "0").astype(object), "p": y}),
            {},
        ),
        "non-integral labels as classes": (
            pd.DataFrame({"y": y + 0.5, "p": y + 0.5}),
            {"task": "classification"},
        ),
        "text numbers in a regression": (
            pd.DataFrame({"y": np.array(["1.5", "2"] * (n // 2), dtype=object), "p": rng.random(n)}),
            {"task": "regression"},
        ),
        "text that is not a number in a regression": (
            pd.DataFrame({"y": np.array(["1.5", "x"] * (n // 2), dtype=object), "p": rng.random(n)}),
            {"task": "regression"},
        ),
        "no prediction at all": (pd.DataFrame({"y": y, "p": np.full(n, np.nan)}), {}),
        "three classes, scores, slices with two": (
            pd.DataFrame(
                {
                    "y": three,
                    "p": rng.integers(0, 3, n),
                    "s": scores,
                    "g": np.where(three == 2, "two", rng.choice(["a", "b"], n)).astype(object),
                }
            ),
            {"scores": "s", "slices": ["g"]},
        ),
        "float, boolean and empty-text slices": (
            pd.DataFrame(
                {
                    "y": y,
                    "p": rng.random(n).round(2),
                    "f": halves,
                    "b": rng.random(n) < 0.5,
                    "e": rng.choice(["", "x"], n),
                }
            ),
            {"slices": ["f", "b", "e"]},
        ),
        "a positive class no label has": (
            pd.DataFrame({"y": y, "p": rng.integers(0, 2, n)}),
            {"positive": "7"},
        ),
        "epoch seconds as event times": (
            pd.DataFrame({"y": y, "p": y, "t": (times.astype("int64") // 10**9).astype(float)}),
            {"delay": "14d", "timestamp": "t"},
        ),
        "event times without a zone": (
            pd.DataFrame({"y": y, "p": y, "t": times.dt.tz_localize(None)}),
            {"delay": "14d", "timestamp": "t"},
        ),
    }


EDGES = _edge_frames()


@pytest.mark.slow
@pytest.mark.parametrize("case", list(EDGES))
def test_edge_cases_equal_the_pandas_engine(tmp_path: Path, spark: Any, case: str) -> None:  # noqa: F811
    """The same function the CLI calls, on files both engines read: answers, or errors, are the same."""
    from datetime import datetime, timezone

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlops.data.source import DataSource, read_frame
    from mlops.errors import MlopsError
    from mlops.monitor.run import Batch, MonitorOptions, _metrics
    from mlops.monitor.spark_metrics import live_metrics

    frame, extra = EDGES[case]
    extra = dict(extra)
    delay, timestamp = extra.pop("delay", None), extra.pop("timestamp", None)
    path = tmp_path / "batch.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, coerce_timestamps="us")
    options = MonitorOptions(data=str(path), labels="y", predictions="p", **extra)
    source = DataSource.from_path(str(path), None)
    batch = Batch(source, "pandas", source.schema(), read_frame(source))
    window = datetime(2024, 3, 1, tzinfo=timezone.utc)

    def answer(run: Any) -> Any:
        try:
            return run()
        except MlopsError as exc:
            return type(exc).__name__, str(exc)

    want = answer(lambda: _metrics(batch, options, window, delay, timestamp))
    got = answer(lambda: live_metrics(spark.read.parquet(str(path)), options, window, delay, timestamp))
    close(list(want), list(got), case, 1e-9)
