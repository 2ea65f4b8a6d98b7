"""`mlops monitor --engine spark`: the batch is profiled on the executors and its drift statistics equal the
pandas engine's (within the sketches' error), for a path and for a table name; only aggregates reach the
driver; a batch Spark cannot find is a clear exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import git, invoke, write
from tests.spark_fixtures import spark  # noqa: F401 - the session fixture: small memory, no UI

pytestmark = pytest.mark.spark

PROMOTION = (
    "kind: Promotion\nversion: 1\nartifacts:\n  churn-model:\n"
    "    path: m.pkl\n    training_data: data/train.parquet\nstages:\n  production: {}\n"
)


def batch(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.normal(100 + shift * 40, 20, rows)
    amount[rng.random(rows) < 0.05] = np.nan
    age = pd.array(rng.integers(18, 90, rows), dtype="Int64")
    age[rng.random(rows) < 0.03] = pd.NA
    share = [0.5 - shift / 4, 0.3, 0.2 + shift / 4]
    plan = rng.choice(np.array(["basic", "pro", "team"], dtype=object), rows, p=share)
    city = rng.choice(np.array(["Zürich", "東京", ""], dtype=object), rows)
    return pd.DataFrame({"amount": amount, "age": age, "plan": plan, "city": city})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any) -> Path:  # noqa: F811
    git(tmp_path, "init", "-q")
    (tmp_path / "data").mkdir()
    batch(3_000, 1).to_parquet(tmp_path / "data" / "train.parquet")
    write(tmp_path, "promotion.yaml", PROMOTION)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "train")
    batch(5_000, 2, shift=1.0).to_parquet(tmp_path / "drifted.parquet")
    batch(5_000, 3).to_parquet(tmp_path / "steady.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def monitor(data: str, engine: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    args = ["monitor", data, "--against", "HEAD", "--artifact", "churn-model", "--dry-run", "--json"]
    code, out, err = invoke(*args, "--engine", engine, *extra)
    return code, (json.loads(out) if out.strip().startswith("{") else {}), err


def close(a: Any, b: Any, what: str, tol: float) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), what
        for key in a:
            close(a[key], b[key], f"{what}.{key}", tol)
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        assert math.isclose(a, b, rel_tol=tol, abs_tol=tol) or (math.isnan(a) and math.isnan(b)), what
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{what}[{i}]", tol)
    else:
        assert a == b, what


def features(report: dict[str, Any]) -> dict[str, Any]:
    record = report.get("record", report)
    return record["features"]


@pytest.mark.parametrize("data", ["drifted.parquet", "steady.parquet"])
def test_monitor_on_spark_gives_the_pandas_drift_statistics(repo: Path, data: str) -> None:
    code_pandas, expected, err = monitor(data, "pandas")
    code_spark, got, err_spark = monitor(data, "spark")
    assert code_spark == code_pandas, err_spark
    assert expected and got, err + err_spark
    # 5,000 rows: every sketch is exact on both engines, so the statistics agree up to summation order
    close(features(expected), features(got), "features", 1e-9)
    assert set(features(got)) == {"amount", "age", "plan", "city"}
    record = got.get("record", got)
    assert record["rows"] == 5_000
    drifted = record["drift"]["drifted"]
    assert bool(drifted) == (data == "drifted.parquet")


def test_monitor_a_table_name_on_spark(repo: Path, spark: Any) -> None:  # noqa: F811
    spark.createDataFrame(batch(5_000, 2, shift=1.0)).createOrReplaceTempView("live_batch")
    _, expected, _ = monitor("drifted.parquet", "pandas")
    code, got, err = monitor("live_batch", "spark")
    assert code in (0, 1) and got, err
    close(features(expected), features(got), "features", 1e-9)
    assert got.get("record", got)["data"] == "live_batch"


def test_a_batch_spark_cannot_find_is_exit_2(repo: Path) -> None:
    code, _, err = monitor("no_such_table", "spark")
    assert code == 2, err
    assert "no_such_table: no such file or table" in err


def test_monitor_on_spark_collects_only_aggregates(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    spark: Any,  # noqa: F811
) -> None:
    """Driver memory: no row of the batch reaches the driver, only one partial per partition and, for live
    metrics, counts per (slice, label, prediction) and per-slice sums: a number of rows that depends on the
    slices and classes, never on the batch's size."""
    path = repo / "big.parquet"
    frame = batch(40_000, 4, shift=0.5)
    rng = np.random.default_rng(4)
    labels = pd.array(rng.integers(0, 2, len(frame)), dtype="Int64")
    labels[rng.random(len(frame)) < 0.05] = pd.NA
    frame["churned"] = labels
    frame["score"] = np.clip(rng.random(len(frame)) * 0.7 + frame["churned"].fillna(0).to_numpy() * 0.3, 0, 1)
    spark.createDataFrame(frame).repartition(4).write.parquet(str(path))
    fetched: list[int] = []
    DataFrame = type(spark.range(1))  # pyspark 4: the classic DataFrame overrides the base class' methods
    original = DataFrame.toLocalIterator, DataFrame.collect

    def counted_iterator(self: Any, *args: Any) -> Any:
        for row in original[0](self, *args):
            fetched.append(1)
            yield row

    def counted_collect(self: Any) -> Any:
        rows = original[1](self)
        fetched.extend([1] * len(rows))
        return rows

    def refused(self: Any, *args: Any) -> Any:
        raise AssertionError("rows of the batch were brought to the driver")

    monkeypatch.setattr(DataFrame, "toLocalIterator", counted_iterator)
    monkeypatch.setattr(DataFrame, "collect", counted_collect)
    monkeypatch.setattr(DataFrame, "toPandas", refused)
    code, got, err = monitor("big.parquet", "spark")
    assert code in (0, 1) and got, err
    assert got.get("record", got)["rows"] == 40_000
    assert 0 < len(fetched) <= 16  # one profile partial per partition, nothing per row
    fetched.clear()
    metrics = ("--labels", "churned", "--predictions", "score", "--slice", "plan", "--slice", "age")
    code, got, err = monitor("big.parquet", "spark", *metrics)
    assert code in (0, 1) and got, err
    record = got.get("record", got)
    assert record["labels"]["counted"] == record["labels"]["labeled"] == int((~labels.isna()).sum())
    assert isinstance(record["metrics"]["overall"]["roc_auc"], float)
    assert record["metrics"]["truncated"] == {"age": 73}  # 72 ages and the missing ones: the top 50 kept
    # profiles (2 x 4 partitions); per-partition sizes; the label and pairs of each slice (plan: 3, age: 50)
    # with their ROC AUC: a few hundred rows, whatever the batch's size
    assert 0 < len(fetched) <= 500, len(fetched)


@pytest.mark.slow
def test_sketches_merged_across_partitions_stay_within_their_error(repo: Path, spark: Any) -> None:  # noqa: F811
    """Past 32,768 values a partition's sketch compresses: drift statistics stay within the stated error."""
    path = repo / "large.parquet"
    spark.createDataFrame(batch(120_000, 5, shift=0.3)).repartition(3).write.parquet(str(path))
    pd.read_parquet(path).to_parquet(repo / "large-one.parquet")
    _, expected, _ = monitor("large-one.parquet", "pandas")
    code, got, err = monitor("large.parquet", "spark")
    assert code in (0, 1) and got, err
    want, have = features(expected), features(got)
    assert want.keys() == have.keys()
    for name in ("plan", "city"):  # categories are counted exactly
        close(want[name], have[name], name, 1e-9)
    for name in ("amount", "age"):
        for key, value in want[name].items():
            if isinstance(value, float) and key in ("statistic", "ks", "psi", "wasserstein"):
                assert math.isclose(value, have[name][key], abs_tol=4 / 8192, rel_tol=0.02), (name, key)
