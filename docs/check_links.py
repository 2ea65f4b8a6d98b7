"""Check the links of README.md, CONTRIBUTING.md and every page under docs/: each relative link names a file or
folder of the repository, each `#anchor` a heading of its target, and no link leaves the repository.

    python docs/check_links.py     # prints `FILE:LINE: broken link ...` and exits 1 on any problem

`mkdocs build --strict` checks the links between docs pages too; this also covers the README (rendered by the
forge, so its anchors follow GitHub's rules) and the links from docs pages into the rest of the repository.
Standard library only, so it runs in well under a second.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"\{[^}]*#([\w-]+)[^}]*\}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def pages() -> list[Path]:
    return [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted(DOCS.rglob("*.md"))]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks, with inline code removed (a link inside code is not a link)."""
    out: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, re.sub(r"`+[^`]*`+", "", line)))
    return out


def _heading_text(raw: str) -> str:
    text = EXPLICIT_ID.sub("", raw)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    return re.sub(r"[`*_]", "", text).strip()


def mkdocs_slug(text: str) -> str:
    """Python-Markdown's toc slugify, as mkdocs uses it."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def github_slug(text: str) -> str:
    value = re.sub(r"[^\w\- ]", "", text.lower())
    return value.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    slug = mkdocs_slug if DOCS in path.parents else github_slug
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        explicit = EXPLICIT_ID.search(match.group(2))
        base = explicit.group(1) if explicit else slug(_heading_text(match.group(2)))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}{'_' if slug is mkdocs_slug else '-'}{count}")
    return found


def problems(path: Path) -> list[str]:
    out: list[str] = []
    rel = path.relative_to(REPO)
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for match in [*LINK.finditer(line), *IMAGE.finditer(line)]:
            target = match.group(1).strip("<>")
            where = f"{rel}:{number}: broken link `{target}`"
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                out.append(
                    f"{rel}:{number}: link outside the repository `{target}`: keep the docs self-contained"
                )
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path
            if REPO not in resolved.parents and resolved != REPO:
                out.append(f"{where}: it leaves the repository")
            elif not resolved.exists():
                out.append(f"{where}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                out.append(f"{where}: no heading `#{anchor}` in {resolved.relative_to(REPO)}")
    return out


def main() -> int:
    found = [problem for page in pages() for problem in problems(page)]
    for problem in found:
        print(problem)
    print(f"{len(pages())} files checked: {len(found)} broken link(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())


MENTION = re.compile(r"(?:^|[\s(`$])mlops\s+([a-z][a-z-]*)((?:\s+[^\s|;&>#]+)*)")
STOP = re.compile(r"\s(?:--\s|\|\s|&&|;|>|#|\\\|)")


def command_mentions(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, command words, options) for every `mlops CMD ... --option` written in code, so a test can
    check the options against the real command. Arguments after a bare `--` belong to another tool."""
    out: list[tuple[int, str, list[str]]] = []
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        segments = [re.split(r"\s#", line, maxsplit=1)[0]] if fenced else re.findall(r"`([^`]+)`", line)
        for segment in segments:
            for match in MENTION.finditer(segment):
                rest = STOP.split(match.group(2) + " ", 1)[0]
                options = re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", rest)
                words = [match.group(1), *re.findall(r"^\s+([a-z][a-z-]*)", rest)[:1]]
                out.append((number, " ".join(words), options))
    return out
