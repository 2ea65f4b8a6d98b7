"""`mlops diff A B`: what changed between two versions, read from Git history alone (no checkout).

Params come from the params files the pipelines use, metrics from the metric files dvc.yaml and
promotion.yaml declare (from Git, or from the DVC cache when DVC keeps them), data from the hashes in
dvc.lock and .dvc files, stages from dvc.yaml and the pipeline files, rules from the rules files.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlops import refs
from mlops.committed import CommittedFileError, CommittedFiles
from mlops.reproduce import lock
from mlops.reproduce.snapshot import Snapshot

MISSING = None  # value of a key absent on one side


@dataclass
class Change:
    key: str  # `params.yaml:train.lr`, `metrics/eval.json:auc`, `data/raw.csv`, `train`
    old: Any
    new: Any
    delta: float | None = None  # metrics: new - old
    detail: str | None = None  # data: source/output/dependency; stages: the fields that changed


@dataclass
class Side:
    ref: str
    commit: str
    artifact: str | None = None
    version: str | None = None


@dataclass
class DiffResult:
    a: Side
    b: Side
    params: list[Change] = field(default_factory=list)
    metrics: list[Change] = field(default_factory=list)
    data: list[Change] = field(default_factory=list)
    stages: list[Change] = field(default_factory=list)
    rules: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # files at either commit the bounded reader refused

    @property
    def empty(self) -> bool:
        return not (self.params or self.metrics or self.data or self.stages or self.rules)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff(root: str | os.PathLike[str], ref_a: str, ref_b: str) -> DiffResult:
    from mlops.config.project import load_project

    base = Path(root)
    ra, rb = refs.resolve(ref_a, base), refs.resolve(ref_b, base)
    project = load_project(base)
    sa, sb = Snapshot(base, ra.commit), Snapshot(base, rb.commit)
    la, lb = lock.from_snapshot(sa), lock.from_snapshot(sb)
    result = DiffResult(
        Side(ref_a, ra.commit, ra.artifact, ra.version), Side(ref_b, rb.commit, rb.artifact, rb.version)
    )
    result.params = _params(sa, sb, la, lb, project.params)
    result.metrics = _metrics(base, sa, sb, la, lb, project.promotion)
    result.data = _data(la, lb)
    result.stages = _stages(sa, sb, project.pipelines)
    result.rules = _documents(sa, sb, project.rules)
    result.warnings = list(dict.fromkeys(sa.problems + sb.problems))
    return result


# -- params -----------------------------------------------------------------------------------------------


def _params(
    sa: Snapshot, sb: Snapshot, la: dict[str, lock.StageLock], lb: dict[str, lock.StageLock], default: str
) -> list[Change]:
    files = {default} | {f for stages in (la, lb) for s in stages.values() for f in s.params}
    changes: list[Change] = []
    for file in sorted(files):
        old, new = flatten(sa.yaml(file)), flatten(sb.yaml(file))
        changes.extend(
            Change(f"{file}:{k}", old.get(k), new.get(k))
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        )
    return changes


# -- metrics ----------------------------------------------------------------------------------------------


def metric_files(snapshot: Snapshot, promotion: str) -> set[str]:
    files: set[str] = set()
    for dvc_yaml in snapshot.named("dvc.yaml"):
        doc = snapshot.yaml(dvc_yaml)
        if not isinstance(doc, dict):
            continue
        folder = posixpath.dirname(dvc_yaml)
        files |= _declared_metrics(doc, folder)
        files |= _expanded_metrics(snapshot, doc, folder)
    return files | _policy_metrics(snapshot.yaml(promotion))


def _is_expanded(stage: Any) -> bool:
    """A foreach or matrix stage: its metric paths are templates."""
    return isinstance(stage, dict) and ("foreach" in stage or "matrix" in stage)


def _metric_names(items: Any) -> list[Any]:
    """The paths a `metrics:` list names (an entry is a path or a one-key mapping `path: {options}`)."""
    return [next(iter(item), None) if isinstance(item, dict) else item for item in items or []]


def _declared_metrics(doc: dict[str, Any], folder: str) -> set[str]:
    """The metric files dvc.yaml declares at the top and in its plain (not foreach/matrix) stages."""
    declared = list(doc.get("metrics") or [])
    for stage in (doc.get("stages") or {}).values():
        if isinstance(stage, dict) and not _is_expanded(stage):
            declared.extend(stage.get("metrics") or [])
    return {
        posixpath.normpath(posixpath.join(folder, name))
        for name in _metric_names(declared)
        if isinstance(name, str) and "${" not in name
    }


def _policy_metrics(doc: Any) -> set[str]:
    """The metrics files promotion.yaml names for its artifacts."""
    artifacts = doc.get("artifacts") if isinstance(doc, dict) else None
    if not isinstance(artifacts, dict):
        return set()
    return {
        artifact["metrics"]
        for artifact in artifacts.values()
        if isinstance(artifact, dict) and isinstance(artifact.get("metrics"), str)
    }


def _expanded_metrics(snapshot: Snapshot, doc: dict[str, Any], folder: str) -> set[str]:
    """Metric files of foreach/matrix stages: the outputs dvc.lock recorded for `name@key` that match the
    declared templates (`metrics/${item}.json`)."""
    patterns = _metric_patterns(doc, folder)
    if not patterns:
        return set()
    found: set[str] = set()
    for stage in lock.from_snapshot(snapshot).values():
        base = stage.name.rsplit(":", 1)[-1].split("@", 1)[0]
        found.update(path for path in stage.outs if any(p.match(path) for p in patterns.get(base, [])))
    return found


def _metric_patterns(doc: dict[str, Any], folder: str) -> dict[str, list[re.Pattern[str]]]:
    """Stage name -> the regular expressions of its templated metric paths (`${...}` matches one level)."""
    patterns: dict[str, list[re.Pattern[str]]] = {}
    for name, stage in (doc.get("stages") or {}).items():
        if not _is_expanded(stage):
            continue
        body = stage.get("do") if "foreach" in stage else stage  # foreach nests the stage under `do:`
        for template in _metric_names(body.get("metrics") if isinstance(body, dict) else None):
            if isinstance(template, str):
                path = posixpath.normpath(posixpath.join(folder, template))
                patterns.setdefault(str(name), []).append(_template_regex(path))
    return patterns


def _template_regex(path: str) -> re.Pattern[str]:
    regex = "".join(
        "[^/]+" if part.startswith("${") else re.escape(part) for part in re.split(r"(\$\{[^}]*\})", path)
    )
    return re.compile(regex + "$")


def _metrics(
    root: Path,
    sa: Snapshot,
    sb: Snapshot,
    la: dict[str, lock.StageLock],
    lb: dict[str, lock.StageLock],
    promotion: str,
) -> list[Change]:
    files = metric_files(sa, promotion) | metric_files(sb, promotion)
    # foreach/matrix stages: their metric files are the stage outputs with a metrics-like suffix in dvc.lock
    changes: list[Change] = []
    for file in sorted(files):
        old = flatten(_read_metric(root, sa, la, file))
        new = flatten(_read_metric(root, sb, lb, file))
        for key in sorted(set(old) | set(new)):
            a: Any = old.get(key)
            b: Any = new.get(key)
            if a == b:
                continue
            delta = round(b - a, 12) if _number(a) and _number(b) else None
            changes.append(Change(f"{file}:{key}", a, b, delta=delta))
    return changes


def _read_metric(root: Path, snapshot: Snapshot, locks: dict[str, lock.StageLock], path: str) -> Any:
    """A metrics file at the snapshot's commit (the one reader: Git, else the DVC cache by the hash any of
    the commit's dvc.lock files recorded), None when absent or refused by the bounded reader."""
    if not path.endswith((".json", ".yaml", ".yml")):
        return None
    reader = CommittedFiles(root, locks=lambda commit: locks)
    try:
        return reader.data(snapshot.commit, path)
    except CommittedFileError as exc:
        if not exc.missing:
            snapshot.problems.append(f"{exc.message}; ignored")
        return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- data -------------------------------------------------------------------------------------------------


