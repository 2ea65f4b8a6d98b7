"""`${...}` substitution, as DVC does it: `${a.b[0]}` looks up a dotted path in a context mapping.

A string that is exactly one `${...}` takes the looked-up value as is (a list stays a list, so `foreach:
${models}` works); inside a longer string the value is formatted as text. `\\${` writes a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlops import dotted

PATTERN = re.compile(r"(\\)?\$\{\s*([^}]*?)\s*\}")


class Undefined(Exception):
    """A `${name}` that the context does not define."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(name)
        self.name = name
        self.detail = detail


def has_vars(text: str) -> bool:
    return "${" in text


def lookup(context: Mapping[str, Any], name: str) -> Any:
    """The value at a dotted path such as `train.lr` or `models[1].name` (mlops.dotted)."""
    if not name:
        raise Undefined(name, "empty `${}`")
    try:
        return dotted.resolve(context, name)
    except dotted.NotFound as exc:
        raise Undefined(name, exc.detail) from None


def format_value(value: Any) -> str:
    """How a value reads inside a longer string (DVC writes booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise TypeError("a mapping or list cannot be part of a longer string")
    return str(value)


def substitute(text: str, context: Mapping[str, Any]) -> Any:
    """Replace every `${...}` in text. Raises Undefined for a missing name."""
    if "${" not in text:
        return text
    whole = PATTERN.fullmatch(text)
    if whole and not whole.group(1):
        return lookup(context, whole.group(2))

    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        value = lookup(context, match.group(2))
        try:
            return format_value(value)
        except TypeError as exc:
            raise Undefined(match.group(2), str(exc)) from None

    return PATTERN.sub(repl, text)


def substitute_all(value: Any, context: Mapping[str, Any], path: tuple[Any, ...] = (),
                   problems: list[tuple[tuple[Any, ...], Undefined]] | None = None) -> Any:
    """Substitute in every string of a nested value; collect (json_path, Undefined) instead of raising."""
    if isinstance(value, str):
        try:
            return substitute(value, context)
        except Undefined as exc:
            if problems is None:
                raise
            problems.append((path, exc))
            return value
    if isinstance(value, list):
        return [substitute_all(v, context, path + (i,), problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: substitute_all(v, context, path + (k,), problems) for k, v in value.items()}
    return value


def mentions(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, list):
        return any(mentions(v) for v in value)
    if isinstance(value, dict):
        return any(mentions(v) for v in value.values())
    return False
