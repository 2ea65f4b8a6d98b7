"""`mlops doc`: Markdown pages generated from the repository."""

from __future__ import annotations

import os
from pathlib import Path

from mlops.docgen.site import DocResult

__all__ = ["generate_docs"]

DEFAULT_OUTPUT = "docs/mlops"


def generate_docs(
    output: str = DEFAULT_OUTPUT, *, check: bool = False, root: str | os.PathLike[str] | None = None
) -> DocResult:
    """Write the pages under OUTPUT (relative to the repository root unless absolute), or with `check`
    only report the pages that are stale. Raises ConfigError when a pipeline, rules or policy file is
    invalid (the pages would be wrong)."""
    from mlops.config import load_project
    from mlops.docgen.site import render, sync
    from mlops.docgen.sources import gather

    project = load_project(root)
    folder = Path(output) if Path(output).is_absolute() else Path(project.root) / output
    _inside(Path(project.root), folder, output)
    shown = output.rstrip("/") or "."
    return sync(folder, shown, render(gather(project)), check=check)


def _inside(root: Path, folder: Path, shown: str) -> None:
    """The pages belong to the repository: a folder outside it (`../x`, a symlink out) is refused."""
    from mlops.errors import UsageError

    base, target = root.resolve(), folder.resolve()
    if target != base and base not in target.parents:
        raise UsageError(f"-o {shown}: the pages must go inside the repository ({base})")
    if target == base or (target / ".git").exists() or target.is_file():
        raise UsageError(f"-o {shown}: not a folder for pages (give one such as docs/mlops)")
