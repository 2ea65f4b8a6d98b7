"""Where a registry.yaml value came from: the commit that changed it, the merge that brought it, the PR.

Review-required stages accept a change only when it reached the protected branch through a merge commit on
its first-parent history, with the value coming from the merged side (not written by the merge itself). A
commit made directly on the branch, a squash or a rebase merge all look like single-parent commits locally,
so they are refused for such stages: a merge message can be typed by anyone, a merge commit's shape cannot
be produced without a second parent that carries the change.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops import git
from mlops.promotion.desired import Desired, parse_desired

_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_GITLAB_MR = re.compile(r"^See merge request \S+!(\d+)\s*$", re.MULTILINE)

_MISSING = object()


@dataclass(frozen=True)
class Provenance:
    change: str | None  # the commit that wrote the value (on the merged branch when there is a merge)
    merge: str | None  # the first-parent merge commit that brought it, when it came through one
    pr: int | None
    direct: bool  # the value was written by a single-parent commit on the first-parent line
    reason: str = ""  # why a review-required stage would refuse this, when it would

    @property
    def reviewed(self) -> bool:
        return self.merge is not None and not self.reason

    def to_dict(self) -> dict[str, Any]:
        return {"registry_change": self.change, "merge_commit": self.merge, "pr": self.pr}


def pr_number(message: str) -> int | None:
    """The pull request a merge message names: GitHub merge or squash messages, GitLab merge requests."""
    lines = message.strip().splitlines()
    subject = lines[0] if lines else ""
    for pattern in (_MERGE_PR, _SQUASH_PR):
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    match = _GITLAB_MR.search(message)
    return int(match.group(1)) if match else None


class Tracer:
    """Finds the provenance of registry.yaml values on the first-parent history of a commit."""

    def __init__(self, root: Path, rel: str) -> None:
        self.root = root
        self.rel = rel
        self._desired: dict[str, Desired] = {}

    def desired(self, commit: str) -> Desired:
        if commit not in self._desired:
            self._desired[commit] = parse_desired(
                git.show_file(commit, self.rel, self.root), f"{self.rel}@{commit[:12]}"
            )
        return self._desired[commit]

    def value(self, commit: str | None, artifact: str, stage: str) -> Any:
        if commit is None:
            return _MISSING
        try:
            return self.desired(commit).get(artifact, {}).get(stage, _MISSING)
        except Exception:  # noqa: BLE001 - an unreadable old registry.yaml counts as "different"
            return _MISSING

    def trace(self, head: str, artifact: str, stage: str) -> Provenance:
        current = self.value(head, artifact, stage)
        out = git.output(["log", "--first-parent", "--format=%H %P", head, "--", self.rel], self.root)
        for line in out.splitlines():
            commit, *parents = line.split()
            if self.value(commit, artifact, stage) == self.value(
                parents[0] if parents else None, artifact, stage
            ):
                continue
            if self.value(commit, artifact, stage) != current:
                break  # changed later by a commit that touched something else: cannot happen, be safe
            message = git.output(["log", "-1", "--format=%B", commit], self.root)
            if len(parents) < 2:
                return Provenance(
                    commit,
                    None,
                    pr_number(message),
                    True,
                    f"the change came from commit {commit[:12]} made directly on the branch "
                    "(not through a merge commit)",
                )
            merge, side = commit, parents[1]
            if self.value(side, artifact, stage) != current:
                return Provenance(
                    commit,
                    merge,
                    pr_number(message),
                    False,
                    f"merge commit {merge[:12]} itself wrote the value (it is not in the merged branch)",
                )
            change = self._change_on_side(parents[0], side, artifact, stage, current)
            return Provenance(change, merge, pr_number(message), False)
        return Provenance(
            None, None, None, True, f"no commit on the first-parent history changed {artifact}.{stage}"
        )

    def _change_on_side(self, base: str, side: str, artifact: str, stage: str, current: Any) -> str | None:
        out = git.output(["log", "--format=%H %P", f"{base}..{side}", "--", self.rel], self.root)
        for line in out.splitlines():
            commit, *parents = line.split()
            before = self.value(parents[0] if parents else None, artifact, stage)
            if self.value(commit, artifact, stage) == current and before != current:
                return commit
        return side


def who(root: Path) -> str:
    """Who ran the command: the CI actor when there is one, else Git's committer identity."""
    actor = os.environ.get("GITHUB_ACTOR") or os.environ.get("GITLAB_USER_LOGIN")
    ident = git.identity(root, "committer") or ""  # the tagger of the tags it writes
    if actor:
        return f"{actor} (CI; git identity {ident})" if ident else f"{actor} (CI)"
    return ident or "unknown"


def ci_run() -> str | None:
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repo and run:
        return f"{server}/{repo}/actions/runs/{run}"
    return os.environ.get("CI_JOB_URL")
