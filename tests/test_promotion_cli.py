"""The promotion commands through the CLI: exit codes, messages, and what they leave in the repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlops.promotion.provenance import Tracer, pr_number
from tests.conftest import git, invoke, tool, write
from tests.helpers.promotion import V2, commit_all, hours, make_repo, tag, version_commit

GTO = tool("gto")


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "r"
    make_repo(root)
    commit_all(root, "policy and registry") if git(root, "status", "--porcelain") else None
    monkeypatch.chdir(root)
    return root


def tags(root: Path, pattern: str = "churn-model#*") -> list[str]:
    return git(root, "tag", "-l", pattern).split()


def test_promote_refusals_exit_codes(repo: Path) -> None:
    before = (repo / "registry.yaml").read_text()
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "prod")
    assert code == 2 and "unknown stage `prod`; did you mean `production`?" in err
    code, _, err = mlops("promote", "nope@v1.0.0", "--to", "staging")
    assert code == 2 and "unknown artifact `nope`" in err
    code, _, err = mlops("promote", "HEAD", "--to", "staging")
    assert code == 2 and "names no registered version" in err
    code, out, err = mlops("promote", "churn-model@v2.0.0", "--to", "production")
    assert code == 1
    assert "FAIL  was in canary: churn-model v2.0.0 has not been in canary" in out
    assert "promotion refused: 1 gate(s) failed; registry.yaml not changed" in err
    assert (repo / "registry.yaml").read_text() == before


def test_promote_apply_rules(repo: Path) -> None:
    code, _, err = mlops("promote", "churn-model@v1.0.0", "--to", "production", "--apply")
    assert code == 2 and "stage production requires review: `--apply` is not allowed" in err
    write(repo, "notes.txt", "x")
    git(repo, "add", "notes.txt")
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert code == 2 and "uncommitted changes (notes.txt)" in err
    git(repo, "commit", "-q", "-m", "notes")
    git(repo, "switch", "-q", "-c", "feature")
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert code == 2 and "runs only on the protected branch `main`; HEAD is on `feature`" in err
    assert tags(repo, "churn-model#canary*") == ["churn-model#canary#3"]


def test_promote_apply_commits_and_tags(repo: Path) -> None:
    code, out, err = mlops("promote", "churn-model#staging", "--to", "canary", "--apply")
    assert code == 0, out + err
    assert "Wrote registry.yaml: churn-model.canary = v2.0.0" in out
    assert "Created tag churn-model#canary#7" in out
    assert git(repo, "log", "-1", "--format=%s") == "Promote churn-model v2.0.0 to canary\n"
    assert git(repo, "status", "--porcelain") == ""
    message = git(repo, "tag", "-l", "--format=%(contents)", "churn-model#canary#7")
    data = json.loads(message[message.index("{") :])
    assert data["registry_change"] == git(repo, "rev-parse", "HEAD").strip()
    assert data["via"] == "mlops promote --apply" and data["gates_passed"] is True
    assert data["by"].startswith("Test Committer <committer@example.com>")
    code, out, _ = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert (
        code == 0
        and "already in canary" in out
        and tags(repo, "churn-model#canary*")[-1] == "churn-model#canary#7"
    )


def test_promote_json_and_registry_written(repo: Path) -> None:
    code, out, _ = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["passed"] and data["written"] and data["incumbent"] == "v1.0.0" and data["committed"] is None
    assert "  canary: v2.0.0\n" in (repo / "registry.yaml").read_text()
    code, out, _ = mlops("status")
    assert "churn-model  canary      v2.0.0         v1.0.0  uncommitted" in out


def test_status(repo: Path) -> None:
    code, out, _ = mlops("status")
    assert code == 0
    assert out.splitlines()[0].split() == ["ARTIFACT", "STAGE", "REGISTRY.YAML", "TAGS", "STATE"]
    assert "churn-model  staging     v1.0.0         v2.0.0  pending" in out
    assert "churn-model  canary      -              v1.0.0  unmanaged" in out
    assert "churn-model  production  v1.0.0         v1.0.0  in sync" in out
    data = json.loads(mlops("status", "--json")[1])
    assert data["in_sync"] is False and [p["stage"] for p in data["pending"]] == ["staging"]


def test_sync_dry_run_unassign_and_idempotence(repo: Path) -> None:
    text = (repo / "registry.yaml").read_text().replace("staging: v1.0.0", "staging: null")
    write(repo, "registry.yaml", text)
    commit_all(repo, "empty staging")
    code, out, _ = mlops("sync", "--dry-run")
    assert code == 0 and "would apply  churn-model: empty staging (now v2.0.0)" in out
    assert tags(repo, "churn-model#staging!*") == []
    code, out, _ = mlops("sync")
    assert code == 0, out
    assert "churn-model#staging!#7, churn-model#staging!#8" in out  # every version in the stage leaves
    assert mlops("sync")[1].startswith("In sync")
    assert json.loads(mlops("status", "--json")[1])["in_sync"] is True
    gto = subprocess.run(
        [GTO, "show", "churn-model#staging", "--ref"], cwd=repo, capture_output=True, text=True
    )
    assert gto.returncode == 0 and gto.stdout.strip() == ""  # gto agrees: the stage is empty


def test_sync_refuses_failing_gates(repo: Path) -> None:
    text = (repo / "registry.yaml").read_text().replace("staging: v1.0.0", "staging: v9.9.9")
    write(repo, "registry.yaml", text)
    commit_all(repo, "typo")
    code, out, _ = mlops("sync", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False
    assert data["actions"][0]["reason"] == "churn-model v9.9.9 is not a registered version"


def test_gate_no_changes_unknown_base_and_json(repo: Path) -> None:
    code, out, _ = mlops("gate")
    assert code == 0 and "no promotions to check" in out
    code, _, err = mlops("gate", "--base", "no-such-branch")
    assert code == 2 and "unknown revision `no-such-branch`" in err
    git(repo, "switch", "-q", "-c", "pr")
    text = (repo / "registry.yaml").read_text().replace("production: v1.0.0", "production: v2.0.0")
    write(repo, "registry.yaml", text)
    write(repo, "promotion.yaml", (repo / "promotion.yaml").read_text().replace("min: 0.75", "min: 0.7"))
    commit_all(repo, "promote")
    code, out, _ = mlops("gate", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["base"] == "main" and data["passed"] is False
    assert "edits promotion.yaml together with registry.yaml" in data["refused"]
    assert data["promotions"] == []
    code, out, _ = mlops("gate")
    assert code == 1 and "refused: this change edits promotion.yaml together with registry.yaml" in out
    git(repo, "revert", "--no-edit", "HEAD")
    write(repo, "registry.yaml", text)
    commit_all(repo, "promote, the policy untouched")
    code, out, _ = mlops("gate", "--format", "markdown")
    assert code == 1 and "### ❌ churn-model v2.0.0 -> production (replacing v1.0.0)" in out
    assert "| was in canary |  |  | ❌ fail: churn-model v2.0.0 has not been in canary" in out


def test_rollback_needs_a_previous_version(repo: Path) -> None:
    code, _, err = mlops("rollback", "churn-model", "--stage", "production")
    assert (
        code == 2 and "no earlier version of churn-model left production in good standing (now v1.0.0)" in err
    )
    code, _, err = mlops("rollback", "churn-model", "--stage", "prod")
    assert code == 2 and "unknown stage" in err
    tag(repo, "churn-model#staging#7", "churn-model@v1.0.0", ago=hours(1))  # staging went back from v2 to v1
    code, _, err = mlops("rollback", "churn-model", "--stage", "staging", "--apply")
    assert code == 2 and "skipped v2.0.0 (rolled back away from staging)" in err
    v3 = version_commit(repo, V2, label="v3")
    tag(repo, "churn-model@v3.0.0", v3)
    tag(repo, "churn-model#staging#9", v3)  # v3 replaces v1: v1 leaves in good standing
    code, out, err = mlops("rollback", "churn-model", "--stage", "staging", "--apply")
    assert code == 0, out + err
    assert "churn-model v1.0.0 -> staging (replacing v3.0.0) [rollback]" in out
    assert "Created tag churn-model#staging#10" in out


def test_verify_without_tags_and_outside_git(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = mlops("verify", "--json")
    assert code == 1 and json.loads(out)["tags"][0]["tag"] == "churn-model#production#4"
    code, _, err = mlops("verify", "--since", "someday")
    assert code == 2 and "neither a time" in err
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    code, _, err = mlops("status")
    assert code == 2 and "not a Git repository" in err


def test_broken_policy_is_a_located_error(repo: Path) -> None:
    write(repo, "promotion.yaml", (repo / "promotion.yaml").read_text().replace("soak: 48h", "soak: 2 days"))
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary")
    assert code == 2 and "promotion.yaml:" in err and "a duration such as 30m, 48h" in err


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("Merge pull request #42 from team/branch\n\nPromote v2", 42),
        ("Promote churn-model v2 to production (#7)\n\n* body", 7),
        ("Merge branch 'feature'\n\nSee merge request group/project!15", 15),
        ("Merge branch 'feature'", None),
        ("Fix #12 in the middle", None),
    ],
)
def test_pr_number(message: str, number: int | None) -> None:
    assert pr_number(message) == number


def test_a_merge_that_writes_the_value_itself_is_not_a_review(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "side")
    write(repo, "other.txt", "x")
    commit_all(repo, "unrelated")
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "--no-ff", "--no-commit", "-q", "side")
    write(
        repo,
        "registry.yaml",
        (repo / "registry.yaml").read_text().replace("production: v1.0.0", "production: v2.0.0"),
    )
    git(repo, "add", "registry.yaml")
    git(repo, "commit", "-q", "-m", "Merge pull request #5 from team/side")
    head = git(repo, "rev-parse", "HEAD").strip()
    trace = Tracer(repo, "registry.yaml").trace(head, "churn-model", "production")
    assert trace.merge == head and trace.pr == 5 and not trace.reviewed
    assert "itself wrote the value" in trace.reason
    tag(repo, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    code, out, _ = mlops("sync")
    assert code == 1 and "requires review: merge commit" in out


def test_apply_creates_registry_and_a_failing_hook_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "fresh"
    make_repo(root, registry=None)
    monkeypatch.chdir(root)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    code, _, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert code == 2 and "git commit" in err
    assert not (root / "registry.yaml").exists() and git(root, "status", "--porcelain") == ""
    assert tags(root, "churn-model#canary*") == ["churn-model#canary#3"]
    hook.unlink()
    code, out, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert code == 0, out + err
    assert (root / "registry.yaml").read_text().startswith("# Desired state")
    assert git(root, "ls-files", "registry.yaml").strip() == "registry.yaml"
    assert tags(root, "churn-model#canary*")[-1] == "churn-model#canary#7"


def test_a_pull_request_cannot_quiet_the_monitoring_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_promotion_gates import MONITOR_POLICY, _run

    root = tmp_path / "r"
    make_repo(root, policy=MONITOR_POLICY)
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(72))
    write(
        root,
        "monitoring/canary.jsonl",
        _run("v2.0.0", hours(30)) + "\n" + _run("v2.0.0", hours(1), "error") + "\n",
    )
    commit_all(root, "history with an alert")
    monkeypatch.chdir(root)
    git(root, "switch", "-q", "-c", "pr")
    write(root, "monitoring/canary.jsonl", _run("v2.0.0", hours(30)) + "\n")  # the alert line removed
    write(
        root,
        "registry.yaml",
        (root / "registry.yaml").read_text().replace("production: v1.0.0", "production: v2.0.0"),
    )
    commit_all(root, "promote, and tidy the history")
    code, out, _ = mlops("gate", "--base", "main")
    assert (
        code == 1 and "refused: this change edits monitoring/canary.jsonl together with registry.yaml" in out
    )


def test_gate_on_a_change_that_repairs_registry_yaml(repo: Path) -> None:
    good = (repo / "registry.yaml").read_text()
    write(repo, "registry.yaml", good.replace("staging: v1.0.0", "staging: latest"))
    commit_all(repo, "broken")
    git(repo, "switch", "-q", "-c", "fix")
    write(repo, "registry.yaml", good.replace("staging: v1.0.0", "staging: v2.0.0"))
    commit_all(repo, "fixed")
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 0, out
    assert "note: registry.yaml at the base does not load" in out
    assert "churn-model v2.0.0 -> staging: ok" in out
    assert "skip  already in stage: the tags already show v1.0.0 in production" in out


def test_real_entry_point_exit_codes(repo: Path) -> None:
    from tests.conftest import run_cli

    git(repo, "switch", "-q", "-c", "pr")
    write(
        repo,
        "registry.yaml",
        (repo / "registry.yaml").read_text().replace("production: v1.0.0", "production: v2.0.0"),
    )
    commit_all(repo, "promote")
    proc = run_cli("gate", "--format", "json", cwd=repo)
    assert proc.returncode == 1 and json.loads(proc.stdout)["passed"] is False
    proc = run_cli("sync", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlops: error: `mlops sync` runs only on the protected branch `main`")
    assert "hint: `git switch main`" in proc.stderr
