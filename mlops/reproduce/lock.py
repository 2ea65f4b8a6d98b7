"""What DVC recorded: stages, dependency and output hashes, and params, from dvc.lock and .dvc files.

Read as plain YAML (no DVC import), from a commit (`Snapshot`) or from a work tree. Paths are made relative
to the repository root, so the same output compares equal whichever file recorded it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config.yamlload import parse_or_none
from mlops.reproduce.snapshot import Snapshot

Reader = Callable[[list[str]], dict[str, "bytes | None"]]
Parser = Callable[["bytes | None"], Any]


@dataclass(frozen=True)
class HashEntry:
    path: str  # relative to the repository root, forward slashes
    md5: str | None  # ends with `.dir` for a directory
    size: int | None = None
    nfiles: int | None = None
    legacy: bool = False  # DVC 2 hash (md5 of text with CRLF folded); DVC 3 writes `hash: md5`

    @property
    def isdir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "md5": self.md5, "size": self.size}
        if self.nfiles is not None:
            data["nfiles"] = self.nfiles
        return data


@dataclass
class StageLock:
    name: str  # `train`, `train@small`, `sub/dvc.yaml:train`, or `data/raw.csv.dvc`
    file: str  # the dvc.lock or .dvc file
    cmd: str | None = None
    deps: dict[str, HashEntry] = field(default_factory=dict)
    outs: dict[str, HashEntry] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # params file -> {key: value}

    @property
    def is_source(self) -> bool:
        """Data tracked with `dvc add` (or imported): nothing to re-run, only to restore."""
        return self.file.endswith(".dvc")


def lock_files(paths: Iterable[str]) -> list[str]:
    """The dvc.lock and .dvc files among PATHS."""
    return sorted(
        p
        for p in paths
        if p == "dvc.lock"
        or p.endswith("/dvc.lock")
        or p.endswith(".dvc")
        and not p.startswith(".dvc/")
        and "/.dvc/" not in p
    )


def read_locks(
    files: list[str], read: Reader, wdirs: dict[str, str] | None = None, parse: Parser = parse_or_none
) -> dict[str, StageLock]:
    """Every stage recorded in FILES (dvc.lock and .dvc paths), keyed by stage name."""
    stages: dict[str, StageLock] = {}
    contents = read(files)
    for file in files:
        data = parse(contents.get(file))
        if not isinstance(data, dict):
            continue
        if file.endswith(".dvc"):
            stages[file] = _source_stage(file, data)
            continue
        for name, body in (data.get("stages") or {}).items():
            if isinstance(body, dict):
                stage = _pipeline_stage(file, name, body, wdirs or {})
                stages[stage.name] = stage
    return stages


def _source_stage(file: str, data: dict[str, Any]) -> StageLock:
    """A `.dvc` file: data added with `dvc add` (its paths are relative to its folder)."""
    folder = posixpath.dirname(file)
    stage = StageLock(name=file, file=file)
    stage.outs = _entries(data.get("outs"), folder)
    stage.deps = _entries(data.get("deps"), folder)
    return stage


def _pipeline_stage(file: str, name: Any, body: dict[str, Any], wdirs: dict[str, str]) -> StageLock:
    """Stage NAME of dvc.lock FILE (its paths are relative to the stage's wdir)."""
    folder = posixpath.dirname(file)
    # foreach/matrix stages are recorded as `name@key`; dvc.yaml sets wdir on `name`
    wdir = wdirs.get(f"{file}:{str(name).split('@', 1)[0]}", ".")
    wdir = posixpath.normpath(posixpath.join(folder, wdir))
    key = name if not folder else f"{folder}/dvc.yaml:{name}"
    stage = StageLock(name=key, file=file, cmd=_cmd(body.get("cmd")))
    stage.deps = _entries(body.get("deps"), wdir)
    stage.outs = _entries(body.get("outs"), wdir)
    for params_file, values in (body.get("params") or {}).items():
        if isinstance(values, dict):
            stage.params[join_path(wdir, str(params_file))] = values
    return stage


def stage_wdirs(files: list[str], read: Reader, parse: Parser = parse_or_none) -> dict[str, str]:
    """`dvc.lock:stage` -> wdir, from the dvc.yaml next to each dvc.lock (only stages that set one)."""
    yamls = [posixpath.join(posixpath.dirname(f), "dvc.yaml") for f in files if f.endswith("dvc.lock")]
    found: dict[str, str] = {}
    for yaml_path, data in read(yamls).items():
        doc = parse(data)
        if not isinstance(doc, dict):
            continue
        lock = posixpath.join(posixpath.dirname(yaml_path), "dvc.lock")
        for name, body in (doc.get("stages") or {}).items():
            if isinstance(body, dict) and isinstance(body.get("wdir"), str):
                found[f"{lock}:{name}"] = body["wdir"]
    return found


def from_snapshot(snapshot: Snapshot, parse: Parser = parse_or_none) -> dict[str, StageLock]:
    files = lock_files(snapshot.files)
    return read_locks(files, snapshot.read_many, stage_wdirs(files, snapshot.read_many, parse), parse)


def from_worktree(root: str | Path, files: list[str]) -> dict[str, StageLock]:
    base = Path(root)

    def read(paths: list[str]) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for p in paths:
            try:
                out[p] = (base / p).read_bytes()
            except OSError:
                out[p] = None
        return out

    return read_locks(files, read, stage_wdirs(files, read))


def _entries(items: Any, folder: str) -> dict[str, HashEntry]:
    entries: dict[str, HashEntry] = {}
    for item in items or []:
        if not isinstance(item, dict) or "path" not in item:
            continue
        path = join_path(folder, str(item["path"]))
        md5 = item.get("md5") or item.get("etag") or item.get("checksum")
        entries[path] = HashEntry(
            path=path,
            md5=str(md5) if md5 else None,
            size=_int(item.get("size")),
            nfiles=_int(item.get("nfiles")),
            legacy=item.get("hash") != "md5",
        )
    return entries


def join_path(folder: str, path: str) -> str:
    """PATH as written in a dvc.yaml or dvc.lock in FOLDER, relative to the repository root."""
    if "://" in path or path.startswith("/"):
        return path
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _cmd(value: Any) -> str | None:
    if isinstance(value, list):
        return " && ".join(str(v) for v in value)
    return str(value) if value is not None else None
