"""DVC, used in-process (one import, one repository object) and as a CLI for `dvc repro`.

`dvc` is imported only inside these functions: `mlops --help` and `mlops lint` never pay for it.
DVC errors become mlops errors with DVC's own one-line message.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops.errors import InputError, MlopsError
from mlops.reproduce.lock import HashEntry


def is_dvc_repo(root: str | os.PathLike[str]) -> bool:
    """`dvc init` writes .dvc/config (tracked); a bare .dvc folder is a cache left behind by a later version."""
    return (Path(root) / ".dvc" / "config").is_file()


def executable() -> str:
    """The `dvc` next to this Python (the same virtual environment), else the one on PATH."""
    here = Path(sys.executable).parent / ("dvc.exe" if os.name == "nt" else "dvc")
    if here.is_file():
        return str(here)
    found = shutil.which("dvc")
    if not found:
        raise InputError("dvc is not installed", hint="pip install dvc")
    return found


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def dvc_errors(what: str) -> Iterator[list[str]]:
    """Turn DVC exceptions into InputError; collect DVC's warnings instead of letting them print."""
    from dvc.exceptions import DvcException

    logger = logging.getLogger("dvc")
    handler = _Collect()
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    except MlopsError:
        raise
    except DvcException as exc:
        raise InputError(f"{what}: {_one_line(exc)}") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def open_repo(root: str | os.PathLike[str]) -> Any:
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        return Repo(os.fspath(root), uninitialized=False)
    except NotDvcRepoError:
        raise InputError(f"not a DVC repository: {root}", hint="run `dvc init`") from None


def parse_yaml(data: bytes | None) -> Any:
    """YAML with the parser DVC loads anyway (checkout then pays for no second YAML library)."""
    if data is None:
        return None
    from dvc.exceptions import DvcException
    from dvc.utils.serialize import parse_yaml as parse

    try:
        return parse(data.decode("utf-8", errors="replace"), "dvc.lock")
    except DvcException:
        return None


def reset(repo: Any) -> None:
    """Forget what the repository object read from the work tree (after `git checkout` changed it)."""
    repo._reset()


def missing(repo: Any, entries: Iterable[HashEntry]) -> list[HashEntry]:
    """The entries whose content the local cache lacks (a directory lacks any of its files)."""
    return [e for e in entries if e.md5 and not _in_cache(repo, e)]


def _odb(repo: Any, entry: HashEntry) -> Any:
    return repo.cache.legacy if entry.legacy else repo.cache.local


def _in_cache(repo: Any, entry: HashEntry) -> bool:
    odb = _odb(repo, entry)
    path = odb.oid_to_path(entry.md5)
    if not os.path.exists(path):
        return False
    if not entry.isdir:
        return True
    try:
        with open(path, encoding="utf-8") as handle:
            listing = json.load(handle)
    except (OSError, ValueError):
        return False
    return all(isinstance(item, dict) and os.path.exists(odb.oid_to_path(str(item.get("md5"))))
               for item in listing)


def fetch(repo: Any, commit: str, targets: list[str] | None = None) -> None:
    """Download into the cache what COMMIT needs (only TARGETS, .dvc or dvc.yaml paths relative to the
    root, when given) and the cache lacks. Objects land atomically: an interrupted fetch leaves whole
    objects, and the next one fetches the rest."""
    from dvc.config import NoRemoteError
    from dvc.exceptions import DownloadError, DvcException

    try:
        if targets:  # DVC reads targets at another revision relative to the current directory
            try:
                repo.fetch(targets=[os.path.relpath(os.path.join(repo.root_dir, t)) for t in targets],
                           revs=[commit], workspace=False)
                return
            except (NoRemoteError, DownloadError):
                raise
            except DvcException:  # e.g. run from outside the repository: fetch the whole version instead
                pass
        repo.fetch(revs=[commit], workspace=False)
    except NoRemoteError:
        raise InputError("the DVC cache lacks data of this version and no DVC remote is configured",
                         hint="add one with `dvc remote add -d NAME URL`, or `dvc pull` from where it is") from None
    except DownloadError as exc:
        raise InputError(f"could not download from the DVC remote: {_one_line(exc)}") from None


UNSAVED = "Can't remove the following unsaved files"


def run_cli(args: list[str], cwd: str | os.PathLike[str], log: Path,
            on_line: Callable[[str], None] | None = None) -> int:
    """Run `dvc ARGS` in CWD, writing its output to LOG (long runs stay inspectable) and handing each line
    to ON_LINE as it comes. As `mlops run` does, this Python's bin folder comes first on PATH: stage
    commands (`python ...`, `mlops validate`) run in the environment mlops runs in."""
    from mlops.git import clean_env

    env = clean_env()  # git's keep-list: no GIT_DIR from a hook, GIT_SSL_CAINFO and GIT_CONFIG_* kept
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen([executable(), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, encoding="utf-8", errors="replace")
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                handle.write(line)
                if on_line is not None:
                    on_line(line.rstrip("\n"))
        finally:
            proc.stdout.close()
            code = proc.wait()
    return code


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
