"""`mlops alerts tune`: a reviewed change to the alert policy, proposed from what people did about alerts.

The acknowledgement history says which alerts were acted on and which were ignored; the history's run records
hold each check's effect size and adjusted p-value. For a noisy calibrated rule (drift:, mix:, nulls:) whose
ignored alerts all had smaller effects than the acted-on ones, the proposal raises that column's materiality
threshold between the two; when no threshold separates them, it asks for one more window in a row
(`alert.consecutive`). The rules file is never edited in place: the proposal is a unified diff, or a commit
on a new branch (made with Git plumbing, so the work tree and the current branch are untouched).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import ConfigError, InputError, UsageError
from mlops.monitor.tuning import KEY_BY_KIND, Change, expected_rates, observations, threshold_change

NEW_FILE = "kind: Rules\nversion: 1\n"


@dataclass
class Proposal:
    rules: str  # the rules file, as shown
    changes: list[Change]
    notes: list[str] = field(default_factory=list)  # noisy rules left alone, and why
    before: str = ""
    after: str = ""
    branch: str | None = None
    commit: str | None = None

    def diff(self) -> str:
        if self.before == self.after:
            return ""
        old = f"a/{self.rules}" if self.before else "/dev/null"
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                old,
                f"b/{self.rules}",
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "changes": [c.to_dict() for c in self.changes],
            "notes": self.notes,
            "diff": self.diff(),
            "branch": self.branch,
            "commit": self.commit,
        }


def propose(
    history: Any, rules_path: Path, shown: str, *, noisy_share: float = 0.3, min_fired: int = 3
) -> Proposal:
    from mlops.monitor.alerts import alert_report
    from mlops.monitor.policy import AlertPolicy

    before = _read(rules_path, shown)
    data = _parse(before, shown) if before else {}
    alert = dict(data.get("alert") or {})
    policy = AlertPolicy.from_rules(alert)
    report = alert_report(history, noisy_share=noisy_share, min_fired=min_fired)
    proposal = Proposal(shown, [], before=before)
    stuck = []
    for stats in report.noisy:
        if stats.ignored == 0:
            proposal.notes.append(
                f"{stats.rule}: {', '.join(stats.reasons)}, but nobody said it was noise "
                "(`mlops alerts ack ID --ignored`)"
            )
            continue
        change = _threshold(stats.rule, history, alert, policy.alpha)
        if change is not None:
            proposal.changes.append(change)
        else:
            stuck.append(stats)
    if stuck:
        proposal.changes.append(_consecutive(stuck, policy.consecutive, history))
    if proposal.changes:
        proposal.after = _edited(before or NEW_FILE, proposal.changes, shown)
    else:
        proposal.after = before
    return proposal


def _threshold(rule: str, history: Any, alert: dict[str, Any], alpha: float) -> Change | None:
    """A higher materiality threshold for a calibrated rule (drift:, mix:, nulls:), when one separates the
    ignored alerts from the acted-on ones, with its expected rates."""
    from mlops.monitor.calibration import Materiality

    kind, _, column = rule.partition(":")
    if kind not in KEY_BY_KIND or not column:
        return None
    seen = observations(history, rule)
    current = Materiality.from_rules(alert, column).to_dict()[KEY_BY_KIND[kind]]
    change = threshold_change(rule, seen, current)
    if change is not None:
        expected_rates(change, seen, alpha)
    return change


def _consecutive(stuck: list[Any], current: int, history: Any) -> Change:
    """One more window in a row, for rules whose ignored and acted-on alerts no threshold separates."""
    names = ", ".join(s.rule for s in stuck)
    change = Change(
        names,
        "alert.consecutive",
        current,
        current + 1,
        f"no threshold separates the ignored alerts of {names} from the acted-on ones; short bursts "
        "of noise stop paging, a persistent change still alerts one window later",
    )
    windows = max(len(history.runs), 1)
    change.windows = len(history.runs)
    _replay_streaks(change, history, {s.rule for s in stuck}, current + 1)
    for s in stuck:
        # noise that came alone in a window must now come in current + 1 windows in a row: with the
        # measured rate of ignored alerts per window and independent windows, that rate to the power
        rate = s.ignored / windows
        change.false_alarm_rate = max(change.false_alarm_rate or 0.0, rate ** (current + 1))
    change.power_for = "a persistent change (found one window later)"
    change.power = None
    return change


def _replay_streaks(change: Change, history: Any, rules: set[str], needed: int) -> None:
    """Replay the history: which alerts of RULES would still have fired with NEEDED windows in a row."""
    resolutions = history.resolutions()
    streaks: dict[tuple[Any, Any, str], int] = {}
    for run in history.runs:
        artifact, version = run.get("artifact") or run.get("ref"), run.get("version")
        present = _candidates(run)
        for rule in rules:
            key = (artifact, version, rule)
            streaks[key] = streaks.get(key, 0) + 1 if rule in present else 0
        for alert in run.get("alerts") or ():
            if isinstance(alert, dict) and alert.get("rule") in rules:
                kept = streaks.get((artifact, version, str(alert.get("rule"))), 0) >= needed
                acted = (resolutions.get(str(alert.get("id"))) or {}).get("resolution") == "acted"
                _count(change, kept, acted)


def _candidates(run: dict[str, Any]) -> set[str]:
    return {str(c.get("rule")) for c in run.get("candidates") or () if isinstance(c, dict)}


def _count(change: Change, kept: bool, acted: bool) -> None:
    change.fired_before += 1
    change.fired_after += kept
    change.acted += acted
    change.acted_kept += acted and kept


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot read: {exc}") from None


def _parse(text: str, shown: str) -> dict[str, Any]:
    from mlops.config import read_document

    doc = read_document(shown, shown=shown, expected_kind="Rules", raw=text.encode("utf-8"))
    if not doc.ok:
        raise ConfigError([f for f in doc.findings if f.severity == "error"])
    return dict(doc.data or {})


def _edited(text: str, changes: list[Change], shown: str) -> str:
    """The rules text with each change applied, comments and order kept."""
    from mlops.config.yamlload import YamlProblem, edit_text

    try:
        result = edit_text(text, shown, {change.key: change.new for change in changes})
    except YamlProblem as exc:
        raise InputError(exc.finding.render()) from None
    _parse(result, shown)  # never propose a file that would not load
    return result


def commit_on_branch(root: Path, rel: str, text: str, branch: str, message: str) -> str:
    """Commit TEXT as REL on a new branch from HEAD without touching the work tree or the index."""
    import os
    import tempfile

    from mlops import git

    if git.run(["check-ref-format", "--branch", branch], root, check=False).returncode != 0:
        raise UsageError(f"`{branch}` is not a valid branch name")
    if (
        git.run(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], root, check=False).returncode
        == 0
    ):
        raise UsageError(f"branch `{branch}` already exists", hint="pick another name with --branch")
    head = git.resolve_commit("HEAD", root)
    blob = git.run(["hash-object", "-w", "--stdin"], root, input=text).stdout.strip()
    handle, index = tempfile.mkstemp(prefix="mlops-tune-index-")
    os.close(handle)
    os.unlink(index)  # git wants to create the index file itself
    env = {"GIT_INDEX_FILE": index}
    try:
        git.run(["read-tree", head], root, env=env)
        git.run(["update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}"], root, env=env)
        tree = git.run(["write-tree"], root, env=env).stdout.strip()
    finally:
        if os.path.exists(index):
            os.unlink(index)
    commit = git.run(["commit-tree", tree, "-p", head, "-m", message], root).stdout.strip()
    git.run(["update-ref", f"refs/heads/{branch}", commit, ""], root)
    return commit
