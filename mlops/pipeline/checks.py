"""Cross-file checks of Pipeline files, shared by `mlops lint` and `mlops compile`.

No pandas, numpy or dvc here: this runs in the pre-commit hook on every commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops.findings import Finding, unique
from mlops.pipeline.build import build
from mlops.pipeline.context import ParamsFiles, has_key
from mlops.pipeline.graph import Outputs, cycles
from mlops.pipeline.model import Pipeline, Stage

_LAST: list[Any] = []  # (key, pipeline, findings) of the last build: lint asks for findings, then outputs


def _build(project: Any, docs: list[Any], *, reuse: bool) -> tuple[Pipeline, list[Finding]]:
    key = (id(project), str(project.root), tuple(id(d) for d in docs))
    if reuse and _LAST and _LAST[0][0] == key and _LAST[0][1] is project:
        return _LAST[0][2], list(_LAST[0][3])
    pipeline, findings = build(project, docs)
    _LAST[:] = [(key, project, pipeline, list(findings), tuple(docs))]  # holding docs keeps their ids unique
    return pipeline, findings


def check_pipelines(project: Any, docs: list[Any]) -> list[Finding]:
    """Every cross-file problem of these Pipeline documents, located in the file that causes it."""
    pipeline, findings = _build(project, docs, reuse=False)
    findings.extend(check_model(project, pipeline))
    return unique(findings)


def pipeline_outputs(project: Any, docs: list[Any]) -> set[str]:
    """Every output path (outs, metrics, plots; relative to the root) of every expanded stage."""
    pipeline, _ = _build(project, docs, reuse=True)  # lint calls this right after check_pipelines
    return {stage.root_path(entry.path) for stage in pipeline.stages for entry in stage.all_outs()}


def check_model(project: Any, pipeline: Pipeline) -> list[Finding]:
    findings: list[Finding] = []
    findings.extend(_duplicate_names(pipeline))
    outputs, problems = _outputs(pipeline)
    findings.extend(problems)
    repo = _Repo(Path(project.root))
    edges, problems = _dependencies(repo, pipeline, outputs)
    findings.extend(problems)
    findings.extend(_outputs_tracked_by_dvc_files(repo, pipeline))
    findings.extend(_cycles(pipeline, edges))
    findings.extend(_params(project, pipeline))
    findings.extend(_rules(project, pipeline))
    return findings


def _duplicate_names(pipeline: Pipeline) -> list[Finding]:
    first: dict[str, Stage] = {}
    findings = []
    for stage in pipeline.stages:
        earlier = first.get(stage.name)
        if earlier is None:
            first[stage.name] = stage
            continue
        if earlier.doc.path == stage.doc.path and earlier.template == stage.template:
            message = (
                f"`{stage.template}` expands to the stage name `{stage.name}` twice; make the items distinct"
            )
        else:
            where = _where(earlier)
            message = (
                f"stage `{stage.name}` is already defined at {where}; stage names are unique "
                "across all pipeline files"
            )
        findings.append(stage.doc.finding(stage.origin, message, key=True, rule="duplicate-stage"))
    return findings


def _where(stage: Stage) -> str:
    line, _ = stage.doc.located.where(stage.origin, key=True) if stage.doc.located else (0, 0)
    return f"{stage.doc.path}:{line}" if line else stage.doc.path


def _outputs(pipeline: Pipeline) -> tuple[Outputs, list[Finding]]:
    outputs = Outputs()
    findings = []
    for stage in pipeline.stages:
        for entry in stage.all_outs():
            path = stage.root_path(entry.path)
            earlier = outputs.add(path, stage, entry)
            if earlier is not None:
                other = earlier[0]
                who = "this stage" if other is stage else f"stage `{other.name}` ({_where(other)})"
                findings.append(
                    stage.doc.finding(
                        entry.origin,
                        f"`{path}` is also written by {who}; each output has exactly one producer",
                        rule="duplicate-output",
                    )
                )
    for path, (stage, entry) in outputs.exact.items():
        hit = outputs.enclosing(path)
        if hit:
            folder, other = hit
            who = "this stage's" if other is stage else f"stage `{other.name}`'s"
            findings.append(
                stage.doc.finding(
                    entry.origin,
                    f"`{path}` lies inside {who} output folder "
                    f"`{folder}`; DVC cannot track overlapping outputs",
                    rule="overlapping-output",
                )
            )
    return outputs, findings


class _Repo:
    """What exists without a pipeline producing it: tracked by Git, on disk, or tracked by a .dvc file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tracked: set[str] | None = None
        self._tracked_dirs: set[str] | None = None
        self._dvc_outs: set[str] | None = None

    def has(self, path: str) -> bool:
        try:
            if (self.root / path).exists() or (self.root / (path + ".dvc")).is_file():
                return True
        except OSError:  # a name longer than the file system allows (ENAMETOOLONG): not on disk
            pass
        self._load()
        assert self._tracked is not None and self._tracked_dirs is not None and self._dvc_outs is not None
        if path in self._tracked or path in self._tracked_dirs or path in self._dvc_outs:
            return True
        from mlops.pipeline.graph import ancestors

        return any(parent in self._dvc_outs for parent in ancestors(path))

    def dvc_file_tracking(self, path: str) -> str | None:
        """The path (itself or a folder above it) that a .dvc file tracks, if any."""
        from mlops.pipeline.graph import ancestors

        self._load()
        assert self._dvc_outs is not None
        for candidate in [path, *ancestors(path)]:
            if candidate in self._dvc_outs or _is_file(self.root / (candidate + ".dvc")):
                return candidate
        return None

    def _load(self) -> None:
        if self._tracked is not None:
            return
        from mlops import git
        from mlops.errors import GitError
        from mlops.pipeline.graph import ancestors

        try:
            self._tracked = git.tracked_files(self.root)
        except GitError:
            self._tracked = set()
        self._tracked_dirs = {d for p in self._tracked for d in ancestors(p)}
        self._dvc_outs = set()
        for rel in self._tracked:
            if rel.endswith(".dvc"):
                self._dvc_outs.update(_dvc_file_outs(self.root, rel))


