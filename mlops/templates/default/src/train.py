"""Fit a logistic regression by full-batch gradient descent (numpy only) and save models/model.pkl."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from common import TARGET, features, params, sigmoid


def main() -> None:
    p = params("train")
    frame = pd.read_parquet("data/train.parquet")
    x = features(frame)
    y = frame[TARGET].to_numpy(dtype=float)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    x = (x - mean) / std
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(int(p["epochs"])):
        error = sigmoid(x @ weights + bias) - y
        weights -= p["lr"] * (x.T @ error / len(y) + p["l2"] * weights)
        bias -= p["lr"] * error.mean()
    Path("models").mkdir(exist_ok=True)
    with open("models/model.pkl", "wb") as handle:
        pickle.dump(
            {"weights": weights.tolist(), "bias": float(bias), "mean": mean.tolist(), "std": std.tolist()},
            handle,
        )


if __name__ == "__main__":
    main()
