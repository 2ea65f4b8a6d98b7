"""Live metrics of a Spark batch, computed as aggregates on the executors: only counts and sums reach the driver.

The semantics are mlops.monitor.metrics' and mlops.monitor.labels': Spark groups the rows whose labels count
by their raw (slice, label, prediction) values, and the driver applies the same pure functions (task inference,
`canonical`, probabilities as scores, `--positive`, `_comparable`) to those few distinct values, then scores the
confusion tables with `confusion_metrics`. Regression sums |error| and error^2 per slice; ROC AUC is the
Mann-Whitney U from per-(score, label) counts with a running sum of the negatives (`auc_from_u`). Event times
are judged by `labels.maturity` itself, run per batch on the executors (a pandas UDF).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from mlops.errors import InputError
from mlops.monitor import metrics as m
from mlops.monitor.labels import (
    MATURE,
    NO_TIME,
    RECENT,
    UNPARSED,
    LabelWindow,
    format_time,
    maturity,
    window_limit,
)
from mlops.monitor.spark_values import FLOATS, INTEGRAL, NUMERIC, ROW, pandas_array, require_comparable

LABEL, PRED, SCORE, KEY, LABELED, STATE, GROUP = (
    "__label",
    "__prediction",
    "__score",
    "__key",
    "__labeled",
    "__state",
    "__group",
)
MAX_SLICES = 50


def live_metrics(
    df: Any, options: Any, window: datetime, delay: str | None, timestamp: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(metrics overall and per slice, label coverage) as `mlops.monitor.run._metrics` computes them."""
    types = {f.name: type(f.dataType).__name__ for f in df.schema.fields}
    labels, predictions = options.labels or "", options.predictions or ""
    if options.task != "regression":
        require_comparable(df, labels, predictions, types)
    limit = window_limit(window, delay, timestamp, list(df.columns))
    rows = _flagged(df, options, types, timestamp if limit is not None else None, limit)
    # the few columns metrics read, kept on the executors (memory, else their disks) for the passes below:
    # the batch is read, and its event times parsed, once
    rows.persist(_storage())
    try:
        facts = _facts(rows, types[labels], types[predictions])
        coverage = _coverage(facts, delay, limit)
        if not facts["counted"]:
            return None, coverage
        counted = rows.where(_counted())
        task = options.task or _task(counted, types[labels], facts)
        if task == m.REGRESSION:
            return _regression(counted, options, types), coverage
        return _Classifier(counted, options, types, facts).evaluate(), coverage
    finally:
        rows.unpersist()


def _storage() -> Any:
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK


# -- the rows that count -----------------------------------------------------------------------------------


def _coverage(facts: dict[str, Any], delay: str | None, limit: datetime | None) -> dict[str, Any]:
    """The label window's numbers as labels.LabelWindow records them."""
    counts = {name: int(facts[name] or 0) for name in ("rows", "labeled", "mature", "counted", "unparsed")}
    return LabelWindow(
        None,
        counts["rows"],
        counts["labeled"],
        counts["mature"],
        counts["counted"],
        delay.strip() if delay is not None else None,
        format_time(limit) if limit is not None else None,
        counts["unparsed"],
    ).to_dict()


def _flagged(df: Any, options: Any, types: dict[str, str], timestamp: str | None, limit: Any) -> Any:
    """Label, prediction, score and slice columns, the read-order row id, whether the row is labeled, and
    its event time's maturity (labels.maturity codes; MATURE for every row without a delay)."""
    from pyspark.sql import functions as F

    from mlops.data.spark.columns import quoted

    label, pred = quoted(options.labels), quoted(options.predictions)
    labeled = _present(label, types[options.labels]) & _present(pred, types[options.predictions])
    columns = [label.alias(LABEL), pred.alias(PRED), labeled.alias(LABELED)]
    if options.scores:
        columns.append(quoted(options.scores).alias(SCORE))
    for i, name in enumerate(options.slices):
        columns.append(_slice_value(quoted(name), types[name]).alias(f"__slice{i}"))
    state = F.lit(MATURE) if timestamp is None else _maturity(quoted(timestamp), types[timestamp], limit)
    columns += [state.alias(STATE), F.monotonically_increasing_id().alias(ROW)]
    return df.select(*columns)


def _present(col: Any, tname: str) -> Any:
    """Not missing as pandas sees it (NaN is missing)."""
    from pyspark.sql import functions as F

    return col.isNotNull() & ~F.isnan(col) if tname in FLOATS else col.isNotNull()


