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
from mlops.data.columns import jsonable, row_text
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

    def __init__(self, df: Any, rules: Rules, zones: dict[str, str] | None = None) -> None:
        from pyspark.sql import functions as F

        self.df = df.withColumn(ROW, F.monotonically_increasing_id())
        self.rules = rules
        self.types = {f.name: f.dataType for f in df.schema.fields}
        self._views: dict[str, SparkView] = {}
        self._offsets: dict[int, int] | None = None
        self.planner = Planner(self.view, self.types, Compiler(self.view, set(self.types)), zones)

    def view(self, name: str) -> SparkView:
        if name not in self._views:
            self._views[name] = spark_view(name, self.types[name], self.rules.column_types.get(name))
        return self._views[name]

    def check(self, checkers: list[Checker]) -> int:
        """Fill every checker's counts, statistics and examples; the number of rows."""
        plans = [self.planner.plan(c) for c in checkers]
        live = [p for p in plans if p.checker.error is None]
        rows = self._aggregate(live)
        self._counts(_select(live, _counted))
        self._quantiles(_select(live, _sketched))
        self._examples(_select(live, _with_examples))
        return rows

    def _aggregate(self, plans: list[RulePlan]) -> int:
        """One pass: every rule's sums, per Spark partition (whose row counts number the examples)."""
        from pyspark.sql import functions as F

        def total(cond: Any) -> Any:
            return F.sum(F.when(cond, 1).otherwise(0)).cast("long")

        exprs = [F.count(F.lit(1)).alias("rows")]
        for i, plan in enumerate(plans):
            scope = F.lit(True) if plan.scope is None else plan.scope
            exprs.append(total(scope).alias(f"c{i}"))
            if plan.fail is not None:
                exprs.append(total(plan.fail & scope).alias(f"f{i}"))
            if plan.keep is not None:
                exprs.append(total(plan.keep).alias(f"k{i}"))
            if plan.values is not None:
                exprs += [F.count(plan.values).alias(f"n{i}"), _mean(plan.values).alias(f"m{i}")]
                exprs.append(_variance(plan.values).alias(f"v{i}"))
        parts = self.df.groupBy(F.spark_partition_id().alias("__p")).agg(*exprs).collect()
        parts.sort(key=lambda r: int(r["__p"]))
        self._offsets, start = {}, 0
        for row in parts:
            self._offsets[int(row["__p"])] = start
            start += int(row["rows"])
        for i, plan in enumerate(plans):
            self._fold(plan, i, [r.asDict() for r in parts])
        return start

    def _fold(self, plan: RulePlan, i: int, parts: list[dict[str, Any]]) -> None:
        """Merge one rule's per-partition sums and moments into its checker."""
        c = plan.checker
        c.checked = _total(parts, f"c{i}")
        c.failing = _total(parts, f"f{i}")
        plan.kept = _total(parts, f"k{i}")
        if plan.values is not None:
            c.moments = _moments(parts, i)  # type: ignore[attr-defined]
        elif c.rule.check in ("mean", "std", "quantiles") and plan.kept:
            found = self.view(c.rule.column or "").found
            c.error = f"cannot evaluate: `{c.rule.check}` needs a numeric column; `{c.rule.column}` holds {found} values"

    def _counts(self, plans: list[RulePlan]) -> None:
        """Distinct keys, and rows repeating an earlier key, of every unique/distinct rule in one job."""
        from functools import reduce

        from pyspark.sql import functions as F

        if not plans:
            return
        queries = []
        for i, plan in enumerate(plans):
            groups = self.df.filter(plan.keep).groupBy(plan.keys.alias("k")).count()
            queries.append(
                groups.agg(F.count(F.lit(1)).alias("n"), F.sum("count").alias("rows")).select(
                    F.lit(i).alias("i"), "n", "rows"
                )
            )
        got = {int(r["i"]): r for r in reduce(lambda a, b: a.unionByName(b), queries).collect()}
        for i, plan in enumerate(plans):
            distinct, rows = int(got[i]["n"]), int(got[i]["rows"] or 0)
            if plan.checker.rule.check == "distinct":
                plan.checker.distinct = _Size(distinct)  # type: ignore[attr-defined]
            else:
                plan.checker.failing = rows - distinct

    def _quantiles(self, plans: list[RulePlan]) -> None:
        from mlops.data.spark.partials import quantile_sketches

        if plans:
            names = [f"q{i}" for i in range(len(plans))]
            sketches = quantile_sketches(
                self.df.select(*[p.values.alias(n) for p, n in zip(plans, names)]), names
            )
            for plan, name in zip(plans, names):
                plan.checker.sketch = sketches[name]  # type: ignore[attr-defined]

    def _repeats(self, plan: RulePlan) -> Any:
        """The failing rows of a unique rule: every row after the first of its key, in read order."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        order = Window.partitionBy(plan.keys).orderBy(F.col(ROW))
        repeats = self.df.filter(plan.keep).withColumn("__mlops_n__", F.row_number().over(order))
        return repeats.filter(F.col("__mlops_n__") > 1)

    def _examples(self, plans: list[RulePlan]) -> None:
        """The first failing rows of every failed rule, at most MAX_EXAMPLES each, in one job."""
        from functools import reduce

        from pyspark.sql import functions as F

        if not plans:
            return
        queries = []
        for i, plan in enumerate(plans):
            cols = [F.lit(i).alias("__i"), F.col(ROW)]
            cols += [s.column.alias(f"e{i}_{j}") for j, s in enumerate(plan.shown)]
            failing = (
                self._repeats(plan)
                if plan.keys is not None
                else self.df.filter(plan.fail if plan.scope is None else plan.fail & plan.scope)
            )
            queries.append(failing.select(*cols).orderBy(F.col(ROW)).limit(MAX_EXAMPLES))
        union = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), queries)
        for row in sorted(union.collect(), key=lambda r: (int(r["__i"]), int(r[ROW]))):
            i = int(row["__i"])
            plan = plans[i]
            values = [_json(row[f"e{i}_{j}"], s) for j, s in enumerate(plan.shown)]
            if plan.as_text:
                value: Any = row_text((s.name for s in plan.shown), values)
            else:
                value = values[0]
            plan.checker.examples.append({"row": self._row_number(int(row[ROW])), "value": value})

    def _row_number(self, mid: int) -> int:
        offsets = self._offsets or {}
        return offsets.get(mid >> 33, 0) + (mid & _LOW_BITS)


def _total(parts: list[dict[str, Any]], name: str) -> int:
    return sum(int(p.get(name) or 0) for p in parts)


def _mean(values: Any) -> Any:
    """avg, also where the sum of values near 1e308 overflows (as the pandas engine's Moments computes it)."""
    from pyspark.sql import functions as F

    from mlops.data.sketch import HUGE_SCALE

    plain = F.avg(values)
    return F.when(F.abs(plain) == float("inf"), F.avg(values * HUGE_SCALE) / HUGE_SCALE).otherwise(plain)


def _variance(values: Any) -> Any:
    """var_pop, also where Spark's merge of partial means overflows (values near 1e308, even all equal)."""
    from pyspark.sql import functions as F

    from mlops.data.sketch import HUGE_SCALE

    plain = F.var_pop(values)
    scaled = F.var_pop(values * HUGE_SCALE) / HUGE_SCALE / HUGE_SCALE  # an infinite result is an honest one
    return F.when(F.isnan(plain) | (F.abs(plain) == float("inf")), scaled).otherwise(plain)


def _moments(parts: list[dict[str, Any]], i: int) -> Moments:
    """Rule i's per-partition count, mean and variance merged in partition order."""
    moments = Moments()
    for p in parts:
        n = int(p[f"n{i}"])
        if n:
            moments.merge(Moments(n, float(p[f"m{i}"]), float(p[f"v{i}"]) * n))
    return moments


def _json(value: Any, shown: Shown) -> Any:
    if value is not None and shown.utc:
        from mlops.data.spark.sources import in_zone

        return in_zone(int(value), shown.zone)
    return jsonable(value)


def _select(plans: list[RulePlan], wanted: Any) -> list[RulePlan]:
    return [p for p in plans if p.checker.error is None and wanted(p)]


def _counted(plan: RulePlan) -> bool:
    return plan.keys is not None and plan.kept > 0


def _sketched(plan: RulePlan) -> bool:
    return plan.checker.rule.check == "quantiles" and plan.values is not None


def _with_examples(plan: RulePlan) -> bool:
    return plan.checker.failing > 0 and bool(plan.shown or plan.as_text)


def validate_frame(
    df: Any,
    name: str,
    rules: Rules,
    reference: Profile | None,
    profile_all: bool,
    progress: Progress | None,
    zones: dict[str, str] | None = None,
) -> ValidationReport:
    """The pandas engine's validate over a Spark DataFrame (`zones`: the zone each zoned timestamp column's
    examples are shown in, as the source declares it)."""
    listing = [str(c) for c in df.columns]
    names = set(listing)
    report = ValidationReport(name, rules.path, 0, listing)
    static, active = _split(rules, names, listing)
    drift_cols = _drift_columns(rules, reference, names)
    report.rows = Run(df, rules, zones).check(active)
    if progress is not None:
        progress(report.rows, report.rows)
    results = {c.rule.id: c.result(report.rows) for c in active}
    results.update(static)
    report.results = [results[r.id] for r in rules.rules]
    report.results.extend(pandas_engine._extra_columns(rules, listing))
    _profile_and_drift(report, df, rules, reference, drift_cols, profile_all)
    return report


def _profile_and_drift(
    report: ValidationReport,
    df: Any,
    rules: Rules,
    reference: Profile | None,
    drift_cols: list[str],
    profile_all: bool,
) -> None:
    """The batch's profile (the drift columns, or all), and its drift against the reference."""
    from mlops.data.spark.profile import profile_frame

    if drift_cols or profile_all:
        report.profile = profile_frame(df, None if profile_all else drift_cols, rules.column_types)
    if reference is not None and rules.drift is not None and report.profile is not None:
        report.reference = reference
        pandas_engine._judge_drift(report, rules, reference, drift_cols)


def _split(rules: Rules, names: set[str], listing: list[str]) -> tuple[dict[str, RuleResult], list[Checker]]:
    """Rules the schema decides (presence, absent columns), and checkers for the rest."""
    static: dict[str, RuleResult] = {}
    active: list[Checker] = []
    for rule in rules.rules:
        decided = pandas_engine._static(rule, names, listing)
        if decided is not None:
            static[rule.id] = decided
        else:
            active.append(checker_for(rule))
    return static, active


def _drift_columns(rules: Rules, reference: Profile | None, names: set[str]) -> list[str]:
    """The columns drift compares (as the pandas engine picks them: identifiers left out by default)."""
    if reference is None or rules.drift is None:
        return []
    wanted = rules.drift.columns
    if wanted is None:
        ids = {r.column for r in rules.rules if r.check == "unique"}
        wanted = [c for c in reference.columns if c not in ids]
    shared = names & set(reference.columns)
    return [c for c in wanted if c in shared]
