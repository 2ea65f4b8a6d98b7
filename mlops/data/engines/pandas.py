"""The pandas/pyarrow engine: the chunked checkers of mlops.data.engine and the profile builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops.data.engine import Progress, ValidationReport
    from mlops.data.profile import Profile
    from mlops.data.rules import Rules
    from mlops.data.source import DataSource


def as_source(data: Any) -> DataSource:
    """What an engine reads: a DataSource as given, a path, or an in-memory pandas DataFrame."""
    import os

    from mlops.data.source import DataSource

    if isinstance(data, DataSource):
        return data
    if isinstance(data, (str, os.PathLike)):
        return DataSource.from_path(data)
    if type(data).__module__.startswith("polars"):
        return DataSource.from_frame(data.to_pandas())
    return DataSource.from_frame(data)


@dataclass
class PandasEngine:
    name: str = "pandas"
    chunk_rows: int | None = None

    def validate(
        self,
        data: Any,
        rules: Rules,
        *,
        reference: Profile | None = None,
        profile_all: bool = False,
        progress: Progress | None = None,
    ) -> ValidationReport:
        from mlops.data.engine import validate
        from mlops.data.source import DEFAULT_CHUNK_ROWS

        return validate(
            as_source(data),
            rules,
            reference,
            chunk_rows=self.chunk_rows or DEFAULT_CHUNK_ROWS,
            progress=progress,
            profile_all=profile_all,
        )

    def profile(self, data: Any, columns: list[str] | None = None) -> Profile:
        from mlops.data.profile import build_profile

        return build_profile(as_source(data), columns=columns, chunk_rows=self.chunk_rows)
