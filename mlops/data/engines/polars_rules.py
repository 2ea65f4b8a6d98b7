"""Rules compiled to polars expressions, for the columns whose polars type settles how pandas would see them.

A rule is native when its answer cannot differ from the pandas checker's: a numeric column read as numbers
(declared number, integer on integers, category or nothing) or a text column read as text (declared
string, category or nothing), with no `where:`. Patterns run on the chunk's Arrow text through the same RE2
call the pandas checker makes (never through polars' Rust regex, whose syntax differs in corners); `unique`
keys integer columns without nulls exactly as the pandas checker does; `distinct` hashes the chunk's few
distinct values with the same keys. Everything else (expressions, unique keys, duplicate rows, datetimes,
booleans, text parsed as numbers) is folded by the pandas checker on the same chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlops.data.checks import MAX_EXAMPLES, AggregateChecker, Checker, UniqueChecker

if TYPE_CHECKING:
    import polars as pl

Kind = Literal["num", "str"]
# how a native rule folds into its checker
Fold = Literal["mask", "moments", "values", "rows", "pattern", "unique", "distinct", "expr"]

MASK_CHECKS = frozenset(
    {"type", "nullable", "min", "max", "gt", "lt", "allowed", "forbidden", "length", "max_null_fraction"}
)
NUMERIC_ONLY = frozenset({"mean", "std", "quantiles"})
NATIVE_CHECKS = MASK_CHECKS | NUMERIC_ONLY | {"rows", "pattern", "unique", "distinct", "expr"}


@dataclass
class Native:
    checker: Checker
    fold: Fold
    expr: Any = None  # polars: the failing mask (mask), the finite values as float64 (moments, values)
    null: Any = None  # polars: the null mask (pattern)


def column_kind(dtype: pl.DataType, declared: str | None) -> Kind | None:
    """How the pandas view would see this column, when that is certain from the polars type alone."""
    if dtype.is_integer():
        return "num" if declared in (None, "integer", "number", "category") else None
    if dtype.is_float():
        return "num" if declared in (None, "number", "category") else None
    if dtype.__class__.__name__ == "String":
        return "str" if declared in (None, "string", "category") else None
    return None


def compile_rule(checker: Checker, frame: Any, types: dict[str, str]) -> Native | None:
    """The rule as a polars fold on this chunk, or None when the pandas checker must run it."""
    rule = checker.rule
    if rule.where is not None or rule.check not in NATIVE_CHECKS:
        return None
    if rule.check in ("rows", "expr"):
        return Native(checker, "rows") if rule.check == "rows" else _compile_expr(checker, frame, types)
    dtype = frame.schema.get(rule.column or "")
    kind = column_kind(dtype, types.get(rule.column or "")) if dtype is not None else None
    if kind is None or (kind == "str" and rule.check in NUMERIC_ONLY | {"unique"}):
        return None
    return _compile_column(checker, frame, kind, dtype)


def _compile_column(checker: Checker, frame: Any, kind: Kind, dtype: Any) -> Native | None:
    import polars as pl

    rule = checker.rule
    col = pl.col(rule.column or "")
    null = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
    if rule.check in NUMERIC_ONLY:
        number = col.cast(pl.Float64)
        fold: Fold = "values" if rule.check == "quantiles" else "moments"
        return Native(checker, fold, number.filter(number.is_finite()))
    if rule.check in ("pattern", "unique", "distinct"):
        if not _keyed_alike(rule.check, kind, dtype, frame.get_column(rule.column or "")):
            return None
        return Native(checker, rule.check, null=null)  # type: ignore[arg-type]
    fail = _fail(rule.check, rule.value, kind, col, null)
    return None if fail is None else Native(checker, "mask", fail.fill_null(False), null)


def _compile_expr(checker: Checker, frame: Any, types: dict[str, str]) -> Native | None:
    from mlops.data.engines.polars_expr import Compiler, NotNative

    expr = checker.rule.expr
    if expr is None or not expr.columns:
        return None
    try:
        fail = Compiler(frame, types).fail(expr.tree)
    except NotNative:
        return None
    return Native(checker, "expr", fail)


def _keyed_alike(check: str, kind: Kind, dtype: Any, series: Any) -> bool:
    """Whether the native fold keys or matches values as the pandas checker would on this chunk: a pandas
    chunk turns integers with nulls into floats (huge ones lose digits), so those go the pandas way."""
    if check == "pattern":
        return kind == "str"
    exact_ints = dtype.is_signed_integer() and series.null_count() == 0
    if check == "unique":
        return exact_ints
    return kind == "str" or dtype.is_float() or exact_ints


def _fail(check: str, value: Any, kind: Kind, col: Any, null: Any) -> Any:
    """The failing-row mask of a column rule, as columns.compare/membership and RowChecker compute it."""
    import polars as pl

    if check in ("nullable", "max_null_fraction"):
        return null
    if check == "type":
        return null & pl.lit(False)
    if check in ("min", "max", "gt", "lt"):
        return _compare(check, value, kind, col, null)
    if check in ("allowed", "forbidden"):
        listed = col.cast(pl.Float64).is_in(_numbers(value)) if kind == "num" else col.is_in(_texts(value))
        return ~null & (~listed if check == "allowed" else listed)
    return _length(value, col, null) if check == "length" and kind == "str" else None


def _length(value: dict[str, Any], col: Any, null: Any) -> Any:
    import polars as pl

    lengths = col.str.len_chars()
    bad = pl.lit(False)
    if "min" in value:
        bad = bad | (lengths < value["min"])
    if "max" in value:
        bad = bad | (lengths > value["max"])
    return ~null & bad


def _compare(check: str, value: Any, kind: Kind, col: Any, null: Any) -> Any:
    import polars as pl

    if kind == "num" and isinstance(value, str):
        return None  # the pandas checker words the error
    x = col.cast(pl.Float64) if kind == "num" else col
    limit = float(value) if kind == "num" else str(value)
    ok = {"min": x >= limit, "max": x <= limit, "gt": x > limit, "lt": x < limit}[check]
    return ~null & ~ok.fill_null(True)


def _numbers(values: list[Any]) -> list[float]:
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            continue  # not a number: matches no number (as in columns.membership)
    return numbers


def _texts(values: list[Any]) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def aggregations(natives: list[Native]) -> list[Any]:
    """One select for the whole chunk: per mask its count and first failing rows; per moments its sums."""
    exprs: list[Any] = []
    for i, nat in enumerate(natives):
        build = _AGGREGATIONS.get(nat.fold)
        if build is not None:
            exprs += build(nat, i)
    return exprs


def _mask_aggregations(nat: Native, i: int) -> list[Any]:
    """The count and the first failing rows, with the values shown (the rule's column, or the expression's)."""
    import polars as pl

    out = [nat.expr.sum().alias(f"n{i}")]
    room = MAX_EXAMPLES - len(nat.checker.examples)
    if room <= 0:
        return out
    out.append(nat.expr.arg_true().head(room).implode().alias(f"r{i}"))
    if nat.fold == "mask":
        shown = pl.col(nat.checker.rule.column or "").filter(nat.expr).head(room).implode()
        return [*out, shown.alias(f"v{i}")]
    for j, name in enumerate(_expr_columns(nat)):
        out.append(pl.col(name).filter(nat.expr).head(room).implode().alias(f"v{i}_{j}"))
    return out


def _moment_aggregations(nat: Native, i: int) -> list[Any]:
    x = nat.expr
    return [
        x.len().alias(f"n{i}"),
        x.mean().alias(f"m{i}"),
        (x.var(ddof=0) * x.len()).alias(f"s{i}"),
        x.min().alias(f"lo{i}"),
        x.max().alias(f"hi{i}"),
    ]


def _distinct_aggregations(nat: Native, i: int) -> list[Any]:
    import polars as pl

    return [pl.col(nat.checker.rule.column or "").filter(~nat.null).unique().implode().alias(f"u{i}")]


_AGGREGATIONS: dict[str, Callable[[Native, int], list[Any]]] = {
    "mask": _mask_aggregations,
    "expr": _mask_aggregations,
    "moments": _moment_aggregations,
    "distinct": _distinct_aggregations,
}


@dataclass
class Folding:
    """What a fold reads: the select's answers, the chunk (polars and, for patterns, Arrow) and its place."""

    row: dict[str, Any]
    frame: Any  # polars DataFrame
    arrow: Any  # Arrow table or None
    offset: int
    float_ints: set[str]  # integer columns the pandas chunk holds as floats (they have nulls there)
    na_columns: set[str]  # columns whose nulls pandas holds as pd.NA (examples show "<NA>")

    def value(self, name: str, value: Any) -> Any:
        """An example value as the pandas checker would show it."""
        from mlops.data import columns as colmod

        if value is None:
            return "<NA>" if name in self.na_columns else None
        return colmod.jsonable(float(value) if name in self.float_ints else value)


