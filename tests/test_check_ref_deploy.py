"""The deploy workflows `mlops init` writes: valid against GitHub's and GitLab's schemas, started both by a
hand-pushed assignment tag and by the sync job (whose GITHUB_TOKEN pushes start no workflow), and, run step
by step on a fresh clone after a promotion, fetching exactly the bytes registered for the stage."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, tool
from tests.test_reproduce_support import commit_all, dvc, init_project, sh, write

TEMPLATE = REPO_ROOT / "mlops" / "templates" / "default"
DEPLOY = TEMPLATE / ".github" / "workflows" / "deploy.yml"
SYNC = TEMPLATE / ".github" / "workflows" / "sync.yml"
GITLAB = TEMPLATE / ".gitlab-ci.yml"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as True
    return data


def github_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter patterns: `**` any characters, `*` any but `/`, `?` one character."""
    out = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace(r"\?", ".")
    return re.compile("^" + out.replace("\0", ".*") + "$")


def test_gitlab_file_matches_gitlabs_schema() -> None:
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(GITLAB)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hand_pushed_tags_start_the_deploy_workflow() -> None:
    patterns = [github_glob(p) for p in load(DEPLOY)["on"]["push"]["tags"]]
    for tag in ("churn#production#3", "models/sub=churn#prod#12", "churn#staging"):
        assert any(p.match(tag) for p in patterns), tag
    for tag in ("v1.0.0", "churn@v1.0.0", "release-2026"):
        assert not any(p.match(tag) for p in patterns), tag
    assert "mlops check-ref" in _run(DEPLOY) and "mlops get" in _run(DEPLOY)
    assert "YOUR DEPLOYMENT STEP" in DEPLOY.read_text() and "YOUR DEPLOYMENT STEP" in GITLAB.read_text()


def test_sync_job_calls_the_deploy_workflow_with_the_tags_it_wrote() -> None:
    """GITHUB_TOKEN pushes start no workflow: sync.yml must chain the deploy itself."""
    sync, deploy = load(SYNC), load(DEPLOY)
    assert deploy["on"]["workflow_call"]["inputs"]["tag"]["required"] is True
    job = next(j for j in sync["jobs"].values() if j.get("uses") == "./.github/workflows/deploy.yml")
    assert job["needs"] == "sync" and job["secrets"] == "inherit"
    assert job["with"]["tag"] == "${{ matrix.tag }}"
    assert "needs.sync.outputs.tags" in job["strategy"]["matrix"]["tag"]
    assert sync["jobs"]["sync"]["outputs"]["tags"] == "${{ steps.sync.outputs.tags }}"
    assert "inputs.tag || github.ref_name" in json.dumps(deploy["jobs"])


def _run(path: Path) -> str:
    return "\n".join(s.get("run", "") for job in load(path)["jobs"].values() for s in job.get("steps", []))


# ------------------------------------------------------------------------------------------------------
# The done-when scenario: the workflows' own steps, run locally.


def _expand(text: str, outputs: dict[str, dict[str, str]], tag: str) -> str:
    text = text.replace("${{ inputs.tag || github.ref_name }}", tag)
    text = re.sub(r"\$\{\{ secrets\.\w+ \}\}", "", text)
    return re.sub(
        r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}", lambda m: outputs.get(m[1], {}).get(m[2], ""), text
    )


def _condition(step: dict[str, Any], outputs: dict[str, dict[str, str]]) -> bool:
    cond = step.get("if")
    if cond is None:
        return True
    m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+) == '(\w+)'", cond)
    assert m, f"the local runner does not know the condition {cond!r}"
    return outputs.get(m[1], {}).get(m[2]) == m[3]


def run_steps(workflow: Path, job: str, cwd: Path, tag: str) -> dict[str, dict[str, str]]:
    """Run the `run:` steps of JOB as a GitHub runner would (env, step outputs, `if:`), skipping `uses:`
    steps and the pip install (this test's Python already has mlops); returns every step's outputs."""
    spec = load(workflow)["jobs"][job]
    outputs: dict[str, dict[str, str]] = {}
    bindir = str(Path(sys.executable).parent)
    for i, step in enumerate(spec["steps"]):
        if "run" not in step or "pip install" in step["run"] or not _condition(step, outputs):
            continue
        out_file = cwd.parent / f"out-{job}-{i}.txt"
        out_file.write_text("")
        env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"], "GITHUB_OUTPUT": str(out_file)}
        for key, value in {**spec.get("env", {}), **step.get("env", {})}.items():
            env[key] = _expand(str(value), outputs, tag)
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"step {step.get('name', i)} failed:\n{proc.stdout}\n{proc.stderr}"
        pairs = [line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line]
        outputs[step.get("id", str(i))] = dict(pairs)
    return outputs


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324 - DVC's hash


