"""What the Spark engine reads: paths Spark can read, read as the pandas engine reads them, and the zones of
timestamp columns, which Spark drops (it keeps instants) but the pandas engine shows examples in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops.errors import InputError

if TYPE_CHECKING:
    from mlops.data.profile import Profile

_READERS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
_TIME_TYPES = ("TimestampType", "TimestampNTZType", "DateType")


def reader_kind(path: str) -> str:
    lower = path.lower().rstrip("/")
    suffix = os.path.splitext(lower[:-3] if lower.endswith(".gz") else lower)[1]
    return _READERS.get(suffix, "parquet")  # a directory of part files is a Parquet dataset


def read_path(spark: Any, path: str) -> Any:
    """A DataFrame of a Parquet, CSV (with a header) or JSON-lines path."""
    kind = reader_kind(path)
    if os.path.isfile(path) and os.path.getsize(path) == 0:  # Spark reads it as no columns at all
        raise InputError(f"{path}: cannot read as {kind.upper()}: empty file")
    reader = spark.read
    try:
        if kind == "csv":
            return _read_csv(reader, path)
        if kind == "json":
            return _read_json(reader, path)
        return reader.parquet(path)
    except InputError:
        raise
    except Exception as exc:  # AnalysisException: unreadable, not that format
        reason = str(exc).splitlines()[0]
        raise InputError(f"{path}: Spark cannot read it as {kind}: {reason}{_hint(reason)}") from None


def _read_json(reader: Any, path: str) -> Any:
    """JSON lines; a line that is not a JSON object is refused (exit 2) as the local engines refuse it, where
    Spark would keep it as a `_corrupt_record` column."""
    df = reader.json(path)
    if "_corrupt_record" in df.columns:
        raise InputError(f"{path}: cannot read as JSONL: a line is not a JSON object")
    return df


def _hint(reason: str) -> str:
    if "TIMESTAMP(NANOS" in reason:  # pandas' and pyarrow's default: Spark reads microseconds at most
        return (
            "; Spark reads no nanosecond timestamps: write the file with microseconds"
            " (pandas: df.to_parquet(path, coerce_timestamps='us'), pyarrow: coerce_timestamps='us')"
        )
    return ""


def _read_csv(reader: Any, path: str) -> Any:
    """Numbers and booleans typed as Spark infers them; dates and times kept as their text, as the pandas engine
    reads a CSV (a `datetime` rule parses them; examples show the text as written, offset included)."""
    from pyspark.sql.types import StringType, StructField, StructType

    # RFC 4180, as pandas reads it: a quoted field may hold line breaks and "" for a quote (Spark's defaults
    # split such a row in two and take \" for a quote); a file is then read by one task, not split
    reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
    inferred = reader.option("inferSchema", True).csv(path)
    fields = inferred.schema.fields
    if not any(type(f.dataType).__name__ in _TIME_TYPES for f in fields):
        return inferred
    schema = StructType(
        [
            StructField(f.name, StringType(), True) if type(f.dataType).__name__ in _TIME_TYPES else f
            for f in fields
        ]
    )
    return reader.option("inferSchema", False).schema(schema).csv(path)


def frame_zones(frame: Any) -> dict[str, str]:
    """The zone of each zoned timestamp column of a pandas frame."""
    zones: dict[str, str] = {}
    for name, dtype in frame.dtypes.items():
        tz = getattr(dtype, "tz", None)
        if tz is not None:
            zones[str(name)] = str(tz)
    return zones


def path_zones(path: str) -> dict[str, str]:
    """The zone of each zoned timestamp column of a local Parquet file or dataset, from its footer (the schema
    only: no rows are read); {} for other formats and paths only Spark reaches."""
    if reader_kind(path) != "parquet" or not os.path.exists(path):
        return {}
    first = _first_file(path)
    if first is None:
        return {}
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(first)
    except (OSError, pa.ArrowException):
        return {}
    return {f.name: str(f.type.tz) for f in schema if pa.types.is_timestamp(f.type) and f.type.tz}


def _first_file(path: str) -> str | None:
    if os.path.isfile(path):
        return path
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if not name.startswith((".", "_")) and not name.endswith(".crc"):
                return os.path.join(folder, name)
    return None


def in_zone(micros: int, zone: str | None) -> str:
    """UTC microseconds as the ISO text of that instant in `zone` (UTC when None or unknown)."""
    import pandas as pd

    stamp = pd.Timestamp(int(micros), unit="us", tz="UTC")
    if zone:
        try:
            stamp = stamp.tz_convert(zone)
        except (ValueError, TypeError, KeyError):
            pass  # a zone this Python does not know: shown in UTC
    return stamp.isoformat()


@dataclass
class SparkSource:
    """A batch Spark reads (a path or a table), seen as monitoring sees a local DataSource: its name, its
    columns and its profile computed on the executors. It has no rows to hand over: live metrics are
    aggregates on the executors too (mlops.monitor.spark_metrics)."""

    name: str
    df: Any
    zones: dict[str, str] = field(default_factory=dict)

    def schema(self) -> list[str]:
        return [str(c) for c in self.df.columns]

    def profile(self, columns: list[str] | None = None) -> Profile:
        from mlops.data.spark.profile import profile_frame

        return profile_frame(self.df, columns)
