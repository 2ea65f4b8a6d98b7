"""Rules compiled to polars expressions, for the columns whose polars type settles how pandas would see them.

A rule is native when its answer cannot differ from the pandas checker's: a numeric column read as numbers
(declared number, integer on integers, category or nothing) or a text column read as text (declared
string, category or nothing), with no `where:`; on a boolean column, `type`, `nullable` and
`max_null_fraction`. Patterns run through polars' Rust regex when mlops.data.engines.polars_patterns
rewrites them to the same meaning, else on the chunk's Arrow text through the RE2 call the pandas checker
makes. Everything else (expressions the compiler refuses, unique keys, duplicate rows, datetimes, text
parsed as numbers) is folded by the pandas checker on the same chunk.

`frame` is either a chunk (a polars DataFrame) or a FileProbe (mlops.data.engines.polars_file): the whole
file in one query, where `unique`, `distinct` and `quantiles` are exact polars aggregations
(`is_first_distinct`, `n_unique`, `quantile`) instead of the mergeable hash sets and sketches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlops.data.checks import MAX_EXAMPLES, Checker

if TYPE_CHECKING:
    import polars as pl

Kind = Literal["num", "str"]
# how a native rule folds into its checker
Fold = Literal["mask", "moments", "values", "rows", "pattern", "unique", "distinct", "expr", "count", "exact"]

MASK_CHECKS = frozenset(
    {"type", "nullable", "min", "max", "gt", "lt", "allowed", "forbidden", "length", "max_null_fraction"}
)
NUMERIC_ONLY = frozenset({"mean", "std", "quantiles"})
NATIVE_CHECKS = MASK_CHECKS | NUMERIC_ONLY | {"rows", "pattern", "unique", "distinct", "expr"}
BOOLEAN_CHECKS = frozenset({"type", "nullable", "max_null_fraction"})  # a boolean column's native rules


@dataclass
class Native:
    checker: Checker
    fold: Fold
    expr: Any = None  # polars: the failing mask (mask), the finite values as float64 (moments, values)
    null: Any = None  # polars: the null mask (pattern)
    count: Any = None  # polars: the failing count when cheaper than the mask's sum (unique on the whole file)
    recount: Any = None  # polars: the exact count, when `count` is only a cheap test that 0 means 0


def column_kind(dtype: pl.DataType, declared: str | None) -> Kind | None:
    """How the pandas view would see this column, when that is certain from the polars type alone."""
    if dtype.is_integer():
        return "num" if declared in (None, "integer", "number", "category") else None
    if dtype.is_float():
        return "num" if declared in (None, "number", "category") else None
    if dtype.__class__.__name__ == "String":
        return "str" if declared in (None, "string", "category") else None
    return None


def whole_file(frame: Any) -> bool:
    """Whether `frame` stands for the whole file (a FileProbe) rather than one chunk."""
    return bool(getattr(frame, "whole", False))


def compile_rule(checker: Checker, frame: Any, types: dict[str, str]) -> Native | None:
    """The rule as a polars fold on this chunk (or the whole file), or None when the pandas checker must run it."""
    rule = checker.rule
    if rule.where is not None or rule.check not in NATIVE_CHECKS:
        return None
    if rule.check in ("rows", "expr"):
        return Native(checker, "rows") if rule.check == "rows" else _compile_expr(checker, frame, types)
    return _compile_for_column(checker, frame, types)


def _compile_for_column(checker: Checker, frame: Any, types: dict[str, str]) -> Native | None:
    rule = checker.rule
    dtype = frame.schema.get(rule.column or "")
    if dtype is None:
        return None
    if dtype.__class__.__name__ == "Boolean":
        return _compile_boolean(checker, types.get(rule.column or ""))
    kind = column_kind(dtype, types.get(rule.column or ""))
    if kind is None or not _text_runs(kind, rule.check, frame):
        return None
    return _compile_column(checker, frame, kind, dtype)


def _text_runs(kind: Kind, check: str, frame: Any) -> bool:
    """Whether a rule runs natively on a column of this kind (text has no numeric aggregates; text keys are
    exact on the whole file, and hashed as the pandas checker hashes them per chunk)."""
    if kind != "str":
        return True
    return check not in NUMERIC_ONLY and (check != "unique" or whole_file(frame))


def _compile_boolean(checker: Checker, declared: str | None) -> Native | None:
    """A boolean column is read as pandas' nullable boolean: no value is of the wrong type, nulls are nulls."""
    import polars as pl

    rule = checker.rule
    if rule.check not in BOOLEAN_CHECKS or declared not in (None, "boolean", "category"):
        return None
    null = pl.col(rule.column or "").is_null()
    if rule.check == "type":
        return Native(checker, "mask", null & pl.lit(False), null, pl.lit(0))
    return Native(checker, "mask", null, null)


def _compile_column(checker: Checker, frame: Any, kind: Kind, dtype: Any) -> Native | None:
    import polars as pl

    rule = checker.rule
    col = pl.col(rule.column or "")
    null = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
    if rule.check in NUMERIC_ONLY:
        number = col.cast(pl.Float64)
        fold: Fold = "moments" if rule.check != "quantiles" else "exact" if whole_file(frame) else "values"
        return Native(checker, fold, number.filter(number.is_finite()))
    if rule.check == "pattern":
        return _compile_pattern(checker, frame, kind, col, null)
    if rule.check in ("unique", "distinct"):
        return _compile_unique(checker, frame, kind, dtype, null)
    fail = _fail(rule.check, rule.value, kind, col, null)
    if fail is None:
        return None
    return Native(checker, "mask", fail.fill_null(False), null, pl.lit(0) if rule.check == "type" else None)


