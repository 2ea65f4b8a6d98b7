"""One checker per rule: it folds chunks into a partial result, then judges it.

Row checkers count failing rows (with up to 20 examples); aggregate checkers keep mergeable statistics
(moments, sketches, hash sets) and compare them with the bounds at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mlops.data import columns as colmod
from mlops.data.evaluate import EvalError
from mlops.data.rules import Rule
from mlops.data.sketch import HashSet, Moments, QuantileSketch

MAX_EXAMPLES = 20
Status = Literal["passed", "failed", "skipped"]


@dataclass
class RuleResult:
    rule: str
    scope: str
    check: str
    column: str | None
    severity: str
    status: Status
    message: str = ""
    expected: Any = None
    observed: Any = None
    failing: int = 0
    checked: int = 0
    failing_fraction: float = 0.0
    max_fail: Any = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    desc: str = ""

    @classmethod
    def of(cls, rule: Rule, status: Status = "passed", **fields: Any) -> RuleResult:
        """A result for RULE, named and placed as the rule is."""
        return cls(rule.id, rule.scope, rule.check, rule.column, rule.severity, status, **fields)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failing_fraction"] = round(self.failing_fraction, 6)
        return out


class Chunk:
    """One chunk and what its checkers share: column views, where masks, the expression evaluator."""

    def __init__(self, frame: Any, offset: int, types: dict[str, str]) -> None:
        from mlops.data.evaluate import Evaluator

        self.frame = frame
        self.offset = offset
        self.rows = len(frame)
        self.types = types
        self._views: dict[str, colmod.ColumnView] = {}
        self._where: dict[str, Any] = {}
        # the evaluator shares the views through a closure, not a bound method: a cycle back to this chunk
        # would keep every chunk's arrays alive until the garbage collector runs
        self.view = _viewer(frame, types, self._views)
        self.evaluator = Evaluator(frame, self.view)

    def scope(self, rule: Rule) -> Any:
        """The rows a rule applies to (its `where:`), or None for all rows (no mask to build or apply)."""
        if rule.where is None:
            return None
        if rule.where.text not in self._where:
            self._where[rule.where.text] = self.evaluator.mask(rule.where)[0]
        return self._where[rule.where.text]


def _viewer(frame: Any, types: dict[str, str], views: dict[str, colmod.ColumnView]) -> Any:
    def view(name: str) -> colmod.ColumnView:
        if name not in views:
            views[name] = colmod.view(name, frame[name], types.get(name))
        return views[name]

    return view


class Checker:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.failing = 0
        self.checked = 0
        self.examples: list[dict[str, Any]] = []
        self.error: str | None = None

    def update(self, chunk: Chunk) -> None:
        if self.error:
            return
        try:
            self._update(chunk)
        except EvalError as exc:
            self.error = f"cannot evaluate: {exc.located()}"
        except (ValueError, TypeError) as exc:
            self.error = f"cannot evaluate: {exc}"

    def _update(self, chunk: Chunk) -> None:
        raise NotImplementedError

    def _record(self, chunk: Chunk, fail: Any, scope: Any, series: Any) -> None:
        import numpy as np

        failing = fail if scope is None else fail & scope
        self.checked += chunk.rows if scope is None else int(scope.sum())
        count = int(failing.sum())
        self.failing += count
        room = MAX_EXAMPLES - len(self.examples)
        if count and room > 0:
            for i in np.flatnonzero(failing)[:room]:
                value = series.iloc[int(i)] if series is not None else None
                self.examples.append({"row": chunk.offset + int(i), "value": colmod.jsonable(value)})

    def result(self, total_rows: int) -> RuleResult:
        rule = self.rule
        if self.error:  # nothing counts: which chunks ran before the error depends on the chunking and engine
            self.failing, self.checked, self.examples = 0, 0, []
        res = RuleResult.of(
            rule,
            expected=_expected(rule),
            failing=self.failing,
            checked=self.checked,
            max_fail=rule.max_fail.to_json(),
            examples=self.examples,
            desc=rule.desc,
        )
        res.failing_fraction = self.failing / self.checked if self.checked else 0.0
        if self.error:
            res.status, res.message = "failed", self.error
            return res
        self.judge(res)
        return res

    def judge(self, res: RuleResult) -> None:
        if self.failing > self.rule.max_fail.allowed(self.checked):
            res.status = "failed"
        what = _ROW_WORDS.get(self.rule.check, "failing").format(v=self.rule.value)
        res.message = f"{self.failing} of {self.checked} rows {what} ({res.failing_fraction:.2%})"
        if self.rule.max_fail.to_json() is not None:
            res.message += f"; tolerance {self.rule.max_fail.to_json()}"


_ROW_WORDS = {
    "type": "are not of type {v}",
    "nullable": "are null",
    "min": "are below the minimum {v}",
    "max": "are above the maximum {v}",
    "gt": "are not greater than {v}",
    "lt": "are not less than {v}",
    "allowed": "are not in the allowed set",
    "forbidden": "are in the forbidden set",
    "pattern": "do not match the pattern",
    "length": "have a length outside the bounds",
    "unique": "repeat an earlier value",
    "unique_key": "repeat an earlier key",
    "duplicate_rows": "duplicate an earlier row",
    "expr": "fail the expression",
    "max_null_fraction": "are null",
}


def _count(scope: Any, chunk: Chunk) -> int:
    return chunk.rows if scope is None else int(scope.sum())


def _expected(rule: Rule) -> Any:
    if rule.check == "quantiles":
        return {str(k): v for k, v in rule.value.items()}
    return rule.value


class RowChecker(Checker):
    """Rules judged row by row on one column."""

    def _update(self, chunk: Chunk) -> None:
        import pandas as pd

        rule = self.rule
        v = chunk.view(rule.column or "")
        failing = _ROW_FAILS.get(rule.check)
        if failing is None:  # pragma: no cover - the factory maps every row rule
            raise ValueError(f"unknown rule {rule.check}")
        fail = failing(v, rule.value, chunk.rows)
        shown = v.series
        if rule.check != "type" and v.kind == "num" and v.found == "string":
            shown = pd.Series(v.numbers, copy=False)  # the parsed numbers, not their text
        self._record(chunk, fail, chunk.scope(rule), shown)


def _pattern_fails(v: colmod.ColumnView, value: Any, rows: int) -> Any:
    """Arrow's RE2 engine: linear time, so a hostile pattern in a pull request cannot hang CI."""
    import pandas as pd

    text = v.series
    if pd.api.types.is_object_dtype(text.dtype):
        text = text.astype(str).where(text.notna(), None)
    text = text.astype("string[pyarrow]")
    return v.valid & ~text.str.fullmatch(str(value)).fillna(False).to_numpy(dtype=bool)


