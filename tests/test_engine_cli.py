"""Engine selection through the CLI: --engine, mlops.yaml `engine:`, a missing engine, lint, pipelines."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlops.data.engines import default_name, get_engine, installed
from tests.conftest import git, invoke, write

RULES = (
    "kind: Rules\nversion: 1\ncolumns:\n  age: {type: integer, min: 0, max: 120}\n  plan: {allowed: [a, b]}\n"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    pd.DataFrame({"age": [1, 200, 30, None], "plan": ["a", "c", "b", None]}).to_parquet(
        tmp_path / "d.parquet"
    )
    write(tmp_path, "rules/r.yaml", RULES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_validate_with_each_engine_reports_the_same_failures(repo: Path, engine: str) -> None:
    code, out, _ = invoke("validate", "d.parquet", "--rules", "rules/r.yaml", "--engine", engine, "--json")
    assert code == 1
    results = {r["rule"]: r for r in json.loads(out)["results"]}
    assert results["age.max"]["failing"] == 1
    assert results["age.max"]["examples"] == [{"row": 1, "value": 200}]  # a float column: 200.0 is 200
    assert results["plan.allowed"]["examples"] == [{"row": 1, "value": "c"}]


def test_unknown_engine_is_a_usage_error(repo: Path) -> None:
    code, _, err = invoke("validate", "d.parquet", "--rules", "rules/r.yaml", "--engine", "duckdb")
    assert code == 2
    assert "duckdb" in err


def test_missing_engine_names_the_install_command(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if (
            name.startswith("pyspark")
            or name == "mlops.data.spark"
            or (name == "mlops.data" and args[2:3] == (("spark",),))
        ):
            raise ImportError("No module named 'pyspark'", name="pyspark")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    code, _, err = invoke("validate", "d.parquet", "--rules", "rules/r.yaml", "--engine", "spark")
    assert code == 2
    assert "the spark engine needs `pyspark`" in err and "pip install 'git-mlops[spark]'" in err


def test_missing_polars_named_in_mlops_yaml(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: polars\n")
    monkeypatch.setattr("mlops.data.engines.installed", lambda name: name == "pandas")
    code, _, err = invoke("profile", "d.parquet")
    assert code == 2
    assert "pip install 'git-mlops[polars]'" in err


def test_mlops_yaml_engine_is_the_default(repo: Path) -> None:
    assert default_name(repo) == ("polars" if installed("polars") else "pandas")
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: pandas\n")
    assert default_name(repo) == "pandas"
    assert get_engine(None, repo).name == "pandas"
    assert get_engine("polars", repo).name == "polars"  # --engine wins over mlops.yaml


def test_mlops_yaml_rejects_an_unknown_engine(repo: Path) -> None:
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: duckdb\n")
    code, out, err = invoke("lint")
    assert code == 1
    assert "mlops.yaml:3" in out + err


@pytest.mark.parametrize("command", ["profile", "infer-rules"])
def test_profile_and_infer_rules_take_an_engine(repo: Path, command: str) -> None:
    code, out, _ = invoke(command, "d.parquet", "--engine", "polars")
    assert code == 0
    assert "age" in out


def test_monitor_accepts_engine(repo: Path) -> None:
    code, out, err = invoke("monitor", "--help")
    assert code == 0 and "--engine" in out and "--input-format" in out


def test_lint_refuses_a_rule_the_named_engine_cannot_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    fake = types.ModuleType("mlops.data.fakespark")
    fake.unsupported = lambda rule: "no patterns here" if rule.check == "pattern" else None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlops.data.spark", fake)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object())
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: spark\n")
    write(repo, "rules/r.yaml", RULES + "  email: {pattern: '[a-z]+'}\n")
    code, out, err = invoke("lint")
    assert code == 1
    assert "rule `email.pattern` cannot run on the spark engine" in out + err
    write(repo, "rules/r.yaml", RULES)
    assert invoke("lint")[0] == 0


def test_validate_stage_passes_its_engine(repo: Path) -> None:
    write(
        repo,
        "pipelines/p.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  check:\n    validate: d.parquet\n    rules: rules/r.yaml\n"
        "    engine: pandas\n",
    )
    code, out, err = invoke("compile")
    assert code == 0, out + err
    assert "--engine pandas" in (repo / "dvc.yaml").read_text()


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_example_values_read_the_same_whatever_the_engine_holds(tmp_path: Path, engine: str) -> None:
    """An integer column with a missing value (pandas holds that chunk as floats, polars as integers) and a
    nullable integer from Parquet (pd.NA in pandas): the examples a user reads are the same on every engine,
    in single values and in row texts."""
    rules = (
        "kind: Rules\nversion: 1\ncolumns:\n  n: {type: integer, max: 10}\n"
        "table:\n  unique_keys: [[k, n]]\nchecks:\n  - {name: small, expr: 'n < 10 or id > 3'}\n"
    )
    write(tmp_path, "r.yaml", rules)
    write(tmp_path, "d.csv", "id,n,k\n1,52,a\n2,,a\n3,,a\n4,60,b\n5,3,b\n")
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "n": pd.array([52, None, None, 60, 3], dtype="Int64"),
            "k": ["a", "a", "a", "b", "b"],
        }
    ).to_parquet(tmp_path / "d.parquet")
    for data in ("d.csv", "d.parquet"):
        code, out, err = invoke(
            "validate",
            str(tmp_path / data),
            "--rules",
            str(tmp_path / "r.yaml"),
            "--engine",
            engine,
            "--json",
        )
        assert code == 1, err
        results = {r["rule"]: r["examples"] for r in json.loads(out)["results"]}
        assert results["n.max"] == [{"row": 0, "value": 52}, {"row": 3, "value": 60}], data
        assert results["check.small"] == [{"row": 0, "value": "n=52, id=1"}], data
        assert results["table.unique_key.k+n"] == [{"row": 2, "value": "k=a, n=None"}], data
        assert '"value": 52.0' not in out and "<NA>" not in out


def test_example_values_are_written_by_what_they_are() -> None:
    import math

    import numpy as np

    from mlops.data.columns import jsonable, row_text

    assert [jsonable(v) for v in (52.0, np.float64(-0.0), np.int64(7), 2.5, np.float32(0.5))] == [
        52,
        0,
        7,
        2.5,
        0.5,
    ]
    assert all(type(jsonable(v)) is int for v in (52.0, np.float64(3.0), np.int32(3)))
    assert [jsonable(v) for v in (None, math.nan, np.nan, pd.NA, pd.NaT, np.datetime64("NaT"))] == [None] * 6
    assert [jsonable(v) for v in (math.inf, -math.inf, float(2**53), True)] == [
        "inf",
        "-inf",
        float(2**53),
        True,
    ]
    stamp = pd.Timestamp("2024-03-01 12:00", tz="Europe/Paris")
    assert jsonable(stamp) == "2024-03-01T12:00:00+01:00"
    assert row_text(["a", "b", "c"], [52.0, pd.NA, "x"]) == "a=52, b=None, c=x"