def fold(natives: list[Native], folding: Folding) -> None:
    """Fold the chunk into the checkers, as their pandas updates would."""
    for i, nat in enumerate(natives):
        nat.checker.checked += folding.frame.height
        _FOLDS[nat.fold](nat, i, folding)


def _fold_mask(nat: Native, i: int, f: Folding) -> None:

    checker = nat.checker
    checker.failing += int(f.row[f"n{i}"])
    name = checker.rule.column or ""
    nulls = checker.rule.check in ("nullable", "max_null_fraction")
    for r, v in zip(f.row.get(f"r{i}") or [], f.row.get(f"v{i}") or []):
        checker.examples.append({"row": f.offset + int(r), "value": f.value(name, None if nulls else v)})


def _expr_columns(nat: Native) -> tuple[str, ...]:
    return nat.checker.rule.expr.columns if nat.checker.rule.expr is not None else ()


def _fold_expr(nat: Native, i: int, f: Folding) -> None:
    """Failing rows shown as `column=value, ...` (checks._row_text), integers with nulls as pandas floats."""

    checker = nat.checker
    checker.failing += int(f.row[f"n{i}"])
    names = _expr_columns(nat)
    for k, r in enumerate(f.row.get(f"r{i}") or []):
        parts = [f"{name}={f.value(name, f.row[f'v{i}_{j}'][k])}" for j, name in enumerate(names)]
        checker.examples.append({"row": f.offset + int(r), "value": ", ".join(parts)})