PROMOTION = """\
kind: Promotion
version: 1
protected_branch: main
artifacts:
  churn:
    path: model.bin
    type: model
stages:
  staging: {}
  production:
    after: null
"""
DVC_YAML = "stages:\n  train:\n    cmd: cp data.txt model.bin\n    deps: [data.txt]\n    outs: [model.bin]\n"


@pytest.mark.slow
def test_deploy_steps_fetch_exactly_the_bytes_registered_for_the_stage(tmp_path: Path) -> None:
    from mlops.api.registry import register

    work, bare = tmp_path / "work", tmp_path / "origin.git"
    init_project(work, tmp_path / "dvc-remote")
    write(work, "promotion.yaml", PROMOTION)
    write(work, "registry.yaml", "kind: Registry\nversion: 1\n")
    write(work, "dvc.yaml", DVC_YAML)
    for version, data in (("v1.0.0", "model one\n"), ("v2.0.0", "model two\n")):
        write(work, "data.txt", data)
        dvc(work, "repro", "-q")
        commit_all(work, f"train {version}")
        register("churn", version=version, root=work)
        dvc(work, "push", "-q")
    sh(tmp_path, "git", "init", "-q", "--bare", str(bare))
    sh(work, "git", "remote", "add", "origin", str(bare))
    sh(work, "git", "push", "-q", "origin", "main", "--tags")

    # A promotion reviewed and merged: registry.yaml on main; the sync job (a CI clone) writes the tags.
    mlops = [sys.executable, "-m", "mlops"]
    sh(work, *mlops, "promote", "churn@v1.0.0", "--to", "production")
    commit_all(work, "promote churn v1.0.0 to production")
    sh(work, "git", "push", "-q", "origin", "main")
    ci = tmp_path / "ci-sync"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(ci))
    synced = run_steps(SYNC, "sync", ci, tag="main")
    tags = json.loads(synced["sync"]["tags"])
    production_tag = next(t for t in tags if t.startswith("churn#production#"))
    assert sh(bare, "git", "tag", "-l", production_tag) == production_tag  # sync pushed it

    # The deploy workflow, called by sync with that tag, on a fresh clone with an empty DVC cache.
    runner = tmp_path / "deploy-runner"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(runner))
    outputs = run_steps(DEPLOY, "deploy", runner, tag=production_tag)
    assert outputs["ref"]["event"] == "assignment" and outputs["ref"]["version"] == "v1.0.0"
    registered = _registered_md5(runner, "churn@v1.0.0")
    assert md5_of(runner / "artifact") == registered == hashlib.md5(b"model one\n").hexdigest()  # noqa: S324

    # A tag pushed by hand (the push trigger): v2.0.0 into staging.
    from mlops.registry import write as tags_writer

    hand = tags_writer.assign(work, "churn", "v2.0.0", "staging")
    sh(work, "git", "push", "-q", "origin", hand)
    runner2 = tmp_path / "deploy-runner-2"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(runner2))
    outputs = run_steps(DEPLOY, "deploy", runner2, tag=hand)
    assert outputs["ref"]["stage"] == "staging" and outputs["ref"]["version"] == "v2.0.0"
    assert md5_of(runner2 / "artifact") == _registered_md5(runner2, "churn@v2.0.0")

    # The GitLab job's script, on a tag pipeline for the same hand-pushed tag.
    runner4 = tmp_path / "gitlab-runner"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(runner4))
    run_gitlab(runner4, hand)
    assert md5_of(runner4 / "artifact") == _registered_md5(runner4, "churn@v2.0.0")

    # Not an assignment (a registration tag): check-ref answers, nothing is fetched or deployed.
    runner3 = tmp_path / "deploy-runner-3"
    sh(tmp_path, "git", "clone", "-q", str(bare), str(runner3))
    outputs = run_steps(DEPLOY, "deploy", runner3, tag="churn@v2.0.0")
    assert outputs["ref"]["event"] == "registration" and "fetch" not in outputs
    assert not (runner3 / "artifact").exists()


def run_gitlab(cwd: Path, tag: str) -> None:
    """The deploy job's before_script (but the pip install) and script in one shell, as GitLab runs them."""
    job = yaml.safe_load(GITLAB.read_text())["deploy"]
    lines = [c for c in job["before_script"] if "pip install" not in c] + job["script"]
    env = {
        **os.environ,
        "CI_COMMIT_TAG": tag,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", "\n".join(lines)], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "to staging from artifact" in proc.stdout


def _registered_md5(repo: Path, ref: str) -> str:
    artifact, version = ref.split("@")
    proc = subprocess.run(
        [sys.executable, "-m", "mlops", "versions", artifact, "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    rows = json.loads(proc.stdout)["versions"]
    return next(r["data"]["hash"]["md5"] for r in rows if r["version"] == version)
