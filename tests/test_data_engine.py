"""The chunked engine: partial results merge to the single-pass answer, memory stays bounded by the chunk."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.data.engine import validate
from mlops.data.profile import ProfileBuilder, build_profile
from mlops.data.rules import rules_from_dict
from mlops.data.sketch import HashSet, Moments, QuantileSketch
from mlops.data.source import DataSource

RULES = {
    "kind": "Rules",
    "version": 1,
    "columns": {
        "id": {"type": "integer", "unique": True},
        "x": {
            "type": "number",
            "min": -3,
            "mean": {"min": -0.1, "max": 0.1},
            "std": {"min": 0.9, "max": 1.1},
            "quantiles": {0.5: {"min": -0.05, "max": 0.05}},
        },
        "c": {"type": "string", "allowed": ["a", "b", "c"], "distinct": {"max": 3}},
    },
    "table": {"unique_keys": [["id", "c"]], "duplicate_rows": "error"},
    "checks": [{"name": "bounded", "expr": "x < 3 or c == 'a'"}],
}


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    ids[n // 2] = 7  # one duplicate id, far from its first occurrence
    return pd.DataFrame(
        {
            "id": ids,
            "x": rng.normal(0, 1, n),
            "c": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.299, 0.001]),
        }
    )


def _outcome(report: object) -> dict[str, tuple[str, int, object]]:
    out = {}
    for r in report.results:  # type: ignore[attr-defined]
        observed = r.observed
        if isinstance(observed, float):
            observed = round(observed, 6)
        if isinstance(observed, dict):
            observed = {k: round(v, 3) for k, v in observed.items()}
        out[r.rule] = (r.status, r.failing, observed, tuple(e["row"] for e in r.examples))
    return out


def test_chunks_merge_to_the_single_pass_answer(tmp_path: Path) -> None:
    frame = _frame(20_000)
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=1_500)
    rules = rules_from_dict(RULES)
    source = DataSource.from_path(tmp_path / "d.parquet")
    whole = _outcome(validate(source, rules, chunk_rows=1_000_000))
    assert whole == _outcome(validate(source, rules, chunk_rows=777))
    assert whole["id.unique"][:2] == ("failed", 1)
    assert whole["id.unique"][3] == (10_000,)
    assert whole["c.allowed"][0] == "failed"
    assert whole["x.mean"][2] == round(frame["x"].mean(), 6)
    assert whole["x.std"][2] == round(frame["x"].std(), 6)


def test_progress_is_reported_per_chunk(tmp_path: Path) -> None:
    _frame(5_000).to_parquet(tmp_path / "d.parquet", row_group_size=1_000)
    seen: list[tuple[int, int | None]] = []
    validate(
        DataSource.from_path(tmp_path / "d.parquet"),
        rules_from_dict(RULES),
        chunk_rows=2_000,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2_000, 5_000), (4_000, 5_000), (5_000, 5_000)]


# Run in a child process: peak RSS (ru_maxrss) counts Arrow's and numpy's buffers, which tracemalloc cannot
# see. The baseline is the child's current RSS after the imports, so the figure is the growth validate causes.
_RSS_CHILD = """
import json, os, resource, sys
import pandas, pyarrow.parquet
from mlops.data.engine import validate
from mlops.data.rules import rules_from_dict
from mlops.data.source import DataSource
rules = rules_from_dict(json.loads(sys.argv[2]))
before = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
report = validate(DataSource.from_path(sys.argv[1]), rules, chunk_rows=20_000)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"passed": report.passed, "rows": report.rows, "growth": after - before}))
"""


def _validate_rss_growth(path: Path, rules: dict) -> int:
    """Bytes of peak RSS growth while one `validate` runs over PATH in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(path), json.dumps(rules)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["passed"], result
    return int(result["growth"])


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the current RSS from /proc")
def test_memory_is_bounded_by_the_chunk_not_the_file(tmp_path: Path) -> None:
    n = 400_000
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"v{i}": rng.normal(0, 1, 4 * n) for i in range(6)})
    frame.iloc[:n].to_parquet(tmp_path / "small.parquet", row_group_size=20_000)
    frame.to_parquet(tmp_path / "big.parquet", row_group_size=20_000)
    small_bytes = int(frame.iloc[:n].memory_usage(deep=True).sum())
    del frame
    rules = {
        "kind": "Rules",
        "version": 1,
        "columns": {
            f"v{i}": {"min": -10, "max": 10, "mean": {"min": -1, "max": 1}, "quantiles": {"0.5": {"max": 1}}}
            for i in range(6)
        },
        "checks": [{"name": "sum", "expr": "v0 + v1 < 100"}],
    }
    small = _validate_rss_growth(tmp_path / "small.parquet", rules)
    big = _validate_rss_growth(tmp_path / "big.parquet", rules)
    # four times the rows, read in the same chunks: the memory must not follow the file (reading it whole
    # would add about three times small_bytes, and more for pandas' copies)
    assert big - small < small_bytes, (small, big, small_bytes)


