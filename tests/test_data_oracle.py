"""A differential test of `mlops validate`: random tables and random rules files, every rule judged again by a
plain-pandas implementation of docs/reference/rule-semantics.md, at chunk sizes from 1 to the default, in CSV and
Parquet (plain and dictionary-encoded). Pass/fail and failing counts must agree.

The oracle never calls mlops: it builds the expected table from the generated values (with the documented
reading rules of each format), evaluates expressions with pandas' nullable types (whose `&`, `|`, `~` are
three-valued), and counts.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.data.engine import validate
from mlops.data.rules import rules_from_dict
from mlops.data.source import DEFAULT_CHUNK_ROWS, DataSource

# pandas' default missing-value markers: in a CSV file these fields are null (rule-semantics.md, "Reading")
CSV_NULLS = {
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
}
KINDS = {"i": "int", "k": "int", "f": "float", "s": "str", "b": "bool", "t": "time"}
TYPES = {
    "int": ["integer", "number"],
    "float": ["number"],
    "str": ["string", "category"],
    "bool": ["boolean"],
    "time": ["datetime"],
}
WORDS = ["", "a", "b", "ab", "é", "日本", "NA", " x", "a,b", 'q"', "Zz"]
PATTERNS = ["[a-z]*", "a.*", ".", "\\w+", "[^a]*"]
BASE = datetime(2020, 1, 1)


# -- tables ------------------------------------------------------------------------------------------------


def _values(kind: str) -> st.SearchStrategy[Any]:
    none = st.none()
    if kind == "int":
        return st.one_of(none, st.integers(-3, 3))
    if kind == "float":
        return st.one_of(
            none,
            st.sampled_from([math.nan, math.inf, -math.inf, -0.0]),
            st.integers(-8, 8).map(lambda k: k / 4),
        )
    if kind == "str":
        return st.one_of(none, st.sampled_from(WORDS), st.text(st.sampled_from("abé日 "), max_size=3))
    if kind == "bool":
        return st.one_of(none, st.booleans())
    return st.one_of(none, st.integers(0, 5).map(lambda d: BASE + timedelta(days=d, hours=d % 2)))


@st.composite
def tables(draw: Any) -> dict[str, list[Any]]:
    names = draw(st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(0, 9))
    return {name: draw(st.lists(_values(KINDS[name]), min_size=rows, max_size=rows)) for name in names}


def write_csv(table: dict[str, list[Any]], path: Path) -> None:
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in table.items()})
    frame.to_csv(path, index=False)  # a null is an empty field; in a one-column file, an empty line


def write_parquet(table: dict[str, list[Any]], path: Path, dictionary: bool, group: int) -> None:
    types = {
        "int": pa.int64(),
        "float": pa.float64(),
        "str": pa.string(),
        "bool": pa.bool_(),
        "time": pa.timestamp("us"),
    }
    arrays = []
    for name, values in table.items():
        array = pa.array(values, type=types[KINDS[name]], from_pandas=False)
        arrays.append(array.dictionary_encode() if dictionary and KINDS[name] in ("str", "int") else array)
    pq.write_table(pa.table(arrays, names=list(table)), path, row_group_size=max(group, 1))


def as_read(table: dict[str, list[Any]], fmt: str) -> pd.DataFrame:
    """The table a reader must see, per the documented reading rules: NaN is null; in CSV an empty string (and
    pandas' missing markers) is null too, while Parquet keeps "" as a value."""
    out = {}
    for name, values in table.items():
        kind = KINDS[name]
        if kind in ("int", "float"):
            clean = [
                None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values
            ]
            out[name] = pd.Series(pd.array(clean, dtype="Float64"))
        elif kind == "str":
            clean = [None if v is None or (fmt == "csv" and v in CSV_NULLS) else v for v in values]
            out[name] = pd.Series(pd.array(clean, dtype=pd.StringDtype("python")))
        elif kind == "bool":
            out[name] = pd.Series(pd.array(values, dtype="boolean"))
        else:
            out[name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    return pd.DataFrame(out, index=pd.RangeIndex(len(next(iter(table.values())))))


# -- expressions: a tree the oracle evaluates itself, rendered into the rules file -------------------------


@dataclass(frozen=True)
class E:
    op: str  # col lit + - * / % cmp-op and or not isnull notnull in notin neg
    args: tuple[Any, ...]

    def text(self) -> str:
        op, a = self.op, self.args
        if op == "col":
            return a[0]
        if op == "lit":
            return _literal(a[0])
        if op == "neg":
            return f"-({a[0].text()})"
        if op == "not":
            return f"not ({a[0].text()})"
        if op in ("isnull", "notnull"):
            return f"{a[0].text()} is {'not ' if op == 'notnull' else ''}null"
        if op in ("in", "notin"):
            items = ", ".join(_literal(v) for v in a[1])
            return f"{a[0].text()} {'not in' if op == 'notin' else 'in'} [{items}]"
        return f"({a[0].text()}) {op} ({a[1].text()})"


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat(sep=' ')}'"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _lit_for(kind: str) -> st.SearchStrategy[Any]:
    if kind in ("int", "float"):
        return st.integers(-8, 8).map(lambda k: k / 4 if k % 3 else k // 3)
    if kind == "str":
        return st.sampled_from([w for w in WORDS if w])
    if kind == "bool":
        return st.booleans()
    return st.integers(0, 5).map(lambda d: BASE + timedelta(days=d))


@st.composite
def predicates(draw: Any, names: list[str], depth: int = 0) -> E:
    if depth < 2 and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["and", "or", "not"]))
        first = draw(predicates(names, depth + 1))
        return E("not", (first,)) if op == "not" else E(op, (first, draw(predicates(names, depth + 1))))
    name = draw(st.sampled_from(names))
    kind = KINDS[name]
    shape = draw(st.sampled_from(["cmp", "null", "in"]))
    if shape == "null":
        return E(draw(st.sampled_from(["isnull", "notnull"])), (E("col", (name,)),))
    if shape == "in" and kind != "time":
        items = draw(st.lists(st.one_of(_lit_for(kind), st.none()), min_size=1, max_size=3))
        return E(draw(st.sampled_from(["in", "notin"])), (E("col", (name,)), tuple(items)))
    left = draw(numbers(names)) if kind in ("int", "float") else E("col", (name,))
    ops = ["==", "!="] if kind == "bool" else ["==", "!=", "<", "<=", ">", ">="]
    right = E("lit", (draw(_lit_for(kind)),))
    if kind in ("int", "float") and draw(st.booleans()):
        right = draw(numbers(names))
    return E(draw(st.sampled_from(ops)), (left, right))


