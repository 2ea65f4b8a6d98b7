"""Read every Pipeline file of a project (problems collected, never raised)."""

from __future__ import annotations

from typing import Any


def read_pipelines(project: Any) -> list[Any]:
    from mlops.config import read_document

    return [
        read_document(project.path(rel), shown=rel, expected_kind="Pipeline")
        for rel in project.pipeline_files()
    ]
