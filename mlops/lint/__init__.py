"""`mlops lint`: schema checks of every mlops file, then cross-file checks that need no data."""

from __future__ import annotations

from mlops.lint.runner import LintReport, lint_project

__all__ = ["LintReport", "lint_project"]
