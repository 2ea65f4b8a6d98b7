"""The rules model: a Rules document (already schema-checked) turned into a flat list of Rule objects.

Every rule carries its modifiers (severity, max_fail tolerance, where filter) and the YAML path it came from,
so problems (such as an expression syntax error) are reported at their line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlops.data.expr import Expr, ExprError, parse
from mlops.data.pattern import PatternError, compile_pattern
from mlops.errors import ConfigError
from mlops.findings import Finding

SEVERITIES = ("error", "warn", "info")
# column keys that are rules (in check order); the rest are settings
COLUMN_RULES = (
    "required",
    "type",
    "nullable",
    "max_null_fraction",
    "min",
    "max",
    "gt",
    "lt",
    "allowed",
    "forbidden",
    "pattern",
    "length",
    "unique",
    "distinct",
    "mean",
    "std",
    "quantiles",
)
_RULE_ORDER = {key: i for i, key in enumerate(COLUMN_RULES)}
_RULE_KEYS = frozenset(COLUMN_RULES[1:])  # `required` is always a rule, made first
_BOUNDS_RULES = ("length", "distinct", "mean", "std")  # plain form is already an object {min, max}


@dataclass
class Tolerance:
    """max_fail: a count of rows, or a fraction of the rows checked."""

    count: int | None = None
    fraction: float | None = None

    def allowed(self, checked: int) -> float:
        if self.count is not None:
            return float(self.count)
        if self.fraction is not None:
            return self.fraction * checked
        return 0.0

    def to_json(self) -> Any:
        return self.count if self.count is not None else self.fraction


@dataclass
class Rule:
    id: str  # stable name in reports: age.min, table.rows, check.refund_ok, drift.age
    scope: Literal["column", "table", "check", "drift"]
    check: str  # min, max, type, rows, expr, ...
    value: Any
    column: str | None = None
    severity: str = "error"
    max_fail: Tolerance = field(default_factory=Tolerance)
    where: Expr | None = None
    desc: str = ""
    expr: Expr | None = None  # checks
    json_path: tuple[Any, ...] = ()

    def columns(self) -> set[str]:
        """Columns this rule needs read."""
        cols: set[str] = set()
        if self.column:
            cols.add(self.column)
        if self.expr:
            cols.update(self.expr.columns)
        if self.where:
            cols.update(self.where.columns)
        if self.check == "unique_key":
            cols.update(self.value)
        return cols


@dataclass
class DriftSpec:
    reference: str
    columns: list[str] | None = None  # None: every column shared with the reference
    method: str | None = None
    threshold: float | None = None
    p_value: bool = False
    per_column: dict[str, Any] = field(default_factory=dict)
    drift_share: float | None = None
    max_null_rate_change: float | None = None
    max_new_category_rate: float | None = None
    severity: str = "warn"


@dataclass
class Rules:
    path: str
    rules: list[Rule] = field(default_factory=list)
    column_types: dict[str, str] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)  # columns named under `columns:`
    extra_columns: str = "allow"
    extra_severity: str = "error"
    format: str | None = None
    drift: DriftSpec | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None  # who answers for these rules (`mlops doc`)
    description: str | None = None

    def columns(self) -> set[str]:
        cols = set(self.declared)
        for rule in self.rules:
            cols |= rule.columns()
        return cols

    def needs_all_columns(self) -> bool:
        return any(r.check == "duplicate_rows" for r in self.rules)


def pattern_problem(pattern: str) -> str | None:
    """Kept for callers: the problem of a pattern, from the one compile function lint and validate share."""
    from mlops.data.pattern import pattern_problem as problem

    return problem(pattern)


def parse_tolerance(value: Any) -> Tolerance:
    if value is None:
        return Tolerance()
    if isinstance(value, str):
        return Tolerance(fraction=float(value.strip().rstrip("%")) / 100)
    if isinstance(value, int) and not isinstance(value, bool):
        return Tolerance(count=value)
    return Tolerance(fraction=float(value))


def load_rules(path: str | os.PathLike[str], shown: str | None = None) -> Rules:
    """Load and check a rules file: schema findings and expression errors, all located; ConfigError if any."""
    from mlops.config import read_document

    doc = read_document(Path(path), shown=shown, expected_kind="Rules")
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    text = Path(path).read_text("utf-8", errors="replace")
    return build_rules(doc.data, doc.path, locate=lambda jp, msg, pos: _locate(doc, text, jp, msg, pos))


def rules_findings(doc: Any, text: str) -> list[Finding]:
    """Every problem `load_rules` would raise for a schema-valid Rules document (lint calls this, so
    lint and validate agree: expressions, where filters and patterns, each at its character)."""
    try:
        build_rules(doc.data, doc.path, locate=lambda jp, msg, pos: _locate(doc, text, jp, msg, pos))
    except ConfigError as exc:
        return list(exc.findings)
    return []


def rules_from_dict(data: dict[str, Any], name: str = "rules") -> Rules:
    """Rules from an already parsed mapping (API use), schema-checked; errors are reported without positions."""
    from mlops.config.schema import validate
    from mlops.config.yamlload import Located

    problems = [f for f in validate(Located(name, data), "Rules") if f.severity == "error"]
    if problems:
        raise ConfigError(problems)
    return build_rules(
        data,
        name,
        locate=lambda jp, msg, pos: Finding(name, 0, 0, f"{_describe(jp)}: {msg}", "error", "expr"),
    )


def _describe(json_path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in json_path)


def _locate(doc: Any, text: str, json_path: tuple[Any, ...], message: str, pos: int | None) -> Finding:
    """A finding at the expression's character: the YAML value's position plus the offset inside it."""
    finding = doc.finding(json_path, message, rule="expr")
    if pos is None or not finding.line:
        return finding
    lines = text.splitlines()
    line, col = finding.line, finding.col
    if 0 < line <= len(lines):
        current = lines[line - 1]
        first = current[col - 1] if 0 < col <= len(current) else ""
        if first in "'\"":
            col += 1 + pos
        elif first in "|>" and line < len(lines):
            following = lines[line]
            line, col = line + 1, len(following) - len(following.lstrip()) + 1 + pos
        else:
            col += pos
    return Finding(finding.path, line, col, message, "error", "expr")


def build_rules(data: dict[str, Any], path: str, locate: Any) -> Rules:
    """The Rules of a schema-valid document; ConfigError with every located problem (expressions, patterns)."""
    found = _Findings(locate)
    out = Rules(path, format=data.get("format"), raw=data)
    out.owner, out.description = _text(data.get("owner")), _text(data.get("description"))
    for name, spec in (data.get("columns") or {}).items():
        _add_column(out, str(name), spec or {}, found)
    _add_table(out, data.get("table") or {}, found)
    for i, check in enumerate(data.get("checks") or []):
        rule = _check_rule(check, ("checks", i), found)
        if rule is not None:
            out.rules.append(rule)
    out.drift = _drift_spec(data.get("drift"))
    if found.findings:
        raise ConfigError(found.findings)
    return out


class _Findings:
    """The problems of one document, collected while its rules are built (all are reported, not the first)."""

    def __init__(self, locate: Any) -> None:
        self.locate = locate
        self.findings: list[Finding] = []

    def expr(self, text: Any, json_path: tuple[Any, ...], what: str) -> Expr | None:
        if text is None:
            return None
        try:
            return parse(str(text))
        except ExprError as exc:
            self.findings.append(self.locate(json_path, f"{what}: {exc.message}", exc.pos))
            return None

    def pattern_ok(self, pattern: Any, json_path: tuple[Any, ...]) -> bool:
        try:
            compile_pattern(str(pattern))
        except PatternError as exc:
            self.findings.append(self.locate(json_path, f"pattern: {exc.message}", exc.pos))
            return False
        return True


@dataclass
class _Modifiers:
    """What a column rule inherits from its column unless its long form `{value: ..., ...}` says otherwise."""

    severity: str
    max_fail: Any
    where: Expr | None
    desc: str


def _add_column(out: Rules, name: str, spec: dict[str, Any], found: _Findings) -> None:
    out.declared.append(name)
    if "type" in spec:
        out.column_types[name] = spec["type"]
    base = ("columns", name)
    defaults = _Modifiers(
        spec.get("severity", "error"),
        spec.get("max_fail"),
        found.expr(spec.get("where"), base + ("where",), "where"),
        spec.get("desc", ""),
    )
    required = spec.get("required", True)
    out.rules.append(
        Rule(f"{name}.required", "column", "required", required, name, defaults.severity, json_path=base)
    )
    for key in sorted(_RULE_KEYS.intersection(spec), key=_RULE_ORDER.__getitem__):  # check order
        rule = _column_rule(name, key, spec[key], defaults, found)
        if rule is not None:
            out.rules.append(rule)


def _column_rule(name: str, key: str, raw: Any, defaults: _Modifiers, found: _Findings) -> Rule | None:
    """One column rule in its plain (`min: 0`) or long (`min: {value: 0, severity: warn}`) form."""
    base = ("columns", name)
    value, mods = raw, defaults
    if isinstance(raw, dict) and "value" in raw:
        value, mods = raw["value"], _long_form(raw, base + (key,), defaults, found)
    if _is_default(key, value):
        return None
    if key == "pattern":
        where_at = base + (key, "value") if isinstance(raw, dict) else base + (key,)
        if not found.pattern_ok(value, where_at):
            return None
    if key == "quantiles":
        value = {float(q): b for q, b in value.items()}
    tolerance = parse_tolerance(mods.max_fail)
    return Rule(
        f"{name}.{key}",
        "column",
        key,
        value,
        name,
        mods.severity,
        tolerance,
        mods.where,
        mods.desc,
        json_path=base + (key,),
    )


def _long_form(
    raw: dict[str, Any], at: tuple[Any, ...], defaults: _Modifiers, found: _Findings
) -> _Modifiers:
    where = found.expr(raw["where"], at + ("where",), "where") if "where" in raw else defaults.where
    return _Modifiers(
        raw.get("severity", defaults.severity),
        raw.get("max_fail", defaults.max_fail),
        where,
        raw.get("desc", defaults.desc),
    )


def _is_default(key: str, value: Any) -> bool:
    """`nullable: true` and `unique: false` say what holds anyway: nothing to check."""
    return (key == "nullable" and value is True) or (key == "unique" and value is False)


def _add_table(out: Rules, table: dict[str, Any], found: _Findings) -> None:
    tsev = table.get("severity", "error")
    if "rows" in table:
        out.rules.append(_rows_rule(table["rows"], tsev))
    for i, col in enumerate(table.get("required_columns") or []):
        jp = ("table", "required_columns", i)
        out.rules.append(
            Rule(f"table.required_columns.{col}", "table", "required", True, str(col), tsev, json_path=jp)
        )
    policy = table.get("extra_columns", "allow")
    out.extra_columns = policy
    out.extra_severity = "warn" if policy == "warn" else tsev
    for i, key in enumerate(table.get("unique_keys") or []):
        out.rules.append(
            Rule(
                f"table.unique_key.{'+'.join(key)}",
                "table",
                "unique_key",
                [str(k) for k in key],
                None,
                tsev,
                json_path=("table", "unique_keys", i),
            )
        )
    dup = _duplicate_rows_rule(table.get("duplicate_rows"), tsev, found)
    if dup is not None:
        out.rules.append(dup)


def _rows_rule(raw: Any, tsev: str) -> Rule:
    value, sev, desc = raw, tsev, ""
    if "value" in raw:
        value, sev, desc = raw["value"], raw.get("severity", tsev), raw.get("desc", "")
    return Rule("table.rows", "table", "rows", value, None, sev, desc=desc, json_path=("table", "rows"))


def _duplicate_rows_rule(dup: Any, tsev: str, found: _Findings) -> Rule | None:
    """`duplicate_rows: allow | warn | error | {severity, max_fail, where, desc}`."""
    if dup is None or dup == "allow":
        return None
    jp = ("table", "duplicate_rows")
    if isinstance(dup, dict):
        sev, tolerance, desc = (
            dup.get("severity", tsev),
            parse_tolerance(dup.get("max_fail")),
            dup.get("desc", ""),
        )
        where = found.expr(dup.get("where"), jp + ("where",), "where")
    else:
        sev, tolerance, where, desc = ("warn" if dup == "warn" else tsev), Tolerance(), None, ""
    return Rule(
        "table.duplicate_rows",
        "table",
        "duplicate_rows",
        False,
        None,
        sev,
        tolerance,
        where,
        desc,
        json_path=jp,
    )


def _check_rule(check: dict[str, Any], jp: tuple[Any, ...], found: _Findings) -> Rule | None:
    expr = found.expr(check.get("expr"), jp + ("expr",), f"check `{check.get('name')}`")
    where = found.expr(check.get("where"), jp + ("where",), "where")
    if expr is None:
        return None
    return Rule(
        f"check.{check['name']}",
        "check",
        "expr",
        check["expr"],
        None,
        check.get("severity", "error"),
        parse_tolerance(check.get("max_fail")),
        where,
        check.get("desc", ""),
        expr=expr,
        json_path=jp,
    )


def _drift_spec(drift: Any) -> DriftSpec | None:
    if not drift:
        return None
    cols = drift.get("columns")
    return DriftSpec(
        drift["reference"],
        None if cols in (None, "all") else [str(c) for c in cols],
        drift.get("method"),
        drift.get("threshold"),
        bool(drift.get("p_value", False)),
        dict(drift.get("per_column") or {}),
        drift.get("drift_share"),
        drift.get("max_null_rate_change"),
        drift.get("max_new_category_rate"),
        drift.get("severity", "warn"),
    )


def _text(value: Any) -> str | None:
    """An optional free-text field (owner, description): stripped, None when absent or empty."""
    return value.strip() if isinstance(value, str) and value.strip() else None
