"""The per-artifact registry index: what `which A S`, `show A` and `history A` read, without touching the
tags of other artifacts.

An artifact's tags all start with its name (`A@...`, `A#...`, `dir/sub=name@...`), so they are one slice of
.git/packed-refs plus the loose files beside them (mlops.registry.reffiles): listing them costs no process.
Per artifact the index keeps, under .git/mlops/registry-index/artifacts/:

- `H.txt` (H: a digest of the artifact's name): the stat fingerprint of every tag ref when written, the
  digest of the artifact's tag names and object ids (its key), its tag warnings and its folded summary, in
  the line format of summary.txt (read with str.split only: a warm read imports no parser);
- `H.rec`: the raw records of those tags (the next update reuses the unchanged ones).

A read: the fingerprint matches -> answer from H.txt. Else list the artifact's refs from the files; the key
matches -> answer (and note the new fingerprint). Else only the tags that are new or moved are read (one
`git for-each-ref` of their names), merged with the unchanged records of H.rec and the artifact folded again.

Tags that follow no grammar (`tag X: ignored ...`) are warnings of every read; they and the stage names any
tag names are kept in `names.txt`, keyed by the fingerprint and rebuilt from the ref files when it changes.
Anything unexpected (reftable, a symbolic ref, an artifact with no tags) returns None: the caller uses the
full index (mlops.registry.index), which a cold full fold checks in tests/test_registry_index.py.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mlops.registry import index, reffiles
from mlops.registry.events import Event
from mlops.registry.index import Record
from mlops.registry.indexdata import ArtifactSummary, Corrupt, RegistrySummary, summarise
from mlops.registry.read import parse_record
from mlops.registry.state import ArtifactState, fold_artifact
from mlops.registry.tags import DIRNAME, TAG_RE, artifact_to_tag, parse_fields

ART_HEADER = f"{index.MAGIC}/artifact {index.VERSION}"
NAMES_HEADER = f"{index.MAGIC}/names {index.VERSION}"
RECORDS_HEADER = f"{index.MAGIC}/records {index.VERSION}"


@dataclass
class ArtifactView:
    """One artifact as `which`, `show A` and `history A` need it, equal to what the full fold says of it."""

    root: Path
    summary: ArtifactSummary
    record_warnings: list[tuple[str, str]]  # (tag name, warning) of this artifact's refused tags
    names: NameFacts
    records: dict[str, Record] | None = None  # filled when the read updated the index

    @property
    def warnings(self) -> list[str]:
        """The full fold's warnings about this artifact and about tags of no grammar, in its order."""
        tags = sorted(self.record_warnings + self.names.ignored)
        return [w for _, w in tags] + self.summary.warnings

    @property
    def stage_names(self) -> list[str] | None:
        """Every stage of the registry, when this artifact alone proves it: every stage any tag name
        assigns is one of this artifact's. None otherwise (then the full index knows)."""
        mine = set(self.summary.packed_queues)
        return sorted(mine) if self.names.stages <= mine else None

    def state(self) -> ArtifactState:
        """The artifact folded in full (its events for `history`)."""
        name = self.summary.name
        records = self.records
        if records is None:
            where = _folder(self.root)
            try:
                records = read_records(where, name, self.summary.digest)
            except Corrupt:  # damaged or gone: ask git for this artifact's tags
                records = index.fetch_records(self.root, _patterns(name))
        events = [e for e in index.events_of(records) if e.artifact == name]
        return fold_artifact(name, events)[0]


@dataclass
class NameFacts:
    """What tag names alone say: the tags that follow no grammar and every stage a tag names."""

    ignored: list[tuple[str, str]]
    stages: set[str]


def _folder(root: Path) -> Path:
    return index.folder(root) / "artifacts"


def _stem(where: Path, artifact: str) -> Path:
    return where / hashlib.sha256(artifact.encode("utf-8")).hexdigest()[:32]


def _records_path(where: Path, artifact: str) -> Path:
    return _stem(where, artifact).with_suffix(".rec")


def _patterns(artifact: str) -> list[str]:
    """for-each-ref patterns of every tag of ARTIFACT (git lists them from that slice of its refs)."""
    tag = artifact_to_tag(artifact)
    return [f"{tag}@*", f"{tag}#*"]


def key_of(artifact: str, refs: dict[str, str]) -> str:
    return index.bucket_digest({n: [oid] for n, oid in refs.items()})


