"""`mlops import-dvc`: turn an existing dvc.yaml (vars, foreach, matrix) into a Pipeline file.

The Pipeline keeps DVC's `${...}`, foreach and matrix, so compiling it gives back DVC's own stages, with
DVC's names (`train@small`) and so the same dvc.lock entries. Top-level `metrics`, `plots` and `params`
are kept too; a dvc.yaml in a sub-folder is rebased onto the repository root (its `wdir`, its own
params.yaml for `${...}`, its paths). What has no Pipeline equivalent (`meta`, `artifacts`, which live in
promotion.yaml) is left out and listed in `skipped`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import InputError

STAGE_KEYS = (
    "desc",
    "vars",
    "cmd",
    "wdir",
    "deps",
    "params",
    "outs",
    "metrics",
    "plots",
    "frozen",
    "always_changed",
)
DVC_TOP_LEVEL = ("stages", "vars", "metrics", "plots", "params", "artifacts", "datasets")
CHECKPOINT_REASON = (
    "DVC 3.0 removed checkpoint experiments and ignores this flag; remove it "
    "(DVCLive's `Live(resume=True)` resumes an interrupted training)"
)


@dataclass
class Imported:
    source: str
    output: str
    text: str
    stages: list[str]
    skipped: list[str] = field(default_factory=list)
    written: bool = False


def convert(
    data: Any, source: str, has_own_params: bool = False
) -> tuple[dict[str, Any], list[str], list[str]]:
    """(pipeline mapping, stage names, skipped parts) from a parsed dvc.yaml."""
    _require_dvc_yaml(data, source)
    base = posixpath.dirname(source)
    out: dict[str, Any] = {"kind": "Pipeline", "version": 1}
    entries = _vars(data, base, has_own_params)
    if entries:
        out["vars"] = entries
    skipped = [
        _skipped_top_level(key) for key in data if key not in ("stages", "vars", "metrics", "plots", "params")
    ]
    stages = {
        str(name): _stage(name, body, base, source, skipped)
        for name, body in (data.get("stages") or {}).items()
    }
    if stages:
        out["stages"] = stages
    out.update(_top_level_lists(data, base, skipped))
    return out, list(stages), skipped


def _top_level_lists(data: dict[str, Any], base: str, skipped: list[str]) -> dict[str, Any]:
    """Top-level `metrics`, `plots` and `params`, rebased; anything but a list is skipped."""
    out: dict[str, Any] = {}
    for key in ("metrics", "plots", "params"):
        if isinstance(data.get(key), list) and data[key]:
            out[key] = [_rebase_plot(e, base) if key == "plots" else _rebase(e, base) for e in data[key]]
        elif data.get(key):
            skipped.append(f"top-level `{key}` (DVC reads only a list here, and refuses this file)")
    return out


def _require_dvc_yaml(data: Any, source: str) -> None:
    if not isinstance(data, dict) or not any(key in data for key in DVC_TOP_LEVEL):
        raise InputError(
            f"{source}: none of dvc.yaml's keys ({', '.join(DVC_TOP_LEVEL[:5])}); is this a dvc.yaml?"
        )
    if "stages" in data and not isinstance(data["stages"], dict):
        raise InputError(f"{source}: `stages:` is not a mapping of stage names; is this a dvc.yaml?")


def _vars(data: dict[str, Any], base: str, has_own_params: bool) -> list[Any]:
    # a string is a params file, relative to the dvc.yaml; a mapping holds values, whose keys are names
    entries = (
        [_rebase(v, base) if isinstance(v, str) else v for v in data["vars"]]
        if isinstance(data.get("vars"), list)
        else []
    )
    if base and has_own_params:  # DVC reads `${...}` from the folder's own params.yaml, not the root's
        own = posixpath.join(base, "params.yaml")
        entries = [own] + [e for e in entries if e != own]
    return entries


def _skipped_top_level(key: Any) -> str:
    why = " (list artifacts in promotion.yaml; `mlops compile` writes them)" if key == "artifacts" else ""
    return f"top-level `{key}`{why}"


def _stage(name: Any, body: Any, base: str, source: str, skipped: list[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError(f"{source}: stage `{name}` is not a mapping")
    stage, inner = _expansion(body)
    skipped.extend(
        f"`{key}` of stage `{name}`"
        for key in inner
        if key not in STAGE_KEYS and key not in ("matrix", "foreach", "do")
    )
    _refuse_checkpoints(inner, name, source)
    stage.update({key: inner[key] for key in STAGE_KEYS if key in inner})
    if base:
        stage["wdir"] = posixpath.normpath(posixpath.join(base, str(stage.get("wdir", "."))))
    return stage


def _expansion(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the stage's `foreach` or `matrix`, the mapping that holds its other keys: `do:` for foreach)."""
    if "foreach" in body:
        inner: dict[str, Any] = body["do"] if isinstance(body.get("do"), dict) else {}
        return {"foreach": body["foreach"]}, inner
    return ({"matrix": body["matrix"]} if "matrix" in body else {}), body