def _fold_moments(nat: Native, i: int, f: Folding) -> None:
    from mlops.data.sketch import Moments

    assert isinstance(nat.checker, AggregateChecker)
    if f.row[f"n{i}"]:
        part = Moments(int(f.row[f"n{i}"]), f.row[f"m{i}"], f.row[f"s{i}"], f.row[f"lo{i}"], f.row[f"hi{i}"])
        nat.checker.moments.merge(part)


def _fold_values(nat: Native, i: int, f: Folding) -> None:
    assert isinstance(nat.checker, AggregateChecker)
    values = f.frame.select(nat.expr).to_series().to_numpy()
    if len(values):
        nat.checker.sketch.add(values)


def _fold_rows(nat: Native, i: int, f: Folding) -> None:
    return None  # the row count is all a table rows rule keeps


def _fold_pattern(nat: Native, i: int, f: Folding) -> None:
    """The pandas checker's own call (RE2 fullmatch on Arrow text), on the chunk's Arrow column."""
    import pandas as pd
    import pyarrow as pa

    name = nat.checker.rule.column or ""
    column = f.arrow.column(name) if f.arrow is not None else f.frame.get_column(name).to_arrow()
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    text = pd.Series(pd.arrays.ArrowStringArray(chunked))
    null = f.frame.select(nat.null).to_series().to_numpy()
    matched = text.str.fullmatch(str(nat.checker.rule.value)).fillna(False).to_numpy(dtype=bool)
    _record(nat.checker, ~null & ~matched, f, text)


def _fold_unique(nat: Native, i: int, f: Folding) -> None:
    """Integer keys are the values themselves (columns.value_keys); a chunk with nulls goes the pandas way."""
    import numpy as np

    assert isinstance(nat.checker, UniqueChecker)
    series = f.frame.get_column(nat.checker.rule.column or "")
    keys = series.to_numpy().astype("int64", copy=False).view("uint64")
    dup = nat.checker.seen.add(keys) if len(keys) else np.zeros(0, dtype=bool)
    _record(nat.checker, dup, f, series)


def _fold_distinct(nat: Native, i: int, f: Folding) -> None:
    """The chunk's distinct values, keyed as the pandas checker keys them (few values: cheap in pandas)."""
    import pandas as pd

    from mlops.data import columns as colmod

    assert isinstance(nat.checker, AggregateChecker)
    uniques = f.row[f"u{i}"]
    if len(uniques):
        view = colmod.view(nat.checker.rule.column or "", pd.Series(uniques), None)
        nat.checker.distinct.add(pd.unique(colmod.value_keys(view)))


def _record(checker: Checker, fail: Any, f: Folding, shown: Any) -> None:
    import numpy as np

    from mlops.data import columns as colmod

    count = int(fail.sum())
    checker.failing += count
    room = MAX_EXAMPLES - len(checker.examples)
    for r in np.flatnonzero(fail)[:room] if count and room > 0 else []:
        checker.examples.append({"row": f.offset + int(r), "value": colmod.jsonable(shown[int(r)])})


_FOLDS: dict[str, Callable[[Native, int, Folding], None]] = {
    "mask": _fold_mask,
    "moments": _fold_moments,
    "values": _fold_values,
    "rows": _fold_rows,
    "pattern": _fold_pattern,
    "unique": _fold_unique,
    "distinct": _fold_distinct,
    "expr": _fold_expr,
}
