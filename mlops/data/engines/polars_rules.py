"""Rules compiled to polars expressions, for the columns whose polars type settles how pandas would see them.

A rule is native when its answer cannot differ from the pandas checker's: a numeric column read as numbers
(declared number, integer on integers, category or nothing) or a text column read as text (declared
string, category or nothing), with no `where:`. Everything else (patterns, expressions, uniqueness,
distinct counts, datetimes, booleans, text that must be parsed as numbers) is folded by the pandas checker
on the same chunk, so the answers stay the pandas engine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlops.data.checks import MAX_EXAMPLES, AggregateChecker, Checker

if TYPE_CHECKING:
    import polars as pl

Kind = Literal["num", "str"]
# how a native rule folds into its checker: a failing-row mask, moments, sketch values, a row count
Fold = Literal["mask", "moments", "values", "rows"]

NATIVE_CHECKS = frozenset(
    {"type", "nullable", "min", "max", "gt", "lt", "allowed", "forbidden", "length", "max_null_fraction"}
    | {"mean", "std", "quantiles", "rows"}
)
NUMERIC_ONLY = frozenset({"mean", "std", "quantiles"})


@dataclass
class Native:
    checker: Checker
    fold: Fold
    expr: Any  # polars expression: the failing mask (mask) or the column as float64 (moments, values)
    shown_as_float: bool = False  # integers in a chunk with nulls: pandas shows them as floats


def column_kind(dtype: pl.DataType, declared: str | None) -> Kind | None:
    """How the pandas view would see this column, when that is certain from the polars type alone."""
    if dtype.is_integer():
        return "num" if declared in (None, "integer", "number", "category") else None
    if dtype.is_float():
        return "num" if declared in (None, "number", "category") else None
    if dtype.__class__.__name__ == "String":
        return "str" if declared in (None, "string", "category") else None
    return None


def compile_rule(checker: Checker, schema: dict[str, Any], types: dict[str, str]) -> Native | None:
    """The rule as a polars fold on a chunk with this schema, or None when the pandas checker must run it."""
    import polars as pl

    rule = checker.rule
    if rule.where is not None or rule.check not in NATIVE_CHECKS:
        return None
    if rule.check == "rows":
        return Native(checker, "rows", None)
    dtype = schema.get(rule.column or "")
    if dtype is None:
        return None
    kind = column_kind(dtype, types.get(rule.column or ""))
    if kind is None or (kind == "str" and rule.check in NUMERIC_ONLY):
        return None
    col = pl.col(rule.column or "")
    null = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
    if rule.check in NUMERIC_ONLY:
        fold: Fold = "values" if rule.check == "quantiles" else "moments"
        number = col.cast(pl.Float64)
        return Native(checker, fold, number.filter(number.is_finite()))
    fail = _fail(rule.check, rule.value, kind, col, null)
    if fail is None:
        return None
    return Native(checker, "mask", fail.fill_null(False), kind == "num" and dtype.is_integer())


def _fail(check: str, value: Any, kind: Kind, col: Any, null: Any) -> Any:
    import polars as pl

    if check in ("nullable", "max_null_fraction"):
        return null
    if check == "type":
        return null & pl.lit(False)
    valid = ~null
    number = col.cast(pl.Float64)
    if check in ("min", "max", "gt", "lt"):
        if kind == "num" and isinstance(value, str):
            return None  # the pandas checker words the error
        limit = float(value) if kind == "num" else str(value)
        x = number if kind == "num" else col
        ok = {"min": x >= limit, "max": x <= limit, "gt": x > limit, "lt": x < limit}[check]
        return valid & ~ok.fill_null(True)
    if check in ("allowed", "forbidden"):
        listed = (
            number.is_in(_numbers(value), nulls_equal=False) if kind == "num" else col.is_in(_texts(value))
        )
        return valid & (~listed if check == "allowed" else listed)
    if check == "length" and kind == "str":
        lengths = col.str.len_chars()
        bad = pl.lit(False)
        if "min" in value:
            bad = bad | (lengths < value["min"])
        if "max" in value:
            bad = bad | (lengths > value["max"])
        return valid & bad
    return None


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
    import polars as pl

    exprs: list[Any] = []
    for i, nat in enumerate(natives):
        if nat.fold == "mask":
            exprs.append(nat.expr.sum().alias(f"n{i}"))
            room = MAX_EXAMPLES - len(nat.checker.examples)
            if room > 0:
                rule = nat.checker.rule
                exprs.append(nat.expr.arg_true().head(room).implode().alias(f"r{i}"))
                shown = pl.col(rule.column or "").filter(nat.expr).head(room).implode()
                exprs.append(shown.alias(f"v{i}"))
        elif nat.fold == "moments":
            x = nat.expr
            exprs += [
                x.len().alias(f"n{i}"),
                x.mean().alias(f"m{i}"),
                (x.var(ddof=0) * x.len()).alias(f"s{i}"),
                x.min().alias(f"lo{i}"),
                x.max().alias(f"hi{i}"),
            ]
    return exprs


def fold(natives: list[Native], row: dict[str, Any], frame: Any, offset: int) -> None:
    """Fold the select's answers (and sketch values) into the checkers, as their pandas updates would."""
    from mlops.data import columns as colmod
    from mlops.data.sketch import Moments

    rows = frame.height
    for i, nat in enumerate(natives):
        checker = nat.checker
        checker.checked += rows
        if nat.fold == "mask":
            checker.failing += int(row[f"n{i}"])
            name = checker.rule.column or ""
            as_float = nat.shown_as_float and frame.get_column(name).null_count() > 0
            nulls = checker.rule.check in ("nullable", "max_null_fraction")
            for r, v in zip(row.get(f"r{i}") or [], row.get(f"v{i}") or []):
                shown = None if nulls else (float(v) if as_float and v is not None else v)
                checker.examples.append({"row": offset + int(r), "value": colmod.jsonable(shown)})
        elif nat.fold == "moments" and row[f"n{i}"]:
            assert isinstance(checker, AggregateChecker)
            part = Moments(int(row[f"n{i}"]), row[f"m{i}"], row[f"s{i}"], row[f"lo{i}"], row[f"hi{i}"])
            checker.moments.merge(part)
        elif nat.fold == "values":
            assert isinstance(checker, AggregateChecker)
            values = frame.select(nat.expr).to_series().to_numpy()
            if len(values):
                checker.sketch.add(values)
