"""`mlops validate` end to end: column, table and expression rules, modifiers, reports, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mlops.cli import cli
from tests.conftest import invoke

CSV = """\
customer_id,age,plan,email,refund,monthly_spend,signup
c1,25,basic,a@b.com,0,10,2024-01-05
c2,17,pro,bad,5,3,2024-02-01
c2,abc,gold,,1,2,2023-12-31
c4,40,enterprise,z@w.org,,50,2024-03-01
c5,33,pro,q@r.net,2,20,2024-03-02
"""

RULES = """\
kind: Rules
version: 1
columns:
  customer_id: {type: string, unique: true, nullable: false}
  age: {type: integer, min: 18, max: 120}
  plan: {type: string, allowed: [basic, pro, enterprise]}
  email: {type: string, pattern: '^[^@]+@[^@]+$', max_null_fraction: 0.01, severity: warn}
  signup: {type: datetime, min: "2024-01-01"}
table:
  rows: {min: 3}
checks:
  - name: refund_not_above_spend
    expr: refund <= monthly_spend
"""


run = invoke  # exit code, stdout, stderr (tests.conftest)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rule"]: r for r in report["results"]}


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data.csv", CSV)
    write(tmp_path / "rules.yaml", RULES)
    return tmp_path


def test_failing_rules_exit_1_with_a_json_report(case: Path) -> None:
    code, out, err = run("validate", "data.csv", "--rules", "rules.yaml", "--report", "reports/check.json")
    assert code == 1, err
    assert "FAIL age.min: 1 of 5 rows are below the minimum 18" in out
    assert "data.csv: FAILED against rules.yaml" in out
    assert "error rules failed in rules.yaml" in err
    report = json.loads((case / "reports/check.json").read_text())
    assert report["passed"] is False
    assert set(report["summary"]) == {"rules", "passed", "failed", "skipped", "errors", "warnings", "infos"}
    res = results(report)
    assert res["age.type"]["status"] == "failed"
    assert res["age.type"]["examples"] == [{"row": 2, "value": "abc"}]
    assert res["age.min"]["examples"] == [{"row": 1, "value": 17}]
    assert res["age.max"]["status"] == "passed"
    assert res["customer_id.unique"]["examples"] == [{"row": 2, "value": "c2"}]
    assert res["plan.allowed"]["failing"] == 1 and res["plan.allowed"]["failing_fraction"] == 0.2
    assert res["email.pattern"]["severity"] == "warn" and res["email.pattern"]["status"] == "failed"
    assert res["email.max_null_fraction"]["observed"] == 0.2
    assert res["signup.min"]["examples"] == [{"row": 2, "value": "2023-12-31"}]
    assert res["table.rows"]["status"] == "passed" and res["table.rows"]["observed"] == 5
    # null refund: unknown, which passes (SQL CHECK semantics)
    assert res["check.refund_not_above_spend"]["failing"] == 1
    for r in report["results"]:
        assert set(r) >= {"rule", "status", "severity", "failing", "failing_fraction", "examples", "message"}


def test_warnings_alone_pass_with_exit_0(case: Path) -> None:
    write(case / "ok.csv", "id,email\n1,a@b.com\n2,bad\n3,\n")
    write(
        case / "warn.yaml",
        "kind: Rules\nversion: 1\ncolumns:\n  id: {type: integer, unique: true}\n"
        "  email: {pattern: '^[^@]+@[^@]+$', severity: warn}\n",
    )
    code, out, _ = run("validate", "ok.csv", "--rules", "warn.yaml")
    assert code == 0
    assert "WARN email.pattern" in out and "passed against warn.yaml" in out


def test_modifiers_max_fail_count_fraction_percent_and_where(case: Path) -> None:
    rows = "x,kind\n" + "".join(f"{-1 if i < 3 else i},{'test' if i < 2 else 'live'}\n" for i in range(100))
    write(case / "m.csv", rows)
    write(
        case / "m.yaml",
        """\
kind: Rules
version: 1
columns:
  x: {min: {value: 0, max_fail: 3}}
