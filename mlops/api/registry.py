"""Registry operations: register, deregister, deprecate, show, versions, history, which."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlops.errors import UnknownReference, UsageError


def _closest(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
    """mlops.suggest.closest, imported on the error paths only (difflib is not free on a warm `which`)."""
    from mlops.suggest import closest as suggest

    return suggest(word, choices, cutoff=cutoff)


__all__ = ["register", "deregister", "deprecate", "show", "versions", "history", "which", "registry_state"]


def _root(root: str | os.PathLike[str] | None) -> Path:
    from mlops.git import find_root

    return Path(root) if root is not None else find_root()


def registry_state(root: str | os.PathLike[str] | None = None, *, fetch: bool = False) -> Any:
    """The folded registry (mlops.registry.RegistryState)."""
    from mlops.registry import read_state

    return read_state(_root(root), fetch=fetch)


def _summary(root: str | os.PathLike[str] | None = None, *, fetch: bool = False) -> Any:
    """Every artifact's folded summary, from the registry index under .git when it is fresh (index.py)."""
    from mlops.registry.index import registry_summary

    return registry_summary(_root(root), fetch=fetch)


def _artifacts(root: Path) -> dict[str, Any]:
    from mlops.config import load_document, load_project

    project = load_project(root)
    doc = load_document(project.path(project.promotion), shown=project.promotion, expected_kind="Promotion")
    return dict((doc.data or {}).get("artifacts") or {})


def _dvc_files(root: Path) -> tuple[str, str]:
    from mlops.config import load_project

    dvc_yaml = load_project(root).dvc_yaml
    return dvc_yaml, str(Path(dvc_yaml).with_name("dvc.lock").as_posix())


