"""Files as they were at a commit: read through `git show`, never from the work tree, never running code.

A metrics file or report that DVC tracks (not committed to Git) is found through the hash in that commit's
dvc.lock (or PATH.dvc) and read from the local DVC cache, when the cache has it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlops import git
from mlops.dvccache import read_cached


class FileReader:
    """Reads and caches files at commits for one evaluation run."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._raw: dict[tuple[str, str], bytes | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}

    def raw(self, commit: str, path: str) -> bytes | None:
        key = (commit, path)
        if key not in self._raw:
            data = git.show_file(commit, path, self.root)
            if data is None:
                data = self._from_dvc_cache(commit, path)
            self._raw[key] = data
        return self._raw[key]

    def data(self, commit: str, path: str) -> Any:
        """Parsed JSON or YAML; raises LookupError (missing) or ValueError (unreadable) with a reason."""
        key = (commit, path)
        if key in self._parsed:
            return self._parsed[key]
        raw = self.raw(commit, path)
        if raw is None:
            raise LookupError(f"{path} is not in commit {commit[:12]}")
        from mlops.config.yamlload import YamlProblem, load_bytes

        try:
            # YAML through the bounded loader: a file from a pull request cannot blow up memory with aliases
            value = json.loads(raw.decode("utf-8-sig")) if path.endswith(".json") else load_bytes(raw, path).data
        except (UnicodeDecodeError, ValueError, YamlProblem) as exc:
            raise ValueError(f"{path} at {commit[:12]} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: "
                             f"{str(exc).splitlines()[0]}") from None
        self._parsed[key] = value
        return value

    def _from_dvc_cache(self, commit: str, path: str) -> bytes | None:
        return read_cached(self.root, self._dvc_hash(commit, path))

    def _dvc_hash(self, commit: str, path: str) -> str | None:
        sidecar = git.show_file(commit, path + ".dvc", self.root)
        if sidecar is not None:
            for out in _safe_yaml(sidecar).get("outs") or []:
                if isinstance(out, dict) and out.get("md5"):
                    return str(out["md5"])
        lock = git.show_file(commit, "dvc.lock", self.root)
        if lock is None:
            return None
        stages = _safe_yaml(lock).get("stages") or {}
        for stage in stages.values() if isinstance(stages, dict) else []:
            for out in (stage or {}).get("outs") or []:
                if isinstance(out, dict) and out.get("path") == path and out.get("md5"):
                    return str(out["md5"])
        return None


def _safe_yaml(raw: bytes) -> dict[str, Any]:
    try:
        value = yaml.safe_load(raw.decode("utf-8", "replace"))
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def lookup(data: Any, name: str) -> Any:
    """A metric by name: an exact key first, then a dotted path into nested mappings. KeyError when absent."""
    if isinstance(data, dict) and name in data:
        return data[name]
    current = data
    for part in name.split("."):
        if not isinstance(current, dict) or part not in current:
            raise KeyError(name)
        current = current[part]
    return current


def flatten_numbers(data: Any, prefix: str = "", skip: tuple[str, ...] = ("slices",)) -> dict[str, float]:
    """Every numeric leaf as a dotted name (booleans excluded)."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if not prefix and key in skip:
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                out[name] = float(value)
            elif isinstance(value, dict):
                out.update(flatten_numbers(value, name, ()))
    return out