@st.composite
def numbers(draw: Any, names: list[str]) -> E:
    numeric = [n for n in names if KINDS[n] in ("int", "float")]
    leaf = st.one_of(
        st.sampled_from(numeric).map(lambda n: E("col", (n,))),
        _lit_for("float").map(lambda v: E("lit", (v,))),
    )
    node = draw(leaf)
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["+", "-", "*", "/", "%", "neg"]))
        node = E("neg", (node,)) if op == "neg" else E(op, (node, draw(leaf)))
    return node


def _num(values: Any) -> pd.Series:
    """Float64 with NaN turned into null: an undefined result is unknown."""
    arr = np.asarray(values, dtype="float64")
    return pd.Series(pd.array([None if math.isnan(v) else v for v in arr], dtype="Float64"))


def evaluate(node: E, frame: pd.DataFrame) -> pd.Series:
    n = len(frame)
    op, a = node.op, node.args
    if op == "col":
        return frame[a[0]].reset_index(drop=True)
    if op == "lit":
        value = a[0]
        if isinstance(value, bool):
            return pd.Series(pd.array([value] * n, dtype="boolean"))
        if isinstance(value, (int, float)):
            return pd.Series(pd.array([float(value)] * n, dtype="Float64"))
        if isinstance(value, datetime):
            return pd.Series([pd.Timestamp(value)] * n, dtype="datetime64[ns]")
        return pd.Series(pd.array([value] * n, dtype=pd.StringDtype("python")))
    if op == "neg":
        return -evaluate(a[0], frame)
    if op == "not":
        return ~evaluate(a[0], frame)
    if op in ("and", "or"):
        x, y = evaluate(a[0], frame), evaluate(a[1], frame)
        return (x & y) if op == "and" else (x | y)
    if op in ("isnull", "notnull"):
        null = evaluate(a[0], frame).isna()
        return pd.Series(pd.array(~null if op == "notnull" else null, dtype="boolean"))
    if op in ("in", "notin"):
        x = evaluate(a[0], frame)
        wanted = [v for v in a[1] if v is not None]
        if pd.api.types.is_float_dtype(x.dtype):
            hit = x.isin([float(v) for v in wanted if not isinstance(v, bool)])
        else:
            hit = x.isin(wanted)
        hit = pd.Series(pd.array(hit.fillna(False).to_numpy(dtype=bool), dtype="boolean"))
        hit[x.isna().to_numpy()] = True if None in a[1] else pd.NA  # a null matches a null in the list
        return ~hit if op == "notin" else hit
    x, y = evaluate(a[0], frame), evaluate(a[1], frame)
    if op in ("+", "-", "*", "/", "%"):
        fx = x.to_numpy(dtype="float64", na_value=np.nan)
        fy = y.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(all="ignore"):
            out = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod}[op](
                fx, fy
            )
        if op in ("/", "%"):
            out = np.where(fy == 0, np.nan, out)  # division by zero is null
        return _num(out)
    null = (x.isna() | y.isna()).to_numpy()
    if pd.api.types.is_datetime64_any_dtype(x.dtype):
        raw = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        out = pd.Series(pd.array(raw.to_numpy(dtype=bool), dtype="boolean"))
        out[null] = pd.NA
        return out
    out = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
    out = pd.Series(pd.array(out, dtype="boolean"))
    out[null] = pd.NA
    return out


