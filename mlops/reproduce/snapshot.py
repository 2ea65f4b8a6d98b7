"""The files of one commit, listed and read with two git processes however many files are asked for."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from mlops import git
from mlops.config.yamlload import YamlProblem, load_data


class Snapshot:
    """Read-only view of the tree of COMMIT (a full hash) in the repository at ROOT."""

    def __init__(self, root: str | os.PathLike[str], commit: str) -> None:
        self.root = Path(root)
        self.commit = commit
        self._blobs: dict[str, bytes | None] = {}
        self.problems: list[str] = []  # files refused by the bounded reader

    @cached_property
    def files(self) -> dict[str, str]:
        """path -> blob id, for every file in the commit."""
        out = git.output(["ls-tree", "-r", "-z", "--full-tree", self.commit], self.root)
        files = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                files[path] = parts[2]
        return files

    def glob(self, *patterns: str) -> list[str]:
        return sorted(p for p in self.files if any(fnmatch.fnmatchcase(p, pat) for pat in patterns))

    def named(self, name: str) -> list[str]:
        """Every file called NAME (for example dvc.lock) in any folder."""
        return sorted(p for p in self.files if p == name or p.endswith("/" + name))

    def suffixed(self, suffix: str) -> list[str]:
        return sorted(p for p in self.files if p.endswith(suffix))

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | None]:
        wanted = [p for p in paths if p not in self._blobs]
        present = [p for p in wanted if p in self.files]
        for p in wanted:
            self._blobs.setdefault(p, None)
        if present:
            for p, blob in zip(
                present, git.cat_file_batch(self.root, [self.files[p] for p in present]), strict=True
            ):
                self._blobs[p] = blob
        return {p: self._blobs.get(p) for p in paths}

    def read(self, path: str) -> bytes | None:
        return self.read_many([path])[path]

    def yaml(self, path: str) -> Any:
        """Parsed YAML (or JSON) of PATH through the bounded reader, or None when absent or refused (the
        reason is kept in `problems`, for the command to warn about)."""
        raw = self.read(path)
        if raw is None:
            return None
        try:
            return load_data(raw, path)
        except YamlProblem as problem:
            self.problems.append(f"{path} at {self.commit[:10]} is ignored: {problem.reason}")
            return None
