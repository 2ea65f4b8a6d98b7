"""Problems in a short text (an expression, a pattern) at a character offset, and how a message names it."""

from __future__ import annotations

from collections.abc import Callable


class LocatedError(Exception):
    """A problem at a 0-based character offset of the text it concerns."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def located(self) -> str:
        """The message with its 1-based character, for messages that carry no line and column."""
        return f"{self.message} (at character {self.pos + 1})"


def problem_of(check: Callable[[str], object], text: str) -> str | None:
    """None when CHECK accepts TEXT; else the problem it raised and where."""
    try:
        check(text)
    except LocatedError as exc:
        return exc.located()
    return None
