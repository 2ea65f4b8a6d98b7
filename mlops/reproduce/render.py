"""Reports as text (terminal) and Markdown (PR comments, CI summaries). Functions return strings."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mlops.render.text import aligned
from mlops.reproduce.checkout import CheckoutResult
from mlops.reproduce.diff import Change, DiffResult
from mlops.reproduce.rebuild import ReproduceResult


def size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _name(ref: str, commit: str, version: str | None, artifact: str | None) -> str:
    """`model@latest (model@v0.2.0, 5337ca9)`: what the user wrote, and what it named."""
    if artifact and version and ref != f"{artifact}@{version}":
        return f"{ref} ({artifact}@{version}, {commit[:7]})"
    return f"{ref} ({commit[:7]})"


def checkout_text(r: CheckoutResult) -> str:
    where = f" in worktree {r.worktree} (sharing the DVC cache)" if r.worktree else ""
    lines = [f"Checked out {_name(r.ref, r.commit, r.version, r.artifact)}{where}."]
    if r.restored:
        lines += _restored_lines(r)
    elif r.data:
        lines.append("Data already matched this version: nothing to restore.")
    if r.fetched:
        lines.append(f"Downloaded from {r.remote or 'the DVC remote'}: {', '.join(r.fetched)}")
    if r.missing:
        lines.append(
            f"warning: left missing (in neither the DVC cache nor the remote): {', '.join(r.missing)}"
        )
    lines.extend(f"warning: {w}" for w in r.warnings)
    return "\n".join(lines + _way_back(r))


def _way_back(r: CheckoutResult) -> list[str]:
    """How to undo: remove the worktree, or check out what was there before."""
    if r.worktree:
        return [f"Remove it with: git worktree remove {r.worktree}"]
    if r.previous and r.previous not in (r.ref, r.commit):
        return [f"Go back with: mlops checkout {_short(r.previous)}"]
    return []


def _restored_lines(r: CheckoutResult) -> list[str]:
    lines = [f"Restored {len(r.restored)} path(s), {size(r.restored_bytes)}:"]
    width = max(len(x.path) for x in r.restored)
    for x in r.restored:
        count = f" ({x.files} files)" if x.files > 1 else ""
        shown = "" if x.change == "deleted" else f"  {size(x.size)}{count}"
        lines.append(f"  {x.change:<9} {x.path:<{width}}{shown}".rstrip())
    return lines


def _short(ref: str) -> str:
    """A full commit id as its first 12 characters; any other ref as written."""
    if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
        return ref[:12]
    return ref


def reproduce_text(r: ReproduceResult) -> str:
    lines = [
        f"Rebuilt {_name(r.ref, r.commit, r.version, r.artifact)}: re-ran {len(r.stages)} stage(s) "
        f"({', '.join(r.stages)}) without caches."
    ]
    width = max((len(o.path) for o in r.outputs), default=0)
    for o in r.outputs:
        lines += _OUTPUT_LINES.get(o.status, _unrecorded_lines)(o, width)
    bad = len(r.differing)
    total = len(r.outputs)
    if bad:
        lines.append(f"Not reproducible: {bad} of {total} output(s) differ from the commit's dvc.lock.")
    else:
        lines.append(f"Reproducible: all {total} output(s) match the commit's dvc.lock.")
    if r.kept:
        lines.append(
            f"Kept the worktree: {r.kept} (log: {r.log}); remove it with: git worktree remove --force {r.kept}"
        )
    return "\n".join(lines)


def _differs_lines(o: Any, width: int) -> list[str]:
    lines = [
        f"  DIFFERS     {o.path:<{width}}  recorded {(o.expected or '')[:8]} {size(o.expected_size)}, "
        f"rebuilt {(o.actual or '')[:8]} {size(o.actual_size)}  ({o.stage})"
    ]
    if o.files:
        lines.append(
            f"              files that differ: {', '.join(o.files[:10])}"
            + (f" and {len(o.files) - 10} more" if len(o.files) > 10 else "")
        )
    return lines


def _unrecorded_lines(o: Any, width: int) -> list[str]:
    return [f"  UNRECORDED  {o.path:<{width}}  stage {o.stage} is not in the commit's dvc.lock"]


_OUTPUT_LINES: dict[str, Callable[[Any, int], list[str]]] = {  # an output's status -> its report lines
    "reproduced": lambda o, width: [
        f"  reproduced  {o.path:<{width}}  {(o.expected or '')[:8]}  ({o.stage})"
    ],
    "differs": _differs_lines,
    "missing": lambda o, width: [
        f"  MISSING     {o.path:<{width}}  the rebuild did not produce it  ({o.stage})"
    ],
}


def _value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, default=str)
    return str(v)


def _delta(c: Change) -> str:
    if c.delta is None:
        return ""
    pct = ""
    if isinstance(c.old, (int, float)) and c.old:
        pct = f" ({c.delta / abs(c.old) * 100:+.1f}%)"
    return f"{c.delta:+.6g}{pct}"


def _data_value(v: Any) -> str:
    if not v:
        return "-"
    return f"{str(v.get('md5') or '?')[:8]} {size(v.get('size'))}"


def _rows(section: str, changes: list[Change]) -> list[list[str]]:
    rows = []
    for c in changes:
        if section == "metrics":
            rows.append([c.key, _value(c.old), _value(c.new), _delta(c)])
        elif section == "data":
            rows.append([c.key, _data_value(c.old), _data_value(c.new), c.detail or ""])
        elif section == "stages":
            rows.append([c.key, c.detail or ""])
        else:
            rows.append([c.key, _value(c.old), _value(c.new)] + ([c.detail] if c.detail else []))
    return rows


HEADERS = {
    "params": ["param", "{a}", "{b}"],
    "metrics": ["metric", "{a}", "{b}", "change"],
    "data": ["path", "{a}", "{b}", "role"],
    "stages": ["stage or file", "change"],
    "rules": ["rule", "{a}", "{b}"],
}
SECTIONS = ["params", "metrics", "data", "stages", "rules"]


def diff_text(r: DiffResult) -> str:
    a, b = r.a.ref, r.b.ref
    lines = [
        f"Changes from {_name(a, r.a.commit, r.a.version, r.a.artifact)} to "
        f"{_name(b, r.b.commit, r.b.version, r.b.artifact)}:"
    ]
    if r.empty:
        lines.append("No differences in params, metrics, data, stages or rules.")
    for section in SECTIONS:
        changes = getattr(r, section)
        if not changes:
            continue
        header = [h.format(a=a, b=b) for h in HEADERS[section]]
        rows = _rows(section, changes)
        lines.append("")
        lines.append(f"{section.capitalize()} ({len(changes)} changed)")
        lines.extend(aligned([header, *rows], indent="  "))
    return "\n".join(lines)


def diff_markdown(r: DiffResult) -> str:
    a, b = r.a.ref, r.b.ref
    lines = [f"### Changes from `{a}` ({r.a.commit[:7]}) to `{b}` ({r.b.commit[:7]})"]
    if r.empty:
        lines += ["", "No differences in params, metrics, data, stages or rules."]
    for section in SECTIONS:
        changes = getattr(r, section)
        if not changes:
            continue
        header = [h.format(a=f"`{a}`", b=f"`{b}`") for h in HEADERS[section]]
        rows = _rows(section, changes)
        cols = max(len(header), *(len(row) for row in rows))
        header += [""] * (cols - len(header))
        lines += [
            "",
            f"**{section.capitalize()}** ({len(changes)} changed)",
            "",
            "| " + " | ".join(header) + " |",
            "|" + " --- |" * cols,
        ]
        for row in rows:
            cells = [cell.replace("|", "\\|") for cell in row + [""] * (cols - len(row))]
            lines.append(
                "| " + " | ".join(f"`{cells[0]}`" if i == 0 else c for i, c in enumerate(cells)) + " |"
            )
    return "\n".join(lines)
