"""Every rule kind, profile and drift statistic on every installed engine, over the same awkward data:
the same pass/fail, counts and failing-row examples, and statistics within the sketches' error."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlops.data.engines import available, get_engine
from mlops.data.rules import rules_from_dict

ENGINES = [e for e in available() if e != "pandas"]  # each compared with the pandas engine


def gaps(**reasons: str) -> list[object]:
    """ENGINES, with the known differences of an engine marked: strict, so a fixed gap fails until unmarked."""
    return [
        pytest.param(e, marks=pytest.mark.xfail(reason=reasons[e], strict=True)) if e in reasons else e
        for e in ENGINES
    ]


RULES: dict[str, Any] = {
    "kind": "Rules",
    "version": 1,
    "columns": {
        "id": {"type": "integer", "unique": True, "nullable": False, "min": 0},
        "n": {"type": "integer", "min": 0, "max": 50, "allowed": [1, 2, 3, 60], "forbidden": [7]},
        "x": {
            "type": "number",
            "gt": -1e300,
            "lt": 1e300,
            "max_null_fraction": 0.05,
            "mean": {"min": -1, "max": 1},
            "std": {"max": 1e-3},
            "quantiles": {0.5: {"min": -0.1, "max": 0.1}, 0.99: {"max": 1}},
        },
        "tiny": {"type": "number", "min": 1e-300, "max": 1e-250},
        "s": {
            "type": "string",
            "allowed": ["a", "b", "é", ""],
            "length": {"min": 1, "max": 1},
            "pattern": "[a-zé]",
            "min": "a",
            "max": "b",
            "distinct": {"max": 2},
        },
        "city": {"type": "string", "forbidden": ["Zürich"], "nullable": False},
        "when": {"type": "datetime", "min": "2024-01-01T00:00:00Z"},
        "flag": {"type": "boolean"},
        "text_num": {"type": "integer", "min": 0},
    },
    "table": {"rows": {"min": 10}, "unique_keys": [["n", "s"]], "duplicate_rows": "error"},
    "checks": [
        {"name": "x_small", "expr": "x < 0.5 or n > 2"},
        {"name": "where_n", "expr": "x > -2", "where": "n >= 2"},
        {"name": "div", "expr": "n / (n - 3) < 2 and -x <= 1"},
        {"name": "nulls", "expr": "not (s is null) or x is not null or n in (1, 2, null)"},
        {"name": "text", "expr": "s >= 'b' or city in ('Paris', 'x') or (s == null and x > 100)"},
        {"name": "mixed", "expr": "(x * 2 + 1 > n) != (tiny < 1)"},
        {"name": "bad_types", "expr": "s > 3"},
        {"name": "modulo", "expr": "n % 4 != 1"},
    ],
}


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, rows)
    x[rng.random(rows) < 0.08] = np.nan
    x[:3] = [np.inf, -np.inf, 1e308]
    n = pd.array(rng.integers(0, 70, rows), dtype="Int64")
    n[rng.random(rows) < 0.05] = pd.NA
    s = rng.choice(np.array(["a", "b", "é", "", "ab", "日本"], dtype=object), rows)
    s[rng.random(rows) < 0.1] = None
    city = rng.choice(np.array(["Zürich", "Paris", "東京"], dtype=object), rows)
    city[rng.random(rows) < 0.02] = None
    when = pd.Series(pd.date_range("2023-12-31", periods=rows, freq="37min", tz="Europe/Berlin"))
    when[rng.random(rows) < 0.05] = pd.NaT
    text_num = rng.choice(np.array(["1", "-2", "x", "3.5", None], dtype=object), rows)
    ids = np.arange(rows, dtype="int64")
    ids[rows // 2] = 5  # one repeat
    return pd.DataFrame(
        {
            "id": ids,
            "n": n,
            "x": x,
            "tiny": rng.choice(np.array([1e-310, 1e-300, 5e-260, 1e-200, np.nan]), rows),
            "s": s,
            "city": city,
            "when": when,
            "flag": pd.array(rng.random(rows) < 0.5, dtype="boolean"),
            "text_num": text_num,
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("engines")
    current, reference = frame(12_000, 1), frame(8_000, 2)
    paths = {
        "parquet": folder / "current.parquet",
        "csv": folder / "current.csv",
        "ref": folder / "ref.parquet",
    }
    current.to_parquet(paths["parquet"], row_group_size=2_500)
    current.to_csv(paths["csv"], index=False)
    reference.to_parquet(paths["ref"])
    return paths


def report(engine: str, path: Path, rules: dict[str, Any], chunk_rows: int = 4_000, **kw: Any) -> Any:
    runner = get_engine(engine)
    runner.chunk_rows = chunk_rows  # type: ignore[attr-defined]
    return runner.validate(str(path), rules_from_dict(rules), **kw)


def same_results(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert [r["rule"] for r in left["results"]] == [r["rule"] for r in right["results"]]
    for a, b in zip(left["results"], right["results"]):
        assert (a["status"], a["failing"], a["checked"], a["examples"]) == (
            b["status"],
            b["failing"],
            b["checked"],
            b["examples"],
        ), a["rule"]
        close(a["observed"], b["observed"], a["rule"])


def close(a: Any, b: Any, what: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            close(a[k], b[k], what)
    elif isinstance(a, float) and isinstance(b, float):
        # a statistic that overflows float64 (a std over +-1e308) is inf on one engine, nan on another:
        # both say "overflowed", neither is a number to compare
        overflowed = not math.isfinite(a) and not math.isfinite(b)
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or overflowed, what
    else:
        assert a == b, what


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_rule_kind_gives_the_pandas_answer(engine: str, fmt: str, data: dict[str, Path]) -> None:
    expected = report("pandas", data[fmt], RULES).to_dict()
    got = report(engine, data[fmt], RULES).to_dict()
    same_results(expected, got)
    failed = {r["rule"] for r in expected["results"] if r["status"] == "failed"}
    # the data was made to fail most kinds: a suite where everything passes proves nothing
    assert {"n.max", "n.allowed", "x.std", "s.length", "s.allowed", "city.forbidden", "id.unique"} <= failed
    assert any(r["examples"] for r in expected["results"] if r["rule"] == "n.max")
    assert {"check.div", "check.nulls", "check.text", "check.mixed", "check.bad_types"} <= failed


def test_polars_runs_most_rules_natively(data: dict[str, Path]) -> None:
    """The polars engine is only worth its name if it answers most rule kinds itself."""
    pl = pytest.importorskip("polars")
    from mlops.data.checks import checker_for
    from mlops.data.engines.polars_rules import compile_rule

    rules = rules_from_dict(RULES)
    chunk = pl.read_parquet(data["parquet"]).slice(0, 2_500)
    native = {r.id for r in rules.rules if compile_rule(checker_for(r), chunk, rules.column_types)}
    assert {"n.max", "n.allowed", "x.mean", "x.quantiles", "s.pattern", "s.distinct", "id.unique"} <= native
    assert {"check.x_small", "check.div", "check.nulls", "check.text", "check.mixed"} <= native
    # pandas checkers: a where filter, modulo, a type error worded by the evaluator, datetimes, text as numbers
    assert not native & {"check.where_n", "check.modulo", "check.bad_types", "when.min", "text_num.min"}


@pytest.mark.parametrize("engine", ENGINES)
def test_chunk_size_changes_no_count(engine: str, data: dict[str, Path]) -> None:
    small = report(engine, data["parquet"], RULES, chunk_rows=999).to_dict()
    large = report(engine, data["parquet"], RULES, chunk_rows=100_000).to_dict()
    for a, b in zip(small["results"], large["results"]):
        assert (a["status"], a["failing"], a["checked"]) == (b["status"], b["failing"], b["checked"]), a[
            "rule"
        ]
        assert [e["row"] for e in a["examples"]] == [e["row"] for e in b["examples"]], a["rule"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", ["psi", "ks", "chi2", "jensen_shannon", "wasserstein", "hellinger", "tvd"])
def test_drift_statistics_agree(engine: str, method: str, data: dict[str, Path]) -> None:
    from mlops.data.profile import build_profile

    ref = build_profile(str(data["ref"]))
    rules = {**RULES, "drift": {"reference": str(data["ref"]), "method": method, "columns": ["n", "x", "s"]}}
    expected = report("pandas", data["parquet"], rules, reference=ref)
    got = report(engine, data["parquet"], rules, reference=ref)
    assert expected.drift is not None and got.drift is not None
    for name, stats in expected.drift["columns"].items():
        close(stats, got.drift["columns"][name], f"{method} {name}")


@pytest.mark.parametrize("engine", ENGINES)
def test_profiles_agree(engine: str, data: dict[str, Path]) -> None:
    expected = get_engine("pandas").profile(str(data["parquet"])).to_json()
    assert get_engine(engine).profile(str(data["parquet"])).to_json() == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_frame_in_memory_gives_the_same_answer(engine: str) -> None:
    df = frame(3_000, 3)
    expected = get_engine("pandas").validate(df, rules_from_dict(RULES)).to_dict()
    same_results(expected, get_engine(engine).validate(df, rules_from_dict(RULES)).to_dict())


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_file(engine: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    frame(10, 4).iloc[:0].to_parquet(path)
    same_results(report("pandas", path, RULES).to_dict(), report(engine, path, RULES).to_dict())


# The polars engine answers a Parquet file's native rules in one query over the whole file: the cases where
# that could differ from the chunk-by-chunk pandas engine (chunk-dependent null handling, keys, patterns).
PATTERNS = {  # native ones first (Rust's regex), then those kept on the pandas checker's call
    "p_plain": r"[a-z]+|[0-9]+",
    "p_escapes": r"a\-1x|a\{|x_y|\.+",
    "p_unicode": r"é+|[^a-z]{2}",
    "p_dollar": r"ab$",
    "p_digit": r"\d+",  # ASCII in RE2, Unicode in Rust and in Python's re (which pandas uses on such text)
    "p_word": r"\w+é?",
    "p_space": r"a\sb",  # pandas always runs \s through Python's re
    "p_bound": r"\bab\b",
    "p_flags": r"(?i)ab",
    "p_posix": r"[[:alpha:]]+",  # a POSIX class in RE2, a nested set in Python
    "p_brace": r"a{",  # a literal `{` in RE2, an error in Rust
    "p_inner_dollar": r"ab$\n?",  # Python's `$` matches before a final line break
}
NATIVE_PATTERNS = ("p_plain", "p_escapes", "p_unicode", "p_dollar")
TEXTS = np.array(
    ["12", "١٢", "ab", "a b", "a\u00a0b", "a\vb", "AB", "éé", "a-1x", "ab\n", "a{", "x_y", ""], dtype=object
)

WHOLE: dict[str, Any] = {
    "kind": "Rules",
    "version": 1,
    "columns": {
        "shuffled": {"type": "integer", "unique": True},
        "sorted": {"type": "integer", "unique": True},
        "steps": {"type": "integer", "unique": True},
        "zeros": {"type": "number", "unique": True, "distinct": {"max": 3}, "quantiles": {0.25: {"min": 0}}},
        "words": {"type": "string", "unique": True, "distinct": {"max": 5}},
        "late_nulls": {"type": "integer", "max": 90, "allowed": [1, 2, 3]},
        "flag": {"type": "boolean", "nullable": False, "max_null_fraction": 0.01},
        **{name: {"pattern": p} for name, p in PATTERNS.items()},
    },
    "checks": [
        {"name": "undeclared", "expr": "loose > 0.5 or late_nulls < 50"},
        {"name": "sums", "expr": "late_nulls + shuffled < 12000"},
    ],
}


def whole_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    late = pd.array(rng.integers(0, 100, rows), dtype="Int64")
    late[: rows // 2] = rng.integers(0, 90, rows // 2)
    late[[5, 50, 500]] = 95  # three failing rows before the nulls, then many after
    late[rows // 2 :][rng.random(rows - rows // 2) < 0.1] = pd.NA  # nulls only in the second half
    loose = rng.random(rows)
    loose[: rows // 3] = np.nan  # a chunk with nothing but nulls, then values
    zeros = rng.choice(np.array([0.0, -0.0, 1.5, np.nan, 2.0]), rows)
    flag = pd.array(rng.random(rows) < 0.5, dtype="boolean")
    flag[rng.random(rows) < 0.02] = pd.NA
    texts = {name: rng.choice(TEXTS, rows) for name in PATTERNS}
    return pd.DataFrame(
        {
            "shuffled": rng.permutation(rows) % (rows - 7),  # seven repeats, anywhere
            "sorted": np.arange(rows) * 3 - 5,
            "steps": np.repeat(np.arange(rows // 2), 2)[:rows],  # sorted, but every value twice
            "zeros": zeros,
            "words": rng.choice(np.array(["a", "b", "é", None], dtype=object), rows),
            "late_nulls": late,
            "loose": loose,
            "flag": flag,
            **texts,
        }
    )


def write_whole(path: Path) -> Path:
    """Written by Arrow without pandas' metadata: pandas then reads an integer column as float64 in the
    chunks where it has a null, and as int64 in the others (examples are written by value: 95 in both)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(whole_frame(12_000, 5), preserve_index=False)
    late = table.column("late_nulls").cast(pa.int64())
    table = table.set_column(table.schema.get_field_index("late_nulls"), "late_nulls", late)
    pq.write_table(table.replace_schema_metadata(None), path, row_group_size=3_000)
    return path


