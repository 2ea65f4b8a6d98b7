"""`--engine spark` and `engine: spark` through the CLI: the same answers as the local engines, a pattern Java
would read differently refused by lint before any data is read, profiles from Spark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import git, invoke, write
from tests.spark_fixtures import spark  # noqa: F401 - the session fixture: small memory, no UI

pytestmark = pytest.mark.spark

RULES = (
    "kind: Rules\nversion: 1\ncolumns:\n  age: {type: integer, min: 0, max: 120}\n  plan: {allowed: [a, b]}\n"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spark: Any) -> Path:  # noqa: F811
    git(tmp_path, "init", "-q")
    pd.DataFrame({"age": [1, 200, 30, None], "plan": ["a", "c", "b", None]}).to_parquet(
        tmp_path / "d.parquet"
    )
    write(tmp_path, "rules/r.yaml", RULES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_on_spark_reports_what_the_local_engines_report(repo: Path) -> None:
    answers = {}
    for engine in ("pandas", "spark"):
        code, out, err = invoke(
            "validate", "d.parquet", "--rules", "rules/r.yaml", "--engine", engine, "--json"
        )
        assert code == 1, out + err
        answers[engine] = {
            r["rule"]: (r["status"], r["failing"], r["examples"]) for r in json.loads(out)["results"]
        }
    assert answers["spark"] == answers["pandas"]
    assert answers["spark"]["age.max"] == ("failed", 1, [{"row": 1, "value": 200.0}])


def test_engine_spark_in_mlops_yaml_makes_lint_refuse_a_pattern_java_reads_differently(repo: Path) -> None:
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: spark\n")
    write(repo, "rules/p.yaml", "kind: Rules\nversion: 1\ncolumns:\n  plan: {pattern: '\\bpro'}\n")
    code, out, err = invoke("lint")
    assert code == 1, out + err
    assert "rules/p.yaml" in out + err and "spark engine" in out + err
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\nengine: pandas\n")
    code, out, err = invoke("lint")
    assert code == 0, out + err


def test_a_validate_stage_on_spark_makes_lint_refuse_what_spark_cannot_run(repo: Path) -> None:
    """The engine a stage names (not only mlops.yaml's) is checked at lint time, in the rules file it reads."""
    write(repo, "rules/p.yaml", "kind: Rules\nversion: 1\ncolumns:\n  plan: {pattern: '\\bpro'}\n")
    stage = (
        "kind: Pipeline\nversion: 1\nstages:\n  check:\n    validate: d.parquet\n    rules: rules/p.yaml\n"
    )
    write(repo, "pipelines/p.yaml", stage + "    engine: spark\n")
    code, out, err = invoke("lint")
    assert code == 1, out + err
    assert "rules/p.yaml" in out + err and "spark engine (stage `check` in pipelines/p.yaml)" in out + err
    write(repo, "pipelines/p.yaml", stage + "    engine: pandas\n")
    code, out, err = invoke("lint")
    assert "spark engine" not in out + err, out + err


def test_profile_on_spark(repo: Path) -> None:
    code, out, err = invoke("profile", "d.parquet", "--engine", "spark", "-o", "p.json")
    assert code == 0, out + err
    profile = json.loads((repo / "p.json").read_text())
    assert profile["rows"] == 4


def test_infer_rules_on_spark_writes_what_the_local_engines_write(repo: Path) -> None:
    """The same starter file, never-repeating ids and codes (`unique: true`) included, named as given."""
    ids = pd.DataFrame({"id": range(30), "code": [f"c{i}" for i in range(30)], "group": ["a", "b", "c"] * 10})
    ids.to_parquet(repo / "ids.parquet")
    written = {}
    for engine in ("pandas", "spark"):
        code, out, err = invoke("infer-rules", "ids.parquet", "--engine", engine, "-o", f"{engine}.yaml")
        assert code == 0, out + err
        written[engine] = (repo / f"{engine}.yaml").read_text()
    assert written["spark"].count("unique: true") == 2 and "from ids.parquet (30 rows)" in written["spark"]
    assert written["spark"] == written["pandas"]


SPARK_DEFAULTS = """spark.master                      local[2]
spark.driver.memory               512m
spark.ui.enabled                  false
spark.ui.showConsoleProgress      false
spark.sql.shuffle.partitions      4
spark.sql.catalogImplementation   hive
spark.sql.warehouse.dir           {root}/warehouse
spark.driver.extraJavaOptions     -Dderby.system.home={root}/metastore
"""


@pytest.mark.slow
def test_a_table_in_the_metastore_is_validated_from_a_fresh_process(tmp_path: Path) -> None:
    """What a user does: a table another job wrote to the (Hive) metastore, `mlops validate` and `profile` in a
        new process, pointed at the cluster by Spark's own configuration (SPARK_CONF_DIR/spark-defaults.conf). A
    missing table is exit 2: tests/test_engine_spark_monitor.py."""
    import os
    import subprocess
    import sys

    write(tmp_path, "conf/spark-defaults.conf", SPARK_DEFAULTS.format(root=tmp_path))
    write(tmp_path, "rules/r.yaml", RULES)
    env = {**os.environ, "SPARK_CONF_DIR": str(tmp_path / "conf")}
    writer = (
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.getOrCreate()\n"
        "s.createDataFrame([(1, 200, 'a'), (2, 30, 'c'), (3, 40, 'b')], 'id long, age long, plan string')"
        ".write.saveAsTable('events')\n"
    )
    subprocess.run([sys.executable, "-c", writer], cwd=tmp_path, env=env, check=True, capture_output=True)

    def mlops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    got = mlops("validate", "default.events", "--rules", "rules/r.yaml", "--engine", "spark", "--json")
    assert got.returncode == 1, got.stderr
    # rows are numbered in Spark's scan of the table's files (see the guide), so only the values are fixed
    results = {
        r["rule"]: (r["failing"], [e["value"] for e in r["examples"]])
        for r in json.loads(got.stdout)["results"]
    }
    assert results["age.max"] == (1, [200]) and results["plan.allowed"] == (1, ["c"])


def test_a_parquet_file_of_nanosecond_timestamps_says_how_to_write_it(repo: Path) -> None:
    """pandas writes nanosecond timestamps by default, and Spark refuses them: exit 2 with the way out."""
    frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-01 00:00:00.000000001"]), "age": [1], "plan": ["a"]})
    frame.to_parquet(repo / "ns.parquet")  # TIMESTAMP(NANOS)
    code, _, err = invoke("validate", "ns.parquet", "--rules", "rules/r.yaml", "--engine", "spark")
    assert code == 2, err
    assert "Spark reads no nanosecond timestamps" in err and "coerce_timestamps='us'" in err
    frame.to_parquet(repo / "us.parquet", coerce_timestamps="us", allow_truncated_timestamps=True)
    code, out, err = invoke("validate", "us.parquet", "--rules", "rules/r.yaml", "--engine", "spark")
    assert code == 0, out + err


def test_an_empty_csv_and_broken_json_lines_are_exit_2_as_on_the_local_engines(repo: Path) -> None:
    """Spark read an empty file as no columns and kept broken lines as a `_corrupt_record` column (exit 1)."""
    write(repo, "empty.csv", "")
    write(repo, "bad.jsonl", '{"age": 1, "plan": "a"}\n{"age": 2\nnot json\n')
    for name, reason in (("empty.csv", "empty file"), ("bad.jsonl", "a line is not a JSON object")):
        for engine in ("pandas", "spark"):
            code, out, err = invoke("validate", name, "--rules", "rules/r.yaml", "--engine", engine)
            assert code == 2, (engine, out + err)
        assert reason in err
