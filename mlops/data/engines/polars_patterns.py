"""RE2 `pattern:` rules as Rust regular expressions (polars' `str.contains`), where both read them alike.

polars matches with Rust's `regex` crate, whose syntax is RE2's in most things. A scanner (the same walk as
the Spark engine's mlops.data.spark.patterns) rewrites the constructs whose meaning differs and gives up on
the ones it cannot be sure of; a pattern it gives up on runs through RE2 (Arrow's, as the pandas engine
runs it), so the answer never changes, only the speed:

- `\\d`, `\\w`, `\\s` (and `\\D`, `\\W`, `\\S`) are ASCII in RE2 and Unicode in Rust: written as ASCII classes.
- kept as RE2 (the pandas way): inline flags and named groups (case folding tables differ), `\\b`/`\\B`
  (Unicode-aware in Rust), `\\p{..}` (Unicode table versions differ), `[` inside a class (a nested class or
  a POSIX class in Rust, a literal in RE2), `&&`, `--` and `~~` in a class (set operations in Rust), a `{`
  that is not a repetition, `\\C`, `\\Q...\\E`, octal escapes and any escape not listed below.

A full match is `\\A(?:pattern)\\z`: the same rows as RE2's full match, whichever alternative either prefers.
"""

from __future__ import annotations

import re
from functools import lru_cache

_REPEAT = re.compile(r"\{\d+(,\d*)?\}")
_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
# \< and \> are word boundaries in Rust, literals in RE2: not listed
_SIMPLE_ESCAPES = set("afnrtvAz.\\|()[]{}*+?^$-/#&~ '\"!@%,:;=_`")


class NotRust(ValueError):
    """A construct Rust's regex could read differently from RE2."""


@lru_cache(maxsize=1024)
def rust_pattern(pattern: str) -> str | None:
    """The Rust regex that full-matches exactly the texts RE2 full-matches with `pattern`, or None."""
    try:
        return "\\A(?:" + _translate(pattern) + ")\\z"
    except NotRust:
        return None


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            piece, i = _escape(pattern, i, in_class)
            out.append(piece)
            continue
        if in_class:
            in_class = _class_char(pattern, i)
            out.append(char)
        elif char == "[":
            in_class, i = True, _open_class(pattern, i, out)
        elif char == "(" and pattern[i + 1 : i + 2] == "?" and pattern[i + 2 : i + 3] != ":":
            raise NotRust("inline flags or a named group")
        elif char == "{" and not _REPEAT.match(pattern, i):
            raise NotRust("a literal `{`")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _open_class(pattern: str, i: int, out: list[str]) -> int:
    """`[`, a negation and a leading `]` (a literal in RE2); the index of the last character consumed."""
    out.append("[")
    if pattern[i + 1 : i + 2] == "^":
        out.append("^")
        i += 1
    if pattern[i + 1 : i + 2] == "]":
        out.append("\\]")
        i += 1
    return i


def _class_char(pattern: str, i: int) -> bool:
    """One character inside a class; whether the class goes on."""
    char = pattern[i]
    if char == "]":
        return False
    if char == "[" or (char in "&-~" and pattern[i + 1 : i + 2] == char):
        raise NotRust("a nested class or a set operation")
    return True


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    nxt = pattern[i + 1 : i + 2]
    if nxt in _CLASSES:
        return (_CLASSES[nxt] if in_class else f"[{_CLASSES[nxt]}]"), i + 2
    if nxt.lower() in _CLASSES and not in_class:
        return f"[^{_CLASSES[nxt.lower()]}]", i + 2
    if nxt == "x":
        end = pattern.find("}", i) + 1 if pattern[i + 2 : i + 3] == "{" else i + 4
        if end <= i:
            raise NotRust("an unterminated \\x{")
        return pattern[i:end], end
    if nxt in _SIMPLE_ESCAPES:
        return pattern[i : i + 2], i + 2
    raise NotRust(f"`\\{nxt}`")
