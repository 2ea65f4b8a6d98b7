"""The training environment a version was registered from: Python, platform, and its packages.

Recorded in the version's registration block (`environment`), compactly: {name: version} of the installed
distributions, or of the lock file mlops.yaml names (`environment: uv.lock`), with a sha256 over that list
so two environments compare in one step. A list too big for the tag message's bounded reader keeps its hash
and count only (`truncated`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlops.errors import InputError

MAX_PACKAGES_BYTES = 256 * 1024  # well inside the 1 MB a tag message may hold (yamlload.MESSAGE)
LOCK_FORMATS = ("requirements", "uv.lock", "poetry.lock", "conda-lock")
Change = Literal["added", "removed", "changed"]


def normalize(name: str) -> str:
    """PEP 503 name: `Scikit_Learn` and `scikit-learn` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """{name: version} of the distributions importable by this Python."""
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(normalize(str(name)), str(dist.version))
    return dict(sorted(found.items()))


def from_lock(name: str, raw: bytes) -> dict[str, str]:
    """{name: version} from a lock file's bytes, by its file name; InputError when it cannot be read."""
    base = posixpath.basename(name)
    if base in ("uv.lock", "poetry.lock"):
        return _toml_packages(name, raw)
    if base.startswith("conda-lock") and base.endswith((".yml", ".yaml")):
        return _conda_packages(name, raw)
    return _requirements(raw)


def _requirements(raw: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        text = line.split("#", 1)[0].split(";", 1)[0].strip().rstrip("\\").strip()
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s,]+)", text)
        if match:
            found[normalize(match[1])] = match[2]
    return dict(sorted(found.items()))


def _toml_packages(name: str, raw: bytes) -> dict[str, str]:
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name} is not valid TOML: {exc}") from None
    items = data.get("package") if isinstance(data.get("package"), list) else []
    found = {
        normalize(str(p["name"])): str(p.get("version", ""))
        for p in items
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }
    return dict(sorted(found.items()))


def _conda_packages(name: str, raw: bytes) -> dict[str, str]:
    from mlops.config.yamlload import YamlProblem, load_data

    try:
        data = load_data(raw, name)
    except YamlProblem as problem:
        raise InputError(f"{name} is not valid YAML: {problem.reason}") from None
    items = data.get("package") if isinstance(data, dict) else None
    found = {
        normalize(str(p["name"])): str(p.get("version", ""))
        for p in (items if isinstance(items, list) else [])
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }
    return dict(sorted(found.items()))


def describe(packages: dict[str, str], source: str) -> dict[str, Any]:
    """The block recorded in a registration: python, platform, source, sha256 and the packages."""
    canonical = json.dumps(packages, sort_keys=True, separators=(",", ":"))
    block: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{platform.system()}-{platform.machine()}".lower(),
        "source": source,
        "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "count": len(packages),
        "packages": packages,
    }
    if len(canonical) > MAX_PACKAGES_BYTES:
        del block["packages"]
        block["truncated"] = True
    return block


def capture(root: Path, commit: str | None, lock: str | None) -> dict[str, Any]:
    """This environment: the lock file LOCK (at COMMIT, else in the work tree) when given, else the
    distributions installed in this Python. InputError (exit 2) when the named lock file is missing."""
    if lock is None:
        return describe(installed(), "installed")
    from mlops import git

    raw = git.show_file(commit, lock, root) if commit else None
    if raw is None:
        path = root / lock
        if commit is not None or not path.is_file():
            where = f"in commit {commit[:12]}" if commit else "in the work tree"
            raise InputError(
                f"the lock file {lock} that mlops.yaml names (`environment:`) is not {where}",
                hint=f"commit {lock}, or remove `environment:` from mlops.yaml to record the installed packages",
            )
        raw = path.read_bytes()
    return describe(from_lock(lock, raw), lock)


@dataclass
class PackageChange:
    name: str
    change: Change
    before: str | None
    after: str | None


@dataclass
class EnvDiff:
    """Two environments compared: Python and platform, then package by package."""

    left: str
    right: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # python/platform that differ
    packages: list[PackageChange] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # sides whose package list was not recorded

    @property
    def same(self) -> bool:
        return not self.fields and not self.packages and not self.incomplete


def compare(
    left: dict[str, Any], right: dict[str, Any], labels: tuple[str, str], only: list[str] | None = None
) -> EnvDiff:
    """LEFT and RIGHT environment blocks; ONLY limits the packages compared (and skips Python/platform)."""
    diff = EnvDiff(*labels)
    if only is None:
        diff.fields = {
            k: (left.get(k), right.get(k)) for k in ("python", "platform") if left.get(k) != right.get(k)
        }
    mine, theirs = left.get("packages"), right.get("packages")
    if isinstance(mine, dict) and isinstance(theirs, dict):
        diff.packages = _package_changes(mine, theirs, only)
    elif left.get("sha256") != right.get("sha256") or not left.get("sha256"):
        diff.incomplete = [lab for lab, env in zip(labels, (left, right), strict=True) if not _listed(env)]
    return diff


def _package_changes(
    mine: dict[str, Any], theirs: dict[str, Any], only: list[str] | None
) -> list[PackageChange]:
    names = sorted({normalize(n) for n in only} if only is not None else set(mine) | set(theirs))
    changes = []
    for name in names:
        before, after = mine.get(name), theirs.get(name)
        if before != after:
            change: Change = "added" if before is None else "removed" if after is None else "changed"
            changes.append(PackageChange(name, change, before, after))
    return changes


def _listed(env: dict[str, Any]) -> bool:
    return isinstance(env.get("packages"), dict)


def recorded(root: Path, ref: str, state: Any = None) -> tuple[str, dict[str, Any]]:
    """(label, environment block) of the version REF names (`churn@v1.2.0`, `churn#production`)."""
    from mlops.errors import UnknownReference
    from mlops.refs import resolve

    found = resolve(ref, root, state=state)
    if found.artifact is None or found.version is None:
        raise UnknownReference(
            f"`{ref}` names no registered version (give ARTIFACT@vX.Y.Z or ARTIFACT#STAGE)"
        )
    from mlops.registry import read_state

    art = (state or read_state(root)).artifact(found.artifact)
    version = art.version(found.version) if art else None
    env = version.message_data.get("environment") if version else None
    label = f"{found.artifact}@{found.version}"
    if not isinstance(env, dict):
        raise InputError(
            f"{label} records no environment (registered before mlops recorded one)",
            hint="versions registered from now on record it; compare two of those",
        )
    return label, env
