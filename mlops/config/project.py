"""Where a repository keeps its mlops files (SPEC section 2), overridable in mlops.yaml.

Every configured path stays inside the repository: no absolute path, no `..` that climbs out, and files
found through a pattern that are symlinks to something outside are left out (lint names them). A file that
tries otherwise gets a located error, never a read or a write outside the work tree.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import ConfigError
from mlops.findings import Finding
from mlops.git import find_root

PROJECT_FILE = "mlops.yaml"


@dataclass
class Project:
    root: Path
    pipelines: list[str] = field(default_factory=lambda: ["pipelines/*.yaml", "pipelines/*.yml"])
    rules: list[str] = field(default_factory=lambda: ["rules/*.yaml", "rules/*.yml"])
    promotion: str = "promotion.yaml"
    registry: str = "registry.yaml"
    evaluation: str = "evaluation.yaml"
    params: str = "params.yaml"
    reports: str = "reports"
    dvc_yaml: str = "dvc.yaml"
    environment: str | None = None  # a lock file recorded as each version's environment (else: installed)
    engine: str | None = None  # pandas | polars | spark; None: polars when installed, else pandas
    config_file: str | None = None  # mlops.yaml when present
    outside: list[str] = field(default_factory=list)  # pattern matches that are symlinks out of the root

    def rel(self, path: str | os.PathLike[str]) -> str:
        """A path as users see it: relative to the root, with forward slashes."""
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(self.root.resolve())
            except ValueError:
                return str(path)
        return p.as_posix()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def pipeline_files(self) -> list[str]:
        return self._glob(self.pipelines)

    def rules_files(self) -> list[str]:
        return self._glob(self.rules)

    def _glob(self, patterns: list[str]) -> list[str]:
        found: set[str] = set()
        top = self.root.resolve()
        for pattern in patterns:
            if escapes(pattern):
                continue  # refused when mlops.yaml is loaded
            for p in self.root.glob(pattern):
                rel = p.relative_to(self.root).as_posix()
                if not p.resolve().is_relative_to(top):
                    if rel not in self.outside:
                        self.outside.append(rel)
                    continue
                if p.is_file():
                    found.add(rel)
        return sorted(found)

    def all_files(self) -> list[tuple[str, str]]:
        """Every mlops file that exists, with the kind its location implies."""
        files = [(p, "Pipeline") for p in self.pipeline_files()] + [(p, "Rules") for p in self.rules_files()]
        for rel, kind in (
            (self.promotion, "Promotion"),
            (self.registry, "Registry"),
            (self.evaluation, "Evaluation"),
        ):
            if _is_file(self.path(rel)):
                files.append((rel, kind))
        if self.config_file:
            files.append((self.config_file, "Project"))
        return files


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name longer than the file system allows: no such file
        return False


PATH_KEYS = ("promotion", "registry", "evaluation", "params", "reports", "dvc_yaml", "environment")
PATTERN_KEYS = ("pipelines", "rules")


def escapes(path: str) -> bool:
    """True for a path that is absolute or climbs out of the repository with `..`."""
    text = path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or text.startswith("~"):
        return True
    normal = posixpath.normpath(text)
    return normal == ".." or normal.startswith("../")


def load_project(root: str | os.PathLike[str] | None = None, *, commit: str | None = None) -> Project:
    """The project settings: defaults, overridden by mlops.yaml at the root when present. With `commit`,
    mlops.yaml as committed there (what the protected side of a promotion says)."""
    base = Path(root) if root is not None else find_root()
    project = Project(root=base)
    if commit is not None:
        from mlops.git import show_file

        raw = show_file(commit, PROJECT_FILE, base)
        if raw is None:
            return project
        from mlops.config.document import read_document

        doc = read_document(
            PROJECT_FILE, shown=f"{PROJECT_FILE}@{commit[:12]}", expected_kind="Project", raw=raw
        )
    elif (base / PROJECT_FILE).is_file():
        from mlops.config.document import read_document

        doc = read_document(base / PROJECT_FILE, shown=PROJECT_FILE, expected_kind="Project")
    else:
        return project
    _apply(project, doc)
    return project


def _apply(project: Project, doc: Any) -> None:
    errors = [f for f in doc.findings if f.severity == "error"]
    data = doc.data if isinstance(doc.data, dict) else {}
    if not errors:
        errors = _escaping_paths(doc, data)
    if errors:
        raise ConfigError(errors)
    _set(project, data)


def _set(project: Project, data: dict[str, Any]) -> None:
    """Each setting mlops.yaml gives (the schema checked them), over the defaults."""
    for key in PATTERN_KEYS:
        if key in data:
            setattr(project, key, list(data[key]))
    for key in PATH_KEYS:
        if key in data:
            setattr(project, key, str(data[key]))
    if isinstance(data.get("engine"), str):
        project.engine = data["engine"]
    project.config_file = PROJECT_FILE


def _escaping_paths(doc: Any, data: dict[str, Any]) -> list[Finding]:
    """A finding for each configured path or pattern that leaves the repository."""
    errors = []
    for key in PATTERN_KEYS + PATH_KEYS:
        values = data.get(key)
        for i, value in enumerate(values if isinstance(values, list) else [values]):
            if isinstance(value, str) and escapes(value):
                where = (key, i) if isinstance(values, list) else (key,)
                errors.append(
                    doc.finding(
                        where,
                        f"`{value}` is outside the repository; every path in "
                        f"{PROJECT_FILE} is relative to the repository root and stays "
                        "inside it",
                        rule="path-outside",
                    )
                )
    return errors


__all__ = ["ConfigError", "Project", "escapes", "find_root", "load_project"]
