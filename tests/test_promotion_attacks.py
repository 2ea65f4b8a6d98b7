"""Issue 11's attacks, each tried end to end with real Git (a bare origin, `--no-ff` merge commits), and what
each now gets. Every test asserts the exit code and the message a user reads, and that no tag was written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, invoke, tool, write
from tests.helpers.promotion import (
    V2,
    churn_policy,
    commit_all,
    hours,
    make_repo,
    pull_request,
    registry,
    tag,
    tags,
    version_commit,
)

GTO = tool("gto")

POLICY = churn_policy(
    """\
  staging:
    gates:
      - {metric: auc, min: 0.75}
  production:
    after: staging
    soak: 48h
    review: required
    gates:
      - {metric: auc, not_worse_than: incumbent, tolerance: 0.005, slices: all}
      - {metric: latency_p95_ms, max: 50}
"""
)
LAX = """\
kind: Promotion
version: 1
protected_branch: main
artifacts:
  churn-model:
    path: models/model.pkl
    metrics: metrics/eval.json
stages:
  staging: {}
  production:
    review: required
"""
REGISTRY = "kind: Registry\nversion: 1\nchurn-model:\n  staging: v2.0.0\n  production: v1.0.0\n"
V3_BAD_SLICE = {"auc": 0.79, "latency_p95_ms": 30, "slices": {"north": {"auc": 0.80}, "south": {"auc": 0.70}}}


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def at_once(root: Path, times: int, *args: str) -> list[tuple[int, tuple[str, str]]]:
    """Run `mlops ARGS` TIMES in parallel processes: each one's (exit code, (stdout, stderr))."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mlops", *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(times)
    ]
    return [(p.wait(), p.communicate()) for p in procs]


