"""The config loader: located values, every error, and hostile input handled without hangs or tracebacks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlops.config import load_document, read_document
from mlops.config.yamlload import _RECORD, CONFIG, Located, _build, load_text
from mlops.errors import ConfigError, InputError


def test_values_and_keys_keep_line_and_column() -> None:
    doc = load_text("a: 1\nb:\n  c: [x, y]\n", "f.yaml")
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert doc.where(("b", "c", 1)) == (3, 10)
    assert doc.where(("b", "c"), key=True) == (3, 3)
    assert doc.where(("b", "missing")) == (3, 3)  # falls back to the nearest parent


def test_duplicate_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: x\n    cmd: y\n")
    doc = read_document(path, shown="p.yaml")
    assert [f.render() for f in doc.findings] == [
        "p.yaml:6:5: error: duplicate key `cmd` (first at line 5); YAML would silently keep only the last value"
    ]


def test_every_schema_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: x\n    dep: [a]\n  b:\n    cmd: y\n"
        "    outz: [b]\n    frozen: maybe\n"
    )
    with pytest.raises(ConfigError) as info:
        load_document(path, shown="p.yaml")
    assert [f.render() for f in info.value.findings] == [
        "p.yaml:6:5: error: unknown key `dep` in `stages.a` (did you mean `deps`?)",
        "p.yaml:9:5: error: unknown key `outz` in `stages.b` (did you mean `outs`?)",
        'p.yaml:10:13: error: `stages.b.frozen` must be a boolean (true/false), not a string ("maybe")',
    ]


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("kind: Rules\nversion: 1\n" + "\n".join(lines) + "\n")
    start = time.monotonic()
    doc = read_document(path, shown="bomb.yaml")
    assert time.monotonic() - start < 5
    assert "expands to more than" in doc.findings[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file, not YAML text"),
        (b"\xff\xfe\xfa not utf8", "not UTF-8 text"),
        (b"- just\n- a list\n", "an mlops file is a mapping with `kind:` and `version:`; this one is a list"),
        (b"", "this one is empty"),
        (b"kind: Pipeline\n---\nkind: Rules\n", "more than one YAML document"),
        (b"kind: [unclosed\n", "YAML syntax"),
        (b"kind: Pipelin\nversion: 1\n", "unknown kind `Pipelin` (did you mean `Pipeline`?)"),
        (
            b"kind: Rules\nx: !!python/object/apply:os.system [echo hi]\n",
            "tag `!!python/object/apply:os.system` is not allowed",
        ),
    ],
)
def test_hostile_or_broken_files_give_one_clear_finding(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    doc = read_document(path, shown="f.yaml")
    assert len(doc.findings) == 1
    assert message in doc.findings[0].message


def test_missing_file_is_an_input_error_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.yaml: no such file"):
        read_document(tmp_path / "nope.yaml", shown="nope.yaml")


def test_merge_keys_resolve_and_explicit_keys_win() -> None:
    doc = load_text("base: &b {cmd: x, deps: [a]}\nstage:\n  <<: *b\n  cmd: y\n", "f.yaml")
    assert doc.data["stage"] == {"cmd": "y", "deps": ["a"]}


def test_numeric_keys_stay_as_written() -> None:
    doc = load_text("quantiles:\n  0.5: {min: 1}\n  0.95: {max: 2}\n", "f.yaml")
    assert list(doc.data["quantiles"]) == ["0.5", "0.95"]


def test_unquoted_substitution_in_flow_list_gets_a_hint() -> None:
    from mlops.config.yamlload import YamlProblem

    with pytest.raises(YamlProblem, match="quote a value holding"):
        load_text("outs: [models/${item}.pkl]\n", "f.yaml")


def test_edit_text_keeps_comments_and_reads_through_the_bounded_reader_first() -> None:
    import pytest

    from mlops.config.yamlload import YamlProblem, edit_text

    text = "kind: Rules  # the live contract\nversion: 1\nalert:\n  consecutive: 2\n"
    edited = edit_text(text, "rules/live.yaml", {"alert.consecutive": 3, "alert.columns.age.min_shift": 0.2})
    assert "# the live contract" in edited and "consecutive: 3" in edited and "min_shift: 0.2" in edited
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7)
    )
    with pytest.raises(YamlProblem, match="expands to more than"):
        edit_text(bomb, "rules/bomb.yaml", {"alert.consecutive": 3})


@pytest.mark.parametrize("text", ["a: !!int ²", "a: !!int ¹²"])
def test_an_int_tag_on_non_ascii_digits_is_a_located_bad_value(text: str) -> None:
    from mlops.config.yamlload import YamlProblem

    with pytest.raises(YamlProblem) as caught:
        load_text(text, "x.yaml")
    assert caught.value.finding.render().startswith("x.yaml:1:4: error: bad value")


def test_plain_integers_read_as_before() -> None:
    data = load_text("a: 7\nb: 0\nc: 0x1f\nd: 1_000\ne: '12'\nf: 12abc\ng: -3\n", "x.yaml").data
    assert data == {"a": 7, "b": 0, "c": 31, "d": 1000, "e": "12", "f": "12abc", "g": -3}
    big = "9" * 4301
    with pytest.raises(Exception, match="an integer of more than 4300 digits"):
        load_text(f"a: {big}\n", "x.yaml")


POSITIONS_TEXT = (
    "base: &b {x: 1, y: [a, {z: 2}]}\n"
    "use:\n"
    "  <<: *b\n"
    "  y: 'quoted'\n"
    "list:\n"
    "  - one\n"
    "  - {k: v, n: 0x1f}\n"
    "  - *b\n"
    "deep: {a: {b: {c: [1, [2, [3]]]}}}\n"
)


def _every_path(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    paths = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            paths += _every_path(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            paths += _every_path(v, path + (i,))
    return paths


def test_positions_found_on_demand_equal_positions_recorded_while_reading() -> None:
    """The loader reads without positions and finds them when a finding first asks (a second parse):
    every value and key, aliased and merged ones included, must get the same line:col either way."""
    lazy = load_text(POSITIONS_TEXT, "f.yaml")
    assert not lazy.value_marks and lazy.text is not None  # nothing recorded until asked
    recorded = _build(POSITIONS_TEXT, "f.yaml", CONFIG, _RECORD)
    eager = Located("f.yaml", recorded.data, recorded.value_marks, recorded.key_marks)
    paths = _every_path(eager.data) + [("use", "missing"), ("list", 9)]
    expected = [(eager.where(p), eager.where(p, key=True)) for p in paths]
    assert [(lazy.where(p), lazy.where(p, key=True)) for p in paths] == expected
    assert lazy.text is None  # found once, kept
    assert lazy.where(("list", 1, "n")) == (7, 15)
    assert lazy.where(("use", "y"), key=True) == (4, 3)
    assert lazy.where(("deep", "a", "b", "c", 1, 1, 0)) == (9, 28)


def test_a_duplicate_key_found_without_positions_still_names_the_first_line() -> None:
    doc = load_text("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", "f.yaml")
    assert [f.render() for f in doc.problems] == [
        "f.yaml:5:3: error: duplicate key `c` (first at line 3); YAML would silently keep only the last value"
    ]
    assert doc.data == {"a": 1, "b": {"c": 3, "d": 2}}
    assert doc.where(("b", "d")) == (4, 6)
