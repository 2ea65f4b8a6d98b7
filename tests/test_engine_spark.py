"""The Spark engine against the pandas engine on the same files: same verdicts, counts, messages and examples.

Every rule kind runs on data with nulls, NaN, infinities, huge and tiny numbers, empty strings, unicode,
timestamps with a zone, and text columns declared numeric, datetime or boolean. One local[2] session serves
the module (tests/spark_fixtures.py); the pattern translation tests need no Spark.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import re2

from mlops.data.engine import validate
from mlops.data.profile import build_profile
from mlops.data.rules import Rules, rules_from_dict
from mlops.data.source import DataSource
from mlops.data.spark import SparkEngine, refused
from mlops.data.spark.patterns import java_pattern, pattern_refusal
from mlops.errors import InputError
from tests.spark_fixtures import spark  # noqa: F401  # the session fixture

N = 48


def _frame() -> pd.DataFrame:
    i = pd.array([None if k % 7 == 3 else (k * 5) % 23 - 4 for k in range(N)], dtype="Int64")
    specials = [np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-308, -0.0, 0.0, 2.5, -2.5]
    x = [specials[k] if k < len(specials) else (k * 0.37) % 5 - 1 for k in range(N)]
    texts = ["", "é", "日本", None, "a\nb", " x", "abc", "b", "a\r", "zz", "a", "Ω"]
    num_text = ["12", "abc", "3.5", None, "1e3", "7", "-2", "12", "", "4"]
    stamps = pd.Series(pd.date_range("2024-01-01", periods=N, freq="37h", tz="UTC"))
    stamps[5] = pd.NaT
    t_text = ["2024-01-01", "not a date", "2024-01-01T10:00:00+02:00", None, "2024-02-30", "2024-03-01 12:00"]
    flags = ["yes", "no", "maybe", None, "TRUE", " n "]
    return pd.DataFrame(
        {
            "id": [k if k != 9 else 4 for k in range(N)],
            "i": i,
            "x": x,
            "s": [texts[k % len(texts)] for k in range(N)],
            "num_text": [num_text[k % len(num_text)] for k in range(N)],
            "t": stamps,
            "t_text": [t_text[k % len(t_text)] for k in range(N)],
            "b": pd.array([None if k % 5 == 0 else k % 3 == 0 for k in range(N)], dtype="boolean"),
            "flag": [flags[k % len(flags)] for k in range(N)],
            "big": [2**62 + (k % 3) for k in range(N)],
        }
    )


COLUMN_RULES: dict[str, Any] = {
    "id": {"type": "integer", "unique": True, "min": 0, "lt": 40},
    "i": {
        "nullable": False,
        "max": 15,
        "gt": -4,
        "mean": {"min": 0, "max": 3},
        "std": {"max": 5},
        "quantiles": {"0.1": {"min": -3}, "0.5": {"max": 5}, "0.9": {"max": 12}},
        "distinct": {"max": 10},
        "max_null_fraction": 0.01,
        "allowed": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "unique": {"value": True, "where": "i > 5"},
    },
    # no mean/std on x: with both 1e308 and -1e308 a sum depends on its order (numpy adds pairwise, Spark in turn)
    "x": {"min": -1e300, "lt": 1e300, "quantiles": {"0.5": {"max": 1}}},
    "s": {
        "pattern": "[a-zé]*",
        "length": {"min": 1, "max": 2},
        "forbidden": ["", "zz"],
        "max": "b",
        "nullable": False,
        "distinct": {"min": 20},
        "unique": True,
    },
    "num_text": {"type": "integer", "min": 5, "allowed": [12, 7], "mean": {"max": 5}},
    "t": {
        "nullable": False,
        "min": "2024-01-05",
        "max": "2024-03-01T00:00:00+00:00",
        "allowed": ["2024-01-01"],
    },
    "t_text": {"type": "datetime", "min": "2024-01-01T05:00:00Z"},
    "b": {"allowed": [True], "type": "boolean", "mean": {"min": 0.5}},
    "flag": {"type": "boolean", "allowed": ["yes"], "forbidden": ["no"]},
    "big": {"unique": True, "distinct": {"max": 2}, "max": 1e18},
    "gone": {"required": False, "min": 1},
}

TABLE_RULES: dict[str, Any] = {
    "table": {
        "rows": {"min": 50},
        "unique_keys": [["s", "b"], ["id"]],
        "duplicate_rows": {"max_fail": 2},
        "extra_columns": "warn",
    },
    "checks": [
        {"name": "ratio", "expr": "x / i > 0.5"},
        {"name": "mod", "expr": "i % 3 == 1"},
        {"name": "concat", "expr": "s + 'z' != 'z'"},
        {"name": "later", "expr": "t > '2024-02-01' or t is null"},
        {"name": "logic", "expr": "x > 0 and i > 3", "max_fail": 0.9},
        {"name": "member", "expr": "not (s in ['a', null])"},
        {"name": "member_not", "expr": "num_text not in [12, 7] and flag in [true]"},
        {"name": "parsed", "expr": "num_text > 5", "where": "i is not null"},
        {"name": "negate", "expr": "-x < 0 or x != x"},
        {"name": "type_error", "expr": "s > 1"},
        {"name": "bad_date", "expr": "t > 'soon'"},
        {"name": "arith", "expr": "(i * 2 - x) / 3 >= -1 and big > 0"},
    ],
}


def _rules(doc: dict[str, Any]) -> Rules:
    return rules_from_dict({"kind": "Rules", "version": 1, **doc})


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "batch.parquet"
    _frame().to_parquet(path)
    return path


def _same(pandas_value: Any, spark_value: Any) -> bool:
    if isinstance(pandas_value, str) and pandas_value in (
        "<NA>",
        "NaT",
    ):  # the pandas engine writes missing values of some dtypes as text
        return spark_value is None
    if isinstance(pandas_value, float) and isinstance(spark_value, float):
        if math.isnan(pandas_value):
            return math.isnan(spark_value)
        return spark_value == pytest.approx(pandas_value, rel=1e-9, abs=1e-12)
    if isinstance(pandas_value, list) and isinstance(spark_value, list):
        return len(pandas_value) == len(spark_value) and all(map(_same, pandas_value, spark_value))
    if isinstance(pandas_value, dict) and isinstance(spark_value, dict):
        return pandas_value.keys() == spark_value.keys() and all(
            _same(pandas_value[k], spark_value[k]) for k in pandas_value
        )
    return bool(pandas_value == spark_value)


def _compare(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> None:
    assert [r["rule"] for r in got] == [r["rule"] for r in expected]
    for want, have in zip(expected, got):
        for key in want:
            assert _same(want[key], have[key]), (
                f"{want['rule']}.{key}: pandas {want[key]!r}, spark {have[key]!r}"
            )


@pytest.mark.spark
@pytest.mark.parametrize("doc", [{"columns": COLUMN_RULES}, TABLE_RULES], ids=["columns", "table"])
def test_every_rule_kind_answers_as_the_pandas_engine(spark: Any, data: Path, doc: dict[str, Any]) -> None:  # noqa: F811
    rules = _rules(doc)
    expected = validate(DataSource.from_path(data), rules)
    got = SparkEngine(spark).validate(str(data), rules)
    assert got.rows == expected.rows == N
    assert got.passed == expected.passed
    assert got.summary() == expected.summary()
    _compare([r.to_dict() for r in expected.results], [r.to_dict() for r in got.results])
    failed = {r.rule for r in got.results if r.status == "failed"}
    exercised = {"s.pattern", "id.unique", "i.quantiles"} if "columns" in doc else {"check.type_error"}
    assert exercised <= failed  # the data exercises them


@pytest.mark.spark
def test_profile_and_drift_match_the_pandas_engine(spark: Any, data: Path, tmp_path: Path) -> None:  # noqa: F811
    # without `t` (the pandas engine's profile of a timestamp with a zone raises a TypeError) and `b` (pandas
    # reads booleans with nulls as objects and profiles them as strings): both are the pandas engine's to fix
    frame = _frame().drop(columns=["t", "b"])
    source = tmp_path / "profiled.parquet"
    frame.to_parquet(source)
    reference = build_profile(DataSource.from_path(source))
    got = SparkEngine(spark).profile(str(source))
    want, have = reference.to_dict(), got.to_dict()
    # Spark hands integers with nulls to the executors' pandas as floats; the profile still says integer
    assert have["columns"]["i"]["dtype"] == want["columns"]["i"]["dtype"] == "integer"
    assert have == want
    shifted = frame.assign(x=frame["x"] + 3, s=frame["s"].where(frame.index % 2 == 0, "new"))
    path = tmp_path / "shifted.parquet"
    shifted.to_parquet(path)
    doc = {
        "columns": {"id": {"unique": True}},
        "drift": {
            "reference": "ref.json",
            "drift_share": 0.3,
            "max_null_rate_change": 0.01,
            "max_new_category_rate": 0.1,
        },
    }
    rules = _rules(doc)
    expected = validate(DataSource.from_path(path), rules, reference=reference)
    report = SparkEngine(spark).validate(str(path), rules, reference=reference)
    assert report.drift is not None and expected.drift is not None
    assert report.drift["drifted"] == expected.drift["drifted"] and "x" in report.drift["drifted"]
    _compare([r.to_dict() for r in expected.results], [r.to_dict() for r in report.results])


@pytest.mark.spark
def test_examples_are_numbered_in_read_order_across_partitions(spark: Any) -> None:  # noqa: F811
    df = spark.range(0, 3000, numPartitions=3).selectExpr("id", "id % 1000 as k")
    rules = _rules({"columns": {"id": {"max": 10}, "k": {"unique": True}}})
    report = SparkEngine(spark).validate(df, rules)
    by_id = {r.rule: r for r in report.results}
    assert by_id["id.max"].failing == 2989
    assert [e["row"] for e in by_id["id.max"].examples] == list(range(11, 31))
    assert [e["value"] for e in by_id["id.max"].examples] == list(range(11, 31))
    assert by_id["k.unique"].failing == 2000
    assert [e["row"] for e in by_id["k.unique"].examples] == list(range(1000, 1020))


@pytest.mark.spark
def test_tables_csv_and_json_lines_are_read(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    frame = pd.DataFrame({"a": [1, 2, None], "s": ["x", "y", "z"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    spark.createDataFrame(frame.astype({"a": "float64"})).createOrReplaceTempView("batch_view")
    rules = _rules({"columns": {"a": {"nullable": False, "max": 1}, "s": {"allowed": ["x", "y"]}}})
    for source in (tmp_path / "d.csv", tmp_path / "d.jsonl"):
        expected = validate(DataSource.from_path(source), rules)
        got = SparkEngine(spark).validate(str(source), rules)
        _compare([r.to_dict() for r in expected.results], [r.to_dict() for r in got.results])
    table = SparkEngine(spark).validate("batch_view", rules)
    assert table.data == "batch_view" and [r.failing for r in table.results] == [0, 1, 1, 0, 1]
    with pytest.raises(InputError, match="no such file or table"):
        SparkEngine(spark).validate("no_such_table_here", rules)


@pytest.mark.spark
@pytest.mark.parametrize(
    "pattern",
    [
        ".*",
        "a.b",
        "[a-z]+$",
        r"\s*x",
        r"\S+",
        r"[\s,]+",
        r"\d{2,3}",
        "[]a]+",
        "[^]a]*",
        r"a\vb",
        "é|日本",
        r"\p{L}+",
    ],
)
def test_java_patterns_match_what_re2_matches(spark: Any, pattern: str) -> None:  # noqa: F811
    texts = [
        "",
        "a",
        "ab",
        "a\nb",
        "a\rb",
        "a\u2028b",
        "x\n",
        " x",
        "\x0bx",
        "a,b",
        "12",
        "123",
        "]a",
        "é",
        "日本",
        "ab\u0085",
    ]
    df = spark.createDataFrame([(t,) for t in texts], "t string")
    from pyspark.sql import functions as F

    got = [r["m"] for r in df.select(F.col("t").rlike(java_pattern(pattern)).alias("m")).collect()]
    assert got == [re2.fullmatch(pattern, t) is not None for t in texts]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?i)abc", "inline flags"),
        (r"\bword", "read differently"),
        ("[[:alpha:]]+", "inside a class"),
        ("[a-z&&[^c]]", "intersection"),
        ("[a&&b]", "intersection"),
        ("a{,3}", "literal `{`"),
        (r"\p{Greek}", "Unicode categories"),
        (r"\Qa.b\E", "read differently"),
    ],
)
def test_patterns_java_reads_differently_are_refused_before_a_run(pattern: str, why: str) -> None:
    problem = pattern_refusal(pattern)
    assert problem is not None and why in problem
    rules = _rules({"columns": {"s": {"pattern": pattern}, "t": {"pattern": "[a-z]+"}}})
    assert refused(rules) == [f"s.pattern: the spark engine cannot run this pattern: {problem}"]
    with pytest.raises(InputError, match="cannot run this pattern"):
        SparkEngine(session=object()).validate("unused", rules)


@pytest.mark.spark
def test_huge_whole_floats_are_integers_as_on_pandas(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    """Found by tests/test_engine_fuzz_differential.py: Spark's floor is a long, so -1e308 (a whole number)
    failed `type: integer` there, and was then left out of the column's other rules (its std, its max)."""
    path = tmp_path / "huge.parquet"
    pd.DataFrame({"f": [-1e308, 1e308, 2.5, 3.0, np.nan], "t": ["-1e308", "2.5", "4", None, "x"]}).to_parquet(
        path
    )
    rules = _rules({"columns": {"f": {"type": "integer", "max": 10}, "t": {"type": "integer", "min": 0}}})
    expected = validate(DataSource.from_path(path), rules)
    report = SparkEngine(spark).validate(str(path), rules)
    _compare([r.to_dict() for r in expected.results], [r.to_dict() for r in report.results])
    failing = {r.rule: r.failing for r in report.results}
    assert failing == {"f.required": 0, "f.type": 1, "f.max": 1, "t.required": 0, "t.type": 2, "t.min": 1}