# -- rules -------------------------------------------------------------------------------------------------


def _bound(kind: str) -> st.SearchStrategy[Any]:
    if kind in ("int", "float"):
        return st.integers(-8, 8).map(lambda k: k / 4 if k % 2 else k // 2)
    if kind == "str":
        return st.sampled_from(WORDS[1:])
    return st.integers(0, 5).map(lambda d: (BASE + timedelta(days=d)).strftime("%Y-%m-%d"))


def _stat_bounds() -> st.SearchStrategy[dict[str, float]]:
    value = st.integers(-8, 8).map(lambda k: k / 4)
    return st.one_of(
        st.builds(lambda lo: {"min": lo}, value),
        st.builds(lambda hi: {"max": hi}, value),
        st.builds(lambda lo, hi: {"min": min(lo, hi), "max": max(lo, hi)}, value, value),
    )


@st.composite
def rules_files(draw: Any, table: dict[str, list[Any]]) -> tuple[dict[str, Any], dict[str, E]]:
    """A rules file, and the tree of each expression in it (for the oracle)."""
    names = list(table)
    trees: dict[str, E] = {}

    def predicate() -> str:
        tree = draw(predicates(declared))
        trees[tree.text()] = tree
        return tree.text()

    duplicate_rows = draw(st.booleans())
    # a CSV column's type comes from its declaration: columns named by checks, keys or duplicate_rows are
    # always declared (the documentation says why)
    declared = [n for n in names if duplicate_rows or draw(st.integers(0, 5)) > 0]
    columns: dict[str, Any] = {}
    for name in declared:
        kind = KINDS[name]
        spec: dict[str, Any] = {"type": draw(st.sampled_from(TYPES[kind]))}
        keys = ["nullable", "max_null_fraction", "unique", "distinct", "allowed", "forbidden"]
        if kind != "bool":
            keys += ["min", "max", "gt", "lt"]
        if kind in ("int", "float"):
            keys += ["mean", "std", "quantiles"]
        if kind == "str":
            keys += ["pattern", "length"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
            if key == "nullable":
                spec[key] = False
            elif key == "max_null_fraction":
                spec[key] = draw(st.sampled_from([0, 0.25, 0.5]))
            elif key == "unique":
                spec[key] = True
            elif key == "distinct":
                spec[key] = draw(st.sampled_from([{"max": 1}, {"max": 3}, {"min": 2}]))
            elif key in ("allowed", "forbidden"):
                spec[key] = draw(
                    st.lists(_lit_for(kind) if kind != "time" else _bound(kind), min_size=1, max_size=3)
                )
            elif key in ("min", "max", "gt", "lt"):
                spec[key] = draw(_bound(kind))
            elif key in ("mean", "std"):
                spec[key] = draw(_stat_bounds())
            elif key == "quantiles":
                spec[key] = {draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0])): draw(_stat_bounds())}
            elif key == "pattern":
                spec[key] = draw(st.sampled_from(PATTERNS))
            elif key == "length":
                spec[key] = draw(st.sampled_from([{"max": 1}, {"min": 1}, {"min": 1, "max": 2}]))
            if key != "nullable" and draw(st.integers(0, 4)) == 0:  # modifiers on the rule
                mod: dict[str, Any] = {"value": spec[key]}
                if draw(st.booleans()):
                    mod["max_fail"] = draw(st.sampled_from([1, 0.5, "25%"]))
                if declared and draw(st.booleans()):
                    mod["where"] = predicate()
                spec[key] = mod
        if draw(st.integers(0, 5)) == 0:  # modifiers on the column: defaults for its rules
            spec["where"] = predicate()
        if draw(st.integers(0, 5)) == 0:
            spec["max_fail"] = draw(st.sampled_from([1, 0.5]))
        columns[name] = spec
    if draw(st.integers(0, 4)) == 0:
        columns["absent"] = {"required": draw(st.booleans()), "min": 0}
    table_rules: dict[str, Any] = {}
    if draw(st.booleans()):
        table_rules["rows"] = draw(st.sampled_from([{"min": 1}, {"max": 3}, {"min": 2, "max": 5}]))
    if draw(st.integers(0, 3)) == 0:
        table_rules["required_columns"] = draw(
            st.lists(st.sampled_from(names + ["gone"]), min_size=1, max_size=2, unique=True)
        )
    if draw(st.integers(0, 3)) == 0:
        table_rules["extra_columns"] = "error"
    if declared and draw(st.booleans()):
        table_rules["unique_keys"] = [
            draw(st.lists(st.sampled_from(declared), min_size=1, max_size=3, unique=True))
        ]
    if duplicate_rows:
        table_rules["duplicate_rows"] = "error"
    checks = []
    if declared:
        for i in range(draw(st.integers(0, 3))):
            check: dict[str, Any] = {"name": f"c{i}", "expr": predicate()}
            if draw(st.integers(0, 3)) == 0:
                check["where"] = predicate()
            if draw(st.integers(0, 3)) == 0:
                check["max_fail"] = draw(st.sampled_from([1, 0.5]))
            checks.append(check)
    doc: dict[str, Any] = {"kind": "Rules", "version": 1, "columns": columns}
    if table_rules:
        doc["table"] = table_rules
    if checks:
        doc["checks"] = checks
    return doc, trees