def _dvc_file_outs(root: Path, rel: str) -> list[str]:
    import posixpath

    from mlops.config.yamlload import parse_or_none

    try:
        data = parse_or_none((root / rel).read_bytes(), rel)
    except OSError:
        return []
    outs = data.get("outs") if isinstance(data, dict) else None
    base = posixpath.dirname(rel)
    return [
        posixpath.normpath(posixpath.join(base, o["path"]))
        for o in outs or []
        if isinstance(o, dict) and isinstance(o.get("path"), str)
    ]


def _dependencies(
    repo: _Repo, pipeline: Pipeline, outputs: Outputs
) -> tuple[dict[str, set[str]], list[Finding]]:
    edges: dict[str, set[str]] = {}
    findings = []
    for stage in pipeline.stages:
        for entry in stage.deps:
            if stage.rules is not None and entry is stage.rules:
                continue  # reported by _rules with a better message
            if "://" in entry.path:
                continue  # remote dependency (s3://, https://): DVC checks it
            path = stage.root_path(entry.path)
            if _escapes(path):
                findings.append(
                    stage.doc.finding(
                        entry.origin,
                        f"dependency `{entry.path}` is outside the "
                        "repository; a stage reads files inside it only",
                        rule="path-outside",
                    )
                )
                continue
            producers = outputs.producers(path)
            if producers:
                for producer in producers:
                    edges.setdefault(producer.name, set()).add(stage.name)
            elif not repo.has(path):
                findings.append(
                    stage.doc.finding(
                        entry.origin,
                        f"dependency `{path}` is produced by no "
                        "stage and is not in the repository (neither tracked by Git "
                        "nor by a .dvc file)",
                        rule="missing-dependency",
                    )
                )
    return edges, findings


def _escapes(path: str) -> bool:
    from mlops.config.project import escapes

    return escapes(path)


def _outputs_tracked_by_dvc_files(repo: _Repo, pipeline: Pipeline) -> list[Finding]:
    """DVC refuses a stage output that a .dvc file already tracks, or one inside a .dvc-tracked folder."""
    findings = []
    for stage in pipeline.stages:
        for entry in stage.all_outs():
            path = stage.root_path(entry.path)
            tracked = repo.dvc_file_tracking(path)
            if tracked is None:
                continue
            where = "is tracked by" if tracked == path else f"lies inside `{tracked}`, tracked by"
            findings.append(
                stage.doc.finding(
                    entry.origin,
                    f"output `{path}` {where} `{tracked}.dvc`; DVC "
                    "refuses a stage output that a .dvc file tracks (`dvc remove "
                    f"{tracked}.dvc` to let the stage produce it)",
                    rule="tracked-output",
                )
            )
    return findings


def _cycles(pipeline: Pipeline, edges: dict[str, set[str]]) -> list[Finding]:
    by_name: dict[str, Stage] = {}
    for stage in pipeline.stages:
        by_name.setdefault(stage.name, stage)
    findings = []
    for cycle in cycles(list(by_name), edges):
        stage = by_name[cycle[0]]
        findings.append(
            stage.doc.finding(
                stage.origin,
                "cycle in the pipeline: " + " -> ".join(cycle) + "; a stage cannot depend on its own outputs",
                key=True,
                rule="cycle",
            )
        )
    return findings


def _params(project: Any, pipeline: Pipeline) -> list[Finding]:
    files = ParamsFiles(Path(project.root))
    findings = []
    for stage in pipeline.stages:
        for ref in stage.params:
            file = stage.root_path(ref.file or project.params)
            if not files.exists(file):
                findings.append(
                    stage.doc.finding(
                        ref.origin,
                        f"params file `{file}` does not exist"
                        + (f" (needed for `{ref.key}`)" if ref.key else ""),
                        rule="params",
                    )
                )
                continue
            data = files.get(file)
            if data is None:
                if file.endswith((".yaml", ".yml", ".json", ".toml")):
                    findings.append(
                        stage.doc.finding(
                            ref.origin, files.problems.get(file, f"cannot read {file}"), rule="params"
                        )
                    )
                continue
            if ref.key is not None and not has_key(data, ref.key):
                findings.append(
                    stage.doc.finding(ref.origin, f"params key `{ref.key}` is not in `{file}`", rule="params")
                )
    return findings


def _rules(project: Any, pipeline: Pipeline) -> list[Finding]:
    from mlops.config import read_document
    from mlops.errors import InputError

    findings: list[Finding] = []
    seen: set[str] = set()
    for stage in pipeline.stages:
        if stage.kind != "validate" or stage.rules is None:
            continue
        path = stage.rules.path
        full = Path(project.root) / path
        if not _is_file(full):
            findings.append(
                stage.doc.finding(
                    stage.rules.origin,
                    f"rules file `{path}` of validate stage `{stage.name}` does not exist",
                    rule="validate",
                )
            )
            continue
        if path in seen:
            continue
        seen.add(path)
        try:
            rules = read_document(full, shown=path, expected_kind="Rules")
        except InputError as exc:
            findings.append(stage.doc.finding(stage.rules.origin, exc.message, rule="validate"))
            continue
        findings.extend(rules.findings)
    return findings


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name longer than the file system allows: no such file
        return False
