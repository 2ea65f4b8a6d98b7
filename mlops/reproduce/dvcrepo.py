"""DVC, used in-process (one import, one repository object) and as a CLI for `dvc repro`.

`dvc` is imported only inside these functions: `mlops --help` and `mlops lint` never pay for it.
DVC errors become mlops errors with DVC's own one-line message.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config.yamlload import YamlProblem, load_json
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


def open_repo(root: str | os.PathLike[str], config: dict[str, Any] | None = None) -> Any:
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        return Repo(os.fspath(root), uninitialized=False, config=config)
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
        with open(path, "rb") as handle:
            listing = load_json(handle.read(), path)  # the bounded reader: cache files come from remotes
    except (OSError, ValueError, YamlProblem):
        return False
    return all(
        isinstance(item, dict) and os.path.exists(odb.oid_to_path(str(item.get("md5")))) for item in listing
    )


def fetch(repo: Any, commit: str, targets: list[str] | None = None) -> None:
    """Download into the cache what COMMIT needs (only TARGETS, .dvc or dvc.yaml paths relative to the
    root, when given) and the cache lacks. Objects land atomically: an interrupted fetch leaves whole
    objects, and the next one fetches the rest."""
    from dvc.config import NoRemoteError
    from dvc.exceptions import DownloadError, DvcException

    try:
        if targets:  # DVC reads targets at another revision relative to the current directory
            try:
                repo.fetch(
                    targets=[os.path.relpath(os.path.join(repo.root_dir, t)) for t in targets],
                    revs=[commit],
                    workspace=False,
                )
                return
            except (NoRemoteError, DownloadError):
                raise
            except DvcException:  # e.g. run from outside the repository: fetch the whole version instead
                pass
        repo.fetch(revs=[commit], workspace=False)
    except NoRemoteError:
        raise InputError(
            "the DVC cache lacks data of this version and no DVC remote is configured",
            hint="add one with `dvc remote add -d NAME URL`, or `dvc pull` from where it is",
        ) from None
    except DownloadError as exc:
        raise InputError(f"could not download from the DVC remote: {_one_line(exc)}") from None


@dataclass
class Pulled:
    """What one attempt to fill the cache from a DVC remote found."""

    remote: str  # the remote's name
    url: str
    source: str  # where its settings came from: "this checkout's DVC config" or "the DVC config at <commit>"
    unreachable: str | None = None  # why the remote could not be read at all
    lacking: list[HashEntry] = field(default_factory=list)  # entries still not in the cache afterwards

    def describe(self) -> str:
        return f"DVC remote `{self.remote}` ({self.url}, from {self.source})"

    def problem(self) -> str:
        """Why the remote could not be read, in the words a user acts on: denied, or unreachable."""
        return remote_problem(self.describe(), self.unreachable or "")


# what S3, GCS and Azure say when the credentials are wrong or lack the permission (HTTP 401/403)
_DENIED = (
    "forbidden",
    "accessdenied",
    "access denied",
    "invalidaccesskeyid",
    "signaturedoesnotmatch",
    "authorizationfailure",
    "authenticationfailed",
    "permission denied",
    "unauthorized",
    "(403)",
    "(401)",
)


def remote_problem(described: str, reason: str) -> str:
    """`DVC remote `x` (url) denied access (Forbidden)` or `... is unreachable (reason)`."""
    lowered = reason.lower()
    if any(word in lowered for word in _DENIED):
        return f"{described} denied access ({reason})"
    return f"{described} is unreachable ({reason})"


def pull_entries(repo: Any, root: Path, commit: str, entries: list[HashEntry]) -> Pulled:
    """Fetch ENTRIES' objects into the cache from the remote configured now (this work tree's DVC config,
    .dvc/config.local included), else from the default remote of COMMIT's own .dvc/config. Never from a
    remote chosen by COMMIT when the work tree names one: an old commit may predate `dvc remote add`, or
    name a remote that moved. InputError when no remote is configured anywhere."""
    name = repo.config["core"].get("remote")
    if name:
        return _pull(repo, str(name), entries, "this checkout's DVC config")
    found = remote_at(root, commit)
    if found is None:
        raise InputError(
            "no DVC remote is configured (in this checkout or at "
            f"{commit[:7]}) to download the data the cache lacks",
            hint="add one with `dvc remote add -d NAME URL` (or `--local` to keep it out of Git), "
            "or pass --allow-missing",
        )
    name, settings = found
    other = open_repo(root, config={"core": {"remote": name}, "remote": {name: settings}})
    try:
        return _pull(other, name, entries, f"the DVC config at {commit[:7]}")
    finally:
        other.close()


def remote_at(root: Path, commit: str) -> tuple[str, dict[str, Any]] | None:
    """(name, settings) of the default remote in COMMIT's .dvc/config, a relative local URL made absolute
    the way DVC reads it (relative to .dvc/)."""
    from configobj import ConfigObj, ConfigObjError

    from mlops import git

    raw = git.show_file(commit, ".dvc/config", root)
    if not raw:
        return None
    try:
        conf = ConfigObj(raw.decode("utf-8", errors="replace").splitlines())
    except ConfigObjError:
        return None
    name = (conf.get("core") or {}).get("remote")
    settings = dict(conf.get(f'remote "{name}"') or {}) if name else {}
    url = str(settings.get("url") or "")
    if not url:
        return None
    if "://" not in url and not os.path.isabs(url):
        settings["url"] = os.path.normpath(os.path.join(root, ".dvc", url))
    return str(name), settings


def _pull(repo: Any, name: str, entries: list[HashEntry], source: str) -> Pulled:
    from dvc.config import NoRemoteError, RemoteNotFoundError
    from dvc_data.hashfile.hash_info import HashInfo

    try:
        remote = repo.cloud.get_remote(name, "fetch")
    except (NoRemoteError, RemoteNotFoundError) as exc:
        raise InputError(
            f"DVC remote `{name}` ({source}): {_one_line(exc)}",
            hint="`dvc remote list` shows the remotes; fix the name with `dvc remote default`",
        ) from None
    url = remote.fs.unstrip_protocol(remote.path)
    pulled = Pulled(name, url, source)
    try:
        # a folder that is not there is a wrong URL; a prefix in a bucket is only "there" once it has objects
        local = getattr(remote.fs, "protocol", "") in ("local", "file") or "://" not in url
        if local and not remote.fs.exists(remote.path):
            pulled.unreachable = "it does not exist"
            pulled.lacking = list(entries)
            return pulled
        _announce(pulled, entries)
        with _quiet_missing_warning():
            repo.cloud.pull(
                {HashInfo("md5-dos2unix" if e.legacy else "md5", e.md5) for e in entries if e.md5},
                remote=name,
            )
    except Exception as exc:  # noqa: BLE001 - s3fs/botocore/aiohttp raise their own types for a network error,
        pulled.unreachable = _one_line(
            exc
        )  # bad credentials or a permission denied: all mean "cannot read it"
    pulled.lacking = missing(repo, entries)
    return pulled


def _announce(pulled: Pulled, entries: list[HashEntry]) -> None:
    size = sum(e.size or 0 for e in entries)
    shown = f", {size / 1e6:.1f} MB" if size >= 100_000 else (f", {size:,} bytes" if size else "")
    count = f"{len(entries)} file{'s' if len(entries) != 1 else ''}"
    logging.getLogger("mlops.download").info("Fetching %s%s from %s ...", count, shown, pulled.describe())


@contextmanager
def _quiet_missing_warning() -> Iterator[None]:
    """DVC's "missing cache files" warning lists bare hashes: mlops names the missing paths itself.
    (DVC's own progress bar stays hidden when DVC runs as a library; `_announce` says what is fetched.)"""
    cloud_logger = logging.getLogger("dvc.data_cloud")
    saved = cloud_logger.level
    cloud_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        cloud_logger.setLevel(saved)


UNSAVED = "Can't remove the following unsaved files"


def run_cli(
    args: list[str], cwd: str | os.PathLike[str], log: Path, on_line: Callable[[str], None] | None = None
) -> int:
    """Run `dvc ARGS` in CWD, writing its output to LOG (long runs stay inspectable) and handing each line
    to ON_LINE as it comes. As `mlops run` does, this Python's bin folder comes first on PATH: stage
    commands (`python ...`, `mlops validate`) run in the environment mlops runs in."""
    from mlops.git import clean_env

    env = clean_env()  # git's keep-list: no GIT_DIR from a hook, GIT_SSL_CAINFO and GIT_CONFIG_* kept
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen(
            [executable(), *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            encoding="utf-8",
            errors="replace",
        )
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