def _double(column: str) -> Any:
    """A column as numbers, text that is not one as null (Spark's ANSI cast would fail the job instead)."""
    from pyspark.sql import functions as F

    return F.expr(f"try_cast(`{column}` AS DOUBLE)")


def _finite(col: Any) -> Any:
    from pyspark.sql import functions as F

    return col.isNotNull() & ~F.isnan(col) & (col != float("inf")) & (col != float("-inf"))


def _slice_value(col: Any, tname: str) -> Any:
    """A slice column's value, NaN as missing (pandas' factorize puts NaN in the `(null)` slice)."""
    from pyspark.sql import functions as F

    return F.when(F.isnan(col), F.lit(None)).otherwise(col) if tname in FLOATS else col


def _maturity(col: Any, tname: str, limit: datetime) -> Any:
    """labels.maturity on each batch of the executors: the same parsing of times as the local engines."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    def codes(values: pd.Series) -> pd.Series:
        return pd.Series(maturity(values, limit))

    if tname == "TimestampType":  # instants: compared in Spark, to the microsecond (no Python per row)
        micros = int(pd.Timestamp(limit).value // 1000)
        mature = F.when(F.unix_micros(col) <= micros, MATURE).otherwise(RECENT)
        return F.when(col.isNull(), NO_TIME).otherwise(mature)
    return pandas_udf(codes, "byte")(col)  # type: ignore[call-overload]


def _counted() -> Any:
    from pyspark.sql import functions as F

    return F.col(LABELED) & (F.col(STATE) == MATURE)


def _facts(rows: Any, label_type: str, pred_type: str) -> dict[str, Any]:
    """One pass: the label window's counts, and what task inference and the probability test read."""
    from pyspark.sql import functions as F

    counted = _counted()
    label, pred = F.col(LABEL), F.col(PRED)
    aggs = [
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col(LABELED).cast("long")).alias("labeled"),
        F.sum((F.col(STATE) == MATURE).cast("long")).alias("mature"),
        F.sum(counted.cast("long")).alias("counted"),
        F.sum((F.col(STATE) == UNPARSED).cast("long")).alias("unparsed"),
    ]
    if label_type in FLOATS:
        fractional = counted & _finite(label) & (label % 1 != 0)
        aggs.append(F.max(fractional).alias("fractional"))
    if pred_type in FLOATS:
        finite = F.when(counted & _finite(pred), pred)
        aggs += [F.min(finite).alias("low"), F.max(finite).alias("high")]
        aggs.append(F.max(counted & _finite(pred) & (pred != 0) & (pred != 1)).alias("interior"))
    return rows.agg(*aggs).collect()[0].asDict()


def _task(counted: Any, label_type: str, facts: dict[str, Any]) -> str:
    """metrics.infer_task over a compact stand-in of the labels: at most 21 distinct finite values, plus a
    non-integral one when the labels have one (all it reads)."""
    from pyspark.sql import functions as F

    if label_type not in INTEGRAL and label_type not in FLOATS:
        return m.infer_task(pandas_array([], label_type), None)
    finite = counted.where(_finite(F.col(LABEL))) if label_type in FLOATS else counted
    values = [r[0] for r in finite.select(LABEL).distinct().limit(21).collect()]
    if facts.get("fractional"):
        values.append(0.5)
    return m.infer_task(pandas_array(values, label_type), None)


# -- regression --------------------------------------------------------------------------------------------


def _regression(counted: Any, options: Any, types: dict[str, str]) -> dict[str, Any]:
    """MAE and RMSE overall and per slice from the count and sums of |error| and error^2."""
    from pyspark.sql import functions as F

    for column, name in ((LABEL, options.labels), (PRED, options.predictions)):
        _require_numbers(counted, column, types[name])
    truth, pred = _double(LABEL), _double(PRED)
    err = pred - truth
    kept = counted.where(_finite(truth) & _finite(pred)).select("*", err.alias("__err"))
    sums = [
        F.count(F.lit(1)).alias("n"),
        F.sum(F.abs(F.col("__err"))).alias("abs"),
        F.sum(F.col("__err") * F.col("__err")).alias("sq"),
    ]

    def scored(row: Any) -> dict[str, Any]:
        return m.regression_from_sums(int(row["n"]), float(row["abs"] or 0.0), float(row["sq"] or 0.0))

    result: dict[str, Any] = {
        "task": m.REGRESSION,
        "overall": scored(kept.agg(*sums).collect()[0]),
        "slices": {},
    }
    for i, name in enumerate(options.slices):
        top, total = _top_slices(counted, f"__slice{i}")
        by_value = {
            r[0]: scored(r)
            for r in _within(kept, f"__slice{i}", top).groupBy(f"__slice{i}").agg(*sums).collect()
        }
        empty = m.regression_from_sums(0, 0.0, 0.0)
        for value in top:
            result["slices"][_slice_key(name, value)] = by_value.get(value, empty)
        _truncated(result, name, total)
    return result