def _hashes(locks: dict[str, lock.StageLock]) -> dict[str, tuple[lock.HashEntry, str]]:
    found: dict[str, tuple[lock.HashEntry, str]] = {}
    for stage in locks.values():
        for path, entry in stage.deps.items():
            found.setdefault(path, (entry, "dependency"))
    for stage in locks.values():  # an output's role wins over its use as another stage's dependency
        for path, entry in stage.outs.items():
            found[path] = (entry, "source" if stage.is_source else f"output of {stage.name}")
    return found


def _data(la: dict[str, lock.StageLock], lb: dict[str, lock.StageLock]) -> list[Change]:
    old, new = _hashes(la), _hashes(lb)
    changes = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a and b and a[0].md5 == b[0].md5:
            continue
        role = (b or a)[1]  # type: ignore[index]
        changes.append(
            Change(path, a[0].as_dict() if a else None, b[0].as_dict() if b else None, detail=role)
        )
    return changes


# -- stages and rules -------------------------------------------------------------------------------------


def _stages(sa: Snapshot, sb: Snapshot, pipeline_patterns: list[str]) -> list[Change]:
    old, new = _stage_defs(sa), _stage_defs(sb)
    changes = [change for name in sorted(set(old) | set(new)) if (change := _stage_change(name, old, new))]
    for path in sorted(set(sa.glob(*pipeline_patterns)) | set(sb.glob(*pipeline_patterns))):
        a_id, b_id = sa.files.get(path), sb.files.get(path)
        if a_id != b_id:
            what = "added" if a_id is None else "removed" if b_id is None else "modified"
            changes.append(Change(path, None, None, detail=f"pipeline file {what}"))
    return changes


