"""Label lag: which rows of a batch have labels that had time to arrive, and the label coverage.

A row counts for the live metrics when its label is present and, with `labels: {delay: 14d, timestamp: COL}`,
its event time is at least `delay` before the window time. Coverage is the share of the batch's rows that
count, so a report never presents accuracy over 3% of the rows as if it were the whole batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from mlops.errors import InputError, UsageError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`30m`, `48h`, `14d`, `2w` (the schemas' duration syntax)."""
    match = _DURATION.match(str(text))
    if not match:
        raise UsageError(f"`{text}` is not a duration such as 30m, 48h, 14d or 2w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_time(text: str) -> datetime:
    """An ISO-8601 time (`2026-11-24`, `2026-11-24T05:00:00Z`, with offset); naive times are UTC."""
    value = str(text).strip()
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        raise UsageError(f"`{text}` is not an ISO-8601 time such as 2026-11-24T05:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LabelWindow:
    """Which rows count for live metrics. `mask` is a numpy boolean array over the batch's rows."""

    mask: Any
    rows: int
    labeled: int  # rows with a label, mature or not
    mature: int  # rows old enough for their label to have arrived (all rows without a delay)
    counted: int  # labeled and mature
    delay: str | None
    cutoff: str | None  # rows at or before this time are mature
    unparsed_timestamps: int = 0

    @property
    def coverage(self) -> float | None:
        return self.counted / self.rows if self.rows else None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "labeled": self.labeled, "mature": self.mature, "counted": self.counted,
                "coverage": self.coverage, "delay": self.delay, "cutoff": self.cutoff,
                "unparsed_timestamps": self.unparsed_timestamps}


def label_window(frame: Any, labels: str, predictions: str, *, window_time: datetime,
                 delay: str | None = None, timestamp: str | None = None) -> LabelWindow:
    """Rows whose label and prediction are present and, with a delay, whose event time has matured."""
    import numpy as np
    import pandas as pd

    rows = len(frame)
    labeled = frame[labels].notna().to_numpy() & frame[predictions].notna().to_numpy()
    mature = np.ones(rows, dtype=bool)
    cutoff = None
    unparsed = 0
    if delay is not None:
        if not timestamp:
            raise UsageError("a label delay needs the timestamp column (`labels: {timestamp: COLUMN}`)")
        if timestamp not in frame.columns:
            raise InputError(f"label timestamp column `{timestamp}` is not in the data")
        times = _utc(pd, frame[timestamp])
        limit = window_time - parse_duration(delay)
        cutoff = format_time(limit)
        valid = times.notna().to_numpy()
        unparsed = int((~valid & frame[timestamp].notna().to_numpy()).sum())
        mature = valid & (times <= pd.Timestamp(limit)).fillna(False).to_numpy(dtype=bool)
    mask = labeled & mature
    return LabelWindow(mask, rows, int(labeled.sum()), int(mature.sum()), int(mask.sum()),
                       delay.strip() if delay is not None else None, cutoff, unparsed)


def _utc(pd: Any, column: Any) -> Any:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(column):  # epoch seconds
        return pd.to_datetime(column, unit="s", utc=True, errors="coerce")
    return pd.to_datetime(column, utc=True, errors="coerce", format="mixed")
