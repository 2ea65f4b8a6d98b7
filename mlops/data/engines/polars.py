"""The polars engine: on a Parquet file, every rule polars answers runs in one query over the whole file
(mlops.data.engines.polars_file); the rules left over, the profile and other formats run chunk by chunk:
each chunk is read once, every native rule runs in one multithreaded polars select, and the rules without a
native form run through the pandas checkers on the same chunk.

Chunks are the pandas engine's (same boundaries), so counts, examples and sketches are the same; the
chunked path streams, so its memory stays bounded by the chunk size whatever the file size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlops.data.engines.pandas import as_source
from mlops.data.engines.polars_file import fast_source, run_file
from mlops.data.engines.polars_folds import Folding, fold
from mlops.data.engines.polars_rules import Native, aggregations, compile_rule

if TYPE_CHECKING:
    from mlops.data.checks import Checker
    from mlops.data.engine import Plan, Progress, ValidationReport
    from mlops.data.profile import Profile
    from mlops.data.rules import Rules
    from mlops.data.source import DataSource


@dataclass
class Piece:
    """One chunk: the polars frame native rules read, and a way to the pandas frame of some columns."""

    frame: Any  # polars DataFrame
    metadata: dict[bytes, bytes] | None = None  # Parquet: the file's Arrow schema metadata (pandas dtypes)
    pandas: Any = None  # the pandas frame it came from (other formats), or None
    _arrow: Any = None

    @property
    def arrow(self) -> Any:
        """The chunk as Arrow with the file's metadata, so pandas gets the dtypes the pandas engine gets."""
        if self.pandas is not None:
            return None
        if self._arrow is None:
            self._arrow = self.frame.to_arrow().replace_schema_metadata(self.metadata)
        return self._arrow

    @property
    def columns(self) -> list[str]:
        """Every column read (polars may lack some a pandas chunk holds: mixed objects stay pandas-only)."""
        return list(self.pandas.columns) if self.pandas is not None else list(self.frame.columns)

    def to_pandas(self, columns: list[str] | None) -> Any:
        from mlops.data.source import _to_pandas

        if self.pandas is not None:
            return self.pandas if columns is None else self.pandas[columns]
        if columns is None:
            return _to_pandas(self.arrow)
        # only these columns to Arrow: a whole chunk's conversion costs as much as the rules it serves
        return _to_pandas(self.frame.select(columns).to_arrow().replace_schema_metadata(self.metadata))


@dataclass
class PolarsEngine:
    name: str = "polars"
    chunk_rows: int | None = None

    def validate(
        self,
        data: Any,
        rules: Rules,
        *,
        reference: Profile | None = None,
        profile_all: bool = False,
        progress: Progress | None = None,
    ) -> ValidationReport:
        from mlops.data.engine import finish, plan
        from mlops.data.source import DEFAULT_CHUNK_ROWS

        source = fast_source(as_source(data))
        step = plan(source, rules, reference, profile_all)
        chunk_rows = self.chunk_rows or DEFAULT_CHUNK_ROWS
        rest, rows = run_file(source, step, rules)
        if rows is None:
            return finish(step, rules, reference, _chunked(source, step, rules, chunk_rows, progress))
        if progress is not None:
            progress(rows, step.total)
        if rest or step.builder is not None:  # the rules polars left, and the profile, chunk by chunk
            _chunked(source, replace(step, active=rest, read=_rest_read(rest, step)), rules, chunk_rows, None)
        return finish(step, rules, reference, rows)

    def profile(self, data: Any, columns: list[str] | None = None) -> Profile:
        # profiles keep the pandas accumulators: their sketches are the reference format drift reads
        from mlops.data.profile import build_profile

        return build_profile(as_source(data), columns=columns, chunk_rows=self.chunk_rows)


def _chunked(source: DataSource, step: Plan, rules: Rules, chunk_rows: int, progress: Progress | None) -> int:
    """One pass over the chunks for the plan's checkers and profile; the rows read."""
    from concurrent.futures import ThreadPoolExecutor

    from mlops.data.engine import threads

    offset = 0
    workers = threads()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for piece in _pieces(source, step, chunk_rows):
            _run(piece, step, rules, offset, pool if workers > 1 else None)
            offset += piece.frame.height
            if progress is not None:
                progress(offset, step.total)
    return offset


def _rest_read(rest: list[Checker], step: Plan) -> list[str] | None:
    """The columns the chunked pass still reads: those of the rules left and of the profile (None: all)."""
    if step.builder is not None and step.builder.columns is None:
        return None
    if any(c.rule.check == "duplicate_rows" for c in rest):
        return None
    needed = set(step.drift_cols).union(*(c.rule.columns() for c in rest))
    return [c for c in step.report.columns if c in needed]


