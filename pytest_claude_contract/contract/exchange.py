"""One request and its response, as the checks see them.

Built once per exchange from whatever the HTTP library handed over (a vcrpy request, a cassette
entry), with header names lower-cased and bodies as the bytes that crossed the wire.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from .limits import LimitExceeded, decoded_limit, inflate, loads_json, unbrotli
from .redaction import redact_shapes

Origin = Literal["live", "replayed", "not sent"]
# Amazon Bedrock's streams: the AWS event-stream binary framing (contract.aws_eventstream).
EVENTSTREAM = "application/vnd.amazon.eventstream"


class _Unparsed:
    """The "not parsed yet" marker of lazily parsed bodies. It pickles as a reference to the one
    instance (a copied response keeps it): a copy would pass for a parsed value."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_NOT_PARSED"

    def __repr__(self) -> str:
        return "<not parsed>"


_NOT_PARSED: Any = _Unparsed()


def shown_url(url: str) -> str:
    """`url` fit for a report or a log: the values of credential query parameters replaced, a key in
    its path and a password in it cut (`redaction.redact_shapes`)."""
    return redact_shapes(url)


def host_and_address(url: str) -> tuple[str, str]:
    """A URL's host name and its `host:port` (the scheme's default port when none is given)."""
    parts = urlsplit(url)
    name = (parts.hostname or "").lower()
    return name, f"{name}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def host_listed(hosts: frozenset[str], name: str, address: str) -> bool:
    """Whether a URL's host (`host_and_address`) is one of `hosts`: a bare name (any port) or
    `host:port` (that port)."""
    return name in hosts or address in hosts


