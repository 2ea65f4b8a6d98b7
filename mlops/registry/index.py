"""The registry index: folded registry state kept under .git/mlops/registry-index (never committed).

A read of one artifact should not cost a read of every tag ever written. The index keeps, keyed by a
fingerprint of the tag refs (a stat of .git/packed-refs and of every loose file under .git/refs/tags: no
process, no listing by git), the folded summary of each artifact (`which`, `show`) and, per artifact, the raw
records of its tags (`history`, and the next update). When the fingerprint changed, one cheap
`git for-each-ref` of names and object ids says which refs changed; only those are read, and only the
artifacts they belong to are folded again. A missing, stale or corrupt index (truncated, garbage, another
version, inconsistent) falls back to the full read and is rebuilt: deleting the folder is always safe.

Files, each with its format name and version: `summary.txt` (fingerprint, generation, tag warnings, one
summary per artifact; one record a line, fields split by NUL, read with str.split only), `refs.json` (the
same generation; every tag: object id, artifact, warning) and `buckets/DIGEST.json` (one artifact's tag
records, named by the digest of its names and object ids, so two readers never clobber each other's), both
read through the bounded JSON reader.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from mlops import git
from mlops.registry.events import Event
from mlops.registry.indexdata import ArtifactSummary, Corrupt, RegistrySummary, VersionRef, summarise
from mlops.registry.read import FIELDS, parse_record
from mlops.registry.state import ArtifactState, fold_artifact
from mlops.registry.tags import parse_fields

MAGIC = "mlops-registry-index"
VERSION = 1
FOLDER = ("mlops", "registry-index")
LIST_FORMAT = "%(refname)%00%(objectname)%00"
RECORD_FORMAT = "%00".join(("%(refname)", "%(objectname)") + FIELDS[1:]) + "%00"
N_RECORD = len(FIELDS) + 1
MAX_SUMMARY = 256 << 20  # bytes: far above 100,000 tags (about 5 MB)
MAX_PATTERNS = 500  # more changed refs than this: one full for-each-ref is cheaper than patterns

Record = list[str]  # objectname, objecttype, type, object, tagger, contents
Refs = dict[str, tuple[str, str, str]]  # tag -> (object id, artifact or "", warning or "")


def folder(root: str | os.PathLike[str]) -> Path:
    return git.git_dir(root).joinpath(*FOLDER)


def fingerprint(common: Path) -> str | None:
    """A digest of the stat of packed-refs and of every loose tag ref, or None where refs are not files
    (reftable): then there is no index. Any git ref update rewrites a file through a lock and a rename, so
    its inode, size or mtime changes; a deleted loose ref disappears from the walk."""
    if (common / "reftable").exists():
        return None
    parts: list[str] = []
    try:
        st = os.stat(common / "packed-refs")
        parts.append(f"packed-refs {st.st_ino} {st.st_size} {st.st_mtime_ns}")
    except FileNotFoundError:
        parts.append("packed-refs -")
    stack = [common / "refs" / "tags"]
    while stack:
        here = stack.pop()
        try:
            entries = list(os.scandir(here))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
                continue
            if entry.name.endswith(".lock"):  # a ref being written: git's lock file, never a ref itself
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # deleted (or renamed into place) since the walk listed it
                continue
            parts.append(f"{entry.path}\0{st.st_ino} {st.st_size} {st.st_mtime_ns}")
    parts.sort()
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def registry_summary(root: str | os.PathLike[str], *, fetch: bool = False) -> RegistrySummary:
    """The folded summary of every artifact: from the index when it is fresh, else updated from the refs
    that changed (or rebuilt), and written back."""
    if fetch:
        from mlops.registry.read import fetch_tags

        fetch_tags(root)
    where = folder(root)
    common = where.parent.parent
    fp = fingerprint(common)
    if fp is not None:
        try:
            return read_summary(root, where, fp)
        except Corrupt:
            pass
    return update(root, where, fp)


def artifact_state(summary: RegistrySummary, name: str) -> ArtifactState | None:
    """One artifact folded from its records in the index (its events, versions, queues); None when the
    artifact has no tags. Falls back to the full read when its bucket is missing or does not match."""
    found = summary.artifact(name)
    if found is None:
        return None
    try:
        records = read_bucket(folder(summary.root), name, found.digest)
    except Corrupt:
        from mlops.registry.read import read_state

        return read_state(summary.root).artifact(name)
    return fold_artifact(name, events_of(records))[0]


# -- reading --------------------------------------------------------------------------------------------


def _load(path: Path, kind: str) -> dict[str, Any]:
    from mlops.config.yamlload import Limits, YamlProblem, load_json

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Corrupt(f"{path}: {exc}") from None
    try:
        data = load_json(raw, str(path), Limits(max_bytes=1 << 30, max_depth=8, max_nodes=50_000_000))
    except YamlProblem as exc:
        raise Corrupt(str(exc)) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != f"{MAGIC}/{kind}"
        or data.get("version") != VERSION
    ):
        raise Corrupt(f"{path}: not a version {VERSION} {kind} file")
    return data


SUMMARY_HEADER = f"{MAGIC}/summary {VERSION}"


def load_summary(root: str | os.PathLike[str], where: Path) -> tuple[str, RegistrySummary]:
    """(fingerprint, summary) from summary.txt: a line format read with str.split only, so the hot path
    imports no parser (and a hostile file costs one bounded read)."""
    try:
        with open(where / "summary.txt", "rb") as handle:
            raw = handle.read(MAX_SUMMARY + 1)
        if len(raw) > MAX_SUMMARY:
            raise Corrupt("summary.txt: too large")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Corrupt(f"summary.txt: {exc}") from None
    return RegistrySummary.from_text(Path(root), text, SUMMARY_HEADER)


def read_summary(root: str | os.PathLike[str], where: Path, fp: str) -> RegistrySummary:
    written_for, summary = load_summary(root, where)
    if written_for != fp:
        raise Corrupt("stale")
    return summary


def read_refs(where: Path, generation: str) -> Refs:
    data = _load(where / "refs.json", "refs")
    refs = data.get("refs")
    if data.get("generation") != generation or not isinstance(refs, dict):
        raise Corrupt("refs.json does not match summary.txt")
    out: Refs = {}
    for name, value in refs.items():
        if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
            raise Corrupt(f"refs.json: bad entry for {name}")
        out[name] = (value[0], value[1], value[2])
    return out


def bucket_digest(records: dict[str, Record]) -> str:
    lines = "".join(f"{name}\0{records[name][0]}\n" for name in sorted(records))
    return hashlib.sha256(lines.encode("utf-8", "surrogateescape")).hexdigest()


def read_bucket(where: Path, artifact: str, digest: str, path: Path | None = None) -> dict[str, Record]:
    """ARTIFACT's records from its bucket (PATH, else the one named DIGEST); Corrupt unless their names and
    object ids digest to DIGEST."""
    data = _load(path or where / "buckets" / f"{digest}.json", "bucket")
    raw = data.get("records")
    if data.get("artifact") != artifact or not isinstance(raw, dict):
        raise Corrupt(f"bucket {digest}: not {artifact}'s")
    records: dict[str, Record] = {}
    for name, packed in raw.items():
        fields = packed.split("\0") if isinstance(packed, str) else []
        if len(fields) != N_RECORD - 1:
            raise Corrupt(f"bucket {digest}: bad record {name}")
        records[name] = fields
    if bucket_digest(records) != digest:
        raise Corrupt(f"bucket {digest}: its records do not match its name")
    return records


def events_of(records: dict[str, Record]) -> list[Event]:
    found = (parse_record(name, records[name][1:]) for name in sorted(records))
    return [e for e in found if isinstance(e, Event)]


# -- updating -------------------------------------------------------------------------------------------


def for_each_ref(root: str | os.PathLike[str], fmt: str, names: list[str] | None = None) -> list[str]:
    patterns = [f"refs/tags/{n}" for n in names] if names is not None else ["refs/tags"]
    return git.run_bytes(["for-each-ref", f"--format={fmt}", *patterns], root).stdout.split("\0")


def fetch_records(root: str | os.PathLike[str], names: list[str] | None) -> dict[str, Record]:
    """The raw records of the named tags (None: every tag) in one for-each-ref."""
    if names is not None and not names:
        return {}
    parts = for_each_ref(root, RECORD_FORMAT, names)
    records: dict[str, Record] = {}
    for i in range(0, len(parts) - N_RECORD + 1, N_RECORD):
        ref = parts[i].lstrip("\n")
        records[ref[10:]] = parts[i + 1 : i + N_RECORD]
    return records


def list_refs(root: str | os.PathLike[str]) -> dict[str, str]:
    parts = for_each_ref(root, LIST_FORMAT)
    return {parts[i].lstrip("\n")[10:]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def update(root: str | os.PathLike[str], where: Path, fp: str | None) -> RegistrySummary:
    """Bring the index up to date from the refs that changed since it was written, or rebuild it."""
    old: RegistrySummary | None = None
    refs: Refs = {}
    if fp is not None:
        try:
            old = load_summary(root, where)[1]
            refs = read_refs(where, old.generation)
        except Corrupt:
            old, refs = None, {}
    if old is None or not refs:
        summary, buckets = rebuild(root)
    else:
        summary, buckets = apply_changes(root, where, old, refs)
    if fp is not None:
        _write(where, fp, summary, buckets)
    return summary


def rebuild(root: str | os.PathLike[str]) -> tuple[RegistrySummary, dict[str, dict[str, Record]]]:
    return _fold(root, fetch_records(root, None), {}, None)


def apply_changes(
    root: str | os.PathLike[str], where: Path, old: RegistrySummary, refs: Refs
) -> tuple[RegistrySummary, dict[str, dict[str, Record]]]:
    changed, kept, touched = _diff(list_refs(root), refs)
    if len(changed) > MAX_PATTERNS:
        return rebuild(root)
    return _fold(root, fetch_records(root, changed), kept, (old, touched, where))


def _diff(listing: dict[str, str], refs: Refs) -> tuple[list[str], Refs, set[str]]:
    """The tags that are new or point elsewhere, the index entries still right, the artifacts whose tags
    changed or went."""
    changed = sorted(n for n, oid in listing.items() if refs.get(n, ("",))[0] != oid)
    kept = {n: v for n, v in refs.items() if listing.get(n) == v[0]}
    touched = {v[1] for n, v in refs.items() if n not in kept} - {""}
    return changed, kept, touched


def _fold(
    root: str | os.PathLike[str],
    fetched: dict[str, Record],
    kept: Refs,
    previous: tuple[RegistrySummary, set[str], Path] | None,
) -> tuple[RegistrySummary, dict[str, dict[str, Record]]]:
    """Fold the artifacts that FETCHED records touch (every artifact on a rebuild), keep the others."""
    refs = dict(kept)
    buckets, events = _classify(fetched, refs)
    touched = set(buckets) | ({refs[n][1] for n in fetched} - {""})
    artifacts: dict[str, ArtifactSummary] = {}
    if previous:
        old, gone, where = previous
        touched |= gone
        artifacts = {n: a for n, a in old.artifacts.items() if n not in touched}
        try:
            _merge_old_records(buckets, touched & set(old.artifacts), old, where, refs, fetched)
        except Corrupt:
            return rebuild(root)
        events = {}  # merged with the old records: parsed again, in name order
    artifacts.update(_fold_each(buckets, events, touched))
    tag_warnings = [refs[n][2] for n in sorted(refs) if refs[n][2]]
    import secrets  # only when the index is written: the warm path stays light

    summary = RegistrySummary(Path(root), artifacts, tag_warnings, secrets.token_hex(8))
    summary.refs = refs
    return summary, {n: r for n, r in buckets.items() if r}


def _fold_each(
    buckets: dict[str, dict[str, Record]], events: dict[str, list[Event]], names: set[str]
) -> dict[str, ArtifactSummary]:
    found = {}
    for name in sorted(names):
        records = buckets.get(name)
        if records:
            art, warnings = fold_artifact(name, events.get(name) or events_of(records))
            found[name] = summarise(art, warnings, bucket_digest(records))
    return found


def _classify(
    fetched: dict[str, Record], refs: Refs
) -> tuple[dict[str, dict[str, Record]], dict[str, list[Event]]]:
    """Record each fetched tag in REFS (object id, artifact, warning); the records that are events, and
    those events, by artifact (parsed once: on a rebuild they are folded as they are)."""
    buckets: dict[str, dict[str, Record]] = {}
    events: dict[str, list[Event]] = {}
    for name in sorted(fetched):
        record = fetched[name]
        found = parse_record(name, record[1:])
        if isinstance(found, Event):
            refs[name] = (record[0], found.artifact, "")
            buckets.setdefault(found.artifact, {})[name] = record
            events.setdefault(found.artifact, []).append(found)
        else:
            parsed = parse_fields(name) if found is not None else None
            refs[name] = (record[0], parsed[1] if parsed else "", found or "")
    return buckets, events


def _merge_old_records(
    buckets: dict[str, dict[str, Record]],
    names: set[str],
    old: RegistrySummary,
    where: Path,
    refs: Refs,
    fetched: dict[str, Record],
) -> None:
    """Add to BUCKETS the unchanged records of each artifact in NAMES from its bucket in the old index."""
    for name in names:
        mine = read_bucket(where, name, old.artifacts[name].digest)
        fresh = buckets.setdefault(name, {})
        fresh.update({n: r for n, r in mine.items() if n in refs and n not in fetched})


def _write(where: Path, fp: str, summary: RegistrySummary, buckets: dict[str, dict[str, Record]]) -> None:
    """Buckets first, then refs.json, then summary.txt: a reader trusts summary.txt only, and only when its
    fingerprint matches, so a crash in between leaves a stale index, never a wrong one. A read-only .git
    leaves the index as it was: the answer is still right, just not cached."""
    import json

    from mlops import atomic

    try:
        for name, records in buckets.items():
            digest = summary.artifacts[name].digest
            path = where / "buckets" / f"{digest}.json"
            if not path.exists():
                packed = {n: "\0".join(r) for n, r in records.items()}
                body = {"format": f"{MAGIC}/bucket", "version": VERSION, "artifact": name, "records": packed}
                atomic.write_text(path, json.dumps(body, separators=(",", ":")))
        refs_body = {
            "format": f"{MAGIC}/refs",
            "version": VERSION,
            "generation": summary.generation,
            "refs": {n: list(v) for n, v in summary.refs.items()},
        }
        atomic.write_text(where / "refs.json", json.dumps(refs_body, separators=(",", ":")))
        text = summary.to_text(SUMMARY_HEADER, fp)
        if text is None:
            return
        atomic.write_text(where / "summary.txt", text)
        _drop_unused_buckets(where, {a.digest for a in summary.artifacts.values()})
    except OSError:
        pass


def _drop_unused_buckets(where: Path, used: set[str]) -> None:
    for entry in os.scandir(where / "buckets"):
        if entry.name.endswith(".json") and entry.name[:-5] not in used:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


__all__ = ["ArtifactSummary", "RegistrySummary", "VersionRef", "artifact_state", "registry_summary"]
