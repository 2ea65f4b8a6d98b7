"""The one compile function for `pattern:` rules: RE2 syntax, bounded, located errors.

Patterns come from pull requests and run on every row, so they use RE2 (linear time, no backtracking; the
same engine Arrow uses when validate matches them) and stay within the limits below. `mlops lint` and
`mlops validate` both call `compile_pattern`, so whatever lint accepts, validate runs, and whatever
validate refuses, lint reports first at the exact character.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mlops.data.located import LocatedError, problem_of

# The limits table for patterns (docs/reference/limits.md). Far above any real column pattern.
MAX_PATTERN_CHARS = 1000
MAX_PATTERN_DEPTH = 100  # nested groups; RE2 itself stops at 1,000 and Python's `re` far earlier
MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for the compiled program


class PatternError(LocatedError):
    """A pattern RE2 refuses or that exceeds a limit, at a 0-based character offset."""


def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern; PatternError (with the character offset) when it is refused.

    Compiled once per distinct text: wide rules files repeat one pattern over thousands of columns, and a
    compiled RE2 pattern is immutable, so every rule can share it. Refused patterns are not cached."""
    return _compile(pattern)


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> Any:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"longer than {MAX_PATTERN_CHARS} characters", MAX_PATTERN_CHARS)
    _check_depth(pattern)
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        raise PatternError(_explain(detail), _position(pattern, detail)) from None


def pattern_problem(pattern: str) -> str | None:
    """None when the pattern compiles; else the problem and where (for messages without a location)."""
    return problem_of(compile_pattern, pattern)


def _check_depth(pattern: str) -> None:
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # `[]a]`: a leading `]` is a literal
                i += 1
        elif char == "(":
            depth += 1
            if depth > MAX_PATTERN_DEPTH:
                raise PatternError(f"groups nested more than {MAX_PATTERN_DEPTH} deep", i)
        elif char == ")":
            depth = max(0, depth - 1)
        i += 1


def _explain(detail: str) -> str:
    if "invalid perl operator" in detail and ("(?=" in detail or "(?!" in detail or "(?<" in detail):
        return f"RE2 has no lookahead or lookbehind ({detail})"
    if "invalid escape sequence: \\" in detail and detail.rstrip()[-1:].isdigit():
        return f"RE2 has no backreferences ({detail})"
    if "pattern too large" in detail:
        return f"the compiled pattern is too large ({detail}); simplify repetitions such as a{{1000}}"
    return f"invalid RE2 pattern: {detail}"


def _position(pattern: str, detail: str) -> int:
    """Where RE2's complaint points: it quotes the offending fragment after the colon."""
    fragment = detail.split(": ", 1)[1] if ": " in detail else ""
    if fragment:
        at = pattern.find(fragment)
        if at >= 0:
            return at
    return 0
