"""Every reproducer of the hostile-input report, through the CLI: a located finding or exit 2, never exit 3.

Tests run as root, so `chmod` cannot make a path unwritable: OS errors come from /dev/full (ENOSPC), a
parent path that is a regular file (ENOTDIR), a lock path that is a folder (EISDIR), or a failing fsync.
"""

from __future__ import annotations

import errno
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git, invoke, run_cli, write
from tests.test_registry_cli import repo, template  # noqa: F401 - fixtures: a committed DVC pipeline run

ALIAS_BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def lint_file(root: Path, rel: str, text: str | bytes) -> tuple[int, str]:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = mlops("lint", rel)
    assert code != 3, err
    return code, out + err


RULES = "kind: Rules\nversion: 1\n"


# -- config files: the loader ------------------------------------------------------------------------------


def test_bad_value_for_a_core_tag(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/a.yaml", RULES + "table: {rows: {min: !!int abc}}\n")
    assert code == 1 and "rules/a.yaml:3:21: error: bad value `abc` for tag `!!int`" in out


def test_kind_that_is_a_list(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/b.yaml", "kind: [Rules]\n")
    assert code == 1 and "rules/b.yaml:1:7: error:" in out and "kind" in out


def test_a_date_where_a_string_is_expected_is_a_schema_finding(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/c.yaml", RULES + "table: {extra_columns: 2020-01-01}\n")
    assert code == 1
    assert 'rules/c.yaml:3:24: error: `table.extra_columns`: "2020-01-01" is not one of' in out


def test_an_integer_of_4301_digits(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/d.yaml", RULES + "desc: " + "7" * 4301 + "\n")
    assert code == 1 and "rules/d.yaml:3:7: error: an integer of more than 4300 digits" in out


def test_a_recursive_alias(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/e.yaml", RULES + "desc: &a [*a]\n")
    assert code == 1 and "rules/e.yaml:3:11: error: alias `*a` refers to an anchor" in out
    assert "recursive aliases are refused" in out


@pytest.mark.parametrize("depth", [65, 500, 1000, 100_000])
def test_deep_nesting(git_repo: Path, depth: int) -> None:
    code, out = lint_file(git_repo, "rules/f.yaml", RULES + "desc: " + "[" * depth + "]" * depth + "\n")
    assert code == 1 and "rules/f.yaml:3:" in out
    assert "nested more than 64 levels deep" in out or "maximum nesting depth" in out


def test_a_merge_key_that_merges_itself(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/g.yaml", RULES + "x: &a {<<: *a}\n")
    assert code == 1 and "rules/g.yaml:3:12: error: alias `*a`" in out


def test_merge_keys_still_work(git_repo: Path) -> None:
    text = RULES + "columns:\n  a: &base {type: integer, min: 0}\n  b: {<<: *base, max: 9}\n"
    code, out = lint_file(git_repo, "rules/g.yaml", text)
    assert code == 0, out


def test_a_key_with_a_bool_tag(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "registry.yaml", "kind: Registry\nversion: 1\n!!bool production: 1\n")
    assert (
        code == 1
        and "registry.yaml:3:1: error: a mapping key must be a string, not `!!bool production`" in out
    )


def test_an_alias_bomb_in_a_config_file(git_repo: Path) -> None:
    start = time.perf_counter()
    code, out = lint_file(git_repo, "rules/h.yaml", RULES + ALIAS_BOMB)
    assert code == 1 and "document expands to more than 1,000,000 values" in out
    assert time.perf_counter() - start < 10


def test_a_control_character_is_located(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/i.yaml", RULES.encode() + b'desc: "a\x07b"\n')
    assert code == 1 and "rules/i.yaml:3:9: error: YAML syntax: character U+0007 is not allowed" in out
    assert "position" not in out and "<unicode string>" not in out


def test_tags_outside_the_core_schema(git_repo: Path) -> None:
    for value in ("!!python/object/apply:os.system [id]", "!!timestamp 2020-01-01", "!!binary aGk=", "!x y"):
        code, out = lint_file(git_repo, "rules/j.yaml", RULES + f"desc: {value}\n")
        assert code == 1 and "rules/j.yaml:3:7: error: tag `" in out and "is not allowed" in out


def test_a_file_over_the_size_cap(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "rules/k.yaml", RULES + "desc: '" + "x" * (5 * 1024 * 1024) + "'\n")
    assert code == 1 and "larger than 5 MB" in out


def test_a_long_dependency_path(git_repo: Path) -> None:
    text = "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: echo\n    deps: [" + "a" * 300 + "]\n"
    code, out = lint_file(git_repo, "pipelines/x.yaml", text)
    assert code == 1 and "pipelines/x.yaml:6:12: error: dependency `aaa" in out


def test_an_absolute_glob_in_mlops_yaml(git_repo: Path) -> None:
    code, out = lint_file(git_repo, "mlops.yaml", 'kind: Project\nversion: 1\nrules: ["/tmp/*.yaml"]\n')
    assert code == 1
    assert (
        "mlops.yaml:3:9: error: `rules[0]`: an absolute path is outside the repository: give a glob relative to the repository root"
        in out
    )
    code, _, err = mlops("compile")
    assert code == 2 and "mlops.yaml:3:9: error:" in err


def test_a_duplicate_key_does_not_hide_other_findings(git_repo: Path) -> None:
    text = RULES + "desc: a\ndesc: b\ncolumns:\n  a: {type: strin}\nchecks:\n  - {name: c, expr: 'a ='}\n"
    code, out = lint_file(git_repo, "rules/dup.yaml", text)
    assert code == 1
    assert "rules/dup.yaml:4:1: error: duplicate key `desc` (first at line 3)" in out
    assert "rules/dup.yaml:6:13: error: `columns.a.type`" in out


# -- expressions and patterns: one parser, one limits table --------------------------------------------------


def _validate(root: Path, rules: str) -> tuple[int, str]:
    write(root, "data.csv", "a,b\nx,1\ny,2\n")
    write(root, "contracts/r.yaml", rules)
    code, out, err = mlops("validate", "data.csv", "--rules", "contracts/r.yaml")
    assert code != 3, err
    return code, out + err


def test_a_490_term_expression_is_refused_by_lint_and_validate_alike(git_repo: Path) -> None:
    rules = RULES + "checks:\n  - name: sum\n    expr: " + "+".join(["b"] * 490) + " > 0\n"
    code, out = lint_file(git_repo, "contracts/r.yaml", rules)
    assert (
        code == 1
        and "contracts/r.yaml:5:138: error: check `sum`: expression more than 64 operations deep" in out
    )
    code, out = _validate(git_repo, rules)
    assert code == 2 and "contracts/r.yaml:5:138: error: check `sum`: expression more than 64" in out


def test_an_expression_at_the_limit_runs(git_repo: Path) -> None:
    rules = RULES + "checks:\n  - name: sum\n    expr: " + "+".join(["b"] * 63) + " > 0\n"  # 62 `+` and a `>`
    assert lint_file(git_repo, "contracts/r.yaml", rules)[0] == 0
    code, out = _validate(git_repo, rules)
    assert code == 0 and "passed" in out


def test_a_2000_deep_pattern(git_repo: Path) -> None:
    rules = RULES + "columns:\n  a: {pattern: '" + "(" * 2000 + "a" + ")" * 2000 + "'}\n"
    code, out = lint_file(git_repo, "contracts/r.yaml", rules)
    assert code == 1 and "contracts/r.yaml:4:1017: error: pattern: longer than 1000 characters" in out
    assert _validate(git_repo, rules)[0] == 2
    rules = RULES + "columns:\n  a: {pattern: '" + "(" * 101 + "a" + ")" * 101 + "'}\n"
    code, out = lint_file(git_repo, "contracts/r.yaml", rules)
    assert code == 1 and "contracts/r.yaml:4:117: error: pattern: groups nested more than 100 deep" in out


def test_a_lookahead_pattern_is_refused_by_lint_first(git_repo: Path) -> None:
    rules = RULES + "columns:\n  a: {pattern: '(?=a)a'}\n"
    code, out = lint_file(git_repo, "contracts/r.yaml", rules)
    assert code == 1 and "contracts/r.yaml:4:17: error: pattern: RE2 has no lookahead or lookbehind" in out
    code, out = _validate(git_repo, rules)
    assert code == 2 and "RE2 has no lookahead or lookbehind" in out


def test_an_re2_unicode_class_works(git_repo: Path) -> None:
    rules = RULES + "columns:\n  a: {type: string, pattern: '\\p{L}+'}\n"
    assert lint_file(git_repo, "contracts/r.yaml", rules)[0] == 0
    code, out = _validate(git_repo, rules)
    assert code == 0 and "passed" in out


def test_a_named_rules_file_outside_rules_gets_every_check(git_repo: Path) -> None:
    rules = RULES + "checks:\n  - name: c\n    expr: a.__class__\n"
    code, out = lint_file(git_repo, "contracts/x.yaml", rules)
    assert code == 1 and "contracts/x.yaml:5:12: error: check `c`: attribute access is not allowed" in out


# -- data from commits and tag messages: warn and go on ---------------------------------------------------------


def _tag(root: Path, name: str, message: str) -> None:
    subprocess.run(["git", "tag", "-a", name, "-F", "-"], cwd=root, input=message.encode(), check=True)


def test_hostile_tag_messages_are_warned_about_and_the_rest_listed(git_repo: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _tag(git_repo, "churn@v1.0.0", 'Register churn v1.0.0\n\n{"a": ' + deep + "}\n")
    _tag(git_repo, "churn@v1.0.1", "Register churn v1.0.1\n\n---\n" + ALIAS_BOMB)
    _tag(git_repo, "churn@v1.0.2", 'Register churn v1.0.2\n\n{"metrics": {"auc": 0.9}}\n')
    start = time.perf_counter()
    proc = run_cli("versions", "churn", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert all(v in proc.stdout for v in ("v1.0.0", "v1.0.1", "v1.0.2"))
    assert "tag churn@v1.0.0: its message block is ignored (nested more than 64 levels deep)" in proc.stderr
    assert "tag churn@v1.0.1: its message block is ignored" in proc.stderr
    proc = run_cli("history", "--json", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    events = json.loads(proc.stdout)["events"]
    assert [e["data"] for e in events if e["version"] == "v1.0.2"] == [{"metrics": {"auc": 0.9}}]
    assert time.perf_counter() - start < 30


def test_an_alias_bomb_read_from_a_commit_does_not_stall_diff(git_repo: Path) -> None:
    write(git_repo, "params.yaml", "train: {lr: 0.1}\n")
    git(git_repo, "add", "params.yaml")
    git(git_repo, "commit", "-qm", "params")
    write(git_repo, "params.yaml", ALIAS_BOMB)
    git(git_repo, "commit", "-qam", "bomb")
    start = time.perf_counter()
    code, _, err = mlops("diff", "HEAD~1", "HEAD")
    assert code == 0, err
    assert (
        "warning: params.yaml at " in err and "is ignored: line 7 col 8: document expands to more than" in err
    )
    assert time.perf_counter() - start < 10
    code, out, _ = mlops("diff", "HEAD~1", "HEAD", "--json")
    assert code == 0 and json.loads(out)["warnings"][0].startswith("params.yaml at ")


# -- OS errors: exit 2 with the path and the reason, nothing half-written -------------------------------------


def test_profile_and_validate_reports_on_a_full_disk(git_repo: Path) -> None:
    write(git_repo, "data.csv", "a,b\nx,1\n")
    write(git_repo, "r.yaml", RULES + "columns:\n  a: {type: string}\n")
    code, _, err = mlops("profile", "data.csv", "-o", "/dev/full")
    assert code == 2 and "mlops: error: /dev/full: No space left on device" in err
    code, _, err = mlops("validate", "data.csv", "--rules", "r.yaml", "--report", "/dev/full")
    assert code == 2 and "/dev/full: No space left on device" in err
    assert Path("/dev/full").is_char_device()  # written in place, never renamed over


def test_profile_and_validate_reports_under_a_file(git_repo: Path) -> None:
    write(git_repo, "data.csv", "a,b\nx,1\n")
    write(git_repo, "r.yaml", RULES + "columns:\n  a: {type: string}\n")
    write(git_repo, "file", "x")
    code, _, err = mlops("profile", "data.csv", "-o", "file/p.json")
    assert code == 2 and "file/p.json: a parent of this path is a file, not a folder" in err
    code, _, err = mlops("validate", "data.csv", "--rules", "r.yaml", "--report", "file/sub/r.html")
    assert code == 2 and "file/sub: Not a directory" in err


def test_compile_on_a_full_disk_leaves_nothing_half_written(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        git_repo,
        "pipelines/p.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  a:\n    cmd: echo hi\n    outs: [o]\n",
    )
    assert mlops("compile")[0] == 0
    before = (git_repo / "dvc.yaml").read_bytes()
    write(
        git_repo,
        "pipelines/p.yaml",
        "kind: Pipeline\nversion: 1\nstages:\n  b:\n    cmd: echo b\n    outs: [o]\n",
    )

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("mlops.atomic.os.fsync", full)
    code, _, err = mlops("compile")
    assert code == 2 and "dvc.yaml: No space left on device" in err
    assert (git_repo / "dvc.yaml").read_bytes() == before
    assert not [p for p in git_repo.iterdir() if p.name.endswith(".tmp")]


def test_promote_on_a_full_disk_leaves_registry_yaml_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.promotion import commit_all, make_repo

    root = tmp_path / "r"
    make_repo(root)
    commit_all(root, "policy and registry") if git(root, "status", "--porcelain") else None
    monkeypatch.chdir(root)
    before = (root / "registry.yaml").read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("mlops.atomic.os.fsync", full)
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary")
    assert code == 2, err
    assert "registry.yaml: No space left on device" in err
    assert (root / "registry.yaml").read_bytes() == before
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_register_when_the_registry_lock_cannot_be_opened(repo: Path) -> None:  # noqa: F811
    """`repo`: a real DVC pipeline run and committed (tests/test_registry_cli.py)."""
    (repo / ".git" / "mlops-registry.lock").mkdir()
    code, _, err = mlops("register", "churn-model")
    assert code == 2, err
    assert "mlops: error: " in err and "mlops-registry.lock: Is a directory" in err
    assert not git(repo, "tag", "-l")


@pytest.mark.slow
def test_lint_of_a_2mb_rules_file_is_linear() -> None:
    """benchmarks/lint_large.py in its own process, so the peak RSS is lint's, not this test session's."""
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "lint_large.py"
    proc = subprocess.run([sys.executable, str(bench)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    found = re.search(r"([\d.]+) s CPU, peak RSS (\d+) MB, exit 0", proc.stdout)
    assert found, proc.stdout
    assert float(found.group(1)) < 8  # about 2 s on an idle 2-core machine; generous for a loaded runner
    assert int(found.group(2)) < 200