checks:
  - {name: count_too_low, expr: x >= 0, max_fail: 2}
  - {name: fraction, expr: x >= 0, max_fail: 0.05}
  - {name: percent, expr: x >= 0, max_fail: "2%"}
  - {name: live_only, expr: x >= 0, where: "kind == 'live'"}
  - {name: info_only, expr: x >= 0, severity: info}
""",
    )
    code, _, _ = run("validate", "m.csv", "--rules", "m.yaml", "--report", "m.json")
    res = results(json.loads((case / "m.json").read_text()))
    assert res["x.min"]["status"] == "passed" and res["x.min"]["failing"] == 3
    assert res["check.count_too_low"]["status"] == "failed"
    assert res["check.fraction"]["status"] == "passed"
    assert res["check.percent"]["status"] == "failed"
    assert res["check.live_only"]["failing"] == 1 and res["check.live_only"]["checked"] == 98
    assert res["check.info_only"]["status"] == "failed" and res["check.info_only"]["severity"] == "info"
    assert code == 1


def test_table_rules(case: Path) -> None:
    write(case / "t.csv", "a,b,c\n1,x,1\n1,x,1\n2,y,3\n2,z,4\n")
    write(
        case / "t.yaml",
        """\
kind: Rules
version: 1
columns:
  a: {type: integer}
  b: {type: string, distinct: {max: 2}}
table:
  rows: {max: 3}
  required_columns: [a, d]
  extra_columns: error
  unique_keys: [[a, b]]
  duplicate_rows: warn
""",
    )
    code, out, _ = run("validate", "t.csv", "--rules", "t.yaml", "--format", "json")
    assert code == 1
    res = results(json.loads(out))
    assert res["table.rows"]["status"] == "failed"
    assert res["table.required_columns.d"]["status"] == "failed"
    assert res["table.extra_columns"]["observed"] == ["c"]
    assert res["table.unique_key.a+b"]["failing"] == 1
    assert res["table.unique_key.a+b"]["examples"][0]["row"] == 1
    assert res["table.duplicate_rows"]["severity"] == "warn" and res["table.duplicate_rows"]["failing"] == 1
    assert res["b.distinct"]["observed"] == 3 and res["b.distinct"]["status"] == "failed"


def test_statistics_rules(case: Path) -> None:
    write(case / "s.csv", "v\n" + "".join(f"{i}\n" for i in range(1, 101)))
    write(
        case / "s.yaml",
        """\
kind: Rules
version: 1
columns:
  v:
    mean: {min: 50, max: 51}
    std: {max: 10}
    quantiles: {0.5: {min: 50, max: 51}, 0.9: {max: 80}}
    length: {max: 2}
""",
    )
    code, out, _ = run("validate", "s.csv", "--rules", "s.yaml", "--format", "json")
    res = results(json.loads(out))
    assert res["v.mean"]["status"] == "passed" and res["v.mean"]["observed"] == pytest.approx(50.5)
    assert res["v.std"]["status"] == "failed"
    assert res["v.quantiles"]["status"] == "failed" and "q0.9" in res["v.quantiles"]["message"]
    assert res["v.length"]["failing"] == 1  # "100"
    assert code == 1


def test_hostile_expressions_are_located_errors_and_nothing_runs(case: Path) -> None:
    sentinel = case / "PWNED"
    write(
        case / "evil.yaml",
        f"""\
kind: Rules
version: 1
columns:
  age: {{where: "age > 3 and __class__ == 1"}}
checks:
  - name: evil
    expr: __import__('os').system('touch {sentinel}')
  - name: attr
    expr: "refund.real > 0"
  - name: lam
    expr: '(lambda x: x)(1)'
  - name: call
    expr: open('/etc/passwd')
  - name: subscript
    expr: refund[0] > 1
