"""The safe expression language of `checks:` and `where:`: a tokenizer and a recursive-descent parser.

Expressions come from repository files that CI runs on untrusted pull requests, so they are parsed into a
small tree and evaluated by mlops.data.evaluate over column arrays: nothing is ever handed to Python's
`eval`, `compile` or `DataFrame.eval`. What the language has:

    columns      age, monthly_spend, `column with spaces`
    literals     1, 2.5, 1e3, 'text', "text", true, false, null
    arithmetic   + - * / %  and unary -
    comparisons  == != < <= > >=
    logic        and, or, not   (three-valued: a comparison with a null is unknown, and unknown passes)
    null tests   x is null, x is not null
    membership   plan in ['basic', 'pro'], plan not in ['legacy']

Anything else (calls, attributes, subscripts, lambdas, names starting with `__`) is a located ExprError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlops.data.located import LocatedError, problem_of

# The limits table for expressions (docs/reference/limits.md). The evaluator walks the tree recursively, so
# the tree depth is bounded here, where lint and validate both parse: whatever lint accepts, validate runs.
MAX_EXPR_CHARS = 10_000
MAX_EXPR_DEPTH = 64  # operators applied one on another: `a+a+...` of 64 terms, or 64 nested parentheses


class ExprError(LocatedError):
    """A syntax error at a 0-based character offset of the expression."""


# -- tree --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Lit(Node):
    value: Any


@dataclass(frozen=True)
class Col(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" | "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / % == != < <= > >= and or
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negate: bool


@dataclass(frozen=True)
class In(Node):
    operand: Node
    values: tuple[Any, ...]
    negate: bool


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its source text, tree and the columns it reads."""

    text: str
    tree: Node
    columns: tuple[str, ...] = field(default=())


