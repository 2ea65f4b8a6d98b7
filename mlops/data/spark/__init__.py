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
    from mlops.data.spark.sources import SparkSource

INSTALL = "pip install 'git-mlops[spark]'"


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
        df, name, _ = self.opened(data)
        return df, name

    def opened(self, data: Any) -> tuple[Any, str, dict[str, str]]:
        """(DataFrame, the name reports show, the zone of each zoned timestamp column where it is known)."""
        from mlops.data.source import DataSource
        from mlops.data.spark.sources import SparkSource

        if isinstance(data, SparkSource):
            return data.df, data.name, data.zones
        if hasattr(data, "schema") and hasattr(data, "agg"):
            return data, "dataframe", {}
        if isinstance(data, DataSource):
            return self._local_source(data)
        if type(data).__module__.startswith("polars") or hasattr(data, "to_parquet"):
            return self._local_frame(data)
        return self._path_or_table(os.fspath(data))

    def _local_source(self, source: Any) -> tuple[Any, str, dict[str, str]]:
        """A local file Spark reads itself; bytes already in memory (a file at a Git revision) as a frame."""
        from mlops.data.source import read_frame

        if source.path:
            df, _, zones = self._path_or_table(os.path.abspath(source.path))
            return df, source.name, zones
        return self._local_frame(read_frame(source))

    def _local_frame(self, frame: Any) -> tuple[Any, str, dict[str, str]]:
        """A pandas or polars frame in memory (the API takes one on every engine)."""
        import pyarrow as pa

        from mlops.data.spark.sources import frame_zones

        if type(frame).__module__.startswith("polars"):
            frame = frame.to_pandas()
        # through Arrow: missing text stays null (pandas 3's text dtype would otherwise reach Spark as words)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return self.session().createDataFrame(table), "dataframe", frame_zones(frame)

    def _path_or_table(self, text: str) -> tuple[Any, str, dict[str, str]]:
        from mlops.data.spark.sources import path_zones, read_path

        spark = self.session()
        if os.path.exists(text) or "://" in text:
            return read_path(spark, text), text, path_zones(text)
        try:
            return spark.table(text), text, {}
        except Exception as exc:  # AnalysisException: no such table
            raise InputError(f"{text}: no such file or table ({str(exc).splitlines()[0]})") from None

    def source(self, data: str | os.PathLike[str]) -> SparkSource:
        """The batch `data` (a path or a table name) as monitoring reads it."""
        from mlops.data.spark.sources import SparkSource

        text = os.fspath(data)
        # a local path absolute: the JVM's working folder need not be ours; reports show it as given
        df, _, zones = self.opened(os.path.abspath(text) if os.path.exists(text) else text)
        return SparkSource(text, df, zones)

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
        df, name, zones = self.opened(data)
        return validate_frame(df, name, rules, reference, profile_all, progress, zones)

    def profile(self, data: Any, columns: list[str] | None = None) -> Profile:
        from mlops.data.spark.profile import profile_frame

        df, _ = self.frame(data)
        return profile_frame(df, columns)

    def scan(self, data: Any) -> tuple[Profile, set[str]]:
        """The profile and the integer and text columns whose values never repeat (as mlops.data.infer.scan):
        one exact distinct count per such column, on the executors."""
        from pyspark.sql import functions as F

        from mlops.data.spark.columns import quoted
        from mlops.data.spark.profile import profile_frame

        df, _ = self.frame(data)
        profile = profile_frame(df, None)
        names = [n for n, c in profile.columns.items() if c.dtype in ("integer", "string") and c.non_null]
        if not names:
            return profile, set()
        counts = [F.count_distinct(quoted(n)).alias(f"d{i}") for i, n in enumerate(names)]
        row = df.agg(*counts).collect()[0]
        return profile, {n for i, n in enumerate(names) if int(row[f"d{i}"]) == profile.columns[n].non_null}