def gto_ref(root: Path, name: str) -> str:
    proc = subprocess.run([GTO, "show", name, "--ref"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main: v1 in production (a tag from before mlops), v2 in staging for 99h; origin is a bare repository."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    root = tmp_path / "work"
    make_repo(root, policy=POLICY, registry=REGISTRY)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main", "--tags")
    monkeypatch.chdir(root)
    return root


def _bad_v3(root: Path) -> str:
    """v3: registered properly, in staging for 60h, but its south slice is worse than v1's."""
    c3 = version_commit(root, V3_BAD_SLICE, label="v3")
    tag(root, "churn-model@v3.0.0", c3, ago=hours(61))
    tag(root, "churn-model#staging#7", c3, ago=hours(60))
    write(root, "registry.yaml", registry(staging="v3.0.0", production="v1.0.0"))
    commit_all(root, "staging is v3")
    git(root, "push", "-q", "origin", "main", "--tags")
    return c3


@pytest.mark.slow
def test_attack_1_policy_swap_through_mlops_yaml_is_refused_by_gate_and_sync(repo: Path) -> None:
    _bad_v3(repo)
    before = tags(repo)
    files = {
        "lax.yaml": LAX,
        "mlops.yaml": "kind: Project\nversion: 1\npromotion: lax.yaml\n",
        "registry.yaml": registry(staging="v3.0.0", production="v3.0.0"),
    }
    pull_request(repo, "lax", files, 21, merge=False)
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 1
    assert "refused: this change edits lax.yaml, mlops.yaml together with registry.yaml" in out
    assert "change in their own pull request" in out

    git(repo, "switch", "-q", "main")
    git(repo, "merge", "--no-ff", "-q", "lax", "-m", "Merge pull request #21 from team/lax")
    code, out, _ = mlops("sync")
    assert code == 1
    assert "refused  churn-model v3.0.0 -> production (replacing v1.0.0)" in out
    assert "edits lax.yaml, mlops.yaml together with registry.yaml" in out
    assert tags(repo) == before
    assert gto_ref(repo, "churn-model#production") == "churn-model@v1.0.0"

    # issue 15 item 4: status and history show the refusal, with the reason
    code, out, _ = mlops("status")
    assert code == 0
    assert ["churn-model", "production", "v3.0.0", "v1.0.0", "refused"] in [
        line.split() for line in out.splitlines()
    ]
    assert "refused by sync: churn-model.production = v3.0.0: this change edits lax.yaml, mlops.yaml" in out
    code, out, _ = mlops("history", "churn-model")
    assert "v3.0.0 -> production REFUSED" in out
    code, out, _ = mlops("verify", "--since", "churn-model#production#4")
    assert code == 0 and "0 assignment tag(s)" in out


@pytest.mark.slow
def test_attack_1b_a_pull_request_that_loosens_promotion_yaml_itself_is_refused(repo: Path) -> None:
    _bad_v3(repo)
    before = tags(repo)
    loose = POLICY.replace(
        "      - {metric: auc, not_worse_than: incumbent, tolerance: 0.005, slices: all}\n", ""
    )
    pull_request(
        repo,
        "loosen",
        {"promotion.yaml": loose, "registry.yaml": registry(staging="v3.0.0", production="v3.0.0")},
        22,
    )
    code, out, _ = mlops("sync", "--json")
    assert code == 1
    [action] = json.loads(out)["actions"]
    assert action["status"] == "refused"
    assert action["reason"].startswith("this change edits promotion.yaml together with registry.yaml")
    assert tags(repo) == before

    # the same registry change alone is judged by the real policy, which refuses the regressed slice
    git(repo, "revert", "--no-edit", "-m", "1", "HEAD")
    pull_request(
        repo, "again", {"registry.yaml": registry(staging="v3.0.0", production="v3.0.0")}, 23, merge=False
    )
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 1 and "auc on slice south: 0.7 vs incumbent v1.0.0's 0.77" in out


@pytest.mark.slow
def test_attack_2_a_hand_made_version_tag_on_doctored_metrics_is_not_provable(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "doctor")
    write(repo, "metrics/eval.json", json.dumps({**V2, "auc": 0.99}))
    commit_all(repo, "better numbers")
    git(repo, "tag", "-a", "churn-model@v0.9.0", "-m", "x")
    write(repo, "registry.yaml", registry(staging="v0.9.0", production="v1.0.0"))
    commit_all(repo, "stage v0.9.0")
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 1
    assert "churn-model v0.9.0 cannot be proven at commit" in out
    assert (
        "dvc.lock is stale: output metrics/eval.json differs from the md5 in dvc.lock (modified after the "
        "last run)"
    ) in out and "`mlops register` would refuse that commit" in out

    # merged anyway (staging needs no review): sync re-checks and refuses too
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "--no-ff", "-q", "doctor", "-m", "Merge pull request #24 from team/doctor")
    before = tags(repo)
    code, out, _ = mlops("sync")
    assert code == 1 and "churn-model v0.9.0 cannot be proven" in out
    assert tags(repo) == before


def _promote_through_pr(root: Path, production: str, number: int) -> str:
    pull_request(
        root, f"pr-{number}", {"registry.yaml": registry(staging="v2.0.0", production=production)}, number
    )
    code, out, err = mlops("sync", "--push")
    assert code == 0, out + err
    return out


@pytest.mark.slow
def test_attack_3_and_7_replayed_message_fails_verify_and_a_pulled_version_returns_with_every_gate(
    repo: Path,
) -> None:
    assert "churn-model#production#7" in _promote_through_pr(repo, "v2.0.0", 31)
    out = _promote_through_pr(repo, "v1.0.0", 32)  # roll back: v2 is pulled from production
    assert "churn-model v1.0.0 -> production (replacing v2.0.0) [rollback]: churn-model#production#8" in out

    # 7: v2 was rolled back away from: coming back is a promotion with every gate, not a rollback
    pull_request(
        repo, "return", {"registry.yaml": registry(staging="v2.0.0", production="v2.0.0")}, 33, merge=False
    )
    code, out, _ = mlops("gate", "--base", "main", "--format", "json")
    [ev] = json.loads(out)["promotions"]
    assert ev["rollback"] is False
    gates = {g["gate"]: g for g in ev["gates"]}
    assert (
        "was rolled back away from production by churn-model#production#8"
        in gates["not a rollback"]["message"]
    )
    assert gates["soak 48h in staging"]["passed"] and not gates["soak 48h in staging"].get("skipped")
    assert not any(g.get("skipped") for g in ev["gates"])
    git(repo, "switch", "-q", "main")

    # 3: the message of #8 (the merge that put v1 back) copied onto a new tag on v1's commit
    message = git(repo, "tag", "-l", "--format=%(contents)", "churn-model#production#8")
    write(repo.parent, "copied.txt", message)
    git(
        repo,
        "tag",
        "-a",
        "churn-model#production#9",
        "-F",
        str(repo.parent / "copied.txt"),
        "churn-model@v1.0.0^{commit}",
    )
    code, out, _ = mlops("verify", "--since", "churn-model#production#4")
    assert code == 1
    assert (
        "churn-model#production#9: merge " in out
        and "'s change is already proven by tag "
        "churn-model#production#8 (a copied message or an extra tag: one tag per change)"
        in out
    )
    assert "3 assignment tag(s) of review-required stages checked: 2 ok, 1 not verified" in out

    # the copied message of #7 (v2) on v1's commit names the version it does not prove
    message = git(repo, "tag", "-l", "--format=%(contents)", "churn-model#production#7")
    write(repo.parent, "copied.txt", message)
    git(
        repo,
        "tag",
        "-a",
        "churn-model#production#10",
        "-F",
        str(repo.parent / "copied.txt"),
        "churn-model@v1.0.0^{commit}",
    )
    code, out, _ = mlops("verify", "--since", "churn-model#production#4", "--json")
    assert code == 1
    report = {t["tag"]: t for t in json.loads(out)["tags"]}
    assert report["churn-model#production#7"]["ok"] and report["churn-model#production#8"]["ok"]
    assert any(
        "set production: v2.0.0, but the tag is on v1.0.0's commit" in p
        for p in report["churn-model#production#10"]["problems"]
    )


def test_attack_4_option_injection_names_are_refused(repo: Path) -> None:
    before = tags(repo)
    evil = POLICY.replace("artifacts:\n", "artifacts:\n  --file:x:\n    path: models/model.pkl\n")
    write(repo, "promotion.yaml", evil)
    code, out, _ = mlops("lint")
    assert code == 1
    assert "promotion.yaml:5:3: error:" in out and "artifact names follow GTO" in out
    code, _, err = mlops("register", "--", "--file:x")
    assert code == 2 and "promotion.yaml:5:3: error:" in err
    assert tags(repo) == before and not list(repo.glob("x@*"))

    # what gto accepts is accepted: CV_Model
    write(
        repo,
        "promotion.yaml",
        POLICY.replace(
            "artifacts:\n", "artifacts:\n  CV_Model:\n    path: models/model.pkl\n    owner: cv-team\n"
        ),
    )
    commit_all(repo, "a second artifact")
    code, out, err = mlops("register", "CV_Model")
    assert code == 0, out + err
    assert "created tag CV_Model@v0.1.0" in out
    assert gto_ref(repo, "CV_Model@latest") == "CV_Model@v0.1.0"
    write(repo, "registry.yaml", REGISTRY + "CV_Model:\n  staging: v0.1.0\n")
    code, out, _ = mlops("lint")
    assert "CV_Model" not in out and "error" not in out.replace("0 errors", ""), out


def test_attack_4_names_never_reach_git_as_options(repo: Path) -> None:
    from mlops.registry.tags import valid_artifact, valid_stage

    assert not valid_artifact("--file:x") and not valid_artifact("-x") and not valid_artifact("a..b:c")
    assert valid_artifact("CV_Model") and valid_artifact("dir.v2/sub:name") and not valid_stage("-prod")
    code, _, err = mlops("gate", "--base", "--output=x")
    assert code == 2 and "unknown revision `--output=x`" in err
    assert not (repo / "x").exists()


MINIMAL_PIPELINE = """\
kind: Pipeline
version: 1
stages:
  hello:
    cmd: python hello.py
    deps:
      - {dep}
    outs:
      - out.txt
"""


def test_attack_5_paths_out_of_the_repository_are_located_errors(repo: Path) -> None:
    outside = repo.parent / "outside"
    outside.mkdir()
    write(repo, "pipelines/main.yaml", MINIMAL_PIPELINE.format(dep="hello.py"))
    write(repo, "hello.py", "print('hi')\n")
    write(repo, "mlops.yaml", "kind: Project\nversion: 1\ndvc_yaml: ../../outside/dvc.yaml\n")
    code, _, err = mlops("compile")
    assert code == 2
    assert "mlops.yaml:3:11: error: `../../outside/dvc.yaml` is outside the repository" in err
    assert not (outside / "dvc.yaml").exists() and not (repo.parent.parent / "outside").exists()
    code, out, _ = mlops("lint")
    assert code == 1 and "mlops.yaml:3:11: error: `../../outside/dvc.yaml` is outside" in out

    write(outside / "..", "outside/evil.yaml", "kind: Rules\nversion: 1\ncolumns: {}\n")
    for pattern in ('["../outside/*.yaml"]', '["/tmp/*.yaml"]'):
        write(repo, "mlops.yaml", f"kind: Project\nversion: 1\nrules: {pattern}\n")
        code, out, _ = mlops("lint")
        assert code == 1 and "mlops.yaml:3:9: error:" in out and "is outside the repository" in out, out

    (repo / "mlops.yaml").unlink()
    (repo / "rules").mkdir()
    (repo / "rules" / "evil.yaml").symlink_to(outside / "evil.yaml")
    code, out, _ = mlops("lint")
    assert code == 1
    assert (
        "rules/evil.yaml:1:1: error: `rules/evil.yaml` is a symlink to a file outside the repository" in out
    )
    (repo / "rules" / "evil.yaml").unlink()

    found = []
    for dep in ("/etc/shadow", "/nonexistent"):
        write(repo, "pipelines/main.yaml", MINIMAL_PIPELINE.format(dep=dep))
        code, out, _ = mlops("lint")
        found.append((code, out.replace(dep, "DEP")))
    assert found[0] == found[1]
    assert (
        found[0][0] == 1
        and "pipelines/main.yaml:7:9: error: dependency `DEP` is outside the repository" in found[0][1]
    )


@pytest.mark.slow
def test_attack_6_parallel_syncs_write_one_tag_per_change(repo: Path) -> None:
    c3 = version_commit(repo, V2, label="v3")
    tag(repo, "churn-model@v3.0.0", c3, ago=hours(2))
    pull_request(repo, "stage-v3", {"registry.yaml": registry(staging="v3.0.0", production="v1.0.0")}, 41)
    before = tags(repo)
    results = at_once(repo, 8, "sync")
    assert all(code == 0 for code, _ in results), results
    assert tags(repo) - before == {"churn-model#staging#7"}
    assert sum("applied" in out for _, (out, _) in results) == 1


@pytest.mark.slow
def test_attack_6_parallel_promote_apply_keeps_commit_tags_and_index_agreeing(repo: Path) -> None:
    c3 = version_commit(repo, V2, label="v3")
    tag(repo, "churn-model@v3.0.0", c3, ago=hours(2))
    before = tags(repo)
    results = at_once(repo, 4, "promote", "churn-model@v3.0.0", "--to", "staging", "--apply")
    assert all(code == 0 for code, _ in results), results
    assert tags(repo) - before == {"churn-model#staging#7"}
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s").strip() == "Promote churn-model v3.0.0 to staging"
    assert len(git(repo, "log", "--format=%H", "--", "registry.yaml").split()) == 2
    code, out, _ = mlops("status")
    assert code == 0 and out.strip().endswith("in sync")


def test_a_failed_commit_leaves_the_index_and_registry_yaml_as_they_were(repo: Path) -> None:
    c3 = version_commit(repo, V2, label="v3")
    tag(repo, "churn-model@v3.0.0", c3, ago=hours(2))
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    before, text = tags(repo), (repo / "registry.yaml").read_text()
    code, _, err = mlops("promote", "churn-model@v3.0.0", "--to", "staging", "--apply")
    assert code == 2 and "git commit failed" in err
    assert tags(repo) == before and (repo / "registry.yaml").read_text() == text
    assert git(repo, "status", "--porcelain") == "" and git(repo, "diff", "--cached", "--name-only") == ""


@pytest.mark.slow
def test_attack_8_rollback_then_promote_in_one_second_agrees_with_gto(repo: Path) -> None:
    code, out, err = mlops("rollback", "churn-model", "--stage", "staging", "--apply")
    assert code == 0 and "churn-model v1.0.0 -> staging (replacing v2.0.0) [rollback]" in out, out + err
    code, out, err = mlops("promote", "churn-model@v2.0.0", "--to", "staging", "--apply")
    assert code == 0, out + err
    assert "was rolled back away from staging" in out
    times = git(
        repo, "tag", "-l", "--format=%(taggerdate:unix)", "churn-model#staging#7", "churn-model#staging#8"
    )
    assert len(set(times.split())) == 2  # never two events of one artifact in one second
    code, out, _ = mlops("which", "churn-model", "staging")
    assert out.strip().startswith("v2.0.0")
    assert gto_ref(repo, "churn-model#staging") == "churn-model@v2.0.0"


def test_register_refuses_an_artifact_identical_to_the_latest_version(repo: Path) -> None:
    version_commit(repo, V2, label="v4")
    code, out, err = mlops("register", "churn-model", "--version", "v4.0.0")
    assert code == 0, out + err
    write(repo, "README.md", "docs only\n")
    commit = commit_all(repo, "docs: the model did not change")
    code, _, err = mlops("register", "churn-model")
    assert code == 2
    assert f"churn-model at {commit[:7]} is byte-identical to v4.0.0 (same md5" in err
    assert "pass --force to register it anyway" in err
    assert "churn-model@v4.0.1" not in tags(repo)
    code, out, err = mlops("register", "churn-model", "--force")
    assert code == 0 and "created tag churn-model@v4.0.1" in out, out + err
