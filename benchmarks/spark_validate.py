"""The Spark engine on local[2]: time, and the driver JVM's peak heap and the driver process's peak RSS.

    python benchmarks/spark_validate.py            # 20M rows (issue 21), driver heap capped at 1 GB
    python benchmarks/spark_validate.py --quick    # 200k rows, for CI
    python benchmarks/spark_validate.py --data /tmp/d20m --only pandera   # reuse the data, one side only

The data is written once as Parquet (numbers with nulls, a category, a timestamp) and validated with a dozen
rules of every kind. Peak heap comes from the driver JVM's memory pool MXBeans (peak usage of every heap
pool), peak RSS from /proc of the JVM's process, and the Python driver's own peak RSS. pandera's pyspark
backend is timed on the same file when it imports (`pip install 'pandera[pyspark]'`; it needs a pandas that
pyspark.pandas supports: pandas < 3 for pyspark 4.0); otherwise the script says why.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RULES: dict[str, Any] = {
    "kind": "Rules",
    "version": 1,
    "columns": {
        "id": {"type": "integer", "min": 0},
        "amount": {
            "nullable": False,
            "min": 0,
            "max": 1000,
            "mean": {"min": 0, "max": 1000},
            "quantiles": {"0.5": {"max": 900}},
        },
        "plan": {"allowed": ["basic", "pro", "team"], "pattern": "[a-z]+", "distinct": {"max": 10}},
        "ts": {"min": "2020-01-01"},
    },
    "table": {"rows": {"min": 1}},
    "checks": [{"name": "spend", "expr": "amount * 2 < 1900 or plan == 'team'"}],
}


def write_data(spark: Any, rows: int, path: Path) -> None:
    spark.range(0, rows, numPartitions=8).selectExpr(
        "id",
        "case when id % 97 = 0 then null else (id * 7919) % 1000 end as amount",
        "element_at(array('basic', 'pro', 'team', 'legacy'), cast(id % 4 + 1 as int)) as plan",
        "timestamp_seconds(1600000000 + id) as ts",
    ).write.mode("overwrite").parquet(str(path))


def driver_memory(spark: Any) -> tuple[float, float]:
    """(peak heap MB over the heap pools, peak RSS MB) of the driver JVM."""
    jvm = spark.sparkContext._jvm
    pools = jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans()
    heap = sum(p.getPeakUsage().getUsed() for p in pools if str(p.getType()) == "Heap memory")
    pid = jvm.java.lang.ProcessHandle.current().pid()
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            rss = int(line.split()[1]) * 1024
    return heap / 2**20, rss / 2**20


def pandera_seconds(spark: Any, path: Path) -> str:
    try:
        import pandera.pyspark as pa
        import pyspark.sql.types as T
    except ImportError as exc:
        return f"not run (import pandera.pyspark: {exc})"

    schema = pa.DataFrameSchema(  # the object API: this module's annotations are strings, not types
        {
            "id": pa.Column(T.LongType(), pa.Check.ge(0)),
            "amount": pa.Column(T.LongType(), [pa.Check.ge(0), pa.Check.le(1000)], nullable=False),
            "plan": pa.Column(
                T.StringType(), [pa.Check.isin(["basic", "pro", "team"]), pa.Check.str_matches("^[a-z]+$")]
            ),
        }
    )

    start = time.perf_counter()
    out = schema.validate(spark.read.parquet(str(path)))
    _ = out.pandera.errors
    return f"{time.perf_counter() - start:.1f} s"


def session() -> Any:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def mlops_seconds(spark: Any, path: Path) -> float:
    from mlops.data.rules import rules_from_dict
    from mlops.data.spark import SparkEngine

    start = time.perf_counter()
    report = SparkEngine(spark).validate(str(path), rules_from_dict(RULES))
    seconds = time.perf_counter() - start
    print(f"rows {report.rows:,}  rules {len(report.results)}  failed {report.summary()['failed']}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k rows instead of 20M")
    parser.add_argument("--data", help="a folder for the Parquet data (kept; written when absent)")
    parser.add_argument("--only", choices=["mlops", "pandera"], help="time one side only")
    parser.add_argument("--rows", type=int, help="this many rows (the test suite's smoke run)")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 20_000_000)
    spark = session()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.data or tmp) / "data.parquet"
        if not path.exists():
            write_data(spark, rows, path)
        heap = 0.0
        if args.only != "pandera":
            seconds = mlops_seconds(spark, path)
            heap, rss = driver_memory(spark)
            python_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"mlops spark engine: {seconds:.1f} s; driver JVM peak heap {heap:.0f} MB, "
                f"peak RSS {rss:.0f} MB; Python driver peak RSS {python_rss:.0f} MB"
            )
        if args.only != "mlops":
            print(f"pandera pyspark backend: {pandera_seconds(spark, path)}")
    spark.stop()
    return 0 if heap < 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
