"""User-facing errors. The CLI maps each kind to an exit code (SPEC section 5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops.findings import Finding

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CANNOT_PROCEED = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class MlopsError(Exception):
    """Root of every error a user can act on. Its message is printed as one line."""

    exit_code = EXIT_CANNOT_PROCEED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MlopsError):
    """Bad arguments or options."""


class InputError(MlopsError):
    """A file or value that cannot be read: missing, unreadable, wrong format."""


class ConfigError(MlopsError):
    """One or more located problems in an mlops config file."""

    def __init__(self, findings: Sequence[Finding], message: str | None = None) -> None:
        self.findings = list(findings)
        text = message or "\n".join(f.render() for f in self.findings)
        super().__init__(text)


class GitError(MlopsError):
    """Not a repository, unknown revision, or a git command that failed."""


class UnknownReference(MlopsError):
    """A reference (artifact, version, stage, revision) that does not resolve."""


class DirtyTreeError(MlopsError):
    """The work tree has uncommitted changes and the command would touch it."""


class CheckFailed(MlopsError):
    """A check ran and failed: lint findings, stale dvc.yaml, failed rules, refused gate."""

    exit_code = EXIT_CHECK_FAILED


class GateRefused(CheckFailed):
    """A promotion gate refused a version."""


def describe_os_error(exc: OSError) -> str:
    """`PATH: reason` for an OS error (the path(s) it names and the system's own words)."""
    reason = exc.strerror or str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason
