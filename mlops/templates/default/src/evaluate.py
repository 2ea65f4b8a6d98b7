"""Score the test set: metrics/eval.json with AUC, accuracy and log loss, overall and per slice."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from common import TARGET, features, params, sigmoid


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def metrics(y: np.ndarray, prob: np.ndarray, threshold: float) -> dict:
    eps = 1e-12
    return {
        "auc": round(auc(y, prob), 4),
        "accuracy": round(float(((prob >= threshold) == y).mean()), 4),
        "log_loss": round(float(-np.mean(y * np.log(prob + eps) + (1 - y) * np.log(1 - prob + eps))), 4),
        "rows": int(len(y)),
    }


def main() -> None:
    p = params("evaluate")
    with open("models/model.pkl", "rb") as handle:
        model = pickle.load(handle)
    frame = pd.read_parquet("data/test.parquet")
    x = (features(frame) - np.array(model["mean"])) / np.array(model["std"])
    prob = sigmoid(x @ np.array(model["weights"]) + model["bias"])
    y = frame[TARGET].to_numpy(dtype=float)
    result = metrics(y, prob, p["threshold"])
    result["slices"] = {
        str(value): metrics(y[mask], prob[mask], p["threshold"])
        for value in sorted(frame[p["slice"]].unique())
        for mask in [(frame[p["slice"]] == value).to_numpy()]
    }
    Path("metrics").mkdir(exist_ok=True)
    Path("metrics/eval.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