def _refuse_checkpoints(inner: dict[str, Any], name: Any, source: str) -> None:
    for key in ("outs", "metrics", "plots"):
        for entry in inner.get(key) or []:
            if isinstance(entry, dict) and any(
                isinstance(f, dict) and f.get("checkpoint") for f in entry.values()
            ):
                raise InputError(
                    f"{source}: stage `{name}`: `checkpoint: true` on `{next(iter(entry))}` is "
                    f"not supported: {CHECKPOINT_REASON}"
                )


def _rebase(entry: Any, base: str) -> Any:
    """A path of a sub-folder dvc.yaml, relative to the root (mappings: their keys are the paths)."""
    if not base:
        return entry
    if isinstance(entry, str):
        return posixpath.normpath(posixpath.join(base, entry))
    if isinstance(entry, dict):
        return {_rebase(k, base) if isinstance(k, str) else k: v for k, v in entry.items()}
    return entry


def _rebase_plot(entry: Any, base: str) -> Any:
    """A top-level plot: a path, `{path: props}`, or `{id: {x/y: {path: field}}}` whose inner keys are paths."""
    if not base or not isinstance(entry, dict):
        return _rebase(entry, base)
    out: dict[str, Any] = {}
    for key, props in entry.items():
        axes = {a: props.get(a) for a in ("x", "y")} if isinstance(props, dict) else {}
        if any(isinstance(v, dict) for v in axes.values()):
            props = {**props, **{a: _rebase(v, base) for a, v in axes.items() if isinstance(v, dict)}}
            out[key] = props
        else:
            out[_rebase(key, base)] = props
    return out


def import_dvc(
    project: Any, source: str = "dvc.yaml", output: str | None = None, *, force: bool = False
) -> Imported:
    from mlops import atomic
    from mlops.pipeline.compiler import dump, is_generated

    path = Path(project.root) / source
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None
    if is_generated(text):
        raise InputError(f"{source} was generated by `mlops compile`; its sources are already Pipeline files")
    from mlops.config.yamlload import YamlProblem, load_data

    try:
        data = load_data(text, source)
    except YamlProblem as exc:
        raise InputError(exc.finding.render()) from None
    own_params = path.parent != Path(project.root) and (path.parent / "params.yaml").is_file()
    pipeline, names, skipped = convert(data, project.rel(path), own_params)
    output = output or "pipelines/main.yaml"
    target = Path(project.root) / output
    if target.exists() and not force:
        raise InputError(
            f"{output} already exists; refusing to overwrite it",
            hint="choose another file with -o, or pass --force",
        )
    rendered = (
        f"# Imported from {project.rel(path)} by `mlops import-dvc`. Edit this file, then run "
        "`mlops compile --force` once to replace the hand-written dvc.yaml.\n" + dump(pipeline)
    )
    atomic.write_text(target, rendered)
    return Imported(project.rel(path), output, rendered, names, skipped, True)