# -- the oracle --------------------------------------------------------------------------------------------

EXPRS: dict[str, E] = {}  # expression text in the rules file -> the tree the oracle rendered it from


def _parse(text: str, frame: pd.DataFrame) -> pd.Series:
    return evaluate(EXPRS[text], frame)


def _scope(where: str | None, frame: pd.DataFrame) -> np.ndarray:
    if where is None:
        return np.ones(len(frame), dtype=bool)
    return _parse(where, frame).fillna(False).to_numpy(dtype=bool)


def _allowed(max_fail: Any, checked: int) -> float:
    if max_fail is None:
        return 0.0
    if isinstance(max_fail, str):
        return float(max_fail.rstrip("%")) / 100 * checked
    return float(max_fail) if isinstance(max_fail, int) else max_fail * checked


def _key(value: Any) -> Any:
    """Values are equal by value: 5 and 5.0, 0.0 and -0.0; nulls equal each other in keys."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ("null",)
    if isinstance(value, float) and math.isnan(value):
        return ("null",)
    return value


def _dups(rows: list[tuple[Any, ...]]) -> np.ndarray:
    seen: set[tuple[Any, ...]] = set()
    out = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        out[i] = row in seen
        seen.add(row)
    return out


def _near(value: float, bounds: dict[str, float]) -> bool:
    """A statistic within rounding of a bound: summation order may decide either way, so do not compare."""
    return any(abs(value - b) <= 1e-9 * max(1.0, abs(b)) for b in bounds.values())


def _column_rule(
    name: str, key: str, value: Any, frame: pd.DataFrame, scope: np.ndarray, kind: str
) -> tuple[str, int] | tuple[str, None]:
    series = frame[name]
    null = series.isna().to_numpy()
    valid = scope & ~null
    checked = int(scope.sum())
    values = [series.iloc[i] for i in range(len(series))]
    if key == "type":
        return "count", 0
    if key == "nullable":
        return "count", int((scope & null).sum())
    if key == "max_null_fraction":
        failing = int((scope & null).sum())
        return ("failed" if checked and failing / checked > float(value) else "passed"), None
    if key in ("min", "max", "gt", "lt"):
        limit: Any = pd.Timestamp(value) if kind == "time" else value
        ok = {
            "min": lambda v: v >= limit,
            "max": lambda v: v <= limit,
            "gt": lambda v: v > limit,
            "lt": lambda v: v < limit,
        }[key]
        return "count", sum(1 for i in np.flatnonzero(valid) if not ok(values[i]))
    if key in ("allowed", "forbidden"):
        if kind == "time":
            members = {pd.Timestamp(v) for v in value}
        elif kind in ("int", "float"):
            members = {float(v) for v in value}
        else:
            members = set(value)
        inside = [values[i] in members for i in np.flatnonzero(valid)]
        return "count", sum(1 for hit in inside if hit != (key == "allowed"))
    if key == "pattern":
        return "count", sum(1 for i in np.flatnonzero(valid) if not re.fullmatch(value, values[i]))
    if key == "length":
        lengths = [len(values[i]) for i in np.flatnonzero(valid)]
        return "count", sum(1 for n in lengths if n < value.get("min", -1) or n > value.get("max", 1 << 30))
    if key == "unique":
        kept = [(_key(values[i]),) for i in np.flatnonzero(valid)]
        return "count", int(_dups(kept).sum())
    if key == "distinct":
        count = len({_key(values[i]) for i in np.flatnonzero(valid)})
        ok = value.get("min", -1) <= count <= value.get("max", 1 << 30)
        return ("passed" if ok else "failed"), None
    finite = np.array([float(values[i]) for i in np.flatnonzero(valid) if math.isfinite(values[i])])
    if key in ("mean", "std"):
        if len(finite) < (1 if key == "mean" else 2):
            return "passed", None
        stat = float(finite.mean()) if key == "mean" else float(finite.std(ddof=1))
        if _near(stat, value):
            return "unknown", None
        return (
            "passed" if value.get("min", -math.inf) <= stat <= value.get("max", math.inf) else "failed"
        ), None
    assert key == "quantiles"
    if not len(finite):
        return "passed", None
    for prob, bounds in value.items():
        q = float(np.quantile(finite, float(prob)))
        if _near(q, bounds):
            return "unknown", None
        if not bounds.get("min", -math.inf) <= q <= bounds.get("max", math.inf):
            return "failed", None
    return "passed", None


def oracle(doc: dict[str, Any], frame: pd.DataFrame) -> dict[str, tuple[str, int | None]]:
    """rule id -> (status, failing rows or None), by the documented semantics."""
    out: dict[str, tuple[str, int | None]] = {}
    names = list(frame.columns)
    for name, spec in doc["columns"].items():
        present = name in names
        required = spec.get("required", True)
        out[f"{name}.required"] = ("passed" if present else ("failed" if required else "skipped"), None)
        for key, raw in spec.items():
            if key in ("required", "where", "max_fail"):
                continue
            if not present:
                out[f"{name}.{key}"] = ("skipped", None)
                continue
            value, max_fail, where = raw, spec.get("max_fail"), spec.get("where")
            if isinstance(raw, dict) and "value" in raw:
                value, max_fail, where = raw["value"], raw.get("max_fail", max_fail), raw.get("where", where)
            scope = _scope(where, frame)
            verdict, failing = _column_rule(name, key, value, frame, scope, KINDS[name])
            if verdict == "count":
                assert failing is not None
                verdict = "failed" if failing > _allowed(max_fail, int(scope.sum())) else "passed"
            out[f"{name}.{key}"] = (verdict, failing)
    table = doc.get("table", {})
    if "rows" in table:
        ok = table["rows"].get("min", 0) <= len(frame) <= table["rows"].get("max", 1 << 30)
        out["table.rows"] = ("passed" if ok else "failed", None)
    for col in table.get("required_columns", []):
        out[f"table.required_columns.{col}"] = ("passed" if col in names else "failed", None)
    if table.get("extra_columns") == "error":
        known = set(doc["columns"]) | set(table.get("required_columns", []))
        out["table.extra_columns"] = ("failed" if set(names) - known else "passed", None)
    for key in table.get("unique_keys", []):
        rows = [tuple(_key(frame[c].iloc[i]) for c in key) for i in range(len(frame))]
        failing = int(_dups(rows).sum())
        out[f"table.unique_key.{'+'.join(key)}"] = ("failed" if failing else "passed", failing)
    if table.get("duplicate_rows") == "error":
        rows = [tuple(_key(frame[c].iloc[i]) for c in names) for i in range(len(frame))]
        failing = int(_dups(rows).sum())
        out["table.duplicate_rows"] = ("failed" if failing else "passed", failing)
    for check in doc.get("checks", []):
        scope = _scope(check.get("where"), frame)
        truth = _parse(check["expr"], frame)
        failing = int((scope & (truth == False).fillna(False).to_numpy(dtype=bool)).sum())  # noqa: E712
        verdict = "failed" if failing > _allowed(check.get("max_fail"), int(scope.sum())) else "passed"
        out[f"check.{check['name']}"] = (verdict, failing)
    return out


@st.composite
def cases(draw: Any) -> tuple[dict[str, list[Any]], dict[str, Any], dict[str, E]]:
    table = draw(tables())
    doc, trees = draw(rules_files(table))
    return table, doc, trees


def compare(table: dict[str, list[Any]], doc: dict[str, Any], trees: dict[str, E], folder: Path) -> None:
    EXPRS.clear()
    EXPRS.update(trees)
    rows = len(next(iter(table.values())))
    rules = rules_from_dict(yaml.safe_load(yaml.safe_dump(doc, allow_unicode=True)))
    sources = [
        ("csv", folder / "t.csv"),
        ("parquet", folder / "t.parquet"),
        ("parquet", folder / "d.parquet"),
    ]
    write_csv(table, sources[0][1])
    write_parquet(table, sources[1][1], dictionary=False, group=rows // 2 or 1)
    write_parquet(table, sources[2][1], dictionary=True, group=3)
    for fmt, path in sources:
        expected = oracle(doc, as_read(table, fmt))
        for chunk in (1, 3, DEFAULT_CHUNK_ROWS):
            report = validate(DataSource.from_path(path), rules, chunk_rows=chunk)
            assert report.rows == rows, (path.name, chunk)
            got = {r.rule: (r.status, r.failing, r.message) for r in report.results}
            for rule, (status, failing) in expected.items():
                if status == "unknown":
                    continue
                assert rule in got, (rule, path.name, chunk)
                where = (rule, path.name, f"chunk {chunk}", got[rule][2])
                assert got[rule][0] == status, where
                if failing is not None:
                    assert got[rule][1] == failing, where


def _oracle_settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@_oracle_settings(int(os.environ.get("MLOPS_ORACLE_EXAMPLES", "50")))
@given(case=cases())
def test_validate_agrees_with_the_plain_pandas_oracle(case: Any, tmp_path: Path) -> None:
    table, doc, trees = case
    compare(table, doc, trees, tmp_path)


@pytest.mark.slow
@_oracle_settings(300)
@given(case=cases())
def test_validate_agrees_with_the_oracle_on_many_more_cases(case: Any, tmp_path: Path) -> None:
    table, doc, trees = case
    compare(table, doc, trees, tmp_path)


# -- targeted cases from the issue (each also runs through the oracle) --------------------------------------

EDGE_CASES = [
    # an integer column with nulls, keyed alike in every chunk
    (
        {"k": [0, 1, 2], "i": [5, None, 5]},
        {
            "columns": {"k": {"type": "integer"}, "i": {"type": "integer", "distinct": {"max": 1}}},
            "table": {"unique_keys": [["i"]], "duplicate_rows": "error"},
        },
    ),
    # booleans with nulls: type and `b != true`
    (
        {"b": [True, None, False]},
        {"columns": {"b": {"type": "boolean"}}, "checks": [{"name": "b_not_true", "expr": "b != true"}]},
    ),
    # inf is a value
    (
        {"f": [1.5, math.inf, 2.0], "i": [1, 2, 3]},
        {
            "columns": {"f": {"type": "number"}, "i": {"type": "integer"}},
            "checks": [{"name": "sum", "expr": "f + i < 100"}],
        },
    ),
    # no rows at all
    (
        {"f": [], "t": []},
        {
            "columns": {
                "f": {
                    "type": "number",
                    "mean": {"min": 1},
                    "std": {"max": 0},
                    "quantiles": {0.5: {"min": 3}},
                    "min": {"value": 0, "where": "f > 1"},
                },
                "t": {"type": "datetime", "min": "2020-01-01"},
            },
            "table": {"rows": {"max": 0}},
            "checks": [{"name": "c", "expr": "t > '2020-01-01'"}],
        },
    ),
    # a one-column CSV whose nulls are blank lines
    ({"f": [1.0, None, 3.0, None]}, {"columns": {"f": {"type": "number", "nullable": False}}}),
]


def _tree_of(text: str) -> E:
    """Parse the few expressions of EDGE_CASES into oracle trees (a tiny, separate reading)."""
    trees = {
        "b != true": E("!=", (E("col", ("b",)), E("lit", (True,)))),
        "f + i < 100": E("<", (E("+", (E("col", ("f",)), E("col", ("i",)))), E("lit", (100,)))),
        "f > 1": E(">", (E("col", ("f",)), E("lit", (1,)))),
        "t > '2020-01-01'": E(">", (E("col", ("t",)), E("lit", (BASE,)))),
    }
    return trees[text]


@pytest.mark.parametrize(("table", "doc"), EDGE_CASES)
def test_edge_cases_agree_with_the_oracle(
    table: dict[str, list[Any]], doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = {"kind": "Rules", "version": 1, **doc}
    texts = [c["expr"] for c in doc.get("checks", [])] + [
        spec["min"]["where"] for spec in doc["columns"].values() if isinstance(spec.get("min"), dict)
    ]
    compare(table, doc, {t: _tree_of(t) for t in texts}, tmp_path)
