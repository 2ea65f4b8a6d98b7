"""The issue's end-to-end scenario, real Git only: a bare origin, a feature branch promoting v2 to production,
gate before and after the soak, a --no-ff merge, sync, gto agreeing, rollback, refusals and verify."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import git, invoke, tool, write
from tests.helpers.promotion import POLICY, V1, commit_all, hours, make_repo, tag, version_commit

GTO = tool("gto")

E2E_POLICY = (
    POLICY.replace("soak: 48h", "soak: 6s")
    + "      - {monitor: monitoring/canary.jsonl, no_alerts_for: 24h}\n"
)
E2E_REGISTRY = """\
# Desired state, changed through pull requests.
kind: Registry
version: 1
churn-model:
  staging: v2.0.0   # newest candidate
  canary: v1.0.0
  production: v1.0.0  # what customers get
"""


mlops = invoke  # exit code, stdout, stderr (tests.conftest)


def history_line(version: str, ago: timedelta, alerts: list | None = None) -> str:
    moment = (datetime.now(timezone.utc) - ago).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "type": "run",
            "schema": 1,
            "id": f"run-{version}-{ago.total_seconds():.0f}",
            "time": moment,
            "artifact": "churn-model",
            "version": version,
            "ref": "churn-model#canary",
            "commit": "0" * 40,
            "data": "live.csv",
            "rows": 100,
            "features": {},
            "metrics": {"overall": {}, "slices": {}},
            "label_coverage": None,
            "alerts": alerts or [],
        }
    )


def gto_ref(root: Path, name: str) -> str:
    proc = subprocess.run([GTO, "show", name, "--ref"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def merge_pr(root: Path, branch: str, number: int) -> str:
    git(root, "switch", "-q", "main")
    git(root, "merge", "--no-ff", "-q", branch, "-m", f"Merge pull request #{number} from team/{branch}")
    return git(root, "rev-parse", "HEAD").strip()


@pytest.mark.slow
def test_promotion_through_pull_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    repo = tmp_path / "work"
    commits = make_repo(repo, policy=E2E_POLICY, registry=E2E_REGISTRY)
    write(
        repo,
        "monitoring/canary.jsonl",
        "\n".join(history_line("v2.0.0", hours(h)) for h in (30, 20, 10, 1)) + "\n",
    )
    commit_all(repo, "monitoring history of the canary")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main", "--tags")
    monkeypatch.chdir(repo)

    # v2 enters canary directly on main (no review needed), then a feature branch asks for production
    code, out, err = mlops("promote", "churn-model@v2.0.0", "--to", "canary", "--apply")
    assert code == 0, out + err
    assert "Created tag churn-model#canary#7" in out
    git(repo, "push", "-q", "origin", "main", "--tags")
    git(repo, "switch", "-q", "-c", "promote-v2")
    text = (repo / "registry.yaml").read_text()
    write(repo, "registry.yaml", text.replace("production: v1.0.0  #", "production: v2.0.0  #"))
    commit_all(repo, "Promote churn-model v2.0.0 to production")

    code, out, _ = mlops("gate", "--base", "main")
    assert code == 1
    assert "soak 6s in canary" in out and "soak needs 6s" in out
    canary_at = int(git(repo, "tag", "-l", "--format=%(taggerdate:unix)", "churn-model#canary#7"))
    # the soak is over: the clock mlops reads says so (MLOPS_NOW), no waiting
    monkeypatch.setenv("MLOPS_NOW", datetime.fromtimestamp(canary_at + 7, timezone.utc).isoformat())
    code, out, _ = mlops("gate", "--base", "main", "--format", "markdown")
    assert code == 0, out
    assert "### ✅ churn-model v2.0.0 -> production (replacing v1.0.0)" in out
    assert (
        "| auc not worse than incumbent (tolerance 0.005) [slice south] | 0.78 | 0.765 (v1.0.0: 0.77) |"
        in out
    )

    # sync refuses off the protected branch; after the merge it writes the tag, once
    code, _, err = mlops("sync")
    assert code == 2 and "only on the protected branch `main`" in err
    merge = merge_pr(repo, "promote-v2", 12)
    code, out, err = mlops("sync", "--push")
    assert code == 0, out + err
    assert "applied  churn-model v2.0.0 -> production (replacing v1.0.0): churn-model#production#8" in out
    message = git(repo, "tag", "-l", "--format=%(contents)", "churn-model#production#8")
    data = json.loads(message[message.index("{") :])
    assert data["merge_commit"] == merge and data["pr"] == 12 and data["gates_passed"] is True
    assert data["registry_change"] == git(repo, "rev-parse", "promote-v2").strip()
    assert any(g["gate"].startswith("no error alerts for 24h") for g in data["gates"])
    assert "churn-model#production#8" in git(origin, "tag", "-l")
    code, out, _ = mlops("sync")
    assert code == 0 and out.startswith("In sync")
    assert gto_ref(repo, "churn-model#production") == "churn-model@v2.0.0"

    # rollback through the same path: a PR puts v1 back, sync applies it
    git(repo, "switch", "-q", "-c", "rollback")
    code, out, err = mlops("rollback", "churn-model", "--stage", "production")
    assert code == 0, out + err
    assert "[rollback]" in out and "Wrote registry.yaml: churn-model.production = v1.0.0" in out
    assert "production: v1.0.0  # what customers get" in (repo / "registry.yaml").read_text()
    commit_all(repo, "Roll back production to v1.0.0")
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 0, out
    merge_pr(repo, "rollback", 13)
    code, out, err = mlops("sync")
    assert code == 0 and "churn-model#production#9" in out, out + err
    assert gto_ref(repo, "churn-model#production") == "churn-model@v1.0.0"

    # history shows each assignment with its gate results
    code, out, _ = mlops("history", "churn-model", "--json")
    assert code == 0, out
    synced = [
        e
        for e in json.loads(out)["events"]
        if e["tag"] in ("churn-model#production#8", "churn-model#production#9")
    ]
    assert len(synced) == 2 and all(e["data"]["gates"] and e["data"]["gates_passed"] for e in synced)
    code, out, _ = mlops("history", "churn-model")
    assert "PR #12, merge" in out and "gates 8/8 passed" in out and "PR #13" in out
    assert "v1.0.0 -> production (rollback)" in out and "gates 2 passed, 5 skipped (rollback)" in out

    # a direct commit of registry.yaml on main is refused for production (review required)
    text = (repo / "registry.yaml").read_text()
    write(repo, "registry.yaml", text.replace("production: v1.0.0", "production: v2.0.0"))
    commit_all(repo, "quick fix straight on main (#99)")
    code, out, _ = mlops("sync")
    assert code == 1
    assert "requires review" in out and "made directly on the branch" in out
    assert gto_ref(repo, "churn-model#production") == "churn-model@v1.0.0"
    git(repo, "revert", "--no-edit", "HEAD")

    # a production tag pushed by hand is flagged by verify; the synced ones pass
    code, out, _ = mlops("verify")
    assert code == 1 and "churn-model#production#4: records no merge commit" in out  # set up by hand
    code, out, _ = mlops("verify", "--since", "churn-model#production#4")
    assert code == 0, out
    assert "2 assignment tag(s) of review-required stages checked: 2 ok" in out
    git(repo, "tag", "-a", "churn-model#production#10", commits["v2"], "-m", "hotfix by hand")
    git(repo, "push", "-q", "origin", "churn-model#production#10")
    code, out, _ = mlops("verify", "--since", "churn-model#production#4")
    assert code == 1
    assert "churn-model#production#10: records no merge commit" in out

    # a slice that regresses blocks a promotion whose overall metric improved
    v3 = version_commit(
        repo,
        {"auc": 0.86, "latency_p95_ms": 31, "slices": {"north": {"auc": 0.90}, "south": {"auc": 0.70}}},
        label="v3",
    )
    tag(repo, "churn-model@v3.0.0", v3, ago=hours(80))
    tag(repo, "churn-model#staging#11", v3, ago=hours(79))
    tag(repo, "churn-model#canary#12", v3, ago=hours(78))
    git(repo, "switch", "-q", "-c", "promote-v3")
    text = (repo / "registry.yaml").read_text()
    write(repo, "registry.yaml", text.replace("production: v1.0.0", "production: v3.0.0"))
    commit_all(repo, "Promote v3")
    code, out, _ = mlops("gate", "--base", "main")
    assert code == 1
    assert (
        "auc on slice south: 0.7 vs incumbent v2.0.0's 0.78: lower by 0.08, more than the tolerance "
        "0.005 (threshold 0.775)"
    ) in out
    assert V1["auc"] < 0.86  # overall improved
