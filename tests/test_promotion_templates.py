"""The CI workflow templates: valid against GitHub's workflow schema, and running the promotion commands."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import tool

TEMPLATES = Path(__file__).resolve().parent.parent / "mlops" / "templates"
WORKFLOWS = sorted(TEMPLATES.glob("*/.github/workflows/*.y*ml"))
CHECK = tool("check-jsonschema")
if not Path(CHECK).exists():
    CHECK = shutil.which("check-jsonschema") or "check-jsonschema"


@pytest.mark.skipif(not WORKFLOWS, reason="no workflow templates yet")
def test_workflows_match_githubs_schema() -> None:
    proc = subprocess.run(
        [CHECK, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _runs(path: Path) -> str:
    data = yaml.safe_load(path.read_text())
    return "\n".join(step.get("run", "") for job in data["jobs"].values() for step in job.get("steps", []))


@pytest.mark.skipif(not WORKFLOWS, reason="no workflow templates yet")
def test_pr_workflow_gates_and_push_workflow_syncs() -> None:
    commands = {path: _runs(path) for path in WORKFLOWS}
    gating = [p for p, run in commands.items() if "mlops gate --base" in run]
    syncing = [p for p, run in commands.items() if "mlops sync --push" in run]
    assert gating and syncing
    for path in gating:
        run = commands[path]
        assert "mlops lint" in run and "mlops compile --check" in run and "--format markdown" in run
        assert "pull_request" in yaml.safe_load(path.read_text())[True]  # YAML 1.1 reads `on:` as True
    for path in syncing:
        assert "push" in yaml.safe_load(path.read_text())[True]


@pytest.mark.parametrize("policy", sorted(TEMPLATES.glob("*/promotion.yaml")), ids=lambda p: p.parent.name)
def test_template_policies_load(policy: Path) -> None:
    from mlops.promotion.desired import read_desired
    from mlops.promotion.policy import load_policy

    loaded = load_policy(policy.parent, "promotion.yaml")
    assert loaded.stages and loaded.artifacts
    if (policy.parent / "registry.yaml").exists():
        read_desired(policy.parent, "registry.yaml")
