"""The Spark engine: mlops rules, profiles and drift on Spark DataFrames, tables and paths Spark reads.

    from mlops.data.spark import SparkEngine
    report = SparkEngine().validate("s3a://bucket/batch.parquet", rules)

Install with `pip install 'git-mlops[spark]'` (pyspark and a Java 17 runtime). What runs where is described
in docs/guides/engines-spark.md; `unsupported(rule)` says why the engine refuses a rule, for `mlops lint`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from mlops.errors import InputError

if TYPE_CHECKING:
    from mlops.data.engine import Progress, ValidationReport
    from mlops.data.profile import Profile
    from mlops.data.rules import Rule, Rules

INSTALL = "pip install 'git-mlops[spark]'"
_READERS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}


def unsupported(rule: Rule) -> str | None:
    """Why the Spark engine refuses RULE (`mlops lint` reports it when mlops.yaml names spark), or None."""
    from mlops.data.spark.patterns import pattern_refusal

    if rule.check == "pattern":
        why = pattern_refusal(str(rule.value))
        if why:
            return f"the spark engine cannot run this pattern: {why}"
    return None


def refused(rules: Rules) -> list[str]:
    """Every rule the Spark engine refuses, as `rule-id: why`."""
    return [f"{rule.id}: {why}" for rule in rules.rules if (why := unsupported(rule))]


class SparkEngine:
    """Validates and profiles Spark DataFrames, table names and paths Spark can read."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        self._session = session

    def session(self) -> Any:
        if self._session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise InputError(f"the spark engine needs pyspark: {INSTALL}") from None
            active = SparkSession.getActiveSession()
            if active is None:
                # local Python workers run this interpreter (it has pyarrow and mlops), not whatever
                # `python3` is first on PATH; a cluster's own setting wins
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            self._session = active or SparkSession.builder.getOrCreate()
        return self._session

    def frame(self, data: Any) -> tuple[Any, str]:
        """A Spark DataFrame and the name reports show, from a DataFrame, a path or a table name."""
        if hasattr(data, "schema") and hasattr(data, "agg"):
            return data, "dataframe"
        if type(data).__module__.startswith("polars"):
            data = data.to_pandas()
        if hasattr(data, "to_parquet"):  # a local pandas frame (the API takes one on every engine)
            return self.session().createDataFrame(data), "dataframe"
        text = os.fspath(data)
        spark = self.session()
        if os.path.exists(text) or "://" in text:
            return _read_path(spark, text), text
        try:
            return spark.table(text), text
        except Exception as exc:  # AnalysisException: no such table
            raise InputError(f"{text}: no such file or table ({str(exc).splitlines()[0]})") from None

    def validate(
        self,
        data: Any,
        rules: Rules,
        *,
        reference: Profile | None = None,
        profile_all: bool = False,
        progress: Progress | None = None,
    ) -> ValidationReport:
        from mlops.data.spark.engine import validate_frame

        problems = refused(rules)
        if problems:
            raise InputError("; ".join(problems))
        df, name = self.frame(data)
        return validate_frame(df, name, rules, reference, profile_all, progress)

    def profile(self, data: Any, columns: list[str] | None = None) -> Profile:
        from mlops.data.spark.profile import profile_frame

        df, _ = self.frame(data)
        return profile_frame(df, columns)


def _read_path(spark: Any, path: str) -> Any:
    lower = path.lower().rstrip("/")
    suffix = os.path.splitext(lower[:-3] if lower.endswith(".gz") else lower)[1]
    kind = _READERS.get(suffix, "parquet")  # a directory of part files is a Parquet dataset
    reader = spark.read
    try:
        if kind == "csv":
            return reader.option("header", True).option("inferSchema", True).csv(path)
        if kind == "json":
            return reader.json(path)
        return reader.parquet(path)
    except Exception as exc:  # AnalysisException: unreadable, not that format
        raise InputError(f"{path}: Spark cannot read it as {kind}: {str(exc).splitlines()[0]}") from None
