"""A fast yes/no JSON Schema check for the keyword subset our schemas use.

`mlops lint` runs on every commit, and jsonschema's general validator (plus its import) was most of lint's
time. This compiles a schema into nested closures that only answer "valid?". When the answer is no, the
caller runs jsonschema itself for the located, explained errors, so jsonschema remains the reference for
every message. A differential test (tests/test_fastcheck.py) checks both agree on generated documents.
Any keyword outside the subset makes `compile_schema` return None, and callers fall back to jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "examples",
    "errorMessage",
    "$comment",
    "$defs",
    "deprecated",
}


# keyword -> (the JSON type it constrains, True for a lower bound)
_SIZE_BOUNDS: dict[str, tuple[type[dict[Any, Any]] | type[list[Any]] | type[str], bool]] = {
    "minProperties": (dict, True),
    "maxProperties": (dict, False),
    "minItems": (list, True),
    "maxItems": (list, False),
    "minLength": (str, True),
    "maxLength": (str, False),
}


class Unsupported(Exception):
    pass


def compile_schema(schema: dict[str, Any]) -> Check | None:
    try:
        return _compile(schema, schema)
    except Unsupported:
        return None


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _is_type(value: Any, name: str) -> bool:
    if name not in _TYPES:
        raise Unsupported(name)
    return _TYPES[name](value)


def _equal(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0 but True != 1
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _compile(schema: Any, root: dict[str, Any]) -> Check:
    if schema is True:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    checks: list[Check] = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS:
            continue
        checks.append(_keyword(key, arg, schema, root))
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return _every(checks)


# The closures below are called once per value of the document (hundreds of thousands for a wide rules
# file): plain loops, not generator expressions, since they are most of lint's schema time.


def _every(checks: list[Check]) -> Check:
    def check(v: Any) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True

    return check


def _some(checks: list[Check]) -> Check:
    def check(v: Any) -> bool:
        for c in checks:
            if c(v):
                return True
        return False

    return check


def _keyword(key: str, arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    if key in _SIZE_BOUNDS:
        return _size_bound(key, arg)
    if key in _NUMBER_BOUNDS:
        return _number_bound(key, arg)
    compiler = _KEYWORDS.get(key)
    if compiler is None:
        raise Unsupported(key)
    return compiler(arg, schema, root)


def _type(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    names = arg if isinstance(arg, list) else [arg]
    for n in names:
        _is_type(None, n)  # raises Unsupported for unknown names
    if len(names) == 1:
        return _TYPES[names[0]]
    return _some([_TYPES[n] for n in names])


def _const(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return lambda v: _equal(v, arg)


def _enum(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    if all(type(e) is str for e in arg):  # the usual enum: a set lookup (only a string equals a string)
        words = frozenset(arg)
        return lambda v: isinstance(v, str) and v in words
    return lambda v: any(_equal(v, e) for e in arg)


def _properties(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    props = {name: _compile(sub, root) for name, sub in arg.items()}

    def check(v: Any) -> bool:  # walk the document's keys, not the schema's: a column names 2 of its 25
        if isinstance(v, dict):
            for k, val in v.items():
                c = props.get(k)
                if c is not None and not c(val):
                    return False
        return True

    return check


def _pattern_properties(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    compiled = [(re.compile(p), _compile(sub, root)) for p, sub in arg.items()]
    return lambda v: (
        not isinstance(v, dict)
        or all(c(val) for k, val in v.items() for p, c in compiled if p.search(str(k)))
    )


def _additional_properties(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    known = set(schema.get("properties", {}))
    pats = [re.compile(p) for p in schema.get("patternProperties", {})]
    if arg is False and not pats:  # the usual form: only the listed keys
        return lambda v: not isinstance(v, dict) or known.issuperset(v)
    sub = _compile(arg, root)

    def check(v: Any) -> bool:  # `columns:` has one value per column here
        if isinstance(v, dict):
            for k, val in v.items():
                if k in known or (pats and any(p.search(str(k)) for p in pats)):
                    continue
                if not sub(val):
                    return False
        return True

    return check


def _size_bound(key: str, arg: Any) -> Check:
    kind, at_least = _SIZE_BOUNDS[key]
    if at_least:
        return lambda v: not isinstance(v, kind) or len(v) >= arg
    return lambda v: not isinstance(v, kind) or len(v) <= arg


_NUMBER_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, arg: v >= arg,
    "maximum": lambda v, arg: v <= arg,
    "exclusiveMinimum": lambda v, arg: v > arg,
    "exclusiveMaximum": lambda v, arg: v < arg,
}


def _number_bound(key: str, arg: Any) -> Check:
    op = _NUMBER_BOUNDS[key]
    return lambda v: not _is_number(v) or op(v, arg)


def _required(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return lambda v: not isinstance(v, dict) or all(r in v for r in arg)


def _property_names(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    sub = _compile(arg, root)
    return lambda v: not isinstance(v, dict) or all(sub(k) for k in v)


def _items(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    sub = _compile(arg, root)
    return lambda v: not isinstance(v, list) or all(sub(i) for i in v)


def _pattern(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    rx = re.compile(arg)
    return lambda v: not isinstance(v, str) or rx.search(v) is not None


def _any_of(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return _some([_compile(s, root) for s in arg])


def _all_of(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return _every([_compile(s, root) for s in arg])


def _one_of(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    subs = [_compile(s, root) for s in arg]
    return lambda v: sum(1 for s in subs if s(v)) == 1


def _not(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    sub = _compile(arg, root)
    return lambda v: not sub(v)


def _if(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    cond = _compile(arg, root)
    then = _compile(schema.get("then", True), root)
    other = _compile(schema.get("else", True), root)
    return lambda v: then(v) if cond(v) else other(v)


def _with_if(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return lambda v: True  # `then` and `else` are evaluated with `if`


def _dependent_required(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    return lambda v: (
        not isinstance(v, dict) or all(all(d in v for d in deps) for k, deps in arg.items() if k in v)
    )


def _unique_items(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    if not arg:
        return lambda v: True
    return lambda v: (
        not isinstance(v, list) or all(not _equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :])
    )


def _ref(arg: Any, schema: dict[str, Any], root: dict[str, Any]) -> Check:
    if not isinstance(arg, str) or not arg.startswith("#/"):
        raise Unsupported(arg)
    target: Any = root
    for part in arg[2:].split("/"):
        target = target[part]
    cell: list[Check] = []

    def ref(v: Any) -> bool:  # resolved lazily so recursive definitions work
        if not cell:
            cell.append(_compile(target, root))
        return cell[0](v)

    return ref


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Check]] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "propertyNames": _property_names,
    "items": _items,
    "pattern": _pattern,
    "anyOf": _any_of,
    "allOf": _all_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "then": _with_if,
    "else": _with_if,
    "dependentRequired": _dependent_required,
    "uniqueItems": _unique_items,
    "$ref": _ref,
}
