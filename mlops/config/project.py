"""Where a repository keeps its mlops files (SPEC section 2), overridable in mlops.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mlops.errors import ConfigError, GitError

PROJECT_FILE = "mlops.yaml"


@dataclass
class Project:
    root: Path
    pipelines: list[str] = field(default_factory=lambda: ["pipelines/*.yaml", "pipelines/*.yml"])
    rules: list[str] = field(default_factory=lambda: ["rules/*.yaml", "rules/*.yml"])
    promotion: str = "promotion.yaml"
    registry: str = "registry.yaml"
    params: str = "params.yaml"
    reports: str = "reports"
    dvc_yaml: str = "dvc.yaml"
    config_file: str | None = None  # mlops.yaml when present

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
        for pattern in patterns:
            for p in self.root.glob(pattern):
                if p.is_file():
                    found.add(p.relative_to(self.root).as_posix())
        return sorted(found)

    def all_files(self) -> list[tuple[str, str]]:
        """Every mlops file that exists, with the kind its location implies."""
        files = [(p, "Pipeline") for p in self.pipeline_files()] + [(p, "Rules") for p in self.rules_files()]
        for rel, kind in ((self.promotion, "Promotion"), (self.registry, "Registry")):
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


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The Git work tree root containing `start` (a folder walk: no git process, no GitPython)."""
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    raise GitError(f"not a Git repository: {here}", hint="run `git init` or `mlops init`")


def load_project(root: str | os.PathLike[str] | None = None) -> Project:
    """The project settings: defaults, overridden by mlops.yaml at the root when present."""
    base = Path(root) if root is not None else find_root()
    project = Project(root=base)
    config = base / PROJECT_FILE
    if config.is_file():
        from mlops.config.document import load_document

        doc = load_document(config, shown=PROJECT_FILE, expected_kind="Project")
        data = doc.data or {}
        for key in ("pipelines", "rules"):
            if key in data:
                setattr(project, key, list(data[key]))
        for key in ("promotion", "registry", "params", "reports", "dvc_yaml"):
            if key in data:
                setattr(project, key, str(data[key]))
        project.config_file = PROJECT_FILE
    return project


__all__ = ["ConfigError", "Project", "find_root", "load_project"]