def _stage_change(name: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> Change | None:
    """How stage NAME differs between the two sides: added, removed or the fields that changed."""
    a, b = old.get(name), new.get(name)
    if a == b:
        return None
    if a is None or b is None:
        return Change(name, a, b, detail="added" if a is None else "removed")
    fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return Change(
        name,
        {k: a.get(k) for k in fields},
        {k: b.get(k) for k in fields},
        detail="changed: " + ", ".join(fields),
    )


def _stage_defs(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    stages: dict[str, dict[str, Any]] = {}
    for dvc_yaml in snapshot.named("dvc.yaml"):
        doc = snapshot.yaml(dvc_yaml)
        folder = posixpath.dirname(dvc_yaml)
        for name, body in ((doc or {}).get("stages") or {}).items() if isinstance(doc, dict) else ():
            key = name if not folder else f"{dvc_yaml}:{name}"
            stages[key] = body if isinstance(body, dict) else {"cmd": body}
    return stages


def _documents(sa: Snapshot, sb: Snapshot, patterns: list[str]) -> list[Change]:
    changes: list[Change] = []
    for path in sorted(set(sa.glob(*patterns)) | set(sb.glob(*patterns))):
        if sa.files.get(path) == sb.files.get(path):
            continue
        if path not in sa.files or path not in sb.files:
            changes.append(Change(path, None, None, detail="added" if path not in sa.files else "removed"))
            continue
        old, new = flatten(sa.yaml(path)), flatten(sb.yaml(path))
        keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        changes.extend(Change(f"{path}:{k}", old.get(k), new.get(k)) for k in keys)
        if not keys:
            changes.append(Change(path, None, None, detail="modified (formatting or comments)"))
    return changes


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings to dotted keys. Lists of named mappings (`checks: [{name: x, ...}]`) are keyed by
    name, so reordering them is no change; other lists are compared whole."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for key, value in doc.items():
            if not prefix and str(key) in ("kind", "version"):
                continue
            out.update(flatten(value, f"{prefix}{key}."))
    elif _named_items(doc):
        for item in doc:
            rest = {k: v for k, v in item.items() if k != "name"}
            out.update(flatten(rest, f"{prefix}{item['name']}."))
    elif prefix:
        out[prefix[:-1]] = doc
    return out


def _named_items(doc: Any) -> bool:
    """A non-empty list of mappings that each have a `name`."""
    return isinstance(doc, list) and bool(doc) and all(isinstance(i, dict) and "name" in i for i in doc)
