"""Files the plugin keeps in the pytest cache (parsed cassettes, verdicts, the stat index): written
atomically, since xdist workers share them, and read best effort, since a broken or foreign file
only costs work done again."""

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


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> bool:
    """`write` into a temporary file beside `path`, then renamed over it; False (and nothing left
    behind) when that fails."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except (OSError, ValueError, pickle.PicklingError):  # ValueError: what marshal cannot write
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)
        return False
    return True
