"""registry.yaml, the desired state: read it, change one stage, write it back with comments and order kept.

Reading goes through the located loader and the Registry schema (every problem reported with its line);
writing goes through ruamel.yaml's round-trip mode, so a reviewer's diff shows only the line that changed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops import atomic
from mlops.config.document import read_document
from mlops.errors import ConfigError, InputError

RESERVED = ("kind", "version")
HEADER = (
    "# Desired state: which version of each artifact should be in each stage.\n"
    "# Change it through a pull request (or `mlops promote`); after the merge `mlops sync` writes the tags.\n"
)

Desired = dict[str, dict[str, "str | None"]]


def parse_desired(raw: bytes | None, shown: str) -> Desired:
    """artifact -> stage -> version (None: the stage should be empty). A missing file is an empty state."""
    if raw is None:
        return {}
    doc = read_document(shown, shown=shown, expected_kind="Registry", raw=raw)
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    return {
        str(artifact): _stage_values(stages)
        for artifact, stages in (doc.data or {}).items()
        if artifact not in RESERVED
    }


def _stage_values(stages: Any) -> dict[str, str | None]:
    return {str(s): (None if v is None else str(v)) for s, v in (stages or {}).items()}


def read_desired(root: Path | str, rel: str) -> Desired:
    path = Path(root) / rel
    if not path.exists():
        return {}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{rel}: cannot read: {exc.strerror or exc}") from None
    return parse_desired(raw, rel)


def desired_at(root: Path | str, commit: str, rel: str) -> Desired:
    from mlops import git

    return parse_desired(git.show_file(commit, rel, root), f"{rel}@{commit[:12]}")


@dataclass
class RegistryFile:
    """An editable registry.yaml. `set` changes one value; `text()` renders the whole file."""

    path: Path
    shown: str
    _doc: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, root: Path | str, rel: str) -> RegistryFile:
        path = Path(root) / rel
        if path.exists():
            raw = path.read_bytes()
            parse_desired(raw, rel)  # schema problems are reported with lines before we touch anything
            text = raw.decode("utf-8-sig")
        else:
            text = HEADER + "kind: Registry\nversion: 1\n"
        doc = _yaml().load(text)
        return cls(path, rel, doc)

    def get(self, artifact: str, stage: str) -> str | None:
        return (self._doc.get(artifact) or {}).get(stage)

    def set(self, artifact: str, stage: str, version: str | None, stage_order: list[str]) -> bool:
        """Set one stage; a new stage key goes where the policy's stage order puts it. True when changed."""
        from ruamel.yaml.comments import CommentedMap

        stages = self._doc.get(artifact)
        if stages is None:
            stages = CommentedMap()
            self._doc[artifact] = stages
        if stage in stages:
            if stages[stage] == version:
                return False
            stages[stage] = version
            return True
        rank = {name: i for i, name in enumerate(stage_order)}
        position = len(stages)
        mine = rank.get(stage, len(stage_order))
        for i, key in enumerate(stages):
            if rank.get(key, len(stage_order)) > mine:
                position = i
                break
        stages.insert(position, stage, version)
        if position:
            _move_trailing_comments(stages, list(stages)[position - 1], stage)
        return True

    def text(self) -> str:
        buffer = io.StringIO()
        _yaml().dump(self._doc, buffer)
        return buffer.getvalue()

    def save(self) -> None:
        text = self.text()
        parse_desired(text.encode("utf-8"), self.shown)  # never write a file we could not read back
        atomic.write_text(self.path, text)


def _move_trailing_comments(mapping: Any, before: str, inserted: str) -> None:
    """Full-line comments after BEFORE's line introduce the key that followed it: keep them there, after
    the inserted key, instead of letting them end up above it."""
    entry = mapping.ca.items.get(before)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return
    first, newline, rest = token.value.partition("\n")
    if not newline or not rest.strip():
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    token.value = first + "\n"
    if not first.strip():  # no end-of-line comment on BEFORE: nothing of this token belongs to it
        entry[2] = None
    mapping.ca.items[inserted] = [None, None, CommentToken("\n" + rest, CommentMark(0), None), None]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml
