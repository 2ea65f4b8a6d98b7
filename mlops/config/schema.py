"""JSON Schema validation that reports every error at its YAML line and column, with "did you mean"."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from mlops.config.yamlload import Located
from mlops.findings import Finding
from mlops.suggest import did_you_mean

KINDS = {
    "Project": "project",
    "Pipeline": "pipeline",
    "Rules": "rules",
    "Promotion": "promotion",
    "Registry": "registry",
    "Evaluation": "evaluation",
}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    name = KINDS[kind]
    text = resources.files("mlops").joinpath("schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = load_schema(kind)
    return Draft202012Validator(schema, format_checker=None)


@cache
def _fast(kind: str) -> Any:
    from mlops.config.fastcheck import compile_schema

    return compile_schema(load_schema(kind))


def validate(doc: Located, kind: str) -> list[Finding]:
    """All schema errors of one document, located and phrased for people."""
    fast = _fast(kind)
    if fast is not None and fast(doc.data):
        return []  # valid: no need for jsonschema (or even its import)
    findings: list[Finding] = []
    for error in _validator(kind).iter_errors(doc.data):
        findings.extend(_explain(doc, error))
    # one problem often trips several keywords; keep distinct messages only
    unique: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.line, f.col, f.message), f)
    return sorted(unique.values(), key=lambda f: (f.line, f.col, f.message))


def _explain(doc: Located, error: Any) -> list[Finding]:
    path = tuple(error.absolute_path)
    where = _describe(path)
    explain = _EXPLAIN.get(error.validator)
    if explain is not None:
        found = explain(doc, error, path, where)
        if found is not None:
            return found
    custom = error.schema.get("errorMessage")
    if error.validator == "not" and custom:
        return [doc.finding(path, f"{where}: {custom}", key=True, rule="schema")]
    return [doc.finding(path, f"{where + ': ' if where else ''}{custom or error.message}", rule="schema")]


Explain = Callable[[Located, Any, tuple[Any, ...], str], "list[Finding] | None"]


def _additional(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    if not isinstance(error.instance, dict):
        return None
    allowed = sorted(error.schema.get("properties", {}))
    pattern_props = error.schema.get("patternProperties", {})
    out = []
    import re

    for key in error.instance:
        if key in allowed or any(re.search(p, str(key)) for p in pattern_props):
            continue
        message = f"unknown key `{key}`{' in ' + where if where else ''}"
        hint = did_you_mean(str(key), allowed)
        if hint:
            message += hint
        elif allowed and len(allowed) <= 12:
            message += f"; allowed: {', '.join(allowed)}"
        out.append(doc.finding(path + (key,), message, key=True, rule="schema"))
    return out


def _required(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    missing = error.message.split("'")[1] if "'" in error.message else error.message
    message = f"missing required key `{missing}`{' in ' + where if where else ''}"
    return [doc.finding(path, message, key=True, rule="schema")]


def _alternatives(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    custom = error.schema.get("errorMessage")
    if custom:
        return [doc.finding(path, f"{where + ': ' if where else ''}{custom}", key=True, rule="schema")]
    from jsonschema.exceptions import best_match

    best = best_match(error.context) if error.context else None
    return _explain(doc, best) if best is not None else None


def _enum(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    options = error.validator_value
    message = f"{where or 'value'}: {json.dumps(error.instance)} is not one of {', '.join(map(str, options))}"
    message += did_you_mean(str(error.instance), options)
    return [doc.finding(path, message, rule="schema")]


def _const(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    message = f"{where or 'value'} must be {json.dumps(error.validator_value)}"
    return [doc.finding(path, message, rule="schema")]


_TYPE_NAMES: dict[str, str] = {
    "array": "list",
    "object": "mapping",
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean (true/false)",
    "null": "null",
}


def _type(doc: Located, error: Any, path: tuple[Any, ...], where: str) -> list[Finding] | None:
    expected = error.validator_value
    names = [str(_TYPE_NAMES.get(e, e)) for e in (expected if isinstance(expected, list) else [expected])]
    message = (
        f"{where or 'document'} must be {_article(' or '.join(names))}, not {_json_type(error.instance)}"
    )
    return [doc.finding(path, message, rule="schema")]


_EXPLAIN: dict[str, Explain] = {
    "additionalProperties": _additional,
    "required": _required,
    "oneOf": _alternatives,
    "anyOf": _alternatives,
    "enum": _enum,
    "const": _const,
    "type": _type,
}


def _describe(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "`" + "".join(parts) + "`"


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"a string ({json.dumps(value)[:40]})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
