"""Profile and drift of 10M rows on each engine: time, peak memory, and how far Spark's drift statistics are
from the pandas engine's (sketches merged across partitions, within their stated error).

    python benchmarks/spark_drift.py            # 10M rows (issue 21), Spark on local[2], driver heap 1 GB
    python benchmarks/spark_drift.py --quick    # 200k rows, for CI

The batch (two float columns with nulls, an integer, a category) is written once as Parquet by Spark; the
reference is a 200k-row sample of another distribution. Drift is what `mlops monitor` computes: the batch's
profile through the engine, then every drift statistic against the reference profile on the driver.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

METHODS = ["psi", "ks", "chi2", "jensen_shannon", "wasserstein", "hellinger", "tvd"]


def write_batch(spark: Any, rows: int, path: Path, shift: float) -> None:
    spark.range(0, rows, numPartitions=8).selectExpr(
        f"case when id % 53 = 0 then null else randn(1) * 20 + {100 + shift} end as amount",
        f"case when id % 89 = 0 then null else exp(randn(2) + {shift / 100}) end as latency",
        "cast(rand(3) * 70 + 18 as int) as age",
        "element_at(array('basic', 'pro', 'team', 'legacy'), cast(rand(4) * 4 + 1 as int)) as plan",
    ).write.mode("overwrite").parquet(str(path))


def timed(what: str, run: Any) -> Any:
    start = time.perf_counter()
    out = run()
    print(f"{what}: {time.perf_counter() - start:.1f} s", flush=True)
    return out


def drift(current: Any, reference: Any) -> dict[tuple[str, str], float]:
    from mlops.data.drift import drift_scores

    out: dict[tuple[str, str], float] = {}
    for method in METHODS:
        for name, result in drift_scores(current, reference, list(current.columns), method=method).items():
            out[(name, method)] = float(result.statistic)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k rows instead of 10M")
    parser.add_argument("--data", help="a folder for the Parquet data (kept; written when absent)")
    args = parser.parse_args()
    rows = 200_000 if args.quick else 10_000_000
    sys.path.insert(0, str(Path(__file__).parent))
    from spark_validate import driver_memory, session

    from mlops.data.engines import available, get_engine
    from mlops.data.spark import SparkEngine

    spark = session()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.data or tmp)
        batch, ref = folder / "batch.parquet", folder / "reference.parquet"
        if not batch.exists():
            write_batch(spark, rows, batch, shift=3.0)
            write_batch(spark, 200_000, ref, shift=0.0)
        reference = get_engine("pandas").profile(str(ref))
        spark_profile = timed(f"spark profile {rows:,} rows", lambda: SparkEngine(spark).profile(str(batch)))
        heap, jvm_rss = driver_memory(spark)
        spark_drift = timed("spark drift (7 methods x 4 columns)", lambda: drift(spark_profile, reference))
        print(f"spark driver JVM peak heap {heap:.0f} MB, peak RSS {jvm_rss:.0f} MB", flush=True)
        spark.stop()
        for engine in [e for e in available() if e != "spark"]:
            runner = get_engine(engine)
            local = timed(f"{engine} profile {rows:,} rows", lambda: runner.profile(str(batch)))  # noqa: B023
            local_drift = timed(f"{engine} drift", lambda: drift(local, reference))  # noqa: B023
            worst = max(abs(local_drift[k] - spark_drift[k]) for k in local_drift)
            print(f"largest |spark - {engine}| over the drift statistics: {worst:.2e}", flush=True)
    python_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process' peak RSS (the local engines, and the Spark driver's Python): {python_rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