def test_partials_merge_like_one_pass() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 50_000), rng.exponential(2, 70_000)
    whole = np.concatenate([a, b])
    m1, m2 = Moments(), Moments()
    m1.add(a)
    m2.add(b)
    m1.merge(m2)
    assert (
        m1.n == len(whole)
        and m1.mean == pytest.approx(whole.mean())
        and m1.std == pytest.approx(whole.std(ddof=1))
    )
    s1, s2 = QuantileSketch(), QuantileSketch()
    s1.add(a)
    s2.add(b)
    s1.merge(s2)
    probs = [0.01, 0.25, 0.5, 0.9, 0.999]
    ranks = np.searchsorted(np.sort(whole), s1.quantiles(probs)) / len(whole)
    assert np.max(np.abs(ranks - probs)) < 1e-3
    seen = HashSet()
    assert not seen.add(np.array([1, 2, 3], dtype="uint64")).any()
    assert seen.add(np.array([3, 4, 4], dtype="uint64")).tolist() == [True, False, True]
    assert len(seen) == 4
    left, right = ProfileBuilder(), ProfileBuilder()
    frame = pd.DataFrame({"x": whole, "c": np.where(whole > 1, "hi", "lo")})
    left.add(frame.iloc[:60_000])
    right.add(frame.iloc[60_000:])
    left.merge(right)
    from mlops.data.drift import ks_statistic

    merged, single = left.result(), build_profile(frame)
    assert merged.to_dict()["columns"]["c"] == single.to_dict()["columns"]["c"]
    assert merged.columns["x"].count == single.columns["x"].count
    assert ks_statistic(merged.columns["x"], single.columns["x"]) < 1e-3
    single = single.to_dict()
    assert json.loads(build_profile(frame).to_json()) == single


def test_nested_json_cells_do_not_crash(tmp_path: Path) -> None:
    from mlops.api.data import infer_rules
    from mlops.api.data import validate as api_validate

    (tmp_path / "n.jsonl").write_text(
        '{"a": 1, "b": {"x": 1}}\n{"a": "two", "b": [1, 2]}\n{"a": 3, "b": null}\n'
    )
    report = api_validate(
        tmp_path / "n.jsonl",
        {
            "kind": "Rules",
            "version": 1,
            "columns": {
                "a": {"type": "integer", "unique": True},
                "b": {"pattern": "x", "unique": True, "distinct": {"max": 1}},
            },
        },
    )
    res = {r.rule: r for r in report.results}
    assert res["a.type"].failing == 1 and res["b.pattern"].failing == 2
    assert res["b.distinct"].observed == 2 and res["b.unique"].status == "passed"
    assert "kind: Rules" in infer_rules(tmp_path / "n.jsonl")


COLUMN_VALUES = st.lists(
    st.one_of(
        st.none(),
        st.integers(-5, 5),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["a", "b", "", "2024-01-01", "1"]),
        st.booleans(),
    ),
    min_size=0,
    max_size=12,
)


