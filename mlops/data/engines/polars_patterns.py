"""`pattern:` rules as Rust regular expressions (polars' `str.contains`), where they cannot read differently.

The answer to match is the pandas checker's: RE2 through Arrow, except that pandas (3.x) hands a pattern to
Python's `re` when it holds `\\s`/`\\S`, or `\\d`, `\\w`, `\\b` (and negations) on non-ASCII text, or `$`
on text with line breaks. polars matches with Rust's `regex` crate, which agrees with both on a plain core
of the syntax. A scanner (the same walk as mlops.data.spark.patterns) lets through only that core and gives
up on everything else; a pattern it gives up on runs through the pandas checker's own call, so the answer
never changes, only the speed.

Kept on the pandas call: the class escapes `\\d \\w \\s \\b` and their negations (ASCII in RE2, Unicode in
Rust and in Python, each with its own tables), inline flags and named groups, `\\p{..}`, `\\x`, `\\A`, `\\z`,
octal and other escapes not listed below, `[` inside a class (a nested or POSIX class in Rust and RE2, a
literal in Python), `&&`, `--` and `~~` in a class (set operations in Rust), a `{` that is not a repetition,
and `$` anywhere but at the very end (Python's `$` also matches before a final line break).

A full match is `\\A(?:pattern)\\z`: the same rows as a full match in either, whichever alternative each prefers.
"""

from __future__ import annotations

import re
from functools import lru_cache

_REPEAT = re.compile(r"\{\d+(,\d*)?\}")
# \< and \> are word boundaries in Rust, literals in RE2: not listed
_SIMPLE_ESCAPES = set("fnrtv.\\|()[]{}*+?^$-/#&~ '\"!@%,:;=_`")


class NotRust(ValueError):
    """A construct Rust's regex could read differently from the pandas checker (RE2 or Python's re)."""


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
        else:
            _plain_char(pattern, i)
            out.append(char)
        i += 1
    return "".join(out)


def _plain_char(pattern: str, i: int) -> None:
    """One character outside a class, refused where the engines could read it differently."""
    char = pattern[i]
    if char == "(" and pattern[i + 1 : i + 2] == "?" and pattern[i + 2 : i + 3] != ":":
        raise NotRust("inline flags or a named group")
    if char == "{" and not _REPEAT.match(pattern, i):
        raise NotRust("a literal `{`")
    if char == "$" and i != len(pattern) - 1:
        raise NotRust("`$` before the end")


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
    if nxt in _SIMPLE_ESCAPES:
        return pattern[i : i + 2], i + 2
    raise NotRust(f"`\\{nxt}`")