def lower_headers(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Header names lower-cased; repeated or list values joined by ", " as HTTP allows."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        # Every request and response passes here: str (and one-string lists) skip the conversions.
        if type(value) is str:
            text = value
        elif type(value) is list and len(value) == 1 and type(value[0]) is str:
            text = value[0]
        elif isinstance(value, (list, tuple)):
            text = ", ".join(_text(v) for v in value)
        else:
            text = _text(value)
        key = name.lower() if type(name) is str else _text(name).lower()
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


class _JsonBody:
    """`json`: the body parsed as JSON once, whoever asks; None when it is empty or not JSON."""

    __slots__ = ()
    body: bytes
    _json: Any

    @property
    def json(self) -> Any:
        if self._json is _NOT_PARSED:
            self._json = parse_json(self.body)
        return self._json


class CapturedRequest(_JsonBody):
    """A request as the checks and the match key see it: headers lower-cased; `path`, `query` (sorted
    pairs) and `host` (netloc, lower-cased) split from `url` once. A plain class, as the others here:
    a dataclass compiles its methods when it is defined (see capture.core.Replay)."""

    __slots__ = ("_json", "body", "headers", "host", "method", "path", "query", "url")

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method.upper()
        self.url = url
        self.headers = headers
        self.body = body
        parts = urlsplit(url)
        self.path = parts.path or "/"
        self.query: tuple[tuple[str, str], ...] = tuple(
            sorted(parse_qsl(parts.query, keep_blank_values=True))
        )
        self.host = parts.netloc.lower()
        self._json: Any = _NOT_PARSED

    def __repr__(self) -> str:
        return f"CapturedRequest(method={self.method!r}, url={self.url!r}, headers={self.headers!r}, body={self.body!r})"

    @property
    def target(self) -> str:
        """Method and URL for reports: a credential in the query is not shown."""
        return f"{self.method} {shown_url(self.url)}"


class CapturedResponse(_JsonBody):
    """A response as the checks see it: headers lower-cased, `body` decoded (content-encoding
    undone). A plain class, as the others here: a dataclass compiles its methods when it is defined
    (see capture.core.Replay)."""

    __slots__ = ("_digest", "_events", "_json", "body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self._json: Any = _NOT_PARSED
        self._events: Any = _NOT_PARSED
        self._digest = b""

    def __repr__(self) -> str:
        return f"CapturedResponse(status={self.status!r}, headers={self.headers!r}, body={self.body!r})"

    @property
    def digest(self) -> bytes:
        """A hash of status, headers and body, worked out once (a recorded response is replayed as
        it is: `verdicts` keys the response rules' verdict on it)."""
        if not self._digest:
            hasher = hashlib.blake2b(digest_size=16)
            hasher.update(
                "\0".join(
                    (str(self.status), *(f"{n}:{v}" for n, v in sorted(self.headers.items())), "")
                ).encode()
            )
            hasher.update(self.body)
            self._digest = hasher.digest()
        return self._digest

    @property
    def events(self) -> list[Any]:
        """The body parsed as an event stream (`streams.Event`s); parsed once, whoever asks."""
        if self._events is _NOT_PARSED:
            from .streams import frame_events, parse_events

            if media_type(self.headers.get("content-type")) == EVENTSTREAM:
                self._events = frame_events(self.body)[0]  # frame problems: checks.check_stream
            else:
                self._events = parse_events(self.body)
        events: list[Any] = self._events
        return events


class Exchange:
    """One request and its answer (None: not sent). `index`: its position among the test's exchanges,
    from 1; `recorded_at`: a replayed answer's cassette `recorded_at`, as stored."""

    __slots__ = ("index", "origin", "recorded_at", "request", "response")

    def __init__(
        self,
        request: CapturedRequest,
        response: CapturedResponse | None,
        origin: Origin,
        index: int = 0,
        recorded_at: object = None,
    ) -> None:
        self.request = request
        self.response = response
        self.origin = origin
        self.index = index
        self.recorded_at = recorded_at

    def __repr__(self) -> str:
        return f"Exchange({self.describe()}, index={self.index})"

    def describe(self) -> str:
        status = f" -> {self.response.status}" if self.response else ""
        return f"{self.request.target}{status} ({self.origin})"


def beta_names(value: str) -> frozenset[str]:
    """The names an `anthropic-beta` value lists: their order, spacing and empty entries change
    nothing (the match key, rule beta-required)."""
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def parse_json(body: bytes) -> Any:
    """The body parsed as JSON; None when it is empty, not JSON, or nested deeper than the JSON depth
    limit (then the checks see a body that is not JSON and say so, instead of RecursionError)."""
    if not body:
        return None
    try:
        return loads_json(body)
    except (ValueError, UnicodeDecodeError):
        return None


def decode_body(body: bytes, content_encoding: str | None, limit: int | None = None) -> bytes:
    """Undo gzip/deflate/br content-encoding; other or broken encodings come back as they are (br too
    when the `brotli` package is not installed: see `undecodable`). Never inflates past `limit`
    (default: `limits.decoded_limit()`): LimitExceeded instead."""
    encoding = (content_encoding or "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate", "br"):
        return body
    if limit is None:
        limit = decoded_limit()
    if encoding == "br":
        return _unbrotli(body, limit)
    try:
        if encoding in ("gzip", "x-gzip"):
            return inflate(body, 16 + zlib.MAX_WBITS, limit)
        try:
            return inflate(body, zlib.MAX_WBITS, limit)
        except zlib.error:
            return inflate(body, -zlib.MAX_WBITS, limit)
    except LimitExceeded:
        raise
    except (OSError, EOFError, zlib.error):
        return body


# What to do when a br body cannot be decoded for want of the package.
BROTLI_FIX = "pip install brotli"


def _unbrotli(body: bytes, limit: int) -> bytes:
    # Imported only when a br body is met: HTTP clients ask for br only when brotli is installed.
    try:
        import brotli
    except ImportError:
        return body
    try:
        return unbrotli(body, limit)
    except brotli.error:
        return body  # not br after all: a library that handed the body over already decoded


def undecodable(body: bytes, content_encoding: str | None) -> bool:
    """A `br` body that cannot be decoded because the brotli package is missing (and that does not
    read as text, so it is not one a library already decoded)."""
    if (content_encoding or "").strip().lower() != "br" or not body:
        return False
    try:
        import brotli  # noqa: F401
    except ImportError:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


def body_bytes(body: Any) -> bytes:
    """Bytes of a body as an HTTP library handed it over (vcrpy keeps str, bytes, files or lists)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, Mapping | list) and not _is_chunk_list(body):
        # aiohttp's json= argument: aiohttp serialises it with json.dumps before sending.
        return json.dumps(body).encode("utf-8")
    if isinstance(body, list):
        return b"".join(body_bytes(chunk) for chunk in body)
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(body, "seek"):
            body.seek(0)
        return body_bytes(data)
    return str(body).encode("utf-8")


def _is_chunk_list(body: Any) -> bool:
    return isinstance(body, list) and bool(body) and all(isinstance(c, bytes | bytearray) for c in body)
