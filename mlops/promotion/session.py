"""One promotion run's view of the repository: project layout, policy, tags, the time, a file cache."""

from __future__ import annotations

import os
from datetime import datetime

from mlops import git
from mlops.config.project import Project, load_project
from mlops.promotion.evaluate import Context
from mlops.promotion.files import FileReader
from mlops.promotion.policy import load_policy, policy_at
from mlops.timeutil import utcnow


def open_context(
    root: str | os.PathLike[str] | None = None,
    *,
    committed: bool = False,
    now: datetime | None = None,
    state: object | None = None,
) -> tuple[Project, Context]:
    """`committed`: read promotion.yaml at HEAD (CI, sync) rather than from the work tree (promote)."""
    from mlops.registry import read_state

    project = load_project(root)
    head = git.resolve_commit("HEAD", project.root)
    policy = (
        policy_at(project.root, head, project.promotion)
        if committed
        else load_policy(project.root, project.promotion)
    )
    ctx = Context(
        project.root,
        policy,
        state if state is not None else read_state(project.root),
        now or utcnow(),
        head,
        FileReader(project.root),
    )
    return project, ctx


def refresh(ctx: Context) -> None:
    """Re-read the tags after writing one (the next promotion's incumbent and soak depend on it)."""
    from mlops.registry import read_state

    ctx.state = read_state(ctx.root)
