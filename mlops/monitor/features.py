"""Which columns are features: the label, the predictions, identifiers and timestamps are not.

Drifting identifiers and timestamps is noise by construction (a new day has new ids and new times), and the
label and predictions have their own checks (metrics, prediction drift). A column is left out, with the reason
shown in the report, when:
  - a role names it: --labels, --predictions, --scores, the rules' `labels.column`, `labels.predictions`,
    `labels.timestamp`;
  - the rules say so: `alert.exclude`, or a column rule `unique: true` (an identifier) or `type: datetime`;
  - the data says so: datetime values; values that increase row after row (a counter, an id, a timestamp);
    integers that never repeat in the reference; text with about as many distinct values as rows (from 100
    reference rows, or 20 when the name also says so: id, customer_id, uuid, key).
`drift.columns` (or --columns) names the columns to check explicitly and turns the guessing off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlops.data.profile import ColumnProfile, Profile

MIN_ROWS = 100  # uniqueness and cardinality mean little on fewer reference rows
MIN_ROWS_NAMED = 20  # ... unless the column is also named like an identifier
ID_NAME = re.compile(r"(?i:(^|[_\W])(id|uuid|guid|key)$)|[a-z](Id|ID|Uuid|UUID|Key)$")
HIGH_CARDINALITY = 0.5  # distinct values per non-null row above which text looks like an identifier


def declared_exclusions(rules: Mapping[str, Any], roles: Mapping[str, str]) -> dict[str, str]:
    """column -> why it is not a feature, from the command's roles and the rules file."""
    out = dict(roles)
    labels = _section(rules, "labels")
    for key, why in LABEL_ROLES:
        column = labels.get(key)
        if isinstance(column, str):
            out.setdefault(column, why)
    for name in _section(rules, "alert").get("exclude") or ():
        out.setdefault(str(name), "listed in alert.exclude")
    for name, spec in _section(rules, "columns").items():
        reason = _column_rule_exclusion(spec)
        if reason:
            out.setdefault(str(name), reason)
    return out


LABEL_ROLES = (
    ("column", "label column (labels.column)"),
    ("predictions", "predictions (labels.predictions)"),
    ("timestamp", "event-time column (labels.timestamp)"),
)


def _section(rules: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = rules.get(key)
    return value if isinstance(value, Mapping) else {}


def _column_rule_exclusion(spec: Any) -> str | None:
    """A column rule that makes it an identifier (unique: true) or a timestamp (type: datetime)."""
    if not isinstance(spec, Mapping):
        return None
    if _rule_value(spec.get("unique")) is True:
        return "identifier (unique: true in the rules)"
    if spec.get("type") == "datetime":
        return "timestamp (type: datetime in the rules)"
    return None


def inferred_exclusion(reference: ColumnProfile, current: ColumnProfile | None = None) -> str | None:
    """Why the data says this column is not a feature, or None."""
    if reference.dtype == "datetime":
        return "timestamp (datetime values)"
    for side, col in (("reference", reference), ("batch", current)):
        if col is not None and col.increasing:
            return f"monotone: increases row after row in the {side} (a counter, an id or a timestamp)"
    named = bool(ID_NAME.search(reference.name))
    if reference.non_null < (MIN_ROWS_NAMED if named else MIN_ROWS):
        return None
    if reference.unique:
        return f"identifier: no value repeats in the reference's {reference.non_null:,} rows"
    return _high_cardinality(reference, named)


def _high_cardinality(reference: ColumnProfile, named: bool) -> str | None:
    """Text with about as many distinct values as rows (fewer needed when named like an id)."""
    if reference.kind != "categorical" or reference.dtype == "boolean":
        return None
    distinct = reference.distinct
    if distinct is None or distinct >= (0.9 if named else HIGH_CARDINALITY) * reference.non_null:
        shown = f"{distinct:,}" if distinct is not None else "over 20,000"
        return f"high cardinality: {shown} distinct values in {reference.non_null:,} rows (an identifier?)"
    return None


def exclude_inferred(columns: list[str], reference: Profile, current: Profile | None) -> dict[str, str]:
    out = {}
    for name in columns:
        ref = reference.columns.get(name)
        if ref is None:
            continue
        why = inferred_exclusion(ref, current.columns.get(name) if current is not None else None)
        if why:
            out[name] = why
    return out


def _rule_value(value: Any) -> Any:
    """A column rule is a value or {value: ..., severity: ...}."""
    return value.get("value") if isinstance(value, Mapping) else value