def _run(piece: Piece, step: Plan, rules: Rules, offset: int, pool: Any) -> None:
    from mlops.data.checks import Chunk
    from mlops.data.engine import run_checkers

    natives, others = _partition(step.active, piece, rules)
    if natives:
        exprs = aggregations(natives)
        row = piece.frame.select(exprs).row(0, named=True) if exprs else {}
        folding = Folding(row, piece.frame.height, offset)
        folding.frame, folding.piece = piece.frame, piece
        fold(natives, folding)
    wanted = _pandas_columns(others, step, piece.columns)
    if wanted is None or wanted:
        frame = piece.to_pandas(wanted)
        if others:
            run_checkers(pool, others, Chunk(frame, offset, rules.column_types))
        if step.builder is not None:
            step.builder.add(frame)
    elif step.builder is not None:
        step.builder.add(piece.to_pandas([]))


def _partition(checkers: list[Checker], piece: Piece, rules: Rules) -> tuple[list[Native], list[Checker]]:
    """The checkers polars answers on this chunk, and those the pandas checkers must fold."""
    natives: list[Native] = []
    others: list[Checker] = []
    for checker in checkers:
        native = compile_rule(checker, piece.frame, rules.column_types) if not checker.error else None
        if native is None:
            others.append(checker)
        else:
            natives.append(native)
    return natives, others


def _pandas_columns(others: list[Checker], step: Plan, names: list[str]) -> list[str] | None:
    """The columns the pandas side needs (None: all): its rules' columns and the profile's."""
    if step.builder is not None and step.builder.columns is None:
        return None
    if any(c.rule.check == "duplicate_rows" for c in others):
        return None
    needed: set[str] = set(step.drift_cols)
    for checker in others:
        needed |= checker.rule.columns()
    return [n for n in names if n in needed]


def _pieces(source: DataSource, step: Plan, chunk_rows: int) -> Iterator[Piece]:

    from mlops.data.source import prefetch

    if source.fmt == "parquet" and source.path is not None and step.read != [] and _polars_reads(source.path):
        yield from prefetch(_guarded(source, _parquet_pieces(source.path, step.read, chunk_rows)))
        return
    from mlops.data.engine import pandas_frames

    for frame in pandas_frames(source, step, chunk_rows):
        yield Piece(_from_pandas(frame), pandas=frame)


def _from_pandas(frame: Any) -> Any:
    """The columns polars can take as they are; the rest stay on the pandas side (their rules fall back)."""
    import polars as pl

    kept = {}
    for name in frame.columns:
        try:
            kept[name] = pl.from_pandas(frame[name])
        except (TypeError, ValueError, pl.exceptions.PolarsError, ImportError):
            continue
    return pl.DataFrame(kept, height=len(frame)) if kept else pl.DataFrame(height=len(frame))


def _polars_reads(path: str) -> bool:
    """Whether polars can read this file's schema (else the pandas reader reads it, and polars gets frames)."""
    import polars as pl

    try:
        pl.scan_parquet(path).collect_schema()
    except Exception:  # noqa: BLE001 - any polars refusal: the Arrow reader decides, and words its errors
        return False
    return True


def _parquet_pieces(path: str, columns: list[str] | None, chunk_rows: int) -> Iterator[Piece]:
    """Chunks read by polars' Parquet reader, with the pandas engine's boundaries (DataSource._parquet)."""
    import polars as pl
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    cols = [c for c in columns if c in set(names)] if columns is not None else names
    metadata = pf.schema_arrow.metadata
    scan = pl.scan_parquet(path).select(cols)
    sizes = [pf.metadata.row_group(i).num_rows for i in range(pf.metadata.num_row_groups)]
    for start, length in _bounds(sizes, chunk_rows):
        yield Piece(scan.slice(start, length).collect(), metadata=metadata)


def _bounds(sizes: list[int], chunk_rows: int) -> Iterator[tuple[int, int]]:
    """(start, rows) of each chunk: whole row groups together up to chunk_rows, big ones in slices."""
    if not sum(sizes):
        yield 0, 0
        return
    start = rows = 0
    for size in sizes:
        if rows and rows + size > chunk_rows:
            yield from _slices(start, rows, chunk_rows)
            start, rows = start + rows, 0
        if size > chunk_rows:
            yield from _slices(start, size, chunk_rows)
            start += size
            continue
        rows += size
    if rows:
        yield from _slices(start, rows, chunk_rows)


def _guarded(source: DataSource, tables: Iterator[Any]) -> Iterator[Any]:
    """Reader failures as one clear line (exit 2), as DataSource.chunks words them."""
    from mlops.data.source import _first_line
    from mlops.errors import InputError

    try:
        yield from tables
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - every reader failure becomes one clear line
        raise InputError(f"{source.name}: cannot read as PARQUET: {_first_line(exc)}") from None


def _slices(start: int, rows: int, chunk_rows: int) -> Iterator[tuple[int, int]]:
    for offset in range(0, rows, chunk_rows):
        yield start + offset, min(chunk_rows, rows - offset)
