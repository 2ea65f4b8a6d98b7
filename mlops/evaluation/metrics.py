"""The standard metrics: one implementation for every model, so two teams never compute AUC two ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

EPS = 1e-12


def _auc(y: np.ndarray, score: np.ndarray, _t: float) -> float | None:
    """Area under the ROC curve: the Mann-Whitney statistic, ties counted half."""
    import pandas as pd

    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None  # undefined on a slice holding one class: written as null, never as a made-up number
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _confusion(y: np.ndarray, score: np.ndarray, t: float) -> tuple[int, int, int, int]:
    predicted = score >= t
    actual = y == 1
    return (
        int((predicted & actual).sum()),
        int((predicted & ~actual).sum()),
        int((~predicted & actual).sum()),
        int((~predicted & ~actual).sum()),
    )


def _accuracy(y: np.ndarray, score: np.ndarray, t: float) -> float | None:
    tp, _fp, _fn, tn = _confusion(y, score, t)
    return (tp + tn) / len(y) if len(y) else None


def _precision(y: np.ndarray, score: np.ndarray, t: float) -> float | None:
    tp, fp, _fn, _tn = _confusion(y, score, t)
    return tp / (tp + fp) if tp + fp else None


def _recall(y: np.ndarray, score: np.ndarray, t: float) -> float | None:
    tp, _fp, fn, _tn = _confusion(y, score, t)
    return tp / (tp + fn) if tp + fn else None


def _f1(y: np.ndarray, score: np.ndarray, t: float) -> float | None:
    tp, fp, fn, _tn = _confusion(y, score, t)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def _log_loss(y: np.ndarray, score: np.ndarray, _t: float) -> float | None:
    p = np.clip(score, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _rmse(y: np.ndarray, pred: np.ndarray, _t: float) -> float | None:
    return float(np.sqrt(np.mean((y - pred) ** 2)))


def _mae(y: np.ndarray, pred: np.ndarray, _t: float) -> float | None:
    return float(np.mean(np.abs(y - pred)))


def _r2(y: np.ndarray, pred: np.ndarray, _t: float) -> float | None:
    total = float(((y - y.mean()) ** 2).sum())
    return 1 - float(((y - pred) ** 2).sum()) / total if total else None


METRICS: dict[str, Callable[[np.ndarray, np.ndarray, float], float | None]] = {
    "auc": _auc,
    "accuracy": _accuracy,
    "precision": _precision,
    "recall": _recall,
    "f1": _f1,
    "log_loss": _log_loss,
    "rmse": _rmse,
    "mae": _mae,
    "r2": _r2,
}


def compute(names: tuple[str, ...], y: np.ndarray, pred: np.ndarray, threshold: float) -> dict[str, Any]:
    """`rows` plus each metric rounded to 6 digits; a slice without rows gets only `rows: 0`."""
    out: dict[str, Any] = {"rows": int(len(y))}
    if not len(y):
        return out
    for name in names:
        value = METRICS[name](y, pred, threshold)
        out[name] = None if value is None else round(float(value), 6)
    return out
