"""A default transport's connection pool, built when a request first goes to the network.

An SDK client's httpx/httpx2 transport builds its connection pool when it is made, and the first one
imports httpcore (and h11) to do it: 88 M instructions, about 20 ms, once a session (2026-12-07,
callgrind, `import httpcore2` after the SDK). A replayed test never opens a connection, so while the
plugin's patches are on, a transport made with the plain arguments an SDK passes gets this stand-in
instead (see `ssl_sharing`, which wraps the transports' `__init__`): the pool, and httpcore with it,
is built at the first request that reaches it, and closing a transport that never sent one builds
nothing. It stays the transport's own attribute after the patches come off, so a client made in a
covered test keeps working in any later test.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# A transport is deferred only when made from these arguments, with no proxy or client certificate
# to set up (those left None; the rest a pool only stores, such as the anthropic SDK's TCP keep-alive
# socket_options): making its pool later then fails no more than now would.
_ARGUMENTS = frozenset(
    {
        "verify",
        "cert",
        "trust_env",
        "http1",
        "http2",
        "limits",
        "retries",
        "proxy",
        "uds",
        "local_address",
        "socket_options",
    }
)
_SET_UP_AT_ONCE = ("cert", "proxy")


def plain(kwargs: dict[str, Any]) -> bool:
    return kwargs.keys() <= _ARGUMENTS and all(kwargs.get(name) is None for name in _SET_UP_AT_ONCE)


def deferred_pool(transport: type[Any], init: Callable[..., None], kwargs: dict[str, Any]) -> DeferredPool:
    """The pool `init(transport, **kwargs)` would build, built on first use."""

    def build() -> Any:
        scratch = object.__new__(transport)
        init(scratch, **kwargs)
        return scratch._pool

    return DeferredPool(build)


class DeferredPool:
    """Stands in for an httpcore connection pool until one is needed; then hands everything to it."""

    __slots__ = ("_build", "_lock", "_pool")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._pool: Any = None

    def built(self) -> Any:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._build()
        return self._pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.built(), name)

    # A transport used as a context manager, or closed, without a request: nothing to set up or close.
    def __enter__(self) -> Any:
        return self if self._pool is None else self._pool.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.__exit__(*exc)

    async def __aenter__(self) -> Any:
        return self if self._pool is None else await self._pool.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None:
            await self._pool.__aexit__(*exc)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
