"""Rules as Spark Columns: for each rule, the failing-row condition, its scope, and the values its examples show.

A plan is built per rule from the column views and the expression compiler; the engine sums every plan's
conditions in one aggregation pass and then fetches the examples of the rules that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops.data.checks import Checker
from mlops.data.evaluate import EvalError
from mlops.data.spark.columns import SparkView, compare, key, membership, quoted
from mlops.data.spark.expr import Compiler
from mlops.data.spark.patterns import java_pattern

ROW_CHECKS = ("type", "nullable", "min", "max", "gt", "lt", "allowed", "forbidden", "pattern", "length")
KEY_CHECKS = ("unique", "unique_key", "duplicate_rows")


@dataclass
class Shown:
    """A value shown in an example: a column, and how its collected value becomes JSON."""

    name: str  # the column's name in the report (row text) and the alias it is collected under
    column: Any
    utc: bool = False  # a timestamp with a zone, collected as microseconds (UTC) and shown in `zone`
    zone: str | None = None  # the column's zone as the source declares it (None: shown in UTC)


@dataclass
class RulePlan:
    checker: Checker
    fail: Any = None  # boolean Column (row rules)
    scope: Any = None  # boolean Column, or None for every row
    shown: list[Shown] = field(default_factory=list)
    as_text: bool = False  # examples are "a=1, b=2" row texts
    keep: Any = None  # aggregates: rows whose values count
    keys: Any = None  # unique rules: the key Column
    values: Any = None  # mean/std/quantiles: the finite numbers
    kept: int = 0  # rows whose values count (aggregates, unique rules)


def shown_of(
    name: str, view: SparkView, dtype: Any, use_numbers: bool = False, zone: str | None = None
) -> Shown:
    if use_numbers:
        return Shown(name, view.numbers)
    if type(dtype).__name__ == "TimestampType":
        from pyspark.sql import functions as F

        return Shown(name, F.unix_micros(view.series), utc=True, zone=zone)
    return Shown(name, view.series)


class Planner:
    def __init__(
        self, views: Any, types: dict[str, Any], compiler: Compiler, zones: dict[str, str] | None = None
    ) -> None:
        self.view = views
        self.types = types  # column name -> Spark type
        self.compiler = compiler
        self.zones = zones or {}  # column name -> the zone its examples are shown in

    def plan(self, checker: Checker) -> RulePlan:
        rule = checker.rule
        out = RulePlan(checker)
        try:
            if rule.check == "expr":  # as the pandas checker: the expression first, so both name its error
                self._fill(out)
            out.scope = self.compiler.mask(rule.where)[0] if rule.where is not None else None
            if rule.check != "expr":
                self._fill(out)
        except EvalError as exc:
            checker.error = f"cannot evaluate: {exc.message} (at character {exc.pos + 1})"
        except (ValueError, TypeError) as exc:
            checker.error = f"cannot evaluate: {exc}"
        return out

    def _fill(self, out: RulePlan) -> None:
        check = out.checker.rule.check
        if check == "expr":
            self._expr(out)
        elif check in KEY_CHECKS:
            self._keys(out)
        elif check in ROW_CHECKS:
            self._row(out)
        elif check == "max_null_fraction":
            v = self.view(out.checker.rule.column or "")
            out.fail = v.null
            out.shown = [self._shown(v.name)]
        elif check != "rows":
            self._aggregated(out)

    def _expr(self, out: RulePlan) -> None:
        expr = out.checker.rule.expr
        assert expr is not None
        true, null = self.compiler.mask(expr)
        out.fail = ~true & ~null
        out.shown = [self._shown(c) for c in expr.columns if c in self.types]
        out.as_text = True

    def _row(self, out: RulePlan) -> None:
        rule = out.checker.rule
        v = self.view(rule.column or "")
        out.fail = row_failure(v, rule.check, rule.value)
        numbers = rule.check != "type" and v.kind == "num" and v.found == "string"
        out.shown = [shown_of(v.name, v, self.types[v.name], numbers, self.zones.get(v.name))]

    def _aggregated(self, out: RulePlan) -> None:
        """distinct (a key per row), mean/std/quantiles (the finite numbers of the rows that count)."""
        from pyspark.sql import functions as F

        v = self.view(out.checker.rule.column or "")
        out.keep = v.valid if out.scope is None else out.scope & v.valid
        if out.checker.rule.check == "distinct":
            out.keys = key(v)
        elif v.kind in ("num", "bool"):
            numbers = v.numbers.cast("double")
            finite = ~F.isnan(numbers) & ~numbers.isin(float("inf"), float("-inf"))
            out.values = F.when(out.keep & F.coalesce(finite, F.lit(False)), numbers)

    def _shown(self, name: str) -> Shown:
        return shown_of(name, self.view(name), self.types[name], zone=self.zones.get(name))

    def _keys(self, out: RulePlan) -> None:
        from pyspark.sql import functions as F

        rule = out.checker.rule
        if rule.check == "unique":
            v = self.view(rule.column or "")
            out.keep = v.valid if out.scope is None else out.scope & v.valid
            out.keys = key(v)
            out.shown = [self._shown(v.name)]
            return
        names = list(rule.value) if rule.check == "unique_key" else list(self.types)
        out.keep = F.lit(True) if out.scope is None else out.scope
        # one text per row: the keys of its columns, each tagged so (null, "a") and ("a", null) differ
        parts = [F.coalesce(F.concat(F.lit("v"), key(self.view(n))), F.lit("n")) for n in names]
        out.keys = F.to_json(F.array(*parts))
        out.shown = [self._shown(n) for n in names]
        out.as_text = True


def row_failure(v: SparkView, check: str, value: Any) -> Any:
    """The failing rows of a row rule on one column (as mlops.data.checks.RowChecker)."""
    from pyspark.sql import functions as F

    if check == "type":
        return v.bad
    if check == "nullable":
        return v.null
    if check in ("min", "max", "gt", "lt"):
        return compare(v, check, value)
    if check == "allowed":
        return v.valid & ~membership(v, list(value))
    if check == "forbidden":
        return membership(v, list(value))
    if check == "pattern":
        text = v.series.cast("string")
        return v.valid & ~F.coalesce(text.rlike(java_pattern(str(value))), F.lit(False))
    lengths = F.length(v.series.cast("string"))
    bad = F.lit(False)
    if "min" in value:
        bad = bad | (lengths < F.lit(value["min"]))
    if "max" in value:
        bad = bad | (lengths > F.lit(value["max"]))
    return v.valid & F.coalesce(bad, F.lit(False))


def column_ref(name: str) -> Any:
    return quoted(name)
