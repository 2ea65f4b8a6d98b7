"""Durations (`30m`, `48h`, `14d`, `2w`: the schemas' syntax) and UTC times, for every area."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

from mlops.errors import InputError, UsageError

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class BadValue(UsageError, InputError):
    """A duration or time that does not parse: a bad option or a bad file value alike (exit 2)."""


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(str(text))
    if not match:
        raise BadValue(f"`{text}` is not a duration such as 30m, 48h, 14d or 2w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """Short human form: `2d 3h`, `47h 59m`, `12m`, `5s`."""
    seconds = int(max(delta.total_seconds(), 0))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    if not parts or (secs and not days and not hours):
        parts.append(f"{secs}s")
    return " ".join(parts[:2])


CLOCK_VARIABLE = "MLOPS_NOW"


def utcnow() -> datetime:
    """The current time in UTC, or the ISO-8601 time in MLOPS_NOW when set.

    Soaks and other time-based gates read this clock, so a user (or a test) can ask "what would the gate say
    at 2026-12-01T09:00Z?" without waiting 48 hours. An unreadable value is an error (exit 2), never ignored.
    """
    value = os.environ.get(CLOCK_VARIABLE, "")
    if not value.strip():
        return datetime.now(timezone.utc)
    moment = parse_time(value)
    if moment is None:
        raise BadValue(f"{CLOCK_VARIABLE}=`{value}` is not an ISO-8601 time such as 2026-11-24T05:00:00Z")
    return moment


def parse_time(text: str) -> datetime | None:
    """An ISO-8601 time in UTC (a trailing Z allowed; naive times are UTC), or None when unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def require_time(text: str) -> datetime:
    """parse_time for user input: a clear error instead of None."""
    parsed = parse_time(str(text))
    if parsed is None:
        raise BadValue(f"`{text}` is not an ISO-8601 time such as 2026-11-24T05:00:00Z")
    return parsed


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