""",
    )
    code, out, err = run("validate", "data.csv", "--rules", "evil.yaml")
    assert code == 2 and out == ""
    assert not sentinel.exists()
    lines = err.strip().splitlines()
    assert (
        lines[0]
        == "mlops: error: evil.yaml:4:29: error: where: names starting with `__` are not allowed (`__class__`)"
    )
    assert (
        "evil.yaml:7:11: error: check `evil`: names starting with `__` are not allowed (`__import__`)"
        in lines
    )
    assert "evil.yaml:9:18: error: check `attr`: attribute access is not allowed in expressions" in lines
    assert "evil.yaml:11:13: error: check `lam`: `lambda` is not part of the expression language" in lines
    assert "evil.yaml:13:15: error: check `call`: function calls are not allowed in expressions" in lines
    assert "evil.yaml:15:17: error: check `subscript`: subscripts are not allowed in expressions" in lines
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("age == ", "expression ends early"),
        ("age = 3", "unexpected `=`: use `==` to compare"),
        ("age > 3 && plan == 'x'", "use `and`"),
        ("1 < age < 3", "chained comparisons"),
        ("plan in []", "empty list"),
        ("'unterminated", "unterminated string"),
        ("age $ 3", "unexpected character `$`"),
    ],
)
def test_expression_syntax_errors(bad: str, expected: str) -> None:
    from mlops.data.expr import ExprError, parse

    with pytest.raises(ExprError) as info:
        parse(bad)
    assert expected in info.value.message


def test_expression_semantics() -> None:
    import pandas as pd

    from mlops.data.evaluate import Evaluator
    from mlops.data.expr import parse

    frame = pd.DataFrame(
        {
            "a": [1.0, None, 3.0, 4.0],
            "s": ["x", "y", None, "z"],
            "b": [True, False, True, False],
            "t": pd.to_datetime(["2024-01-01", "2024-06-01", None, "2025-01-01"]),
        }
    )
    ev = Evaluator(frame)

    def truth(text: str) -> list[Any]:
        true, null = ev.mask(parse(text))
        return [None if n else bool(t) for t, n in zip(true, null)]

    assert truth("a > 2") == [False, None, True, True]
    assert truth("a > 2 or b") == [True, None, True, True]
    assert truth("a > 2 and b") == [False, False, True, False]
    assert truth("not (a > 2)") == [True, None, False, False]
    assert truth("a is null") == [False, True, False, False]
    assert truth("s is not null and s in ['x', 'z']") == [True, False, False, True]
    assert truth("s not in ['x']") == [False, True, None, True]
    assert truth("(a + 1) * 2 % 5 == 4") == [True, None, False, False]
    assert truth("-a < -2") == [False, None, True, True]
    assert truth("t >= '2024-06-01'") == [False, True, None, True]
    assert truth("s == 'y' or `a` / 0 > 1") == [None, True, None, None]


def test_expression_type_mismatch_fails_the_rule_with_a_message(case: Path) -> None:
    write(case / "x.yaml", "kind: Rules\nversion: 1\nchecks:\n  - {name: weird, expr: plan > 3}\n")
    code, out, _ = run("validate", "data.csv", "--rules", "x.yaml")
    assert code == 1
    assert "check.weird: cannot evaluate: cannot apply `>` to a string and a number" in out


def test_missing_column_and_type_mismatch_are_failed_rules(case: Path) -> None:
    write(
        case / "x.yaml",
        "kind: Rules\nversion: 1\ncolumns:\n  agee: {type: integer, min: 0}\n"
        "  plan: {type: integer}\n  opt: {required: false, min: 3}\nchecks:\n  - {name: c, expr: nothere > 1}\n",
    )
    code, out, err = run("validate", "data.csv", "--rules", "x.yaml", "--verbose")
    assert code == 1
    assert "FAIL agee.required: column `agee` is not in the data (did you mean `age`?)" in out
    assert "skip agee.min: column `agee` is absent" in out
    assert "skip opt.required: optional column `opt` is absent" in out
    assert 'FAIL plan.type: 5 of 5 rows are not of type integer (100.00%) e.g. row 0: "basic"' in out
    assert "FAIL check.c: column `nothere` is not in the data" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("data.xlsx", b"PK\x03\x04", "unknown data file extension `.xlsx`"),
        ("trunc.parquet", b"PAR1\x00\x01\x02", "trunc.parquet: cannot read as PARQUET"),
        ("empty.csv", b"", "empty.csv: cannot read as CSV"),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', "bad.jsonl: cannot read as JSONL"),
    ],
)
def test_unreadable_data_exits_2_with_one_line(
    case: Path, name: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        (case / name).write_bytes(content)
    code, out, err = run("validate", name, "--rules", "rules.yaml")
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_broken_rules_file_exits_2_located(case: Path) -> None:
    write(case / "bad.yaml", "kind: Rules\nversion: 1\ncolumns:\n  age: {type: integr}\n")
    code, _, err = run("validate", "data.csv", "--rules", "bad.yaml")
    assert code == 2
    assert err.startswith("mlops: error: bad.yaml:4:")
    code, _, err = run("validate", "data.csv", "--rules", "nope.yaml")
    assert code == 2 and "nope.yaml: no such file" in err


def test_parquet_jsonl_and_chunks_give_the_same_results(case: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(
        case / "data.csv",
        dtype={"customer_id": "str", "plan": "str", "email": "str", "age": "str", "signup": "str"},
    )
    frame.to_parquet(case / "data.parquet")
    frame.to_json(case / "data.jsonl", orient="records", lines=True)

    def outcome(*args: str) -> dict[str, tuple[str, int, list[Any]]]:
        code, out, err = run("validate", *args, "--rules", "rules.yaml", "--format", "json")
        assert code == 1, err
        return {
            r["rule"]: (r["status"], r["failing"], [e["row"] for e in r["examples"]])
            for r in json.loads(out)["results"]
        }

    base = outcome("data.csv")
    assert outcome("data.parquet") == base
    assert outcome("data.jsonl") == base
    assert outcome("data.csv", "--chunk-rows", "2") == base
    assert outcome("data.parquet", "--chunk-rows", "1") == base
    (case / "data.txt").write_text(CSV)
    assert outcome("data.txt", "--input-format", "csv") == base


def test_markdown_and_html_reports(case: Path) -> None:
    code, out, _ = run(
        "validate",
        "data.csv",
        "--rules",
        "rules.yaml",
        "--format",
        "markdown",
        "--report",
        "r.html",
        "--report",
        "r.md",
    )
    assert code == 1
    assert out.startswith("### :x: Data validation: `data.csv` against `rules.yaml`")
    assert "| error | `age.min` | 1 (20.00%) |" in out
    assert (case / "r.md").read_text() == out
    page = (case / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script" not in page and 'src="http' not in page and "<link" not in page  # self-contained


def test_help_has_examples() -> None:
    for name in ("validate", "profile", "infer-rules"):
        code, out, _ = run(name, "--help")
        assert code == 0 and "Examples:" in out


def test_examples_rules_load(case: Path) -> None:
    from mlops.data.rules import load_rules

    examples = Path(__file__).parent / "examples" / "rules" / "good"
    for path in examples.glob("*.yaml"):
        assert load_rules(path).rules


def test_patterns_run_on_re2_so_hostile_ones_cannot_hang(case: Path) -> None:
    import time

    write(case / "slow.csv", "s\n" + "a" * 5000 + "!\n")
    write(case / "slow.yaml", "kind: Rules\nversion: 1\ncolumns:\n  s: {pattern: '(a+)+$'}\n")
    start = time.perf_counter()
    code, out, _ = run("validate", "slow.csv", "--rules", "slow.yaml")
    assert code == 1 and "FAIL s.pattern" in out
    assert time.perf_counter() - start < 5  # Python's backtracking engine would take ages
    write(case / "look.yaml", "kind: Rules\nversion: 1\ncolumns:\n  s: {pattern: '(?=a)a'}\n")
    code, _, err = run("validate", "slow.csv", "--rules", "look.yaml")
    assert code == 2 and "look.yaml:4:17: error: pattern: RE2 has no lookahead or lookbehind" in err


def test_the_full_example_runs_end_to_end(git_repo: Path) -> None:
    """Every rule kind of tests/examples/rules/good/full.yaml, on data that passes, with its Git reference."""
    import shutil

    shutil.copy(Path(__file__).parent / "examples" / "rules" / "good" / "full.yaml", git_repo / "rules.yaml")
    rows = ["customer_id,age,plan,country,signup,active,monthly_spend,refund,extra"]
    for i in range(200):
        plan = ["basic", "pro", "enterprise"][i % 3]
        spend = 150 + i % 7 if plan == "enterprise" else 20 + i % 5
        rows.append(
            f"c{i},{25 + i % 40},{plan},{'DE' if i % 2 else ''},2024-0{1 + i % 9}-1{i % 10},"
            f"{'true' if i % 4 else 'false'},{spend},{i % 3},{i}"
        )
    write(git_repo / "data.csv", "\n".join(rows) + "\n")
    code, _, err = run("profile", "data.csv", "-o", "profiles/train.json")
    assert code == 0, err
    import subprocess

    subprocess.run(["git", "add", "profiles/train.json"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "reference"], cwd=git_repo, check=True)
    code, out, err = run(
        "validate", "data.csv", "--rules", "rules.yaml", "--format", "json", "--report", "r.html"
    )
    report = json.loads(out)
    failed = {r["rule"]: r["severity"] for r in report["results"] if r["status"] == "failed"}
    assert code == 0, (failed, err)
    assert failed == {"table.extra_columns": "warn"}
    assert report["drift"]["drifted"] == [] and set(report["drift"]["columns"]) == {
        "age",
        "monthly_spend",
        "plan",
    }
    assert report["summary"]["skipped"] == 0


# -- issue 15: what a new user hit, through the CLI -----------------------------------------------------------


def _rules(case: Path, text: str, name: str = "r.yaml") -> str:
    write(case / name, "kind: Rules\nversion: 1\n" + text)
    return name


def _json(*args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("validate", *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out), err


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("chunk", ["1000", "500000"])
def test_rows_are_counted_whatever_columns_the_rules_read(case: Path, fmt: str, chunk: str) -> None:
    """Only `table.rows`, or a misspelled column: every row is counted (item 1)."""
    import pandas as pd

    frame = pd.DataFrame({"age": range(2250), "plan": ["basic"] * 2250})
    if fmt == "csv":
        frame.to_csv(case / "d.csv", index=False)
    else:
        frame.to_parquet(case / "d.parquet", row_group_size=700)
    rows = _rules(case, "table:\n  rows: {min: 100, max: 5000}\n")
    code, out, _ = run("validate", f"d.{fmt}", "--rules", rows, "--chunk-rows", chunk)
    assert code == 0 and f"d.{fmt}: passed against r.yaml (2250 rows, 1 rules: 1 passed)" in out
    typo = _rules(case, "columns:\n  agee: {min: 18}\ntable:\n  rows: {min: 100, max: 5000}\n", "typo.yaml")
    code, report, _ = _json(f"d.{fmt}", "--rules", typo, "--chunk-rows", chunk)
    assert code == 1 and report["rows"] == 2250
    failed = {r["rule"]: r["message"] for r in report["results"] if r["status"] == "failed"}
    assert failed == {"agee.required": "column `agee` is not in the data (did you mean `age`?)"}


@pytest.mark.parametrize("chunk", ["1", "2", "500000"])
def test_integers_with_nulls_are_one_value_across_chunks(case: Path, chunk: str) -> None:
    """`k,i / 0,5 / 1, / 2,5`: a chunk with the null reads 5.0, one without 5; they are the same value (item 10)."""
    write(case / "d.csv", "k,i\n0,5\n1,\n2,5\n")
    rules = _rules(
        case,
        "columns:\n  i: {distinct: {max: 1}, unique: {value: true, severity: warn}}\n"
        "table:\n  unique_keys: [[i]]\n  duplicate_rows: error\n",
    )
    code, report, _ = _json("d.csv", "--rules", rules, "--chunk-rows", chunk)
    res = results(report)
    assert res["i.distinct"]["observed"] == 1 and res["i.distinct"]["status"] == "passed"
    assert res["i.unique"]["failing"] == 1 and res["table.unique_key.i"]["failing"] == 1
    assert [e["row"] for e in res["table.unique_key.i"]["examples"]] == [2]
    assert res["table.duplicate_rows"]["failing"] == 0 and code == 1


def test_integers_with_nulls_in_parquet_row_groups(case: Path) -> None:
    import numpy as np
    import pandas as pd

    values = pd.array(np.arange(600_000) % 1000, dtype="Int64")
    values[::7] = pd.NA  # some row groups read as floats, others as integers
    pd.DataFrame({"i": values}).to_parquet(case / "d.parquet", row_group_size=100_000)
    rules = _rules(case, "columns:\n  i: {distinct: {min: 1000, max: 1000}}\n")
    code, report, _ = _json("d.parquet", "--rules", rules)
    assert code == 0 and results(report)["i.distinct"]["observed"] == 1000


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_booleans_with_nulls(case: Path, fmt: str) -> None:
    """`type: boolean` and `b != true` on a column with a null (item 11)."""
    import pandas as pd

    frame = pd.DataFrame({"b": pd.array([True, None, False, True], dtype="boolean")})
    if fmt == "csv":
        frame.to_csv(case / "d.csv", index=False)
    else:
        frame.to_parquet(case / "d.parquet")
    rules = _rules(
        case,
        "columns:\n  b: {type: boolean, allowed: [true, false], nullable: false}\n"
        "checks:\n  - {name: not_true, expr: b != true}\n",
    )
    for chunk in ("1", "3", "500000"):
        code, report, _ = _json(f"d.{fmt}", "--rules", rules, "--chunk-rows", chunk)
        res = results(report)
        assert (res["b.type"]["status"], res["b.allowed"]["status"]) == ("passed", "passed"), res["b.type"]
        assert res["b.nullable"]["failing"] == 1 and res["check.not_true"]["failing"] == 2
        assert res["check.not_true"]["examples"][0] == {"row": 0, "value": "b=True"} and code == 1


def test_a_column_without_values_takes_its_declared_type(case: Path) -> None:
    """An empty CSV column declared datetime, and a header-only file (item 12)."""
    write(case / "d.csv", "k,d\n1,\n2,\n")
    rules = _rules(
        case,
        'columns:\n  d: {type: datetime, min: "2020-01-01"}\n'
        "checks:\n  - {name: recent, expr: \"d > '2020-01-01' or d is null\"}\n",
    )
    code, out, err = run("validate", "d.csv", "--rules", rules, "-v")
    assert code == 0, out + err
    assert "ok   d.min: 0 of 2 rows are below the minimum 2020-01-01" in out
    write(case / "h.csv", "k,d,f\n")
    every = _rules(
        case,
        'columns:\n  d: {type: datetime, min: "2020-01-01"}\n'
        "  f: {type: number, mean: {min: 1}, std: {max: 2}, quantiles: {0.5: {min: 0}}, "
        "min: {value: 0, where: 'k > 1'}, unique: true, distinct: {max: 3}}\n"
        "  k: {type: integer, nullable: false, max_null_fraction: 0}\n"
        "table:\n  rows: {max: 10}\n  unique_keys: [[k, d]]\n  duplicate_rows: error\n"
        "checks:\n  - {name: c, expr: f + k > 0, where: \"d > '2021-01-01'\"}\n",
        "every.yaml",
    )
    code, report, _ = _json("h.csv", "--rules", every)
    assert code == 0 and report["rows"] == 0
    assert {r["status"] for r in report["results"]} == {"passed"}
    assert results(report)["f.mean"]["message"] == "no values to compute it on"
    code, report, _ = _json("h.csv", "--rules", _rules(case, "table:\n  rows: {min: 1}\n", "one.yaml"))
    assert code == 1 and results(report)["table.rows"]["message"] == "rows 0 (expected >= 1)"


@pytest.mark.parametrize("chunk", ["1", "500000"])
def test_infinities_are_values_in_checks(case: Path, chunk: str) -> None:
    """`f + k == i` with inf on both sides holds; only a real mismatch fails (item 14)."""
    write(case / "d.csv", "f,k,i\ninf,1,inf\n-inf,2,-inf\n1.5,1,3\n")
    rules = _rules(
        case,
        "checks:\n  - {name: sum, expr: f + k == i}\n  - {name: finite, expr: f < 1000}\n"
        "  - {name: by_zero, expr: k / 0 > 1}\n  - {name: small_sum, expr: f + k < 1000}\n",
    )
    code, report, _ = _json("d.csv", "--rules", rules, "--chunk-rows", chunk)
    res = results(report)
    assert res["check.sum"]["failing"] == 1 and res["check.sum"]["examples"][0]["row"] == 2
    assert res["check.finite"]["failing"] == 1  # +inf is not below 1000; -inf is
    assert res["check.by_zero"]["failing"] == 0  # division by zero is null: unknown passes
    assert res["check.small_sum"]["failing"] == 1  # inf + 1 is inf, not null
    assert code == 1


@pytest.mark.parametrize("chunk", ["1", "2", "500000"])
def test_a_blank_line_in_a_one_column_csv_is_a_null_row(case: Path, chunk: str) -> None:
    """Many writers (pandas before 3, R, spreadsheets) write a one-column null as an empty line: a row (item 15)."""
    write(case / "d.csv", "x\n1.0\n\n3.0\n4.0\n")
    rules = _rules(case, "columns:\n  x: {nullable: false}\ntable:\n  rows: {min: 4, max: 4}\n")
    code, out, _ = run("validate", "d.csv", "--rules", rules, "--chunk-rows", chunk)
    assert code == 1 and "FAIL x.nullable: 1 of 4 rows are null (25.00%) e.g. row 1: null" in out
    assert "(4 rows, 3 rules: 2 passed, 1 failed)" in out
    write(case / "two.csv", "x,y\n1,2\n\n3,4\n")  # with more columns an empty line is no row
    code, out, _ = run("validate", "two.csv", "--rules", _rules(case, "table:\n  rows: {max: 2}\n", "t.yaml"))
    assert code == 0 and "(2 rows" in out


def test_dictionary_encoded_parquet_compares_by_value(case: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "n": pa.array([3, 1, None, 3]).dictionary_encode(),
            "s": pa.array(["b", "a", None, "b"]).dictionary_encode(),
        }
    )
    pq.write_table(table, case / "d.parquet")
    rules = _rules(
        case,
        "columns:\n  n: {type: integer, min: 2, distinct: {max: 2}}\n"
        "  s: {type: string, min: b, allowed: [a, b]}\n"
        "checks:\n  - {name: c, expr: n > 2 or s == 'a'}\n",
    )
    code, report, _ = _json("d.parquet", "--rules", rules, "--chunk-rows", "1")
    res = results(report)
    assert (
        res["n.min"]["failing"] == 1 and res["s.min"]["failing"] == 1 and res["n.distinct"]["observed"] == 2
    )
    assert res["s.allowed"]["status"] == res["check.c"]["status"] == "passed" and code == 1


def test_monitor_reads_the_parquet_folder_that_validate_accepts(git_repo: Path) -> None:
    """One data reader for both commands (item 8)."""
    import subprocess

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(0, 1, 400), "g": rng.choice(["a", "b"], 400)})
    (git_repo / "data").mkdir()
    frame.to_csv(git_repo / "data" / "train.csv", index=False)
    subprocess.run(["git", "add", "data"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "train"], cwd=git_repo, check=True)
    for part in (0, 1):
        (git_repo / "live" / f"day=2026-11-0{part + 1}").mkdir(parents=True)
        frame.iloc[part * 200 : (part + 1) * 200].to_parquet(
            git_repo / "live" / f"day=2026-11-0{part + 1}" / "p.parquet"
        )
    write(git_repo / "r.yaml", "kind: Rules\nversion: 1\ntable:\n  rows: {min: 400, max: 400}\n")
    code, out, err = run("validate", "live", "--rules", "r.yaml")
    assert code == 0 and "live: passed against r.yaml (400 rows" in out, err
    result = CliRunner().invoke(
        cli, ["monitor", "live", "--against", "HEAD:data/train.csv", "--dry-run", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["rows"] == 400 and {"x", "g"} <= set(record["features"])
