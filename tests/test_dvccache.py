"""Reading a DVC-kept file by md5: both default cache layouts, and a cache configured elsewhere (real dvc)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from mlops.dvccache import read_cached
from tests.conftest import git


def test_default_layouts_and_misses(tmp_path: Path) -> None:
    md5 = "ab" + "c" * 30
    assert read_cached(tmp_path, md5) is None
    assert read_cached(tmp_path, None) is None
    dvc2 = tmp_path / ".dvc" / "cache" / "ab" / ("c" * 30)
    dvc2.parent.mkdir(parents=True)
    dvc2.write_bytes(b"old layout")
    assert read_cached(tmp_path, md5) == b"old layout"
    dvc3 = tmp_path / ".dvc" / "cache" / "files" / "md5" / "ab" / ("c" * 30)
    dvc3.parent.mkdir(parents=True)
    dvc3.write_bytes(b"new layout")
    assert read_cached(tmp_path, md5) == b"new layout"


def test_cache_configured_elsewhere(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*dvc, "config", "cache.dir", str(tmp_path / "shared-cache")], cwd=repo, check=True)
    (repo / "metrics.json").write_text('{"auc": 0.8}')
    subprocess.run([*dvc, "add", "-q", "metrics.json"], cwd=repo, check=True)
    md5 = hashlib.md5(b'{"auc": 0.8}').hexdigest()
    assert read_cached(repo, md5) == b'{"auc": 0.8}'
