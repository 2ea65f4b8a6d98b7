"""Vectorised evaluation of a parsed expression tree over one chunk of data.

Each value is an array plus a null mask. Logic is three-valued (Kleene): `null > 3` is unknown, `unknown or
true` is true. A check fails on rows where its expression is false; unknown passes, as in SQL CHECK
constraints. A `where:` filter keeps rows where it is true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlops.data.expr import Binary, Col, Expr, In, IsNull, Lit, Node, Unary
from mlops.data.located import LocatedError

if TYPE_CHECKING:
    from mlops.data.columns import ColumnView


class EvalError(LocatedError):
    """The data does not fit the expression (e.g. a string column compared with a number)."""


ValKind = Literal["num", "str", "bool", "dt", "null"]


@dataclass
class Val:
    data: Any  # numpy array, or a Python scalar for literals
    null: Any  # bool numpy array, or a bool for literals
    kind: ValKind


def _column(frame: Any, name: str, pos: int, view: Callable[[str], ColumnView] | None) -> Val:
    """A column through its declared type, as the column rules see it (mlops.data.columns): a CSV text column
    declared datetime holds timestamps, values that do not fit the type are null here (the `type` rule counts
    them), and an undeclared column without values behaves as `null`."""
    from mlops.data.columns import view as column_view

    if name not in frame.columns:
        raise EvalError(f"no column `{name}` in the data", pos)
    v = view(name) if view is not None else column_view(name, frame[name], None)
    null = v.null | v.bad if v.bad.any() else v.null
    if v.declared is None and null.all():
        import numpy as np

        return Val(np.zeros(len(null)), null, "null")
    if v.kind == "str":
        return Val(v.series, null, "str")  # a Series: Arrow-backed string kernels beat object arrays
    return Val(v.numbers, null, v.kind)


def _as_bool(val: Val, pos: int) -> Val:
    import numpy as np

    if val.kind in ("bool", "null"):
        return val
    if val.kind == "num":  # 0 is false, as in most query languages
        return Val(np.asarray(val.data) != 0, val.null, "bool")
    raise EvalError(f"a {_name(val.kind)} value is used as true/false", pos)


def _name(kind: str) -> str:
    return {"num": "number", "str": "string", "bool": "boolean", "dt": "datetime", "null": "null"}[kind]


def _lit(value: Any) -> Val:
    if value is None:
        return Val(0.0, True, "null")
    if isinstance(value, bool):
        return Val(value, False, "bool")
    if isinstance(value, (int, float)):
        return Val(float(value), False, "num")
    return Val(str(value), False, "str")


def _align(left: Val, right: Val, pos: int, op: str) -> tuple[Val, Val]:
    """Make both sides comparable; a string literal against a datetime column becomes a timestamp."""
    import numpy as np

    if left.kind == "null" or right.kind == "null" or left.kind == right.kind:
        return left, right
    if {left.kind, right.kind} == {"bool", "num"}:
        return (
            Val(np.asarray(left.data, dtype=float), left.null, "num"),
            Val(np.asarray(right.data, dtype=float), right.null, "num"),
        )
    if _is_time_text(right, left):
        return left, Val(_timestamp(right.data, pos), right.null, "dt")
    if _is_time_text(left, right):
        return Val(_timestamp(left.data, pos), left.null, "dt"), right
    raise EvalError(f"cannot apply `{op}` to a {_name(left.kind)} and a {_name(right.kind)}", pos)


def _is_time_text(text: Val, other: Val) -> bool:
    """A string literal compared with a datetime column: read as a timestamp."""
    return other.kind == "dt" and text.kind == "str" and isinstance(text.data, str)


def _compare_text(x: Any, y: Any, op: str, pos: int) -> Any:
    """Compare strings (Series or scalars) with pandas' string kernels; nulls come out false (masked later)."""
    import operator

    import numpy as np
    import pandas as pd

    func = {
        "==": operator.eq,
        "!=": operator.ne,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }[op]
    if not isinstance(x, pd.Series) and isinstance(y, pd.Series):
        x, y = y, x
        func = {"<": operator.gt, "<=": operator.ge, ">": operator.lt, ">=": operator.le}.get(op, func)
    if not isinstance(x, pd.Series):
        return np.asarray(func(x, y), dtype=bool)
    try:
        out = func(x, y)  # Series of one chunk share its index
    except TypeError:
        raise EvalError(f"cannot compare these values with `{op}`", pos) from None
    return out.to_numpy(dtype=bool, na_value=False)


