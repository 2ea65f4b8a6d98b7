"""Reading data: format by extension, chunked iteration, and files at a Git/DVC reference (`REF:PATH`).

Every reader yields pandas DataFrames of at most `chunk_rows` rows, so memory stays bounded by the chunk size
(Parquet row batches, CSV and JSON-lines chunks). Problems reading a file become one-line InputErrors.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlops.errors import InputError, UnknownReference

FORMATS = ("csv", "parquet", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DEFAULT_CHUNK_ROWS = 500_000


def detect_format(name: str, forced: str | None = None) -> str:
    """The data format of a file name (`.csv`, `.parquet`, `.jsonl`, optionally gzip'ed), or `forced`."""
    if forced:
        if forced not in FORMATS:
            raise InputError(f"unknown data format `{forced}`; expected one of {', '.join(FORMATS)}")
        return forced
    lower = name.lower()
    for comp in (".gz", ".bz2", ".zst", ".xz"):
        if lower.endswith(comp):
            lower = lower[: -len(comp)]
    suffix = os.path.splitext(lower)[1]
    if suffix not in _EXTENSIONS:
        raise InputError(
            f"{name}: unknown data file extension `{suffix or '(none)'}`; expected .csv, .parquet or .jsonl",
            hint="force a format with --input-format csv|parquet|jsonl",
        )
    return _EXTENSIONS[suffix]


@dataclass
class DataSource:
    """A data file on disk or in memory (read from a reference), with its format."""

    name: str  # shown to the user
    fmt: str
    path: str | None = None
    data: bytes | None = None
    frame: Any = None  # an in-memory pandas DataFrame (fmt "frame")

    @classmethod
    def from_frame(cls, frame: Any, name: str = "dataframe") -> DataSource:
        return cls(name, "frame", frame=frame)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], fmt: str | None = None) -> DataSource:
        shown = str(path)
        target = Path(path)
        if not target.exists():
            raise InputError(f"{shown}: no such file")
        if target.is_dir():
            if fmt in (None, "parquet") and any(target.rglob("*.parquet")):
                return cls(shown, "parquet-dir", path=str(target))  # a (partitioned) dataset, as Spark writes
            raise InputError(f"{shown}: is a folder without .parquet files, not a data file")
        if not os.access(target, os.R_OK):
            raise InputError(f"{shown}: permission denied")
        return cls(shown, detect_format(shown, fmt), path=str(target))

    @classmethod
    def from_bytes(cls, name: str, data: bytes, fmt: str | None = None) -> DataSource:
        return cls(name, detect_format(name, fmt), data=data)

    def handle(self) -> Any:
        return self.path if self.path is not None else io.BytesIO(self.data or b"")

    def size(self) -> int:
        return os.path.getsize(self.path) if self.path is not None else len(self.data or b"")

    def schema(self) -> list[str]:
        """Column names without reading the data (Parquet metadata; the header row of CSV)."""
        if self.frame is not None:
            return [str(c) for c in self.frame.columns]
        # JSON-lines records may differ in their keys: look at a whole first chunk
        rows = DEFAULT_CHUNK_ROWS if self.fmt == "jsonl" else 1
        for chunk in self.chunks(chunk_rows=rows, only_schema=True):
            return [str(c) for c in chunk.columns]
        return []

    def total_rows(self) -> int | None:
        """Row count when the format knows it without reading (Parquet); None otherwise."""
        if self.frame is not None:
            return len(self.frame)
        if self.fmt == "parquet-dir":
            try:
                return int(self._dataset().count_rows())
            except Exception:  # noqa: BLE001 - reported properly when the data is read
                return None
        if self.fmt != "parquet":
            return None
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(self.handle()).metadata.num_rows)
        except Exception:  # noqa: BLE001 - reported properly when the data is read
            return None

    def chunks(
        self,
        columns: list[str] | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        dtypes: dict[str, str] | None = None,
        only_schema: bool = False,
    ) -> Iterator[Any]:
        """Yield DataFrames of at most chunk_rows rows; `columns` limits what is read (None: all)."""
        if self.frame is not None:
            yield from self._frame_chunks(columns, chunk_rows)
            return
        try:
            yield from self._read(columns, chunk_rows, dtypes or {}, only_schema)
        except (InputError, MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - every reader failure becomes one clear line
            raise InputError(f"{self.name}: cannot read as {self.fmt.upper()}: {_first_line(exc)}") from None

    def _frame_chunks(self, columns: list[str] | None, chunk_rows: int) -> Iterator[Any]:
        frame = self.frame
        if columns is not None:
            frame = frame[[c for c in frame.columns if str(c) in set(columns)]]
        for start in range(0, max(len(frame), 1), chunk_rows):
            yield _booleans(frame.iloc[start : start + chunk_rows].copy())

    def _read(
        self, columns: list[str] | None, chunk_rows: int, dtypes: dict[str, str], only_schema: bool
    ) -> Iterator[Any]:
        if self.fmt == "parquet-dir":
            return self._parquet_dir(columns, chunk_rows, only_schema)
        if self.fmt == "parquet":
            return self._parquet(columns, chunk_rows, only_schema)
        if self.fmt == "csv":
            return self._csv(columns, chunk_rows, dtypes)
        return self._jsonl(columns, chunk_rows)

    def _dataset(self) -> Any:
        import pyarrow.dataset as ds

        return ds.dataset(self.path, format="parquet", partitioning="hive")

    def _parquet_dir(self, columns: list[str] | None, chunk_rows: int, only_schema: bool) -> Iterator[Any]:
        dataset = self._dataset()
        if only_schema:
            yield _to_pandas(dataset.schema.empty_table())
            return
        cols = [c for c in columns if c in set(dataset.schema.names)] if columns is not None else None
        empty = True
        for batch in dataset.to_batches(columns=cols, batch_size=chunk_rows):
            if batch.num_rows:
                empty = False
                yield _to_pandas(batch)
        if empty:
            table = dataset.schema.empty_table()
            yield _to_pandas(table.select(cols) if cols is not None else table)

    def _parquet(self, columns: list[str] | None, chunk_rows: int, only_schema: bool) -> Iterator[Any]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.handle())
        if only_schema:
            yield _to_pandas(pf.schema_arrow.empty_table())
            return
        names = pf.schema_arrow.names
        cols = [c for c in columns if c in set(names)] if columns is not None else None
        meta = pf.metadata
        if cols == []:  # no column needed (say, only `table.rows`): the row count is in the metadata
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            yield from _row_counts(sum(sizes), chunk_rows)
            return
        if meta.num_rows == 0:
            yield _to_pandas(pf.schema_arrow.empty_table().select(cols if cols is not None else names))
            return
        yield from _row_groups(pf, cols, chunk_rows)

    def _csv(self, columns: list[str] | None, chunk_rows: int, dtypes: dict[str, str]) -> Iterator[Any]:
        import pandas as pd

        sep = "\t" if self.name.lower().removesuffix(".gz").endswith(".tsv") else ","
        header = pd.read_csv(self.handle(), nrows=0, sep=sep, compression=self._compression())
        names = [str(c) for c in header.columns]
        if not names:
            raise InputError(f"{self.name}: empty file (no header row)")
        usecols, count_only = _csv_columns(names, columns)
        reader = self._csv_reader(sep, usecols, names, dtypes, chunk_rows)
        empty = True
        with reader:
            for chunk in reader:
                empty = False
                yield chunk[[]] if count_only else _booleans(chunk)
        if empty:
            yield header[[]] if count_only else (header[usecols] if usecols is not None else header)

    def _csv_reader(
        self, sep: str, usecols: list[str] | None, names: list[str], dtypes: dict[str, str], chunk_rows: int
    ) -> Any:
        import pandas as pd

        kept = set(usecols) if usecols is not None else set(names)
        dtype = {c: t for c, t in dtypes.items() if c in kept}
        # in a one-column file an empty line is a row whose value is null (pandas writes a null that way);
        # with more columns it is not a row at all
        return pd.read_csv(
            self.handle(),
            sep=sep,
            chunksize=chunk_rows,
            usecols=usecols,
            dtype=dtype or None,
            compression=self._compression(),
            low_memory=False,
            skip_blank_lines=len(names) > 1,
        )

    def _jsonl(self, columns: list[str] | None, chunk_rows: int) -> Iterator[Any]:
        import pandas as pd

        if self.size() == 0:
            raise InputError(f"{self.name}: empty file")
        reader = pd.read_json(
            self.handle(), lines=True, chunksize=chunk_rows, compression=self._compression(), dtype=False
        )
        with reader:
            for chunk in reader:
                chunk.columns = [str(c) for c in chunk.columns]
                if columns is not None:
                    chunk = chunk[[c for c in chunk.columns if c in set(columns)]]
                yield _booleans(chunk)

    def _compression(self) -> str | None:
        lower = self.name.lower()
        for ext, comp in ((".gz", "gzip"), (".bz2", "bz2"), (".zst", "zstd"), (".xz", "xz")):
            if lower.endswith(ext):
                return comp
        return None