def artifact_view(root: str | os.PathLike[str], artifact: str) -> ArtifactView | None:
    """ARTIFACT from the per-artifact index, updated when its tags changed; None when this path cannot
    answer (no tags, reftable, refs not in files): the caller reads the full index."""
    base = Path(root)
    where = _folder(base)
    common = where.parent.parent.parent
    fp = index.fingerprint(common)
    if fp is None:
        return None
    names = name_facts(base, common, fp)
    if names is None:
        return None
    try:
        written_fp, summary, warns = _load_view(where, artifact)
        if written_fp == fp:
            return ArtifactView(base, summary, warns, names)
    except Corrupt:
        summary = None
    refs = reffiles.tag_refs(common, artifact_to_tag(artifact))
    if not refs:
        return None
    key = key_of(artifact, refs)
    if summary is not None and summary.digest == key:
        view = ArtifactView(base, summary, warns, names)
        _write_view(where, fp, view)
        return view
    return _update(base, where, fp, artifact, refs, summary, names)


def _update(
    root: Path,
    where: Path,
    fp: str,
    artifact: str,
    refs: dict[str, str],
    old: ArtifactSummary | None,
    names: NameFacts,
) -> ArtifactView | None:
    """Fold ARTIFACT again from its unchanged records in the index and the records of its changed tags."""
    kept = _kept_records(where, artifact, old, refs) if old is not None else {}
    changed = sorted(n for n in refs if n not in kept)
    many = len(changed) > index.MAX_PATTERNS
    fetched = index.fetch_records(root, _patterns(artifact) if many else changed)
    records = {**kept, **{n: r for n, r in fetched.items() if n in refs}}
    view = _fold(root, artifact, records, names)
    if view is None:
        return None
    if view.summary.digest == key_of(artifact, refs):  # else a tag moved while we read: answer, don't keep
        _write_records(where, artifact, records)
        _write_view(where, fp, view)
    return view


def _kept_records(
    where: Path, artifact: str, old: ArtifactSummary, refs: dict[str, str]
) -> dict[str, Record]:
    """The records in the index of the tags that still point where they did (none when it is damaged)."""
    try:
        previous = read_records(where, artifact, old.digest)
    except Corrupt:
        return {}
    return {n: r for n, r in previous.items() if refs.get(n) == r[0]}


def _fold(root: Path, artifact: str, records: dict[str, Record], names: NameFacts) -> ArtifactView | None:
    """ARTIFACT folded from its records; None when no record is one of its events (the full fold does not
    know it: its answer, "no registry tags", comes from the full index)."""
    events: list[Event] = []
    warns: list[tuple[str, str]] = []
    for name in sorted(records):
        found = parse_record(name, records[name][1:])
        if isinstance(found, Event):
            if found.artifact == artifact:
                events.append(found)
        elif found is not None and parse_fields(name) is not None:
            warns.append((name, found))
    if not events:
        return None
    art, fold_warnings = fold_artifact(artifact, events)
    summary = summarise(art, fold_warnings, index.bucket_digest(records))
    return ArtifactView(root, summary, warns, names, records)


# -- the files -------------------------------------------------------------------------------------------


def _load_view(where: Path, artifact: str) -> tuple[str, ArtifactSummary, list[tuple[str, str]]]:
    try:
        with open(_stem(where, artifact).with_suffix(".txt"), "rb") as handle:
            text = handle.read(index.MAX_SUMMARY + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Corrupt(str(exc)) from None
    fp, parsed = RegistrySummary.from_text(where, text, ART_HEADER)
    summary = parsed.artifacts.get(artifact)
    if summary is None or len(parsed.artifacts) != 1:
        raise Corrupt("not this artifact's file")
    prefix = f"{artifact}: tag "
    warns = [(w[len(prefix) :].split(" ", 1)[0], w) for w in parsed.tag_warnings if w.startswith(prefix)]
    if len(warns) != len(parsed.tag_warnings):
        raise Corrupt("a tag warning of another artifact")
    return fp, summary, warns


def _write_view(where: Path, fp: str, view: ArtifactView) -> None:
    warns = [w for _, w in view.record_warnings]
    summary = RegistrySummary(where, {view.summary.name: view.summary}, warns, "-")
    text = summary.to_text(ART_HEADER, fp)
    if text is not None:
        _write(_stem(where, view.summary.name).with_suffix(".txt"), text)


def _write_records(where: Path, artifact: str, records: dict[str, Record]) -> None:
    """NUL-separated fields (for-each-ref's own output holds no NUL): header, artifact, then each tag's name
    and record. Read back with one split: no parser import, and fast at 10,000 records."""
    fields = [RECORDS_HEADER, artifact]
    for name in sorted(records):
        fields += [name, *records[name]]
    _write(_records_path(where, artifact), "\0".join(fields))


def read_records(where: Path, artifact: str, digest: str) -> dict[str, Record]:
    """ARTIFACT's records; Corrupt unless they are its and their names and object ids digest to DIGEST."""
    try:
        with open(_records_path(where, artifact), "rb") as handle:
            raw = handle.read(index.MAX_SUMMARY + 1)
        if len(raw) > index.MAX_SUMMARY:
            raise Corrupt("records: too large")
        parts = raw.decode("utf-8", "surrogateescape").split("\0")
    except OSError as exc:
        raise Corrupt(str(exc)) from None
    size = index.N_RECORD
    if parts[:2] != [RECORDS_HEADER, artifact] or (len(parts) - 2) % size:
        raise Corrupt("records: not this artifact's")
    records = {parts[i]: parts[i + 1 : i + size] for i in range(2, len(parts), size)}
    if index.bucket_digest(records) != digest:
        raise Corrupt("records: they do not match the summary")
    return records


def _write(path: Path, text: str) -> None:
    """Atomic; a read-only .git keeps the index as it was (the answer is right, only not cached)."""
    from mlops import atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, text)
    except OSError:
        pass


