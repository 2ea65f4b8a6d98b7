"""`${...}` substitution, as DVC does it: `${a.b[0]}` looks up a dotted path in a context mapping.

A string that is exactly one `${...}` takes the looked-up value as is (a list stays a list, so `foreach:
${models}` works); inside a longer string the value is formatted as text as DVC formats it (`None`,
`true`, a mapping in `cmd` as `--key value` arguments). `\\${` stays escaped: the text goes to dvc.yaml,
where DVC reads it as a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlops import dotted

PATTERN = re.compile(r"(\\)?\$\{\s*([^}]*?)\s*\}")


class Local(str):
    """`${item...}`/`${key}` of a foreach/matrix template kept for DVC to fill in (see compiler)."""


class Undefined(Exception):
    """A `${name}` that the context does not define."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(name)
        self.name = name
        self.detail = detail


class NotText(Undefined):
    """A defined `${name}` whose value (a mapping or list) cannot be written inside a longer string."""


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


def format_value(value: Any, in_cmd: bool = False) -> str:
    """How a value reads inside a longer string, as DVC writes it (true/false, None)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and in_cmd:
        return mapping_arguments(value)
    if isinstance(value, (dict, list)):
        raise TypeError(
            f"a {'mapping' if isinstance(value, dict) else 'list'} cannot be part of a longer "
            "string" + ("" if in_cmd else " (only `cmd` expands a mapping into arguments)")
        )
    return str(value)


def mapping_arguments(value: dict[str, Any]) -> str:
    """DVC's expansion of a mapping in `cmd`: `--key value`, nested keys dotted, `--flag` for true,
    list items after one `--key` (DVC's default `parsing.bool: store_true`, `parsing.list: nargs`)."""
    import shlex

    words: list[str] = []
    for key, item in _flatten(value, ""):
        if isinstance(item, bool):
            words += [f"--{key}"] if item else []
        elif isinstance(item, str):
            words += [f"--{key}", shlex.quote(item)]
        elif isinstance(item, list):
            for n, element in enumerate(item):
                if isinstance(element, (list, dict)):
                    raise TypeError(f"cannot expand a nested list in `{key}`")
                text = shlex.quote(element) if isinstance(element, str) else str(element)
                words += [text] if n else [f"--{key}", text]
        else:
            words += [f"--{key}", str(item)]
    return " ".join(words)


def _flatten(value: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            out.extend(_flatten(item, name + "."))
        else:
            out.append((name, item))
    return out


def _kept_local(context: Mapping[str, Any], name: str) -> Local | None:
    root = re.split(r"[.\[]", name, maxsplit=1)[0]
    return Local(f"${{{name}}}") if isinstance(context.get(root), Local) else None


def substitute(text: str, context: Mapping[str, Any], in_cmd: bool = False) -> Any:
    """Replace every `${...}` in text. Raises Undefined for a missing name."""
    if "${" not in text:
        return text
    whole = PATTERN.fullmatch(text)
    if whole and not whole.group(1):
        kept = _kept_local(context, whole.group(2))
        return kept if kept is not None else lookup(context, whole.group(2))

    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)
        kept = _kept_local(context, match.group(2))
        if kept is not None:
            return kept
        value = lookup(context, match.group(2))
        try:
            return format_value(value, in_cmd)
        except TypeError as exc:
            raise NotText(match.group(2), str(exc)) from None

    return PATTERN.sub(repl, text)


def substitute_all(
    value: Any,
    context: Mapping[str, Any],
    path: tuple[Any, ...] = (),
    problems: list[tuple[tuple[Any, ...], Undefined]] | None = None,
    in_cmd: bool = False,
) -> Any:
    """Substitute in every string of a nested value; collect (json_path, Undefined) instead of raising."""
    if isinstance(value, str):
        try:
            return substitute(value, context, in_cmd)
        except Undefined as exc:
            if problems is None:
                raise
            problems.append((path, exc))
            return value
    if isinstance(value, list):
        return [substitute_all(v, context, path + (i,), problems, in_cmd) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: substitute_all(v, context, path + (k,), problems, in_cmd) for k, v in value.items()}
    return value


def mentions(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, list):
        return any(mentions(v) for v in value)
    if isinstance(value, dict):
        return any(mentions(v) for v in value.values())
    return False
