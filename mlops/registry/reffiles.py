"""Tag refs read from the files Git keeps them in (.git/packed-refs and loose files under .git/refs/tags):
names and object ids only, with no process. `git for-each-ref` reads the same files; reading them here lets
a one-artifact read list that artifact's tags in a few milliseconds at 100,000 tags, and tell which of its
tags changed since the index was written.

packed-refs is a text file: an optional `# pack-refs with: ...` header, then `OID REFNAME` lines, each
optionally followed by a `^OID` line (the peeled object of an annotated tag, skipped here: the index keys on
the tag object itself, as for-each-ref's %(objectname) does). A loose file overrides the packed line of the
same name. Anything unexpected (a symbolic tag ref, a malformed line, reftable) gives None: the caller then
asks git (the answer stays right, only slower).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TAGS = "refs/tags/"
_HEX = frozenset(b"0123456789abcdef")


_OID = rb"[0-9a-f]{40}(?:[0-9a-f]{24})?"  # SHA-1 or SHA-256
_TAG_NAME = re.compile(rb" refs/tags/([^\n]*)")  # literal-led: the engine jumps between occurrences
_TAG_LINE = re.compile(rb"^(" + _OID + rb") refs/tags/([^\n]*)$", re.MULTILINE)


def _oid(raw: bytes) -> str | None:
    raw = raw.strip()
    return raw.decode("ascii") if len(raw) in (40, 64) and set(raw) <= _HEX else None


def read_packed(common: Path) -> bytes | None:
    try:
        with open(common / "packed-refs", "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b""
    except OSError:
        return None


def packed_tags(data: bytes, base: str | None) -> dict[str, str] | None:
    """name -> object id of the packed tags (those of artifact BASE, as written in tag names, when given);
    None when a tag line is not `OID refs/tags/NAME`."""
    if base is None:
        found = _TAG_LINE.findall(data)  # one pass in C over the whole file
        if len(found) != data.count(b" refs/tags/"):
            return None
    else:
        # A literal-led pattern: the regex engine jumps between occurrences instead of trying every line.
        pattern = re.compile(b" refs/tags/" + re.escape(base.encode("utf-8")) + rb"[@#][^\n]*")
        lines = [data[data.rfind(b"\n", 0, m.start()) + 1 : m.end()] for m in pattern.finditer(data)]
        found = [m.groups() for m in map(_TAG_LINE.fullmatch, lines) if m is not None]
        if len(found) != len(lines):
            return None
    return {name.decode("utf-8", "surrogateescape"): oid.decode("ascii") for oid, name in found}


def packed_names(data: bytes) -> list[str]:
    """The name of every packed tag (no object id: what tag names alone say needs no more)."""
    return [name.decode("utf-8", "surrogateescape") for name in _TAG_NAME.findall(data)]


def loose_tags(common: Path, base: str | None) -> dict[str, str] | None:
    """name -> object id of the loose tag files (those of artifact BASE when given); None on a symbolic or
    unreadable one."""
    top = common / "refs" / "tags"
    folder, _, leaf = (base or "").rpartition("/")
    heads = (f"{leaf}@", f"{leaf}#") if base is not None else ("",)
    found: dict[str, str] = {}
    stack = [(top / folder if folder else top, heads)]
    while stack:
        here, wanted = stack.pop()
        for entry in _entries(here):
            if not entry.name.startswith(wanted) or entry.name.endswith(".lock"):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), ("",)))  # below an artifact's tag name: every file
                continue
            if not _add_loose(found, top, entry.path):
                return None
    return found


def _add_loose(found: dict[str, str], top: Path, path: str) -> bool:
    """Add the ref in PATH to FOUND; False when it is not an object id (a symbolic ref, unreadable)."""
    try:
        oid = _read_oid(path)
    except FileNotFoundError:
        return True  # deleted or packed since the listing: packed-refs, read after, has it if it is
    if oid is not None:
        found[Path(path).relative_to(top).as_posix()] = oid
    return oid is not None


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read_oid(path: str) -> str | None:
    """The object id in a loose ref file; None when it holds something else (a symbolic ref) or cannot be
    read. FileNotFoundError when it went away."""
    try:
        with open(path, "rb") as handle:
            return _oid(handle.read(100))
    except FileNotFoundError:
        raise
    except OSError:
        return None


def tag_refs(common: Path, base: str | None = None) -> dict[str, str] | None:
    """Every tag (or artifact BASE's) -> its object id, loose files over packed lines; None when the refs
    cannot be read from files here (reftable, a symbolic or malformed ref)."""
    if (common / "reftable").exists():
        return None
    # Loose files first, then packed-refs, as git reads them: `git pack-refs` writes packed-refs before it
    # deletes the loose files, and `git tag -d` edits packed-refs before it deletes the loose file, so a
    # ref is never missed while it moves, and a deleted one is seen as before or after its deletion.
    loose = loose_tags(common, base)
    data = read_packed(common)
    packed = packed_tags(data, base) if data is not None else None
    if packed is None or loose is None:
        return None
    packed.update(loose)
    return packed
