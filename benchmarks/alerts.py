"""Benchmark: are the default alerts of `mlops monitor` right? False alarms on noise, power on real change.

Deployments of three consecutive batches each, at the defaults, on scikit-learn's bundled tables (reference:
a random half; batches: drawn without replacement from the other half, so at most a few hundred rows) and on a synthetic production-like table (skewed amounts,
counts, long-tail categories, booleans, a few nulls, an id and a timestamp; reference 50,000 rows), batches
of 100 to 100,000 rows.
  - false-alarm rate: share of no-drift deployments in which any error alert fires (target <= 2%);
  - power: share of deployments with a material, persistent change in which an alert names the changed
    column (target >= 95%): mean +0.5 sd at >= 1,000 rows, +1.5 sd at a few hundred rows, 30% of the top
    category moved to another, nulls 0% -> 15%.
The anchor is Evidently's default drift preset (DataDriftPreset) on the same batches, in its own virtualenv
(it needs pandas < 3): its dataset-level verdict and its per-column drift flags, printed side by side.

    python -m venv benchmarks/.venv-evidently
    benchmarks/.venv-evidently/bin/pip install evidently "pandas<3" pyarrow
    python benchmarks/alerts.py [--quick] [--deployments 40] [--no-evidently]

MLOPS_EVIDENTLY_PYTHON=/path/to/python names another interpreter with Evidently. --quick (a few minutes):
fewer deployments and batches of at most 10,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVIDENTLY_PY = Path(os.environ.get("MLOPS_EVIDENTLY_PYTHON") or HERE / ".venv-evidently" / "bin" / "python")
BATCHES = 3  # consecutive batches per deployment
REAL = ("iris", "wine", "breast_cancer", "diabetes", "digits")
NOT_FEATURES = ("customer_id", "event_time")  # left out for Evidently, which would flag them every time


@dataclass
class Cell:
    """One setting: a table, a batch size and a scenario, with its deployments."""

    table: str
    group: str  # real | synthetic
    scenario: str  # none | mean+0.5sd | mean+1.5sd | category | nulls
    rows: int
    deployments: list[list[Any]] = field(default_factory=list)  # per deployment: (batch frame, target column)


# -- tables --------------------------------------------------------------------------------------------------


def real_table(name: str) -> Any:
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).data
    return frame.rename(columns=lambda c: str(c).replace(" ", "_").replace("(", "").replace(")", ""))


def production(rows: int, rng: Any, start: int = 0) -> Any:
    import numpy as np
    import pandas as pd

    tail = [f"plan_{i}" for i in range(40)]
    weights = 1 / np.arange(1, 41)
    plans = np.array(["basic", "pro", "team", *tail])
    plan_p = np.concatenate([[0.40, 0.25, 0.15], 0.20 * weights / weights.sum()])
    countries = np.array([f"c{i:02d}" for i in range(30)])
    country_p = (1 / np.arange(1, 31) ** 1.2) / (1 / np.arange(1, 31) ** 1.2).sum()
    discount = rng.gamma(2.0, 5.0, rows)
    discount[rng.random(rows) < 0.03] = np.nan  # a few nulls, always
    return pd.DataFrame(
        {
            "customer_id": rng.choice(10**9, rows, replace=False) + 10**9,
            "event_time": pd.Timestamp("2026-01-01") + pd.to_timedelta(start + np.arange(rows), unit="s"),
            "amount": np.round(rng.lognormal(3.5, 1.1, rows), 2),
            "items": rng.poisson(2.5, rows),
            "age": np.clip(rng.normal(41, 12, rows).round(), 18, 90).astype(int),
            "tenure_days": rng.exponential(400, rows),
            "score": rng.beta(2, 5, rows),
            "discount": discount,
            "plan": rng.choice(plans, rows, p=plan_p),
            "country": rng.choice(countries, rows, p=country_p),
            "is_mobile": rng.random(rows) < 0.35,
            "has_coupon": rng.random(rows) < 0.10,
        }
    )


# -- scenarios -----------------------------------------------------------------------------------------------


def shift(batch: Any, column: str, sd: float, size: float) -> Any:
    batch = batch.copy()
    batch[column] = batch[column].astype(float) + size * sd
    return batch


def move_category(batch: Any, column: str, top: str, other: str, rng: Any) -> Any:
    batch = batch.copy()
    values = batch[column].to_numpy(dtype=object, copy=True)
    hit = (values == top) & (rng.random(len(values)) < 0.30)
    values[hit] = other
    batch[column] = values
    return batch


def add_nulls(batch: Any, column: str, rng: Any) -> Any:
    import numpy as np

    batch = batch.copy()
    values = batch[column].astype(float if batch[column].dtype.kind in "biuf" else object).to_numpy(copy=True)
    values[rng.random(len(values)) < 0.15] = np.nan if values.dtype.kind == "f" else None
    batch[column] = values
    return batch


def real_cells(name: str, deployments: int, rng: Any) -> tuple[Any, list[Cell]]:
    table = real_table(name)
    order = rng.permutation(len(table))
    half = len(table) // 2
    reference, holdout = table.iloc[order[:half]].reset_index(drop=True), table.iloc[order[half:]]
    numeric = [c for c in table.columns if table[c].nunique() > 10]  # location shifts on continuous columns
    complete = [c for c in table.columns if not table[c].isna().any()]
    small = min(100, len(holdout))
    few_hundred = min(300, len(holdout))
    cells = []
    for rows in sorted({small, len(holdout)}):
        cells.append(
            Cell(
                name,
                "real",
                "none",
                rows,
                [
                    [(holdout.sample(rows, random_state=_seed(rng)), None) for _ in range(BATCHES)]
                    for _ in range(deployments)
                ],
            )
        )
    # +0.5 sd is a target at >= 1,000 rows: these tables are smaller (batches drawn with replacement from a few
    # hundred rows would repeat records and no longer be independent draws), so it runs on the synthetic table
    cell = Cell(name, "real", "mean+1.5sd", few_hundred)
    for _ in range(deployments):
        column = str(rng.choice(numeric))
        sd = float(reference[column].std())
        cell.deployments.append(
            [
                (shift(holdout.sample(few_hundred, random_state=_seed(rng)), column, sd, 1.5), column)
                for _ in range(BATCHES)
            ]
        )
    cells.append(cell)
    cell = Cell(name, "real", "nulls", few_hundred)
    for _ in range(deployments):
        column = str(rng.choice(complete))
        cell.deployments.append(
            [
                (add_nulls(holdout.sample(few_hundred, random_state=_seed(rng)), column, rng), column)
                for _ in range(BATCHES)
            ]
        )
    cells.append(cell)
    return reference, cells


def synthetic_cells(
    sizes: list[int], deployments: int, rng: Any, reference_rows: int
) -> tuple[Any, list[Cell]]:
    reference = production(reference_rows, rng)
    continuous = ["amount", "age", "tenure_days", "score", "items"]
    categorical = ["plan", "country"]
    complete = [
        "amount",
        "items",
        "age",
        "tenure_days",
        "score",
        "plan",
        "country",
        "is_mobile",
        "has_coupon",
    ]
    clock = [reference_rows]

    def batch(rows: int) -> Any:
        clock[0] += rows
        return production(rows, rng, start=clock[0])

    cells = []
    for rows in sizes:
        cells.append(
            Cell(
                "production",
                "synthetic",
                "none",
                rows,
                [[(batch(rows), None) for _ in range(BATCHES)] for _ in range(deployments)],
            )
        )
        scenarios = []
        if rows >= 1000:
            scenarios += ["mean+0.5sd", "category"]
        if 200 <= rows <= 500 or rows == min(sizes):
            scenarios.append("mean+1.5sd")
        scenarios.append("nulls")
        for scenario in scenarios:
            cell = Cell("production", "synthetic", scenario, 300 if scenario == "mean+1.5sd" else rows)
            for _ in range(deployments):
                if scenario.startswith("mean"):
                    column = str(rng.choice(continuous))
                    size = 0.5 if scenario == "mean+0.5sd" else 1.5
                    sd = float(reference[column].std())
                    cell.deployments.append(
                        [(shift(batch(cell.rows), column, sd, size), column) for _ in range(BATCHES)]
                    )
                elif scenario == "category":
                    column = str(rng.choice(categorical))
                    counts = reference[column].value_counts()
                    cell.deployments.append(
                        [
                            (
                                move_category(batch(rows), column, counts.index[0], counts.index[1], rng),
                                column,
                            )
                            for _ in range(BATCHES)
                        ]
                    )
                else:
                    column = str(rng.choice(complete))
                    cell.deployments.append(
                        [(add_nulls(batch(rows), column, rng), column) for _ in range(BATCHES)]
                    )
            cells.append(cell)
    return reference, cells


def _seed(rng: Any) -> int:
    return int(rng.integers(2**31))


# -- mlops -----------------------------------------------------------------------------------------------------


def run_mlops(reference: Any, cells: list[Cell]) -> dict[tuple[str, str, int], dict[str, Any]]:
    from mlops.data.profile import build_profile
    from mlops.monitor.run import assess_profiles

    profile = build_profile(reference)
    out = {}
    for cell in cells:
        alarms = detected = wrong = 0
        excluded: set[str] = set()
        for deployment in cell.deployments:
            fired, right = False, False
            for frame, target in deployment:
                _, left_out, candidates = assess_profiles(build_profile(frame), profile)
                excluded |= set(left_out)
                errors = [c.rule for c in candidates if c.severity == "error"]
                fired = fired or bool(errors)
                if target is not None:
                    right = right or any(r.split(":", 1)[1] == target for r in errors)
                    wrong += sum(1 for r in errors if r.split(":", 1)[1] != target)
            alarms += fired
            detected += right
        out[(cell.table, cell.scenario, cell.rows)] = {
            "deployments": len(cell.deployments),
            "fired": alarms,
            "named": detected,
            "wrong_alerts": wrong,
            "excluded": sorted(excluded),
        }
    return out


# -- Evidently -------------------------------------------------------------------------------------------------

EVIDENTLY_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
folder = sys.argv[1]
jobs = json.load(open(folder + "/jobs.json"))
references = {}
out = []
for job in jobs:
    if job["reference"] not in references:
        references[job["reference"]] = pd.read_parquet(job["reference"])
    reference = references[job["reference"]]
    batch = pd.read_parquet(job["batch"])
    result = Report([DataDriftPreset()]).run(current_data=batch, reference_data=reference).dict()
    dataset, columns = False, []
    for metric in result["metrics"]:
        name, value = str(metric.get("metric_name") or metric.get("metric_id") or ""), metric.get("value")
        if name.startswith("DriftedColumnsCount"):
            share = value["share"] if isinstance(value, dict) else None
            dataset = share is not None and share >= 0.5
        elif name.startswith("ValueDrift"):
            config = metric.get("config") or {}
            column = config.get("column") or name.split("column=")[-1].split(",")[0].rstrip(")")
            threshold = config.get("threshold")
            method = str(config.get("method") or "")
            if isinstance(value, (int, float)) and threshold is not None:
                p_value_like = "p_value" in method.lower() or "test" in method.lower()
                drifted = value < threshold if p_value_like else value >= threshold
                if drifted:
                    columns.append(column)
    out.append({"id": job["id"], "dataset": dataset, "columns": columns})
print(json.dumps(out))
"""


