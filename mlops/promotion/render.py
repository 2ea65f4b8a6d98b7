"""Evaluations as text (terminal), Markdown (a PR comment or job summary) and JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from mlops.promotion.gates import fmt
from mlops.promotion.results import Evaluation, GateResult

_MARK = {"pass": "✅ pass", "FAIL": "❌ fail", "skip": "➖ skip"}


def _value(value: Any) -> str:
    if value is None:
        return ""
    return fmt(value)


def _subject(r: GateResult) -> str:
    text = r.gate
    if r.slice:
        text += f" [slice {r.slice}]"
    return text


def text(evaluations: list[Evaluation], *, verbose: bool = True) -> str:
    if not evaluations:
        return "no promotions to check"
    lines = []
    for ev in evaluations:
        verdict = "ok" if ev.passed else "REFUSED"
        review = " (review required)" if ev.review_required else ""
        lines.append(f"{ev.title}{review}: {verdict}")
        lines += [_text_row(r) for r in ev.results if verbose or not r.passed]
        if not ev.results:
            lines.append("  (no gates)")
    return "\n".join(lines)


def _text_row(r: GateResult) -> str:
    detail = r.message
    if not detail and r.value is not None:
        detail = f"{_value(r.value)}" + (
            f" (threshold {_value(r.threshold)})" if r.threshold is not None else ""
        )
    return f"  {r.status:<4}  {_subject(r)}" + (f": {detail}" if detail else "")


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(
    evaluations: list[Evaluation], *, base: str | None = None, notes: list[str] | None = None
) -> str:
    failed = [ev for ev in evaluations if not ev.passed]
    out = [
        f"## mlops gate: {len(evaluations)} promotion{'s' if len(evaluations) != 1 else ''} checked, "
        f"{len(failed)} refused" + (f" (against `{base}`)" if base else ""),
        "",
    ]
    for note in notes or []:
        out += [f"> **Note:** {note}", ""]
    if not evaluations:
        out.append("No stage assignment changed in `registry.yaml`.")
        return "\n".join(out) + "\n"
    for ev in evaluations:
        out += _markdown_evaluation(ev)
    return "\n".join(out)


def _markdown_evaluation(ev: Evaluation) -> list[str]:
    icon = "✅" if ev.passed else "❌"
    out = [f"### {icon} {_cell(ev.title)}"]
    facts = _markdown_facts(ev)
    if facts:
        out += ["", " · ".join(facts)]
    out.append("")
    if ev.results:
        out += ["| gate | value | threshold | result |", "| --- | --- | --- | --- |"]
        out += [_markdown_row(r) for r in ev.results]
    else:
        out.append("No gates apply.")
    if ev.deltas:
        out += _markdown_deltas(ev)
    out.append("")
    return out


def _markdown_facts(ev: Evaluation) -> list[str]:
    facts = []
    if ev.previous is not None:
        facts.append(f"registry.yaml: `{ev.previous}` → `{ev.version or 'null'}`")
    if ev.commit:
        facts.append(f"version commit `{ev.commit[:12]}`")
    if ev.review_required:
        facts.append("review required: applied by `mlops sync` after the merge")
    return facts


def _markdown_row(r: GateResult) -> str:
    threshold = _value(r.threshold)
    if r.incumbent and r.incumbent_value is not None:
        threshold += f" ({r.incumbent}: {_value(r.incumbent_value)})"
    result = _MARK[r.status] + (f": {r.message}" if r.message and (not r.passed or r.skipped) else "")
    return f"| {_cell(_subject(r))} | {_cell(_value(r.value))} | {_cell(threshold)} | {_cell(result)} |"


def _markdown_deltas(ev: Evaluation) -> list[str]:
    out = [
        "",
        f"<details><summary>Metrics against the incumbent {ev.incumbent}</summary>",
        "",
        f"| metric | slice | {ev.version} | {ev.incumbent} | change |",
        "| --- | --- | --- | --- | --- |",
    ]
    for d in ev.deltas:
        change = "" if d.change is None else f"{d.change:+.6g}"
        out.append(
            f"| {_cell(d.metric)} | {_cell(d.slice or '')} | {_value(d.value)} | "
            f"{_value(d.incumbent_value)} | {change} |"
        )
    return out + ["", "</details>"]


def as_json(evaluations: list[Evaluation], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "passed": all(ev.passed for ev in evaluations),
        "promotions": [ev.to_dict() for ev in evaluations],
    }
