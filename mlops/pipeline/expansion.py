"""foreach/matrix stages written in DVC's own form, so `dvc repro train@small` and dvc.lock keys carry over.

The compiler resolves everything except `${item...}` and `${key}` and lets DVC generate the stages. It
first checks that DVC's resolution of that template gives, for every generated key, exactly the stage
mlops checked; when it would not (a validation report that only some items depend on), the stages are
written one by one instead, with a warning.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from mlops.pipeline import interpolate
from mlops.pipeline.model import Group, Stage

_NOT_IN_NAMES = re.compile(r"[@:/\\]")  # DVC refuses these in a stage name written in dvc.yaml


def dvc_key(value: Any) -> str:
    """How DVC writes a value in a generated stage name (its `to_str`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _composite(value: Any) -> bool:
    return isinstance(value, (dict, list))


def foreach_items(spec: list[Any] | dict[Any, Any]) -> dict[str, dict[str, Any]]:
    """DVC's generated keys of a foreach and each one's `item` (and `key` for a mapping), as DVC makes them:
    a mapping's keys; a list's values, or positions when any value is a list or mapping."""
    if isinstance(spec, dict):
        return {dvc_key(k): {"key": k, "item": v} for k, v in spec.items()}
    if any(_composite(v) for v in spec):
        return {str(i): {"item": v} for i, v in enumerate(spec)}
    return {dvc_key(v): {"item": v} for v in spec}


def matrix_items(dims: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """DVC's generated keys of a matrix (`linear-0.1`; a list or mapping value counts as `NAME0`)."""
    items: dict[str, dict[str, Any]] = {}
    for combo in itertools.product(*[list(enumerate(vals)) for vals in dims.values()]):
        key = "-".join(f"{dim}{i}" if _composite(v) else dvc_key(v) for dim, (i, v) in zip(dims, combo))
        items[key] = {"key": key, "item": {dim: v for dim, (_, v) in zip(dims, combo)}}
    return items


def generated_stages(stages: dict[str, Any]) -> dict[str, Any]:
    """The stages DVC generates from a dvc.yaml's `stages:` (`train@small`: its resolved body). A foreach or
    matrix over a `${...}` reference, or whose body still needs other values, is left as it is."""
    out: dict[str, Any] = {}
    for name, body in stages.items():
        expanded = _generated(str(name), body) if isinstance(body, dict) else None
        if expanded is None:
            out[name] = body
        else:
            out.update(expanded)
    return out


def _generated(name: str, body: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(body.get("foreach"), (list, dict)) and isinstance(body.get("do"), dict):
        items, template = foreach_items(body["foreach"]), body["do"]
    elif isinstance(body.get("matrix"), dict) and all(isinstance(v, list) for v in body["matrix"].values()):
        items, template = matrix_items(body["matrix"]), {k: v for k, v in body.items() if k != "matrix"}
    else:
        return None
    out = {f"{name}@{key}": dvc_resolve(template, local) for key, local in items.items()}
    return None if interpolate.mentions(out) else out


def flat_name(name: str) -> str:
    return _NOT_IN_NAMES.sub(lambda m: "-" if m.group(0) == "@" else "_", name)


def written(group: Group, expanded: list[Stage], reports: dict[str, list[str]]) -> dict[str, Any] | str:
    """The dvc.yaml entry of a foreach/matrix stage, or why it must be written stage by stage."""
    from mlops.pipeline.compiler import stage_dict

    if group.template is None:
        return "its template cannot be written for DVC"
    template = plain(stage_dict(group.template, reports))
    keys = list(group.items)
    if len(keys) != len(expanded):
        return "some of its items do not make a stage"
    for key, stage in zip(keys, expanded):
        if dvc_resolve(template, group.items[key]) != plain(stage_dict(stage, reports)):
            return (
                f"`{stage.name}` would not read the same once DVC fills in `${{item}}` (for example a "
                f"validation report only some items depend on); writing its stages one by one, named "
                f"`{flat_name(stage.name)}`, so dvc.lock entries named `{stage.name}` are not reused"
            )
    if group.kind == "foreach":
        return {"foreach": plain(group.collection), "do": template}
    return {"matrix": plain(group.collection), **template}


def dvc_resolve(value: Any, local: dict[str, Any], field: str = "") -> Any:
    """What DVC makes of a template for one item: `${...}` filled in values and mapping keys."""
    if isinstance(value, str):
        try:
            return interpolate.substitute(value, local, in_cmd=field == "cmd")
        except interpolate.Undefined:
            return None
    if isinstance(value, list):
        return [dvc_resolve(v, local, field) for v in value]
    if isinstance(value, dict):
        return {
            dvc_resolve(k, local, field or k): dvc_resolve(v, local, field or k) for k, v in value.items()
        }
    return value


def plain(value: Any) -> Any:
    """Builtin types only (placeholders are str subclasses, which YAML's safe dumper refuses)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    return value
