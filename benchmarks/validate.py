"""Benchmark: the same 30 rules on 5M rows x 11 columns (Parquet) in mlops (its default engine, and the pandas
engine as mlops-pandas), pandera (pandas backend), plain vectorised pandas (the floor) and the same rules written
by hand as one polars lazy query (the anchor of the default engine), each end to end (read + validate) in its
own process, in the same run.

    python -m pip install pandera      # or: pip install -e '.[bench]'
    python benchmarks/validate.py [--rows 5000000] [--repeat 1]
    python benchmarks/validate.py --quick      # 200k rows, mlops against polars by hand only (seconds; CI)

Prints wall time, CPU time (user+sys of the child: steadier than wall time on a shared machine) and peak
memory (max RSS) of each, and the ratios. Targets: mlops (default engine) <= 1.0x polars by hand in time and
peak memory; <= 0.5x pandera in time and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PLANS = ["basic", "pro", "enterprise"]
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "ES", "IT"]

RULES = """\
kind: Rules
version: 1
columns:
  id: {type: integer, unique: true, nullable: false}
  age: {type: integer, min: 0, max: 120}
  income: {type: number, min: 0, max_null_fraction: 0.1}
  score: {type: number, min: 0, max: 1, mean: {min: 0.4, max: 0.6}, quantiles: {0.5: {min: 0.4, max: 0.6}}}
  ratio: {type: number, gt: -10, lt: 10, std: {min: 0.5, max: 2}}
  count: {type: integer, min: 0, max: 1000}
  plan: {type: string, allowed: [basic, pro, enterprise], nullable: false, distinct: {max: 10}}
  country: {type: string, allowed: [US, DE, FR, GB, IN, BR, JP, CA, ES, IT], max_null_fraction: 0.1}
  email: {type: string, pattern: '[a-z0-9]+@[a-z]+\\.com', length: {max: 40}}
  flag: {type: boolean}
  segment: {type: string, forbidden: [legacy, unknown]}
table:
  rows: {min: 1000}
checks:
  - name: score_vs_age
    expr: score * 100 <= age + 100
  - name: enterprise_income
    expr: plan != 'enterprise' or income > 10
