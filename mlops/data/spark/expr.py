"""Expressions (mlops.data.expr trees) compiled to Spark Columns with the pandas evaluator's semantics.

Every value is a pair of Columns (data, null) that are never SQL NULL, so Kleene logic is spelled out exactly
as mlops.data.evaluate does it: a comparison with a null is unknown, unknown passes a check, division by zero
and NaN results are null. Type errors are the evaluator's EvalErrors, raised while compiling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops.data.evaluate import EvalError, _name
from mlops.data.expr import Binary, Col, Expr, In, IsNull, Lit, Node, Unary
from mlops.data.spark.columns import SparkView, micros_of


@dataclass
class SVal:
    data: Any  # Column
    null: Any  # boolean Column
    kind: str  # num | str | bool | dt | null
    literal: Any = None  # the Python value of a literal string (datetime alignment)
    is_literal: bool = False


def _f() -> Any:
    from pyspark.sql import functions as F

    return F


def _lit(value: Any) -> SVal:
    F = _f()
    if value is None:
        return SVal(F.lit(0.0), F.lit(True), "null", is_literal=True)
    if isinstance(value, bool):
        return SVal(F.lit(value), F.lit(False), "bool", is_literal=True)
    if isinstance(value, (int, float)):
        return SVal(F.lit(float(value)), F.lit(False), "num", is_literal=True)
    return SVal(F.lit(str(value)), F.lit(False), "str", str(value), True)


def _timestamp(text: str, pos: int) -> Any:
    try:
        return _f().lit(micros_of(text))
    except (ValueError, TypeError):
        raise EvalError(f"`{text}` is not a date or time", pos) from None


def _as_bool(val: SVal, pos: int) -> SVal:
    if val.kind in ("bool", "null"):
        return val
    if val.kind == "num":
        return SVal(_f().coalesce(val.data != 0, _f().lit(False)), val.null, "bool")
    raise EvalError(f"a {_name(val.kind)} value is used as true/false", pos)


def _align(a: SVal, b: SVal, pos: int, op: str) -> tuple[SVal, SVal]:
    if a.kind == "null" or b.kind == "null" or a.kind == b.kind:
        return a, b
    if {a.kind, b.kind} == {"bool", "num"}:
        return (SVal(a.data.cast("double"), a.null, "num"), SVal(b.data.cast("double"), b.null, "num"))
    if a.kind == "dt" and _text_literal(b):
        return a, SVal(_timestamp(b.literal, pos), b.null, "dt")
    if b.kind == "dt" and _text_literal(a):
        return SVal(_timestamp(a.literal, pos), a.null, "dt"), b
    raise EvalError(f"cannot apply `{op}` to a {_name(a.kind)} and a {_name(b.kind)}", pos)


def _text_literal(val: SVal) -> bool:
    """A literal text, which a comparison with a datetime reads as a date."""
    return val.kind == "str" and val.literal is not None


class Compiler:
    """Compiles trees against one DataFrame's columns (seen through the rules' declared types)."""

    def __init__(self, view: Callable[[str], SparkView], names: set[str]) -> None:
        self.view = view
        self.names = names

    def mask(self, expr: Expr) -> tuple[Any, Any]:
        """(true, null) boolean Columns of a boolean expression."""
        val = _as_bool(self.compile(expr.tree), expr.tree.pos)
        F = _f()
        data, null = F.coalesce(val.data, F.lit(False)), F.coalesce(val.null, F.lit(True))
        return data & ~null, null

    def compile(self, node: Node) -> SVal:
        if isinstance(node, Lit):
            return _lit(node.value)
        compilers: dict[type, Callable[[Any], SVal]] = {
            Col: self._column,
            Unary: self._unary,
            IsNull: self._is_null,
            In: self._in,
            Binary: self._binary,
        }
        compiler = compilers.get(type(node))
        if compiler is None:  # pragma: no cover - the parser builds only these
            raise EvalError("unknown expression node", node.pos)
        return compiler(node)

    def _is_null(self, node: IsNull) -> SVal:
        F = _f()
        val = self.compile(node.operand)
        null = val.null if val.kind != "num" else val.null | F.coalesce(F.isnan(val.data), F.lit(False))
        return SVal(~null if node.negate else null, F.lit(False), "bool")

    def _binary(self, node: Binary) -> SVal:
        if node.op in ("and", "or"):
            return self._logic(node)
        if node.op in ("+", "-", "*", "/", "%"):
            return self._arith(node)
        return self._compare(node)

    def _column(self, node: Col) -> SVal:
        if node.name not in self.names:
            raise EvalError(f"no column `{node.name}` in the data", node.pos)
        v = self.view(node.name)
        null = v.null | v.bad
        if v.kind == "null":
            return SVal(_f().lit(0.0), _f().lit(True), "null")
        if v.kind == "str":
            return SVal(v.series, null, "str")
        return SVal(v.numbers, null, v.kind)

    def _unary(self, node: Unary) -> SVal:
        val = self.compile(node.operand)
        if node.op == "not":
            val = _as_bool(val, node.operand.pos)
            return SVal(~_f().coalesce(val.data, _f().lit(False)), val.null, "bool")
        if val.kind == "null":
            return val
        if val.kind != "num":
            raise EvalError(f"cannot negate a {_name(val.kind)}", node.pos)
        return SVal(-val.data, val.null, "num")

    def _logic(self, node: Binary) -> SVal:
        F = _f()
        a = _as_bool(self.compile(node.left), node.left.pos)
        b = _as_bool(self.compile(node.right), node.right.pos)
        ad, an = F.coalesce(a.data, F.lit(False)), F.coalesce(a.null, F.lit(True))
        bd, bn = F.coalesce(b.data, F.lit(False)), F.coalesce(b.null, F.lit(True))
        if node.op == "and":
            null = (an | bn) & ~((~ad & ~an) | (~bd & ~bn))
            data = ad & bd
        else:
            data = (ad & ~an) | (bd & ~bn)
            null = (an | bn) & ~data
        return SVal(data & ~null, null, "bool")

    def _arith(self, node: Binary) -> SVal:
        F = _f()
        a, b = self.compile(node.left), self.compile(node.right)
        if a.kind == "null" or b.kind == "null":
            return SVal(F.lit(0.0), F.lit(True), "null")
        if node.op == "+" and a.kind == "str" and b.kind == "str":
            return SVal(F.concat(a.data, b.data), a.null | b.null, "str")
        for side in (a, b):
            if side.kind not in ("num", "bool"):
                raise EvalError(f"cannot apply `{node.op}` to a {_name(side.kind)}", node.pos)
        x, y = a.data.cast("double"), b.data.cast("double")
        zero = F.coalesce(y == 0, F.lit(False))
        out = _arithmetic(node.op, x, y, zero)
        null = a.null | b.null | F.coalesce(F.isnan(out) | out.isNull(), F.lit(True))
        if node.op in ("/", "%"):
            null = null | zero
        return SVal(F.coalesce(out, F.lit(0.0)), null, "num")

    def _compare(self, node: Binary) -> SVal:
        F = _f()
        a, b = _align(self.compile(node.left), self.compile(node.right), node.pos, node.op)
        if a.kind == "null" or b.kind == "null":
            return SVal(F.lit(False), F.lit(True), "bool")
        x, y = a.data, b.data
        out = {
            "==": lambda: x == y,
            "!=": lambda: x != y,
            "<": lambda: x < y,
            "<=": lambda: x <= y,
            ">": lambda: x > y,
            ">=": lambda: x >= y,
        }[node.op]()
        return SVal(F.coalesce(out, F.lit(False)), a.null | b.null, "bool")

    def _in(self, node: In) -> SVal:
        F = _f()
        val = self.compile(node.operand)
        values = [v for v in node.values if v is not None]
        has_null = len(values) < len(node.values)
        wanted = _members(val.kind, values, node.pos)
        hit = F.coalesce(val.data.isin(*wanted), F.lit(False)) if wanted else F.lit(False)
        null = val.null
        if has_null:
            hit, null = hit | null, F.lit(False)
        return SVal(~hit if node.negate else hit, null, "bool")


def _arithmetic(op: str, x: Any, y: Any, zero: Any) -> Any:
    """`x op y` of two double Columns; division and modulo by zero are null."""
    F = _f()
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return F.when(~zero, x / y)
    rem = F.when(~zero, x % y)  # numpy's mod: the result takes the divisor's sign
    return F.when((rem != 0) & ((rem < 0) != (y < 0)), rem + y).otherwise(rem)


def _members(kind: str, values: list[Any], pos: int) -> list[Any]:
    """The values of an `in` list that a value of `kind` can equal, in its terms."""
    if kind == "dt":
        return [micros_of_or_fail(str(v), pos) for v in values]
    if kind == "null":
        return []
    keep, convert = _MEMBERS.get(kind, (_anything, str))
    return [convert(v) for v in values if keep(v)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _anything(value: Any) -> bool:
    return True


# which values of an `in` list a column of that kind can equal, and as what
_MEMBERS: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "num": (_is_number, float),
    "bool": (_is_bool, bool),
}


def micros_of_or_fail(text: str, pos: int) -> int:
    try:
        return micros_of(text)
    except (ValueError, TypeError):
        raise EvalError(f"`{text}` is not a date or time", pos) from None
