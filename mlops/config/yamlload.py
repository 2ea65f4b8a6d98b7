"""YAML loading that keeps the line and column of every node.

PyYAML's composer gives us a node tree with marks; we build plain Python values from it ourselves so that
we can (1) record where each value and key came from, (2) reject duplicate keys, which PyYAML would silently
collapse, losing a user's setting, and (3) bound alias expansion, so a "billion laughs" file fails fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from mlops.findings import Finding

MAX_NODES = 200_000  # far above any real config; stops alias bombs long before memory does
MAX_BYTES = 20 * 1024 * 1024

JsonPath = tuple[Any, ...]
_STR = "tag:yaml.org,2002:str"


@dataclass
class Located:
    """A parsed YAML document and the position of each value and mapping key in it."""

    path: str
    data: Any
    value_marks: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, json_path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """Best (line, col) for a path: the key's position if asked, else the value's, else a parent's."""
        json_path = tuple(json_path)
        if key and json_path in self.key_marks:
            return self.key_marks[json_path]
        while True:
            if json_path in self.value_marks:
                return self.value_marks[json_path]
            if json_path in self.key_marks:
                return self.key_marks[json_path]
            if not json_path:
                return (1, 1)
            json_path = json_path[:-1]

    def finding(self, json_path: JsonPath, message: str, *, key: bool = False, rule: str = "",
                severity: str = "error") -> Finding:
        line, col = self.where(json_path, key=key)
        return Finding(self.path, line, col, message, severity, rule)


class YamlProblem(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render())
        self.finding = finding


def load_file(path: str | Path, display: str | None = None) -> Located:
    """Read and parse one YAML file. Raises OSError for unreadable files, YamlProblem for bad content."""
    shown = display or str(path)
    raw = Path(path).read_bytes()
    return load_bytes(raw, shown)


def load_bytes(raw: bytes, shown: str) -> Located:
    if len(raw) > MAX_BYTES:
        raise YamlProblem(Finding(shown, 0, 0, f"file is larger than {MAX_BYTES // 1024 // 1024} MB; "
                                  "not a config file?", rule="yaml"))
    if b"\x00" in raw[:8192]:
        raise YamlProblem(Finding(shown, 0, 0, "binary file, not YAML text", rule="yaml"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(Finding(shown, line, 1, "not UTF-8 text (binary file?)", rule="yaml")) from None
    return load_text(text, shown)


def load_text(text: str, shown: str) -> Located:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc):
            problem = "more than one YAML document; an mlops file holds exactly one"
        elif mark is not None and _line(text, mark.line).count("${"):
            problem += " (inside [...] or {...}, quote a value holding `${...}`, or use a block list with `- `)"
        raise YamlProblem(Finding(shown, line, col, f"YAML syntax: {problem}", rule="yaml")) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Finding(shown, 0, 0, f"YAML syntax: {exc}", rule="yaml")) from None
    finally:
        loader.dispose()
    if node is None:
        return Located(shown, None)
    builder = _Builder(shown)
    data = builder.build(node, ())
    return Located(shown, data, builder.value_marks, builder.key_marks)


class _Builder:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.count = 0
        self.value_marks: dict[JsonPath, tuple[int, int]] = {}
        self.key_marks: dict[JsonPath, tuple[int, int]] = {}
        self._scalar = yaml.SafeLoader("")  # only for its scalar constructors (ints, bools, dates, ...)

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(Finding(self.shown, node.start_mark.line + 1, node.start_mark.column + 1,
                                      f"document expands to more than {MAX_NODES} nodes "
                                      "(recursive or exponential aliases?)", rule="yaml"))
        self.value_marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if not node.tag.startswith("tag:yaml.org,2002:") or node.tag.startswith("tag:yaml.org,2002:python/"):
            raise YamlProblem(Finding(self.shown, node.start_mark.line + 1, node.start_mark.column + 1,
                                      f"bad value: tag `{node.tag}` is not allowed in mlops files", rule="yaml"))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == _STR:
            return node.value  # the common case, without PyYAML's constructor machinery
        try:
            return self._scalar.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlProblem(Finding(self.shown, node.start_mark.line + 1, node.start_mark.column + 1,
                                      f"bad value: {getattr(exc, 'problem', exc)}", rule="yaml")) from None

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in _flatten_merges(node, self.shown):
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(Finding(self.shown, key_node.start_mark.line + 1,
                                          key_node.start_mark.column + 1,
                                          "a mapping key must be a plain value, not a list or mapping",
                                          rule="yaml"))
            key = self._scalar.construct_object(key_node)
            if isinstance(key, (int, float)) and not isinstance(key, bool):
                key = key_node.value  # keep `0.5:` or `10:` as written; JSON object keys are strings
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in result:
                first = self.key_marks.get(path + (key,), (0, 0))
                raise YamlProblem(Finding(self.shown, line, col,
                                          f"duplicate key `{key}` (first at line {first[0]}); "
                                          "YAML would silently keep only the last value", rule="duplicate-key"))
            self.key_marks[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,))
        return result


def _flatten_merges(node: yaml.MappingNode, shown: str) -> list[tuple[yaml.Node, yaml.Node]]:
    """Resolve `<<` merge keys: explicit keys win over merged ones, as in YAML 1.1."""
    explicit: list[tuple[yaml.Node, yaml.Node]] = []
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise YamlProblem(Finding(shown, source.start_mark.line + 1, source.start_mark.column + 1,
                                              "`<<` merges only mappings", rule="yaml"))
                merged.extend(_flatten_merges(source, shown))
        else:
            explicit.append((key_node, value_node))
    if not merged:
        return explicit
    taken = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
    seen: set[Any] = set()
    out = list(explicit)
    for key_node, value_node in merged:
        if key_node.value in taken or key_node.value in seen:
            continue
        seen.add(key_node.value)
        out.append((key_node, value_node))
    return out


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def parse_or_none(data: bytes | None) -> Any:
    """Plain YAML (or JSON) of a data file at a commit (dvc.lock, params, .dvc files), None when absent or
    unreadable. For mlops config files use load_bytes, which keeps locations and rejects duplicate keys."""
    if data is None:
        return None
    try:
        return yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None
