"""Registry events: one per tag that follows the grammar."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from mlops.registry import message as messages
from mlops.registry.tags import ASSIGN, DEPRECATE, DEREGISTER, REGISTER, UNASSIGN

# Order of kinds at the same instant and counter (GTO's priorities, except that a deprecation comes last:
# it ends an artifact's story, and any later event would bring the artifact back).
PRIORITY = {REGISTER: 3, DEREGISTER: 4, ASSIGN: 5, UNASSIGN: 6, DEPRECATE: 7}


@dataclass(eq=False, slots=True)
class Event:
    kind: str  # register, deregister, assign, unassign, deprecate
    artifact: str
    tag: str
    commit: str
    timestamp: int  # tagger time, seconds since the epoch
    tz: str  # tagger time zone, e.g. +0100
    tagger: str
    tagger_email: str
    message: str
    version: str | None = None  # for assignments: the version registered on `commit` (set by the fold)
    stage: str | None = None
    counter: int | None = None
    _data: dict[str, Any] | None = None  # the parsed message block, on first use
    _problem: str | None = None  # why the block was refused, when it was

    @property
    def order(self) -> tuple[int, int, int]:
        """Tagger time, then counter: the order the fold applies events in."""
        return (self.timestamp, self.counter if self.counter is not None else -1, PRIORITY[self.kind])

    @property
    def date(self) -> dt.datetime:
        return to_datetime(self.timestamp, self.tz)

    @property
    def summary(self) -> str:
        return messages.summary(self.message)

    @property
    def message_data(self) -> dict[str, Any]:
        if self._data is None:
            self._data, self._problem = messages.parse_checked(self.message)
        return self._data

    @property
    def message_warning(self) -> str | None:
        """Why this tag's message block was ignored (refused by the bounded reader), or None."""
        if self._data is None:
            self.message_data  # noqa: B018 - parses and records the problem
        if self._problem is None:
            return None
        return f"{self.artifact}: tag {self.tag}: its message block is ignored ({self._problem})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "artifact": self.artifact,
            "version": self.version,
            "stage": self.stage,
            "counter": self.counter,
            "tag": self.tag,
            "commit": self.commit,
            "date": self.date.isoformat(),
            "tagger": self.tagger,
            "tagger_email": self.tagger_email,
            "message": self.summary,
            "data": self.message_data,
        }


def to_datetime(timestamp: int, tz: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, _zone(tz))


@functools.lru_cache(maxsize=256)
def _zone(tz: str) -> dt.timezone:
    try:
        sign = -1 if tz.startswith("-") else 1
        minutes = int(tz[1:3]) * 60 + int(tz[3:5])
        return dt.timezone(dt.timedelta(minutes=sign * minutes))
    except (ValueError, IndexError):
        return dt.timezone.utc
