"""How the answers of a polars select fold into the checkers, as their pandas updates would fold a chunk.

A Folding carries one select's answers (named `n{i}`, `r{i}`, `v{i}`... per native rule i, see
mlops.data.engines.polars_rules.aggregations) and where they come from: one chunk, or the whole file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlops.data.checks import MAX_EXAMPLES, AggregateChecker, Checker, UniqueChecker
from mlops.data.engines.polars_rules import Native, expression_columns
from mlops.data.sketch import QuantileSketch


@dataclass
class Folding:
    """What a fold reads: the select's answers, the chunk (polars and, for patterns, Arrow) and its place."""

    row: dict[str, Any]
    rows: int  # rows folded (the chunk's, or the whole file's)
    offset: int
    frame: Any = None  # the polars chunk (per-chunk folds only)
    piece: Any = None  # the chunk (mlops.data.engines.polars.Piece): its Arrow view is built only on demand


def fold(natives: list[Native], folding: Folding) -> None:
    """Fold the chunk into the checkers, as their pandas updates would."""
    for i, nat in enumerate(natives):
        nat.checker.checked += folding.rows
        _FOLDS[nat.fold](nat, i, folding)


def _fold_mask(nat: Native, i: int, f: Folding) -> None:

    nat.checker.failing += int(f.row[f"n{i}"])
    add_examples(nat, i, f)


def add_examples(nat: Native, i: int, f: Folding) -> None:
    """The first failing rows (`r{i}`) and the values shown (`v{i}`, or `v{i}_{j}` per expression column)."""
    from mlops.data import columns as colmod

    checker = nat.checker
    if nat.fold == "expr":
        names = expression_columns(nat)
        for k, r in enumerate(f.row.get(f"r{i}") or []):
            values = [f.row[f"v{i}_{j}"][k] for j in range(len(names))]
            checker.examples.append({"row": f.offset + int(r), "value": colmod.row_text(names, values)})
        return
    nulls = checker.rule.check in ("nullable", "max_null_fraction")
    for r, v in zip(f.row.get(f"r{i}") or [], f.row.get(f"v{i}") or []):
        shown = None if nulls else colmod.jsonable(v)
        checker.examples.append({"row": f.offset + int(r), "value": shown})


def expr_columns(nat: Native) -> tuple[str, ...]:
    """The columns a failing row shows: the rule's column, or the expression's."""
    return expression_columns(nat) if nat.fold == "expr" else (nat.checker.rule.column or "",)


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
    arrow = f.piece.arrow if f.piece is not None else None
    column = arrow.column(name) if arrow is not None else f.frame.get_column(name).to_arrow()
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


def _fold_count(nat: Native, i: int, f: Folding) -> None:
    """The whole file's exact distinct count (the hash set is only ever read for its size)."""
    assert isinstance(nat.checker, AggregateChecker)
    nat.checker.distinct.count = int(f.row[f"u{i}"])


def _fold_exact(nat: Native, i: int, f: Folding) -> None:
    assert isinstance(nat.checker, AggregateChecker)
    probs = sorted(nat.checker.rule.value)
    known = {float(p): f.row[f"q{i}_{k}"] for k, p in enumerate(probs)}
    nat.checker.sketch = ExactQuantiles(count=int(f.row[f"n{i}"]), known=known)


@dataclass
class ExactQuantiles(QuantileSketch):
    """Quantiles polars computed exactly over the whole file, judged as a sketch's would be."""

    count: int = 0
    known: dict[float, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(self.count)

    def quantiles(self, probs: Any) -> Any:
        return [self.known[float(p)] for p in probs]


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
    "expr": _fold_mask,  # failing rows shown as `column=value, ...` (checks._row_text)
    "count": _fold_count,
    "exact": _fold_exact,
}