@given(
    st.lists(COLUMN_VALUES, min_size=2, max_size=2),
    st.sampled_from(["integer", "number", "string", "boolean", "datetime", "category"]),
)
@settings(max_examples=80, deadline=None)
def test_any_data_gets_a_report_never_a_crash(columns: list[list[object]], kind: str) -> None:
    size = min(len(c) for c in columns)
    frame = pd.DataFrame(
        {"p": pd.Series(columns[0][:size], dtype=object), "q": pd.Series(columns[1][:size], dtype=object)}
    )
    rules = rules_from_dict(
        {
            "kind": "Rules",
            "version": 1,
            "columns": {
                "p": {
                    "type": kind,
                    "min": 0,
                    "allowed": [1, "a"],
                    "unique": True,
                    "mean": {"max": 3},
                    "quantiles": {0.5: {"max": 2}},
                    "distinct": {"max": 3},
                    "length": {"max": 3},
                    "pattern": "a|1",
                    "max_null_fraction": 0.5,
                },
                "q": {"nullable": False, "forbidden": ["b"], "std": {"max": 1}},
            },
            "table": {"unique_keys": [["p", "q"]], "duplicate_rows": "warn"},
            "checks": [
                {"name": "x", "expr": "p > 1 or q == 'a'"},
                {"name": "y", "expr": "q is null or p in [1, 'a']"},
            ],
        }
    )
    report = validate(DataSource.from_frame(frame), rules, chunk_rows=3)
    assert report.rows == size
    json.dumps(report.to_dict(), default=str)
    build_profile(frame).to_json()


def test_json_lines_records_with_different_keys(tmp_path: Path) -> None:
    (tmp_path / "k.jsonl").write_text('{"a": 1}\n{"a": 2, "b": "x"}\n{"b": "y"}\n')
    rules = rules_from_dict(
        {
            "kind": "Rules",
            "version": 1,
            "columns": {"a": {"type": "integer", "nullable": False}, "b": {"allowed": ["x"]}},
        }
    )
    for rows in (1, 2, 100):
        report = validate(DataSource.from_path(tmp_path / "k.jsonl"), rules, chunk_rows=rows)
        res = {r.rule: r for r in report.results}
        assert res["a.nullable"].examples == [{"row": 2, "value": None}]
        assert res["b.allowed"].examples == [{"row": 2, "value": "y"}]


def test_a_partitioned_parquet_folder_is_one_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mlops.cli import cli

    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"x": np.arange(10), "part": ["a"] * 5 + ["b"] * 5}).to_parquet(
        "ds", partition_cols=["part"]
    )
    Path("r.yaml").write_text(
        "kind: Rules\nversion: 1\ncolumns:\n  x: {max: 7, unique: true}\n  part: {allowed: [a, b]}\n"
    )
    result = CliRunner().invoke(
        cli, ["validate", "ds", "--rules", "r.yaml", "--chunk-rows", "3", "--format", "json"]
    )
    assert result.exit_code == 1
    res = {r["rule"]: r for r in json.loads(result.stdout)["results"]}
    assert res["x.max"]["failing"] == 2 and res["part.allowed"]["status"] == "passed"
    Path("empty").mkdir()
    result = CliRunner().invoke(cli, ["validate", "empty", "--rules", "r.yaml"])
    assert result.exit_code == 2 and "is a folder without .parquet files" in result.stderr


@pytest.mark.parametrize(
    ("values", "mean"),
    [([1e308, 1e308, 1e308], 1e308), ([5e-324, 5e-324], 5e-324), ([-1e308, 1e308, 3.0], 1.0)],
)
def test_moments_do_not_depend_on_how_the_values_are_split(values: list[float], mean: float) -> None:
    """Found by tests/test_engine_fuzz_differential.py: one chunk's sum of 1e308s overflowed (mean inf,
    1e308 over chunks of one row), and a weighted merge of subnormal means underflowed to 0."""
    whole, parts = Moments(), Moments()
    whole.add(np.array(values))
    for v in values:
        parts.add(np.array([v]))
    assert whole.mean == pytest.approx(mean) and parts.mean == pytest.approx(mean)
    assert whole.std == parts.std and not math.isnan(whole.std)


def test_an_overflowed_variance_is_infinite_whichever_kernel_computed_it() -> None:
    moments = Moments()
    moments.merge(Moments(2, 0.0, math.nan, -1e308, 1e308))  # polars' and Spark's variance of +-1e308: NaN
    moments.merge(Moments(1, 0.0, 0.0, 0.0, 0.0))
    assert moments.std == math.inf
