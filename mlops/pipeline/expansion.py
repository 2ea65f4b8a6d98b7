"""foreach/matrix stages written in DVC's own form, so `dvc repro train@small` and dvc.lock keys carry over.

The compiler resolves everything except `${item...}` and `${key}` and lets DVC generate the stages. It
first checks that DVC's resolution of that template gives, for every generated key, exactly the stage
mlops checked; when it would not (a validation report that only some items depend on), the stages are
written one by one instead, with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from mlops.pipeline import interpolate
from mlops.pipeline.model import Group, Stage

_NOT_IN_NAMES = re.compile(r"[@:/\\]")  # DVC refuses these in a stage name written in dvc.yaml


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
            return (f"`{stage.name}` would not read the same once DVC fills in `${{item}}` (for example a "
                    f"validation report only some items depend on); writing its stages one by one, named "
                    f"`{flat_name(stage.name)}`, so dvc.lock entries named `{stage.name}` are not reused")
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
        return {dvc_resolve(k, local, field or k): dvc_resolve(v, local, field or k) for k, v in value.items()}
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
