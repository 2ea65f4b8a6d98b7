"""Clean data/raw.csv and split it into data/train.parquet and data/test.parquet (seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from common import params


def main() -> None:
    p = params("prepare")
    raw = pd.read_csv("data/raw.csv", dtype={"customer_id": str, "plan": str})
    raw = raw.dropna(subset=["churned"]).drop_duplicates(subset=["customer_id"])
    raw["plan"] = raw["plan"].str.strip().str.lower()
    order = np.random.default_rng(p["seed"]).permutation(len(raw))
    n_test = int(round(len(raw) * p["test_fraction"]))
    Path("data").mkdir(exist_ok=True)
    raw.iloc[order[n_test:]].reset_index(drop=True).to_parquet("data/train.parquet", index=False)
    raw.iloc[order[:n_test]].reset_index(drop=True).to_parquet("data/test.parquet", index=False)


if __name__ == "__main__":
    main()
