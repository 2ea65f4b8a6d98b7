"""`mlops fallback` (break glass) end to end with real Git: a bare origin, production reached through merged
pull requests and `mlops sync`, then the declared fallback assigned at once, flagged by verify and status
until a reviewed change ratifies it; forged fallback tags and widened policies are refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import git, invoke, write
from tests.helpers.promotion import (
    churn_policy,
    commit_all,
    hours,
    pull_request,
    registry,
    tag,
    tags,
    version_commit,
)

POLICY = churn_policy(
    """\
  staging:
    gates:
      - {metric: auc, min: 0.75}
  canary: {}
  production:
    review: required
    fallback: previous
    gates:
      - {metric: auc, min: 0.75}
"""
)
V1 = {"auc": 0.80, "latency_p95_ms": 30}
V2 = {"auc": 0.84, "latency_p95_ms": 35}
V3 = {"auc": 0.86, "latency_p95_ms": 33}

mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def message(root: Path, name: str) -> dict:
    text = git(root, "tag", "-l", "--format=%(contents)", name)
    return json.loads(text[text.index("{") :])


def build(root: Path, monkeypatch: pytest.MonkeyPatch, policy: str = POLICY) -> None:
    """v1 then v2 reach production through merged pull requests and `mlops sync` (tags recording passing
    gates); v3 is registered and in canary but never passed production's gates."""
    origin = root.parent / "origin.git"
    git(root.parent, "init", "-q", "--bare", str(origin))
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    write(root, "promotion.yaml", policy)
    write(root, "registry.yaml", registry(staging="v1.0.0"))
    for label, metrics, ago in (("v1", V1, 300), ("v2", V2, 200), ("v3", V3, 100)):
        commit = version_commit(root, metrics, label=label)
        tag(root, f"churn-model@{label}.0.0", commit, ago=hours(ago))
        tag(root, f"churn-model#staging#{ago}", commit, ago=hours(ago - 1))
        tag(root, f"churn-model#canary#{ago + 1}", commit, ago=hours(ago - 2))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main", "--tags")
    for number, version in ((1, "v1.0.0"), (2, "v2.0.0")):
        pull_request(root, f"promote-{version}", {"registry.yaml": registry(production=version)}, number)
        code, out, err = mlops("sync", "--push")
        assert code == 0 and "applied" in out, out + err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "work"
    build(root, monkeypatch)
    return root


def production(root: Path) -> str:
    code, out, _ = mlops("which", "churn-model", "production")
    assert code == 0, out
    return out.strip()


@pytest.mark.slow
def test_fallback_assigns_the_previous_version_at_once_and_verify_flags_it_until_ratified(repo: Path) -> None:
    assert "v2.0.0" in production(repo)
    write(
        repo, "scratch.txt", "an on-call's local edit\n"
    )  # a dirty tree does not matter: no file is written
    code, out, err = mlops(
        "fallback",
        "churn-model",
        "--stage",
        "production",
        "--reason",
        "accuracy SLO breached",
        "--evidence",
        "slo production accuracy 0.91 < 0.95 over 7d",
        "--push",
    )
    assert code == 0, out + err
    assert "Fell back: churn-model v1.0.0 now holds production (was v2.0.0)" in out
    new = (tags(repo) - {"x"}) & {t for t in tags(repo) if t.startswith("churn-model#production#")}
    name = max(new, key=lambda t: int(t.rsplit("#", 1)[1]))
    assert f"tag {name} pushed" in out
    assert name in git(repo.parent / "origin.git", "tag", "-l")
    assert "v1.0.0" in production(repo)
    data = message(repo, name)
    assert data["via"] == "mlops fallback" and data["emergency"] is True
    assert data["fallback"]["reason"] == "accuracy SLO breached"
    assert data["fallback"]["evidence"] == "slo production accuracy 0.91 < 0.95 over 7d"
    assert data["fallback"]["declared"] == "previous" and data["replaced"] == "v2.0.0"
    assert data["by"] == "Test Committer <committer@example.com>"

    # verify: an emergency change, awaiting ratification, not a failure
    code, out, _ = mlops("verify")
    assert code == 0, out
    assert f"{name}: emergency fallback of churn-model to v1.0.0 in production, awaiting ratification" in out
    assert "3 assignment tag(s) of review-required stages checked: 3 ok, 1 emergency awaiting" in out
    code, out, _ = mlops("status")
    assert "emergency fallback, awaiting ratification" in out
    assert f"by fallback {name}: accuracy SLO breached" in out

    # sync leaves the stage alone: re-applying registry.yaml's older v2 would undo the emergency switch
    code, out, _ = mlops("sync")
    assert code == 1 and f"emergency fallback tag {name}" in out
    assert "v1.0.0" in production(repo)

    # a second on-call running it again changes nothing
    before = tags(repo)
    code, out, _ = mlops("fallback", "churn-model", "--stage", "production", "--reason", "again")
    assert code == 0 and "already in production by fallback tag" in out and tags(repo) == before

    # a reviewed change setting production: v1.0.0 ratifies it
    merge = pull_request(repo, "ratify", {"registry.yaml": registry(production="v1.0.0")}, 3)
    code, out, _ = mlops("verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["awaiting_ratification"] == []
    assert [t["emergency"] for t in report["tags"] if t["tag"] == name] == [f"ratified by merge {merge[:12]}"]
    code, out, _ = mlops("sync")
    assert code == 0 and out.startswith("In sync")
    code, out, _ = mlops("status")
    assert "emergency" not in out and "in sync" in out


@pytest.mark.slow
def test_forged_fallback_tag_assigning_anything_else_fails_verify(repo: Path) -> None:
    code, out, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "bad feed")
    assert code == 0, out + err
    genuine = max(tags(repo), key=lambda t: int(t.rsplit("#", 1)[1]) if "#production#" in t else 0)
    data = message(repo, genuine)
    # someone with push rights copies the message onto v3 (never in production), claiming a fallback
    v3 = git(repo, "rev-list", "-n", "1", "churn-model@v3.0.0").strip()
    body = "Fallback churn-model v3.0.0 to production (emergency)\n\n" + json.dumps(data)
    forged = "churn-model#production#400"
    git(repo, "tag", "-a", forged, v3, "-m", body, date=datetime.now(timezone.utc) + timedelta(seconds=2))
    assert "v3.0.0" in production(repo)
    code, out, _ = mlops("verify")
    assert code == 1
    assert (
        f"{forged}: claims to be a fallback, but assigns v3.0.0: the declared fallback (previous) was" in out
    )
    assert "not verified" in out and "1 not verified" in out


