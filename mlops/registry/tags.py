"""The tag grammar (SPEC section 3, GTO-compatible): every template and the one parser.

| event        | written                 | also read             |
| register     | `A@vX.Y.Z`              | `A@vX.Y.Z#N`          |
| deregister   | `A@vX.Y.Z!`             | `A@vX.Y.Z!#N`         |
| assign       | `A#stage#N`             | `A#stage`             |
| unassign     | `A#stage!#N`            | `A#stage!`            |
| deprecate    | `A@deprecated`          | `A@deprecated#N`      |

An artifact `dir/sub:name` is written `dir/sub=name` in tag names. Names follow GTO: letters, digits, and
`-`, `_`, `/` inside; the folder part may also hold `.`. Stricter than GTO in one way only: the folder part
never starts with `-` (it would read as an option) and holds no `..` (Git refuses it in a tag name).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

REGISTER = "register"
DEREGISTER = "deregister"
ASSIGN = "assign"
UNASSIGN = "unassign"
DEPRECATE = "deprecate"
KINDS = (REGISTER, DEREGISTER, ASSIGN, UNASSIGN, DEPRECATE)

NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9_/-]*[a-zA-Z0-9])?"
DIRNAME = r"(?!-)(?:(?!\.\.)[a-zA-Z0-9_./-])+"
SEMVER = (
    r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)

_ARTIFACT = f"(?:{DIRNAME}:)?{NAME}"
_ARTIFACT_IN_TAG = f"(?:{DIRNAME}=)?{NAME}"
ARTIFACT_RE = re.compile(f"^{_ARTIFACT}$")
STAGE_RE = re.compile(f"^{NAME}$")
VERSION_RE = re.compile(f"^v{SEMVER}$")
TAG_RE = re.compile(
    f"^(?P<artifact>{_ARTIFACT_IN_TAG})"
    f"(?:@(?P<version>v{SEMVER})(?P<vcancel>!?)|#(?P<stage>{NAME})(?P<scancel>!?)|@(?P<deprecated>deprecated))"
    r"(?:#(?P<counter>[0-9]+))?$"
)


class TagNameError(ValueError):
    """A tag that looks like a registry tag but does not follow the grammar."""


@dataclass(frozen=True)
class TagName:
    kind: str
    artifact: str  # as users write it: dir/sub:name
    version: str | None = None
    stage: str | None = None
    counter: int | None = None

    def __str__(self) -> str:
        return format_tag(
            self.kind, self.artifact, version=self.version, stage=self.stage, counter=self.counter
        )


def artifact_to_tag(artifact: str) -> str:
    return artifact.replace(":", "=")


def tag_to_artifact(part: str) -> str:
    return part.replace("=", ":")


def valid_artifact(name: str) -> bool:
    return bool(ARTIFACT_RE.match(name))


def valid_stage(name: str) -> bool:
    return bool(STAGE_RE.match(name))


def valid_version(version: str) -> bool:
    return bool(VERSION_RE.match(version))


def format_tag(
    kind: str,
    artifact: str,
    *,
    version: str | None = None,
    stage: str | None = None,
    counter: int | None = None,
) -> str:
    """The tag name for an event. Raises TagNameError on a name the grammar cannot hold."""
    if not valid_artifact(artifact):
        raise TagNameError(
            f"`{artifact}` is not a valid artifact name (letters, digits, `-`, `_`, `/`; "
            "`dir/sub:name` for one in a folder)"
        )
    name = artifact_to_tag(artifact) + _event_part(kind, version, stage)
    return name if counter is None else f"{name}#{counter}"


def _event_part(kind: str, version: str | None, stage: str | None) -> str:
    """What follows the artifact in a tag name: `@vX.Y.Z[!]`, `#stage[!]` or `@deprecated`."""
    if kind in (REGISTER, DEREGISTER):
        if not version or not valid_version(version):
            raise TagNameError(f"`{version}` is not a version such as v1.2.0")
        return f"@{version}" + ("!" if kind == DEREGISTER else "")
    if kind in (ASSIGN, UNASSIGN):
        if not stage or not valid_stage(stage):
            raise TagNameError(f"`{stage}` is not a valid stage name")
        return f"#{stage}" + ("!" if kind == UNASSIGN else "")
    if kind == DEPRECATE:
        return "@deprecated"
    raise TagNameError(f"unknown event kind `{kind}`")


def parse_fields(name: str) -> tuple[str, str, str | None, str | None, int | None] | None:
    """(kind, artifact, version, stage, counter) of a tag name, None when it does not follow the grammar.
    The tuple form keeps reading 10,000 tags cheap; parse_tag() is the friendly wrapper."""
    m = TAG_RE.match(name)
    if m is None:
        return None
    artifact, version, vcancel, stage, scancel, _deprecated, counter = m.groups()
    if "=" in artifact:
        artifact = artifact.replace("=", ":")
    n = int(counter) if counter is not None else None
    if version:
        return (DEREGISTER if vcancel else REGISTER), artifact, version, None, n
    if stage:
        return (UNASSIGN if scancel else ASSIGN), artifact, None, stage, n
    return DEPRECATE, artifact, None, None, n


def parse_tag(name: str) -> TagName:
    """Parse a tag name; raises TagNameError when it does not follow the grammar."""
    fields = parse_fields(name)
    if fields is None:
        raise TagNameError(f"tag `{name}` does not follow the registry grammar")
    kind, artifact, version, stage, counter = fields
    return TagName(kind, artifact, version=version, stage=stage, counter=counter)


def looks_like_registry_tag(name: str) -> bool:
    """Tags with `@` or `#` are meant for a registry: when they do not parse, readers warn instead of ignoring."""
    return "@" in name or "#" in name


@functools.lru_cache(maxsize=65536)
def semver_key(version: str) -> tuple:
    """Sort key for vX.Y.Z[-pre][+build] by SemVer 2.0 precedence (build metadata ignored)."""
    core, _, _build = version[1:].partition("+")
    core, _, pre = core.partition("-")
    major, minor, patch = (int(p) for p in core.split("."))
    if not pre:
        return (major, minor, patch, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, ids)


def bump(version: str | None, part: str) -> str:
    """The next version: `part` is major, minor or patch. The first version is v0.1.0 (as GTO)."""
    if version is None:
        return "v0.1.0" if part == "patch" else ("v1.0.0" if part == "major" else "v0.1.0")
    major, minor, patch = semver_key(version)[:3]
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    if part == "patch":
        return f"v{major}.{minor}.{patch + 1}"
    raise TagNameError(f"unknown bump `{part}` (major, minor or patch)")
