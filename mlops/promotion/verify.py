"""Audit: every stage tag of a review-required stage is proven by a merged registry.yaml change.

A tag is proven when all of these hold:
- it records a merge commit on the protected branch's first-parent history, whose registry.yaml change
  (against its first parent) set that stage to that version, with the value coming from the merged side;
- the tag is on that version's commit (the fold gives the version of the commit it points at);
- it was created after that merge commit;
- it is the only tag proving that change (a copied message or an extra tag claims a change already claimed);
- it records passing gates, and, with `signing: required`, carries a good signature from a key in the
  allowed-signers file as committed on the protected branch.
Each tag that fails is listed with every reason.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import git
from mlops.errors import UnknownReference, UsageError
from mlops.promotion.changes import diff_desired
from mlops.promotion.desired import Desired, parse_desired
from mlops.promotion.fallback import is_fallback
from mlops.promotion.fallback_audit import audit
from mlops.promotion.policy import Policy, policy_at
from mlops.timeutil import parse_time


@dataclass
class TagCheck:
    tag: str
    artifact: str
    stage: str
    version: str | None
    kind: str
    merge: str | None = None
    problems: list[str] = field(default_factory=list)
    emergency: str = ""  # a fallback tag (mlops fallback): "awaiting ratification" or "ratified by merge ..."

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "artifact": self.artifact,
            "stage": self.stage,
            "version": self.version,
            "event": self.kind,
            "merge_commit": self.merge,
            "ok": self.ok,
            "problems": self.problems,
            "emergency": self.emergency or None,
        }


@dataclass
class VerifyReport:
    branch: str
    signing_required: bool = False
    checks: list[TagCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[TagCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def awaiting(self) -> list[TagCheck]:
        """Fallback tags no reviewed registry.yaml change has ratified yet (reported, not failures)."""
        from mlops.promotion.fallback_audit import AWAITING

        return [c for c in self.checks if c.ok and c.emergency == AWAITING]

    def to_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "passed": not self.failures,
            "checked": len(self.checks),
            "proven": len(self.checks) - len(self.failures),
            "signing_required": self.signing_required,
            "awaiting_ratification": [c.tag for c in self.awaiting],
            "tags": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class MergedChange:
    merge: str
    artifact: str
    stage: str
    version: str | None  # None: the stage was emptied
    time: int  # committer time of the merge
    from_side: bool  # the value is in the merged branch (not written by the merge commit itself)


def branch_ref(root: Any, branch: str) -> str:
    for candidate in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        try:
            return git.resolve_commit(candidate, root)
        except UnknownReference:
            continue
    raise UnknownReference(f"protected branch `{branch}` not found (locally or as origin/{branch})")


def verify(root: Any = None, *, since: str | None = None) -> VerifyReport:
    """`since`: only tags written after this time (ISO 8601) or after this tag (tags from before mlops)."""
    from mlops.config.project import find_root, load_project
    from mlops.registry import read_state

    top = find_root(root)
    head_project = load_project(top, commit=git.resolve_commit("HEAD", top))
    branch = policy_at(top, git.resolve_commit("HEAD", top), head_project.promotion).protected_branch
    tip = branch_ref(top, branch)
    project = load_project(top, commit=tip)
    policy = policy_at(top, tip, project.promotion)
    state = read_state(top)
    start = _since(state, since)
    changes = merged_changes(top, tip, project.registry, policy)
    report = VerifyReport(policy.protected_branch, policy.signing_required)
    claimed: dict[tuple[str, str, str, str | None], str] = {}
    with _Signatures(top, tip, policy) as signatures:
        for event in _reviewed_events(state, policy, start):
            check = TagCheck(event.tag, event.artifact, event.stage or "", event.version, event.kind)
            _judge(top, (tip, state), event, changes, claimed, check)
            if policy.signing_required:
                check.problems.extend(signatures.problems(event.tag))
            report.checks.append(check)
    return report


def _reviewed_events(state: Any, policy: Policy, start: Any) -> list[Any]:
    """Stage changes since START in stages that require review, of artifacts the policy knows."""
    return [
        event
        for event in state.events
        if event.kind in ("assign", "unassign")
        and (start is None or event.date > start)
        and _reviewed(policy, event)
    ]


def _reviewed(policy: Policy, event: Any) -> bool:
    stage = policy.stages.get(event.stage or "")
    return stage is not None and stage.review_required and event.artifact in policy.artifacts


def _judge(
    top: Path,
    view: tuple[str, Any],
    event: Any,
    changes: dict[str, list[MergedChange]],
    claimed: dict[tuple[str, str, str, str | None], str],
    check: TagCheck,
) -> None:
    if is_fallback(event):  # break-glass: judged against the declared fallback, then ratification
        found = audit(top, view[0], view[1], event, changes)
        check.problems, check.emergency = found.problems, found.emergency
        return
    check.problems = _problems(top, event, changes, claimed, check)
    check.problems.extend(_gate_problems(event.message_data))


def merged_changes(root: Path, tip: str, registry: str, policy: Policy) -> dict[str, list[MergedChange]]:
    """Merge commit -> the registry.yaml values it changed, for every merge on TIP's first-parent history."""
    out = git.output(
        ["log", "--first-parent", "--format=%H %ct %P", "--end-of-options", tip, "--", registry], root
    )
    rows = [line.split() for line in out.splitlines() if len(line.split()) >= 4]  # merges only
    blobs = git.cat_file_batch(root, [f"{c}:{registry}" for row in rows for c in (row[0], row[2], row[3])])
    found: dict[str, list[MergedChange]] = {}
    for i, (merge, when, first, side, *_rest) in enumerate(rows):
        at, before, theirs = (
            _desired(blobs[3 * i + k], registry, c) for k, c in enumerate((merge, first, side))
        )
        for change in diff_desired(before, at, policy.stage_names):
            if change.removed:
                continue
            from_side = theirs.get(change.artifact, {}).get(change.stage, "<absent>") == change.after
            found.setdefault(merge, []).append(
                MergedChange(merge, change.artifact, change.stage, change.after, int(when), from_side)
            )
    return found


