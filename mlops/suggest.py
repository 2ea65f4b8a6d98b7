""" "Did you mean" for every misspelled name a user can type: keys, kinds, stages, artifacts, columns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, options: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str, options: Iterable[str], *, cutoff: float = 0.6) -> str:
    """` (did you mean `x`?)`, or "" when nothing is close."""
    match = closest(word, options, cutoff=cutoff)
    return f" (did you mean `{match}`?)" if match else ""
