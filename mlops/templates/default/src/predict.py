"""Score a table with the trained model: the `predict` command of evaluation.yaml.

    python src/predict.py INPUT OUTPUT

Writes OUTPUT (CSV) with one column, `score`, one row per input row in order. mlops computes the metrics.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pandas as pd
from common import features, sigmoid


def read(path: str) -> pd.DataFrame:
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)


def main(source: str, target: str) -> None:
    with open("models/model.pkl", "rb") as handle:
        model = pickle.load(handle)
    frame = read(source)
    x = (features(frame) - np.array(model["mean"])) / np.array(model["std"])
    score = sigmoid(x @ np.array(model["weights"]) + model["bias"])
    pd.DataFrame({"score": score}).to_csv(target, index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