def _require_numbers(counted: Any, column: str, tname: str) -> None:
    """metrics._floats: regression labels and predictions are numbers (text that parses as one counts)."""

    if tname in NUMERIC:
        return
    bad = tname != "StringType" or counted.where(_double(column).isNull()).limit(1).count()
    if bad:
        raise InputError("regression labels and predictions must be numbers")


# -- slices ------------------------------------------------------------------------------------------------


def _top_slices(counted: Any, column: str) -> tuple[list[Any], int]:
    """The most frequent MAX_SLICES values of a slice column (ties: missing first, then in order of first
    appearance, as metrics.evaluate orders them) and how many values (missing included) there are."""
    from pyspark.sql import functions as F

    groups = counted.groupBy(column).agg(F.count(F.lit(1)).alias("__n"), F.min(ROW).alias("__first"))
    order = [F.col("__n").desc(), F.col(column).isNotNull(), F.col("__first")]
    top = [r[column] for r in groups.orderBy(*order).limit(MAX_SLICES).collect()]
    total = groups.count() if len(top) == MAX_SLICES else len(top)
    return top, total


def _within(rows: Any, column: str, values: list[Any]) -> Any:
    from pyspark.sql import functions as F

    known = [v for v in values if v is not None]
    keep = F.col(column).isin(known) if known else F.lit(False)
    if None in values:
        keep = keep | F.col(column).isNull()
    return rows.where(keep)


def _slice_key(column: str, value: Any) -> str:
    return f"{column}={'(null)' if value is None else m._slice_text(value)}"


def _truncated(result: dict[str, Any], column: str, total: int) -> None:
    if total > MAX_SLICES:
        result.setdefault("truncated", {})[column] = total


# -- classification ----------------------------------------------------------------------------------------


