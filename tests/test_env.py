"""The training environment per version: recorded by `register` (installed packages, or the lock file
mlops.yaml names), compared by `mlops env diff`, and enforced by the `environment:` promotion gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, invoke
from tests.test_reproduce_support import commit_all, dvc, init_project, write

mlops = invoke

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn:
    path: model.bin
stages:
  staging:
    gates:
      - environment: {same_as: production}
  production:
    after: null
    gates:
      - environment: {pinned: [demo-lib]}
"""
DVC_YAML = "stages:\n  train:\n    cmd: cp data.txt model.bin\n    deps: [data.txt]\n    outs: [model.bin]\n"


def fake_site(base: Path, packages: dict[str, str]) -> Path:
    """A folder of distributions' metadata: on PYTHONPATH, Python sees those packages installed."""
    base.mkdir(parents=True)
    for name, version in packages.items():
        info = base / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return base


def register_from(repo: Path, site: Path, version: str) -> None:
    """`mlops register` run by a Python whose installed packages include SITE's (another environment)."""
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run(
        [sys.executable, "-m", "mlops", "register", "churn", "--version", version],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def train(repo: Path, data: str, message: str) -> None:
    write(repo, "data.txt", data)
    dvc(repo, "repro", "-q")
    commit_all(repo, message)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    init_project(repo)
    write(repo, "promotion.yaml", PROMOTION)
    write(repo, "dvc.yaml", DVC_YAML)
    monkeypatch.chdir(repo)
    return repo


def test_two_versions_from_two_environments_differ_package_by_package(project: Path, tmp_path: Path) -> None:
    old = fake_site(tmp_path / "venv-a", {"demo-lib": "1.0.0", "gone-lib": "0.3"})
    new = fake_site(tmp_path / "venv-b", {"demo-lib": "2.1.0", "fresh-lib": "0.1"})
    train(project, "one\n", "v1")
    register_from(project, old, "v1.0.0")
    train(project, "two\n", "v2")
    register_from(project, new, "v2.0.0")

    code, out, err = mlops("env", "diff", "churn@v1.0.0", "churn@v2.0.0")
    assert code == 0, err
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["demo-lib"] == ["1.0.0", "2.1.0"]
    assert lines["gone-lib"] == ["0.3", "-"] and lines["fresh-lib"] == ["-", "0.1"]
    assert "1 changed, 1 added, 1 removed package(s)" in out
    code, out, _ = mlops("env", "diff", "churn@v1.0.0", "churn@v2.0.0", "--json")
    data = json.loads(out)
    assert {p["name"]: p["change"] for p in data["packages"]} == {
        "demo-lib": "changed",
        "fresh-lib": "added",
        "gone-lib": "removed",
    }
    # against the environment running now (no demo-lib installed here)
    code, out, _ = mlops("env", "diff", "churn@v2.0.0", "--json")
    assert code == 0
    here = {p["name"]: p for p in json.loads(out)["packages"]}
    assert here["demo-lib"]["right"] is None and "click" not in here


def test_registration_records_python_platform_and_a_hash(project: Path) -> None:
    import platform

    train(project, "one\n", "v1")
    code, out, err = mlops("register", "churn", "--json")
    assert code == 0, err
    env = json.loads(out)["data"]["environment"]
    assert env["python"] == platform.python_version() and env["source"] == "installed"
    assert env["packages"]["click"] and len(env["sha256"]) == 64
    message = git(project, "tag", "-l", "--format=%(contents)", "churn@v0.1.0")
    assert len(message.encode()) < 256 * 1024 and '"environment"' in message


def test_lock_file_named_in_mlops_yaml_is_recorded_at_the_commit(project: Path) -> None:
    write(project, "mlops.yaml", "kind: Project\nversion: 1\nenvironment: requirements.lock\n")
    write(project, "requirements.lock", "numpy==1.26.4 \\\n    --hash=sha256:abc\nscikit_learn==1.4.2\n# c\n")
    train(project, "one\n", "v1")
    assert mlops("register", "churn", "--version", "v1.0.0")[0] == 0
    write(project, "requirements.lock", "numpy==2.0.0\nscikit-learn==1.4.2\npandas==2.2.2\n")
    train(project, "two\n", "v2")
    assert mlops("register", "churn", "--version", "v2.0.0")[0] == 0
    code, out, _ = mlops("env", "diff", "churn@v1.0.0", "churn@v2.0.0", "--json")
    changes = {p["name"]: (p["left"], p["right"]) for p in json.loads(out)["packages"]}
    assert changes == {"numpy": ("1.26.4", "2.0.0"), "pandas": (None, "2.2.2")}
    code, out, _ = mlops("env", "diff", "churn@v2.0.0")  # the work tree's lock file: the same
    assert code == 0 and "Same environment" in out


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("uv.lock", 'version = 1\n[[package]]\nname = "NumPy"\nversion = "2.0.0"\n'),
        ("poetry.lock", '[[package]]\nname = "numpy"\nversion = "2.0.0"\n'),
        ("conda-lock.yml", "version: 1\npackage:\n  - {name: numpy, version: 2.0.0, manager: conda}\n"),
    ],
)
def test_lock_formats(name: str, text: str) -> None:
    from mlops.serving.environment import from_lock

    assert from_lock(name, text.encode()) == {"numpy": "2.0.0"}


