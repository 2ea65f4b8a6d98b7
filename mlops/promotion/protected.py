"""The protected side decides: a registry.yaml change is judged under the policy, the project file
(`mlops.yaml`), the rules and the monitoring histories as they are on the protected side (the merge base for
`gate`, the merge commit's first parent for `sync`), never as the change has them.

A change that edits any of those files together with registry.yaml is refused: a policy change travels in
its own reviewed pull request, so nobody can loosen a gate and use the looser gate in the same change. The
files are taken from the protected side and from the change (a policy moved through mlops.yaml counts).
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import git
from mlops.config.project import PROJECT_FILE, Project, load_project
from mlops.promotion.evaluate import Context
from mlops.promotion.files import FileReader
from mlops.promotion.policy import Policy, policy_at


def open_at(
    root: Path, decider: str, head: str, *, now: datetime, state: Any, label: str
) -> tuple[Project, Context]:
    """The project and an evaluation context as the protected commit DECIDER has them."""
    from mlops.errors import InputError

    project = load_project(root, commit=decider)
    try:
        policy = policy_at(root, decider, project.promotion)
    except InputError:
        raise InputError(
            f"{project.promotion} is not in {label}, the protected side that judges this change",
            hint="add the policy in its own pull request, merge it, then change registry.yaml",
        ) from None
    ctx = Context(
        root,
        policy,
        state,
        now,
        head,
        FileReader(root),
        history_at=decider,
        history_label=label,
        dvc_yaml=project.dvc_yaml,
    )
    return project, ctx


def changed_files(root: Path, before: str, after: str) -> list[str]:
    out = git.run_bytes(
        ["diff", "--name-only", "--no-renames", "-z", "--end-of-options", before, after, "--"], root
    ).stdout
    return [p for p in out.split("\0") if p]


def guarded_files(project: Project, policy: Policy) -> tuple[set[str], list[str]]:
    """(exact paths, glob patterns) of the files that decide promotions, as one side names them."""
    exact = {PROJECT_FILE, project.promotion, policy.allowed_signers, project.evaluation}
    for stage in policy.stages.values():
        for gate in stage.gates:
            if gate.kind == "monitor" and gate.path:
                exact.add(gate.path)
    return exact, list(project.rules)


def policy_edits(root: Path, before: str, after: str, protected: tuple[Project, Policy]) -> list[str]:
    """Files that decide promotions edited between BEFORE and AFTER, when registry.yaml changes too."""
    changed = changed_files(root, before, after)
    project, policy = protected
    if project.registry not in changed:
        return []
    exact, patterns = guarded_files(project, policy)
    try:  # the change's own view: a policy moved through mlops.yaml is caught under its new name
        theirs = load_project(root, commit=after)
        exact.add(theirs.promotion)
        patterns.extend(theirs.rules)
        exact.add(policy_at(root, after, theirs.promotion).allowed_signers)
    except Exception:  # noqa: BLE001 - an unreadable mlops.yaml or policy in the change is itself an edit
        pass
    return [p for p in changed if p in exact or any(fnmatch.fnmatch(p, pat) for pat in patterns)]


def refusal(edits: list[str], registry: str) -> str:
    return (
        f"this change edits {', '.join(edits)} together with {registry}: files that decide promotions "
        "(policy, mlops.yaml, rules, monitoring history) change in their own pull request, reviewed and "
        "merged first; the registry change is judged under the protected branch's version of them"
    )
