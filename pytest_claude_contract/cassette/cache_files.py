"""Writing files atomically (cassettes, and what the plugin keeps in the pytest cache), and reading the
cache's files best effort: a broken or foreign cache file only costs work done again."""

from __future__ import annotations

import functools
import glob
import marshal
import os
import stat
import tempfile
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def read_marshal(path: Path) -> dict[Any, Any]:
    """The dict in `path`, or an empty one when the file is missing, broken or not a dict."""
    try:
        loaded = marshal.loads(path.read_bytes())  # data only: marshal builds no other objects
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def replace_atomically(path: Path, write: Callable[[IO[bytes]], object], *, durable: bool = False) -> None:
    """`write` into a temporary file beside `path` (`temporary_files` finds it), then rename it over
    `path`: a reader sees the old file or the new one, never half of one. The file keeps the mode it
    had (a new one gets what the umask gives, not the temporary file's 0600). `durable`: synced to
    disk before the rename (cassettes, which are committed). On any failure the temporary file is
    removed and the error raised."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def temporary_files(path: Path) -> list[Path]:
    """The temporary files `replace_atomically` leaves beside `path` when its process is killed
    mid-write."""
    return list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    """The process's umask: from /proc where Linux shows it; else set and put back at once (the
    only portable way to read it), once a process."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """A pytest cache file, best effort: False (and nothing left behind) when it cannot be written."""
    try:
        replace_atomically(path, write)
    except (OSError, ValueError):  # ValueError: what marshal cannot write
        return False
    return True
