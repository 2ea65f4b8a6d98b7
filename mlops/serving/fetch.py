"""Stream a located target's bytes: from Git, from the local DVC cache, else through DVC from the remote.

The local cache is read directly (no DVC import, no checkout); when it lacks the bytes, DVC's own file
system for the commit streams them from the configured remote, as `dvc get` does. Either way the bytes go
through in chunks of CHUNK, so a multi-GB model is never whole in memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mlops import git
from mlops.dvccache import cached_path
from mlops.errors import InputError, UsageError
from mlops.serving.locate import Target

CHUNK = 1024 * 1024


class RemoteError(InputError):
    """The DVC remote could not be read (exit 2, naming the remote)."""


@contextlib.contextmanager
def open_target(root: str | os.PathLike[str], target: Target) -> Iterator[IO[bytes]]:
    """A binary stream of TARGET's bytes (a file, or a file inside a folder output)."""
    base = Path(root)
    if target.in_git:
        yield io.BytesIO(git.show_file(target.commit, target.path, base) or b"")
        return
    if target.md5 and target.md5.endswith(".dir") and not target.inside:
        raise UsageError(
            f"{target.path} at `{target.ref}` is a folder: open one file in it (`REF:PATH`), "
            "or copy the whole folder with `mlops get -o`"
        )
    local = _local_file(base, target)
    if local is None:
        pull(base, target)
        local = _local_file(base, target)
    if local is None:
        raise RemoteError(f"{target.path} at `{target.ref}` (md5 {target.md5}) is not in the DVC cache")
    with open(local, "rb") as handle:
        yield handle


def copy_target(root: str | os.PathLike[str], target: Target, out: str | os.PathLike[str]) -> Path:
    """Write TARGET to OUT (a file, or a folder for a folder output); returns OUT. Files are written
    atomically; a folder's files one by one, each atomically."""
    from mlops.atomic import write_stream

    base, dest = Path(root), Path(out)
    if target.md5 and target.md5.endswith(".dir") and not target.inside:
        _copy_folder(base, target, dest)
        return dest
    if dest.is_dir():
        dest = dest / posixpath.basename(target.path)
    with open_target(base, target) as handle:
        write_stream(dest, chunks(handle))
    return dest


def chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """HANDLE's bytes, CHUNK at a time."""
    while block := handle.read(CHUNK):
        yield block


def _local_file(root: Path, target: Target) -> Path | None:
    """The cache file holding TARGET's bytes, or None when the local cache lacks it (or its listing)."""
    if not target.inside:
        return cached_path(root, target.md5)
    listing = _listing(root, target.md5)
    if listing is None:
        return None
    md5 = listing.get(target.inside)
    if md5 is None:
        raise InputError(f"{target.path} is not in the folder {target.out_path} at `{target.ref}`")
    return cached_path(root, md5)


def _listing(root: Path, md5: str | None) -> dict[str, str] | None:
    """relpath -> md5 of a folder output, from its `.dir` file in the local cache."""
    from mlops.config.yamlload import YamlProblem, load_json

    path = cached_path(root, md5)
    if path is None:
        return None
    try:
        entries = load_json(path.read_bytes(), f"{md5} in the DVC cache")
    except YamlProblem as problem:
        raise InputError(f"the DVC cache's listing {md5} is unreadable: {problem.reason}") from None
    if not isinstance(entries, list):
        return None
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict) and "relpath" in entry and "md5" in entry:
            found[_inside(str(entry["relpath"]), md5)] = str(entry["md5"])
    return found


def _inside(relpath: str, md5: str | None) -> str:
    """A listing's relpath, refused when it would write outside the output folder (listings come from
    remotes anyone with push rights fills)."""
    clean = posixpath.normpath(relpath.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean in ("..", "."):
        raise InputError(f"the DVC cache's listing {md5} names `{relpath}`, outside its folder: refused")
    return clean


def _copy_folder(root: Path, target: Target, dest: Path) -> None:
    from mlops.atomic import write_stream

    files = _folder_files(root, target.md5)
    if files is None:
        pull(root, target)
        files = _folder_files(root, target.md5)
    if files is None:
        raise RemoteError(f"{target.path} at `{target.ref}` (md5 {target.md5}) is not in the DVC cache")
    for rel, path in files.items():
        with open(path, "rb") as handle:
            write_stream(dest / rel, chunks(handle))


def _folder_files(root: Path, md5: str | None) -> dict[str, Path] | None:
    """relpath -> cache file of every file of a folder output; None when the cache lacks any of them."""
    listing = _listing(root, md5)
    if listing is None:
        return None
    files = {rel: cached_path(root, file_md5) for rel, file_md5 in listing.items()}
    found = {rel: path for rel, path in files.items() if path is not None}
    return found if len(found) == len(files) else None


def pull(root: Path, target: Target) -> None:
    """Fill the local DVC cache with TARGET's bytes from the remote configured now (else the commit's),
    as `mlops checkout` does; RemoteError (exit 2) naming the remote when it cannot. A folder output is
    two rounds: its listing (`.dir`), then the files it names (only the one wanted, for REF:PATH inside)."""
    from mlops.reproduce.lock import HashEntry

    assert target.md5 is not None and target.out_path is not None
    if cached_path(root, target.md5) is None:
        _pull_entries(root, target, [HashEntry(target.out_path, target.md5)])
    if not target.md5.endswith(".dir"):
        return
    listing = _listing(root, target.md5) or {}
    wanted = {target.inside: listing[target.inside]} if target.inside in listing else listing
    lacking = [HashEntry(rel, md5) for rel, md5 in wanted.items() if cached_path(root, md5) is None]
    if lacking:
        _pull_entries(root, target, lacking)


def _pull_entries(root: Path, target: Target, entries: list[Any]) -> None:
    from mlops.reproduce import dvcrepo

    repo = dvcrepo.open_repo(root)
    try:
        with dvcrepo.dvc_errors(f"cannot fetch {target.path} at `{target.ref}`"):
            pulled = dvcrepo.pull_entries(repo, root, target.commit, entries)
    finally:
        repo.close()
    # a folder's entry "lacks" its files until the second round fetches them: only its listing counts here
    lacking = [e for e in pulled.lacking if not e.isdir or cached_path(root, e.md5) is None]
    if pulled.unreachable or lacking:
        why = pulled.unreachable or "it does not have these bytes"
        raise RemoteError(
            f"cannot fetch {target.path} at `{target.ref}` (md5 {target.md5}): not in the local DVC cache, "
            f"and {pulled.describe()}: {why}",
            hint="check the remote's URL and credentials (`dvc remote list`), or `dvc push` from where "
            "the data is",
        )
