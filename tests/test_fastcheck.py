"""The fast yes/no schema check must agree with jsonschema on every document (differential test)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mlops.config.fastcheck import compile_schema
from mlops.config.schema import KINDS, load_schema
from mlops.config.yamlload import load_file

EXAMPLES = Path(__file__).parent / "examples"


def _names(schema: Any, out: set[str]) -> set[str]:
    if isinstance(schema, dict):
        out.update(k for k in schema.get("properties", {}) if isinstance(k, str))
        for value in schema.values():
            _names(value, out)
    elif isinstance(schema, list):
        for value in schema:
            _names(value, out)
    return out


def _good_docs(kind: str) -> list[Any]:
    folder = EXAMPLES / KINDS[kind] / "good"
    return [load_file(p).data for p in sorted(folder.glob("*.yaml"))]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(
        [
            "x",
            "",
            "v1.2.0",
            "48h",
            "psi",
            "error",
            "incumbent",
            "all",
            "Pipeline",
            "Rules",
            "Promotion",
            "Registry",
            "Project",
            "${item}",
            "a b",
        ]
    ),
)


def _values(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(st.sampled_from(keys), children, max_size=4)
        ),
        max_leaves=12,
    )


def _mutate(doc: Any, data: st.DataObject, keys: list[str]) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        node = doc
        parent, key = None, None
        while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
            parent = node
            key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            node = node[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if parent is None:
            continue
        if action == "replace":
            parent[key] = data.draw(_values(keys))
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(keys))] = data.draw(_values(keys))
    return doc


@pytest.mark.parametrize("kind", list(KINDS))
def test_compiles_every_schema(kind: str) -> None:
    assert compile_schema(load_schema(kind)) is not None


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_agrees_with_jsonschema(kind: str, data: st.DataObject) -> None:
    schema = load_schema(kind)
    keys = sorted(_names(schema, set()) | {"kind", "version", "unknown", "prepare", "churn-model", "age"})
    fast = compile_schema(schema)
    reference = Draft202012Validator(schema)
    good = _good_docs(kind)
    doc = (
        _mutate(data.draw(st.sampled_from(good)), data, keys)
        if good and data.draw(st.booleans())
        else data.draw(_values(keys))
    )
    assert fast is not None
    assert fast(doc) == reference.is_valid(doc), doc