def _length_fails(v: colmod.ColumnView, value: Any, rows: int) -> Any:
    import numpy as np

    lengths = v.series.astype(str).str.len().to_numpy(dtype="float64", na_value=np.nan)
    bad = np.zeros(rows, dtype=bool)
    if "min" in value:
        bad |= lengths < value["min"]
    if "max" in value:
        bad |= lengths > value["max"]
    return v.valid & bad


def _compare_fails(op: str) -> Callable[[colmod.ColumnView, Any, int], Any]:
    return lambda v, value, rows: colmod.compare(v, op, value)


# check -> the failing rows of one chunk's column view (value: the rule's value; rows: the chunk's length)
_ROW_FAILS: dict[str, Callable[[colmod.ColumnView, Any, int], Any]] = {
    "type": lambda v, value, rows: v.bad,
    "nullable": lambda v, value, rows: v.null,
    **{op: _compare_fails(op) for op in ("min", "max", "gt", "lt")},
    "allowed": lambda v, value, rows: v.valid & ~colmod.membership(v, list(value)),
    "forbidden": lambda v, value, rows: colmod.membership(v, list(value)),
    "pattern": _pattern_fails,
    "length": _length_fails,
}


class UniqueChecker(Checker):
    """unique (one column), unique_key (several), duplicate_rows (all): hashes of what was seen before."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.seen = HashSet()

    def _update(self, chunk: Chunk) -> None:
        import numpy as np

        rule = self.rule
        scope = chunk.scope(rule)
        if rule.check == "unique":
            v = chunk.view(rule.column or "")
            keep = v.valid if scope is None else scope & v.valid
            series = v.series
        else:
            cols = rule.value if rule.check == "unique_key" else list(chunk.frame.columns)
            series = chunk.frame[cols]
            keep = np.ones(chunk.rows, dtype=bool) if scope is None else scope

        keys = _row_keys(chunk, [rule.column or ""] if rule.check == "unique" else list(series.columns))[keep]
        dup = self.seen.add(keys) if len(keys) else keep[:0]

        fail = np.zeros(chunk.rows, dtype=bool)
        fail[np.flatnonzero(keep)[dup]] = True
        shown = series if rule.check == "unique" else _row_text(series)
        self._record(chunk, fail, scope, shown)


def _row_keys(chunk: Chunk, names: list[str]) -> Any:
    """One 64-bit key per row of these columns, by value (see columns.value_keys)."""
    import pandas as pd

    if len(names) == 1:
        return colmod.value_keys(chunk.view(names[0]))
    keys = pd.DataFrame({i: colmod.value_keys(chunk.view(name)) for i, name in enumerate(names)})
    return pd.util.hash_pandas_object(keys, index=False).to_numpy()


class _RowText:
    def __init__(self, frame: Any) -> None:
        self.frame = frame

    @property
    def iloc(self) -> Any:
        return self

    def __getitem__(self, i: int) -> str:
        # column by column: a row of mixed dtypes would turn 1 into 1.0
        return colmod.row_text(self.frame.columns, (self.frame[k].iloc[i] for k in self.frame.columns))


def _row_text(frame: Any) -> Any:
    return _RowText(frame)


class ExprChecker(Checker):
    def _update(self, chunk: Chunk) -> None:
        assert self.rule.expr is not None
        true, null = chunk.evaluator.mask(self.rule.expr)
        fail = ~true & ~null
        cols = [c for c in self.rule.expr.columns if c in chunk.frame.columns]
        self._record(chunk, fail, chunk.scope(self.rule), _row_text(chunk.frame[cols]))


class AggregateChecker(Checker):
    """max_null_fraction, distinct, mean, std, quantiles, table rows."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.nulls = 0
        self.moments = Moments()
        self.sketch = QuantileSketch()
        self.distinct = HashSet()

    def _update(self, chunk: Chunk) -> None:
        rule = self.rule
        scope = chunk.scope(rule)
        if rule.check == "rows":
            self.checked += _count(scope, chunk)
            return
        v = chunk.view(rule.column or "")
        if rule.check == "max_null_fraction":
            self._record(chunk, v.null, scope, v.series)
            return
        self.checked += _count(scope, chunk)
        keep = v.valid if scope is None else scope & v.valid
        if not keep.any():  # nothing to add (a chunk of nulls, a header-only file): no kind to object to
            return
        if rule.check == "distinct":
            self.distinct.add(_distinct_keys(v, keep))
            return
        import numpy as np

        if v.kind not in ("num", "bool"):
            raise ValueError(f"`{rule.check}` needs a numeric column; `{rule.column}` holds {v.found} values")
        values = v.numbers[keep].astype("float64")
        values = values[np.isfinite(values)]  # an infinite value has no mean; min/max rules catch it
        if rule.check in ("mean", "std"):
            self.moments.add(values)
        else:
            self.sketch.add(values)

    def judge(self, res: RuleResult) -> None:
        rule = self.rule
        if rule.check == "max_null_fraction":
            res.observed = round(res.failing_fraction, 6)
            res.status = "failed" if res.failing_fraction > float(rule.value) else "passed"
            res.message = f"null fraction {res.failing_fraction:.2%} (at most {float(rule.value):.2%})"
            return
        res.examples = []
        if rule.check == "quantiles":
            return self._judge_quantiles(res)
        observed = _OBSERVED[rule.check](self)
        res.observed = observed
        res.failing = 0
        if observed is None:
            res.message = "no values to compute it on"
            return
        low, high = rule.value.get("min"), rule.value.get("max")
        ok = (low is None or observed >= low) and (high is None or observed <= high)
        res.status = "passed" if ok else "failed"
        res.message = f"{rule.check} {_fmt(observed)} (expected {_range(low, high)})"

    def _judge_quantiles(self, res: RuleResult) -> None:
        probs = sorted(self.rule.value)
        values = self.sketch.quantiles(probs) if self.sketch.total else [None] * len(probs)
        res.observed = {str(p): (None if v is None else float(v)) for p, v in zip(probs, values)}
        res.failing = 0
        bad = [_quantile_problem(p, v, self.rule.value[p]) for p, v in zip(probs, values)]
        bad = [problem for problem in bad if problem]
        res.status = "failed" if bad else "passed"
        res.message = "; ".join(bad) if bad else "quantiles within bounds"


