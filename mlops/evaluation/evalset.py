"""`mlops evalset add`: grow an evaluation set from production failures, with provenance on every row.

The rows are appended to the set's file (de-duplicated by its declared key), each carrying the provenance
columns of mlops.evaluation.spec.PROVENANCE; then `dvc add`, one commit, and the set's next registered version.
A failure before the commit puts the file and its .dvc file back as they were.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlops import atomic, git
from mlops.errors import GitError, InputError
from mlops.evaluation.spec import PROVENANCE, EvalSet, inside


@dataclass
class AddResult:
    set: str
    path: str
    added: int
    skipped: int  # rows whose key was already in the set (or repeated in the file)
    rows: int  # rows in the set afterwards
    commit: str | None = None
    tag: str | None = None
    version: str | None = None
    source: str | None = None


@dataclass
class Provenance:
    reason: str
    at: str
    by: str
    source: str | None


@dataclass
class ShowResult:
    set: str
    path: str
    rows: int
    versions: list[dict[str, Any]] = field(default_factory=list)
    origins: list[dict[str, Any]] = field(default_factory=list)


def _read(path: Path, shown: str) -> Any:
    from mlops.data.source import DataSource, read_frame

    return read_frame(DataSource.from_path(path, None))


def _serialise(frame: Any, path: str) -> bytes:
    buffer = io.BytesIO()
    if path.endswith(".parquet"):
        frame.to_parquet(buffer, index=False)
    elif path.endswith((".jsonl", ".ndjson")):
        buffer.write(frame.to_json(orient="records", lines=True).encode("utf-8"))
    else:
        buffer.write(frame.to_csv(index=False).encode("utf-8"))
    return buffer.getvalue()


def merge_rows(current: Any, incoming: Any, evalset: EvalSet, prov: Provenance) -> tuple[Any, int, int]:
    """(the set with the new rows appended, rows added, rows skipped). Incoming rows must carry the set's
    columns (extra ones, such as a monitor export's scores, are dropped)."""
    import pandas as pd

    columns = [c for c in current.columns if c not in PROVENANCE]
    missing = [c for c in columns if c not in incoming.columns]
    if missing:
        raise InputError(f"the new rows lack column(s) of {evalset.name}: {', '.join(missing)}")
    rows = incoming[columns].astype(current[columns].dtypes.to_dict(), errors="ignore")
    new = rows.iloc[_fresh(current, rows, list(evalset.key))].copy()
    for column, value in zip(PROVENANCE, (prov.reason, prov.at, prov.by, prov.source), strict=True):
        new[column] = value
    merged = current.copy()
    for column in PROVENANCE:
        if column not in merged.columns:
            merged[column] = None
    merged = pd.concat([merged, new[list(merged.columns)]], ignore_index=True)
    return merged, len(new), len(rows) - len(new)


def _fresh(current: Any, rows: Any, keys: list[str]) -> list[int]:
    """Positions of the rows whose key is neither in the set nor earlier in ROWS."""
    known = set(current[keys].astype(str).itertuples(index=False, name=None))
    fresh = []
    for i, key in enumerate(rows[keys].astype(str).itertuples(index=False, name=None)):
        if key not in known:
            known.add(key)
            fresh.append(i)
    return fresh


def _dvc(args: list[str], root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"dvc {' '.join(args)} failed: {tail[-1] if tail else done.returncode}")


def write_and_commit(root: Path, evalset: EvalSet, data: bytes, message: str) -> str:
    """Replace the set's file, `dvc add` it and commit its .dvc file; on failure put both back."""
    target = root / evalset.path
    dvcfile = root / f"{evalset.path}.dvc"
    old_data, old_dvc = target.read_bytes(), dvcfile.read_bytes() if dvcfile.is_file() else None
    try:
        atomic.write_bytes(target, data)
        _dvc(["add", "-q", evalset.path], root)
        changed = [f"{evalset.path}.dvc"]
        ignore = Path(evalset.path).parent / ".gitignore"
        if (root / ignore).is_file():
            changed.append(ignore.as_posix())
        git.run(["add", "--", *changed], root)
        git.run(["commit", "-q", "-m", message, "--", *changed], root)
    except BaseException:
        atomic.write_bytes(target, old_data)
        if old_dvc is not None:
            atomic.write_bytes(dvcfile, old_dvc)
        git.run(["reset", "-q", "--", f"{evalset.path}.dvc"], root, check=False)
        raise
    return git.resolve_commit("HEAD", root)


def provenance(root: Path, reason: str, source: str | None, now: datetime | None) -> Provenance:
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    by = git.identity(root) or os.environ.get("USER") or "unknown"
    return Provenance(reason, when.strftime("%Y-%m-%dT%H:%M:%SZ"), by, source)


def add_rows(root: Path, evalset: EvalSet, source_file: Path, prov: Provenance) -> tuple[AddResult, bytes]:
    target = inside(root, evalset)
    if not target.is_file():
        raise InputError(
            f"{evalset.path}: the evaluation set's file is missing (run `dvc pull` or `dvc checkout`)"
        )
    current = _read(target, evalset.path)
    incoming = _read(source_file, str(source_file))
    merged, added, skipped = merge_rows(current, incoming, evalset, prov)
    result = AddResult(evalset.name, evalset.path, added, skipped, len(merged), source=prov.source)
    return result, _serialise(merged, evalset.path)


def origins(frame: Any) -> list[dict[str, Any]]:
    """Where the rows came from: the original rows, then one entry per (reason, date, who, source)."""
    if "added_reason" not in frame.columns:
        return [{"reason": None, "rows": int(len(frame))}]
    original = int(frame["added_reason"].isna().sum())
    out: list[dict[str, Any]] = [{"reason": None, "rows": original}] if original else []
    added = frame[frame["added_reason"].notna()]
    groups = added.groupby(list(PROVENANCE), dropna=False, sort=False).size()
    for (reason, at, by, source), count in groups.items():
        out.append(
            {
                "reason": reason,
                "added_at": at,
                "added_by": by,
                "source": None if source is None or source != source else source,
                "rows": int(count),
            }
        )
    return out
