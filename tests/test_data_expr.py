"""The expression language under random input: the parser only ever raises ExprError, and vectorised evaluation
agrees with a row-by-row reference implementation of the same three-valued semantics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.data.evaluate import EvalError, Evaluator
from mlops.data.expr import ExprError, lint_expression, parse

ALPHABET = "ab_xy019 .,'\"`()[]+-*/%<>=!&|~^@:;{}\\\n\t_lambdaimportnotandorisinnulltrue"


@given(st.text(alphabet=ALPHABET, max_size=60))
@settings(max_examples=400, deadline=None)
def test_parser_never_fails_with_anything_but_a_located_expr_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExprError as exc:
        assert 0 <= exc.pos <= len(text)
        assert lint_expression(text) is not None
    else:
        assert not any(c.startswith("__") for c in expr.columns)
        assert "(" not in "".join(expr.columns)


# a reference evaluator over one row, with SQL's three-valued logic (None = unknown)
def _ref(node: Any, row: dict[str, Any]) -> Any:
    from mlops.data.expr import Binary, Col, In, IsNull, Lit, Unary

    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Col):
        value = row[node.name]
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    if isinstance(node, IsNull):
        value = _ref(node.operand, row)
        return (value is not None) if node.negate else (value is None)
    if isinstance(node, In):
        value = _ref(node.operand, row)
        if value is None:
            return None
        hit = value in node.values
        return not hit if node.negate else hit
    if isinstance(node, Unary):
        value = _ref(node.operand, row)
        if value is None:
            return None
        return (not value) if node.op == "not" else -value
    assert isinstance(node, Binary)
    left, right = _ref(node.left, row), _ref(node.right, row)
    if node.op == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if node.op == "or":
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if left is None or right is None:
        return None
    if node.op in ("+", "-", "*"):
        return {"+": left + right, "-": left - right, "*": left * right}[node.op]
    return {
        "==": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[node.op]


NUMBER = st.sampled_from(["x", "y", "1", "2.5", "0", "-3"])
COMPARE = st.builds(
    lambda a, op, b: f"{a} {op} {b}", NUMBER, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), NUMBER
)
ATOM = st.one_of(
    COMPARE,
    st.sampled_from(["x is null", "y is not null", "x in [1, 2]", "y not in [0]", "true", "false"]),
    st.builds(
        lambda a, op, b, c: f"{a} {op} {b} > {c}", NUMBER, st.sampled_from(["+", "-", "*"]), NUMBER, NUMBER
    ),
)
EXPR = st.recursive(
    ATOM,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)

FRAME = pd.DataFrame({"x": [1.0, 2.0, None, -3.0, 0.0, 2.5], "y": [None, 0.0, 1.0, 2.5, -3.0, 2.0]})


@given(EXPR)
@settings(max_examples=300, deadline=None)
def test_vectorised_evaluation_matches_row_by_row_semantics(text: str) -> None:
    expr = parse(text)
    try:
        true, null = Evaluator(FRAME).mask(expr)
    except EvalError:
        return
    rows = FRAME.astype(object).where(FRAME.notna(), None).to_dict("records")
    for i, row in enumerate(rows):
        expected = _ref(expr.tree, row)
        got = None if null[i] else bool(true[i])
        assert got == (None if expected is None else bool(expected)), (text, row, got, expected)
    assert true.dtype == np.bool_
