"""The httpx and httpx2 adapter: the transports the Claude SDKs send through, owned by the plugin.

`HTTPTransport.handle_request` and `AsyncHTTPTransport.handle_async_request` are wrapped: each
request is captured and handed to the active test's recorder (`core.ClaudeContractRecorder.decide`),
which answers it from the cassette, refuses it, or lets it go to the real transport. A live answer
reaches the client as the real transport streams it: the recorder sees each chunk as the client
reads it (`LiveRecording`), so a server-sent event stream is not held back while recording.

A transport marked with `BYPASS` (the loopback server's own upstream client) is never routed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .. import process
from ..contract.exchange import EVENTSTREAM, CapturedRequest, media_type
from .attribute_patch import patched
from .core import Live, Refuse, Replay, grouped_headers
from .ssl_sharing import ssl_sharing_patchers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from .core import ClaudeContractRecorder, LiveRecording

# The modules whose transports the SDKs use; patched when imported.
MODULES = ("httpx2", "httpx")
# An attribute that, set true on a transport instance, keeps its requests away from the recorder.
BYPASS = "_claude_contract_bypass"


def transport_patchers(
    current: Callable[[], ClaudeContractRecorder | None], share_ssl_contexts: bool
) -> Iterator[Any]:
    """Patches for every imported httpx-like module's transports: the network ones
    and the in-process ones (MockTransport, WSGI, ASGI), which vcrpy patched too."""
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        if share_ssl_contexts:
            yield from ssl_sharing_patchers(module)
        for transport, method, wrap, network in (
            (module.HTTPTransport, "handle_request", _sync, True),
            (module.AsyncHTTPTransport, "handle_async_request", _async, True),
            (module.MockTransport, "handle_request", _sync, False),
            (module.MockTransport, "handle_async_request", _async, False),
            (module.WSGITransport, "handle_request", _sync, False),
            (module.ASGITransport, "handle_async_request", _async, False),
        ):
            inner = getattr(transport, method)
            yield patched(transport, method, wrap(module, inner, current, network))


def _captured(request: Any, body: bytes) -> CapturedRequest:
    # httpx's own items(): names already lower-cased, repeated ones joined by ", " (as lower_headers).
    return CapturedRequest(request.method, str(request.url), dict(request.headers.items()), body)


def _sync(
    module: Any,
    inner: Callable[[Any, Any], Any],
    current: Callable[[], ClaudeContractRecorder | None],
    network: bool,
) -> Callable[[Any, Any], Any]:
    tee = _tee_classes(module)[0]

    def handle_request(self: Any, request: Any) -> Any:
        recorder = current()
        if recorder is None or getattr(self, BYPASS, False):
            return inner(self, request)
        captured = _captured(request, request.read())
        decision = recorder.decide(captured, network=network)
        if isinstance(decision, Replay):
            return _replayed(module, decision.response)
        if isinstance(decision, Refuse):
            recorder.fail(decision)
        response = inner(self, request)
        if decision.observed:
            _observe(response, tee, _live(recorder, captured, decision, response))
        return response

    return handle_request


def _async(
    module: Any,
    inner: Callable[[Any, Any], Any],
    current: Callable[[], ClaudeContractRecorder | None],
    network: bool,
) -> Callable[[Any, Any], Any]:
    tee = _tee_classes(module)[1]

    async def handle_async_request(self: Any, request: Any) -> Any:
        recorder = current()
        if recorder is None or getattr(self, BYPASS, False):
            return await inner(self, request)
        captured = _captured(request, await request.aread())
        decision = recorder.decide(captured, network=network)
        if isinstance(decision, Replay):
            return _replayed(module, decision.response)
        if isinstance(decision, Refuse):
            recorder.fail(decision)
        response = await inner(self, request)
        if decision.observed:
            _observe(response, tee, _live(recorder, captured, decision, response))
        return response

    return handle_async_request


def _observe(response: Any, tee: type[Any], recording: LiveRecording) -> None:
    """Show the answer to its recording as the client reads it; an answer made in process with its
    body already in hand (a MockTransport's) is shown whole at once."""
    if hasattr(response, "_content"):
        recording.feed(response.content)
        recording.finish()
    else:
        response.stream = tee(response.stream, recording)


def _live(
    recorder: ClaudeContractRecorder, request: CapturedRequest, decision: Live, response: Any
) -> LiveRecording:
    headers = grouped_headers(response.headers.multi_items())
    return recorder.live(request, decision, response.status_code, response.reason_phrase, headers)


def _replayed(module: Any, recorded: dict[str, Any]) -> Any:
    """The recorded answer as the transport returns it."""
    message = recorded["status"]["message"]
    headers = [(name, value) for name, values in recorded["headers"].items() for value in values]
    body: bytes = recorded["body"]["string"]
    if any(n.lower() == "content-type" and media_type(v) == EVENTSTREAM for n, v in headers):
        # Bedrock's binary event stream: handed over frame by frame, as the service sends it.
        from ..contract.aws_eventstream import frame_spans

        stream = _pieces_class(module)(frame_spans(body))
    else:
        # A stream, not content=: content would close the response, and a real one is left open.
        stream = module.ByteStream(body)
    return module.Response(
        recorded["status"]["code"],
        headers=headers,
        stream=stream,
        extensions={"reason_phrase": message.encode("ascii")} if message else None,
    )


def _pieces_class(module: Any) -> type[Any]:
    """A response stream that yields its body in the pieces it is given (sync or async), a subclass
    of the module's own stream classes as its ByteStream is."""
    key = f"{module.__name__} pieces"
    held = process.TEE_STREAMS.get(key)
    if held is not None:
        return held[0]

    class PieceStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, pieces: list[bytes]) -> None:
            self._pieces = pieces

        def __iter__(self) -> Iterator[bytes]:
            yield from self._pieces

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for piece in self._pieces:
                yield piece

    process.TEE_STREAMS[key] = (PieceStream, PieceStream)
    return PieceStream


def _tee_classes(module: Any) -> tuple[type[Any], type[Any]]:
    """Response streams that pass each chunk on as it arrives and show it to the recording; the
    recording ends when the stream does, or early when the client closes it. Subclasses of the
    module's own stream classes (httpx checks which kind of stream a response holds)."""
    held = process.TEE_STREAMS.get(module.__name__)
    if held is not None:
        return held

    class SyncTee(module.SyncByteStream):  # type: ignore[misc]
        def __init__(self, stream: Any, recording: LiveRecording) -> None:
            self._stream = stream
            self._recording = recording

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._stream:
                self._recording.feed(chunk)
                yield chunk
            self._recording.finish(complete=True)

        def close(self) -> None:
            try:
                self._stream.close()
            finally:
                self._recording.finish(complete=False)  # nothing, when it already ended

    class AsyncTee(module.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, stream: Any, recording: LiveRecording) -> None:
            self._stream = stream
            self._recording = recording

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for chunk in self._stream:
                self._recording.feed(chunk)
                yield chunk
            self._recording.finish(complete=True)

        async def aclose(self) -> None:
            try:
                await self._stream.aclose()
            finally:
                self._recording.finish(complete=False)

    held = process.TEE_STREAMS[module.__name__] = (SyncTee, AsyncTee)
    return held
