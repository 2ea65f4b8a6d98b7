"""Atomic file writes: a temp file in the same folder, fsync, then rename."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    write_bytes(path, text.encode(encoding))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write DATA to PATH so that readers see the old file or the new one, never half of one.

    OSError (read-only file system, full disk, a parent that is a file) propagates with the path, and the
    temporary file is removed. A device or pipe (`-o /dev/stdout`) is written in place: renaming over it
    would replace the device itself."""
    write_stream(path, [data])


def write_stream(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """As write_bytes, for content given chunk by chunk (a multi-GB model is never whole in memory)."""
    target = Path(path)
    try:
        _write(target, chunks)
    except OSError as exc:
        if exc.filename is None:  # write() and fsync() errors name no file: name the one we were writing
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from None
        raise


def _write(target: Path, chunks: Iterable[bytes]) -> None:
    if target.exists() and not target.is_file() and not target.is_dir():
        _write_in_place(target, chunks)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a parent is a file: say so, not "File exists"
        raise NotADirectoryError(
            errno.ENOTDIR, "a parent of this path is a file, not a folder", str(target)
        ) from exc
    mode = None
    if target.exists():
        mode = target.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for data in chunks:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _write_in_place(target: Path, chunks: Iterable[bytes]) -> None:
    with open(target, "wb") as handle:
        for data in chunks:
            handle.write(data)
        handle.flush()


def append_line(path: str | os.PathLike[str], line: str) -> None:
    """Append one line in a single write() on an O_APPEND descriptor.

    POSIX makes such appends atomic with respect to other appenders on local file systems, so concurrent
    writers (two monitor runs) never interleave half-lines.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