def test_the_whole_file_pass_gives_the_pandas_answer(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    path = write_whole(tmp_path / "whole.parquet")
    expected = report("pandas", path, WHOLE).to_dict()
    same_results(expected, report("polars", path, WHOLE).to_dict())
    failed = {r["rule"] for r in expected["results"] if r["status"] == "failed"}
    assert {"shuffled.unique", "steps.unique", "zeros.unique", "words.unique", "late_nulls.max"} <= failed
    assert {"flag.nullable", "flag.max_null_fraction", "check.undeclared", "check.sums"} <= failed
    assert {f"{name}.pattern" for name in PATTERNS} <= failed
    assert "sorted.unique" not in failed
    # the examples of late_nulls.max cross from a chunk without nulls into one with (pandas holds that one as
    # floats): written by value, they are integers in both
    shown = [e["value"] for r in expected["results"] if r["rule"] == "late_nulls.max" for e in r["examples"]]
    assert len(shown) > 1 and all(type(v) is int for v in shown)


def test_a_file_larger_than_memory_streams_with_the_same_answer(
    tmp_path: Path, data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the memory budget the polars engine reads chunk by chunk (sketches, hash sets): same answers."""
    pytest.importorskip("polars")
    from mlops.data.engines import polars_file

    whole = write_whole(tmp_path / "whole.parquet")
    expected = [
        report("pandas", path, rules).to_dict() for path, rules in ((whole, WHOLE), (data["parquet"], RULES))
    ]
    monkeypatch.setenv("MLOPS_POLARS_MEMORY", "1000")
    assert polars_file._inspect(str(whole))[0] is None
    same_results(expected[0], report("polars", whole, WHOLE).to_dict())
    same_results(expected[1], report("polars", data["parquet"], RULES).to_dict())


def test_the_whole_file_pass_runs_these_rules_natively(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    from mlops.data.checks import checker_for
    from mlops.data.engines.polars_file import _inspect
    from mlops.data.engines.polars_rules import compile_rule

    path = write_whole(tmp_path / "whole.parquet")
    probe, _ = _inspect(str(path))
    rules = rules_from_dict(WHOLE)
    native = {r.id for r in rules.rules if compile_rule(checker_for(r), probe, rules.column_types)}
    expected = {"shuffled.unique", "zeros.unique", "zeros.distinct", "zeros.quantiles", "words.unique"}
    assert expected | {"flag.type", "flag.nullable"} | {f"{p}.pattern" for p in NATIVE_PATTERNS} <= native
    # chunk-dependent (an undeclared column with nulls) or possibly read differently by Rust's regex
    kept = {f"{p}.pattern" for p in PATTERNS if p not in NATIVE_PATTERNS}
    assert not native & ({"check.undeclared"} | kept)


@pytest.mark.parametrize(
    "pattern",
    [*PATTERNS.values(), r"[^x]+", r"[]a]+|\t", r"(?:ab|a)(?:b|)", r"[a-z0-9]+@[a-z]+\.com", r"日本?"],
)
def test_rust_patterns_match_what_the_pandas_checker_matches(pattern: str) -> None:
    pl = pytest.importorskip("polars")
    from mlops.data.engines.polars_patterns import rust_pattern

    texts = [*TEXTS.tolist(), "A", "é", "x@mail.com", "日本", "日", "a\tb", "\n", "]", "a\r\nb", "ab\n\n"]
    rust = rust_pattern(pattern)
    if rust is None:
        assert pattern not in [PATTERNS[p] for p in NATIVE_PATTERNS]
        return
    # the pandas checker's own call (RowChecker): RE2 through Arrow, or Python's re where pandas picks it
    text = pd.Series(texts, dtype=object).astype("string[pyarrow]")
    expected = text.str.fullmatch(pattern).fillna(False).tolist()
    assert pl.Series(texts).str.contains(rust).to_list() == expected


def test_a_plain_parquet_file_is_validated_without_pandas(tmp_path: Path) -> None:
    """pandas costs as much to import as a small file's rules: the all-native path does without it."""
    import subprocess
    import sys

    pytest.importorskip("polars")
    path = tmp_path / "plain.parquet"
    frame(2_000, 6)[["id", "x", "s", "city", "flag"]].to_parquet(path)
    script = (
        "import sys\nfrom mlops.data.engines import get_engine\nfrom mlops.data.rules import rules_from_dict\n"
        f"rules = {{'kind': 'Rules', 'version': 1, 'columns': {{'id': {{'unique': True}}, 'x': {{'max': 1}}}}}}\n"
        f"report = get_engine('polars').validate({str(path)!r}, rules_from_dict(rules))\n"
        "print(report.summary()['failed'], 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2", "False"]  # id repeats one value, x has values above 1


def test_plain_parquet_layouts_name_the_columns_pandas_reads(tmp_path: Path) -> None:
    pytest.importorskip("polars")
    import pyarrow.parquet as pq

    from mlops.data.engines.polars_file import plain_layout
    from mlops.data.source import DataSource

    frames = {
        "plain": frame(50, 7)[["id", "x", "s", "flag"]],
        "nullable": frame(50, 7)[["n", "flag"]],
        "index": frame(50, 7)[["x"]].set_index(pd.Index([f"r{i}" for i in range(50)])),
        "category": frame(50, 7)[["s"]].astype("category"),
    }
    for name, df in frames.items():
        path = tmp_path / f"{name}.parquet"
        df.to_parquet(path)
        schema = pq.ParquetFile(path).schema_arrow
        names = plain_layout(schema)
        assert names is None or names == DataSource.from_path(path).schema(), name
    assert plain_layout(pq.ParquetFile(tmp_path / "plain.parquet").schema_arrow) is not None
    assert plain_layout(pq.ParquetFile(tmp_path / "index.parquet").schema_arrow) is None


def test_64_bit_ids_with_a_null_are_told_apart(tmp_path: Path) -> None:
    """Hashes and snowflake ids fill the 64-bit range; with one null, pandas would hold them as float64, where
    2**53 + 1 is 2**53: unique, distinct and keys would see repeats that are not there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = 1_500_000_000_000_000_001
    ids = [base + i for i in range(6)] + [None, base + 2, -(2**63), 2**63 - 1]
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "u": pa.array([2**64 - 1 - i for i in range(9)] + [None], pa.uint64()),
            "k": ["a"] * 10,
        }
    )
    pq.write_table(table, tmp_path / "ids.parquet")
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {
            "id": {"unique": True, "distinct": {"min": 9}},
            "u": {"unique": True, "distinct": {"min": 9}},
        },
        "table": {"unique_keys": [["k", "id"]]},
    }
    expected = report("pandas", tmp_path / "ids.parquet", rules, chunk_rows=4).to_dict()
    by_rule = {r["rule"]: r for r in expected["results"]}
    assert by_rule["id.unique"]["failing"] == 1 and by_rule["id.unique"]["examples"] == [
        {"row": 7, "value": base + 2}
    ]
    assert by_rule["table.unique_key.k+id"]["failing"] == 1
    assert by_rule["u.unique"]["status"] == "passed" and by_rule["u.distinct"]["status"] == "passed"
    assert by_rule["id.distinct"]["observed"] == 8 and by_rule["u.distinct"]["observed"] == 9
    for engine in ENGINES:
        same_results(expected, report(engine, tmp_path / "ids.parquet", rules, chunk_rows=4).to_dict())


def test_warehouse_types_read_alike(tmp_path: Path) -> None:
    """Decimals (money), durations, dates and a binary column, as warehouse exports hold them: decimals are
    numbers (Spark's view), durations are seconds, and a binary column is no crash. Spark reads a Parquet
    duration as a plain count of its unit (seconds here), so its profile is not compared."""
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    amounts = ["1.10", None, "-3.25", "99999.99", "0.00", "5"]
    table = pa.table(
        {
            "amount": pa.array(
                [None if a is None else decimal.Decimal(a) for a in amounts], pa.decimal128(10, 2)
            ),
            "units": pa.array([1, 2, None, 4, 4, 6], pa.decimal128(12, 0)),
            "wait": pa.array([1, 2, 3, None, 5, 6], pa.duration("s")),
            "day": pa.array([dt.date(2024, 1, i + 1) for i in range(5)] + [None], pa.date32()),
            "blob": pa.array([b"a", b"\xff", None, b"", b"x", b"y"], pa.binary()),
        }
    )
    path = tmp_path / "warehouse.parquet"
    pq.write_table(table, path)
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {
            "amount": {
                "type": "number",
                "min": 0,
                "max": 1000,
                "mean": {"max": 10},
                "quantiles": {0.5: {"max": 10}},
            },
            "units": {"type": "integer", "unique": True, "max": 5},
            "wait": {"min": 2},
            "day": {"type": "datetime", "min": "2024-01-02"},
            "blob": {"nullable": False},
        },
        "checks": [{"name": "positive", "expr": "amount > 0"}],
    }
    expected = report("pandas", path, rules).to_dict()
    by_rule = {r["rule"]: r for r in expected["results"]}
    assert by_rule["amount.max"]["examples"] == [{"row": 3, "value": 99999.99}]
    assert (
        by_rule["amount.mean"]["status"] == "failed"
        and "cannot evaluate" not in by_rule["amount.mean"]["message"]
    )
    assert by_rule["check.positive"]["examples"] == [
        {"row": 2, "value": "amount=-3.25"},
        {"row": 4, "value": "amount=0"},
    ]
    assert by_rule["units.unique"]["examples"] == [{"row": 4, "value": 4}]
    assert by_rule["wait.min"]["examples"] == [{"row": 0, "value": 1}]
    assert by_rule["day.min"]["failing"] == 1 and by_rule["blob.nullable"]["failing"] == 1
    profile = get_engine("pandas").profile(str(path)).to_json()
    for engine in ENGINES:
        same_results(expected, report(engine, path, rules).to_dict())
        if engine != "spark":
            assert get_engine(engine).profile(str(path)).to_json() == profile


def test_a_csv_with_quoted_line_breaks_and_quotes_reads_alike(tmp_path: Path) -> None:
    """RFC 4180: a quoted field holds a line break and "" for a quote (free-text columns in real exports)."""
    path = tmp_path / "notes.csv"
    path.write_text('id,note,n\n1,"line one\nline two",5\n2,"he said ""hi""",6\n3,plain,7\n4,,8\n')
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {"id": {"type": "integer", "max": 2}, "note": {"allowed": ["plain"]}, "n": {"max": 6}},
    }
    expected = report("pandas", path, rules).to_dict()
    by_rule = {r["rule"]: r for r in expected["results"]}
    assert expected["summary"]["failed"] == 3 and by_rule["id.type"]["status"] == "passed"
    assert [e["value"] for e in by_rule["note.allowed"]["examples"]] == ["line one\nline two", 'he said "hi"']
    for engine in ENGINES:
        same_results(expected, report(engine, path, rules).to_dict())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_means_of_huge_and_subnormal_numbers_agree(engine: str, chunk_rows: int, tmp_path: Path) -> None:
    """Found by tests/test_engine_fuzz_differential.py: the mean of 1e308s was inf in one chunk and 1e308 in
    many, the mean of subnormals 0 when merged, and an overflowed variance inf on pandas but NaN on polars."""
    path = tmp_path / "huge.parquet"
    values = {"h": [1e308] * 4 + [np.nan], "t": [5e-324] * 5, "w": [-1e308, 1e308, 1e308, -1e308, 0.0]}
    pd.DataFrame(values).to_parquet(path, row_group_size=2)
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {
            "h": {"mean": {"max": 1e307}, "std": {"max": 1}},
            "t": {"mean": {"min": 1e-320}},
            "w": {"std": {"max": 1}},
        },
    }
    expected = report("pandas", path, rules, chunk_rows=chunk_rows).to_dict()
    got = report(engine, path, rules, chunk_rows=chunk_rows).to_dict()
    same_results(expected, got)
    messages = {r["rule"]: r["message"] for r in expected["results"]}
    assert messages == {r["rule"]: r["message"] for r in got["results"]}
    assert messages["h.mean"] == "mean 1e+308 (expected <= 1e+307)" and messages["h.std"].startswith("std 0 ")
    assert messages["t.mean"].startswith("mean 4.94066e-324") and messages["w.std"].startswith("std inf")


@pytest.mark.parametrize("declared", ["string", "category"])
def test_a_chunk_of_nulls_in_a_numeric_column_declared_text_changes_nothing(
    declared: str, tmp_path: Path
) -> None:
    """Found by tests/test_engine_fuzz_differential.py: on the pandas engine a Parquet chunk holding only nulls
    of a numeric column declared text was text, the chunks with values numbers: `n == 1` became a type error
    and `min: 0` a numpy message, but only when the chunk boundaries isolated the nulls."""
    path = tmp_path / "typed.parquet"
    pd.DataFrame({"n": pd.array([None, 1, 5], dtype="Int64"), "x": [np.nan, 2.5, 1.0]}).to_parquet(
        path, row_group_size=1
    )
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {"n": {"type": declared, "min": 0}, "x": {"type": declared}},
        "checks": [{"name": "one", "expr": "n == 1"}, {"name": "big", "expr": "x > 2"}],
    }
    answers = [report(e, path, rules, chunk_rows=c).to_dict() for e in ["pandas", *ENGINES] for c in (1, 100)]
    for answer in answers[1:]:
        same_results(answers[0], answer)
    messages = {r["rule"]: r["message"] for r in answers[0]["results"]}
    # numbers are a category's values; under `string` they are type failures, unknown in checks
    failing = "1 of 3 rows fail the expression (33.33%)" if declared == "category" else "0 of 3 rows fail"
    assert messages["check.one"].startswith(failing) and messages["check.big"].startswith(failing)
    assert messages["n.min"] == "0 of 3 rows are below the minimum 0 (0.00%)"


def test_an_expression_and_its_where_both_broken_name_the_same_error(tmp_path: Path) -> None:
    """Found by the engine fuzz test: Spark named the `where`'s error, pandas the expression's."""
    path = tmp_path / "broken.parquet"
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(path)
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {"n": {"type": "integer"}},
        "checks": [{"name": "c0", "expr": "n < 'a'", "where": "(n < 'a') or n > 0"}],
    }
    expected = report("pandas", path, rules).to_dict()
    message = {r["rule"]: r["message"] for r in expected["results"]}["check.c0"]
    assert message.startswith("cannot evaluate") and message.endswith("(at character 3)")
    for engine in ENGINES:
        same_results(expected, report(engine, path, rules).to_dict())
        assert {r["rule"]: r["message"] for r in report(engine, path, rules).to_dict()["results"]}[
            "check.c0"
        ] == message


def test_booleans_and_integers_with_nulls_profile_alike(tmp_path: Path) -> None:
    """A nullable boolean (Spark handed it to pandas as objects: `string`) and integers with a null written
    by Arrow without pandas' metadata (pandas read them as floats: `number`) profile the same everywhere."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "flag": pa.array([True, None, False, True, True], pa.bool_()),
            "n": pa.array([3, None, 1, 2, 2], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "nulls.parquet")
    expected = get_engine("pandas").profile(str(tmp_path / "nulls.parquet"))
    assert {n: c.dtype for n, c in expected.columns.items()} == {"flag": "boolean", "n": "integer"}
    for engine in ENGINES:
        assert get_engine(engine).profile(str(tmp_path / "nulls.parquet")).to_json() == expected.to_json()


@pytest.mark.parametrize("chunk_rows", [2, 4])
def test_a_rule_that_cannot_be_evaluated_counts_nothing_whatever_the_chunking(
    chunk_rows: int, tmp_path: Path
) -> None:
    """Found by the engine fuzz test: a chunk of NaT evaluated before the chunk that raised, so pandas and
    polars reported rows checked where Spark (which refuses before reading) reported none."""
    stamps = [pd.NaT, pd.NaT, pd.Timestamp("2024-01-01", tz="UTC"), pd.NaT]
    pd.DataFrame({"z": pd.Series(stamps, dtype="datetime64[us, UTC]")}).to_parquet(
        tmp_path / "z.parquet", row_group_size=2
    )
    rules = {"kind": "Rules", "version": 1, "columns": {}, "checks": [{"name": "c", "expr": "z > 1"}]}
    expected = report("pandas", tmp_path / "z.parquet", rules, chunk_rows=chunk_rows).to_dict()
    result = {r["rule"]: r for r in expected["results"]}["check.c"]
    assert (result["status"], result["failing"], result["checked"]) == ("failed", 0, 0)
    assert result["message"].startswith("cannot evaluate")
    for engine in ENGINES:
        same_results(expected, report(engine, tmp_path / "z.parquet", rules, chunk_rows=chunk_rows).to_dict())
