"""Files as they were at a commit: read through `git show`, never from the work tree, never running code.

A metrics file or report that DVC tracks (not committed to Git) is found through the hash in that commit's
dvc.lock (or PATH.dvc) and read from the local DVC cache, when the cache has it (mlops.committed).
"""

from __future__ import annotations

from typing import Any

from mlops import dotted
from mlops.committed import CommittedFileError, CommittedFiles

__all__ = ["CommittedFileError", "FileReader", "flatten_numbers", "lookup"]


class FileReader(CommittedFiles):
    """Reads and caches files at commits for one evaluation run (the one reader: mlops.committed).

    `data` raises CommittedFileError (missing, or refused by the bounded reader) with the reason."""


def lookup(data: Any, name: str) -> Any:
    """A metric by name: an exact key first, then a dotted path (list indices too). KeyError when absent."""
    return dotted.resolve(data, name, exact_first=True)


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