def _timestamp(text: str, pos: int) -> Any:
    import numpy as np
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise EvalError(f"`{text}` is not a date or time", pos) from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "ns")


class Evaluator:
    """Evaluates trees against one DataFrame chunk."""

    def __init__(self, frame: Any, view: Callable[[str], ColumnView] | None = None) -> None:
        self.frame = frame
        self.rows = len(frame)
        self.view = view  # a column seen through its declared type (the chunk's shared views)
        self._cache: dict[str, Val] = {}

    def mask(self, expr: Expr) -> tuple[Any, Any]:
        """(true, null) boolean arrays of a boolean expression over the chunk."""
        import numpy as np

        val = _as_bool(self.eval(expr.tree), expr.tree.pos)
        data = np.broadcast_to(np.asarray(val.data, dtype=bool), (self.rows,))
        null = np.broadcast_to(np.asarray(val.null, dtype=bool), (self.rows,))
        return data & ~null, null

    def eval(self, node: Node) -> Val:
        evaluate = _EVAL.get(type(node))
        if evaluate is None:  # pragma: no cover - the parser builds only these
            raise EvalError("unknown expression node", node.pos)
        return evaluate(self, node)

    def _lit(self, node: Lit) -> Val:
        return _lit(node.value)

    def _col(self, node: Col) -> Val:
        if node.name not in self._cache:
            self._cache[node.name] = _column(self.frame, node.name, node.pos, self.view)
        return self._cache[node.name]

    def _is_null(self, node: IsNull) -> Val:
        import numpy as np

        val = self.eval(node.operand)
        null = np.asarray(val.null, dtype=bool)
        if val.kind == "num" and not isinstance(val.data, float):
            null = null | np.isnan(val.data)
        return Val(~null if node.negate else null, False, "bool")

    def _binary(self, node: Binary) -> Val:
        if node.op in ("and", "or"):
            return self._logic(node)
        if node.op in _ARITH:
            return self._arith(node)
        return self._compare(node)

    def _unary(self, node: Unary) -> Val:
        import numpy as np

        val = self.eval(node.operand)
        if node.op == "not":
            val = _as_bool(val, node.operand.pos)
            return Val(np.logical_not(val.data), val.null, "bool")
        if val.kind == "null":
            return val
        if val.kind != "num":
            raise EvalError(f"cannot negate a {_name(val.kind)}", node.pos)
        return Val(np.negative(val.data), val.null, "num")

    def _logic(self, node: Binary) -> Val:
        import numpy as np

        a = _as_bool(self.eval(node.left), node.left.pos)
        b = _as_bool(self.eval(node.right), node.right.pos)
        ad, an = np.asarray(a.data, dtype=bool), np.asarray(a.null, dtype=bool)
        bd, bn = np.asarray(b.data, dtype=bool), np.asarray(b.null, dtype=bool)
        if node.op == "and":
            false_a, false_b = ~ad & ~an, ~bd & ~bn
            data = ad & bd
            null = (an | bn) & ~(false_a | false_b)
        else:
            true_a, true_b = ad & ~an, bd & ~bn
            data = true_a | true_b
            null = (an | bn) & ~data
        return Val(data & ~null, null, "bool")

    def _arith(self, node: Binary) -> Val:
        import numpy as np

        a, b = self.eval(node.left), self.eval(node.right)
        if a.kind == "null" or b.kind == "null":
            return Val(0.0, True, "null")
        if node.op == "+" and a.kind == "str" and b.kind == "str":
            return Val(a.data + b.data, np.logical_or(a.null, b.null), "str")
        x, y = _operand(a, node), _operand(b, node)
        with np.errstate(all="ignore"):
            out = getattr(np, _ARITH[node.op])(x, y)
        # inf is a value (inf + 1 == inf); division by zero and an undefined result (inf - inf) are null, so a
        # comparison with them is unknown
        null = np.logical_or(a.null, b.null) | np.isnan(out)
        if node.op in ("/", "%"):
            null = null | (np.asarray(y) == 0)
        return Val(out, null, "num")

    def _compare(self, node: Binary) -> Val:
        import numpy as np

        a, b = _align(self.eval(node.left), self.eval(node.right), node.pos, node.op)
        if a.kind == "null" or b.kind == "null":
            return Val(False, True, "bool")
        null = np.logical_or(a.null, b.null)
        if a.kind == "str":
            return Val(_compare_text(a.data, b.data, node.op, node.pos), null, "bool")
        ops = {
            "==": np.equal,
            "!=": np.not_equal,
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
        }
        with np.errstate(invalid="ignore"):
            try:
                out = ops[node.op](a.data, b.data)
            except TypeError:
                raise EvalError(f"cannot compare these values with `{node.op}`", node.pos) from None
        return Val(np.asarray(out, dtype=bool), null, "bool")

    def _in(self, node: In) -> Val:
        import numpy as np

        val = self.eval(node.operand)
        values = [v for v in node.values if v is not None]
        has_null = len(values) < len(node.values)
        hit = _IN_HITS.get(val.kind, _text_hits)(val, values, node.pos)
        null = np.asarray(val.null, dtype=bool)
        if has_null:
            hit = hit | null
            null = np.zeros_like(null)
        return Val(~hit if node.negate else hit, null, "bool")


