"""One mlops file: parsed, located, and checked against its kind's schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config import schema
from mlops.config.yamlload import CONFIG, Located, YamlProblem, load_bytes
from mlops.errors import ConfigError, InputError
from mlops.findings import Finding


@dataclass
class Document:
    """A parsed mlops file. `findings` holds every problem; `ok` means none is an error."""

    path: str  # as shown to the user (relative to the repository root when inside it)
    kind: str | None
    located: Located | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return self.located.data if self.located else None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def checkable(self) -> bool:
        """Valid against its schema, so deeper checks can run (a duplicate key alone does not stop them)."""
        return self.located is not None and not any(
            f.severity == "error" and f.rule != "duplicate-key" for f in self.findings
        )

    def finding(
        self,
        json_path: tuple[Any, ...],
        message: str,
        *,
        key: bool = False,
        rule: str = "",
        severity: str = "error",
    ) -> Finding:
        if self.located is None:
            return Finding(self.path, 0, 0, message, severity, rule)
        return self.located.finding(json_path, message, key=key, rule=rule, severity=severity)


def read_document(
    path: str | Path, *, shown: str | None = None, expected_kind: str | None = None, raw: bytes | None = None
) -> Document:
    """Parse and schema-check a file, collecting problems instead of raising.

    Raises InputError only when the file cannot be read at all (missing, a folder, no permission).
    """
    shown = shown or str(path)
    if raw is None:
        raw = _read_raw(path, shown)
    try:
        located = load_bytes(raw, shown)
    except YamlProblem as problem:
        return Document(shown, expected_kind, None, [problem.finding])
    data = located.data
    early = list(located.problems)  # duplicate keys: reported with everything else in the file
    if not isinstance(data, dict):
        return Document(shown, expected_kind, located, [_not_a_mapping(shown, data)])
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in schema.KINDS:
        if expected_kind is None:
            message = _kind_problem(kind)
            return Document(
                shown, None, located, early + [located.finding(("kind",), message, rule="schema")]
            )
        kind = expected_kind
    findings: list[Finding] = early
    if expected_kind and kind != expected_kind:
        findings.append(
            located.finding(("kind",), f"expected kind `{expected_kind}` here, found `{kind}`", rule="schema")
        )
        kind = expected_kind
    findings.extend(schema.validate(located, kind))
    return Document(shown, kind, located, findings)


def _read_raw(path: str | Path, shown: str) -> bytes:
    try:
        with open(path, "rb") as handle:  # one byte past the cap: enough to refuse a huge file
            return handle.read(CONFIG.max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None


def _not_a_mapping(shown: str, data: Any) -> Finding:
    what = "empty" if data is None else f"a {type(data).__name__.replace('str', 'string')}"
    message = f"an mlops file is a mapping with `kind:` and `version:`; this one is {what}"
    return Finding(shown, 1, 1, message, rule="schema")


def _kind_problem(kind: Any) -> str:
    """What is wrong with a `kind:` value that names no kind (the file is not expected to be one kind)."""
    if kind is None:
        return "missing `kind:` (one of " + ", ".join(schema.KINDS) + ")"
    if isinstance(kind, str):
        return f"unknown kind `{kind}`" + _did_you_mean(kind, list(schema.KINDS))
    return "`kind:` must be one word, one of " + ", ".join(schema.KINDS)


def load_document(
    path: str | Path, *, shown: str | None = None, expected_kind: str | None = None
) -> Document:
    """Like read_document, but raise ConfigError (with every finding) when the file has errors."""
    doc = read_document(path, shown=shown, expected_kind=expected_kind)
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    return doc


def _did_you_mean(word: str, options: list[str]) -> str:
    from mlops.suggest import did_you_mean

    return did_you_mean(word, options, cutoff=0.5) or f"; expected one of {', '.join(options)}"
