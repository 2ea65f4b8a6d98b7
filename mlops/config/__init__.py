"""Loading mlops config files: YAML with locations, schema checks, and the project's file layout."""

from __future__ import annotations

from mlops.config.document import Document, load_document, read_document
from mlops.config.project import Project, find_root, load_project

__all__ = ["Document", "Project", "find_root", "load_document", "load_project", "read_document"]
