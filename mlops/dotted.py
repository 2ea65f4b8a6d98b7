"""The one dotted-key lookup: `train.lr`, `models[1].name` or `models.1.name` in nested mappings and lists.

Used for `${...}` in pipelines, params keys in dvc.yaml and dvc.lock, and metric names in promotion gates,
so a key that resolves in one place resolves in all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class NotFound(KeyError):
    """NAME does not resolve; `detail` says where the path stops (empty when the first part is missing)."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(name)
        self.name = name
        self.detail = detail


def split(name: str) -> list[str | int] | None:
    """The parts of a dotted name (`[1]` gives the int 1), or None when NAME is not one."""
    parts: list[str | int] = []
    pos = 0
    for match in _PART.finditer(name):
        if match.start() != pos and name[pos : match.start()] != ".":
            return None
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if pos != len(name) or not parts:
        return None
    return parts


def resolve(data: Any, name: str, *, exact_first: bool = False) -> Any:
    """The value at NAME in DATA; NotFound when it is not there. With `exact_first`, a key that is literally
    NAME (metrics files often have `test.auc` as one key) wins over the dotted path."""
    if exact_first and isinstance(data, Mapping) and name in data:
        return data[name]
    parts = split(name)
    if parts is None:
        raise NotFound(name, "not a dotted name")
    value: Any = data
    for i, part in enumerate(parts):
        found, value = _step(value, part)
        if not found:
            raise NotFound(name, "" if i == 0 else f"`{join(parts[:i])}` has no `{part}`")
    return value


def _step(value: Any, part: str | int) -> tuple[bool, Any]:
    """(True, VALUE's key or index PART), else (False, None)."""
    if isinstance(value, Mapping) and isinstance(part, str) and part in value:
        return True, value[part]
    if isinstance(value, list) and str(part).isdigit() and int(part) < len(value):
        return True, value[int(part)]
    return False, None


def find(data: Any, name: str, *, exact_first: bool = False) -> tuple[bool, Any]:
    """(True, value) when NAME resolves in DATA, else (False, None)."""
    try:
        return True, resolve(data, name, exact_first=exact_first)
    except NotFound:
        return False, None


def join(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + p
    return out
