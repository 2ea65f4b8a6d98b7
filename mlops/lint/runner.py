"""Collect the files, check each against its schema, run the cross-file checks, filter, sort."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config import Document, Project, read_document
from mlops.config.project import PROJECT_FILE, find_root, load_project
from mlops.config.yamlload import paused_gc
from mlops.errors import ConfigError, GitError, InputError
from mlops.findings import Finding, sort_findings, unique
from mlops.lint import crossfile


@dataclass
class LintReport:
    root: str
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "findings": [f.to_dict() for f in self.findings],
            "summary": {"files": len(self.files), "errors": len(self.errors), "warnings": len(self.warnings)},
        }


def lint_project(paths: list[str] | None = None, root: str | os.PathLike[str] | None = None) -> LintReport:
    """Lint the whole project, or (as pre-commit calls it) the given files and the files they reference."""
    with paused_gc():  # lint builds large acyclic trees (documents, rules): linear time, no collector passes
        return _lint(paths, root)


def _lint(paths: list[str] | None, root: str | os.PathLike[str] | None) -> LintReport:
    base = _root(root, explicit=bool(paths))
    findings: list[Finding] = []
    try:
        project = load_project(base)
    except ConfigError as exc:  # a broken mlops.yaml is a finding for lint, not a crash
        findings.extend(exc.findings)
        project = Project(root=base, config_file=PROJECT_FILE)

    located_kinds = dict(project.all_files())
    selected = _select(project, base, paths, located_kinds) if paths else None
    docs = _read_documents(base, located_kinds)
    for doc in docs.values():
        findings.extend(doc.findings)

    findings.extend(_cross_file(project, docs))
    files = sorted(docs)
    if selected is not None:
        findings = _about_selected(project, docs, selected, findings)
        files = sorted(s for s in selected if s in docs)
    return LintReport(str(base), files, sort_findings(unique(findings)))


def _cross_file(project: Project, docs: dict[str, Document]) -> list[Finding]:
    # files named on the command line outside the project's locations (examples, fixtures) get no
    # cross-file checks: their deps and paths are not this repository's
    in_project = dict(project.all_files())
    findings = crossfile.check(project, [d for rel, d in docs.items() if rel in in_project])
    for rel, doc in docs.items():  # a named Rules file elsewhere still gets every check validate makes
        if rel not in in_project and doc.kind == "Rules" and doc.checkable:
            findings.extend(crossfile.rules_checks(project, doc))
    return findings


def _select(project: Project, base: Path, paths: list[str], located_kinds: dict[str, str]) -> list[str]:
    """The named files, relative to the root; files outside the project's locations get a kind by place."""
    selected = []
    for p in paths:
        rel = project.rel(os.path.abspath(p))
        if not (base / rel).is_file():
            raise InputError(f"{p}: no such file")
        selected.append(rel)
        if rel not in located_kinds:
            located_kinds[rel] = _kind_by_location(project, rel) or ""
    return selected


def _read_documents(base: Path, located_kinds: dict[str, str]) -> dict[str, Document]:
    docs: dict[str, Document] = {}
    for rel, kind in sorted(located_kinds.items()):
        doc = read_document(base / rel, shown=rel, expected_kind=kind or None)
        if not kind and doc.kind is None and _has_no_kind(doc):
            continue  # a YAML file that is not an mlops file (pre-commit may pass any YAML)
        docs[rel] = doc
    return docs


def _about_selected(
    project: Project, docs: dict[str, Document], selected: list[str], findings: list[Finding]
) -> list[Finding]:
    """The findings that matter for the named files: theirs and those of the files they reference."""
    wanted = set(selected) | crossfile.referenced_files(project, [docs[s] for s in selected if s in docs])
    wanted.add(PROJECT_FILE)
    if project.params in selected:  # params keys are checked in the pipelines that read them
        wanted.update(rel for rel, d in docs.items() if d.kind == "Pipeline")
    return [f for f in findings if f.path in wanted]


def _root(root: str | os.PathLike[str] | None, *, explicit: bool) -> Path:
    if root is not None:
        return Path(root).resolve()
    try:
        return find_root()
    except GitError:
        if explicit:  # linting named files outside a repository still works
            return Path.cwd().resolve()
        raise


def _kind_by_location(project: Project, rel: str) -> str | None:
    if any(fnmatch.fnmatch(rel, p) for p in project.pipelines):
        return "Pipeline"
    if any(fnmatch.fnmatch(rel, p) for p in project.rules):
        return "Rules"
    return {project.promotion: "Promotion", project.registry: "Registry", PROJECT_FILE: "Project"}.get(rel)


def _has_no_kind(doc: Document) -> bool:
    data = doc.data
    return not isinstance(data, dict) or "kind" not in data