@pytest.mark.slow
def test_only_the_declared_fallback_and_only_one_that_passed_the_gates(repo: Path) -> None:
    # pinned to v3 on main, which never passed production's gates: refused, exit 1, no tag
    pinned = POLICY.replace("fallback: previous", "fallback: v3.0.0")
    pull_request(repo, "pin-v3", {"promotion.yaml": pinned}, 4)
    before = tags(repo)
    code, out, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "x")
    assert code == 1
    assert "refused: churn-model v3.0.0 never passed production's gates" in err and tags(repo) == before
    assert "v2.0.0" in production(repo)

    # the protected branch decides: neither a local edit nor an unmerged branch's policy widens it
    write(repo, "promotion.yaml", POLICY)
    code, out, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "x")
    assert code == 1 and "v3.0.0 never passed" in err
    git(repo, "switch", "-q", "-c", "widen")
    commit_all(repo, "fallback: previous, unreviewed")
    code, out, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "x")
    assert code == 1 and "v3.0.0 never passed" in err and tags(repo) == before
    git(repo, "switch", "-q", "main")
    code, out, _ = mlops("lint")
    assert code == 1
    assert "promotion.yaml:16:15: error: stage `production`: fallback `v3.0.0` of churn-model" in out

    # a stage that declares no fallback, an unknown stage, an empty reason: exit 2, nothing written
    code, _, err = mlops("fallback", "churn-model", "--stage", "canary", "--reason", "x")
    assert code == 2 and "stage canary declares no fallback in promotion.yaml on main" in err
    code, _, err = mlops("fallback", "churn-model", "--stage", "prod", "--reason", "x")
    assert code == 2 and "unknown stage `prod`" in err
    code, _, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", " ")
    assert code == 2 and "--reason is required" in err
    code, _, err = mlops("fallback", "churn-model", "--stage", "production")
    assert code == 2 and "Missing option '--reason'" in err
    assert tags(repo) == before


@pytest.mark.slow
def test_pinned_unregistered_fallback_is_a_lint_error_and_exit_2(repo: Path) -> None:
    pull_request(
        repo, "pin-v9", {"promotion.yaml": POLICY.replace("fallback: previous", "fallback: v9.0.0")}, 5
    )
    code, out, _ = mlops("lint")
    assert code == 1 and "the pinned fallback churn-model@v9.0.0 is not registered" in out
    code, _, err = mlops("fallback", "churn-model", "--stage", "production", "--reason", "x")
    assert code == 2 and "cannot fall back: the pinned fallback churn-model@v9.0.0 is not registered" in err
