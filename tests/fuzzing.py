"""A seeded mutation fuzzer for mlops files and tag messages (used by tests/test_fuzz*.py).

Seeds are every file kind as people write them: tests/examples and the `mlops init` templates. Mutations
mix byte-level damage (flips, control characters, truncation, splices) with the YAML features hostile
input uses (aliases, recursion, merge keys, tags, huge integers, deep nesting, dates, odd keys).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from mlops.findings import Finding
from tests.conftest import EXAMPLES, REPO_ROOT

TEMPLATES = REPO_ROOT / "mlops" / "templates"
LOCATION = {
    "Pipeline": "pipelines/fuzz.yaml",
    "Rules": "rules/fuzz.yaml",
    "Promotion": "promotion.yaml",
    "Registry": "registry.yaml",
    "Project": "mlops.yaml",
    "Evaluation": "evaluation.yaml",
}

HOSTILE_VALUES = [
    "&a [*a]",
    "*nowhere",
    "!!int abc",
    "!!bool maybe",
    "!!float x",
    "!!null 1",
    "!!python/object:os.system x",
    "!!timestamp 2020-01-01",
    "!!binary aGVsbG8=",
    "!!set {a: null}",
    "!!omap [a: 1]",
    "!custom x",
    "2020-01-01",
    "2020-01-01 10:00:00",
    "1e999",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "0b101",
    "190:20:30",
    "yes",
    "~",
    "=",
    "''",
    '""',
    "[]",
    "{}",
    "[[[[[[[[[[]]]]]]]]]]",
    "{<<: *a}",
    "&a {<<: *a}",
    '"a\\x07b"',
    '"\\u2028"',
    "'\t'",
    "|\n  block",
    ">-\n  folded",
    "1" * 4301,
    "-" + "9" * 5000,
    "[" * 300 + "]" * 300,
    "{a: " * 100 + "1" + "}" * 100,
    "x" * 5000,
    "'${a.b}'",
    "${a}",
    "[${a}, b]",
    "a\x00b",
    "\ufeff",
    "\U0001f600",
    "\ud7ff",
    "? [a, b]\n  : c",
    "&x 1",
    "*x",
    "[*x, *x, *x]",
]
HOSTILE_LINES = [
    "<<: *a",
    "<<: [*a, *b]",
    "? [a]\n: b",
    "!!bool production: 1",
    "!!int 1: x",
    "? {a: 1}\n: b",
    "&a x: 1",
    "*a : 1",
    "---",
    "...",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
    "kind: [Rules]",
    "kind: {Rules: 1}",
    "version: 1.0",
    "version: !!str 1",
    "desc: &a [*a]",
    "x: &a {<<: *a}",
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    "x:\n" + "".join("  " * i + "- \n" for i in range(1, 120)),
]
HOSTILE_EXPRESSIONS = [
    "+".join(["a"] * 490),
    "(" * 2000 + "a" + ")" * 2000,
    "not " * 500 + "a",
    "-" * 1000 + "a",
    "a.__class__",
    "__import__('os')",
    "a(1)",
    "a[0]",
    "'unterminated",
    "a in []",
    "a == b == c",
    "1 / 0 > 1",
    "a is not null and b in ['x', 1, null]",
]
HOSTILE_PATTERNS = [
    "(?=a)a",
    "(a)\\1",
    "(" * 2000 + "a" + ")" * 2000,
    "a{1001}",
    "((a{100}){100}){100}",
    "\\p{L}+",
    "[z-a]",
    "(?P<n>a)(?P=n)",
    "x" * 2000,
    "(?i)abc",
    "[[:alpha:]]+",
    "\\C",
]


def seed_files() -> list[tuple[str, bytes]]:
    """(kind, content) of every seed: the examples and the `mlops init` templates."""
    seeds: list[tuple[str, bytes]] = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        kind = {
            "pipeline": "Pipeline",
            "rules": "Rules",
            "promotion": "Promotion",
            "registry": "Registry",
            "project": "Project",
            "evaluation": "Evaluation",
        }[path.relative_to(EXAMPLES).parts[0]]
        seeds.append((kind, path.read_bytes()))
    for path in sorted(TEMPLATES.rglob("*.yaml")):
        text = path.read_bytes()
        for kind in LOCATION:
            if f"kind: {kind}".encode() in text:
                seeds.append((kind, text))
    return seeds


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to three mutations of DATA."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(_MUTATIONS)(data, rng, others)
    return data


def _flip(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]


def _control(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    i = rng.randrange(len(data) + 1)
    return (
        data[:i]
        + rng.choice([b"\x07", b"\x00", b"\x1b", b"\t", b"\r", b"\x85", b"\xff", b"\xe2\x80\xa8"])
        + data[i:]
    )


def _truncate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _delete_lines(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    return b"\n".join(lines[:i] + lines[i + rng.randint(1, 3) :])


def _duplicate_line(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    return b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])


def _splice(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    other = rng.choice(others).split(b"\n")
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines) + 1), rng.randrange(len(other))
    return b"\n".join(lines[:i] + other[j : j + rng.randint(1, 4)] + lines[i:])


def _hostile_value(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if b": " in line]
    if not candidates:
        return data + b"\nx: " + rng.choice(HOSTILE_VALUES).encode()
    i = rng.choice(candidates)
    head = lines[i].split(b": ", 1)[0]
    lines[i] = head + b": " + rng.choice(HOSTILE_VALUES).encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def _hostile_line(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines) + 1)
    indent = b""
    if 0 < i <= len(lines):
        prev = lines[i - 1]
        indent = prev[: len(prev) - len(prev.lstrip(b" "))]
    snippet = [indent + part.encode() for part in rng.choice(HOSTILE_LINES).split("\n")]
    return b"\n".join(lines[:i] + snippet + lines[i:])


def _hostile_expression(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if b"expr:" in line or b"where:" in line or b"pattern:" in line:
            key = line.split(b":", 1)[0]
            pool = HOSTILE_PATTERNS if b"pattern" in key else HOSTILE_EXPRESSIONS
            value = rng.choice(pool).replace("'", "''")
            lines[i] = key + b": '" + value.encode() + b"'"
            return b"\n".join(lines)
    return _hostile_value(data, rng, others)


_MUTATIONS = [
    _flip,
    _control,
    _truncate,
    _delete_lines,
    _duplicate_line,
    _splice,
    _hostile_value,
    _hostile_value,
    _hostile_line,
    _hostile_line,
    _hostile_expression,
    _hostile_expression,
]


def inputs(count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """COUNT mutated files (kind, content), the same ones for the same seed."""
    rng = random.Random(seed)
    seeds = seed_files()
    contents = [content for _, content in seeds]
    for _ in range(count):
        kind, content = rng.choice(seeds)
        yield kind, mutate(content, rng, contents)


def messages(count: int, seed: int) -> Iterator[str]:
    """Tag messages: mlops's own JSON block and hand-written YAML blocks, mutated."""
    rng = random.Random(seed)
    base = [
        b'Register churn v1.0.0\n\n{\n  "metrics": {"auc": 0.9, "f1": [1, 2]},\n  "commit": "abc"\n}\n',
        b"Assign churn v1.0.0 to production\n\n---\ngates: {auc: passed}\npr: 12\n",
        b"Deprecate churn\n",
    ]
    for _ in range(count):
        data = mutate(rng.choice(base), rng, base)
        if rng.random() < 0.1:
            depth = rng.choice([70, 1000, 100_000])
            data = b"m\n\n" + b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
        yield data.decode("utf-8", "replace")


def is_located(finding: Finding) -> bool:
    """Every finding about a position carries a line and column (whole-file problems have none)."""
    whole_file = finding.message.startswith(("larger than", "binary file"))
    return whole_file or (finding.line >= 1 and finding.col >= 1)
