"""API: operating a stage in production: the break-glass fallback and service-level objectives."""

from __future__ import annotations

import os
from datetime import datetime

from mlops.monitor.slo import SloReport
from mlops.promotion.fallback import FallbackResult

__all__ = ["fallback", "slo"]

Root = str | os.PathLike[str] | None


def fallback(
    artifact: str,
    stage: str,
    *,
    reason: str,
    evidence: str | None = None,
    push: bool = False,
    root: Root = None,
    now: datetime | None = None,
) -> FallbackResult:
    """Assign the fallback that STAGE declares on the protected branch (`previous` or a pinned version) now,
    without a pull request; the tag records the reason, who ran it and the evidence. Status "refused" when
    the declared fallback never passed the stage's gates; UsageError when the stage declares none."""
    from mlops.promotion.fallback import fallback as run

    return run(artifact, stage, reason=reason, evidence=evidence, push=push, root=root, now=now)


def slo(artifact: str | None = None, *, root: Root = None, now: datetime | None = None) -> SloReport:
    """Each service-level objective of each stage (`slo:` in promotion.yaml) for the version holding the stage,
    judged on the monitoring history: met, breached or no data, with the runs behind it."""
    from mlops.config.project import load_project
    from mlops.monitor.slo import Histories, evaluate
    from mlops.promotion.policy import load_policy
    from mlops.registry import read_state
    from mlops.timeutil import utcnow

    project = load_project(root)  # the work tree's policy, as `status` reads it (a new project has no commit)
    policy = load_policy(project.root, project.promotion)
    if artifact is not None:
        policy.artifact(artifact)  # unknown artifact: exit 2 with a suggestion
    state = read_state(project.root)
    return evaluate(policy, state, Histories(project.root), now or utcnow(), artifact=artifact)
