"""Build the pipeline model from Pipeline documents: defaults, `foreach`/`matrix`, `${...}`.

Works on documents that failed their schema too: anything malformed is skipped (the schema finding
already tells the user), so lint can report cross-file problems of the parts that do make sense.
"""

from __future__ import annotations

import shlex
from typing import Any

from mlops.findings import Finding
from mlops.pipeline import interpolate
from mlops.pipeline.context import ParamsFiles, apply_vars, file_context
from mlops.pipeline.expansion import foreach_items, matrix_items
from mlops.pipeline.model import TOP_LEVEL, About, Group, JsonPath, ParamRef, PathEntry, Pipeline, Stage

NAME_JOIN = "@"  # DVC's own names for foreach/matrix stages (`train@small`), so dvc.lock entries carry over
OUTPUT_FIELDS = ("outs", "metrics", "plots")


def build(project: Any, docs: list[Any]) -> tuple[Pipeline, list[Finding]]:
    params = ParamsFiles(project.root)
    pipeline = Pipeline()
    findings: list[Finding] = []
    for doc in sorted(docs, key=lambda d: d.path):
        data = doc.data
        if not isinstance(data, dict):
            continue
        pipeline.sources.append(doc.path)
        pipeline.about[doc.path] = About.of(data)
        context, problems = file_context(doc, params, project.params)
        findings.extend(problems)
        defaults: dict[str, Any] = data["defaults"] if isinstance(data.get("defaults"), dict) else {}
        _top_level(data, pipeline)
        stages = data.get("stages")
        for template, body in stages.items() if isinstance(stages, dict) else ():
            if not isinstance(body, dict):
                continue
            built, problems, group = _expand(
                doc,
                str(template),
                body,
                defaults,
                _stage_context(doc, str(template), body, defaults, context, params, findings),
            )
            findings.extend(problems)
            pipeline.stages.extend(built)
            pipeline.by_template[(doc.path, str(template))] = [s.name for s in built]
            if group is not None and built:
                pipeline.groups[built[0].name] = group
    return pipeline, findings


def _stage_context(
    doc: Any,
    template: str,
    body: dict[str, Any],
    defaults: dict[str, Any],
    context: dict[str, Any],
    params: ParamsFiles,
    findings: list[Finding],
) -> dict[str, Any]:
    """The file's context plus the stage's own `vars` (DVC's stage vars; files relative to its wdir)."""
    if not isinstance(body.get("vars"), list):
        return context
    wdir = body.get("wdir", defaults.get("wdir", ""))
    base = wdir if isinstance(wdir, str) and "${" not in wdir and wdir != "." else ""
    local = dict(context)
    findings.extend(apply_vars(doc, body["vars"], ("stages", template, "vars"), params, base, local))
    return local


def _top_level(data: dict[str, Any], pipeline: Pipeline) -> None:
    """Top-level `metrics`, `plots` and `params` (DVC's lists outside stages), kept in file order."""
    for key in TOP_LEVEL:
        entries = data.get(key)
        if isinstance(entries, list):
            seen = pipeline.top_level.setdefault(key, [])
            seen.extend(e for e in entries if e not in seen)


def _expand(
    doc: Any, template: str, body: dict[str, Any], defaults: dict[str, Any], context: dict[str, Any]
) -> tuple[list[Stage], list[Finding], Group | None]:
    origin: JsonPath = ("stages", template)
    findings: list[Finding] = []
    if "foreach" in body and "matrix" in body:
        return (
            [],
            [
                doc.finding(
                    origin + ("matrix",),
                    "a stage has `foreach` or `matrix`, not both",
                    key=True,
                    rule="foreach",
                )
            ],
            None,
        )
    if "foreach" not in body and "matrix" not in body:
        stage = _stage(doc, template, template, body, defaults, context, findings)
        return ([stage] if stage is not None else []), findings, None
    group = _items(doc, template, body, context, findings)
    if group is None:
        return [], findings, None
    stages = []
    for key, local in group.items.items():
        stage = _stage(
            doc, f"{template}{NAME_JOIN}{key}", template, body, defaults, {**context, **local}, findings
        )
        if stage is not None:
            stages.append(stage)
    placeholders = {name: interpolate.Local(f"${{{name}}}") for name in ("item", "key")}
    group.template = _stage(doc, template, template, body, defaults, {**context, **placeholders}, [])
    return stages, findings, group


