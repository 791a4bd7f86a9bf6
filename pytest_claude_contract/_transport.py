"""Replay straight from httpx's and httpx2's transports, in front of vcrpy's stubs.

The Claude SDKs send through httpx2 (or httpx, for SDK 0.x). vcrpy's stub for them builds a vcrpy
Request (its own case-insensitive header dict, a parsed URL) for every request before it asks the
cassette anything: most of what replaying costs outside the checks. When the active test's recorder
holds a recording for the request, it is answered here, from the transport's own request object.
Everything else (no recording left, record and verify modes, hosts that are not Claude's) goes on to
vcrpy's stub untouched, which then decides as it always does.

While the patches are on, transports built with default verification also share one SSL context per
setting (see `_sharing_ssl_context`): building one reads the whole CA bundle, about 20 ms for every SDK
client a test module builds, whether or not it ever opens a connection.
"""

from __future__ import annotations

import os
import sys
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
    httpx reads, are part of the key."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not args and kwargs.get("verify", True) is True and kwargs.get("cert") is None:
            trust_env = kwargs.get("trust_env", True)
            key = (
                init,
                bool(trust_env),
                bool(kwargs.get("http1", True)),
                bool(kwargs.get("http2", False)),
                os.environ.get("SSL_CERT_FILE"),
                os.environ.get("SSL_CERT_DIR"),
            )
            context = _SSL_CONTEXTS.get(key)
            if context is None:
                context = _SSL_CONTEXTS[key] = create(verify=True, cert=None, trust_env=trust_env)
            kwargs["verify"] = context
        init(self, *args, **kwargs)

    return __init__


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
