"""Every schema is valid, documented and strict; good examples load clean, bad ones are caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mlops.config import read_document
from mlops.config.schema import KINDS, load_schema

EXAMPLES = Path(__file__).parent / "examples"


def _examples(verdict: str) -> list[Any]:
    params = []
    for kind, folder in KINDS.items():
        for path in sorted((EXAMPLES / folder / verdict).glob("*.yaml")):
            params.append(pytest.param(kind, path, id=f"{folder}/{verdict}/{path.name}"))
    return params


@pytest.mark.parametrize("kind", list(KINDS))
def test_schema_is_valid_against_metaschema(kind: str) -> None:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"{KINDS[kind]}.schema.json")


def _walk(node: Any, where: str = "#") -> Any:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_property_has_a_description_and_objects_are_closed(kind: str) -> None:
    schema = load_schema(kind)
    for where, node in _walk(schema):
        if (
            "properties" in node
            and isinstance(node["properties"], dict)
            and "/properties/" not in where[-12:]
        ):
            assert node.get("additionalProperties", True) is not True, f"{where} allows unknown keys"
            for name, prop in node["properties"].items():
                assert isinstance(prop, dict) and prop.get("description"), (
                    f"{where}/properties/{name}: no description"
                )


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_good_and_bad_examples(kind: str) -> None:
    assert list((EXAMPLES / KINDS[kind] / "good").glob("*.yaml")), f"no good example for {kind}"
    assert list((EXAMPLES / KINDS[kind] / "bad").glob("*.yaml")), f"no bad example for {kind}"


@pytest.mark.parametrize(("kind", "path"), _examples("good"))
def test_good_examples_load_without_findings(kind: str, path: Path) -> None:
    doc = read_document(path, expected_kind=kind)
    assert doc.findings == []


@pytest.mark.parametrize(("kind", "path"), _examples("bad"))
def test_bad_examples_are_reported_with_a_location(kind: str, path: Path) -> None:
    doc = read_document(path, expected_kind=kind)
    assert doc.findings, f"{path} should not load cleanly"
    for finding in doc.findings:
        assert finding.line >= 1 and finding.col >= 1, finding.render()
        assert finding.render().startswith(f"{path}:{finding.line}:{finding.col}: error: ")


def test_schemas_ship_as_json_files_in_the_package() -> None:
    folder = Path(__file__).parent.parent / "mlops" / "schemas"
    assert sorted(p.name for p in folder.glob("*.schema.json")) == sorted(
        f"{n}.schema.json" for n in KINDS.values()
    )
    for path in folder.glob("*.json"):
        json.loads(path.read_text())
