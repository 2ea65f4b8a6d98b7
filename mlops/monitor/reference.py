"""The reference of a monitoring run: what the version behind `--against REF` was trained on.

`REF` resolves to a commit (and, for registry references such as `churn-model#production`, an artifact and a
version). The artifact's entry in promotion.yaml *at that commit* names its `profile` (preferred: a few KB per
column) and its `training_data`; both are read at the commit, from Git or DVC. `REF:PATH` names the
reference file directly. The offline metrics come from the version's tag message (its metrics snapshot), else
from the artifact's metrics file at the commit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import ConfigError, InputError, MlopsError, UnknownReference, UsageError


@dataclass
class Reference:
    ref: str  # as the user wrote it
    commit: str
    artifact: str | None
    version: str | None
    stage: str | None
    path: str  # the file read: a profile or data
    kind: str  # profile | data
    profile: Any  # mlops.data.profile.Profile
    offline: dict[str, Any] = field(default_factory=dict)  # recorded metrics snapshot (raw)
    offline_source: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "commit": self.commit,
            "artifact": self.artifact,
            "version": self.version,
            "stage": self.stage,
            "path": self.path,
            "kind": self.kind,
            "rows": self.profile.rows,
            "offline_source": self.offline_source,
        }


def select_reference(
    against: str,
    root: str | os.PathLike[str],
    *,
    artifact: str | None = None,
    promotion_file: str = "promotion.yaml",
) -> Reference:
    from mlops import refs

    explicit: str | None = None
    try:
        resolved = refs.resolve(against, root)
    except UnknownReference:
        if ":" not in against:
            raise
        ref, explicit = refs.split_ref_path(against)
        resolved = refs.resolve(ref, root)
    name = getattr(resolved, "artifact", None) or artifact
    entry: dict[str, Any] = {}
    if explicit is None or name:
        name, entry = _entry(against, name, root, resolved.commit, promotion_file, explicit)
    candidates = [explicit] if explicit is not None else _reference_files(name, entry, promotion_file)
    path, raw, notes = _first_readable(candidates, resolved.commit, root)
    profile, kind = _as_profile(path, raw)
    version, stage = getattr(resolved, "version", None), getattr(resolved, "stage", None)
    reference = Reference(against, resolved.commit, name, version, stage, path, kind, profile, notes=notes)
    reference.offline, reference.offline_source = _offline(root, name, version, resolved.commit, entry)
    return reference


def _entry(
    against: str,
    name: str | None,
    root: str | os.PathLike[str],
    commit: str,
    promotion_file: str,
    explicit: str | None,
) -> tuple[str | None, dict[str, Any]]:
    """The artifact (the only one of promotion.yaml when a plain revision names none) and its entry there."""
    artifacts = _artifacts(root, commit, promotion_file, required=explicit is None)
    if name is None and explicit is None:
        if len(artifacts) != 1:
            listing = ", ".join(sorted(artifacts)) or "none"
            raise UsageError(
                f"`{against}` is a Git revision, not an artifact reference; name the artifact with "
                f"--artifact (promotion.yaml has: {listing})",
                hint="or use a registry reference such as churn-model#production",
            )
        name = next(iter(artifacts))
    if name is None:
        return None, {}
    if name not in artifacts and explicit is None:
        raise UsageError(f"artifact `{name}` is not in {promotion_file} at {commit[:10]}")
    return name, dict(artifacts.get(name) or {})


def _reference_files(name: str | None, entry: dict[str, Any], promotion_file: str) -> list[str]:
    """The artifact's `profile`, then its `training_data`: the first readable one is the reference."""
    candidates = [p for p in (entry.get("profile"), entry.get("training_data")) if isinstance(p, str)]
    if not candidates:
        raise UsageError(
            f"artifact `{name}` has neither `profile` nor `training_data` in {promotion_file}, "
            "so there is nothing to compare with",
            hint="add `training_data: PATH` (or `profile: PATH`) to the artifact, or pass REF:PATH",
        )
    return candidates


def _artifacts(
    root: str | os.PathLike[str], commit: str, promotion_file: str, *, required: bool
) -> dict[str, Any]:
    from mlops import git
    from mlops.config import read_document

    raw = git.show_file(commit, promotion_file, root)
    shown = f"{promotion_file} at {commit[:10]}"
    if raw is None:
        local = Path(root) / promotion_file
        if not local.is_file():
            if required:
                raise UsageError(
                    f"no {promotion_file} at {commit[:10]} or in the work tree, so the artifact's "
                    "training data is unknown",
                    hint="pass the reference file as REF:PATH",
                )
            return {}
        raw, shown = local.read_bytes(), promotion_file
    doc = read_document(shown, shown=shown, expected_kind="Promotion", raw=raw)
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    artifacts = (doc.data or {}).get("artifacts") or {}
    return artifacts if isinstance(artifacts, dict) else {}


def _first_readable(
    paths: list[str], commit: str, root: str | os.PathLike[str]
) -> tuple[str, bytes, list[str]]:
    from mlops.data.source import read_bytes_at

    notes: list[str] = []
    last: MlopsError | None = None
    for path in paths:
        try:
            return path, read_bytes_at(f"{commit}:{path}", root), notes
        except (UnknownReference, InputError) as exc:
            notes.append(exc.message if exc.message.startswith(path) else f"{path}: {exc.message}")
            last = exc
    assert last is not None
    raise type(last)(f"cannot read the reference at {commit[:10]}: " + "; ".join(notes), hint=last.hint)


def _as_profile(path: str, raw: bytes) -> tuple[Any, str]:
    from mlops.data.profile import build_profile, is_profile, load_profile
    from mlops.data.source import DataSource

    if is_profile(raw):
        try:
            return load_profile(raw), "profile"
        except InputError as exc:
            raise InputError(f"{path}: {exc.message}") from None
    return build_profile(DataSource.from_bytes(path, raw)), "data"


def _offline(
    root: str | os.PathLike[str],
    artifact: str | None,
    version: str | None,
    commit: str,
    entry: dict[str, Any],
) -> tuple[dict[str, Any], str | None]:
    if artifact and version:
        tagged = _tagged_metrics(root, artifact, version)
        if tagged:
            return tagged, f"tag {artifact}@{version}"
    metrics_path = entry.get("metrics")
    if isinstance(metrics_path, str):
        from mlops.committed import CommittedFileError, CommittedFiles

        try:  # from Git, else from the DVC cache: the one reader of files at a commit
            data = CommittedFiles(root).data(commit, metrics_path)
        except CommittedFileError:
            data = None
        if isinstance(data, dict):
            return data, f"{metrics_path} at {commit[:10]}"
    return {}, None


def _tagged_metrics(root: str | os.PathLike[str], artifact: str, version: str) -> dict[str, Any]:
    """The metrics snapshot in the version's tag message ({} when there is none)."""
    try:
        from mlops.registry import read_state

        found = read_state(root).artifact(artifact)
        recorded = found.version(version) if found else None
        tagged: Any = recorded.message_data if recorded else {}
        if isinstance(tagged, dict) and isinstance(tagged.get("metrics"), dict) and tagged["metrics"]:
            return dict(tagged["metrics"])
    except ImportError:  # the registry is optional here: fall back to the metrics file
        pass
    return {}
