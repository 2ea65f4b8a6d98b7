"""The pipeline model: stages after defaults, `foreach`/`matrix` expansion and `${...}` substitution.

Every value remembers where it came from (`origin`, a JSON path into its Pipeline file), so the checks
and the compiler can point at the line a user wrote, even for an expanded stage.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops.config import Document

JsonPath = tuple[Any, ...]


@dataclass
class PathEntry:
    """A dep, out, metric or plot: the path as written (after substitution) and DVC's flags for it."""

    path: str
    origin: JsonPath
    flags: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParamRef:
    """One params key a stage reads, from `file` (None: the default params.yaml)."""

    key: str | None  # None: the whole file (`{file.yaml: null}` in DVC)
    file: str | None
    origin: JsonPath


@dataclass
class Stage:
    name: str  # the flat, expanded name written to dvc.yaml
    template: str  # the name in the Pipeline file
    doc: Document
    origin: JsonPath  # ("stages", template)
    kind: str = "cmd"  # cmd | validate | profile
    cmd: str | list[str] = ""
    desc: str | None = None
    wdir: str | None = None
    owner: str | None = None  # for people (`mlops doc`), never written to dvc.yaml
    description: str | None = None
    deps: list[PathEntry] = field(default_factory=list)
    params: list[ParamRef] = field(default_factory=list)
    params_raw: list[Any] = field(default_factory=list)  # as written, for dvc.yaml
    outs: list[PathEntry] = field(default_factory=list)
    metrics: list[PathEntry] = field(default_factory=list)
    plots: list[PathEntry] = field(default_factory=list)
    frozen: bool | None = None
    always_changed: bool | None = None
    data: PathEntry | None = None  # validate: / profile: input
    rules: PathEntry | None = None  # validate: rules file
    reference: str | None = None
    engine: str | None = None  # validate stages: --engine
    report: PathEntry | None = None  # validate: report, profile: output

    def root_path(self, path: str) -> str:
        """A stage path relative to the repository root (DVC paths are relative to wdir)."""
        joined = posixpath.join(self.wdir, path) if self.wdir else path
        return posixpath.normpath(joined)

    def all_outs(self) -> list[PathEntry]:
        return [*self.outs, *self.metrics, *self.plots]


TOP_LEVEL = ("metrics", "plots", "params")  # DVC's top-level lists, written as they are


@dataclass
class Group:
    """One foreach/matrix stage: what DVC iterates over and each generated key's `item`/`key`."""

    kind: str  # foreach | matrix
    collection: Any  # the resolved foreach list/mapping, or the matrix's resolved dimensions
    items: dict[str, dict[str, Any]]  # DVC's key (`small`, `linear-0.1`) -> {"item": ..., "key": ...}
    template: Stage | None = None  # the stage with `${item...}`/`${key}` left for DVC


@dataclass(frozen=True)
class About:
    """`owner:` and `description:` of a file or an entry: for people and `mlops doc`, never for DVC."""

    owner: str | None = None
    description: str | None = None

    @classmethod
    def of(cls, data: Any) -> About:
        def text(key: str) -> str | None:
            value = data.get(key) if isinstance(data, dict) else None
            return value.strip() if isinstance(value, str) and value.strip() else None

        return cls(text("owner"), text("description"))


@dataclass
class Pipeline:
    """Every stage of every Pipeline file, in a stable order (file path, then order in the file)."""

    stages: list[Stage] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    by_template: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (file, template) -> names
    groups: dict[str, Group] = field(default_factory=dict)  # first generated name -> its foreach/matrix
    top_level: dict[str, list[Any]] = field(default_factory=dict)  # metrics/plots/params outside stages
    about: dict[str, About] = field(default_factory=dict)  # Pipeline file -> its owner and description

    def names(self) -> list[str]:
        return [s.name for s in self.stages]