def _row_groups(pf: Any, cols: list[str] | None, chunk_rows: int) -> Iterator[Any]:
    """Whole row groups decode fastest (columns in parallel); several small ones are read together, and one
    bigger than a chunk is streamed in batches."""
    group: list[int] = []
    rows = 0
    meta = pf.metadata
    for i in range(meta.num_row_groups):
        size = meta.row_group(i).num_rows
        if group and rows + size > chunk_rows:
            yield from _slices(pf.read_row_groups(group, columns=cols, use_threads=True), chunk_rows)
            group, rows = [], 0
        if size > chunk_rows:
            for batch in pf.iter_batches(
                batch_size=chunk_rows, row_groups=[i], columns=cols, use_threads=True
            ):
                yield _to_pandas(batch)
            continue
        group.append(i)
        rows += size
    if group:
        yield from _slices(pf.read_row_groups(group, columns=cols, use_threads=True), chunk_rows)


def _csv_columns(names: list[str], columns: list[str] | None) -> tuple[list[str] | None, bool]:
    """The CSV columns to parse (None: all), and whether only the rows are counted (no wanted column here:
    say, only `table.rows`; then the first column is parsed to count them)."""
    if columns is None:
        return None, False
    wanted = set(columns)
    if not any(c in set(names) for c in columns):
        return names[:1], True
    return [c for c in names if c in wanted], False


