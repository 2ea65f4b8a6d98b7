"""The monitoring history: JSON lines, one record per run or acknowledgement, appended atomically.

Run record (the promotion `monitor:` gate reads this format):
    {"type": "run", "schema": 1, "id": ..., "time": "2026-11-24T05:00:00Z", "artifact": ..., "version": ...,
     "ref": ..., "commit": ..., "data": ..., "rows": N, "features": {...}, "metrics": {...},
     "label_coverage": 0.8 | null, "alerts": [{"id": "<run id>/<rule>", "rule": ..., "severity": ...,
     "message": ...}], "candidates": [...], ...}
Acknowledgement record:
    {"type": "ack", "schema": 1, "alert": "<alert id>", "resolution": "ignored" | "acted", "time": ..., "by": ...}

Appends are one write() on an O_APPEND descriptor (mlops.atomic.append_line), so two runs writing at once
never interleave. Readers skip lines they cannot parse and say where, so one bad line loses nothing else.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import atomic
from mlops.config.yamlload import YamlProblem, load_json
from mlops.errors import InputError

SCHEMA = 1
DEFAULT_PATH = "monitoring/history.jsonl"


@dataclass
class History:
    path: str
    runs: list[dict[str, Any]] = field(default_factory=list)  # in file order
    acks: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path:line: why" for lines that were skipped
    exists: bool = True

    def alert_ids(self) -> set[str]:
        return {str(a.get("id")) for run in self.runs for a in run.get("alerts") or () if isinstance(a, dict)}

    def filtered(self, *, artifact: str | None = None, since: datetime | None = None) -> History:
        """The runs of one artifact and/or from a time on (acknowledgements are kept whole)."""
        from mlops.errors import UsageError
        from mlops.monitor.labels import parse_time

        runs = self.runs
        if artifact:
            runs = [r for r in runs if r.get("artifact") == artifact]
        if since is not None:
            kept = []
            for r in runs:
                try:
                    if parse_time(str(r.get("time"))) >= since:
                        kept.append(r)
                except UsageError:
                    continue  # a run without a readable time cannot be placed in the window
            runs = kept
        return History(self.path, runs, self.acks, self.problems, self.exists)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def acknowledged(self) -> dict[str, str]:
        """alert id -> its latest resolution ("acted", "ignored", ...)."""
        return {alert: str(ack.get("resolution") or "") for alert, ack in self.resolutions().items()}

    def resolutions(self) -> dict[str, dict[str, Any]]:
        """The latest acknowledgement of each alert id."""
        latest: dict[str, dict[str, Any]] = {}
        for ack in self.acks:
            latest[str(ack.get("alert"))] = ack
        return latest


def read_history(path: str | os.PathLike[str], *, shown: str | None = None) -> History:
    """Every record of the file; a missing file is an empty history (`exists` False)."""
    shown = shown or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return History(shown, exists=False)
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a history file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    return parse_history(text, shown)


def parse_history(raw: bytes | str, shown: str = "history") -> History:
    """The one parser of the history format, for a file, a commit's copy (the `monitor:` gate) or a test.

    Every line goes through the bounded JSON reader: a history file arrives through pull requests too. A line
    that is not a JSON object, of an unknown type, or a run without a readable time (it cannot be placed in
    any window) is skipped and named in `problems`."""
    from mlops.timeutil import parse_time

    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    history = History(shown)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = load_json(line, f"{shown}:{number}")
        except YamlProblem as exc:
            history.problems.append(
                f"{shown}:{number}: skipped a line that is not JSON "
                f"({exc.finding.message.removeprefix('not JSON (').removesuffix(')')})"
            )
            continue
        if not isinstance(record, dict):
            history.problems.append(f"{shown}:{number}: skipped a line that is not a JSON object")
            continue
        kind = record.get("type")
        if kind == "run" and parse_time(str(record.get("time", ""))) is None:
            history.problems.append(f"{shown}:{number}: skipped a run without a readable time")
        elif kind == "run":
            history.runs.append(record)
        elif kind == "ack":
            history.acks.append(record)
        else:
            history.problems.append(f"{shown}:{number}: skipped a record of unknown type `{kind}`")
    return history


def append_record(path: str | os.PathLike[str], record: dict[str, Any]) -> None:
    atomic.append_line(path, dumps(record))


def dumps(record: dict[str, Any]) -> str:
    """One line of strict JSON: NaN and infinities become null."""
    return json.dumps(_finite(record), separators=(",", ":"), sort_keys=False, default=str)


def new_run_id(moment: datetime) -> str:
    """Sortable and unique: the window time plus random hex (two runs in the same second differ)."""
    return f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def same_stream(
    history: History, *, artifact: str | None, version: str | None, ref: str
) -> list[dict[str, Any]]:
    """Earlier runs that a new run continues: same artifact and version (or the same reference when the
    reference is not a registry version). A new version starts a new stream: its windows were compared
    with other training data."""
    if artifact and version:
        return [r for r in history.runs if r.get("artifact") == artifact and r.get("version") == version]
    return [r for r in history.runs if r.get("ref") == ref and not r.get("version")]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _finite(value.item())
    return value
