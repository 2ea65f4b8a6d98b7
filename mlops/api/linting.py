"""API: lint."""

from __future__ import annotations

import os

from mlops.lint import LintReport, lint_project

__all__ = ["lint"]


def lint(paths: list[str] | None = None, root: str | os.PathLike[str] | None = None) -> LintReport:
    """Check mlops files: every file of the project, or the given ones and the files they reference."""
    return lint_project(paths or None, root)
