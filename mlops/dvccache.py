"""Files DVC keeps out of Git, read from the local cache by the md5 that dvc.lock or a .dvc file recorded.

Gates, registration snapshots and diffs need a committed version's metrics file even when DVC tracks it.
The default cache layouts are tried first without importing DVC; only a cache configured elsewhere
(`cache.dir`) makes us ask DVC where it is.
"""

from __future__ import annotations

import os
from pathlib import Path


def read_cached(root: str | os.PathLike[str], md5: str | None) -> bytes | None:
    """Bytes of the cached file with this md5, or None when the local cache does not have it."""
    if not md5 or len(md5) < 3:
        return None
    base = Path(root)
    cache = base / ".dvc" / "cache"
    candidates = [
        cache / "files" / "md5" / md5[:2] / md5[2:],  # DVC 3
        cache / md5[:2] / md5[2:],
    ]  # DVC 2
    found = _read_first(candidates)
    if found is None and _cache_configured(base):
        configured = _configured_path(base, md5)
        found = _read_first([configured]) if configured else None
    return found


def cached_path(root: str | os.PathLike[str], md5: str | None) -> Path | None:
    """The local cache file with this md5 (to stream from), or None when the cache does not have it."""
    if not md5 or len(md5) < 3:
        return None
    base = Path(root)
    cache = base / ".dvc" / "cache"
    for path in (cache / "files" / "md5" / md5[:2] / md5[2:], cache / md5[:2] / md5[2:]):
        if path.is_file():
            return path
    configured = _configured_path(base, md5) if _cache_configured(base) else None
    return configured if configured is not None and configured.is_file() else None


def _read_first(paths: list[Path]) -> bytes | None:
    for path in paths:
        try:
            return path.read_bytes()
        except OSError:
            continue
    return None


def _cache_configured(root: Path) -> bool:
    for name in ("config", "config.local"):
        try:
            if "[cache]" in (root / ".dvc" / name).read_text("utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


def _configured_path(root: Path, md5: str) -> Path | None:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        repo = Repo(os.fspath(root), uninitialized=False)
    except DvcException:
        return None
    try:
        return Path(repo.cache.local.oid_to_path(md5))
    finally:
        repo.close()