def _compile_unique(checker: Checker, frame: Any, kind: Kind, dtype: Any, null: Any) -> Native | None:
    import polars as pl

    rule = checker.rule
    # on the whole file, text and float keys are exact values: `unique` keys them as `distinct` does
    keyed = "distinct" if whole_file(frame) else rule.check
    if not _keyed_alike(keyed, kind, dtype, frame.get_column(rule.column or "")):
        return None
    if whole_file(frame):
        col = pl.col(rule.column or "")
        return _compile_keys(checker, col + 0.0 if dtype.is_float() else col, null, dtype.is_integer())
    return Native(checker, rule.check, null=null)  # type: ignore[arg-type]


def _compile_pattern(checker: Checker, frame: Any, kind: Kind, col: Any, null: Any) -> Native | None:
    """Rust's regex when it reads the pattern as RE2 does; else RE2 on Arrow text (per chunk only)."""
    from mlops.data.engines.polars_patterns import rust_pattern

    if kind != "str":
        return None
    rust = rust_pattern(str(checker.rule.value))
    if rust is not None:
        return Native(checker, "mask", (~null & ~col.str.contains(rust)).fill_null(False), null)
    return None if whole_file(frame) else Native(checker, "pattern", null=null)


def _compile_keys(checker: Checker, key: Any, null: Any, integers: bool) -> Native:
    """unique and distinct on the whole file: exact, by value (+ 0.0 makes -0.0 and 0.0 one key, as
    columns.value_keys does); a repeat is a row whose value an earlier row had (pandas' keep="first")."""
    if checker.rule.check != "unique":
        return Native(checker, "count", key.filter(~null), null)
    # repeats: the values kept less the distinct ones; the mask is only evaluated for examples
    valid = key.filter(~null)
    native = Native(checker, "mask", (~null & ~key.is_first_distinct()).fill_null(False), null)
    native.count = valid.len() - valid.n_unique()
    if integers:  # no nulls either (_keyed_alike)
        # identifiers usually come sorted: a strictly increasing column (no step down or sideways) has no
        # repeat, and that costs one comparison per row instead of a hash table
        native.count, native.recount = (key.diff() <= 0).sum(), native.count
    return native


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
    chunk turns integers with nulls into floats, so those go the pandas way."""
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
        return null & pl.lit(False)  # a number read as a number, a text as text: never of another type
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


def aggregations(natives: list[Native], examples: bool = True) -> list[Any]:
    """One select for the whole chunk: per mask its count and first failing rows; per moments its sums.
    Without `examples`, masks give their counts only (examples then cost a second pass over failing rules)."""
    exprs: list[Any] = []
    for i, nat in enumerate(natives):
        if not examples and nat.fold in ("mask", "expr"):
            exprs.append((nat.count if nat.count is not None else nat.expr.sum()).alias(f"n{i}"))
            continue
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
    for j, name in enumerate(expression_columns(nat)):
        out.append(pl.col(name).filter(nat.expr).head(room).implode().alias(f"v{i}_{j}"))
    return out


def _moment_aggregations(nat: Native, i: int) -> list[Any]:
    import polars as pl

    from mlops.data.sketch import HUGE_SCALE

    x = nat.expr
    # the mean of values near 1e308 whose sum overflows, as the pandas engine's Moments computes it
    mean = pl.when(x.mean().is_infinite()).then((x * HUGE_SCALE).mean() / HUGE_SCALE).otherwise(x.mean())
    return [
        x.len().alias(f"n{i}"),
        mean.alias(f"m{i}"),
        (x - mean).pow(2).sum().alias(f"s{i}"),
        x.min().alias(f"lo{i}"),
        x.max().alias(f"hi{i}"),
    ]


def _distinct_aggregations(nat: Native, i: int) -> list[Any]:
    import polars as pl

    return [pl.col(nat.checker.rule.column or "").filter(~nat.null).unique().implode().alias(f"u{i}")]


def _count_aggregations(nat: Native, i: int) -> list[Any]:
    return [nat.expr.n_unique().alias(f"u{i}")]


def _exact_aggregations(nat: Native, i: int) -> list[Any]:
    """Exact quantiles, interpolated linearly between the closest values (numpy's default, as the sketch)."""
    probs = sorted(nat.checker.rule.value)
    out = [nat.expr.len().alias(f"n{i}")]
    return out + [nat.expr.quantile(float(p), "linear").alias(f"q{i}_{k}") for k, p in enumerate(probs)]


_AGGREGATIONS: dict[str, Callable[[Native, int], list[Any]]] = {
    "mask": _mask_aggregations,
    "expr": _mask_aggregations,
    "moments": _moment_aggregations,
    "distinct": _distinct_aggregations,
    "count": _count_aggregations,
    "exact": _exact_aggregations,
}


def expression_columns(nat: Native) -> tuple[str, ...]:
    return nat.checker.rule.expr.columns if nat.checker.rule.expr is not None else ()
