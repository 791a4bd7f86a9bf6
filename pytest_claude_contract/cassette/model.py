"""What a cassette holds and how it is matched: interactions, match keys, the replay order."""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..contract.exchange import CapturedRequest, CapturedResponse, beta_names, lower_headers, media_type

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


# The request headers that change what the API does: part of the match key, so two requests that
# differ only in them never get each other's answer.
MATCHED_HEADERS = ("anthropic-beta", "anthropic-version")
# Method, path, query, canonical body, and the MATCHED_HEADERS' values (None: not sent).
MatchKey = tuple[str, str, tuple[tuple[str, str], ...], str | bytes, tuple[str | None, ...]]


class CassetteError(Exception):
    """A cassette that cannot be used; the message names the file, the line and what is wrong."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class Interaction:
    """One recorded exchange. `response` is in vcrpy's shape: status {code, message}, headers
    {name: [values]}, body {string}. `closed_early`: the client closed the (streamed) answer before
    it ended; recorded as far as it got, and replayed the same way.

    The parse cache keeps it as plain data (`cached`, `from_cached`), which marshal reads about six
    times faster than pickle reads the objects (2026-12-07: 2 µs against 12 µs for a one-call
    cassette); the recorded request is built again only when something asks for it (a replay that
    matches needs only the key). A plain class, not a dataclass: see capture.core.Replay."""

    __slots__ = (
        "_captured",
        "_digest",
        "_request",
        "_request_fields",
        "closed_early",
        "key",
        "recorded_at",
        "response",
    )

    def __init__(
        self,
        request: CapturedRequest,
        response: dict[str, Any],
        recorded_at: str | None = None,
        closed_early: bool = False,
    ) -> None:
        self._request: CapturedRequest | None = request
        self._request_fields: tuple[str, str, dict[str, str], bytes] | None = None
        self.response = response
        self.recorded_at = recorded_at
        self.closed_early = closed_early
        self.key: MatchKey = match_key(request)
        self._captured: CapturedResponse | None = None
        self._digest = b""

    @property
    def request(self) -> CapturedRequest:
        if self._request is None:
            assert self._request_fields is not None
            self._request = CapturedRequest(*self._request_fields)
        return self._request

    @property
    def captured_response(self) -> CapturedResponse:
        """The response as the checks see it, built once per loaded interaction (its digest, which
        keys the remembered verdicts, comes from the parse cache when it was read from there)."""
        if self._captured is None:
            response = self.response
            headers = lower_headers(response["headers"])
            captured = CapturedResponse(response["status"]["code"], headers, response["body"]["string"])
            captured._digest = self._digest
            self._captured = captured
        return self._captured

    def cached(self) -> tuple[Any, ...]:
        """What the parse cache keeps: plain values only (marshal's)."""
        request = self.request
        return (
            request.method,
            request.url,
            request.headers,
            request.body,
            self.response,
            self.recorded_at,
            self.closed_early,
            self.key,
            self.captured_response.digest,
        )

    @classmethod
    def from_cached(cls, fields: tuple[Any, ...]) -> Interaction:
        method, url, headers, body, response, recorded_at, closed_early, key, digest = fields
        interaction = cls.__new__(cls)
        interaction._request = None
        interaction._request_fields = (method, url, headers, body)
        interaction.response = response
        interaction.recorded_at = recorded_at
        interaction.closed_early = closed_early
        interaction.key = key
        interaction._captured = None
        interaction._digest = digest
        return interaction

    def __repr__(self) -> str:
        return f"Interaction(request={self.request!r}, response={self.response!r}, recorded_at={self.recorded_at!r})"


def match_key(request: CapturedRequest) -> MatchKey:
    """What replay matches on: method, path, query, the body (JSON parsed, so key order and
    whitespace do not matter; multipart with its random boundary taken out) and the headers that
    change what the API does (`anthropic-beta` as a set of names)."""
    parsed = request.json
    body: str | bytes
    if parsed is not None:
        body = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        body = request.body
        boundary = _boundary(request.headers.get("content-type"))
        if boundary:
            body = body.replace(boundary, b"BOUNDARY")
    return (request.method, request.path, request.query, body, _matched_headers(request.headers))


def _matched_headers(headers: dict[str, str]) -> tuple[str | None, ...]:
    beta, version = (headers.get(name) for name in MATCHED_HEADERS)
    if beta is not None:  # a set of names: order and spacing change nothing
        beta = ",".join(sorted(beta_names(beta)))
    return (beta, version.strip() if version is not None else None)


def _boundary(content_type: str | None) -> bytes | None:
    if media_type(content_type) != "multipart/form-data" or content_type is None:
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


class ReplayIndex:
    """Recorded interactions by match key; identical requests play their recordings in order. Once
    all were played, `cycle` starts over at the first (`serve`); else there is none left (a miss).

    A cassette another tool recorded (its interactions have no `recorded_at`) may have filtered a
    matched header out: a header it does not hold matches any value, as it is "not recorded"."""

    def __init__(self, interactions: list[Interaction], *, cycle: bool = False) -> None:
        self._queues: dict[tuple[Any, ...], deque[int]] = {}
        self._headers: list[tuple[tuple[str | None, ...], bool]] = []
        for position, interaction in enumerate(interactions):
            self._queues.setdefault(interaction.key[:4], deque()).append(position)
            self._headers.append((interaction.key[4], interaction.recorded_at is None))
        self._all = {key: tuple(queue) for key, queue in self._queues.items()} if cycle else None

    def take(self, key: MatchKey) -> int | None:
        base = key[:4]
        queue = self._queues.get(base)
        position = None if queue is None else self._first_fitting(queue, key[4])
        if position is None and self._all is not None and base in self._all:
            self._queues[base] = deque(self._all[base])
            position = self._first_fitting(self._queues[base], key[4])
        return position

    def _first_fitting(self, queue: deque[int], headers: tuple[str | None, ...]) -> int | None:
        for position in queue:
            recorded, foreign = self._headers[position]
            if recorded == headers or (
                foreign and all(r is None or r == h for r, h in zip(recorded, headers, strict=True))
            ):
                queue.remove(position)
                return position
        return None


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recorded_time(value: object) -> datetime | None:
    """`recorded_at` as an aware datetime (ISO 8601 text, or a timestamp YAML already parsed); None
    when it is missing or not a time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def merge_missing(present: list[Interaction], wanted: Iterable[Interaction]) -> list[Interaction]:
    """`present` plus each of `wanted` that it does not hold yet. Identity is match key and occurrence:
    the n-th `wanted` request with a key is there when `present` holds that key n times or more (so
    two tests or workers that recorded the same request leave it once, as a sequential run would)."""
    seen = Counter(i.key for i in present)
    merged = list(present)
    for interaction in wanted:
        if seen[interaction.key] > 0:
            seen[interaction.key] -= 1
        else:
            merged.append(interaction)
    return merged