# check -> the statistic an aggregate rule judges (None: no values to compute it on)
_OBSERVED: dict[str, Callable[[AggregateChecker], Any]] = {
    "rows": lambda c: c.checked,
    "distinct": lambda c: len(c.distinct),
    "mean": lambda c: c.moments.mean if c.moments.n else None,
    "std": lambda c: c.moments.std if c.moments.n > 1 else None,
}


def _quantile_problem(p: float, value: Any, bounds: dict[str, Any]) -> str:
    low, high = bounds.get("min"), bounds.get("max")
    if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
        return f"q{p:g} = {_fmt(value)} (expected {_range(low, high)})"
    return ""


def _distinct_keys(v: colmod.ColumnView, keep: Any) -> Any:
    """The keys of a chunk's distinct values; text is made unique before it is hashed (few values, many rows)."""
    import pandas as pd

    if v.kind == "str":
        kept = v.series[keep]
        try:
            uniques = pd.Series(kept.unique())
        except TypeError:  # unhashable cells (JSON objects, lists): count their text
            uniques = pd.Series(kept.astype(str).unique())
        return colmod.value_keys(colmod.view(v.name, uniques, None))
    return pd.unique(colmod.value_keys(v)[keep])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_fmt(low)}..{_fmt(high)}"
    return f">= {_fmt(low)}" if low is not None else f"<= {_fmt(high)}"


def checker_for(rule: Rule) -> Checker:
    if rule.check in ("unique", "unique_key", "duplicate_rows"):
        return UniqueChecker(rule)
    if rule.check == "expr":
        return ExprChecker(rule)
    if rule.check in ("max_null_fraction", "distinct", "mean", "std", "quantiles", "rows"):
        return AggregateChecker(rule)
    return RowChecker(rule)