def _slices(table: Any, chunk_rows: int) -> Iterator[Any]:
    for start in range(0, max(table.num_rows, 1), chunk_rows):
        yield _to_pandas(table.slice(start, chunk_rows))


def _row_counts(total: int, chunk_rows: int) -> Iterator[Any]:
    """Frames without columns that carry only their length: counting rows reads no values."""
    import pandas as pd

    for start in range(0, max(total, 1), chunk_rows):
        yield pd.DataFrame(index=pd.RangeIndex(min(chunk_rows, total - start)))


def _to_pandas(table: Any) -> Any:
    """An Arrow table or batch as pandas, with the same dtypes whatever the chunk holds.

    Dictionary-encoded columns are decoded (a categorical would compare and hash unlike its values), decimals
    are numbers, durations are seconds, and booleans become pandas' nullable boolean (Arrow gives object
    arrays for a chunk with a null, bool without).
    Integers with nulls stay integers (pandas' nullable Int64 and kin), as polars and Spark hold them: as
    float64 they would change past 2**53 (64-bit ids and hashes) and profile as numbers.
    """
    import pandas as pd
    import pyarrow as pa

    readable = pa.schema([pa.field(f.name, _readable_type(f.type)) for f in table.schema])
    if readable != table.schema:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        table = table.cast(readable)
    mapping = {pa.bool_(): pd.BooleanDtype()}
    frame = table.to_pandas(types_mapper=mapping.get)
    if table.num_columns == 0:  # pandas has no rows without columns; keep the length
        frame = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name, column in _integers_with_nulls(table):
        frame[name] = column.to_pandas(types_mapper=_nullable_integers().get)
    for name, column in _durations(table):
        frame[name] = column
    return frame