def _items(
    doc: Any, template: str, body: dict[str, Any], context: dict[str, Any], findings: list[Finding]
) -> Group | None:
    """DVC's generated keys and each one's `item`/`key`, exactly as DVC names them (`train@small`)."""
    origin: JsonPath = ("stages", template)
    if "foreach" in body:
        spec = _resolve_collection(
            doc, origin + ("foreach",), body["foreach"], context, findings, allow_mapping=True
        )
        if spec is None:
            return None
        items = foreach_items(spec)
        _warn_collapsed(doc, origin + ("foreach",), template, len(spec), items, findings)
        return Group("foreach", spec, items)
    matrix = body["matrix"]
    if not isinstance(matrix, dict) or not matrix:
        return None
    dims: dict[str, list[Any]] = {}
    for dim, values in matrix.items():
        resolved = _resolve_collection(
            doc, origin + ("matrix", dim), values, context, findings, allow_mapping=False
        )
        if resolved is None:
            return None
        dims[str(dim)] = list(resolved)
    items = matrix_items(dims)
    total = 1
    for values in dims.values():
        total *= len(values)
    _warn_collapsed(doc, origin + ("matrix",), template, total, items, findings)
    return Group("matrix", dims, items)


def _warn_collapsed(
    doc: Any, where: JsonPath, template: str, count: int, items: dict[str, Any], findings: list[Finding]
) -> None:
    """Items that read the same (`1` and `"1"`) make one stage in DVC, which keeps the last silently."""
    if len(items) < count:
        findings.append(
            doc.finding(
                where,
                f"{count - len(items)} item(s) of `{template}` read the same as "
                "another and make no stage of their own (DVC keeps the last); make "
                "the items distinct",
                severity="warning",
                rule="foreach",
            )
        )


def _shown(value: Any) -> str:
    if value == []:
        return "an empty list"
    if value == {}:
        return "an empty mapping"
    return f"{type(value).__name__} `{value}`"


def _resolve_collection(
    doc: Any,
    where: JsonPath,
    value: Any,
    context: dict[str, Any],
    findings: list[Finding],
    *,
    allow_mapping: bool,
) -> list[Any] | dict[str, Any] | None:
    what = "`foreach`" if where[-1] == "foreach" else f"matrix `{where[-1]}`"
    if isinstance(value, str):
        try:
            value = interpolate.substitute(value, context)
        except interpolate.Undefined as exc:
            findings.append(_undefined(doc, where, exc))
            return None
    if isinstance(value, list) and value:
        return value
    if allow_mapping and isinstance(value, dict) and value:
        return value
    kinds = "a non-empty list or mapping" if allow_mapping else "a non-empty list"
    shown = _shown(value)
    findings.append(doc.finding(where, f"{what} must be {kinds}, not {shown}", rule="foreach"))
    return None


def _undefined(doc: Any, where: JsonPath, exc: interpolate.Undefined) -> Finding:
    if isinstance(exc, interpolate.NotText):
        return doc.finding(where, f"`${{{exc.name}}}`: {exc.detail}", rule="interpolation")
    detail = f" ({exc.detail})" if exc.detail else ""
    return doc.finding(
        where,
        f"undefined variable `${{{exc.name}}}`{detail}; define it in params.yaml or `vars:`",
        rule="undefined-variable",
    )


def _sub(
    doc: Any, where: JsonPath, value: Any, ctx: dict[str, Any], findings: list[Finding], in_cmd: bool = False
) -> Any:
    if not interpolate.mentions(value):
        return value
    problems: list[tuple[JsonPath, interpolate.Undefined]] = []
    result = interpolate.substitute_all(value, ctx, where, problems, in_cmd)
    findings.extend(_undefined(doc, path, exc) for path, exc in problems)
    return result


