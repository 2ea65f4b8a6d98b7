"""`mlops init`: a Git + DVC repository with a runnable example project from mlops/templates/.

Each template folder may hold `template.yaml` (not copied): a description and the `setup` commands run
after copying (e.g. generate the example data and `dvc add` it). Existing files are never overwritten.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from mlops.errors import GitError, InputError, UsageError

MANIFEST = "template.yaml"
IGNORED = {"__pycache__", MANIFEST}


@dataclass
class InitResult:
    root: str
    template: str
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # existing files left as they were
    git_initialised: bool = False
    dvc_initialised: bool = False
    setup: list[str] = field(default_factory=list)  # commands run after copying
    stages: list[str] = field(default_factory=list)
    install: str = ""  # the pip requirement the CI workflows and README install mlops with
    install_origin: str = ""  # option | environment | source | version (mlops.pipeline.install_spec)


def templates() -> dict[str, Traversable]:
    base = resources.files("mlops").joinpath("templates")
    return {p.name: p for p in base.iterdir() if p.is_dir() and p.name not in IGNORED}


def describe(template: Traversable) -> dict[str, Any]:
    import yaml

    manifest = template.joinpath(MANIFEST)
    if not manifest.is_file():
        return {}
    data = yaml.safe_load(manifest.read_text("utf-8"))
    return data if isinstance(data, dict) else {}


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name in IGNORED or entry.name.endswith(".pyc"):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.extend(_files(entry, rel + "/"))
        else:
            found.append((rel, entry))
    return found


def _run(args: list[str], cwd: Path, what: str) -> None:
    from mlops.pipeline.runner import dvc_env

    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=dvc_env())
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise InputError(f"{what} failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")


def _enclosing_root(folder: Path) -> Path | None:
    try:
        from mlops.git import find_root

        return find_root(folder)
    except GitError:
        return None


def _command(words: list[str]) -> list[str]:
    if words and words[0] == "python":
        return [sys.executable, *words[1:]]
    if words and words[0] in ("dvc", "mlops"):
        return [sys.executable, "-m", words[0], *words[1:]]
    return words


def init(
    target: str | os.PathLike[str] = ".",
    template: str = "default",
    *,
    force: bool = False,
    install: str | None = None,
) -> InitResult:
    from mlops import git
    from mlops.pipeline.install_spec import PLACEHOLDER, install_spec

    available = templates()
    if template not in available:
        raise UsageError(f"no template `{template}`; available: {', '.join(sorted(available))}")
    root = Path(target).resolve()
    _check_target(root, target, force)
    spec, origin = install_spec(install)
    root.mkdir(parents=True, exist_ok=True)
    result = InitResult(str(root), template, install=spec, install_origin=origin)
    top = _enclosing_root(root)
    if top is not None and top != root:
        raise InputError(
            f"{target} is inside the Git repository {top}; an mlops project lives at the "
            "root of its own repository",
            hint=f"run `mlops init` in {top}, or choose a folder outside it",
        )
    if top is None:
        # the templates' promotion.yaml protects `main`; don't inherit a machine's `master` default
        git.run(["init", "-q", "--initial-branch=main"], root)
        result.git_initialised = True
    _copy_template(available[template], root, spec.encode(), PLACEHOLDER, result)
    if not (root / ".dvc").is_dir():
        _run([sys.executable, "-m", "dvc", "init", "-q"], root, "dvc init")
        result.dvc_initialised = True
    _setup(available[template], root, result)
    if list((root / "pipelines").glob("*.y*ml")) if (root / "pipelines").is_dir() else False:
        from mlops.config import load_project
        from mlops.pipeline.write import compile_project

        compiled = compile_project(load_project(root))
        result.stages = compiled.stages
    return result


def _check_target(root: Path, target: str | os.PathLike[str], force: bool) -> None:
    """A folder, empty unless --force (the example goes next to the files then, none overwritten)."""
    if root.exists() and not root.is_dir():
        raise InputError(f"{target} exists and is not a folder")
    existing = [p.name for p in root.iterdir() if p.name != ".git"] if root.exists() else []
    if existing and not force:
        raise InputError(
            f"{target} is not empty ({', '.join(sorted(existing)[:5])}"
            f"{', ...' if len(existing) > 5 else ''})",
            hint="pass --force to add the example next to your files (none is overwritten)",
        )


def _copy_template(
    source_dir: Traversable, root: Path, spec: bytes, placeholder: bytes, result: InitResult
) -> None:
    """The template's files, with the project name and the install requirement filled in; existing files
    are skipped, never overwritten."""
    for rel, source in _files(source_dir):
        dest = root / rel
        if dest.exists():
            result.skipped.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if rel.endswith(".md"):
            data = data.replace(b"{{project}}", root.name.encode())
        if rel.endswith((".md", ".yml", ".yaml")):
            data = data.replace(placeholder, spec)
        dest.write_bytes(data)
        if rel.startswith("src/") and rel.endswith(".py"):
            dest.chmod(0o755)
        result.created.append(rel)


def _setup(source_dir: Traversable, root: Path, result: InitResult) -> None:
    """The template's setup commands; `{run: [...], creates: path}` is skipped when the path exists."""
    for words in describe(source_dir).get("setup", []) or []:
        if isinstance(words, dict):
            creates = words.get("creates")
            if creates and (root / creates).exists():
                continue
            words = words.get("run", [])
        _run(_command([str(w) for w in words]), root, " ".join(map(str, words)))
        result.setup.append(" ".join(map(str, words)))
