"""Write the generated pages (atomically), or report which are stale (`--check`).

A page carries a marker line; only marked pages are overwritten or removed, so a hand-written page in the
output folder is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.docgen import pages
from mlops.docgen.sources import Sources
from mlops.errors import UsageError


@dataclass
class DocResult:
    output: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # differ from what would be written (or missing)
    removed: list[str] = field(default_factory=list)  # generated before, no longer (with check: would be)
    check: bool = False

    @property
    def ok(self) -> bool:
        return not (self.check and (self.stale or self.removed))

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "check": self.check,
            "ok": self.ok,
            "written": self.written,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "removed": self.removed,
        }


def render(sources: Sources) -> dict[str, str]:
    """Page path (relative to the output folder) -> Markdown."""
    titles = {
        "promotion.md": "Promotion policy",
        "artifacts.md": "Artifacts and stages",
        "rules.md": "Data rules",
    }
    out = {
        "promotion.md": pages.policy_page(sources),
        "artifacts.md": pages.artifacts_page(sources),
        "rules.md": pages.rules_page(sources),
    }
    for pf in sources.pipelines:
        name = f"pipelines/{pages.pipeline_name(pf.path)}.md"
        out[name] = pages.pipeline_page(pf, sources)
        titles[name] = f"Pipeline {pages.pipeline_name(pf.path)}"
    out["index.md"] = pages.index_page(sources, titles)
    return dict(sorted(out.items()))


def sync(folder: Path, shown: str, wanted: dict[str, str], *, check: bool) -> DocResult:
    from mlops import atomic

    result = DocResult(shown, check=check)
    for rel, text in wanted.items():
        target = folder / rel
        current = _read(target)
        if current == text:
            result.unchanged.append(f"{shown}/{rel}")
            continue
        if current is not None and pages.MARKER not in current:
            raise UsageError(
                f"{shown}/{rel} exists and was not written by `mlops doc`; refusing to overwrite it",
                hint="move it, or choose another folder with -o",
            )
        if check:
            result.stale.append(f"{shown}/{rel}")
        else:
            atomic.write_text(target, text)
            result.written.append(f"{shown}/{rel}")
    for old in _generated(folder):
        rel = old.relative_to(folder).as_posix()
        if rel not in wanted:
            result.removed.append(f"{shown}/{rel}")
            if not check:
                old.unlink()
    return result


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""


def _generated(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md") if pages.MARKER in (_read(p) or ""))
