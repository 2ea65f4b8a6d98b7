"""Data operations: validate a file against rules, profile it, infer a starter rules file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops.data.engine import ValidationReport
    from mlops.data.engines import Engine
    from mlops.data.profile import Profile

__all__ = ["validate", "profile", "infer_rules", "load_reference", "render_report"]


def _root(root: str | os.PathLike[str] | None) -> Path:
    from mlops import git

    return Path(root) if root is not None else git.root(".")


def load_reference(spec: str, root: str | os.PathLike[str] | None = None, fmt: str | None = None) -> Profile:
    """A reference profile from `REF:PATH` (data or profile, read from Git or DVC at that revision) or from a
    local file path. Raw data is profiled on the fly."""
    from mlops.data.profile import build_profile, is_profile, load_profile
    from mlops.data.source import DataSource, read_bytes_at, source_at

    if os.path.isfile(spec):
        with open(spec, "rb") as handle:
            raw = handle.read(4096)
            if len(raw) == 4096:
                handle.seek(-512, os.SEEK_END)
                raw += handle.read()
        if is_profile(raw):
            return load_profile(spec)
        return build_profile(DataSource.from_path(spec, fmt))
    base = _root(root)
    from mlops.refs import split_ref_path

    _, path = split_ref_path(spec)
    if path.lower().endswith(".json"):
        data = read_bytes_at(spec, base)
        if is_profile(data):
            return load_profile(data)
        return build_profile(DataSource.from_bytes(spec, data, fmt or "jsonl"))
    return build_profile(source_at(spec, base, fmt))


def validate(
    data: Any,
    rules: str | os.PathLike[str] | dict[str, Any],
    *,
    reference: str | None = None,
    input_format: str | None = None,
    chunk_rows: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    root: str | os.PathLike[str] | None = None,
    profile_all: bool = False,
    engine: str | None = None,
) -> ValidationReport:
    """Check DATA (a path or a pandas or polars DataFrame) against a rules file (or a parsed mapping).

    `reference` (REF:PATH or a local path) overrides `drift.reference`. `engine` (pandas, polars, spark)
    overrides mlops.yaml `engine:`; the default is polars when installed, else pandas. Raises ConfigError
    for a broken rules file, InputError for unreadable data and UsageError for an engine that is not
    installed; failed rules are in the returned report (`report.passed`, `report.to_dict()`), not raised.
    """
    from mlops.data.rules import load_rules, rules_from_dict

    runner = _engine(engine, root, chunk_rows)
    spec = rules_from_dict(rules) if isinstance(rules, dict) else load_rules(rules)
    source = _source(runner.name, data, input_format or spec.format)
    ref_profile = None
    if spec.drift is not None or reference:
        if spec.drift is None:
            from mlops.data.rules import DriftSpec

            spec.drift = DriftSpec(reference or "")
        if reference:
            spec.drift.reference = reference
        ref_profile = load_reference(spec.drift.reference, root)
    return runner.validate(source, spec, reference=ref_profile, progress=progress, profile_all=profile_all)


def _engine(name: str | None, root: str | os.PathLike[str] | None, chunk_rows: int | None = None) -> Engine:
    """The engine to run (named, else mlops.yaml `engine:`, else the default), with the chunk size."""
    from mlops.data.engines import get_engine

    runner = get_engine(name, root)
    if chunk_rows and hasattr(runner, "chunk_rows"):
        runner.chunk_rows = chunk_rows
    return runner


def _source(engine: str, data: Any, fmt: str | None) -> Any:
    """What the engine reads: a local file or frame as a DataSource; Spark also takes table names."""
    from mlops.data.source import DataSource

    if isinstance(data, (str, os.PathLike)):
        if engine == "spark":
            # Spark reads it itself: a local file (SparkEngine.opened reads it by its absolute path and reports
            # show it as given), a path only Spark reaches (s3a://, hdfs://), or a table name
            return DataSource.from_path(data, fmt) if os.path.exists(data) else os.fspath(data)
        return DataSource.from_path(data, fmt)
    if type(data).__module__.startswith("polars"):
        return data if engine == "spark" else DataSource.from_frame(data.to_pandas())
    return data if isinstance(data, DataSource) or engine == "spark" else DataSource.from_frame(data)


def render_report(report: ValidationReport, fmt: str = "text", verbose: bool = False) -> str:
    """The report as text, json, markdown or html."""
    from mlops.data.report import render

    return render(report, fmt, verbose=verbose)


def profile(
    data: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    columns: list[str] | None = None,
    input_format: str | None = None,
    chunk_rows: int | None = None,
    engine: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Profile:
    """Profile a data file; write the JSON atomically to `output` when given."""
    from mlops import atomic
    from mlops.data.source import DataSource

    runner = _engine(engine, root, chunk_rows)
    source = _source(runner.name, data, input_format)
    if columns and isinstance(source, DataSource):
        lacking = [c for c in columns if c not in source.schema()]
        if lacking:
            from mlops.errors import InputError

            raise InputError(f"{source.name}: no column {', '.join(f'`{c}`' for c in lacking)}")
    result = runner.profile(source, columns=columns)
    if output is not None:
        atomic.write_text(output, result.to_json())
    return result


def infer_rules(
    data: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    input_format: str | None = None,
    margin: float = 0.1,
    max_categories: int = 20,
    force: bool = False,
    engine: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """A starter rules file (YAML text) inferred from DATA; written atomically to `output` when given."""
    from mlops import atomic
    from mlops.data.infer import infer, scan
    from mlops.data.source import DataSource
    from mlops.errors import UsageError

    if output is not None and Path(output).exists() and not force:
        raise UsageError(f"{output} already exists; pass --force to overwrite it")
    runner = _engine(engine, root)
    source = _source(runner.name, data, input_format)
    if runner.name == "spark":
        prof, unique = runner.scan(source)  # type: ignore[attr-defined]
    else:
        prof, unique = scan(source)  # local engines: one pass that also finds the never-repeating columns
    name = source.name if isinstance(source, DataSource) else str(source)
    if prof.rows == 0:
        from mlops.errors import InputError

        raise InputError(f"{name}: no rows to infer rules from")
    text = infer(prof, name, margin=margin, max_categories=max_categories, unique=unique)
    if output is not None:
        atomic.write_text(output, text)
    return text
