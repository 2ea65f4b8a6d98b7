"""The Python API: one function per operation, typed arguments, returning data (never printing).

Functions live in submodules by area and are loaded on first use, so `import mlops.api` stays cheap:
    from mlops import api
    report = api.lint()            # mlops.api.lint
    result = api.validate(...)     # mlops.api.data
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

_AREAS = (
    "linting",
    "pipeline",
    "data",
    "registry",
    "promotion",
    "reproduce",
    "monitor",
    "serving",
    "operations",
    "report",
    "docgen",
    "evaluation",
)


def __getattr__(name: str) -> Any:
    if name in _AREAS:  # `from mlops.api import registry`: the area module itself, nothing else imported
        return importlib.import_module(f"{__name__}.{name}")
    for area in _AREAS:
        module_name = f"{__name__}.{area}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    raise AttributeError(f"mlops.api has no operation `{name}`")


def __dir__() -> list[str]:
    names: list[str] = []
    for area in _AREAS:
        module_name = f"{__name__}.{area}"
        if importlib.util.find_spec(module_name) is not None:
            names.extend(getattr(importlib.import_module(module_name), "__all__", ()))
    return sorted(names)
