"""The stage graph: which stage produces each path, which stages read it, and cycles."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from mlops.pipeline.model import PathEntry, Stage


def ancestors(path: str) -> Iterator[str]:
    """`a/b/c` -> `a/b`, `a`."""
    while True:
        path = posixpath.dirname(path)
        if not path or path in (".", "/"):
            return
        yield path


class Outputs:
    """Every output path (relative to the root) and the stage writing it, with folder lookups."""

    def __init__(self) -> None:
        self.exact: dict[str, tuple[Stage, PathEntry]] = {}
        self.below: dict[str, list[str]] = {}  # folder -> outputs inside it

    def add(self, path: str, stage: Stage, entry: PathEntry) -> tuple[Stage, PathEntry] | None:
        """Register an output; returns the earlier writer when the path is already an output."""
        if path in self.exact:
            return self.exact[path]
        self.exact[path] = (stage, entry)
        for parent in ancestors(path):
            self.below.setdefault(parent, []).append(path)
        return None

    def enclosing(self, path: str) -> tuple[str, Stage] | None:
        """An output folder that contains `path`."""
        for parent in ancestors(path):
            if parent in self.exact:
                return parent, self.exact[parent][0]
        return None

    def producers(self, path: str) -> list[Stage]:
        """Stages whose outputs are `path`, contain it, or lie inside it."""
        found: list[Stage] = []
        if path in self.exact:
            found.append(self.exact[path][0])
        hit = self.enclosing(path)
        if hit:
            found.append(hit[1])
        for inner in self.below.get(path, ()):
            found.append(self.exact[inner][0])
        return found


def cycles(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle as a path `a -> b -> ... -> a` (one per strongly connected component), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    components.append(component)
    return [_path_through(sorted(c), edges) for c in components]


def _path_through(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A readable cycle inside one component, starting at its first name: a -> b -> a."""
    members = set(component)
    start = component[0]
    # breadth-first search back to start, staying inside the component
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(edges.get(node, ())):
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child not in previous:
                    previous[child] = node
                    nxt.append(child)
        frontier = nxt
    return [*component, start]  # pragma: no cover - a component always has a cycle
