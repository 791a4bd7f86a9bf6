"""Replay straight from httpx's and httpx2's transports, in front of vcrpy's stubs.

The Claude SDKs send through httpx2 (or httpx, for SDK 0.x). vcrpy's stub for them builds a vcrpy
Request (its own case-insensitive header dict, a parsed URL) for every request before it asks the
cassette anything: most of what replaying costs outside the checks. When the active test's recorder
holds a recording for the request, it is answered here, from the transport's own request object.
Everything else (no recording left, record and verify modes, hosts that are not Claude's) goes on to
vcrpy's stub untouched, which then decides as it always does.

While the patches are on, transports built with default verification also share one SSL context per
setting (see `_sharing_ssl_context`), built only when a connection first needs it: building one reads
the whole CA bundle, about 20 ms for every SDK client a test module builds, and a replayed test never
opens a connection.
"""

from __future__ import annotations

import functools
import os
import ssl
import sys
import threading
from typing import TYPE_CHECKING, Any
from unittest import mock

from ._exchange import CapturedRequest, lower_headers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._recorder import ClaudeContractRecorder

# The modules whose transports the SDKs use; patched only when already imported (vcrpy imports them).
_MODULES = ("httpx2", "httpx")


def replay_patchers(
    current: Callable[[], ClaudeContractRecorder | None], share_ssl_contexts: bool = True
) -> Iterator[Any]:
    """Patchers (unittest.mock) to enter after vcrpy's: each wraps the stub vcrpy installed."""
    for name in _MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        transports = getattr(getattr(module, "_transports", None), "default", None)
        create = getattr(transports, "create_ssl_context", None)
        if share_ssl_contexts and create is not None:
            for transport in (module.HTTPTransport, module.AsyncHTTPTransport):
                yield mock.patch.object(
                    transport, "__init__", _sharing_ssl_context(transport.__init__, create)
                )
        sync_inner = module.HTTPTransport.handle_request
        async_inner = module.AsyncHTTPTransport.handle_async_request
        yield mock.patch.object(
            module.HTTPTransport, "handle_request", _sync_stub(module, sync_inner, current)
        )
        yield mock.patch.object(
            module.AsyncHTTPTransport, "handle_async_request", _async_stub(module, async_inner, current)
        )


# Contexts built with default verification, by the transport class and what decides how they are built.
_SSL_CONTEXTS: dict[tuple[Any, ...], Any] = {}


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
            context = _SSL_CONTEXTS.get(key)
            if context is None:
                build = functools.partial(_build_context, create, bool(trust_env), cert_file, cert_dir)
                context = _SSL_CONTEXTS[key] = DeferredSSLContext(build)
            kwargs["verify"] = context
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

    @property
    def built(self) -> bool:
        return self._built is not None

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


def _sync_stub(
    module: Any, inner: Callable[[Any, Any], Any], current: Callable[[], ClaudeContractRecorder | None]
) -> Callable[[Any, Any], Any]:
    def handle_request(self: Any, request: Any) -> Any:
        recorder = current()
        if recorder is not None and recorder.plays_recordings and recorder.is_claude_url(request.url):
            body = b"".join(request.stream)
            request.stream = module.ByteStream(body)  # read: put back for vcrpy's stub, if it gets it
            response = _answer(module, recorder, request, body)
            if response is not None:
                return response
        return inner(self, request)

    return handle_request


def _async_stub(
    module: Any, inner: Callable[[Any, Any], Any], current: Callable[[], ClaudeContractRecorder | None]
) -> Callable[[Any, Any], Any]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        recorder = current()
        if recorder is not None and recorder.plays_recordings and recorder.is_claude_url(request.url):
            body = b"".join([part async for part in request.stream])
            request.stream = module.ByteStream(body)
            response = _answer(module, recorder, request, body)
            if response is not None:
                return response
        return await inner(self, request)

    return handle_async_request


def _answer(module: Any, recorder: ClaudeContractRecorder, request: Any, body: bytes) -> Any:
    """The recorded answer as the transport returns it (as vcrpy's stub builds it), or None."""
    captured = CapturedRequest(request.method, str(request.url), lower_headers(request.headers.items()), body)
    recorded = recorder.replay(captured)
    if recorded is None:
        return None
    message = recorded["status"]["message"]
    return module.Response(
        recorded["status"]["code"],
        headers=[(name, value) for name, values in recorded["headers"].items() for value in values],
        # A stream, not content=: content would close the response, and a real one is left open.
        stream=module.ByteStream(recorded["body"]["string"]),
        extensions={"reason_phrase": message.encode("ascii")} if message else None,
    )
