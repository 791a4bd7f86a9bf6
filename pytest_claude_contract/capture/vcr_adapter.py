"""The vcrpy adapter: every HTTP library but httpx and httpx2 (requests, urllib3, aiohttp,
http.client, ...), through vcrpy's patchers.

vcrpy's stubs ask the object they were built for four questions per request: can you play it, here
is the live answer, are you write protected, filter it. `VcrCassette` answers them for the active
test by asking its recorder (`core.ClaudeContractRecorder.decide`) once per request. vcrpy reads
live answers whole, so through these libraries a stream reaches the client when it has ended.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..contract.exchange import CapturedRequest, CapturedResponse, body_bytes, lower_headers
from .core import Live, Refuse, Replay

if TYPE_CHECKING:
    from collections.abc import Callable

    from .core import ClaudeContractRecorder, Decision


class VcrCassette:
    """What vcrpy's patchers take for a cassette (vcrpy's `CassettePatcherBuilder` reads the class
    attributes below)."""

    custom_patches: tuple[Any, ...] = ()
    # httpx and httpx2 are the plugin's own (httpx_transport), with streaming.
    skip_patchers: tuple[str, ...] = ("httpx", "httpx2")
    _path = "claude-contract"  # vcrpy names its patched connection classes after it
    write_protected = False  # refusals are the recorder's (decide), never vcrpy's

    def __init__(self, current: Callable[[], ClaudeContractRecorder | None]) -> None:
        self._current = current
        self._lock = threading.Lock()
        # vcrpy asks about one request object more than once: its decision, by the object's id.
        self._decided: dict[int, tuple[Any, CapturedRequest, ClaudeContractRecorder, Decision]] = {}

    def _decide(self, request: Any) -> tuple[CapturedRequest, ClaudeContractRecorder, Decision] | None:
        with self._lock:
            held = self._decided.get(id(request))
        if held is not None and held[0] is request:
            return held[1], held[2], held[3]
        recorder = self._current()
        if recorder is None:
            return None
        captured = captured_request(request)
        decision = recorder.decide(captured)
        with self._lock:
            self._decided[id(request)] = (request, captured, recorder, decision)
        return captured, recorder, decision

    def _forget(self, request: Any) -> None:
        with self._lock:
            self._decided.pop(id(request), None)

    def forget_all(self) -> None:
        """Drop the decisions vcrpy never came back for (a request that failed on the way out)."""
        with self._lock:
            self._decided.clear()

    def can_play_response_for(self, request: Any) -> bool:
        decided = self._decide(request)
        if decided is None:
            return False
        _, recorder, decision = decided
        if isinstance(decision, Refuse):
            self._forget(request)
            recorder.fail(decision)
        return isinstance(decision, Replay)

    def play_response(self, request: Any) -> dict[str, Any]:
        decided = self._decide(request)
        self._forget(request)
        assert decided is not None  # vcrpy plays only what can_play_response_for accepted
        decision = decided[2]
        assert isinstance(decision, Replay)
        recorded = decision.response
        return {
            "status": dict(recorded["status"]),
            "headers": {k: list(v) for k, v in recorded["headers"].items()},
            "body": {"string": recorded["body"]["string"]},
        }

    def append(self, request: Any, response: dict[str, Any]) -> None:
        with self._lock:
            held = self._decided.pop(id(request), None)
        if held is None or held[0] is not request:
            return
        _, captured, recorder, decision = held
        if not isinstance(decision, Live) or not decision.observed:
            return
        status = response["status"]
        recording = recorder.live(
            captured, decision, status["code"], status.get("message") or "", response["headers"]
        )
        recording.feed(body_bytes(response["body"]["string"]))
        recording.finish()

    def filter_request(self, request: Any) -> Any:
        return request

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        return []  # aiohttp asks this to follow recorded redirects


def captured_request(request: Any) -> CapturedRequest:
    """A vcrpy Request as the core sees it: the one conversion, for the adapter, the suite's record
    filters (vcr_config.RecordFilters) and plugin/vcr_bridge.py under pytest-recording."""
    headers = lower_headers(request.headers.items())
    if isinstance(request.body, Mapping | list) and "content-type" not in headers:
        # aiohttp's json=: vcrpy keeps the object; aiohttp adds this header after vcrpy has seen it.
        headers["content-type"] = "application/json"
    return CapturedRequest(request.method, request.uri, headers, vcr_body(request))


def vcr_body(request: Any) -> bytes:
    """A vcrpy Request's body as the bytes sent: of a file or an iterator (its `body` hands out a new
    one over what vcrpy read, each time it is asked), of aiohttp's json= object as aiohttp writes it."""
    raw = request.body
    if isinstance(raw, Iterator):
        return b"".join(body_bytes(chunk) for chunk in raw)
    return body_bytes(raw)


def captured_response(response: dict[str, Any]) -> CapturedResponse:
    """A vcrpy response dict (recorded, or a live answer handed to `Cassette.append`) as the checks
    see it: the body decoded, the headers that agree with it."""
    from ..cassette.formats import playable_response

    playable = playable_response(response)
    status = playable["status"]["code"]
    return CapturedResponse(status, lower_headers(playable["headers"]), playable["body"]["string"])
