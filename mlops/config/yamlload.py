"""The one bounded reader for every YAML or JSON text mlops parses, keeping line and column of each value.

Config files, files read from a commit or the DVC cache, and tag messages all come from people with push
rights, so nothing here may crash, hang or exhaust memory on hostile input. PyYAML's C parser gives us a
stream of events; we build plain Python values from it ourselves, in one pass, so that every limit is
enforced in one place (docs/reference/limits.md):

- size in bytes, nesting depth, and the number of values *after* alias expansion (so `&a [*a]`
  recursion and "billion laughs" are refused before they cost anything);
- integers of more digits than Python converts, tags outside the YAML core schema, bad values for core
  tags (`!!int abc`), merge keys that merge themselves, control characters (located at line:col);
- duplicate keys (PyYAML would silently keep the last one, losing a user's setting) and keys that are not
  strings. Implicit timestamps and `=` stay the text written, so a date where a string is expected is a
  schema finding, not a crash, and every value is JSON-serialisable.
"""

from __future__ import annotations

import gc
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # the C parser is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from mlops.findings import Finding


@dataclass(frozen=True)
class Limits:
    """What one reader accepts. Each number is far above any real file of its kind (limits.md says why)."""

    max_bytes: int
    max_depth: int = 64
    max_nodes: int = 1_000_000
    max_int_digits: int = 4300  # Python's own limit for int(str) (sys.get_int_max_str_digits)


# At this cap (125,000 columns) lint takes about 4 s CPU and 260 MB, twice that with a finding to locate
# (benchmarks/lint_large.py): linear, and far past any hand-written file.
CONFIG = Limits(max_bytes=5 * 1024 * 1024)
DATA = Limits(max_bytes=20 * 1024 * 1024)  # dvc.lock, params and metrics at a commit or in the DVC cache
MESSAGE = Limits(max_bytes=1024 * 1024, max_nodes=100_000)  # the JSON block of one tag message
# kept for callers that name them
MAX_BYTES = CONFIG.max_bytes
MAX_NODES = CONFIG.max_nodes

JsonPath = tuple[Any, ...]
_CORE = "tag:yaml.org,2002:"
_STR, _INT, _MAP, _SEQ, _MERGE = _CORE + "str", _CORE + "int", _CORE + "map", _CORE + "seq", _CORE + "merge"
_NULL, _BOOL = _CORE + "null", _CORE + "bool"
_CORE_SCALARS = {_STR, _INT, _CORE + "float", _BOOL, _NULL}
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_AS_WRITTEN = {_CORE + "timestamp", _CORE + "value"}  # implicit tags we keep as the text written


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: building a large document allocates hundreds of thousands of
    acyclic objects, and each collection would walk all of them again (a third of lint's time on a 2 MB
    file). Reference counting still frees everything; the collector runs again on leaving."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_COL_BITS = 32  # a position is one int, line << 32 | column (0-based): no object per value kept alive


def _pack(mark: Any) -> int:
    return mark.line << _COL_BITS | mark.column


def _line_col_of(position: int) -> tuple[int, int]:
    return ((position >> _COL_BITS) + 1, (position & (1 << _COL_BITS) - 1) + 1)


