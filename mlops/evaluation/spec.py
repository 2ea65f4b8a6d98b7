"""The evaluation contract (evaluation.yaml): evaluation sets, and per model how it is scored, sliced, measured."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops.config.document import Document, read_document
from mlops.errors import ConfigError, InputError, UnknownReference
from mlops.suggest import closest

Task = Literal["classification", "regression"]
DEFAULT_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("auc", "accuracy", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}
# provenance columns `mlops evalset add` writes on every row it appends (null on the set's original rows)
PROVENANCE = ("added_reason", "added_at", "added_by", "added_from")


@dataclass(frozen=True)
class EvalSet:
    name: str
    path: str
    key: tuple[str, ...]
    desc: str | None = None


@dataclass(frozen=True)
class ModelEvaluation:
    artifact: str
    task: Task
    label: str
    sets: tuple[str, ...]
    prediction: str = "prediction"
    predict: str | None = None
    deps: tuple[str, ...] = ()
    threshold: float = 0.5
    metrics: tuple[str, ...] = ()
    slices: dict[str, str] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        """The evaluation stage's name in dvc.yaml (DVC names: no `/`)."""
        return "eval-" + self.artifact.replace("/", "-").replace(":", "-")


@dataclass
class Evaluation:
    path: str
    sets: dict[str, EvalSet] = field(default_factory=dict)
    models: dict[str, ModelEvaluation] = field(default_factory=dict)

    def set(self, name: str) -> EvalSet:
        if name not in self.sets:
            match = closest(name, list(self.sets))
            hint = f"did you mean `{match}`?" if match else f"declared: {', '.join(self.sets) or 'none'}"
            raise UnknownReference(f"unknown evaluation set `{name}` (not in {self.path})", hint=hint)
        return self.sets[name]

    def sets_of(self, artifact: str) -> list[EvalSet]:
        model = self.models.get(artifact)
        return [self.sets[s] for s in model.sets if s in self.sets] if model else []


def inside(root: Any, evalset: EvalSet) -> Any:
    """The set's file under ROOT; InputError for a path that leaves the repository (`..`, absolute, a symlink
    pointing out): mlops reads nothing outside the repository."""
    from pathlib import Path

    from mlops.config.project import escapes

    target = Path(root) / evalset.path
    if escapes(evalset.path) or not target.resolve().is_relative_to(Path(root).resolve()):
        raise InputError(f"evaluation set {evalset.name}: `{evalset.path}` is outside the repository")
    return target


def parse(doc: Document) -> Evaluation:
    """The model of a schema-valid document (cross-file problems are lint's)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    out = Evaluation(path=doc.path)
    for name, spec in (data.get("sets") or {}).items():
        key = spec["key"]
        out.sets[name] = EvalSet(
            name,
            str(spec["path"]).strip("/"),
            (key,) if isinstance(key, str) else tuple(key),
            spec.get("desc"),
        )
    for name, spec in (data.get("models") or {}).items():
        out.models[name] = _model(name, spec)
    return out


def _model(name: str, spec: dict[str, Any]) -> ModelEvaluation:
    task: Task = spec["task"]
    return ModelEvaluation(
        artifact=name,
        task=task,
        label=spec["label"],
        sets=tuple(spec["sets"]),
        prediction=spec.get("prediction") or "prediction",
        predict=spec.get("predict"),
        deps=tuple(spec.get("deps") or ()),
        threshold=float(spec.get("threshold", 0.5)),
        metrics=tuple(spec.get("metrics") or DEFAULT_METRICS[task]),
        slices=dict(spec.get("slices") or {}),
    )


def from_document(doc: Document) -> Evaluation:
    errors = [f for f in doc.findings if f.severity == "error"]
    if errors:
        raise ConfigError(errors)
    return parse(doc)


def load(root: str | os.PathLike[str], rel: str) -> Evaluation:
    """evaluation.yaml in the work tree; InputError when the project has none."""
    from pathlib import Path

    path = Path(root) / rel
    if not path.is_file():
        raise InputError(
            f"{rel}: no evaluation contract (the file does not exist)",
            hint="declare evaluation sets and models in it (see docs/guides/evaluation-sets.md)",
        )
    return from_document(read_document(path, shown=rel, expected_kind="Evaluation"))


def load_at(root: str | os.PathLike[str], commit: str, rel: str) -> Evaluation | None:
    """evaluation.yaml as committed at COMMIT, or None when it has none."""
    from mlops import git

    raw = git.show_file(commit, rel, root)
    if raw is None:
        return None
    return from_document(
        read_document(rel, shown=f"{rel}@{commit[:12]}", expected_kind="Evaluation", raw=raw)
    )
