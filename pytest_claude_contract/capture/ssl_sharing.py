"""Shared SSL contexts for httpx/httpx2 transports while the plugin's patches are on.

Every SDK client builds a transport, and every transport with default verification builds an SSL
context: that reads the whole CA bundle, 240 M instructions (about 20 ms) a client, and a replayed
test never opens a connection. While the patches are on, such transports share one context per
setting, built only when a connection first needs it (`DeferredSSLContext`). Measured 2026-11-25
(bench/README.md, section 1): a replayed session no longer reads the CA bundle at all.
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
from typing import TYPE_CHECKING, Any

from .. import process
from .attribute_patch import patched
from .deferred_pool import deferred_pool, plain

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def ssl_sharing_patchers(module: Any) -> Iterator[Any]:
    """Patches that hand `module`'s default transports the shared contexts."""
    transports = getattr(getattr(module, "_transports", None), "default", None)
    create = getattr(transports, "create_ssl_context", None)
    if create is None:
        return
    for transport in (module.HTTPTransport, module.AsyncHTTPTransport):
        yield patched(transport, "__init__", _sharing_ssl_context(transport.__init__, create))


def _sharing_ssl_context(init: Callable[..., None], create: Callable[..., Any]) -> Callable[..., None]:
    """The transport's `__init__`, handed one shared SSL context (as `verify=`) when it would build
    one with default verification. An SSLContext is made to be shared by connections (httpx shares
    one among a client's); httpcore sets its ALPN protocols on it before each handshake, so clients
    with other HTTP versions get another. A transport given its own `verify=`, a client certificate
    or positional arguments builds its own, as before; `SSL_CERT_FILE` and `SSL_CERT_DIR`, which
    httpx reads, are part of the key. The shared context is built at the first connection that needs
    it (`DeferredSSLContext`), so a replayed session never reads the CA bundle."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not args and kwargs.get("verify", True) is True and kwargs.get("cert") is None:
            trust_env = kwargs.get("trust_env", True)
            cert_file, cert_dir = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
            key = (
                init,
                bool(trust_env),
                bool(kwargs.get("http1", True)),
                bool(kwargs.get("http2", False)),
                cert_file,
                cert_dir,
            )
            context = process.SSL_CONTEXTS.get(key)
            if context is None:
                build = functools.partial(_build_context, create, bool(trust_env), cert_file, cert_dir)
                context = process.SSL_CONTEXTS[key] = DeferredSSLContext(build)
            kwargs["verify"] = context
            if plain(kwargs):
                self._pool = deferred_pool(type(self), init, kwargs)
                return
        init(self, *args, **kwargs)

    return __init__


def _build_context(
    create: Callable[..., Any], trust_env: bool, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    """What the transport would have built when it was made, with the environment it saw then."""
    if not trust_env or not (cert_file or cert_dir):
        # Without SSL_CERT_*, trust_env changes nothing, whatever the environment says by now.
        context: ssl.SSLContext = create(verify=True, cert=None, trust_env=False)
    elif (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) == (cert_file, cert_dir):
        context = create(verify=True, cert=None, trust_env=True)
    elif cert_file:  # changed since: what httpx and httpcore build from the variable
        context = ssl.create_default_context(cafile=cert_file)
    else:
        context = ssl.create_default_context(capath=cert_dir)
    return context


class DeferredSSLContext:
    """The SSL context a transport would build, built when it is first used: a connection's handshake
    (`wrap_socket`, `wrap_bio`, `set_alpn_protocols` before them) or anything else asked of it. Until
    then it holds no CA bundle. Every attribute read or written goes to the built context, and
    `isinstance(..., ssl.SSLContext)` holds (as for a `unittest.mock` spec)."""

    __slots__ = ("_build", "_built", "_lock")

    def __init__(self, build: Callable[[], ssl.SSLContext]) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_built", None)
        object.__setattr__(self, "_lock", threading.Lock())

    @property  # type: ignore[misc]
    def __class__(self) -> type[ssl.SSLContext]:  # type: ignore[override]  # what isinstance() reads
        return ssl.SSLContext

    def _context(self) -> ssl.SSLContext:
        built: ssl.SSLContext | None = self._built
        if built is None:
            with self._lock:
                built = self._built
                if built is None:
                    built = self._build()
                    object.__setattr__(self, "_built", built)
        return built

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._context(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._context(), name)