def run_evidently(
    references: dict[str, Any], cells: list[Cell], folder: Path
) -> dict[tuple[str, str, int], Any]:
    jobs = []
    for table, frame in references.items():
        path = folder / f"reference-{table}.parquet"
        frame.drop(columns=[c for c in NOT_FEATURES if c in frame.columns]).to_parquet(path)
    for i, cell in enumerate(cells):
        for j, deployment in enumerate(cell.deployments):
            for k, (frame, _) in enumerate(deployment):
                path = folder / f"batch-{i}-{j}-{k}.parquet"
                frame.drop(columns=[c for c in NOT_FEATURES if c in frame.columns]).to_parquet(path)
                jobs.append(
                    {
                        "id": [i, j, k],
                        "reference": str(folder / f"reference-{cell.table}.parquet"),
                        "batch": str(path),
                    }
                )
    (folder / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run(
        [str(EVIDENTLY_PY), "-c", EVIDENTLY_SCRIPT, str(folder)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"Evidently failed: {proc.stderr.strip()[-2000:]}")
    results = {tuple(r["id"]): r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    out = {}
    for i, cell in enumerate(cells):
        dataset = any_column = named = 0
        for j, deployment in enumerate(cell.deployments):
            runs = [results[(i, j, k)] for k in range(len(deployment))]
            target = deployment[0][1]
            dataset += any(r["dataset"] for r in runs)
            any_column += any(r["columns"] for r in runs)
            named += target is not None and any(target in r["columns"] for r in runs)
        out[(cell.table, cell.scenario, cell.rows)] = {
            "dataset": dataset,
            "any_column": any_column,
            "named": named,
        }
    return out


# -- report ----------------------------------------------------------------------------------------------------


def summarize(cells: list[Cell], mlops: dict[Any, Any], evidently: dict[Any, Any] | None) -> dict[str, Any]:
    print(
        f"{'table':14} {'scenario':11} {'rows':>7} {'deploy':>6} | {'mlops':>7} {'named':>6} {'wrong':>5} | "
        f"{'Ev. set':>7} {'Ev. col':>7} {'Ev. named':>9}"
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for cell in cells:
        key = (cell.table, cell.scenario, cell.rows)
        m, e = mlops[key], (evidently or {}).get(key)
        n = m["deployments"]
        is_none = cell.scenario == "none"
        ours = m["fired"] if is_none else m["named"]
        ev = (
            ("-", "-", "-")
            if e is None
            else (_pct(e["dataset"], n), _pct(e["any_column"], n), "-" if is_none else _pct(e["named"], n))
        )
        print(
            f"{cell.table:14} {cell.scenario:11} {cell.rows:>7,} {n:>6} | {_pct(ours, n):>7} "
            f"{'' if is_none else _pct(m['named'], n):>6} {m['wrong_alerts']:>5} | {ev[0]:>7} {ev[1]:>7} "
            f"{ev[2]:>9}"
        )
        t = totals["none" if is_none else "power"]
        t[0] += n
        t[1] += ours
        if e is not None:
            t[2] += e["dataset"]
            t[3] += e["any_column"] if is_none else e["named"]
            t[4] += 1
    none, power = totals["none"], totals["power"]
    summary = {
        "false_alarm_rate": none[1] / max(none[0], 1),
        "power": power[1] / max(power[0], 1),
        "no_drift_deployments": none[0],
        "drift_deployments": power[0],
    }
    print()
    print(
        f"mlops (defaults): false alarms {summary['false_alarm_rate']:.1%} of {none[0]} no-drift deployments "
        f"(target <= 2%); power {summary['power']:.1%} of {power[0]} drift deployments, naming the column "
        "(target >= 95%)"
    )
    if evidently:
        summary.update(
            {
                "evidently_dataset_false_alarms": none[2] / none[0],
                "evidently_column_false_alarms": none[3] / none[0],
                "evidently_dataset_power": power[2] / power[0],
                "evidently_column_power": power[3] / power[0],
            }
        )
        print(
            f"Evidently DataDriftPreset, dataset verdict: false alarms {summary['evidently_dataset_false_alarms']:.1%}"
            f", drift detected {summary['evidently_dataset_power']:.1%} (without naming a column)"
        )
        print(
            f"Evidently DataDriftPreset, per column: false alarms {summary['evidently_column_false_alarms']:.1%}, "
            f"power {summary['evidently_column_power']:.1%} (naming the column)"
        )
    excluded = sorted({c for m in mlops.values() for c in m["excluded"]})
    print(f"left out of drift by mlops (not features): {', '.join(excluded) or 'none'}")
    return summary


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few minutes: fewer deployments, batches <= 10,000"
    )
    parser.add_argument("--deployments", type=int, help="deployments per setting [default: 40; quick: 8]")
    parser.add_argument("--no-evidently", action="store_true", help="mlops only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args()
    deployments = args.deployments or (8 if args.quick else 40)
    sizes = [100, 1_000, 10_000] if args.quick else [100, 1_000, 10_000, 100_000]
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    references, cells = {}, []
    for name in REAL:
        references[name], made = real_cells(name, deployments, rng)
        cells += made
    references["production"], made = synthetic_cells(
        sizes, deployments, rng, 20_000 if args.quick else 50_000
    )
    cells += made
    mlops: dict[Any, Any] = {}
    for table, reference in references.items():
        mlops.update(run_mlops(reference, [c for c in cells if c.table == table]))
    mlops_seconds = time.perf_counter() - start
    evidently = None
    if not args.no_evidently:
        if not EVIDENTLY_PY.exists():
            print(f"Evidently skipped: no {EVIDENTLY_PY} (see this script's docstring)")
        else:
            batches = sum(len(d) for c in cells for d in c.deployments)
            print(
                f"mlops done in {mlops_seconds:.0f} s; Evidently on the same {batches:,} batches "
                "(about a second each)...",
                file=sys.stderr,
                flush=True,
            )
            with tempfile.TemporaryDirectory(prefix="mlops-alerts-") as folder:
                evidently = run_evidently(references, cells, Path(folder))
    summary = summarize(cells, mlops, evidently)
    print(f"({mlops_seconds:.0f} s for data and mlops; {BATCHES} batches per deployment)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
