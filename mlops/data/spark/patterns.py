"""RE2 `pattern:` rules as Java regular expressions, or a refusal where the two could answer differently.

Spark matches with java.util.regex. The pattern first passes mlops.data.pattern (RE2, the limits), then this
scanner rewrites the few constructs whose meaning differs and refuses the ones it cannot rewrite:

- `.` matches any character but `\\n` in RE2; Java also stops at `\\r`, `\\u0085`, `\\u2028`, `\\u2029`
  unless UNIX_LINES is on: the pattern runs under `(?d)`.
- `$` is the end of the text in RE2; Java also matches before a final line break: written `\\z`.
- `\\s` lacks the vertical tab in RE2: written `[\\t\\n\\f\\r ]`; `\\v` is the vertical tab in RE2 and a class
  in Java: written `\\x0B`.
- refused: inline flags and named groups (`(?i)` folds case differently), `\\b`/`\\B` (Java's word boundary
  is Unicode-aware), `\\S` inside a class, `\\p{..}` beyond one- and two-letter general categories, POSIX
  classes and nested `[` in a class, `&&` in a class (Java's intersection), a `{` that is not a repetition
  (RE2 reads it literally, Java refuses it), octal escapes, `\\C` and `\\Q...\\E`.

A full match is `^(?:pattern)\\z` with `rlike` (Java's find): the same rows as RE2's full match, because
whether a text matches does not depend on which alternative either engine prefers.
"""

from __future__ import annotations

import re

_REPEAT = re.compile(r"\{\d+(,\d*)?\}")
_CATEGORY = re.compile(r"\\[pP](\{[A-Z][a-z]?\}|[A-Z])")
_SIMPLE_ESCAPES = set("afnrtdDwWAz.\\|()[]{}*+?^$-/#&~ '\"!@%,:;<=>_`")


class JavaPatternError(ValueError):
    """A pattern the Spark engine refuses, at a 0-based character offset."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def java_pattern(pattern: str) -> str:
    """The Java regex that full-matches exactly the texts RE2 full-matches with `pattern`."""
    return "(?d)^(?:" + _translate(pattern) + r")\z"


def pattern_refusal(pattern: str) -> str | None:
    """None when the Spark engine runs the pattern; else why not and where."""
    try:
        _translate(pattern)
    except JavaPatternError as exc:
        return f"{exc.message} (at character {exc.pos + 1})"
    return None


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        if pattern[i] == "\\":
            piece, i = _escape(pattern, i, in_class)
            out.append(piece)
            continue
        if in_class:
            in_class = _class_char(pattern, i, out)
        else:
            i, in_class = _outside_class(pattern, i, out)
        i += 1
    return "".join(out)


def _outside_class(pattern: str, i: int, out: list[str]) -> tuple[int, bool]:
    """One character outside a class: (the index of the last character read, whether a class opens)."""
    char = pattern[i]
    if char == "[":
        return _open_class(pattern, i, out), True
    if char == "(" and pattern[i + 1 : i + 2] == "?" and pattern[i + 2 : i + 3] != ":":
        raise JavaPatternError("inline flags and named groups are not run on Spark; use (?:...)", i)
    if char == "{" and not _REPEAT.match(pattern, i):
        raise JavaPatternError("a literal `{` is read differently by Java; write \\{", i)
    out.append(r"\z" if char == "$" else char)
    return i, False


def _open_class(pattern: str, i: int, out: list[str]) -> int:
    out.append("[")
    if pattern[i + 1 : i + 2] == "^":
        out.append("^")
        i += 1
    if pattern[i + 1 : i + 2] == "]":  # a leading `]` is a literal in RE2
        out.append("\\]")
        i += 1
    return i


def _class_char(pattern: str, i: int, out: list[str]) -> bool:
    """One character inside a class; whether the class goes on."""
    char = pattern[i]
    if char == "]":
        out.append(char)
        return False
    if char == "[":
        raise JavaPatternError("`[` inside a class (or a POSIX class) is read differently by Java", i)
    if char == "&" and pattern[i + 1 : i + 2] == "&":
        raise JavaPatternError("`&&` in a class is an intersection in Java; escape it", i)
    out.append(char)
    return True


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    nxt = pattern[i + 1 : i + 2]
    fixed = _rewritten(nxt, in_class)
    if fixed is not None:
        return fixed, i + 2
    if nxt == "x":
        end = pattern.find("}", i) + 1 if pattern[i + 2 : i + 3] == "{" else i + 4
        return pattern[i:end], end
    if nxt in ("p", "P"):
        match = _CATEGORY.match(pattern, i)
        if match:
            return match.group(), match.end()
        raise JavaPatternError(
            "only one- and two-letter Unicode categories (\\p{L}, \\p{Lu}) run on Spark", i
        )
    if nxt in _SIMPLE_ESCAPES:
        return pattern[i : i + 2], i + 2
    raise JavaPatternError(f"`\\{nxt}` is read differently by Java's regular expressions", i)


def _rewritten(nxt: str, in_class: bool) -> str | None:
    """The Java text of an escape RE2 reads differently (`\\s`, `\\S`, `\\v`), or None."""
    if nxt == "s":
        return "\\t\\n\\f\\r " if in_class else "[\\t\\n\\f\\r ]"
    if nxt == "S" and not in_class:
        return "[^\\t\\n\\f\\r ]"
    if nxt == "v":
        return "\\x0B"
    return None
