"""`mlops run`: compile when stale, then `dvc repro`, streaming DVC's output and passing its exit status.

DVC runs in a child process with the current Python's bin folder first on PATH, so the `mlops validate`
and `python` commands of the stages use the same installation as `mlops run` itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config.yamlload import YamlProblem, load_json
from mlops.errors import InputError, UsageError


@dataclass
class FailedValidation:
    stage: str
    report: str
    failures: list[str]


@dataclass
class RunResult:
    returncode: int
    compiled: bool  # dvc.yaml was rewritten before running
    targets: list[str]
    command: list[str]
    failed_validations: list[FailedValidation] = field(default_factory=list)


def resolve_targets(pipeline: Any, targets: list[str]) -> list[str]:
    """Stage names as dvc.yaml has them; a foreach/matrix template name selects all its expansions."""
    names = pipeline.names()
    known = set(names)
    groups: dict[str, list[str]] = {}
    for (_, template), expanded in pipeline.by_template.items():
        groups.setdefault(template, []).extend(expanded)
    out: list[str] = []
    for target in targets:
        if target in known:
            chosen = [target]
        elif target in groups:
            chosen = groups[target]
        else:
            from mlops.suggest import did_you_mean

            hint = did_you_mean(target, names + list(groups))
            raise UsageError(f"no stage named `{target}`{hint}", hint="`dvc stage list` shows every stage")
        out.extend(n for n in chosen if n not in out)
    return out


def dvc_env() -> dict[str, str]:
    """DVC runs git too: give it git's keep-list environment, so GIT_DIR from a hook never leaks into it."""
    from mlops.git import clean_env

    env = clean_env()
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def run(project: Any, targets: list[str], dvc_args: list[str]) -> RunResult:
    from mlops.pipeline.compiler import is_generated
    from mlops.pipeline.write import compile_project, current, plan

    if not (Path(project.root) / ".dvc").is_dir():
        raise InputError("not a DVC repository (no .dvc folder)", hint="run `dvc init` (or `mlops init`)")
    compiled, pipeline = plan(project)
    existing = current(project)
    rewrote = False
    if existing != compiled.text:
        if existing is not None and not is_generated(existing):
            from mlops.pipeline.write import ADOPT_HINT

            raise InputError(
                f"{project.dvc_yaml} was not written by mlops; refusing to overwrite it", hint=ADOPT_HINT
            )
        compile_project(project)
        rewrote = True
    names = resolve_targets(pipeline, targets)
    command = [sys.executable, "-m", "dvc", "repro", *names, *dvc_args]
    started = time.time()
    try:
        proc = subprocess.run(command, cwd=project.root, env=dvc_env())
    except KeyboardInterrupt:
        raise
    result = RunResult(proc.returncode, rewrote, names, command)
    if proc.returncode != 0:
        result.failed_validations = failed_validations(project, pipeline, started)
        if result.failed_validations:
            result.returncode = 1  # a check failed (SPEC section 5), not DVC's generic 255
    return result


def failed_validations(project: Any, pipeline: Any, since: float) -> list[FailedValidation]:
    failed = []
    for stage in pipeline.stages:
        if stage.kind != "validate" or stage.report is None:
            continue
        path = Path(project.root) / stage.report.path
        try:
            if path.stat().st_mtime < since - 1:
                continue
            report = load_json(path.read_bytes(), stage.report.path)  # the bounded reader
        except (OSError, ValueError, YamlProblem):
            continue
        if isinstance(report, dict) and report.get("passed") is False:
            failed.append(FailedValidation(stage.name, stage.report.path, summarise(report)))
    return failed


def summarise(report: dict[str, Any], limit: int = 10) -> list[str]:
    """One line per failed error rule, from whatever list of rule results the report holds."""
    lines: list[str] = []

    def visit(value: Any, depth: int) -> None:
        if depth > 4 or len(lines) >= limit:
            return
        if isinstance(value, list):
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict):
            status = value.get("status")
            failed = value.get("passed") is False or status in ("failed", "fail", "error")
            name = value.get("rule") or value.get("name") or value.get("check")
            if failed and isinstance(name, str):
                severity = value.get("severity", "error")
                if severity in ("error", None):
                    column = value.get("column")
                    where = f"{column}: " if isinstance(column, str) and column not in name else ""
                    message = value.get("message") or value.get("detail") or ""
                    lines.append(f"{where}{name}" + (f": {message}" if message else ""))
                return
            for key, item in value.items():
                if isinstance(item, (list, dict)) and key not in ("sample", "samples", "examples"):
                    visit(item, depth + 1)

    visit(report, 0)
    return lines