def _durations(table: Any) -> list[tuple[str, Any]]:
    """Duration columns as float seconds, whatever their unit (polars reads seconds as milliseconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
    return [
        (
            f.name,
            pc.divide(
                pc.cast(table.column(i).cast(pa.int64()), pa.float64()), per_second[f.type.unit]
            ).to_pandas(),
        )
        for i, f in enumerate(table.schema)
        if pa.types.is_duration(f.type)
    ]


def _readable_type(arrow_type: Any) -> Any:
    """The type a column is read as: dictionaries as their values; decimals as numbers (as Spark reads them),
    integers when their scale is 0 and they fit 64 bits, else float64."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        return _readable_type(arrow_type.value_type)
    if pa.types.is_decimal(arrow_type):
        return pa.int64() if arrow_type.scale == 0 and arrow_type.precision <= 18 else pa.float64()
    return arrow_type


def _integers_with_nulls(table: Any) -> list[tuple[str, Any]]:
    """The integer columns holding a null (Arrow would hand them to pandas as float64)."""
    import pyarrow as pa

    return [
        (field.name, table.column(i))
        for i, field in enumerate(table.schema)
        if pa.types.is_integer(field.type) and table.column(i).null_count
    ]


def _nullable_integers() -> dict[Any, Any]:
    import pandas as pd
    import pyarrow as pa

    return {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(),
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
    }


def _booleans(frame: Any) -> Any:
    """Text formats: a column of true/false with nulls comes out as Python objects; make it a nullable boolean
    (as a chunk without nulls would be), so `type: boolean` and `b != true` see booleans in every chunk."""
    import pandas as pd

    for name in frame.columns:
        series = frame[name]
        if (
            pd.api.types.is_object_dtype(series.dtype)
            and len(series)
            and pd.api.types.infer_dtype(series, skipna=True) == "boolean"
        ):
            frame[name] = series.astype("boolean")
    return frame