def test_missing_lock_file_refuses_registration(project: Path) -> None:
    write(project, "mlops.yaml", "kind: Project\nversion: 1\nenvironment: uv.lock\n")
    train(project, "one\n", "v1")
    code, _, err = mlops("register", "churn")
    assert code == 2
    assert "the lock file uv.lock that mlops.yaml names" in err


def test_huge_package_list_keeps_its_hash_only() -> None:
    from mlops.serving.environment import compare, describe

    many = {f"pkg-{i}": "1.0.0" for i in range(20000)}
    block = describe(many, "installed")
    assert "packages" not in block and block["truncated"] and block["count"] == 20000
    assert len(json.dumps(block)) < 1024
    other = describe({**many, "pkg-1": "2.0"}, "installed")
    assert compare(block, other, ("a", "b")).incomplete == ["a", "b"]
    assert compare(block, dict(block), ("a", "b")).same


def test_version_without_environment_is_a_clear_error(project: Path) -> None:
    from mlops.registry import write as tags

    train(project, "one\n", "v1")
    tags.register(
        project, "churn", git(project, "rev-parse", "HEAD").strip(), version="v1.0.0", bump_part="patch"
    )
    code, _, err = mlops("env", "diff", "churn@v1.0.0")
    assert code == 2 and "churn@v1.0.0 records no environment" in err
    code, _, err = mlops("env", "diff", "churn@v9.0.0")
    assert code == 2 and "no version v9.0.0" in err


def test_environment_gate_refuses_naming_the_packages(project: Path, tmp_path: Path) -> None:
    from mlops.registry import write as tags

    old = fake_site(tmp_path / "venv-a", {"demo-lib": "1.0.0", "other": "1"})
    new = fake_site(tmp_path / "venv-b", {"demo-lib": "2.0.0", "other": "1"})
    same = fake_site(tmp_path / "venv-c", {"demo-lib": "1.0.0", "other": "2"})
    train(project, "one\n", "v1")
    register_from(project, old, "v1.0.0")
    tags.assign(project, "churn", "v1.0.0", "production")
    train(project, "two\n", "v2")
    register_from(project, new, "v2.0.0")
    train(project, "three\n", "v3")
    register_from(project, same, "v3.0.0")

    code, out, err = mlops("promote", "churn@v2.0.0", "--to", "production")
    assert code == 1, out + err
    assert "demo-lib 1.0.0 -> 2.0.0" in out + err
    code, out, err = mlops("promote", "churn@v3.0.0", "--to", "production")  # only demo-lib is pinned
    assert code == 0, out + err
    code, out, err = mlops("promote", "churn@v3.0.0", "--to", "staging")  # same_as: every package
    assert code == 1, out + err
    assert "other 1 -> 2" in out + err


@pytest.mark.parametrize(
    ("gate", "said"),
    [
        ("{environment: {same_as: prod}}", "`same_as: prod` names no stage"),
        ("{environment: {pinned: [numpy]}, min: 1}", "an environment gate takes only `environment`"),
        ("{environment: {}}", "environment`: {} should be non-empty"),
    ],
)
def test_lint_checks_the_environment_gate(project: Path, gate: str, said: str) -> None:
    train(project, "one\n", "v1")
    write(project, "promotion.yaml", PROMOTION.replace("environment: {pinned: [demo-lib]}", gate))
    code, out, err = mlops("lint")
    assert code == 1
    assert said in out + err


def test_lint_checks_the_environment_key_of_mlops_yaml(project: Path) -> None:
    train(project, "one\n", "v1")
    write(project, "mlops.yaml", "kind: Project\nversion: 1\nenvironment: packages.txt\n")
    code, out, err = mlops("lint")
    assert code == 1
    assert "a lock file: requirements.lock" in out + err