def _strings(value: Any) -> list[tuple[int, str]]:
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str) and v]


def _paths(
    doc: Any, where: JsonPath, value: Any, ctx: dict[str, Any], findings: list[Finding], with_flags: bool
) -> list[PathEntry]:
    entries: list[PathEntry] = []
    if not isinstance(value, list):
        return entries
    for i, item in enumerate(value):
        origin = where + (i,)
        if isinstance(item, str) and item:
            path = _sub(doc, origin, item, ctx, findings)
            entries.append(PathEntry(str(path), origin))
        elif with_flags and isinstance(item, dict) and len(item) == 1:
            ((path, flags),) = item.items()
            path = _sub(doc, origin, str(path), ctx, findings)
            flags = _sub(doc, origin + (path,), flags, ctx, findings) if isinstance(flags, dict) else {}
            entries.append(PathEntry(str(path), origin, dict(flags)))
    return entries


def _params(
    doc: Any, where: JsonPath, value: Any, ctx: dict[str, Any], findings: list[Finding]
) -> tuple[list[ParamRef], list[Any]]:
    refs: list[ParamRef] = []
    raw: list[Any] = []
    if not isinstance(value, list):
        return refs, raw
    for i, item in enumerate(value):
        origin = where + (i,)
        item = _sub(doc, origin, item, ctx, findings)
        if isinstance(item, str) and item:
            refs.append(ParamRef(item, None, origin))
            raw.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            ((file, keys),) = item.items()
            if keys is None:
                refs.append(ParamRef(None, str(file), origin))
            elif isinstance(keys, list):
                refs.extend(ParamRef(str(k), str(file), origin + (file, j)) for j, k in enumerate(keys))
            else:
                continue
            raw.append({str(file): keys})
    return refs, raw


def _stage(
    doc: Any,
    name: str,
    template: str,
    body: dict[str, Any],
    defaults: dict[str, Any],
    ctx: dict[str, Any],
    findings: list[Finding],
) -> Stage | None:
    base: JsonPath = ("stages", template)
    stage = Stage(name=name, template=template, doc=doc, origin=base)
    _describe(stage, body, defaults, ctx, findings)
    if "validate" in body and isinstance(body["validate"], str):
        return _validate_stage(doc, stage, body, ctx, findings)
    if "profile" in body and isinstance(body["profile"], str):
        return _profile_stage(doc, stage, body, ctx, findings)
    cmd = body.get("cmd")
    if not _is_command(cmd):
        return None
    stage.cmd = _sub(doc, base + ("cmd",), cmd, ctx, findings, in_cmd=True)
    stage.deps = _deps(stage, body, defaults, ctx, findings)
    refs_d, raw_d = _params(doc, ("defaults", "params"), defaults.get("params"), ctx, findings)
    refs_s, raw_s = _params(doc, base + ("params",), body.get("params"), ctx, findings)
    stage.params = refs_d + refs_s
    stage.params_raw = [p for i, p in enumerate(raw_d + raw_s) if p not in (raw_d + raw_s)[:i]]
    for key in OUTPUT_FIELDS:
        setattr(stage, key, _paths(doc, base + (key,), body.get(key), ctx, findings, True))
    return stage


def _is_command(cmd: Any) -> bool:
    """A command line, or a list of them."""
    return isinstance(cmd, str) or (isinstance(cmd, list) and all(isinstance(c, str) for c in cmd))


def _describe(
    stage: Stage, body: dict[str, Any], defaults: dict[str, Any], ctx: dict[str, Any], findings: list[Finding]
) -> None:
    """What every kind of stage has: its description, owner, wdir (else the default) and DVC's flags."""
    for key in ("desc", "wdir", "owner", "description"):
        if isinstance(body.get(key), str):
            setattr(stage, key, _sub(stage.doc, stage.origin + (key,), body[key], ctx, findings))
    if stage.wdir is None and isinstance(defaults.get("wdir"), str):
        stage.wdir = defaults["wdir"]
    for key in ("frozen", "always_changed"):
        if isinstance(body.get(key), bool):
            setattr(stage, key, body[key])