def name_facts(root: Path, common: Path, fp: str) -> NameFacts | None:
    """The tags of no grammar and the stages tag names name: from names.txt when written for FP, else from
    the names of the ref files (no object read) and written back. The packed names' facts are kept apart,
    keyed by the stat of packed-refs: after a new tag (a loose file) only the loose names are scanned.
    None when the refs are not in files."""
    where = index.folder(root)
    facts = _read_names(where / "names.txt", fp)
    if facts is not None:
        return facts
    loose = reffiles.loose_tags(common, None)  # before packed-refs, as reffiles.tag_refs explains
    packed = _packed_facts(where, common)
    if loose is None or packed is None:
        return None
    facts = _scan_names(loose)
    ignored = dict(packed.ignored) | dict(facts.ignored)
    facts = NameFacts(sorted(ignored.items()), packed.stages | facts.stages)
    _write_names(where / "names.txt", fp, facts)
    return facts


def _packed_facts(where: Path, common: Path) -> NameFacts | None:
    packed_key = _stat_key(common / "packed-refs")
    packed = _read_names(where / "packed-names.txt", packed_key)
    if packed is None:
        data = reffiles.read_packed(common)
        if data is None:
            return None
        packed = _scan_names(reffiles.packed_names(data))
        _write_names(where / "packed-names.txt", packed_key, packed)
    return packed


def _stat_key(path: Path) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "-"
    return f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


def _read_names(path: Path, key: str) -> NameFacts | None:
    try:
        with open(path, "rb") as handle:
            lines = handle.read(index.MAX_SUMMARY + 1).decode("utf-8").split("\n")
        if len(lines) >= 4 and lines[0] == NAMES_HEADER and lines[1] == key and lines[-2:] == ["end", ""]:
            return _parse_names(lines[2:-2])
    except (OSError, UnicodeDecodeError, Corrupt):
        pass
    return None


def _write_names(path: Path, key: str, facts: NameFacts) -> None:
    body = [f"S\0{s}" for s in sorted(facts.stages)] + [f"T\0{n}\0{w}" for n, w in facts.ignored]
    _write(path, "\n".join([NAMES_HEADER, key, *body, "end", ""]))


# The tag grammar on whole lines: one regex pass in C over every name (100,000 names in about 0.1 s, where
# a parse_fields() call per name costs a second); group 1 is the name, group 5 the stage. Names without `=`
# skip the folder part of the grammar (`dir/sub=`), whose look-aheads cost more than the rest.
_FOLDER = f"(?:{DIRNAME}=)?"
_TAG_LINES = re.compile("^(" + TAG_RE.pattern[1:-1] + ")$", re.MULTILINE)
_PLAIN_TAG_LINES = re.compile("^(" + TAG_RE.pattern[1:-1].replace(_FOLDER, "", 1) + ")$", re.MULTILINE)


def _grammar_matches(names: list[str]) -> list[tuple[str, ...]]:
    """The groups of _TAG_LINES for each of NAMES that follows the grammar."""
    plain = [n for n in names if "=" not in n]
    found: list[tuple[str, ...]] = _PLAIN_TAG_LINES.findall("\n".join(plain))
    if len(plain) < len(names):
        found += _TAG_LINES.findall("\n".join(n for n in names if "=" in n))
    return found


def _scan_names(found_names: Iterable[str]) -> NameFacts:
    names = sorted(found_names)
    found = _grammar_matches(names)
    good = {groups[0] for groups in found}
    stages = {groups[4] for groups in found if groups[4]}
    ignored: list[tuple[str, str]] = []
    for name in names:
        if ("@" in name or "#" in name) and name not in good:
            warning = parse_record(name, [])
            if isinstance(warning, str):
                ignored.append((name, warning))
    return NameFacts(ignored, stages)


def _parse_names(lines: list[str]) -> NameFacts:
    facts = NameFacts([], set())
    for line in lines:
        parts = line.split("\0")
        if parts[0] == "S" and len(parts) == 2:
            facts.stages.add(parts[1])
        elif parts[0] == "T" and len(parts) == 3:
            facts.ignored.append((parts[1], parts[2]))
        else:
            raise Corrupt("names.txt: a bad line")
    return facts
