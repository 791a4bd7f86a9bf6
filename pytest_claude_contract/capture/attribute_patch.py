"""One attribute of a class or module replaced for as long as a context lasts, and what was there put
back after: all the plugin's own patches need of `unittest.mock.patch.object`, without importing
unittest and unittest.mock into every session (about 23 M instructions, 5 ms, at the first covered
test; vcrpy, when a test needs it, imports them itself)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_ABSENT = object()


@contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """`owner.name = value` inside the context. An attribute `owner` only inherited is deleted again
    after, not copied onto it; one it held itself is restored as it was (a descriptor as the
    descriptor, not what it binds to)."""
    held = vars(owner).get(name, _ABSENT)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if held is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, held)
