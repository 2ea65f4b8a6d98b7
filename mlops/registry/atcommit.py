"""Files at a commit, read through ONE `git cat-file --batch` process (no checkout, no per-file git call)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable

from mlops import git


def read_blobs(root: str | os.PathLike[str], commit: str, paths: Iterable[str]) -> dict[str, bytes | None]:
    """PATH -> bytes of that file at COMMIT, None when it is not a file there (missing, or a folder)."""
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return {}
    request = "".join(f"{commit}:{p}\n" for p in wanted).encode("utf-8")
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True,
                          env=git.clean_env())
    if proc.returncode != 0:
        raise git.GitError(f"git cat-file failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    out = proc.stdout
    result: dict[str, bytes | None] = {}
    pos = 0
    for path in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
            size = int(header[2])
            body = out[pos:pos + size]
            pos += size + 1
            result[path] = body if header[1] == b"blob" else None
        else:  # "<object> missing" or "ambiguous"
            result[path] = None
    return result
