"""Fuzzing: no input makes mlops crash (exit 3) or hang, and every finding with a position has line:col.

The default run lints a few thousand seeded mutations of every file kind in-process, parses a few
thousand mutated tag messages, draws expressions and patterns with hypothesis (whatever lint accepts,
validate runs), and sends a couple of dozen inputs through the real CLI. `-m slow` runs many more.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.errors import MlopsError
from mlops.lint.runner import lint_project
from mlops.registry.message import parse_checked
from tests import fuzzing
from tests.conftest import git, run_cli

# per input, in-process CPU time (wall time on a shared machine measures the other processes: 5.9 s wall
# was seen at a load of 25 on 2 cores): far above the slowest seen, 0.2 s
SLOWEST_SECONDS = 5.0


def _lint_inputs(root: Path, count: int, seed: int) -> dict[str, object]:
    """Lint COUNT mutated files; return counts, the crashes and the unlocated findings."""
    crashes: list[tuple[bytes, str]] = []
    unlocated: list[tuple[bytes, str]] = []
    findings = 0
    slowest = 0.0
    slowest_input = b""
    accepted_rules: list[bytes] = []
    for kind, content in fuzzing.inputs(count, seed):
        for other in fuzzing.LOCATION.values():
            (root / other).unlink(missing_ok=True)
        rel = fuzzing.LOCATION[kind]
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
        start = time.process_time()
        try:
            report = lint_project([rel], root=root)
        except MlopsError:
            continue
        except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for
            crashes.append((content, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        finally:
            if time.process_time() - start > slowest:
                slowest, slowest_input = time.process_time() - start, content
        findings += len(report.findings)
        unlocated.extend((content, f.render()) for f in report.findings if not fuzzing.is_located(f))
        if kind == "Rules" and report.ok:
            accepted_rules.append(content)
    return {
        "crashes": crashes,
        "unlocated": unlocated,
        "findings": findings,
        "slowest": slowest,
        "slowest_input": slowest_input,
        "accepted_rules": accepted_rules,
    }


def _assert_clean(result: dict[str, object]) -> None:
    crashes = result["crashes"]
    unlocated = result["unlocated"]
    assert not crashes, f"{len(crashes)} crashes; first: {crashes[0][1]}\n{crashes[0][0][:500]!r}"  # type: ignore[index]
    assert not unlocated, f"findings without line:col: {unlocated[:3]}"
    assert result["slowest"] < SLOWEST_SECONDS  # type: ignore[operator]


def _validate_accepted(root: Path, rules: list[bytes]) -> None:
    """Rules files lint accepted must run in validate: a check failing is fine, a crash is not."""
    from mlops.api.data import validate

    data = root / "data.csv"
    data.write_text("a,b,age,plan\n1,x,30,basic\n2,,40,pro\n,z,-1,enterprise\n")
    for content in rules:
        path = root / "rules" / "accepted.yaml"
        path.write_bytes(content)
        try:
            validate(str(data), str(path), root=root)
        except MlopsError:
            pass  # e.g. a drift reference that does not exist: exit 2, a user error


def test_lint_survives_mutated_files_of_every_kind(git_repo: Path) -> None:
    result = _lint_inputs(git_repo, 2500, seed=12)
    _assert_clean(result)
    assert result["findings"], "the mutations never produced a finding: the fuzzer is not fuzzing"
    _validate_accepted(git_repo, result["accepted_rules"][:40])  # type: ignore[index]


def test_tag_messages_never_crash_the_reader() -> None:
    refused = 0
    for message in fuzzing.messages(3000, seed=12):
        start = time.process_time()
        data, problem = parse_checked(message)
        assert isinstance(data, dict)
        refused += problem is not None
        assert time.process_time() - start < 1.0  # CPU time: the machine may be shared
    assert refused  # the deep and bombed blocks were refused, with a reason


_EXPR_TOKENS = [
    "a",
    "b",
    "`c d`",
    "1",
    "2.5",
    "1e3",
    "'x'",
    '"y"',
    "true",
    "null",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "not",
    "is",
    "is not",
    "in",
    "not in",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "&&",
    ".",
    "__x",
    "lambda",
    " ",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_EXPR_TOKENS), min_size=1, max_size=40), st.integers(0, 200))
def test_expressions_lint_accepts_evaluate(tokens: list[str], depth: int) -> None:
    """Whatever the parser accepts, the evaluator runs; whatever it refuses has a character position."""
    import pandas as pd

    from mlops.data.evaluate import EvalError, Evaluator
    from mlops.data.expr import ExprError, parse

    text = "(" * depth + " ".join(tokens) + ")" * depth
    try:
        expr = parse(text)
    except ExprError as exc:
        assert 0 <= exc.pos <= len(text)
        return
    frame = pd.DataFrame({"a": [1, None, 3], "b": ["x", "y", None], "c d": [1.5, 2.5, None]})
    try:
        Evaluator(frame).mask(expr)
    except EvalError:
        pass  # a type error the data reveals (`'x' + 1`): a located check failure, not a crash


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="()[]{}|*+?.\\^$-,:=!<>Pp0123456789aLbn", max_size=60), st.integers(0, 1200))
def test_patterns_compile_or_are_refused_at_a_character(body: str, depth: int) -> None:
    from mlops.data.pattern import PatternError, compile_pattern

    pattern = "(" * depth + body + ")" * depth
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        assert 0 <= exc.pos <= len(pattern)


def test_mutated_files_through_the_real_cli(git_repo: Path) -> None:
    """Exit codes as a user sees them: 0, 1 or 2, never 3, and no traceback."""
    _cli_inputs(git_repo, 24, seed=7)


def _cli_inputs(root: Path, count: int, seed: int) -> None:
    for kind, content in fuzzing.inputs(count, seed):
        for other in fuzzing.LOCATION.values():
            (root / other).unlink(missing_ok=True)
        rel = fuzzing.LOCATION[kind]
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
        proc = run_cli("lint", rel, cwd=root)
        assert proc.returncode in (0, 1, 2), f"exit {proc.returncode} on {content[:300]!r}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.slow
def test_long_fuzz_run(git_repo: Path) -> None:
    for seed in range(100, 102):
        result = _lint_inputs(git_repo, 6000, seed=seed)
        print(  # the figures the closing note of issue 12 asks for (run with -s to see them)
            f"seed {seed}: 6000 inputs, {result['findings']} findings, {len(result['crashes'])} crashes, "  # type: ignore[arg-type]
            f"{len(result['unlocated'])} unlocated, {len(result['accepted_rules'])} rules files accepted, "  # type: ignore[arg-type]
            f"slowest {result['slowest']:.3f} s CPU: {result['slowest_input'][:120]!r}"  # type: ignore[index]
        )
        _assert_clean(result)
        _validate_accepted(git_repo, result["accepted_rules"])  # type: ignore[arg-type]
    for message in fuzzing.messages(20_000, seed=100):
        parse_checked(message)
    git(git_repo, "status")
    _cli_inputs(git_repo, 80, seed=100)