# operator -> the numpy function of an arithmetic node (errors of state are silenced around it)
_ARITH = {"+": "add", "-": "subtract", "*": "multiply", "/": "true_divide", "%": "mod"}

# node type -> the method that evaluates it
_EVAL: dict[type, Callable[[Evaluator, Any], Val]] = {
    Lit: Evaluator._lit,
    Col: Evaluator._col,
    Unary: Evaluator._unary,
    IsNull: Evaluator._is_null,
    In: Evaluator._in,
    Binary: Evaluator._binary,
}


def _operand(side: Val, node: Binary) -> Any:
    """A side of an arithmetic node as numbers (booleans count as 0 and 1)."""
    import numpy as np

    if side.kind not in ("num", "bool"):
        raise EvalError(f"cannot apply `{node.op}` to a {_name(side.kind)}", node.pos)
    return np.asarray(side.data, dtype=float) if side.kind == "bool" else side.data


def _number_hits(val: Val, values: list[Any], pos: int) -> Any:
    import numpy as np

    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return np.isin(val.data, numbers)


def _time_hits(val: Val, values: list[Any], pos: int) -> Any:
    import numpy as np

    stamps = [_timestamp(str(v), pos) for v in values]
    return np.isin(val.data, np.array(stamps, dtype="datetime64[ns]"))


def _bool_hits(val: Val, values: list[Any], pos: int) -> Any:
    import numpy as np

    return np.isin(val.data, [v for v in values if isinstance(v, bool)])


def _null_hits(val: Val, values: list[Any], pos: int) -> Any:
    import numpy as np

    return np.zeros(np.shape(val.null), dtype=bool)


def _text_hits(val: Val, values: list[Any], pos: int) -> Any:
    import pandas as pd

    return pd.Series(val.data).isin([str(v) for v in values]).to_numpy()


# value kind -> the rows of `x in (...)` that hold one of the listed values (nulls aside)
_IN_HITS: dict[str, Callable[[Val, list[Any], int], Any]] = {
    "num": _number_hits,
    "dt": _time_hits,
    "bool": _bool_hits,
    "null": _null_hits,
}
