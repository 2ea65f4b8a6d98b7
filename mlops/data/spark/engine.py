"""SparkEngine.validate: the pandas engine's rules, verdicts and messages, computed by Spark.

Passes over the data: one aggregation for every row rule, null fraction, mean/std and row count; one shuffle
per unique/distinct rule; one executor-side sketch pass for quantiles; one small query per failing rule for
its examples (at most 20 rows each reach the driver), plus one count per partition to number them.

Example rows are numbered in Spark's read order (partition by partition, rows in order within each): for a
single file Spark reads in one partition, or files whose splits Spark keeps in order, that is the pandas
engine's row number; for tables the order is whatever Spark's scan gives. Examples are the first failing
rows in that order, as in the pandas engine.
"""

from __future__ import annotations

from typing import Any

from mlops.data import engine as pandas_engine
from mlops.data.checks import MAX_EXAMPLES, Checker, RuleResult, checker_for
from mlops.data.columns import jsonable
from mlops.data.engine import Progress, ValidationReport
from mlops.data.profile import Profile
from mlops.data.rules import Rules
from mlops.data.sketch import Moments
from mlops.data.spark.columns import SparkView, spark_view
from mlops.data.spark.expr import Compiler
from mlops.data.spark.plan import Planner, RulePlan, Shown

ROW = "__mlops_row__"
_LOW_BITS = (1 << 33) - 1  # monotonically_increasing_id: partition index above bit 33, row number below


class _Size:
    """Stands in for the pandas checker's HashSet: only its length is judged."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


class Run:
    """One validation run over one DataFrame."""

    def __init__(self, df: Any, rules: Rules) -> None:
        from pyspark.sql import functions as F

        self.df = df.withColumn(ROW, F.monotonically_increasing_id())
        self.rules = rules
        self.types = {f.name: f.dataType for f in df.schema.fields}
        self._views: dict[str, SparkView] = {}
        self._offsets: dict[int, int] | None = None
        self.planner = Planner(self.view, self.types, Compiler(self.view, set(self.types)))

    def view(self, name: str) -> SparkView:
        if name not in self._views:
            self._views[name] = spark_view(name, self.types[name], self.rules.column_types.get(name))
        return self._views[name]

    def check(self, checkers: list[Checker]) -> int:
        """Fill every checker's counts, statistics and examples; the number of rows."""
        plans = [self.planner.plan(c) for c in checkers]
        live = [p for p in plans if p.checker.error is None]
        rows = self._aggregate(live)
        for plan in live:
            self._finish(plan)
        return rows

    def _aggregate(self, plans: list[RulePlan]) -> int:
        from pyspark.sql import functions as F

        def total(cond: Any) -> Any:
            return F.coalesce(F.sum(F.when(cond, 1).otherwise(0)), F.lit(0)).cast("long")

        exprs = [F.count(F.lit(1)).alias("rows")]
        for i, plan in enumerate(plans):
            scope = F.lit(True) if plan.scope is None else plan.scope
            exprs.append(total(scope).alias(f"c{i}"))
            if plan.fail is not None:
                exprs.append(total(plan.fail & scope).alias(f"f{i}"))
            if plan.keep is not None:
                exprs.append(total(plan.keep).alias(f"k{i}"))
            if plan.values is not None:
                exprs += [
                    F.count(plan.values).alias(f"n{i}"),
                    F.avg(plan.values).alias(f"m{i}"),
                    F.stddev_samp(plan.values).alias(f"s{i}"),
                ]
        got = self.df.agg(*exprs).collect()[0].asDict()
        for i, plan in enumerate(plans):
            c = plan.checker
            c.checked = int(got[f"c{i}"])
            c.failing = int(got.get(f"f{i}") or 0)
            kept = int(got.get(f"k{i}") or 0)
            if plan.values is not None and got[f"n{i}"]:
                n, sd = int(got[f"n{i}"]), float(got[f"s{i}"] or 0.0)
                c.moments = Moments(n, float(got[f"m{i}"]), sd * sd * (n - 1))  # type: ignore[attr-defined]
            elif _needs_numbers(c) and kept:
                v = self.view(c.rule.column or "")
                c.error = (
                    f"cannot evaluate: `{c.rule.check}` needs a numeric column; "
                    f"`{c.rule.column}` holds {v.found} values"
                )
            plan.kept = kept  # type: ignore[attr-defined]
        return int(got["rows"])

    def _finish(self, plan: RulePlan) -> None:
        c = plan.checker
        if c.error is not None:
            return
        check = c.rule.check
        if check in ("unique", "unique_key", "duplicate_rows"):
            self._unique(plan)
        elif check == "distinct":
            kept = self.df.filter(plan.keep).select(plan.keys.alias("k"))
            c.distinct = _Size(kept.distinct().count() if plan.kept else 0)  # type: ignore[attr-defined]
        elif check == "quantiles" and plan.values is not None:
            from mlops.data.spark.partials import quantile_sketches

            c.sketch = quantile_sketches(self.df.select(plan.values.alias("v")), ["v"])["v"]  # type: ignore[attr-defined]
        elif plan.fail is not None and c.failing:
            scope = plan.fail if plan.scope is None else plan.fail & plan.scope
            c.examples = self._examples(self.df.filter(scope), plan)

    def _unique(self, plan: RulePlan) -> None:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        c = plan.checker
        kept = self.df.filter(plan.keep)
        groups = kept.groupBy(plan.keys.alias("k")).count()
        c.failing = int(groups.agg(F.coalesce(F.sum(F.col("count") - 1), F.lit(0))).collect()[0][0])
        if c.failing:
            order = Window.partitionBy(plan.keys).orderBy(F.col(ROW))
            repeats = kept.withColumn("__mlops_n__", F.row_number().over(order)).filter(
                F.col("__mlops_n__") > 1
            )
            c.examples = self._examples(repeats, plan)

    def _examples(self, failing: Any, plan: RulePlan) -> list[dict[str, Any]]:
        from pyspark.sql import functions as F

        cols = [F.col(ROW)] + [s.column.alias(f"e{i}") for i, s in enumerate(plan.shown)]
        got = failing.select(*cols).orderBy(F.col(ROW)).limit(MAX_EXAMPLES).collect()
        out = []
        for row in got:
            values = [_json(row[f"e{i}"], s) for i, s in enumerate(plan.shown)]
            if plan.as_text:
                value: Any = ", ".join(f"{s.name}={v}" for s, v in zip(plan.shown, values))
            else:
                value = values[0] if values else None
            out.append({"row": self._row_number(row[ROW]), "value": value})
        return out

    def _row_number(self, mid: int) -> int:
        if self._offsets is None:
            from pyspark.sql import functions as F

            counts = self.df.select(F.spark_partition_id().alias("p")).groupBy("p").count().collect()
            sizes = dict(sorted((int(r["p"]), int(r["count"])) for r in counts))
            self._offsets, start = {}, 0
            for part, size in sizes.items():
                self._offsets[part] = start
                start += size
        return self._offsets.get(mid >> 33, 0) + (mid & _LOW_BITS)