def prefetch(chunks: Iterator[Any]) -> Iterator[Any]:
    """Read the next chunk in a background thread while the current one is checked (readers release the GIL).

    At most two chunks are in memory at once.
    """
    import queue
    import threading

    slot: queue.Queue[Any] = queue.Queue(maxsize=1)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                slot.put(chunk)
            slot.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            slot.put(exc)

    thread = threading.Thread(target=work, name="mlops-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slot.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                slot.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_frame(source: DataSource, columns: list[str] | None = None) -> Any:
    """The whole file as one DataFrame (for small data: tests, infer-rules samples)."""
    import pandas as pd

    parts = list(source.chunks(columns=columns))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


# -- files at a reference ----------------------------------------------------------------------------------


def read_bytes_at(ref_path: str, root: str | os.PathLike[str]) -> bytes:
    """Bytes of `REF:PATH`: Git-tracked files through `git show`, DVC-tracked ones through `dvc.api`.

    REF is anything `mlops.refs.resolve` understands (a Git revision, `model@v1.2.0`, `model#prod`).
    """
    from mlops import git, refs

    ref, path = refs.split_ref_path(ref_path)
    commit = refs.resolve(ref, root).commit
    path = path.lstrip("/").removeprefix("./")
    data = git.show_file(commit, path, root)
    if data is not None and not data.startswith(b"tree "):
        return data
    try:
        return _dvc_read(path, root, commit)
    except FileNotFoundError:
        raise UnknownReference(
            f"`{ref_path}`: {path} is neither in Git nor tracked by DVC at {ref} ({commit[:10]})"
        ) from None


def open_at(ref_path: str, root: str | os.PathLike[str]) -> IO[bytes]:
    """A binary file object for `REF:PATH` (see read_bytes_at)."""
    return io.BytesIO(read_bytes_at(ref_path, root))


def _dvc_read(path: str, root: str | os.PathLike[str], commit: str) -> bytes:
    """A DVC-tracked file at COMMIT: from the local cache by the hash the commit records (mlops.committed),
    else fetched from the DVC remote into the cache; files inside tracked folders through `dvc.api`.
    A remote that is down or denies access is named in the error, never reported as "no data"."""
    from mlops.committed import CommittedFiles
    from mlops.dvccache import read_cached

    md5 = CommittedFiles(root).dvc_hash(commit, path)
    if not md5:
        return _dvc_api_read(path, root, commit)
    data = read_cached(root, md5)
    if data is None:
        _fetch_from_remote(path, root, commit, md5)
        data = read_cached(root, md5)
    if data is None:  # pragma: no cover - fetched but unreadable: a cache on another volume, say
        raise InputError(
            f"{path} at {commit[:10]}: fetched from the DVC remote but not readable in the cache"
        )
    return data


def _fetch_from_remote(path: str, root: str | os.PathLike[str], commit: str, md5: str) -> None:
    from mlops.reproduce import dvcrepo
    from mlops.reproduce.lock import HashEntry

    repo = dvcrepo.open_repo(root)
    try:
        pulled = dvcrepo.pull_entries(repo, Path(root), commit, [HashEntry(path, md5)])
    finally:
        repo.close()
    if not pulled.lacking:
        return
    if pulled.unreachable:
        raise InputError(
            f"{path} at {commit[:10]} is not in the local DVC cache and {pulled.problem()}",
            hint="check its URL and credentials (`dvc remote list`; `dvc remote modify --local` to change them)",
        )
    raise InputError(
        f"{path} at {commit[:10]} is not in the local DVC cache and {pulled.describe()} does not have it",
        hint=f"push it from where it was built (`dvc push -r {pulled.remote}`)",
    )


def _dvc_api_read(path: str, root: str | os.PathLike[str], commit: str) -> bytes:
    try:
        import dvc.api
        from dvc.exceptions import DvcException
    except ImportError:  # pragma: no cover - dvc is a dependency
        raise FileNotFoundError(path) from None
    try:
        with dvc.api.open(path, repo=str(root), rev=commit, mode="rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise
    except DvcException as exc:
        text = _first_line(exc)
        if "does not exist" in text or "not found" in text.lower() or "unable to find" in text.lower():
            raise FileNotFoundError(path) from None
        raise InputError(
            f"{path} at {commit[:10]}: DVC cannot read it: {_remote_problem(root, text)}",
            hint="is the DVC cache populated? try `dvc pull`",
        ) from None
    except Exception as exc:  # noqa: BLE001 - dvc raises many kinds; all mean "cannot read it there"
        if "NotDvcRepoError" in type(exc).__name__ or "not a dvc repo" in str(exc).lower():
            raise FileNotFoundError(path) from None
        text = _remote_problem(root, _first_line(exc))
        raise InputError(f"{path} at {commit[:10]}: DVC cannot read it: {text}") from None


def _remote_problem(root: str | os.PathLike[str], reason: str) -> str:
    """REASON, prefixed with the default DVC remote it concerns when there is one."""
    from mlops.reproduce import dvcrepo

    try:
        repo = dvcrepo.open_repo(root)
    except Exception:  # noqa: BLE001 - naming the remote is a courtesy; the reason stands on its own
        return reason
    try:
        name = repo.config["core"].get("remote")
        url = (repo.config["remote"].get(name) or {}).get("url") if name else None
    finally:
        repo.close()
    if not name:
        return reason
    return dvcrepo.remote_problem(f"DVC remote `{name}` ({url})", reason)


def source_at(ref_path: str, root: str | os.PathLike[str], fmt: str | None = None) -> DataSource:
    """A DataSource for `REF:PATH` (read fully into memory: references are training sets or profiles)."""
    from mlops import refs

    _, path = refs.split_ref_path(ref_path)
    return DataSource.from_bytes(ref_path, read_bytes_at(ref_path, root), detect_format(path, fmt))
