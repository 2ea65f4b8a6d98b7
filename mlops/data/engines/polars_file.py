"""The whole Parquet file in one polars query: every rule polars answers on the whole file at once.

One lazy scan, one multithreaded `collect`: counts and first failing rows of the row rules and expressions,
moments, exact quantiles (`quantile`), exact distinct counts (`n_unique`) and repeats (`is_first_distinct`),
and the native patterns. What the chunked pandas engine decides chunk by chunk is settled for the file from
the Parquet statistics (null counts per column), conservatively: a rule whose answer could depend on how the
file is cut into chunks (an integer column with nulls keyed for `unique`, an undeclared column with nulls in
an expression) is left to the chunked path. Examples are written by value (columns.jsonable), so they read
as the chunked engines' do.

Memory is that of the columns the rules read, decoded once (as a hand-written polars query needs); the
chunked path, which streams, keeps the rules left over, the profile and every file of other formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops.data.engines.polars_folds import Folding, add_examples, expr_columns, fold
from mlops.data.engines.polars_rules import Native, aggregations, compile_rule
from mlops.data.source import DataSource

if TYPE_CHECKING:
    from mlops.data.checks import Checker
    from mlops.data.engine import Plan
    from mlops.data.rules import Rules


@dataclass
class ParquetSource(DataSource):
    """A Parquet file whose column names come from its Arrow schema, without pandas, when the layout is
    plain (see plain_layout); else as DataSource reads them."""

    def schema(self) -> list[str]:
        import pyarrow.parquet as pq

        try:
            names = plain_layout(pq.ParquetFile(self.handle()).schema_arrow)
        except Exception:  # noqa: BLE001 - DataSource reads it again, and words what is wrong with it
            names = None
        return names if names is not None else super().schema()


def fast_source(source: DataSource) -> DataSource:
    """A Parquet file on disk as a ParquetSource; anything else as it is."""
    if source.fmt == "parquet" and source.path is not None and type(source) is DataSource:
        return ParquetSource(source.name, source.fmt, path=source.path)
    return source


@dataclass
class FileColumn:
    """What compile_rule asks of a column: its null count (None: the statistics do not say) and length."""

    nulls: int | None
    rows: int

    def null_count(self) -> int:
        return self.rows if self.nulls is None else self.nulls  # unknown: assume the worst (all null)

    def len(self) -> int:
        return self.rows


@dataclass
class FileProbe:
    """The whole file as compile_rule sees a chunk: the polars schema and per-column null counts."""

    schema: dict[str, Any]
    stats: dict[str, FileColumn]
    whole: bool = True

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    def get_column(self, name: str) -> FileColumn:
        return self.stats[name]


@dataclass
class FileRun:
    """The file the whole-file query reads: its rows and how its columns group into queries."""

    path: str
    rows: int
    groups: dict[str, int] = field(default_factory=dict)  # column -> its group in the whole-file query


def run_file(source: DataSource, step: Plan, rules: Rules) -> tuple[list[Checker], int | None]:
    """Run what polars answers for the whole file in one query; the checkers left (and the rows, or None
    when nothing ran this way)."""
    if source.fmt != "parquet" or source.path is None or step.read == [] or not step.total:
        return step.active, None
    probe, run = _inspect(source.path, step.read)
    if probe is None or run is None:
        return step.active, None
    natives, rest = _partition(step.active, probe, rules.column_types)
    if not natives:
        return step.active, None
    import polars as pl

    scan = pl.scan_parquet(source.path)
    exprs = [*aggregations(natives, examples=False), pl.len().alias("rows")]
    try:
        row = _collect_grouped(scan, exprs, run.groups)
    except pl.exceptions.PolarsError:  # the chunked path reads it again, and words what is wrong with it
        return step.active, None
    run.rows = int(row["rows"])
    _recount(scan, natives, row)
    fold(natives, Folding(row, run.rows, 0))
    _examples(scan, natives, Folding({}, run.rows, 0))
    return rest, run.rows


GROUP_BYTES = 256 << 20


def _collect_grouped(scan: Any, exprs: list[Any], groups: dict[str, int]) -> dict[str, Any]:
    """One row of every aggregation, one query per column group: peak memory follows the largest group (about
    GROUP_BYTES) rather than the whole file, and each query still runs on every core. An expression over
    several columns runs with the group of its first one (and reads the others too)."""
    batches: dict[int, list[Any]] = {}
    for expr in exprs:
        first = min((groups.get(name, 0) for name in expr.meta.root_names()), default=0)
        batches.setdefault(first, []).append(expr)
    row: dict[str, Any] = {}
    for batch in batches.values():
        row.update(scan.select(batch).collect().row(0, named=True))
    return row


def column_groups(meta: Any) -> dict[str, int]:
    """Each column's group (from the Parquet metadata): consecutive columns, each group about GROUP_BYTES in
    memory (estimated as 8 bytes a row plus the decoded Parquet size, which is what a string column adds)."""
    sizes: dict[str, int] = {}
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            column = group.column(j)
            sizes[column.path_in_schema] = sizes.get(column.path_in_schema, 8 * meta.num_rows) + (
                column.total_uncompressed_size
            )
    groups: dict[str, int] = {}
    number, filled = 0, 0
    for name, size in sizes.items():
        if filled and filled + size > GROUP_BYTES:
            number, filled = number + 1, 0
        groups[name] = number
        filled += size
    return groups


def _partition(
    checkers: list[Checker], probe: FileProbe, types: dict[str, str]
) -> tuple[list[Native], list[Checker]]:
    """The checkers polars answers for the whole file, and those left to the chunked path."""
    natives: list[Native] = []
    rest: list[Checker] = []
    for checker in checkers:
        native = compile_rule(checker, probe, types) if not checker.error else None
        if native is None:
            rest.append(checker)
        else:
            natives.append(native)
    return natives, rest


def _recount(scan: Any, natives: list[Native], row: dict[str, Any]) -> None:
    """The exact counts of the rules whose cheap test (a sorted key has no repeat) did not settle them."""
    redo = {f"n{i}": nat.recount for i, nat in enumerate(natives) if nat.recount is not None and row[f"n{i}"]}
    if redo:
        row.update(scan.select([e.alias(k) for k, e in redo.items()]).collect().row(0, named=True))


def _examples(scan: Any, natives: list[Native], folding: Folding) -> None:
    """The first failing rows of each failing rule, one query each: on clean data, none at all."""
    import polars as pl

    from mlops.data.checks import MAX_EXAMPLES

    for i, nat in enumerate(natives):
        room = MAX_EXAMPLES - len(nat.checker.examples)
        if nat.fold not in ("mask", "expr") or not nat.checker.failing or room <= 0:
            continue
        names = expr_columns(nat)
        index = "__mlops_row__"
        rows = scan.with_row_index(index).filter(nat.expr).head(room)
        part = rows.select(
            pl.col(index), *[pl.col(n).alias(f"v{i}_{j}") for j, n in enumerate(names)]
        ).collect()
        folding.row = {f"r{i}": part[index].to_list(), f"v{i}": part[f"v{i}_0"].to_list()}
        folding.row.update({f"v{i}_{j}": part[f"v{i}_{j}"].to_list() for j in range(len(names))})
        add_examples(nat, i, folding)


def _inspect(path: str, columns: list[str] | None = None) -> tuple[FileProbe | None, FileRun | None]:
    """The probe and the run; (None, None) when polars cannot read the file, or when the columns read would
    not fit in memory (then the chunked path streams them)."""
    import polars as pl
    import pyarrow.parquet as pq

    try:
        schema = dict(pl.scan_parquet(path).collect_schema())
        meta = pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 - any refusal: the chunked path reads it, and words its errors
        return None, None
    if decoded_bytes(meta, columns) > memory_budget():
        return None, None
    nulls = _null_counts(meta)
    stats = {name: FileColumn(nulls.get(name), meta.num_rows) for name in schema}
    return FileProbe(schema, stats), FileRun(path, meta.num_rows, groups=column_groups(meta))


_PLAIN_ARROW = ("int", "uint", "float", "double", "bool", "string", "large_string", "timestamp")
_PLAIN_NUMPY = ("int", "uint", "float", "bool", "object", "str", "datetime64")


def plain_layout(schema: Any) -> list[str] | None:
    """The column names pandas gives this Arrow schema, when it holds only plain types and its pandas
    metadata (if any) names no index column and only plain numpy dtypes; None otherwise (ask pandas)."""
    from mlops.config.yamlload import DATA, YamlProblem, load_bytes

    if any(not str(f.type).startswith(_PLAIN_ARROW) for f in schema):
        return None
    raw = (schema.metadata or {}).get(b"pandas")
    if raw is None:
        return list(schema.names)
    try:
        meta = load_bytes(raw, "pandas metadata", DATA, marks=False).data
    except YamlProblem:
        return None
    return list(schema.names) if isinstance(meta, dict) and _plain_pandas(meta) else None


def _plain_pandas(meta: dict[str, Any]) -> bool:
    """No index stored as a column (pandas would make it the index), only plain numpy dtypes, names as is."""
    columns = meta.get("columns")
    indexes = meta.get("index_columns", [])
    if not isinstance(columns, list) or not isinstance(indexes, list):
        return False
    if any(not isinstance(i, dict) for i in indexes) or any(not isinstance(c, dict) for c in columns):
        return False
    return all(
        str(c.get("numpy_type", "")).startswith(_PLAIN_NUMPY) and str(c.get("name")) == c.get("field_name")
        for c in columns
    )


def decoded_bytes(meta: Any, columns: list[str] | None) -> int:
    """The uncompressed size of these columns (None: all) in the file, from the Parquet metadata."""
    wanted = set(columns) if columns is not None else None
    total = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            column = group.column(j)
            if wanted is None or column.path_in_schema in wanted:
                total += column.total_uncompressed_size
    return total


def memory_budget() -> int:
    """The decoded bytes the whole-file pass may take: a third of the memory available now (the query holds
    the columns, and masks and sorts as large again), or MLOPS_POLARS_MEMORY bytes when set."""
    import os

    configured = os.environ.get("MLOPS_POLARS_MEMORY")
    if configured and configured.isdigit():
        return int(configured)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 3
    except (ValueError, OSError, AttributeError):  # not Linux: assume a small machine
        return 1 << 30


def _null_counts(meta: Any) -> dict[str, int | None]:
    """Each column's null count over every row group, from the Parquet statistics (None: not recorded)."""
    totals: dict[str, int | None] = {}
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            column = group.column(j)
            stats = column.statistics
            known = stats is not None and stats.has_null_count
            before = totals.get(column.path_in_schema, 0)
            totals[column.path_in_schema] = (
                before + stats.null_count if known and before is not None else None
            )
    return totals
