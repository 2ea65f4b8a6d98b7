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
    search = _Tarjan(edges)
    for start in nodes:
        if start not in search.index:
            search.visit(start)
    return [_path_through(sorted(c), edges) for c in search.components]


class _Tarjan:
    """Tarjan's strongly connected components with an explicit work stack (no recursion limit); keeps the
    components that hold a cycle (more than one stage, or a stage that reads its own output)."""

    def __init__(self, edges: dict[str, set[str]]) -> None:
        self.edges = edges
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.on_stack: set[str] = set()
        self.stack: list[str] = []
        self.work: list[tuple[str, Iterator[str]]] = []
        self.components: list[list[str]] = []

    def visit(self, start: str) -> None:
        self._push(start)
        while self.work:
            node, children = self.work[-1]
            if not self._descend(node, children):
                self._finish(node)

    def _push(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)
        self.work.append((node, iter(sorted(self.edges.get(node, ())))))

    def _descend(self, node: str, children: Iterator[str]) -> bool:
        """Push NODE's next unvisited child (True), or note the back edges and say it is done (False)."""
        for child in children:
            if child not in self.index:
                self._push(child)
                return True
            if child in self.on_stack:
                self.low[node] = min(self.low[node], self.index[child])
        return False

    def _finish(self, node: str) -> None:
        self.work.pop()
        if self.work:
            parent = self.work[-1][0]
            self.low[parent] = min(self.low[parent], self.low[node])
        if self.low[node] == self.index[node]:
            self._pop_component(node)

    def _pop_component(self, node: str) -> None:
        component = []
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.append(member)
            if member == node:
                break
        if len(component) > 1 or node in self.edges.get(node, ()):
            self.components.append(component)


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