ARITH = ("+", "-", "*", "/", "%")
COMPARE = ("==", "!=", "<", "<=", ">", ">=")
_KEYWORDS = {"and", "or", "not", "is", "in", "null", "true", "false"}
_LITERAL_WORDS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
# words that signal someone is writing Python, not this language
_PYTHON = {
    "lambda",
    "import",
    "def",
    "class",
    "for",
    "while",
    "if",
    "else",
    "elif",
    "return",
    "yield",
    "from",
    "as",
    "with",
    "global",
    "nonlocal",
    "del",
    "assert",
    "raise",
    "try",
    "except",
    "finally",
    "await",
    "async",
    "exec",
    "eval",
    "pass",
    "break",
    "continue",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]*`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<>|&&|\|\||\*\*|//|[-+*/%<>=()\[\],.!&|~^@:;{}])
""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num str name quoted op end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"`":
                raise ExprError(f"unterminated {'name' if char == '`' else 'string'} starting here", pos)
            raise ExprError(f"unexpected character `{char}`", pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


_OP_HINTS = {
    "=": "use `==` to compare",
    "<>": "use `!=`",
    "&&": "use `and`",
    "||": "use `or`",
    "!": "use `not`",
    "&": "use `and`",
    "|": "use `or`",
    "~": "use `not`",
    "**": "powers are not supported",
    "//": "use `/`",
    "^": "not part of the expression language",
    "@": "not part of the expression language",
    ".": "attribute access is not allowed",
    ":": "not part of the expression language",
    ";": "one expression only",
    "{": "not part of the expression language",
    "}": "not part of the expression language",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.columns: list[str] = []

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text in words

    def op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def fail_here(self, expected: str) -> ExprError:
        tok = self.tok
        if tok.kind == "end":
            return ExprError(f"expression ends early; expected {expected}", tok.pos)
        if tok.kind == "op" and tok.text in _OP_HINTS:
            return ExprError(f"unexpected `{tok.text}`: {_OP_HINTS[tok.text]}", tok.pos)
        return ExprError(f"unexpected `{tok.text}`; expected {expected}", tok.pos)

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise ExprError("empty expression", 0)
        tree = self.or_()
        if self.tok.kind != "end":
            raise self.fail_here("an operator (and, or, ==, <, +, ...) or the end")
        _check_height(tree)
        return Expr(self.text, tree, tuple(dict.fromkeys(self.columns)))

    def or_(self) -> Node:
        return self.chain("or", self.and_)

    def and_(self) -> Node:
        return self.chain("and", self.not_)

    def chain(self, word: str, operand: Callable[[], Node]) -> Node:
        """`operand (word operand)*`, grouped from the left."""
        node = operand()
        while self.word(word):
            pos = self.next().pos
            node = Binary(pos, word, node, operand())
        return node

    def nest(self, pos: int) -> None:
        """One more level of recursion (`(`, `not`, unary `-`): refused past the limit, where it happens."""
        self.depth += 1
        if self.depth > MAX_EXPR_DEPTH:
            raise ExprError(f"expression nested more than {MAX_EXPR_DEPTH} levels deep", pos)

    def not_(self) -> Node:
        if self.word("not"):
            pos = self.next().pos
            self.nest(pos)
            node = Unary(pos, "not", self.not_())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.op(*COMPARE):
            tok = self.next()
            node: Node = Binary(tok.pos, tok.text, left, self.additive())
            if self.op(*COMPARE):
                raise ExprError("chained comparisons are ambiguous; join them with `and`", self.tok.pos)
            return node
        if self.word("is"):
            pos = self.next().pos
            negate = False
            if self.word("not"):
                self.next()
                negate = True
            if not self.word("null"):
                raise self.fail_here("`null` after `is`")
            self.next()
            return IsNull(pos, left, negate)
        if self.word("in") or (self.word("not") and self.tokens[self.i + 1].text == "in"):
            pos = self.tok.pos
            negate = self.next().text == "not"
            if negate:
                self.next()
            return In(pos, left, self.literal_list(), negate)
        return left

    def literal_list(self) -> tuple[Any, ...]:
        if not self.op("[", "("):
            raise self.fail_here("a list such as ['a', 'b'] after `in`")
        close = "]" if self.next().text == "[" else ")"
        values: list[Any] = []
        while not self.op(close):
            values.append(self.literal())
            if self.op(","):
                self.next()
            elif not self.op(close):
                raise self.fail_here(f"`,` or `{close}`")
        self.next()
        if not values:
            raise ExprError("empty list after `in`", self.tok.pos)
        return tuple(values)

    def literal(self) -> Any:
        negative = False
        if self.op("-"):
            self.next()
            negative = True
        tok = self.tok
        if tok.kind == "num":
            self.next()
            value = _number(tok.text)
            return -value if negative else value
        if negative:
            raise self.fail_here("a number after `-`")
        if tok.kind == "str":
            self.next()
            return _unquote(tok.text)
        if tok.kind == "name" and tok.text in _LITERAL_WORDS:
            self.next()
            return _LITERAL_WORDS[tok.text]
        raise self.fail_here("a literal (number, 'string', true, false or null) in the list")

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.op("+", "-"):
            tok = self.next()
            node = Binary(tok.pos, tok.text, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.op("*", "/", "%"):
            tok = self.next()
            node = Binary(tok.pos, tok.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.op("-", "+"):
            tok = self.next()
            self.nest(tok.pos)
            operand = self.unary()
            self.depth -= 1
            return operand if tok.text == "+" else Unary(tok.pos, "-", operand)
        return self.postfix(self.atom())

    def postfix(self, node: Node) -> Node:
        if self.op("("):
            raise ExprError("function calls are not allowed in expressions", self.tok.pos)
        if self.op("."):
            raise ExprError("attribute access is not allowed in expressions", self.tok.pos)
        if self.op("["):
            raise ExprError("subscripts are not allowed in expressions", self.tok.pos)
        return node

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.next()
            return Lit(tok.pos, _number(tok.text))
        if tok.kind == "str":
            self.next()
            return Lit(tok.pos, _unquote(tok.text))
        if tok.kind == "quoted":
            self.next()
            name = tok.text[1:-1]
            if not name:
                raise ExprError("empty column name", tok.pos)
            self.columns.append(name)
            return Col(tok.pos, name)
        if tok.kind == "name":
            return self.name()
        if self.op("("):
            self.nest(self.next().pos)
            node = self.or_()
            if not self.op(")"):
                raise self.fail_here("`)`")
            self.next()
            self.depth -= 1
            return node
        raise self.fail_here("a column, a literal or `(`")

    def name(self) -> Node:
        tok = self.next()
        word = tok.text
        if word.startswith("__"):
            raise ExprError(f"names starting with `__` are not allowed (`{word}`)", tok.pos)
        if word in _PYTHON:
            raise ExprError(f"`{word}` is not part of the expression language", tok.pos)
        if word in _LITERAL_WORDS:
            return Lit(tok.pos, _LITERAL_WORDS[word])
        if word in _KEYWORDS:
            raise ExprError(f"unexpected `{word}`; expected a column, a literal or `(`", tok.pos)
        self.columns.append(word)
        return Col(tok.pos, word)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, (Unary, IsNull, In)):
        return (node.operand,)
    return ()


def _check_height(tree: Node) -> None:
    """Refuse a tree deeper than the limit (the evaluator recurses once per level), at the first operator,
    reading left to right, whose operands are already that deep. Walked without recursion."""
    heights: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        kids = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(kids))
            continue
        height = 1 + max((heights[id(kid)] for kid in kids), default=0)
        if height > MAX_EXPR_DEPTH:
            raise ExprError(
                f"expression more than {MAX_EXPR_DEPTH} operations deep; split it into several checks",
                node.pos,
            )
        heights[id(node)] = height


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse(text: str) -> Expr:
    """Parse an expression; raises ExprError (with a character offset) on anything outside the language."""
    if not isinstance(text, str):
        raise ExprError("an expression is a string", 0)
    if len(text) > MAX_EXPR_CHARS:
        raise ExprError(f"expression longer than {MAX_EXPR_CHARS} characters", MAX_EXPR_CHARS)
    return _Parser(text).parse()


def lint_expression(text: str) -> str | None:
    """None when the expression parses; else the problem and where (for `mlops lint`)."""
    return problem_of(parse, text)