@dataclass
class Located:
    """A parsed YAML document and the position of each value and mapping key in it."""

    path: str
    data: Any
    # packed 0-based positions (see _pack), turned into (line, col) only when a finding asks
    value_marks: dict[JsonPath, int] = field(default_factory=dict)
    key_marks: dict[JsonPath, int] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)  # found while reading; the data is still usable
    # The text while positions are still to be found. Most files have no finding and most values are never
    # located, so positions cost a second parse when the first finding asks, not a third of every parse.
    text: str | None = field(default=None, repr=False)
    limits: Limits = field(default=CONFIG, repr=False)

    def where(self, json_path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """Best (line, col) for a path: the key's position if asked, else the value's, else a parent's."""
        if self.text is not None:
            self._find_positions(self.text)
        json_path = tuple(json_path)
        if key and json_path in self.key_marks:
            return _line_col_of(self.key_marks[json_path])
        while True:
            if json_path in self.value_marks:
                return _line_col_of(self.value_marks[json_path])
            if json_path in self.key_marks:
                return _line_col_of(self.key_marks[json_path])
            if not json_path:
                return (1, 1)
            json_path = json_path[:-1]

    def finding(
        self, json_path: JsonPath, message: str, *, key: bool = False, rule: str = "", severity: str = "error"
    ) -> Finding:
        line, col = self.where(json_path, key=key)
        return Finding(self.path, line, col, message, severity, rule)

    def _find_positions(self, text: str) -> None:
        self.text = None
        try:  # the same text was read before with the same limits, so this cannot fail; if it did, (1, 1)
            builder = _build(text, self.path, self.limits, _RECORD)
        except YamlProblem:
            return
        self.value_marks, self.key_marks = builder.value_marks, builder.key_marks


class YamlProblem(Exception):
    """Content the bounded reader refuses; `finding` says where and why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render())
        self.finding = finding

    @property
    def reason(self) -> str:
        """The message with its location, without the path (for warnings that name the source)."""
        f = self.finding
        return f"line {f.line} col {f.col}: {f.message}" if f.line else f.message


def load_file(path: str | Path, display: str | None = None, limits: Limits = CONFIG) -> Located:
    """Read and parse one YAML file. Raises OSError for unreadable files, YamlProblem for bad content."""
    shown = display or str(path)
    with open(path, "rb") as handle:  # read one byte past the cap, never the whole of a huge file
        raw = handle.read(limits.max_bytes + 1)
    return load_bytes(raw, shown, limits)


def load_bytes(raw: bytes, shown: str, limits: Limits = CONFIG, *, marks: bool = True) -> Located:
    return load_text(decode(raw, shown, limits), shown, limits, marks=marks)


def decode(raw: bytes, shown: str, limits: Limits = CONFIG) -> str:
    """UTF-8 text of a file within the size cap, or YamlProblem."""
    if len(raw) > limits.max_bytes:
        raise YamlProblem(
            Finding(
                shown,
                0,
                0,
                f"larger than {_size(limits.max_bytes)} (the cap for this kind of "
                "file, where reading it stays fast); not a config file?",
                rule="yaml",
            )
        )
    if b"\x00" in raw[:8192]:
        raise YamlProblem(Finding(shown, 0, 0, "binary file, not YAML text", rule="yaml"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem(Finding(shown, line, col, "not UTF-8 text (binary file?)", rule="yaml")) from None


def load_text(text: str, shown: str, limits: Limits = CONFIG, *, marks: bool = True) -> Located:
    """The document of TEXT; with MARKS, each value's position is found when a finding first asks."""
    if len(text) > limits.max_bytes:
        raise YamlProblem(Finding(shown, 0, 0, f"larger than {_size(limits.max_bytes)}", rule="yaml"))
    try:
        builder = _build(text, shown, limits, _LATER if marks else _NEVER)
    except _NeedPositions:  # a duplicate key names where the first one is: record positions now
        builder = _build(text, shown, limits, _RECORD)
        return Located(shown, builder.data, builder.value_marks, builder.key_marks, builder.problems)
    return Located(
        shown, builder.data, problems=builder.problems, text=text if marks else None, limits=limits
    )


_RECORD, _LATER, _NEVER = "record", "later", "never"  # positions: while reading, on demand, not at all


class _NeedPositions(Exception):
    """Read without positions, a duplicate key was found: its finding needs the first key's position."""


def _build(text: str, shown: str, limits: Limits, positions: str) -> _Builder:
    """A builder that has read TEXT (its `data`), or YamlProblem for a syntax error or a limit."""
    loader = _Loader(text)
    try:
        with paused_gc():
            builder = _Builder(shown, loader, limits, positions)
            builder.data = builder.document()
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(_syntax_finding(exc, text, shown)) from None
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML gives only a character offset
        line, col = _line_col(text, exc.position)
        raise YamlProblem(
            Finding(
                shown,
                line,
                col,
                f"YAML syntax: character {_char(exc.character)} is not allowed ({exc.reason})",
                rule="yaml",
            )
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(
            Finding(shown, 0, 0, f"YAML syntax: {str(exc).splitlines()[0]}", rule="yaml")
        ) from None
    finally:
        loader.dispose()
    return builder


def load_data(raw: bytes | str, shown: str, limits: Limits = DATA) -> Any:
    """Plain data of a JSON or YAML text from a commit, the DVC cache or a tag message. YamlProblem if bad.

    JSON (the common case for metrics and tag messages) goes through the C json parser, then the same
    depth and size bounds; anything else through the YAML reader above without recording positions.
    """
    text = raw if isinstance(raw, str) else decode(raw, shown, limits)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _bounded_json(text, shown, limits)
        except ValueError:
            pass  # not JSON after all (YAML flow style, a huge integer): the YAML reader says where
    return load_text(text, shown, limits, marks=False).data


def load_json(text: str | bytes, shown: str, limits: Limits = DATA) -> Any:
    """Strict JSON (one line of a history file, say) within the same bounds; YamlProblem when refused."""
    if len(text) > limits.max_bytes:
        raise YamlProblem(Finding(shown, 0, 0, f"larger than {_size(limits.max_bytes)}", rule="yaml"))
    try:
        return _bounded_json(text, shown, limits)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of too many digits
        raise YamlProblem(
            Finding(shown, 0, 0, f"not JSON ({getattr(exc, 'msg', None) or exc})", rule="yaml")
        ) from None


def _bounded_json(text: str | bytes, shown: str, limits: Limits) -> Any:
    """json.loads within the depth and value bounds: YamlProblem past them, ValueError when not JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise YamlProblem(
            Finding(shown, 0, 0, f"nested more than {limits.max_depth} levels deep", rule="yaml")
        ) from None
    _check_json_shape(value, shown, limits)
    return value


def parse_or_none(data: bytes | None, shown: str = "<data>") -> Any:
    """Plain YAML (or JSON) of a data file at a commit (dvc.lock, params, .dvc files), None when absent or
    refused. For mlops config files use load_bytes, which keeps locations."""
    if data is None:
        return None
    try:
        return load_data(data, shown)
    except YamlProblem:
        return None


class _Builder:
    """Python values from parser events, enforcing every limit as it goes."""

    def __init__(self, shown: str, loader: Any, limits: Limits, positions: str) -> None:
        self.shown, self.loader, self.limits = shown, loader, limits
        self.marks = (
            positions == _RECORD
        )  # paths are built only then: a value's path is only its position's key
        self.positions = positions
        self.data: Any = None
        self.count = 0
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, number of values inside)
        self.value_marks: dict[JsonPath, Any] = {}
        self.key_marks: dict[JsonPath, Any] = {}
        self.problems: list[Finding] = []  # problems that do not stop the reading (duplicate keys)
        self._scalar = yaml.SafeLoader("")  # only for its scalar constructors (ints, floats, bools)
        self._resolvable = {k for k in loader.yaml_implicit_resolvers if k is not None} | {""}

    def problem(self, event: Any, message: str, rule: str = "yaml") -> YamlProblem:
        mark = event.start_mark
        return YamlProblem(Finding(self.shown, mark.line + 1, mark.column + 1, message, rule=rule))

    def document(self) -> Any:
        get, check = self.loader.get_event, self.loader.check_event
        get()  # stream start
        if check(yaml.StreamEndEvent):
            return None
        get()  # document start
        value, _ = self.node((), 1)
        get()  # document end
        if not check(yaml.StreamEndEvent):
            raise self.problem(get(), "more than one YAML document; an mlops file holds exactly one")
        return value

    def node(self, path: JsonPath, depth: int) -> tuple[Any, int]:
        """(value, number of values it expands to) of the next node."""
        return self.value(self.loader.get_event(), path, depth)

    def value(self, event: Any, path: JsonPath, depth: int) -> tuple[Any, int]:
        """node() of an event already read. Plain strings and decimals, nearly every value of a large file,
        are built here in a few steps (this loop is most of lint's time); the rest goes to _node."""
        if self.marks:
            mark = event.start_mark
            self.value_marks[path] = mark.line << _COL_BITS | mark.column
        if type(event) is _SCALAR_EVENT and event.anchor is event.tag is None and event.implicit[0]:
            text = event.value
            first = text[:1]
            if first not in self._resolvable:  # no implicit type starts with it: a string as written
                self.count += 1
                if self.count > self.limits.max_nodes:
                    self._count(event, 0)
                return text, 1
            if first in _DIGITS and depth <= self.limits.max_depth and _plain_decimal(text):
                self._count(event, 1)
                return self._decimal(event), 1
        return self._node(event, path, depth)

    def _node(self, event: Any, path: JsonPath, depth: int) -> tuple[Any, int]:
        """node() past the common case: aliases, anchors, tags, containers."""
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        if depth > self.limits.max_depth:
            raise self.problem(event, f"nested more than {self.limits.max_depth} levels deep")
        anchor = event.anchor
        if anchor is not None:
            self.anchors.pop(anchor, None)  # an alias to it before it is complete is recursion
        self._count(event, 1)  # children count themselves
        if isinstance(event, yaml.ScalarEvent):
            value, size = self._scalar_value(event), 1
        elif isinstance(event, yaml.SequenceStartEvent):
            self._container_tag(event, _SEQ)
            value, size = self._sequence(path, depth)
        else:
            self._container_tag(event, _MAP)
            value, size = self._mapping(event, path, depth)
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        return value, size

    def _count(self, event: Any, size: int) -> None:
        self.count += size
        if self.count > self.limits.max_nodes:
            raise self.problem(
                event,
                f"document expands to more than {self.limits.max_nodes:,} values "
                "(recursive or exponential aliases?)",
            )

    def _alias(self, event: Any) -> tuple[Any, int]:
        if event.anchor not in self.anchors:
            raise self.problem(
                event,
                f"alias `*{event.anchor}` refers to an anchor that is not defined before "
                "it, or to the node that contains it (recursive aliases are refused)",
            )
        value, size = self.anchors[event.anchor]
        self._count(event, size)
        return value, size

    def _container_tag(self, event: Any, expected: str) -> None:
        if event.tag not in (None, "!", expected):
            raise self.problem(
                event,
                f"tag `{_short(event.tag)}` is not allowed here (mlops reads the YAML core "
                "schema: str, int, float, bool, null, seq, map)",
            )

    def _sequence(self, path: JsonPath, depth: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        size = 1
        get = self.loader.get_event
        while type(event := get()) is not _SEQUENCE_END:
            value, n = self.value(event, path + (len(items),) if self.marks else path, depth + 1)
            items.append(value)
            size += n
        return items, size

    def _mapping(self, start: Any, path: JsonPath, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        size = 1
        get = self.loader.get_event
        key_marks = self.key_marks if self.marks else None
        while type(key_event := get()) is not _MAPPING_END:
            key = self._plain_key(key_event)
            if key is _MERGE_KEY:
                value, n = self.node(path, depth + 1)
                self._merge(key_event, value, merged)
                size += n
                continue
            child = path + (key,) if key_marks is not None else path
            if key in result:  # reported, and the rest of the file still checked (the last value counts)
                self._duplicate(key_event, key, child)
            elif key_marks is not None:
                mark = key_event.start_mark
                key_marks[child] = mark.line << _COL_BITS | mark.column
            result[key], n = self.value(get(), child, depth + 1)
            size += n
        for key, value in merged.items():  # explicit keys win over merged ones, as in YAML 1.1
            result.setdefault(key, value)
        return result, size

    def _plain_key(self, event: Any) -> Any:
        if type(event) is _SCALAR_EVENT and event.tag is event.anchor is None and event.value != "<<":
            return event.value  # the common case, a plain key
        return self._key(event)

    def _duplicate(self, key_event: Any, key: str, path: JsonPath) -> None:
        if self.positions == _LATER:
            raise _NeedPositions
        first = _line_col_of(self.key_marks[path]) if path in self.key_marks else (0, 0)
        self.problems.append(
            self.problem(
                key_event,
                f"duplicate key `{key}` (first at line {first[0]}); "
                "YAML would silently keep only the last value",
                rule="duplicate-key",
            ).finding
        )

    def _key(self, event: Any) -> Any:
        if isinstance(event, yaml.AliasEvent):
            value, _ = self._alias(event)
            if isinstance(value, str):
                return value
            raise self.problem(event, "a mapping key must be a string")
        if not isinstance(event, yaml.ScalarEvent):
            raise self.problem(event, "a mapping key must be a plain value, not a list or mapping")
        if event.tag is None or event.tag == "!":
            if event.implicit[0] and event.value == "<<":
                return _MERGE_KEY
            if event.anchor is not None:
                self.anchors[event.anchor] = (event.value, 1)
            return event.value  # `10:`, `0.5:`, `yes:` stay as written: JSON object keys are strings
        if event.tag == _STR:
            return event.value
        raise self.problem(event, f"a mapping key must be a string, not `{_short(event.tag)} {event.value}`")

    def _merge(self, event: Any, value: Any, merged: dict[str, Any]) -> None:
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise self.problem(event, "`<<` merges only mappings")
            for key, item in source.items():
                merged.setdefault(key, item)

    def _scalar_value(self, event: Any) -> Any:
        tag, value = event.tag, event.value
        if tag in (None, "!"):
            if not event.implicit[0] or value[:1] not in self._resolvable:
                return value  # quoted, or (the common case) no implicit type starts with this character
            if _plain_decimal(value):
                return self._decimal(event)  # no resolver needed
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
            if tag == _STR or tag in _AS_WRITTEN:
                return value
        elif tag not in _CORE_SCALARS:
            raise self._tag_not_allowed(event, tag)
        return self._tagged(event, tag)

    def _tag_not_allowed(self, event: Any, tag: str) -> YamlProblem:
        return self.problem(
            event,
            f"tag `{_short(tag)}` is not allowed (mlops reads the YAML core schema: "
            "str, int, float, bool, null, seq, map)",
        )

    def _decimal(self, event: Any) -> int:
        if len(event.value) > self.limits.max_int_digits:
            raise self.problem(event, f"an integer of more than {self.limits.max_int_digits} digits")
        return int(event.value)

    def _tagged(self, event: Any, tag: str) -> Any:
        """The value of a scalar of a core-schema tag, written or resolved."""
        value = event.value
        if tag == _STR:
            return value
        if tag == _NULL and value in _NULLS:
            return None
        if tag == _BOOL and value.lower() in _BOOLS:
            return _BOOLS[value.lower()]
        if tag == _INT:
            return self._int(event)
        return self._construct(event, tag)

    def _int(self, event: Any) -> int:
        value = event.value
        if value.isascii() and value.isdigit():
            return self._decimal(event)
        if sum(c.isdigit() for c in value) > self.limits.max_int_digits:
            raise self.problem(event, f"an integer of more than {self.limits.max_int_digits} digits")
        return int(self._construct(event, _INT))

    def _construct(self, event: Any, tag: str) -> Any:
        """PyYAML's own constructor for the rarer forms (`0x1f`, `1_000`, `.inf`, `!!float 1`)."""
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return self._scalar.construct_object(node)
        except Exception:  # noqa: BLE001 - PyYAML raises ValueError, KeyError, ... for `!!int abc`
            raise self.problem(event, f"bad value `{event.value[:40]}` for tag `{_short(tag)}`") from None
        finally:
            self._scalar.constructed_objects.clear()


def _plain_decimal(value: str) -> bool:
    """A decimal integer as YAML 1.1 reads it (a leading 0 would make it octal)."""
    return value.isascii() and value.isdigit() and (value[0] != "0" or value == "0")


_MERGE_KEY = object()
_SCALAR_EVENT = yaml.ScalarEvent
_SEQUENCE_END = yaml.SequenceEndEvent
_MAPPING_END = yaml.MappingEndEvent
_DIGITS = frozenset("0123456789")


def _check_json_shape(value: Any, shown: str, limits: Limits) -> None:
    """Depth and value-count bounds for parsed JSON, walked without recursion."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise YamlProblem(Finding(shown, 0, 0, f"more than {limits.max_nodes:,} values", rule="yaml"))
        if depth > limits.max_depth:
            raise YamlProblem(
                Finding(shown, 0, 0, f"nested more than {limits.max_depth} levels deep", rule="yaml")
            )
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _syntax_finding(exc: yaml.MarkedYAMLError, text: str, shown: str) -> Finding:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = exc.problem or exc.context or "invalid YAML"
    if "expected a single document" in str(exc):
        problem = "more than one YAML document; an mlops file holds exactly one"
    elif "found undefined alias" in str(exc) or "found duplicate anchor" in str(exc):
        problem = str(exc.problem)
    elif mark is not None and _line(text, mark.line).count("${"):
        problem += " (inside [...] or {...}, quote a value holding `${...}`, or use a block list with `- `)"
    return Finding(shown, line, col, f"YAML syntax: {problem}", rule="yaml")


def _line_col(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def _char(character: int | str) -> str:
    code = character if isinstance(character, int) else ord(character)
    return f"U+{code:04X}"


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _size(n: int) -> str:
    return f"{n // 1024 // 1024} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def edit_text(text: str, shown: str, updates: dict[str, Any]) -> str:
    """TEXT with each dotted key of UPDATES set, comments and order kept (a ruamel.yaml round trip).

    The text is read by the bounded reader first (YamlProblem if it refuses it), so the round-trip parser only
    ever sees what every other reader of mlops accepts."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(load_text(text, shown, marks=False).data, dict):
        raise YamlProblem(Finding(shown, 1, 1, "not a mapping", rule="yaml"))
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    doc = yaml.load(text)
    for dotted, value in updates.items():
        node = doc
        *parents, leaf = dotted.split(".")
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = CommentedMap()
            node = node[key]
        node[leaf] = value
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