"""
# 30 rules: 3+3+3+5+4+3+4+3+3+1+1 column rules (incl. type), table rows, 2 checks (-> 30 with mean/quantiles)


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(42)
    income = rng.lognormal(8, 1, rows)
    income[rng.random(rows) < 0.05] = np.nan
    country = rng.choice(np.array(COUNTRIES, dtype=object), rows)
    country[rng.random(rows) < 0.02] = None
    users = rng.integers(0, 10**9, rows).astype(str)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype="int64"),
            "age": rng.integers(18, 90, rows),
            "income": income,
            "score": rng.random(rows),
            "ratio": rng.normal(0, 1, rows),
            "count": rng.integers(0, 500, rows),
            "plan": rng.choice(np.array(PLANS, dtype=object), rows),
            "country": country,
            "email": np.char.add(np.char.add("u", users), "@example.com").astype(object),
            "flag": rng.random(rows) < 0.5,
            "segment": rng.choice(np.array(["a", "b", "c", "d"], dtype=object), rows),
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=1_000_000)


def run_floor(path: str) -> int:
    """Plain vectorised pandas: the least any tool must do (read everything, one expression per rule)."""
    import pandas as pd

    df = pd.read_parquet(path)
    fails = []
    n = len(df)
    fails += [int(df["id"].isna().sum()), int(df["id"].duplicated().sum())]
    fails += [int((df["age"] < 0).sum()), int((df["age"] > 120).sum())]
    fails += [int((df["income"] < 0).sum()), int(df["income"].isna().mean() > 0.1)]
    fails += [int((df["score"] < 0).sum()), int((df["score"] > 1).sum())]
    fails += [int(not 0.4 <= df["score"].mean() <= 0.6), int(not 0.4 <= df["score"].median() <= 0.6)]
    fails += [
        int((df["ratio"] <= -10).sum()),
        int((df["ratio"] >= 10).sum()),
        int(not 0.5 <= df["ratio"].std() <= 2),
    ]
    fails += [int((df["count"] < 0).sum()), int((df["count"] > 1000).sum())]
    plan = df["plan"]
    fails += [int((~plan.isin(PLANS) & plan.notna()).sum()), int(plan.isna().sum()), int(plan.nunique() > 10)]
    country = df["country"]
    fails += [int((~country.isin(COUNTRIES) & country.notna()).sum()), int(country.isna().mean() > 0.1)]
    email = df["email"]
    fails += [
        int((~email.str.fullmatch(r"[a-z0-9]+@[a-z]+\.com") & email.notna()).sum()),
        int((email.str.len() > 40).sum()),
    ]
    fails += [int(df["segment"].isin(["legacy", "unknown"]).sum()), int(n < 1000)]
    fails += [int((~(df["score"] * 100 <= df["age"] + 100)).sum())]
    fails += [int((~((df["plan"] != "enterprise") | (df["income"] > 10)) & df["income"].notna()).sum())]
    # type checks are the dtypes, known from the Parquet schema
    fails += [int(not pd.api.types.is_integer_dtype(df[c])) for c in ("id", "age", "count")]
    fails += [int(not pd.api.types.is_float_dtype(df[c])) for c in ("income", "score", "ratio")]
    fails += [int(not pd.api.types.is_bool_dtype(df["flag"]))]
    return sum(fails)


def run_pandera(path: str) -> int:
    import pandas as pd
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(
        {
            "id": pa.Column(int, unique=True, nullable=False),
            "age": pa.Column(int, [pa.Check.ge(0), pa.Check.le(120)]),
            "income": pa.Column(
                float,
                [
                    pa.Check.ge(0),
                    pa.Check(lambda s: s.isna().mean() <= 0.1, element_wise=False, ignore_na=False),
                ],
                nullable=True,
            ),
            "score": pa.Column(
                float,
                [
                    pa.Check.ge(0),
                    pa.Check.le(1),
                    pa.Check(lambda s: 0.4 <= s.mean() <= 0.6),
                    pa.Check(lambda s: 0.4 <= s.median() <= 0.6),
                ],
            ),
            "ratio": pa.Column(
                float, [pa.Check.gt(-10), pa.Check.lt(10), pa.Check(lambda s: 0.5 <= s.std() <= 2)]
            ),
            "count": pa.Column(int, [pa.Check.ge(0), pa.Check.le(1000)]),
            "plan": pa.Column(
                str, [pa.Check.isin(PLANS), pa.Check(lambda s: s.nunique() <= 10)], nullable=False
            ),
            "country": pa.Column(
                str,
                [pa.Check.isin(COUNTRIES), pa.Check(lambda s: s.isna().mean() <= 0.1, ignore_na=False)],
                nullable=True,
            ),
            "email": pa.Column(
                str, [pa.Check.str_matches(r"[a-z0-9]+@[a-z]+\.com$"), pa.Check.str_length(max_value=40)]
            ),
            "flag": pa.Column(bool),
            "segment": pa.Column(str, pa.Check.notin(["legacy", "unknown"])),
        },
        checks=[
            pa.Check(lambda d: len(d) >= 1000),
            pa.Check(lambda d: d["score"] * 100 <= d["age"] + 100),
            pa.Check(lambda d: (d["plan"] != "enterprise") | (d["income"] > 10) | d["income"].isna()),
        ],
    )
    df = pd.read_parquet(path)
    try:
        schema.validate(df, lazy=True)
        return 0
    except pa.errors.SchemaErrors as exc:
        return len(exc.failure_cases)


def run_polars(path: str) -> int:
    """The same rules written by hand as one polars lazy query: the anchor of the default engine."""
    import polars as pl

    c = pl.col
    valid_email = c("email").str.contains(r"^[a-z0-9]+@[a-z]+\.com$")
    counts = [
        c("id").is_null().sum(),
        c("id").is_duplicated().sum(),
        (c("age") < 0).sum(),
        (c("age") > 120).sum(),
        (c("income") < 0).sum(),
        ((c("income").is_null() | c("income").is_nan()).mean() > 0.1).cast(pl.Int64),
        (c("score") < 0).sum(),
        (c("score") > 1).sum(),
        (~c("score").mean().is_between(0.4, 0.6)).cast(pl.Int64),
        (~c("score").median().is_between(0.4, 0.6)).cast(pl.Int64),
        (c("ratio") <= -10).sum(),
        (c("ratio") >= 10).sum(),
        (~c("ratio").std().is_between(0.5, 2)).cast(pl.Int64),
        (c("count") < 0).sum(),
        (c("count") > 1000).sum(),
        (~c("plan").is_in(PLANS) & c("plan").is_not_null()).sum(),
        c("plan").is_null().sum(),
        (c("plan").n_unique() > 10).cast(pl.Int64),
        (~c("country").is_in(COUNTRIES) & c("country").is_not_null()).sum(),
        (c("country").is_null().mean() > 0.1).cast(pl.Int64),
        (~valid_email & c("email").is_not_null()).sum(),
        (c("email").str.len_chars() > 40).sum(),
        c("segment").is_in(["legacy", "unknown"]).sum(),
        (pl.len() < 1000).cast(pl.Int64),
        (~(c("score") * 100 <= c("age") + 100)).sum(),
        (~((c("plan") != "enterprise") | (c("income") > 10)) & c("income").is_not_null()).sum(),
    ]
    row = pl.scan_parquet(path).select([e.alias(str(i)) for i, e in enumerate(counts)]).collect()
    return int(sum(row.row(0)))


def run_mlops(path: str, rules: str, engine: str | None = None) -> int:
    from mlops.api import data

    report = data.validate(path, rules, engine=engine)
    return report.summary()["failed"]


def child(tool: str, path: str, rules: str) -> None:
    start = time.perf_counter()
    if tool == "floor":
        result = run_floor(path)
    elif tool == "pandera":
        result = run_pandera(path)
    elif tool == "polars":
        result = run_polars(path)
    elif tool.startswith("mlops-"):
        result = run_mlops(path, rules, tool.removeprefix("mlops-"))
    else:
        result = run_mlops(path, rules)  # the default engine (polars when installed)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024
    cpu = usage.ru_utime + usage.ru_stime  # every thread, from interpreter start: steadier than wall time
    print(json.dumps({"tool": tool, "seconds": elapsed, "cpu": cpu, "peak_bytes": peak, "result": result}))


def measure(tool: str, path: Path, rules: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", tool, str(path), str(rules)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "DATA", "RULES"))
    parser.add_argument("--generate", metavar="PATH")
    parser.add_argument("--tools", default="floor,polars,mlops,mlops-pandas,pandera")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200k rows, polars by hand and mlops only (a quick check for CI that validation did not get slower)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rows, args.tools = min(args.rows, 200_000), "polars,mlops"
    if args.child:
        child(*args.child)
        return
    if args.generate:
        generate(Path(args.generate), args.rows)
        return
    folder = Path(os.environ.get("MLOPS_BENCH_DIR", tempfile.gettempdir())) / "mlops-bench"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"validate-{args.rows}.parquet"
    if not data.exists():
        print(f"generating {args.rows} rows -> {data}", flush=True)
        # in a child: Linux carries a parent's peak RSS into its children, and this one would be large
        subprocess.run(
            [sys.executable, __file__, "--generate", str(data), "--rows", str(args.rows)], check=True
        )
    rules = folder / "rules.yaml"
    rules.write_text(RULES)
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for tool in args.tools.split(","):
            res = measure(tool, data, rules)
            if tool not in best or res["seconds"] < best[tool]["seconds"]:
                best[tool] = res
    print(f"{'tool':12} {'seconds':>8} {'cpu s':>8} {'peak MB':>8} {'failures':>8}")
    for tool, res in best.items():
        print(
            f"{tool:12} {res['seconds']:8.2f} {res['cpu']:8.2f} {res['peak_bytes'] / 2**20:8.0f} {res['result']:8}"
        )
    for anchor, name, targets in (
        ("polars", "polars by hand", (1.0, 1.0)),
        ("floor", "floor", (1.1, None)),
        ("pandera", "pandera", (0.5, 0.5)),
    ):
        if "mlops" in best and anchor in best:
            print(ratios(best["mlops"], best[anchor], name, targets))


def ratios(mine: dict[str, float], anchor: dict[str, float], name: str, targets: tuple[Any, Any]) -> str:
    """mlops against one anchor of the same run: wall time, CPU time (user+sys) and peak memory."""
    time_target, memory_target = targets
    line = (
        f"mlops / {name} time: {mine['seconds'] / anchor['seconds']:.2f}x (target <= {time_target}), "
        f"cpu {mine['cpu'] / anchor['cpu']:.2f}x, memory {mine['peak_bytes'] / anchor['peak_bytes']:.2f}x"
    )
    return line + (f" (target <= {memory_target})" if memory_target is not None else "")


if __name__ == "__main__":
    main()
