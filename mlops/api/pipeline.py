"""Pipelines: compile to dvc.yaml, import a dvc.yaml, run, and scaffold a project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlops.pipeline.importer import Imported
from mlops.pipeline.runner import RunResult
from mlops.pipeline.scaffold import InitResult
from mlops.pipeline.write import CompileResult

__all__ = ["compile_pipelines", "import_dvc", "init_project", "pipeline_stages", "run_pipeline"]


def _project(root: str | os.PathLike[str] | None) -> Any:
    from mlops.config import load_project

    return load_project(root)


def compile_pipelines(
    *, check: bool = False, force: bool = False, root: str | os.PathLike[str] | None = None
) -> CompileResult:
    """Write dvc.yaml from every Pipeline file (or, with check, only report whether it is stale).

    Raises ConfigError with every located problem; nothing is written then.
    """
    from mlops.pipeline.write import compile_project

    return compile_project(_project(root), check=check, force=force)


def pipeline_stages(root: str | os.PathLike[str] | None = None) -> list[str]:
    """The flat stage names the pipeline files compile to, in dvc.yaml order."""
    from mlops.pipeline.write import plan

    compiled, _ = plan(_project(root))
    return compiled.stages


def import_dvc(
    path: str = "dvc.yaml",
    output: str | None = None,
    *,
    force: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> Imported:
    """Turn an existing dvc.yaml into a Pipeline file (default pipelines/main.yaml)."""
    from mlops.pipeline.importer import import_dvc as run_import

    project = _project(root)
    source = Path(path)
    if not source.is_absolute():
        source = (Path(root) if root is not None else Path.cwd()) / source
    return run_import(project, project.rel(source.resolve()), output, force=force)


def run_pipeline(
    stages: list[str] | None = None,
    dvc_args: list[str] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Compile when stale, then run `dvc repro` (its output goes to this process's stdout/stderr)."""
    from mlops.pipeline.runner import run

    return run(_project(root), list(stages or []), list(dvc_args or []))


def init_project(
    target: str | os.PathLike[str] = ".",
    template: str = "default",
    *,
    force: bool = False,
    install_spec: str | None = None,
) -> InitResult:
    """Create (or fill) a Git + DVC repository with the example project of a template. `install_spec` is
    the pip requirement its CI workflows install mlops with (default: mlops.pipeline.install_spec)."""
    from mlops.pipeline.scaffold import init

    return init(target, template, force=force, install=install_spec)
