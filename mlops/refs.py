"""References (SPEC section 4), resolved in one place.

`REF` is an mlops reference (`churn-model@v1.2.0`, `churn-model@latest`, `churn-model#production`,
`churn-model#production~1`) or any Git revision; `REF:PATH` names a file at a reference.
The registry forms are resolved by mlops.registry; until then only Git revisions are understood.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mlops import git


@dataclass(frozen=True)
class Resolved:
    ref: str  # as the user wrote it
    commit: str  # full hash
    artifact: str | None = None
    version: str | None = None  # vX.Y.Z when the reference names a version
    stage: str | None = None


def resolve(ref: str, root: str | os.PathLike[str]) -> Resolved:
    """Resolve a reference to a commit; raises UnknownReference."""
    return Resolved(ref, git.resolve_commit(ref, root))


def split_ref_path(spec: str) -> tuple[str, str]:
    """`REF:PATH` -> (REF, PATH). The last colon splits, so `dir/sub:name@v1:data.csv` works."""
    from mlops.errors import UsageError

    ref, sep, path = spec.rpartition(":")
    if not sep or not ref or not path:
        raise UsageError(f"`{spec}` is not REF:PATH (for example main:data/train.parquet)")
    return ref, path
