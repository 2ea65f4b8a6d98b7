"""JSON Schema validation that reports every error at its YAML line and column, with "did you mean"."""

from __future__ import annotations

import json
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
    validator = error.validator
    where = _describe(path)
    if validator == "additionalProperties" and isinstance(error.instance, dict):
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
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [
            doc.finding(
                path,
                f"missing required key `{missing}`{' in ' + where if where else ''}",
                key=True,
                rule="schema",
            )
        ]
    if validator in ("oneOf", "anyOf"):
        custom = error.schema.get("errorMessage")
        if custom:
            return [doc.finding(path, f"{where + ': ' if where else ''}{custom}", key=True, rule="schema")]
        from jsonschema.exceptions import best_match

        best = best_match(error.context) if error.context else None
        if best is not None:
            return _explain(doc, best)
    if validator == "enum":
        options = error.validator_value
        message = (
            f"{where or 'value'}: {json.dumps(error.instance)} is not one of {', '.join(map(str, options))}"
        )
        message += did_you_mean(str(error.instance), options)
        return [doc.finding(path, message, rule="schema")]
    if validator == "const":
        return [
            doc.finding(
                path, f"{where or 'value'} must be {json.dumps(error.validator_value)}", rule="schema"
            )
        ]
    if validator == "type":
        expected = error.validator_value
        names = {
            "array": "list",
            "object": "mapping",
            "integer": "integer",
            "number": "number",
            "string": "string",
            "boolean": "boolean (true/false)",
            "null": "null",
        }
        expected = [names.get(e, e) for e in (expected if isinstance(expected, list) else [expected])]
        expected = " or ".join(expected)
        return [
            doc.finding(
                path,
                f"{where or 'document'} must be {_article(expected)}, not {_json_type(error.instance)}",
                rule="schema",
            )
        ]
    if validator == "not" and error.schema.get("errorMessage"):
        return [doc.finding(path, f"{where}: {error.schema['errorMessage']}", key=True, rule="schema")]
    if error.schema.get("errorMessage"):
        return [
            doc.finding(path, f"{where + ': ' if where else ''}{error.schema['errorMessage']}", rule="schema")
        ]
    return [doc.finding(path, f"{where + ': ' if where else ''}{error.message}", rule="schema")]


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
