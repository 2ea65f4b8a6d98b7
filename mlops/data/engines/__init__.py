"""Engines: who runs the rules, profiles and drift statistics, chosen once.

`engine:` in mlops.yaml or `--engine` picks one; without either, polars when it is installed, else pandas.
Every engine implements the same protocol and gives the same answers (tests/test_engine_differential.py).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mlops.errors import UsageError

if TYPE_CHECKING:
    from mlops.data.engine import Progress, ValidationReport
    from mlops.data.profile import Profile
    from mlops.data.rules import Rule, Rules

EngineName = Literal["pandas", "polars", "spark"]
ENGINES: tuple[EngineName, ...] = ("pandas", "polars", "spark")
INSTALL = {
    "polars": "pip install 'git-mlops[polars]'",
    "spark": "pip install 'git-mlops[spark]'",
}


class Engine(Protocol):
    name: str

    def validate(
        self,
        data: Any,
        rules: Rules,
        *,
        reference: Profile | None = None,
        profile_all: bool = False,
        progress: Progress | None = None,
    ) -> ValidationReport: ...

    def profile(self, data: Any, columns: list[str] | None = None) -> Profile: ...


class EngineUnavailable(UsageError):
    """An engine that is named but not installed (exit 2, with the install command)."""


def installed(name: str) -> bool:
    """True when the engine's library is importable (checked without importing it)."""
    module = {"pandas": "pandas", "polars": "polars", "spark": "pyspark"}.get(name)
    if module is None:
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available() -> list[str]:
    """The engines that can run here, in order of preference."""
    names = [n for n in ("pandas", "polars") if installed(n)]
    if installed("spark") and importlib.util.find_spec("mlops.data.spark") is not None:
        names.append("spark")
    return names


def default_name(root: Any = None) -> str:
    """mlops.yaml `engine:` when set, else polars if installed, else pandas."""
    configured = configured_name(root)
    if configured is not None:
        return configured
    return "polars" if installed("polars") else "pandas"


def configured_name(root: Any = None) -> str | None:
    """The `engine:` of mlops.yaml, or None (no key, no file, or not inside a Git repository)."""
    from mlops.config.project import load_project
    from mlops.errors import GitError

    try:
        return load_project(root).engine
    except GitError:
        return None


def get_engine(name: str | None, root: Any = None) -> Engine:
    """The engine called `name` (None: mlops.yaml `engine:`, else polars if installed, else pandas)."""
    chosen = name or default_name(root)
    if chosen not in ENGINES:
        raise UsageError(f"unknown engine `{chosen}`; choose one of {', '.join(ENGINES)}")
    if chosen == "pandas":
        from mlops.data.engines.pandas import PandasEngine

        return PandasEngine()
    if chosen == "polars":
        if not installed("polars"):
            raise _unavailable("polars", "polars")
        from mlops.data.engines.polars import PolarsEngine

        return PolarsEngine()
    return _spark()


def _spark() -> Engine:
    try:
        from mlops.data import spark  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pyspark, or this build of mlops without its Spark engine
        raise _unavailable("spark", "pyspark") from None
    engine: Engine = spark.SparkEngine()
    return engine


def _unavailable(engine: str, module: str) -> EngineUnavailable:
    return EngineUnavailable(
        f"the {engine} engine needs `{module}`, which is not installed; install it with: {INSTALL[engine]}"
    )


def refusals(engine: str, rule: Rule) -> str | None:
    """Why `engine` cannot run `rule` (lint refuses it before any data is read), or None.

    pandas and polars run every rule kind (polars falls back to the pandas checkers per chunk where it has no
    native expression); an engine module may declare `unsupported(rule) -> str | None` for the rest."""
    if engine in ("pandas", "polars"):
        return None
    module = f"mlops.data.{engine}"
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except (ImportError, ValueError):
        return None
    check = getattr(importlib.import_module(module), "unsupported", None)
    return check(rule) if callable(check) else None


__all__ = [
    "ENGINES",
    "Engine",
    "EngineName",
    "EngineUnavailable",
    "available",
    "default_name",
    "get_engine",
    "installed",
    "refusals",
]