def register(
    artifact: str,
    rev: str = "HEAD",
    *,
    version: str | None = None,
    bump: str | None = None,
    message: str | None = None,
    push: bool = False,
    force: bool = False,
    extra: dict[str, Any] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Tag a new version of ARTIFACT (declared in promotion.yaml) on REV's commit. Refuses an artifact whose
    bytes (its hash in dvc.lock) equal the latest version's, unless `force`. `extra` adds keys to the tag's
    machine-readable block (e.g. what an `evalset add` appended)."""
    from mlops import git
    from mlops.registry import write
    from mlops.registry.snapshot import snapshot

    base = _root(root)
    if version and bump:
        raise UsageError("give either --version or --bump, not both")
    declared = _artifacts(base)
    if artifact not in declared:
        match = _closest(artifact, declared)
        hint = f"did you mean `{match}`?" if match else f"declared: {', '.join(sorted(declared))}"
        raise UnknownReference(f"artifact `{artifact}` is not declared in promotion.yaml", hint=hint)
    commit = git.resolve_commit(rev, base)
    dvc_yaml, dvc_lock = _dvc_files(base)
    _refuse_uncommitted_lock(base, commit, (dvc_yaml, dvc_lock))
    data = snapshot(base, commit, artifact, declared[artifact], dvc_yaml=dvc_yaml, dvc_lock=dvc_lock)
    data["environment"] = _environment(base, commit)
    if not force:
        _refuse_identical(base, artifact, commit, data)
    data.update(extra or {})
    tag = write.register(
        base,
        artifact,
        commit,
        version=version,
        bump_part=bump or "patch",
        metadata=data,
        message=message,
        push=push,
    )
    return {
        "tag": tag,
        "artifact": artifact,
        "version": tag.split("@", 1)[1],
        "commit": commit,
        "pushed": push,
        "data": data,
    }


def _refuse_uncommitted_lock(root: Path, commit: str, files: tuple[str, str]) -> None:
    """Registering HEAD while dvc.yaml or dvc.lock has changes would record what the work tree holds."""
    from mlops import git

    if commit != git.resolve_commit("HEAD", root):
        return
    pending = [p for p in git.dirty_paths(root) if p in files]
    if pending:
        raise UsageError(
            f"{' and '.join(pending)} ha{'ve' if len(pending) > 1 else 's'} uncommitted changes; "
            "register tags the commit, not the work tree",
            hint=f"commit {' and '.join(pending)} first, then register",
        )


def _environment(root: Path, commit: str) -> dict[str, Any]:
    """The training environment recorded with the version (mlops.serving.environment)."""
    from mlops.config import load_project
    from mlops.serving.environment import capture

    return capture(root, commit, load_project(root).environment)


def _refuse_identical(root: Path, artifact: str, commit: str, data: dict[str, Any]) -> None:
    from mlops.registry import read_state

    art = read_state(root).artifact(artifact)
    latest = art.latest if art else None
    if latest is None or latest.commit == commit:
        return  # a second version on one commit is refused by the writer, with its own message
    same = _same_hash(data.get("hash") or {}, latest.message_data.get("hash") or {})
    if same:
        raise UsageError(
            f"{artifact} at {commit[:7]} is byte-identical to {latest.version} (same {same[0]} "
            f"{same[1]} in dvc.lock): nothing new to register",
            hint="pass --force to register it anyway",
        )


def _same_hash(mine: dict[str, Any], theirs: Any) -> tuple[str, str] | None:
    """(key, value) of the hash both records share (md5 first), None when they differ or say nothing."""
    key = next((k for k in ("md5", "hash") if mine.get(k)), None)
    if key and isinstance(theirs, dict) and theirs.get(key) == mine[key]:
        return key, mine[key]
    return None


def deregister(
    artifact: str,
    version: str,
    *,
    message: str | None = None,
    push: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    from mlops.registry import write

    tag = write.deregister(_root(root), artifact, version, message=message, push=push)
    return {"tag": tag, "artifact": artifact, "version": version, "pushed": push}


def deprecate(
    artifact: str,
    *,
    message: str | None = None,
    push: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    from mlops.registry import write

    tag = write.deprecate(_root(root), artifact, message=message, push=push)
    return {"tag": tag, "artifact": artifact, "pushed": push}


def _require(state: Any, artifact: str) -> Any:
    art = state.artifact(artifact)
    if art is None:
        match = _closest(artifact, state.artifacts)
        hint = f"did you mean `{match}`?" if match else "`mlops show` lists the registered artifacts"
        raise UnknownReference(f"artifact `{artifact}` has no registry tags", hint=hint)
    return art


def _relevant(warnings: list[str], artifact: str | None) -> list[str]:
    if artifact is None:
        return list(warnings)
    # "A: " with its space: the warnings of an artifact `A:b` (dir A, name b) are not A's
    return [w for w in warnings if w.startswith(f"{artifact}: ") or w.startswith("tag ")]


def _annotations(root: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    from mlops.registry.read import artifact_annotations

    return artifact_annotations(_root(root))


def show(
    artifact: str | None = None,
    *,
    fetch: bool = False,
    deprecated: bool = True,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Every artifact (or one): latest version, the version in each stage, and its GTO annotation.

    Artifacts annotated in artifacts.yaml or dvc.yaml but without any tag are listed too (`registered`
    false), as `gto show` lists them. One artifact is read from its own slice of the index when that
    slice alone knows every stage name (artindex.py), else from the full index."""
    if fetch:
        from mlops.registry.read import fetch_tags

        fetch_tags(_root(root))
    notes = _annotations(root)
    if artifact:
        one = _show_one(root, artifact, notes)
        if one is not None:
            return one
    state = _summary(root)
    names = [artifact] if artifact else sorted(set(state.artifacts) | set(notes))
    rows = [_show_row(state, name, notes, deprecated or bool(artifact)) for name in names]
    return {
        "artifacts": [row for row in rows if row is not None],
        "stages": state.stage_names,
        "warnings": _relevant(state.warnings, artifact),
    }


def _show_one(
    root: str | os.PathLike[str] | None, artifact: str, notes: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """`show ARTIFACT` from the artifact's own slice of the index; None when it cannot tell every stage."""
    view = _view(root, artifact)
    if view is None or view.stage_names is None:
        return None
    row = _row(artifact, view.summary, notes)
    return {"artifacts": [row], "stages": view.stage_names, "warnings": view.warnings}


def _show_row(
    state: Any, name: str, notes: dict[str, dict[str, Any]], deprecated: bool
) -> dict[str, Any] | None:
    """NAME's row of `show`; None for a deprecated artifact when DEPRECATED ones are hidden."""
    if name not in state.artifacts and name in notes:
        return _unregistered_row(name, notes[name], state.stage_names)
    art = _require(state, name)
    return _row(name, art, notes) if deprecated or not art.deprecated else None


def _view(root: str | os.PathLike[str] | None, artifact: str) -> Any:
    """ARTIFACT from the per-artifact index (mlops.registry.artindex), or None: then read the full index."""
    from mlops.registry.artindex import artifact_view

    return artifact_view(_root(root), artifact)


def _row(name: str, art: Any, notes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    latest = art.latest
    return {
        "artifact": name,
        "latest": latest.version if latest else None,
        "latest_commit": latest.commit if latest else None,
        "stages": {s: (v.version if v else None) for s, v in sorted(art.stages.items())},
        "deprecated": art.deprecated,
        "versions": art.version_count,
        "registered": True,
        "annotation": notes.get(name),
    }


def _unregistered_row(name: str, note: dict[str, Any], stage_names: list[str]) -> dict[str, Any]:
    return {
        "artifact": name,
        "latest": None,
        "latest_commit": None,
        "stages": dict.fromkeys(stage_names),
        "deprecated": False,
        "versions": 0,
        "registered": False,
        "annotation": note,
    }


def versions(artifact: str, *, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Every registered version of ARTIFACT, newest SemVer first, with the stages each is in."""
    state = registry_state(root)
    notes = _annotations(root)
    if state.artifact(artifact) is None and artifact in notes:
        return {
            "artifact": artifact,
            "versions": [],
            "deprecated": False,
            "annotation": notes[artifact],
            "warnings": _relevant(state.warnings, artifact),
        }
    art = _require(state, artifact)
    current = {s: v for s, v in art.stages.items() if v is not None}
    rows = []
    for v in reversed(art.versions):
        row = v.to_dict()
        row["stages"] = sorted(s for s, cur in current.items() if cur is v)
        rows.append(row)
    return {
        "artifact": artifact,
        "versions": rows,
        "deprecated": art.deprecated,
        "annotation": notes.get(artifact),
        "warnings": _relevant(state.warnings, artifact) + _message_warnings(art.events),
    }


def history(
    artifact: str | None = None, *, stream: bool = False, root: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Every registry event, newest first, with gate, PR and merge information from the tag messages.
    `stream`: `events` is an iterator making each row as it is asked for (no list of every row)."""
    events, warnings = _events(root, artifact)
    rows = (e.to_dict() for e in reversed(events))
    return {
        "events": rows if stream else list(rows),
        "refused": _refused(_root(root), artifact),
        "warnings": warnings + _message_warnings(events),
    }


def _events(root: str | os.PathLike[str] | None, artifact: str | None) -> tuple[list[Any], list[str]]:
    """The events (oldest first) and the warnings of ARTIFACT (None: every artifact)."""
    if artifact is None:
        state = registry_state(root)
        return state.events, list(state.warnings)
    view = _view(root, artifact)
    if view is not None:
        return view.state().events, view.warnings
    from mlops.registry.index import artifact_state

    summary = _summary(root)
    _require(summary, artifact)
    folded = artifact_state(summary, artifact)
    return (folded.events if folded else []), _relevant(summary.warnings, artifact)


def _message_warnings(events: list[Any]) -> list[str]:
    """A warning for each tag whose message block the bounded reader refused (the rest still lists)."""
    return [w for w in (e.message_warning for e in events) if w]


def _refused(root: Path, artifact: str | None) -> list[dict[str, Any]]:
    """registry.yaml values merged on the protected branch that `mlops sync` refuses, with the failing gate."""
    if not (root / "registry.yaml").exists() and not (root / "mlops.yaml").exists():
        return []
    from mlops.errors import MlopsError
    from mlops.promotion.sync import refusals

    try:
        actions = refusals(root)
    except MlopsError:
        return []  # history still answers from the tags when the policy cannot be read
    out = []
    for action in actions:
        ev = action.evaluation
        if artifact is None or ev.artifact == artifact:
            failed = [r.gate for r in ev.failures]
            out.append(
                {
                    "artifact": ev.artifact,
                    "stage": ev.stage,
                    "version": ev.version,
                    "reason": action.reason,
                    "failed_gates": failed,
                }
            )
    return out


def which(
    artifact: str, stage: str, *, back: int = 0, root: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The version now in STAGE (`back`: the N-th one before it); `version` is None for an empty stage.
    Read from the artifact's own slice of the index; a stage it never had asks the full index."""
    view = _view(root, artifact)
    if view is not None and stage in view.summary.packed_queues:
        art, warnings = view.summary, view.warnings
    else:
        state = _summary(root)
        art, warnings = _require(state, artifact), _relevant(state.warnings, artifact)
        if stage not in art.queues:
            _require_stage(stage, set(state.stage_names) | _declared_stages(_root(root)))
    found = art.which(stage, back)
    return {
        "artifact": artifact,
        "stage": stage,
        "back": back,
        "version": (found.version if found else None),
        "commit": found.commit if found else None,
        "tag": found.tag if found else None,
        "known_stage": stage in art.queues,
        "deprecated": art.deprecated,
        "warnings": warnings,
    }


def _declared_stages(root: Path) -> set[str]:
    """The stages promotion.yaml declares (none when it is missing or broken: the tags still answer)."""
    from mlops.errors import MlopsError

    try:
        from mlops.config import load_document, load_project

        project = load_project(root)
        doc = load_document(
            project.path(project.promotion), shown=project.promotion, expected_kind="Promotion"
        )
    except MlopsError:
        return set()
    stages = (doc.data or {}).get("stages") if isinstance(doc.data, dict) else None
    return {str(s) for s in stages} if isinstance(stages, dict) else set()


def _require_stage(stage: str, known: set[str]) -> None:
    """A stage neither declared nor ever assigned is a typo, not an empty stage: exit 2 with a suggestion."""
    if stage in known:
        return
    match = _closest(stage, known, cutoff=0.5) or next(
        (s for s in sorted(known) if s.startswith(stage)), None
    )
    listing = ", ".join(sorted(known)) or "none yet"
    raise UnknownReference(
        f"unknown stage `{stage}` (stages: {listing})", hint=f"did you mean `{match}`?" if match else None
    )
