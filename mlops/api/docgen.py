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
    shown = output.rstrip("/") or "."
    return sync(folder, shown, render(gather(project)), check=check)
