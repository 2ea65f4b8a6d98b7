"""The one reader of a file as it was at a commit: from Git, else from the DVC cache.

Gates, registration snapshots, `mlops diff`, monitoring references and every `REF:PATH` argument need a
committed version's metrics file, report or profile, even when DVC tracks it rather than Git. The file is
read from the commit's tree (never the work tree, never running code); when Git does not have it, its hash
is looked up in that commit's dvc.lock (the typed model of mlops.reproduce.lock) or PATH.dvc, and the bytes
are read from the local DVC cache. Parsed content always goes through the bounded reader, and every
failure is one error type, CommittedFileError, which says which file at which commit and why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops.errors import InputError

if TYPE_CHECKING:
    from mlops.reproduce.lock import StageLock


class CommittedFileError(InputError):
    """A file at a commit that is missing (`missing`) or cannot be read as JSON/YAML (exit 2)."""

    def __init__(self, message: str, *, missing: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.missing = missing


class CommittedFiles:
    """Reads, and caches, files of one or more commits for one command run."""

    def __init__(
        self, root: str | os.PathLike[str], locks: Callable[[str], dict[str, StageLock]] | None = None
    ) -> None:
        """LOCKS (commit -> its stages) when the caller has already read every dvc.lock of the commit;
        by default the root dvc.lock and PATH.dvc are read when a file is not in Git."""
        self.root = Path(root)
        self._locks = locks
        self._raw: dict[tuple[str, str], bytes | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}
        self._hashes: dict[str, dict[str, str]] = {}

    def raw(self, commit: str, path: str) -> bytes | None:
        """Bytes of PATH at COMMIT: from Git, else from the local DVC cache; None when neither has it."""
        return self.raw_many(commit, [path])[path]

    def raw_many(self, commit: str, paths: list[str]) -> dict[str, bytes | None]:
        from mlops.registry.atcommit import read_blobs

        wanted = [p for p in dict.fromkeys(paths) if (commit, p) not in self._raw]
        if wanted:
            found = read_blobs(self.root, commit, wanted)
            for path in wanted:
                data = found.get(path)
                if data is None:
                    data = self._from_dvc_cache(commit, path)
                self._raw[(commit, path)] = data
        return {p: self._raw[(commit, p)] for p in paths}

    def data(self, commit: str, path: str) -> Any:
        """Parsed JSON or YAML of PATH at COMMIT through the bounded reader; CommittedFileError if not."""
        key = (commit, path)
        if key in self._parsed:
            return self._parsed[key]
        raw = self.raw(commit, path)
        if raw is None:
            raise CommittedFileError(f"{path} is not in commit {commit[:12]}", missing=True)
        self._parsed[key] = parse(raw, path, commit)
        return self._parsed[key]

    def dvc_hash(self, commit: str, path: str) -> str | None:
        """The md5 that COMMIT's PATH.dvc or dvc.lock records for the file PATH (not a folder)."""
        known = self._hashes.setdefault(commit, {})
        if path not in known:
            stages = self._locks(commit) if self._locks else _recorded_stages(self.root, commit, path)
            known[path] = _file_md5(stages, path) or ""
        return known[path] or None

    def _from_dvc_cache(self, commit: str, path: str) -> bytes | None:
        from mlops.dvccache import read_cached

        return read_cached(self.root, self.dvc_hash(commit, path))


def _file_md5(stages: dict[str, StageLock], path: str) -> str | None:
    """The md5 the first stage that outputs the file PATH records (a folder has none of its own)."""
    return next(
        (
            entry.md5
            for stage in stages.values()
            for entry in stage.outs.values()
            if entry.path == path and entry.md5 and not entry.isdir
        ),
        None,
    )


def parse(raw: bytes, path: str, commit: str) -> Any:
    """JSON or YAML bytes of PATH at COMMIT through the bounded reader; CommittedFileError when refused."""
    from mlops.config.yamlload import YamlProblem, load_data

    shown = f"{path} at {commit[:12]}"
    try:
        return load_data(raw, shown)
    except YamlProblem as problem:
        what = "JSON" if path.endswith(".json") else "YAML"
        raise CommittedFileError(f"{shown} is not valid {what}: {problem.reason}", missing=False) from None


def _recorded_stages(root: Path, commit: str, path: str) -> dict[str, StageLock]:
    """The stages recorded in COMMIT's PATH.dvc (first) and root dvc.lock."""
    from mlops.registry.atcommit import read_blobs
    from mlops.reproduce.lock import read_locks

    def read(paths: list[str]) -> dict[str, bytes | None]:
        return read_blobs(root, commit, paths)

    return read_locks([f"{path}.dvc", "dvc.lock"], read)
