"""Live metrics (numpy) against scikit-learn's, and the label lag."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from mlops.errors import InputError, UsageError
from mlops.monitor import metrics as m
from mlops.monitor.labels import label_window, parse_duration, parse_time


def _binary(seed: int = 0, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    scores[:100] = 0.5  # ties
    return y, scores


def test_binary_probabilities_match_sklearn() -> None:
    y, scores = _binary()
    got = m.compute(m.prepare(y, scores))
    pred = (scores >= 0.5).astype(int)
    assert got["rows"] == len(y)
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    assert got["precision"] == pytest.approx(sk.precision_score(y, pred))
    assert got["recall"] == pytest.approx(sk.recall_score(y, pred))
    assert got["f1"] == pytest.approx(sk.f1_score(y, pred))
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(y, scores))


def test_class_predictions_with_separate_scores() -> None:
    y, scores = _binary(1)
    pred = (scores >= 0.6).astype(int)
    got = m.compute(m.prepare(y, pred, scores))
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(y, scores))
    assert m.compute(m.prepare(y, pred))["roc_auc"] is None  # classes alone: no AUC


def test_string_labels_and_positive_class() -> None:
    y, scores = _binary(2)
    words = np.array(["stay", "churn"])[y]
    pred = np.array(["stay", "churn"])[(scores >= 0.5).astype(int)]
    got = m.compute(m.prepare(words, pred, positive="churn"))
    assert got["precision"] == pytest.approx(sk.precision_score(words, pred, pos_label="churn"))
    yes_no = np.array(["no", "yes"])[y]
    got = m.compute(m.prepare(yes_no, scores))  # "yes" is the positive class, scores are its probability
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(y, scores))


def test_bool_labels_with_float_class_predictions() -> None:
    y, scores = _binary(3)
    pred = (scores >= 0.5).astype(float)  # 0.0 / 1.0: classes, not probabilities
    got = m.compute(m.prepare(y.astype(bool), pred))
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(y, pred.astype(int)))


def test_multiclass_macro_averages() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 600)
    pred = np.where(rng.random(600) < 0.7, y, rng.integers(0, 3, 600))
    got = m.compute(m.prepare(y, pred))
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    assert got["precision"] == pytest.approx(sk.precision_score(y, pred, average="macro"))
    assert got["recall"] == pytest.approx(sk.recall_score(y, pred, average="macro"))
    assert got["f1"] == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert got["roc_auc"] is None


def test_regression() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(10, 3, 500)
    pred = y + rng.normal(0, 1, 500)
    prep = m.prepare(y, pred)
    assert prep.task == "regression"
    got = m.compute(prep)
    assert got["mae"] == pytest.approx(sk.mean_absolute_error(y, pred))
    assert got["rmse"] == pytest.approx(np.sqrt(sk.mean_squared_error(y, pred)))
    with pytest.raises(InputError):
        m.prepare(np.array(["a", "b"]), np.array(["a", "b"]), task="regression")


def test_roc_auc_degenerate() -> None:
    assert m.roc_auc(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3])) is None
    assert m.roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_slices() -> None:
    y = np.array([1, 0, 1, 1, 0, 0])
    pred = np.array([1, 0, 0, 1, 0, 1])
    seg = np.array(["a", "a", "b", "b", None, "a"], dtype=object)
    got = m.evaluate(m.prepare(y, pred), {"seg": seg})
    assert set(got["slices"]) == {"seg=a", "seg=b", "seg=(null)"}
    assert got["slices"]["seg=b"]["accuracy"] == pytest.approx(0.5)
    assert got["slices"]["seg=a"]["rows"] == 3
    assert got["overall"]["rows"] == 6


def test_empty_rows() -> None:
    got = m.classification_metrics(np.array([], dtype=int), np.array([], dtype=int))
    assert got["rows"] == 0 and got["accuracy"] is None


# -- label lag ----------------------------------------------------------------------------------------------


def test_label_lag_excludes_immature_rows() -> None:
    frame = pd.DataFrame(
        {
            "y": [1, 0, None, 1, 0],
            "p": [1, 1, 0, 0, 1],
            "ts": ["2026-11-01", "2026-11-20T00:00:00Z", "2026-11-01", "garbage", "2026-11-10T00:00:00Z"],
        }
    )
    w = label_window(
        frame, "y", "p", window_time=parse_time("2026-11-24T00:00:00Z"), delay="14d", timestamp="ts"
    )
    assert w.mask.tolist() == [True, False, False, False, True]  # 11-20 too recent; null label; bad time
    assert (w.rows, w.labeled, w.counted) == (5, 4, 2)
    assert w.coverage == pytest.approx(0.4)
    assert w.cutoff == "2026-11-10T00:00:00Z" and w.unparsed_timestamps == 1


def test_label_lag_with_datetime_column_and_no_delay() -> None:
    frame = pd.DataFrame({"y": [1, None], "p": [1, 0], "ts": pd.to_datetime(["2026-01-01", "2026-01-02"])})
    w = label_window(
        frame, "y", "p", window_time=datetime(2026, 1, 3, tzinfo=timezone.utc), delay="1d", timestamp="ts"
    )
    assert w.mask.tolist() == [True, False]
    w = label_window(frame, "y", "p", window_time=datetime(2026, 1, 3, tzinfo=timezone.utc))
    assert w.counted == 1 and w.delay is None


def test_label_lag_errors() -> None:
    frame = pd.DataFrame({"y": [1], "p": [1]})
    with pytest.raises(UsageError, match="timestamp column"):
        label_window(frame, "y", "p", window_time=parse_time("2026-01-01"), delay="1d")
    with pytest.raises(InputError, match="not in the data"):
        label_window(frame, "y", "p", window_time=parse_time("2026-01-01"), delay="1d", timestamp="ts")
    with pytest.raises(UsageError, match="duration"):
        parse_duration("two weeks")
    with pytest.raises(UsageError, match="ISO-8601"):
        parse_time("yesterday")
    assert parse_duration("2w").days == 14
    assert parse_time("2026-11-24T05:00:00+02:00").hour == 3
