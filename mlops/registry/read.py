"""Reading the registry: ONE `git for-each-ref` over refs/tags, parsed in Python, folded into state.

No GitPython, no per-tag git process: the cost is one subprocess plus a linear parse.
"""

from __future__ import annotations

import os
from typing import Any

from mlops import git
from mlops.registry.events import Event
from mlops.registry.state import RegistryState, fold
from mlops.registry.tags import parse_fields

# %(type) and %(object) come from the tag object itself (what it points at), so git does not peel;
# %(tagger) is "Name <email> 1700000000 +0100" in one field.
FIELDS = ("%(refname)", "%(objecttype)", "%(type)", "%(object)", "%(tagger)", "%(contents)")
FORMAT = "%00".join(FIELDS) + "%00"
N_FIELDS = len(FIELDS)


def for_each_ref(root: str | os.PathLike[str]) -> str:
    proc = git.run_bytes(["for-each-ref", f"--format={FORMAT}", "refs/tags"], root)
    return proc.stdout


def parse_records(raw: str) -> tuple[list[Event], list[str], set[str]]:
    """Events, warnings and every tag name from for-each-ref output."""
    parts = raw.split("\0")
    events: list[Event] = []
    warnings: list[str] = []
    names: set[str] = set()
    # Each record is N_FIELDS NUL-terminated fields followed by the newline for-each-ref adds.
    for i in range(0, len(parts) - N_FIELDS + 1, N_FIELDS):
        ref = parts[i]
        if ref[:1] == "\n":
            ref = ref[1:]
        name = ref[10:]
        names.add(name)
        found = parse_record(name, parts[i + 1 : i + N_FIELDS])
        if isinstance(found, Event):
            events.append(found)
        elif found is not None:
            warnings.append(found)
    return events, warnings, names


def parse_record(name: str, fields: list[str]) -> Event | str | None:
    """The event of one tag (FIELDS after the ref name), a warning when it is refused, None when the tag is
    not meant for a registry (v1.0, release-2026)."""
    if "@" not in name and "#" not in name:
        return None
    parsed = parse_fields(name)
    if parsed is None:
        return (
            f"tag {name}: ignored, it does not follow the registry grammar "
            "(ARTIFACT@vX.Y.Z, ARTIFACT#STAGE#N, ARTIFACT@deprecated)"
        )
    kind, artifact, version, stage, counter = parsed
    objecttype, target_type, target, tagger_line, contents = fields[:5]
    if objecttype != "tag":
        return (
            f"{artifact}: tag {name} is a lightweight tag; ignored (registry tags are "
            "annotated, as GTO reads them)"
        )
    if target_type != "commit":
        return f"{artifact}: tag {name} points at a {target_type or 'missing object'}, not a commit; ignored"
    who, _, when = tagger_line.rpartition("> ")
    tagger, _, email = who.partition(" <")
    stamp, _, tz = when.partition(" ")
    return Event(
        kind,
        artifact,
        name,
        target,
        int(stamp) if stamp.isdigit() else 0,
        tz or "+0000",
        tagger,
        email,
        contents,
        version,
        stage,
        counter,
    )


def read_state(root: str | os.PathLike[str], *, fetch: bool = False, remote: str = "origin") -> RegistryState:
    """The registry folded from every tag (one for-each-ref). `fetch` first fetches tags from `remote`."""
    if fetch:
        fetch_tags(root, remote)
    events, warnings, names = parse_records(for_each_ref(root))
    return fold(events, warnings, names)


def fetch_tags(root: str | os.PathLike[str], remote: str = "origin") -> None:
    git.run(["fetch", "--quiet", "--no-write-fetch-head", remote, "refs/tags/*:refs/tags/*"], root)


ANNOTATION_FILES = ("artifacts.yaml", "dvc.yaml")  # GTO's own file first: it wins where both name an artifact


def artifact_annotations(root: str | os.PathLike[str], rev: str = "HEAD") -> dict[str, dict[str, Any]]:
    """Artifact annotations at REV, as GTO reads them: name -> {type, path, description, labels}.

    From `artifacts.yaml` (GTO's file: `description`) and dvc.yaml's `artifacts:` (DVC's: `desc`), read
    from the commit, not the work tree, so every clone agrees. Entries that are not mappings are skipped.
    """
    found: dict[str, dict[str, Any]] = {}
    for path in ANNOTATION_FILES:
        raw = git.show_file(rev, path, root)
        if raw is None:
            continue
        from mlops.config.yamlload import parse_or_none  # only when there is a file: YAML costs an import

        data = parse_or_none(raw)
        if path == "dvc.yaml":
            data = data.get("artifacts") if isinstance(data, dict) else None
        if not isinstance(data, dict):
            continue
        for name, spec in data.items():
            if str(name) not in found and isinstance(spec, dict):
                found[str(name)] = _annotation(spec, path)
    return found


def _annotation(spec: dict[str, Any], source: str) -> dict[str, Any]:
    def text(key: str) -> str | None:
        return spec[key] if isinstance(spec.get(key), str) else None

    labels = spec.get("labels")
    return {
        "type": text("type"),
        "path": text("path"),
        "description": text("description") if text("description") is not None else text("desc"),
        "labels": [str(label) for label in labels] if isinstance(labels, list) else [],
        "source": source,
    }
