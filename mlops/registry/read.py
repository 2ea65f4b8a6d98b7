"""Reading the registry: ONE `git for-each-ref` over refs/tags, parsed in Python, folded into state.

No GitPython, no per-tag git process: the cost is one subprocess plus a linear parse.
"""

from __future__ import annotations

import os
import subprocess

from mlops import git
from mlops.errors import GitError
from mlops.registry.events import Event
from mlops.registry.state import RegistryState, fold
from mlops.registry.tags import TagNameError, looks_like_registry_tag, parse_tag

FIELDS = ("%(refname)", "%(objecttype)", "%(objectname)", "%(*objecttype)", "%(*objectname)",
          "%(taggername)", "%(taggeremail)", "%(taggerdate:raw)", "%(contents)")
FORMAT = "%00".join(FIELDS) + "%00"
N_FIELDS = len(FIELDS)


def for_each_ref(root: str | os.PathLike[str]) -> str:
    try:
        proc = subprocess.run(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], cwd=root,
                              capture_output=True, env=git.clean_env())
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git for-each-ref failed: {detail[-1] if detail else proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def parse_records(raw: str) -> tuple[list[Event], list[str], set[str]]:
    """Events, warnings and every tag name from for-each-ref output."""
    parts = raw.split("\0")
    events: list[Event] = []
    warnings: list[str] = []
    names: set[str] = set()
    # Each record is N_FIELDS NUL-terminated fields followed by the newline for-each-ref adds.
    for i in range(0, len(parts) - N_FIELDS + 1, N_FIELDS):
        ref, otype, oid, ptype, poid, tagger, email, date, contents = parts[i:i + N_FIELDS]
        ref = ref.lstrip("\n")
        if not ref.startswith("refs/tags/"):
            continue
        name = ref[10:]
        names.add(name)
        if not looks_like_registry_tag(name):
            continue
        try:
            parsed = parse_tag(name)
        except TagNameError:
            warnings.append(f"tag {name}: ignored, it does not follow the registry grammar "
                            "(ARTIFACT@vX.Y.Z, ARTIFACT#STAGE#N, ARTIFACT@deprecated)")
            continue
        if otype != "tag":
            warnings.append(f"{parsed.artifact}: tag {name} is a lightweight tag; ignored (registry tags are "
                            "annotated, as GTO reads them)")
            continue
        if ptype != "commit":
            warnings.append(f"{parsed.artifact}: tag {name} points at a {ptype or 'missing object'}, "
                            "not a commit; ignored")
            continue
        stamp, _, tz = date.partition(" ")
        try:
            timestamp = int(stamp)
        except ValueError:
            timestamp = 0
        events.append(Event(
            kind=parsed.kind, artifact=parsed.artifact, tag=name, commit=poid, timestamp=timestamp,
            tz=tz or "+0000", tagger=tagger, tagger_email=email.strip("<>"), message=contents,
            version=parsed.version, stage=parsed.stage, counter=parsed.counter,
        ))
    return events, warnings, names


def read_state(root: str | os.PathLike[str], *, fetch: bool = False, remote: str = "origin") -> RegistryState:
    """The registry folded from every tag (one for-each-ref). `fetch` first fetches tags from `remote`."""
    if fetch:
        fetch_tags(root, remote)
    events, warnings, names = parse_records(for_each_ref(root))
    return fold(events, warnings, names)


def fetch_tags(root: str | os.PathLike[str], remote: str = "origin") -> None:
    git.run(["fetch", "--quiet", "--no-write-fetch-head", remote, "refs/tags/*:refs/tags/*"], root)
