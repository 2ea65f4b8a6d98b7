"""Label lag: which rows of a batch have labels that had time to arrive, and the label coverage.

A row counts for the live metrics when its label is present and, with `labels: {delay: 14d, timestamp: COL}`,
its event time is at least `delay` before the window time. Coverage is the share of the batch's rows that
count, so a report never presents accuracy over 3% of the rows as if it were the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops import timeutil
from mlops.errors import InputError, UsageError

# labels share the schemas' duration and time syntax with promotion
parse_duration = timeutil.parse_duration
parse_time = timeutil.require_time
format_time = timeutil.iso


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
        return {name: getattr(self, name) for name in RECORDED}


# what a run record keeps of the window (`labels`), in this order
RECORDED = ("rows", "labeled", "mature", "counted", "coverage", "delay", "cutoff", "unparsed_timestamps")


def label_window(
    frame: Any,
    labels: str,
    predictions: str,
    *,
    window_time: datetime,
    delay: str | None = None,
    timestamp: str | None = None,
) -> LabelWindow:
    """Rows whose label and prediction are present and, with a delay, whose event time has matured."""
    import numpy as np

    rows = len(frame)
    labeled = frame[labels].notna().to_numpy() & frame[predictions].notna().to_numpy()
    mature = np.ones(rows, dtype=bool)
    cutoff = None
    unparsed = 0
    limit = window_limit(window_time, delay, timestamp, list(frame.columns))
    if limit is not None:
        cutoff = format_time(limit)
        codes = maturity(frame[timestamp], limit)
        unparsed = int((codes == UNPARSED).sum())
        mature = codes == MATURE
    mask = labeled & mature
    return LabelWindow(
        mask,
        rows,
        int(labeled.sum()),
        int(mature.sum()),
        int(mask.sum()),
        delay.strip() if delay is not None else None,
        cutoff,
        unparsed,
    )


def window_limit(
    window_time: datetime, delay: str | None, timestamp: str | None, columns: list[str]
) -> datetime | None:
    """The latest event time whose label has matured (None without a delay); errors for a delay without
    its timestamp column."""
    if delay is None:
        return None
    if not timestamp:
        raise UsageError("a label delay needs the timestamp column (`labels: {timestamp: COLUMN}`)")
    if timestamp not in columns:
        raise InputError(f"label timestamp column `{timestamp}` is not in the data")
    return window_time - parse_duration(delay)


# what `maturity` says of each row's event time
NO_TIME, MATURE, RECENT, UNPARSED = 0, 1, 2, 3


def maturity(column: Any, limit: datetime) -> Any:
    """Per row (an int8 numpy array): MATURE (at or before `limit`), RECENT, UNPARSED (a value that is not a
    time) or NO_TIME (missing). Row by row, so the Spark engine runs it on each batch of its executors."""
    import numpy as np
    import pandas as pd

    times = _utc(pd, column)
    valid = times.notna().to_numpy()
    mature = valid & (times <= pd.Timestamp(limit)).fillna(False).to_numpy(dtype=bool)
    codes = np.where(valid, RECENT, NO_TIME).astype(np.int8)
    codes[mature] = MATURE
    codes[~valid & column.notna().to_numpy()] = UNPARSED
    return codes


def _utc(pd: Any, column: Any) -> Any:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(column):  # epoch seconds
        return pd.to_datetime(column, unit="s", utc=True, errors="coerce")
    return pd.to_datetime(column, utc=True, errors="coerce", format="mixed")
