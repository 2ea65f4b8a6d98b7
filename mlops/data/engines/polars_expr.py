"""Check expressions (mlops.data.expr) compiled to polars, with mlops.data.evaluate's semantics.

Values are (data, null, kind) as in the evaluator; logic is three-valued (Kleene) on explicit null masks, so
polars' own null propagation never decides an answer. Only numbers and text compile (columns the pandas view
would read as such); `%`, text concatenation, datetimes, booleans columns and anything the evaluator would
reject raise NotNative, and the rule runs through the pandas checker on that chunk instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops.data.engines.polars_rules import column_kind, whole_file
from mlops.data.expr import Binary, Col, In, IsNull, Lit, Node, Unary


class NotNative(Exception):
    """This expression (on this chunk) has no native form with the evaluator's exact semantics."""


@dataclass
class PVal:
    data: Any  # polars expression (or a Python scalar for literals)
    null: Any  # polars boolean expression without nulls (or a bool)
    kind: str  # num | str | bool | null


def _lit(value: Any) -> PVal:
    import polars as pl

    if value is None:
        return PVal(pl.lit(0.0), pl.lit(True), "null")
    if isinstance(value, bool):
        return PVal(pl.lit(value), pl.lit(False), "bool")
    if isinstance(value, (int, float)):
        return PVal(pl.lit(float(value), dtype=pl.Float64), pl.lit(False), "num")
    return PVal(pl.lit(str(value), dtype=pl.String), pl.lit(False), "str")


class Compiler:
    def __init__(self, frame: Any, types: dict[str, str]) -> None:
        self.frame = frame
        self.types = types

    def fail(self, tree: Node) -> Any:
        """Rows where the expression is false (not unknown): the failing rows of a check."""
        val = self._as_bool(self.eval(tree))
        return (~val.data.fill_null(False) & ~val.null).fill_null(False)

    def eval(self, node: Node) -> PVal:
        if isinstance(node, Lit):
            return _lit(node.value)
        if isinstance(node, Col):
            return self._column(node.name)
        if isinstance(node, IsNull):
            val = self.eval(node.operand)
            return PVal(~val.null if node.negate else val.null, _false(), "bool")
        if isinstance(node, In):
            return self._in(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        raise NotNative(node)

    def _binary(self, node: Binary) -> PVal:
        if node.op in ("and", "or"):
            return self._logic(node)
        if node.op in ("+", "-", "*", "/"):
            return self._arith(node)
        if node.op in ("==", "!=", "<", "<=", ">", ">="):
            return self._compare(node)
        raise NotNative(node)  # `%`: numpy's and polars' remainders of negative numbers differ

    def _column(self, name: str) -> PVal:
        import polars as pl

        if name not in self.frame.columns:
            raise NotNative(name)
        dtype = self.frame.schema[name]
        declared = self.types.get(name)
        kind = column_kind(dtype, declared)
        series = self.frame.get_column(name)
        # the evaluator reads an undeclared chunk of nulls as null: with nulls somewhere in the file, some
        # chunk may hold only nulls
        empty = series.null_count() > 0 if whole_file(self.frame) else series.null_count() == series.len()
        if kind is None or (declared is None and empty):
            raise NotNative(name)
        col = pl.col(name)
        if kind == "num":
            null = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
            return PVal(col.cast(pl.Float64), null, "num")
        return PVal(col, col.is_null(), "str")

    def _as_bool(self, val: PVal) -> PVal:
        if val.kind in ("bool", "null"):
            return val
        if val.kind == "num":
            return PVal(val.data != 0, val.null, "bool")
        raise NotNative(val.kind)

    def _unary(self, node: Unary) -> PVal:
        val = self.eval(node.operand)
        if node.op == "not":
            val = self._as_bool(val)
            return PVal(~val.data.fill_null(False), val.null, "bool")
        if val.kind == "null":
            return val
        if val.kind != "num":
            raise NotNative(node)
        return PVal(-val.data, val.null, "num")

    def _logic(self, node: Binary) -> PVal:
        a = self._as_bool(self.eval(node.left))
        b = self._as_bool(self.eval(node.right))
        ad, bd = a.data.fill_null(False), b.data.fill_null(False)
        if node.op == "and":
            data = ad & bd
            null = (a.null | b.null) & ~((~ad & ~a.null) | (~bd & ~b.null))
        else:
            data = (ad & ~a.null) | (bd & ~b.null)
            null = (a.null | b.null) & ~data
        return PVal(data & ~null, null, "bool")

    def _arith(self, node: Binary) -> PVal:
        a, b = self.eval(node.left), self.eval(node.right)
        if a.kind == "null" or b.kind == "null":
            return _lit(None)
        if a.kind != "num" or b.kind != "num":
            raise NotNative(node)
        x, y = a.data, b.data
        out = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[node.op]
        null = a.null | b.null | out.is_nan().fill_null(True)
        if node.op == "/":
            null = null | (y == 0).fill_null(False)
        return PVal(out, null, "num")

    def _compare(self, node: Binary) -> PVal:
        a, b = self.eval(node.left), self.eval(node.right)
        if a.kind == "null" or b.kind == "null":
            return PVal(_false(), _true(), "bool")
        if a.kind != b.kind or a.kind not in ("num", "str", "bool"):
            raise NotNative(node)
        x, y = (a.data.fill_null(False), b.data.fill_null(False)) if a.kind == "bool" else (a.data, b.data)
        ops = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}
        return PVal(ops[node.op].fill_null(False), a.null | b.null, "bool")

    def _in(self, node: In) -> PVal:
        val = self.eval(node.operand)
        values = [v for v in node.values if v is not None]
        hit = _membership(val, values, node)
        null = val.null
        if len(values) < len(node.values):  # `in (..., null)`: a null operand is in the list
            hit, null = hit | null, _false()
        return PVal(~hit if node.negate else hit, null, "bool")


def _membership(val: PVal, values: list[Any], node: Node) -> Any:
    """Rows whose value is among the listed ones (numbers for numbers, text for text), as the evaluator."""
    if val.kind == "num":
        numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return val.data.is_in(numbers).fill_null(False)
    if val.kind == "str":
        return val.data.is_in([str(v) for v in values]).fill_null(False)
    if val.kind == "null":
        return _false()
    raise NotNative(node)


def _false() -> Any:
    import polars as pl

    return pl.lit(False)


def _true() -> Any:
    import polars as pl

    return pl.lit(True)
