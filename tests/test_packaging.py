"""The schemas and templates ship inside the installed package: tested from a built wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlops.config.schema import KINDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return next(out.glob("git_mlops-*.whl"))


@pytest.mark.slow
def test_wheel_contains_schemas_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in KINDS.values():
        assert f"mlops/schemas/{name}.schema.json" in names
    templates = [n for n in names if n.startswith("mlops/templates/")]
    source_templates = [
        p for p in (ROOT / "mlops" / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    assert len(templates) >= len(source_templates)


@pytest.mark.slow
def test_installed_wheel_loads_its_schemas(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    code = (
        "import mlops, json\n"
        "from mlops.config.schema import load_schema, KINDS\n"
        "print(mlops.__file__)\n"
        "print(json.dumps(sorted(load_schema(k)['$id'] for k in KINDS)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    location, ids = run.stdout.splitlines()
    assert location.startswith(str(target))
    assert len(eval(ids)) == len(KINDS)  # noqa: S307 - our own JSON list printed above