def _desired(raw: bytes | None, registry: str, commit: str) -> Desired:
    try:
        return parse_desired(raw, f"{registry}@{commit[:12]}")
    except Exception:  # noqa: BLE001 - an unreadable registry.yaml proves nothing
        return {}


def _problems(
    root: Path,
    event: Any,
    changes: dict[str, list[MergedChange]],
    claimed: dict[tuple[str, str, str, str | None], str],
    check: TagCheck,
) -> list[str]:
    merge, problem = _recorded_merge(root, event)
    if merge is None:
        return [problem]
    check.merge = merge
    if merge not in changes:
        return [_why_not_a_change(root, merge)]
    mine = [c for c in changes[merge] if c.artifact == event.artifact and c.stage == event.stage]
    if not mine:
        return [f"merge {merge[:12]} did not change {event.artifact}.{event.stage} in registry.yaml"]
    problems = _change_problems(event, mine[0], merge)
    key = (merge, event.artifact, event.stage, event.version if event.kind == "unassign" else None)
    if key in claimed:
        problems.append(
            f"merge {merge[:12]}'s change is already proven by tag {claimed[key]} (a copied message "
            "or an extra tag: one tag per change)"
        )
    elif not problems:
        claimed[key] = event.tag
    return problems


def _recorded_merge(root: Path, event: Any) -> tuple[str | None, str]:
    """The merge commit the tag's message names, or why there is none."""
    recorded = event.message_data.get("merge_commit")
    if not recorded or not isinstance(recorded, str):
        return None, "records no merge commit (not written by `mlops sync` after a merged pull request)"
    try:
        return git.resolve_commit(recorded, root), ""
    except UnknownReference:
        return None, f"recorded merge commit {recorded[:12]} does not exist in this repository"


def _change_problems(event: Any, change: MergedChange, merge: str) -> list[str]:
    """What the tag says against what the merge changed: the value, its origin and the time."""
    want = event.version if event.kind == "assign" else None
    problems = []
    if not change.from_side:
        problems.append(
            f"merge commit {merge[:12]} itself wrote {event.stage}: {change.version} (it is not in "
            "the merged branch)"
        )
    if event.kind == "assign" and change.version != want:
        problems.append(
            f"merge {merge[:12]} set {event.stage}: {change.version}, but the tag is on {want}'s commit"
        )
    if event.kind == "unassign" and change.version is not None:
        problems.append(f"merge {merge[:12]} set {event.stage}: {change.version}, not an empty stage")
    if event.timestamp < change.time:
        problems.append(f"created before merge {merge[:12]} (a tag cannot prove a change made after it)")
    return problems


def _why_not_a_change(root: Path, merge: str) -> str:
    parents = git.output(["rev-list", "--parents", "-n", "1", "--end-of-options", merge], root).split()[1:]
    if len(parents) < 2:
        return f"recorded merge {merge[:12]} is not a merge commit"
    return (
        f"recorded merge {merge[:12]} is not on the first-parent history of the protected branch, or "
        "changed nothing in registry.yaml"
    )


def _gate_problems(data: dict[str, Any]) -> list[str]:
    gates = data.get("gates")
    if not isinstance(gates, list) or data.get("gates_passed") is not True:
        return ["records no passing gate results"]
    bad = [
        g.get("gate", "?") if isinstance(g, dict) else "?"
        for g in gates
        if not isinstance(g, dict) or g.get("passed") is not True
    ]
    return ["records failed gates: " + ", ".join(map(str, bad))] if bad else []


class _Signatures:
    """`git tag -v` against the allowed-signers file as committed on the protected branch."""

    def __init__(self, root: Path, tip: str, policy: Policy) -> None:
        self.root, self.tip, self.policy = root, tip, policy
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.allowed: Path | None = None

    def __enter__(self) -> _Signatures:
        if self.policy.signing_required:
            raw = git.show_file(self.tip, self.policy.allowed_signers, self.root)
            if raw is not None:
                self._dir = tempfile.TemporaryDirectory(prefix="mlops-verify-")
                self.allowed = Path(self._dir.name) / "allowed_signers"
                self.allowed.write_bytes(raw)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._dir is not None:
            self._dir.cleanup()

    def problems(self, tag: str) -> list[str]:
        if self.allowed is None:
            return [
                f"signing is required but {self.policy.allowed_signers} is not on "
                f"{self.policy.protected_branch}"
            ]
        proc = git.run(
            ["-c", f"gpg.ssh.allowedSignersFile={self.allowed}", "tag", "-v", "--end-of-options", tag],
            self.root,
            check=False,
        )
        if proc.returncode == 0:
            return []
        detail = git.last_line(proc)
        if "no signature found" in proc.stderr:
            return ["is not signed (signing: required)"]
        return [f"signature not verified against {self.policy.allowed_signers}: {detail}"]


def _since(state: Any, since: str | None) -> datetime | None:
    if since is None:
        return None
    moment = parse_time(since)
    if moment is not None:
        return moment
    for event in state.events:
        if event.tag == since:
            return event.date
    raise UsageError(f"--since `{since}` is neither a time (2026-11-24T05:00:00Z) nor a registry tag")
