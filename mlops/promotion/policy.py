"""The promotion policy (promotion.yaml): artifacts, ordered stages, their entry conditions and gates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from mlops.config.document import Document, read_document
from mlops.errors import ConfigError, InputError, UnknownReference
from mlops.findings import Finding
from mlops.suggest import closest
from mlops.timeutil import parse_duration

DEFAULT_BRANCH = "main"
DEFAULT_ALLOWED_SIGNERS = ".mlops/allowed_signers"

GateKind = Literal["metric", "validation", "monitor", "environment", "evaluated_on"]


@dataclass(frozen=True)
class Gate:
    """One gate of a stage."""

    index: int
    kind: GateKind
    metric: str | None = None
    min: float | None = None
    max: float | None = None
    not_worse_than: bool = False
    tolerance: float = 0.0
    higher_is_better: bool = True
    slices: str | tuple[str, ...] | None = None  # "all", named slices, or None (overall only)
    path: str | None = None  # validation report or monitoring history
    no_alerts_for: timedelta | None = None
    no_alerts_for_text: str | None = None
    desc: str | None = None
    same_as: str | None = None  # environment gate: the stage whose holder's environment to match
    pinned: tuple[str, ...] | None = None  # environment gate: only these packages must match

    def describe(self) -> str:
        label = _KIND_LABELS.get(self.kind)
        if label is not None:
            return label(self)
        parts = []
        if self.min is not None:
            parts.append(f"{self.metric} >= {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.metric} <= {self.max:g}")
        if self.not_worse_than:
            tol = f" (tolerance {self.tolerance:g})" if self.tolerance else ""
            parts.append(f"{self.metric} not worse than incumbent{tol}")
        text = ", ".join(parts)
        if self.slices == "all":
            text += ", every slice"
        elif self.slices:
            text += ", slices " + ", ".join(self.slices)
        return text


def _environment_label(gate: Gate) -> str:
    what = f"{', '.join(gate.pinned)} pinned" if gate.pinned else "same environment"
    return f"{what} as {gate.same_as or 'the incumbent'}"


_KIND_LABELS = {  # gates other than metric bounds: one label each
    "validation": lambda g: f"validation report {g.path} passed",
    "monitor": lambda g: f"no error alerts for {g.no_alerts_for_text} in {g.path}",
    "environment": _environment_label,
    "evaluated_on": lambda g: "evaluated on the current evaluation sets",
}


@dataclass(frozen=True)
class Slo:
    """A service-level objective of a stage, judged on the monitoring history (mlops.monitor.slo)."""

    metric: str
    window: timedelta
    window_text: str
    min: float | None = None
    max: float | None = None
    slices: str | tuple[str, ...] | None = None  # "all", named slices (`plan=pro`), or None (overall only)
    history: str = "monitoring/history.jsonl"
    min_rows: int = 1
    desc: str | None = None

    def describe(self) -> str:
        bounds = [f"{self.metric} >= {self.min:g}" if self.min is not None else ""]
        bounds.append(f"{self.metric} <= {self.max:g}" if self.max is not None else "")
        return f"{', '.join(b for b in bounds if b)} over {self.window_text}"


@dataclass(frozen=True)
class Stage:
    name: str
    index: int
    after: str | None  # the stage a version must have been in first
    soak: timedelta | None = None
    soak_text: str | None = None
    review_required: bool = False
    gates: tuple[Gate, ...] = ()
    artifacts: tuple[str, ...] | None = None  # None: every artifact
    desc: str | None = None
    fallback: str | None = None  # `previous` or a pinned version (mlops.promotion.fallback)
    slos: tuple[Slo, ...] = ()
    owner: str | None = None  # who answers for the stage (`mlops doc`)
    description: str | None = None

    def applies_to(self, artifact: str) -> bool:
        return self.artifacts is None or artifact in self.artifacts


@dataclass(frozen=True)
class ArtifactPolicy:
    name: str
    path: str
    type: str | None = None
    metrics: str | None = None
    training_data: str | None = None
    owner: str | None = None  # lint warns when an artifact assigned to a production stage has none
    description: str | None = None
    desc: str | None = None


@dataclass
class Policy:
    path: str
    protected_branch: str = DEFAULT_BRANCH
    artifacts: dict[str, ArtifactPolicy] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)  # in promotion order
    signing_required: bool = False
    allowed_signers: str = DEFAULT_ALLOWED_SIGNERS

    @property
    def stage_names(self) -> list[str]:
        return list(self.stages)

    def stage(self, name: str) -> Stage:
        if name not in self.stages:
            raise UnknownReference(f"unknown stage `{name}`{_hint(name, list(self.stages))}")
        return self.stages[name]

    def artifact(self, name: str) -> ArtifactPolicy:
        if name not in self.artifacts:
            raise UnknownReference(
                f"unknown artifact `{name}` (not in {self.path}){_hint(name, list(self.artifacts))}"
            )
        return self.artifacts[name]


def _hint(word: str, options: list[str]) -> str:
    match = closest(word, options, cutoff=0.5) or next(
        (o for o in options if word and o.startswith(word)), None
    )
    if match:
        return f"; did you mean `{match}`?"
    return f"; known: {', '.join(options)}" if options else ""


def load_policy(root: Any, rel: str) -> Policy:
    """The policy in the work tree. InputError when missing, ConfigError listing every problem."""
    from pathlib import Path

    path = Path(root) / rel
    if not path.is_file():
        raise InputError(
            f"{rel}: no promotion policy (the file does not exist)",
            hint="write one (see `mlops init`) or set `promotion:` in mlops.yaml",
        )
    return policy_from_document(read_document(path, shown=rel, expected_kind="Promotion"))


def policy_at(root: Any, commit: str, rel: str) -> Policy:
    """The policy as committed at COMMIT (what CI and sync use: never the unstaged work tree)."""
    from mlops import git

    raw = git.show_file(commit, rel, root)
    if raw is None:
        raise InputError(f"{rel}: no promotion policy at {commit[:12]}")
    return policy_from_document(read_document(rel, shown=f"{rel}", expected_kind="Promotion", raw=raw))


def policy_from_document(doc: Document) -> Policy:
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    policy, findings = parse_policy(doc)
    if findings:
        raise ConfigError(findings)
    return policy


def parse_policy(doc: Document) -> tuple[Policy, list[Finding]]:
    """Build the model from a schema-valid document; return cross-reference problems as findings."""
    data = doc.data
    findings: list[Finding] = []
    policy = Policy(
        path=doc.path,
        protected_branch=str(data.get("protected_branch") or DEFAULT_BRANCH),
        signing_required=data.get("signing") == "required",
        allowed_signers=str(data.get("allowed_signers") or DEFAULT_ALLOWED_SIGNERS),
    )
    for name, spec in (data.get("artifacts") or {}).items():
        policy.artifacts[name] = _artifact(name, spec)
    names = list((data.get("stages") or {}).keys())
    for index, name in enumerate(names):
        stage, problems = _stage(doc, policy, names, index, data["stages"][name] or {})
        policy.stages[name] = stage
        findings.extend(problems)
    findings.extend(_cycles(doc, policy))
    return policy, findings


def _artifact(name: str, spec: dict[str, Any]) -> ArtifactPolicy:
    optional = ("type", "metrics", "training_data", "owner", "description", "desc")
    return ArtifactPolicy(name=name, path=spec["path"], **{key: spec.get(key) for key in optional})


def _stage(
    doc: Document, policy: Policy, names: list[str], index: int, spec: dict[str, Any]
) -> tuple[Stage, list[Finding]]:
    """Stage NAMES[INDEX] and what is wrong with its references to other stages and artifacts."""
    name = names[index]
    after, findings = _after(doc, names, index, spec)
    artifacts = spec.get("artifacts")
    findings.extend(_unknown_artifacts(doc, policy, name, artifacts))
    gates = [_gate(gi, g) for gi, g in enumerate(spec.get("gates") or [])]
    findings.extend(_metric_gates_without_metrics(doc, policy, name, gates, artifacts))
    findings.extend(_environment_stages(doc, name, gates, names))
    soak = spec.get("soak")
    if soak is not None and after is None:
        findings.append(
            doc.finding(
                ("stages", name, "soak"), "`soak` needs a stage to soak in (this stage has no `after`)"
            )
        )
    return _stage_model(name, index, after, spec, gates), findings


def _stage_model(name: str, index: int, after: str | None, spec: dict[str, Any], gates: list[Gate]) -> Stage:
    soak, artifacts = spec.get("soak"), spec.get("artifacts")
    return Stage(
        name=name,
        index=index,
        after=after,
        soak=parse_duration(soak) if soak is not None else None,
        soak_text=soak,
        review_required=spec.get("review") == "required",
        gates=tuple(gates),
        artifacts=tuple(artifacts) if artifacts is not None else None,
        slos=_slos(spec.get("slo")),
        **{key: spec.get(key) for key in ("desc", "fallback", "owner", "description")},
    )


def _unknown_artifacts(
    doc: Document, policy: Policy, stage: str, artifacts: list[str] | None
) -> list[Finding]:
    return [
        doc.finding(
            ("stages", stage, "artifacts", i), f"unknown artifact `{art}`{_hint(art, list(policy.artifacts))}"
        )
        for i, art in enumerate(artifacts or [])
        if art not in policy.artifacts
    ]


def _after(
    doc: Document, names: list[str], index: int, spec: dict[str, Any]
) -> tuple[str | None, list[Finding]]:
    """The stage a version must have been in first: `after:` if given and valid, else the one before."""
    name = names[index]
    if "after" not in spec:
        return (names[index - 1] if index else None), []
    after = spec["after"]
    where = ("stages", name, "after")
    if after is not None and after not in names:
        return None, [doc.finding(where, f"`after: {after}` names no stage{_hint(after, names)}")]
    if after == name:
        return None, [doc.finding(where, "a stage cannot come after itself")]
    return after, []


def _metric_gates_without_metrics(
    doc: Document, policy: Policy, stage: str, gates: list[Gate], artifacts: list[str] | None
) -> list[Finding]:
    """A metric gate on an artifact that names no `metrics:` file could never pass."""
    return [
        doc.finding(
            ("stages", stage, "gates", gate.index, "metric"),
            f"metric gate on `{art}`, which names no `metrics:` file",
        )
        for gate in gates
        if gate.kind == "metric"
        for art in artifacts or list(policy.artifacts)
        if art in policy.artifacts and not policy.artifacts[art].metrics
    ]


def _gate(index: int, g: dict[str, Any]) -> Gate:
    if isinstance(g.get("environment"), dict):
        return _environment_gate(index, g)
    kind = next((key for key in _GATE_BUILDERS if key in g), None)
    return _GATE_BUILDERS[kind](index, g) if kind else _metric_gate(index, g)


def _environment_gate(index: int, g: dict[str, Any]) -> Gate:
    env = g["environment"]
    pinned = env.get("pinned")
    return Gate(
        index,
        "environment",
        same_as=env.get("same_as"),
        pinned=tuple(str(p) for p in pinned) if isinstance(pinned, list) else None,
        desc=g.get("desc"),
    )


def _monitor_gate(index: int, g: dict[str, Any]) -> Gate:
    text = g.get("no_alerts_for") or "0s"
    return Gate(
        index,
        "monitor",
        path=g["monitor"],
        no_alerts_for=parse_duration(text),
        no_alerts_for_text=text,
        desc=g.get("desc"),
    )


def _metric_gate(index: int, g: dict[str, Any]) -> Gate:
    return Gate(
        index,
        "metric",
        metric=g["metric"],
        min=g.get("min"),
        max=g.get("max"),
        not_worse_than=g.get("not_worse_than") == "incumbent",
        tolerance=float(g.get("tolerance") or 0),
        higher_is_better=bool(g.get("higher_is_better", True)),
        slices=_slice_names(g.get("slices")),
        desc=g.get("desc"),
    )


_GATE_BUILDERS: dict[str, Callable[[int, dict[str, Any]], Gate]] = {  # the key that marks each kind, in order
    "validation": lambda index, g: Gate(index, "validation", path=g["validation"], desc=g.get("desc")),
    "evaluated_on": lambda index, g: Gate(index, "evaluated_on", desc=g.get("desc")),
    "monitor": _monitor_gate,
}


def _slice_names(slices: Any) -> str | tuple[str, ...] | None:
    """`all`, the named slices, or None (overall only)."""
    return slices if slices == "all" or slices is None else tuple(slices)


def _environment_stages(doc: Document, stage: str, gates: list[Gate], names: list[str]) -> list[Finding]:
    """An environment gate's `same_as` names a declared stage."""
    return [
        doc.finding(
            ("stages", stage, "gates", g.index, "environment", "same_as"),
            f"stage `{stage}`: `same_as: {g.same_as}` names no stage{_hint(g.same_as, names)}",
        )
        for g in gates
        if g.kind == "environment" and g.same_as is not None and g.same_as not in names
    ]


def _slos(spec: Any) -> tuple[Slo, ...]:
    """`slo:` is one objective or a list of them (schema-checked)."""
    items = spec if isinstance(spec, list) else [spec] if isinstance(spec, dict) else []
    out = []
    for item in items:
        out.append(
            Slo(
                metric=str(item["metric"]),
                window=parse_duration(item["window"]),
                window_text=str(item["window"]),
                min=item.get("min"),
                max=item.get("max"),
                slices=_slice_names(item.get("slices")),
                history=str(item.get("history") or Slo.history),
                min_rows=int(item.get("min_rows") or 1),
                desc=item.get("desc"),
            )
        )
    return tuple(out)


def _cycles(doc: Document, policy: Policy) -> list[Finding]:
    out = []
    for name in policy.stages:
        seen = [name]
        current = policy.stages[name].after
        while current is not None and current in policy.stages:
            if current in seen:
                if current == name:  # report a loop once per member, at its own `after`
                    out.append(
                        doc.finding(
                            ("stages", name, "after"), "`after` chain loops: " + " -> ".join([*seen, current])
                        )
                    )
                break
            seen.append(current)
            current = policy.stages[current].after
    return out
