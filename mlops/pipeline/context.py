"""Values for `${...}`: params.yaml (DVC loads it by default) and a file's `vars:` entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops import dotted
from mlops.findings import Finding

_MISSING = object()


class ParamsFiles:
    """Reads params files once per build. `get` returns the parsed mapping, or None when unreadable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, Any] = {}
        self._exists: dict[str, bool] = {}
        self.problems: dict[str, str] = {}

    def exists(self, rel: str) -> bool:
        if rel not in self._exists:  # every stage names the same few params files
            self._exists[rel] = (self.root / rel).is_file()
        return self._exists[rel]

    def get(self, rel: str) -> dict[str, Any] | None:
        if rel not in self._cache:
            self._cache[rel] = self._read(rel)
        value = self._cache[rel]
        return value if isinstance(value, dict) else None

    def _read(self, rel: str) -> Any:
        path = self.root / rel
        if not path.is_file():
            return None
        try:
            if rel.endswith(".toml"):
                import tomllib  # type: ignore[import-not-found,unused-ignore]

                data = tomllib.loads(path.read_text("utf-8"))
            else:  # JSON and YAML through the bounded reader: params come from pull requests too
                from mlops.config.yamlload import load_data

                data = load_data(path.read_bytes(), rel)
        except Exception as exc:  # noqa: BLE001 - any parse error is reported as one line
            self.problems[rel] = f"cannot parse {rel}: {str(exc).splitlines()[0] if str(exc) else exc}"
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problems[rel] = f"{rel} is not a mapping of parameters"
            return None
        return data


def has_key(data: dict[str, Any], key: str) -> bool:
    return dotted.find(data, key)[0]


def file_context(doc: Any, params: ParamsFiles, default_params: str) -> tuple[dict[str, Any], list[Finding]]:
    """The `${...}` context of one Pipeline file: params.yaml, then each `vars:` entry in order."""
    context: dict[str, Any] = {}
    findings: list[Finding] = []
    base = params.get(default_params)
    if base:
        context.update(base)
    data = doc.data if isinstance(doc.data, dict) else {}
    findings.extend(apply_vars(doc, data.get("vars"), ("vars",), params, "", context))
    return context, findings


def apply_vars(
    doc: Any, entries: Any, where: tuple[Any, ...], params: ParamsFiles, base: str, context: dict[str, Any]
) -> list[Finding]:
    """Add each `vars` entry to context, in order: a mapping, or a params file (`file:key1,key2`) relative
    to `base` (a stage's wdir for stage `vars`, as DVC reads them)."""
    findings: list[Finding] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            context.update(entry)
        elif isinstance(entry, str):
            findings.extend(_vars_file(doc, where + (i,), entry, params, base, context))
    return findings


def _vars_file(
    doc: Any, where: tuple[Any, ...], entry: str, params: ParamsFiles, base: str, context: dict[str, Any]
) -> list[Finding]:
    """A `file` or `file:key1,key2` entry of `vars`: all of the file's values, or the named keys."""
    import posixpath

    file, _, keys = entry.partition(":")
    file = posixpath.normpath(posixpath.join(base, file)) if base else file
    loaded = params.get(file)
    if loaded is None:
        why = params.problems.get(file) or f"vars file `{file}` does not exist"
        return [doc.finding(where, why, rule="vars")]
    if not keys:
        context.update(loaded)
        return []
    findings = []
    for key in (k.strip() for k in keys.split(",") if k.strip()):
        if key in loaded:
            context[key] = loaded[key]
        else:
            findings.append(doc.finding(where, f"`{file}` has no key `{key}`", rule="vars"))
    return findings
