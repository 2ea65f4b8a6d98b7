"""Generate the example's raw customer data: seeded, offline, the same bytes on every run.

    python src/make_data.py --rows 3000 --seed 7 --out data/raw.csv

After regenerating, run `dvc add data/raw.csv` so DVC tracks the new version.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def generate(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "pro", "enterprise"], size=rows, p=[0.6, 0.3, 0.1])
    age = rng.integers(18, 80, size=rows)
    tenure = rng.integers(0, 120, size=rows)
    base = np.select([plan == "basic", plan == "pro"], [20.0, 60.0], 200.0)
    spend = np.round(base * rng.lognormal(0.0, 0.3, size=rows), 2)
    refund = np.round(spend * rng.beta(0.5, 8.0, size=rows), 2)
    tickets = rng.poisson(1.5, size=rows)
    logit = (
        -0.8
        - 0.02 * tenure
        + 0.45 * tickets
        + 4.0 * refund / np.maximum(spend, 1)
        - 0.6 * (plan == "enterprise")
        - 0.01 * (age - 40)
    )
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "customer_id": [f"c{seed:03d}-{i:06d}" for i in range(rows)],
            "age": age,
            "plan": plan,
            "tenure_months": tenure,
            "monthly_spend": spend,
            "refund": refund,
            "support_tickets": tickets,
            "churned": churned,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="data/raw.csv")
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    generate(args.rows, args.seed).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
