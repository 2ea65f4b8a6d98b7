"""Shared by the stages: reading params.yaml and turning a table into model features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

NUMERIC = ["age", "tenure_months", "monthly_spend", "refund", "support_tickets"]
PLANS = ["basic", "pro", "enterprise"]
TARGET = "churned"


def params(section: str) -> dict:
    with open("params.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)[section]


def features(frame: pd.DataFrame) -> np.ndarray:
    """Numeric columns plus one indicator column per plan (basic is the baseline)."""
    numeric = frame[NUMERIC].to_numpy(dtype=float)
    plans = np.stack([(frame["plan"] == plan).to_numpy(dtype=float) for plan in PLANS[1:]], axis=1)
    return np.hstack([numeric, plans])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