def _needs_numbers(c: Checker) -> bool:
    return c.rule.check in ("mean", "std", "quantiles")


def _json(value: Any, shown: Shown) -> Any:
    if value is not None and shown.utc:
        from datetime import datetime, timedelta, timezone

        return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(value))).isoformat()
    return jsonable(value)


def validate_frame(
    df: Any,
    name: str,
    rules: Rules,
    reference: Profile | None,
    profile_all: bool,
    progress: Progress | None,
) -> ValidationReport:
    """The pandas engine's validate over a Spark DataFrame."""
    from mlops.data.spark.profile import profile_frame

    listing = [str(c) for c in df.columns]
    names = set(listing)
    report = ValidationReport(name, rules.path, 0, listing)
    static: dict[str, RuleResult] = {}
    active: list[Checker] = []
    for rule in rules.rules:
        decided = pandas_engine._static(rule, names, listing)
        if decided is not None:
            static[rule.id] = decided
        else:
            active.append(checker_for(rule))
    drift_cols = _drift_columns(rules, reference, names)
    report.rows = Run(df, rules).check(active)
    if progress is not None:
        progress(report.rows, report.rows)
    results = {c.rule.id: c.result(report.rows) for c in active}
    results.update(static)
    report.results = [results[r.id] for r in rules.rules]
    report.results.extend(pandas_engine._extra_columns(rules, listing))
    if drift_cols or profile_all:
        report.profile = profile_frame(df, None if profile_all else drift_cols, rules.column_types)
    if reference is not None and rules.drift is not None and report.profile is not None:
        report.reference = reference
        pandas_engine._judge_drift(report, rules, reference, drift_cols)
    return report


def _drift_columns(rules: Rules, reference: Profile | None, names: set[str]) -> list[str]:
    """The columns drift compares (as the pandas engine picks them: identifiers left out by default)."""
    if reference is None or rules.drift is None:
        return []
    ids = {r.column for r in rules.rules if r.check == "unique"}
    wanted = (
        rules.drift.columns
        if rules.drift.columns is not None
        else [c for c in reference.columns if c not in ids]
    )
    return [c for c in wanted if c in names and c in reference.columns]