def _deps(
    stage: Stage, body: dict[str, Any], defaults: dict[str, Any], ctx: dict[str, Any], findings: list[Finding]
) -> list[PathEntry]:
    """The defaults' dependencies, then the stage's own (each path once)."""
    deps = _paths(stage.doc, ("defaults", "deps"), defaults.get("deps"), ctx, findings, False)
    seen = {d.path for d in deps}
    for entry in _paths(stage.doc, stage.origin + ("deps",), body.get("deps"), ctx, findings, False):
        if entry.path not in seen:
            seen.add(entry.path)
            deps.append(entry)
    return deps


def _given_path(
    doc: Any, stage: Stage, key: str, value: Any, ctx: dict[str, Any], findings: list[Finding]
) -> PathEntry:
    """Path KEY of a validate or profile stage, `${...}` substituted."""
    where = stage.origin + (key,)
    return PathEntry(str(_sub(doc, where, value, ctx, findings)), where)


def _written_path(
    doc: Any,
    stage: Stage,
    body: dict[str, Any],
    key: str,
    default: str,
    ctx: dict[str, Any],
    findings: list[Finding],
) -> PathEntry:
    """The file a validate or profile stage writes: KEY if given, else DEFAULT (placed at the stage)."""
    if isinstance(body.get(key), str):
        return _given_path(doc, stage, key, body[key], ctx, findings)
    return PathEntry(default, stage.origin)


def _validate_stage(
    doc: Any, stage: Stage, body: dict[str, Any], ctx: dict[str, Any], findings: list[Finding]
) -> Stage:
    base = stage.origin
    stage.kind = "validate"
    stage.wdir = None  # validate/profile paths are relative to the repository root
    stage.data = _given_path(doc, stage, "validate", body["validate"], ctx, findings)
    rules = body.get("rules")
    if isinstance(rules, str):
        stage.rules = _given_path(doc, stage, "rules", rules, ctx, findings)
    else:
        findings.append(
            doc.finding(
                base + ("validate",),
                f"validate stage `{stage.name}` needs `rules:` (the rules file to check the data with)",
                rule="validate",
            )
        )
    if isinstance(body.get("reference"), str):
        stage.reference = str(_sub(doc, base + ("reference",), body["reference"], ctx, findings))
    if isinstance(body.get("engine"), str):
        stage.engine = body["engine"]
    stage.report = _written_path(doc, stage, body, "report", f"reports/{stage.name}.json", ctx, findings)
    report_path = stage.report.path
    stage.deps = [stage.data] + ([stage.rules] if stage.rules else [])
    stage.metrics = [PathEntry(report_path, stage.report.origin, {"cache": False})]
    parts = ["mlops", "validate", stage.data.path]
    if stage.rules:
        parts += ["--rules", stage.rules.path]
    if stage.reference:
        parts += ["--reference", stage.reference]
    if stage.engine:
        parts += ["--engine", stage.engine]
    parts += ["--report", report_path]
    stage.cmd = shlex.join(parts)
    return stage


def _profile_stage(
    doc: Any, stage: Stage, body: dict[str, Any], ctx: dict[str, Any], findings: list[Finding]
) -> Stage:
    stage.kind = "profile"
    stage.wdir = None
    stage.data = _given_path(doc, stage, "profile", body["profile"], ctx, findings)
    stage.report = _written_path(doc, stage, body, "output", f"profiles/{stage.name}.json", ctx, findings)
    out_path = stage.report.path
    stage.deps = [stage.data]
    stage.outs = [PathEntry(out_path, stage.report.origin)]
    stage.cmd = shlex.join(["mlops", "profile", stage.data.path, "-o", out_path])
    return stage
