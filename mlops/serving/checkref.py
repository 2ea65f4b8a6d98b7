"""`check-ref`: what one registry tag means, for a CI job that starts on it (as `gto check-ref`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops import git
from mlops.errors import UnknownReference
from mlops.registry.tags import ASSIGN, DEPRECATE, DEREGISTER, REGISTER, UNASSIGN, parse_fields

# GTO's event names in `gto check-ref --json`
EVENT_NAMES = {
    REGISTER: "registration",
    DEREGISTER: "deregistration",
    ASSIGN: "assignment",
    UNASSIGN: "unassignment",
    DEPRECATE: "deprecation",
}


def explain(root: Path, tag: str) -> dict[str, Any]:
    """GTO's check-ref fields for TAG; UnknownReference (exit 2) for a tag that is no registry event."""
    from mlops.registry import read_state

    name = tag.removeprefix("refs/tags/")
    if parse_fields(name) is None:
        raise UnknownReference(
            f"`{tag}` is not a registry tag (ARTIFACT@vX.Y.Z, ARTIFACT@vX.Y.Z!, ARTIFACT#STAGE#N, "
            "ARTIFACT#STAGE!#N, ARTIFACT@deprecated)"
        )
    state = read_state(root)
    event = next((e for e in state.events if e.tag == name), None)
    if event is None:
        raise UnknownReference(_missing(root, name, state.warnings))
    data: dict[str, Any] = {
        "artifact": event.artifact,
        "created_at": event.date.isoformat(),
        "author": event.tagger,
        "author_email": event.tagger_email,
        "message": event.summary,
        "commit_hexsha": event.commit,
        "tag": event.tag,
    }
    if event.version is not None:
        data["version"] = event.version
    if event.stage is not None:
        data["stage"] = event.stage
    data["event"] = EVENT_NAMES[event.kind]
    return data


def _missing(root: Path, name: str, warnings: list[str]) -> str:
    why = next((w for w in warnings if f"tag {name} " in w or w.startswith(f"tag {name}:")), None)
    if why:
        return why
    if git.run(["rev-parse", "--verify", "--quiet", f"refs/tags/{name}"], root, check=False).returncode:
        return f"tag `{name}` does not exist in this repository (fetch tags: `git fetch --tags`)"
    return f"tag `{name}` is not a registry event"


def sentence(data: dict[str, Any]) -> str:
    """One line a person reads, as GTO prints it."""
    art, version, stage = data["artifact"], data.get("version"), data.get("stage")
    return {
        "registration": f'Version "{version}" of artifact "{art}" was registered',
        "deregistration": f'Version "{version}" of artifact "{art}" was deregistered',
        "assignment": f'Stage "{stage}" was assigned to version "{version}" of artifact "{art}"',
        "unassignment": f'Stage "{stage}" was unassigned from version "{version}" of artifact "{art}"',
        "deprecation": f'Artifact "{art}" was deprecated',
    }[data["event"]]
