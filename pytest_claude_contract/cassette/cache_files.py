"""Writing files atomically (cassettes, and what the plugin keeps in the pytest cache), and reading the
cache's files best effort: a broken or foreign cache file only costs work done again."""

from __future__ import annotations

import marshal
import os
import pickle
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
    """`write` into a temporary file beside `path`, then rename it over `path`: a reader sees the old
    file or the new one, never half of one. `durable`: synced to disk before the rename (cassettes,
    which are committed). On any failure the temporary file is removed and the error raised."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """A pytest cache file, best effort: False (and nothing left behind) when it cannot be written."""
    try:
        replace_atomically(path, write)
    except (OSError, ValueError, pickle.PicklingError):  # ValueError: what marshal cannot write
        return False
    return True