class _Classifier:
    """Confusion tables of the rows that count (overall and per slice) and their ROC AUC."""

    def __init__(self, counted: Any, options: Any, types: dict[str, str], facts: dict[str, Any]) -> None:
        self.counted = counted
        self.options = options
        self.label_type = types[options.labels]
        self.pred_type = types[options.predictions]
        self.probabilities = options.scores is None and self._probabilities(facts)
        self._codes()

    def _probabilities(self, facts: dict[str, Any]) -> bool:
        """metrics.probabilities over a stand-in of the predictions: their finite min and max, and a value
        strictly inside (0, 1) when they have one; the labels' classes."""
        if self.pred_type not in FLOATS or facts.get("low") is None:
            return False
        values = [facts["low"], facts["high"]] + ([0.5] if facts.get("interior") else [])
        stand_in = np.array(values, dtype=np.float64)
        labels = [r[0] for r in self.counted.select(LABEL).distinct().collect()]
        classes = m._classes(m.canonical(pandas_array(labels, self.label_type)))
        return m.probabilities(classes, stand_in)

    def _key(self) -> Any:
        """What the prediction is grouped by: its raw value, or which side of the cutoff its score is on."""
        from pyspark.sql import functions as F

        return (F.col(PRED) >= 0.5) if self.probabilities else F.col(PRED)

    def _codes(self) -> None:
        """The class codes of every distinct (label, prediction) pair, through metrics.classify."""
        pairs = self.counted.groupBy(LABEL, self._key().alias(KEY)).count().collect()
        self.overall = [(r[LABEL], r[KEY], int(r["count"])) for r in pairs]
        raw_labels = [p[0] for p in self.overall]
        y_true = m.canonical(pandas_array(raw_labels, self.label_type))
        classes = m._classes(y_true)
        keys = [p[1] for p in self.overall]
        if self.probabilities:
            sides = np.where(np.array(keys, dtype=bool), np.inf, -np.inf)
            prep = m.classify(y_true, classes, None, sides, self.options.positive, 0.5)
        else:
            prep = m.classify(
                y_true, classes, pandas_array(keys, self.pred_type), None, self.options.positive, 0.5
            )
        self.positive = prep.positive
        self.truth = dict(zip(raw_labels, prep.y_true.tolist()))
        self.predicted = dict(zip(keys, prep.y_pred.tolist()))

    def _table(self, pairs: list[tuple[Any, Any, int]]) -> m.Confusion:
        y_true = np.array([self.truth[p[0]] for p in pairs])
        y_pred = np.array([self.predicted[p[1]] for p in pairs])
        return m.Confusion(y_true, y_pred, np.array([p[2] for p in pairs], dtype=np.int64))

    def _scored(self) -> bool:
        return self.probabilities or bool(self.options.scores)

    def evaluate(self) -> dict[str, Any]:
        table = self._table(self.overall)
        overall = m.confusion_metrics(table, self.positive)
        if self._scored() and (pos := m.auc_class(table, self.positive)) is not None:
            overall["roc_auc"] = self._auc(None, {None: self._raw(pos)}).get(None)
        result: dict[str, Any] = {"task": m.CLASSIFICATION, "overall": overall, "slices": {}}
        for i, name in enumerate(self.options.slices):
            self._slices(result, name, f"__slice{i}")
        return result

    def _slices(self, result: dict[str, Any], name: str, column: str) -> None:
        top, total = _top_slices(self.counted, column)
        grouped = _within(self.counted, column, top).groupBy(column, LABEL, self._key().alias(KEY)).count()
        pairs: dict[Any, list[tuple[Any, Any, int]]] = {v: [] for v in top}
        for r in grouped.collect():
            pairs[r[column]].append((r[LABEL], r[KEY], int(r["count"])))
        tables = {v: self._table(pairs[v]) for v in top}
        metrics = {v: m.confusion_metrics(tables[v], self.positive) for v in top}
        if self._scored():
            self._slice_aucs(column, tables, metrics)
        for v in top:
            result["slices"][_slice_key(name, v)] = metrics[v]
        _truncated(result, name, total)

    def _slice_aucs(self, column: str, tables: dict[Any, m.Confusion], metrics: dict[Any, Any]) -> None:
        """ROC AUC of each slice whose labels hold two classes (its positive class, as metrics.auc_class)."""
        wanted = {v: m.auc_class(table, self.positive) for v, table in tables.items()}
        positives = {v: self._raw(pos) for v, pos in wanted.items() if pos is not None}
        for v, auc in self._auc(column, positives).items():
            metrics[v]["roc_auc"] = auc

    def _raw(self, code: Any) -> list[Any]:
        """The raw label values whose class code is `code`."""
        return [raw for raw, c in self.truth.items() if c == code]

    def _auc(self, column: str | None, positives: dict[Any, list[Any]]) -> dict[Any, float | None]:
        """ROC AUC per group (a slice value, or None for all rows) whose positive labels are listed."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        if not positives:
            return {}
        score = _double(PRED if self.probabilities else SCORE)
        group = F.lit(None) if column is None else F.col(column)
        truth: Any = F
        for value, raws in positives.items():
            at = F.lit(True) if column is None else group.eqNullSafe(value)
            truth = truth.when(at, F.col(LABEL).isin(raws))
        rows = self.counted if column is None else _within(self.counted, column, list(positives))
        data = rows.where(_finite(score)).select(
            group.alias(GROUP), truth.cast("long").alias("__t"), score.alias("__x")
        )
        per = data.groupBy(GROUP, "__x").agg(
            F.sum("__t").alias("__pos"), (F.count(F.lit(1)) - F.sum("__t")).alias("__neg")
        )
        below = Window.partitionBy(GROUP).orderBy("__x").rowsBetween(Window.unboundedPreceding, -1)
        per = per.withColumn("__below", F.coalesce(F.sum("__neg").over(below), F.lit(0)))
        u = F.sum(F.col("__pos") * (F.col("__below") + F.col("__neg") / 2.0))
        out = per.groupBy(GROUP).agg(u.alias("u"), F.sum("__pos").alias("p"), F.sum("__neg").alias("n"))
        return {r[GROUP]: m.auc_from_u(float(r["u"]), int(r["p"]), int(r["n"])) for r in out.collect()}
