"""A real HTTP server in front of the Claude API, for clients the vcrpy patches cannot reach.

Any client (curl, a TypeScript SDK, a subprocess) is pointed at `ContractServer.url` instead of the
API. Each request is checked as it arrives: its size from `content-length` before the body is read
(an oversized one is answered 413 `request_too_large` and drained in bounded chunks, never held),
then the whole exchange by the same checks as the marker. The answer comes from the test's cassette
(replay, same matching as the marker) or from the upstream API (record), whose response is passed
through chunk by chunk as it arrives - server-sent events are not buffered - and kept whole for the
cassette and the checks. Everything lands in one `ClaudeContractRecorder`, the test's own.

Clients are not trusted to behave (see "Clients that misbehave" in docs/server.md):

- The request line and headers are parsed strictly, within fixed sizes; whatever cannot be read as
  HTTP/1.1 (a bad request line, header or chunk, a body shorter than its length, a length and a
  transfer-encoding at once) is answered with a 4xx in the API's error shape and the connection
  closed. A request's headers must arrive within `header_timeout`, a keep-alive connection may idle
  for `idle_timeout`, and a body may stall for `body_timeout` at a time and, once it has taken longer
  than that, must average `body_min_rate` bytes a second: past them the connection is dropped (408
  when part of a request had arrived). Nothing times the answer but `send_timeout`, the
  longest a client may take to accept the next 64 KB: a slow stream is never cut.
- At most `max_workers` connections are served at once, by a fixed pool of threads; more wait in the
  listen backlog (`backlog`), an idle keep-alive connection gives its worker up to one that waits,
  and one that has waited `wait_timeout` for a worker is answered 503 `overloaded_error`.
- Bodies the checks and the match key read whole (JSON, and anything up to `KEEP_WHOLE` bytes) are
  held under one memory budget for all connections (`body_memory`; a body larger than the whole
  budget is taken alone). A larger upload to an endpoint that does not take JSON (Files) is
  never held: it is spooled to a temporary file, forwarded upstream from there in 64 KB pieces, and
  recorded and matched by its first bytes, its length and its SHA-256. Those guards, and the memory
  handed back to the system after a large body, are in capture/guards.py.
- Error messages in replies and log lines are cut at `MESSAGE_MAX` characters, saying how much was
  cut.

Standard library only (socketserver, http.server), plus httpx for the upstream leg.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import socket
import socketserver
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler
from typing import IO, TYPE_CHECKING, Any, cast

import httpcore
import httpx

from ..cassette.model import _boundary
from ..contract.checks import context_for
from ..contract.exchange import CapturedRequest, Exchange, lower_headers, media_type
from ..plugin.options import DEFAULT_UPSTREAM
from .core import Live, Refuse, Replay, grouped_headers
from .guards import (
    KEEP_WHOLE,
    MB,
    POLL,
    READ_CHUNK,
    TRIM_AFTER,
    BodyBudget,
    SocketReader,
    SocketWriter,
    SpooledUpload,
    UploadDigest,
    WorkerPool,
    answer_overloaded,
    give_memory_back,
)
from .httpx_transport import BYPASS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

    from ..contract.checks import Violation
    from .core import ClaudeContractRecorder

# What one request may spend on its head: the request line, then all header lines together.
MAX_REQUEST_LINE = 8 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_CHUNK_LINE = 1024  # a chunk's size line, extensions included
# After a 413 the rest of the body is read and dropped so that the client reads the answer (and the
# connection can go on); a body that goes on past this many bytes is cut off instead.
DRAIN_MAX = 1 << 30
MESSAGE_MAX = 4096  # characters of an error message in a reply, and of a log line's note
LOG_LINE_MAX = 1024  # characters of each violation line in the log
LINGER = 1.0  # after an error reply, how long the rest of what the client sends is read and dropped

# Hop-by-hop headers (RFC 9110 7.6.1) and those the server sets itself: never forwarded either way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
# Not forwarded upstream (httpx sets host and content-length for the body it sends) nor kept in the
# captured request (`host` would record this server's random port).
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}
# Set again by this server on the way back to the client.
NOT_RETURNED = HOP_BY_HOP | {"content-length", "date", "server"}
# An SDK would retry a 5xx; an answer made by this server (a miss, an unreachable upstream) is final.
NO_RETRY = {"x-should-retry": "false"}
TOO_LARGE = "Request exceeds the maximum allowed number of bytes."  # the API's own 413 message

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 5.6.2
_TARGET = re.compile(rb"[\x21-\x7e]+")  # visible ASCII: a request-target has no spaces or controls
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # controls other than tab (RFC 9110 5.5)
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """One exchange as the server handled it, for a log line (the `serve` command)."""

    request: CapturedRequest
    status: int
    # "replayed", "live", "refused" (413, no recording, no upstream), or "rejected": not HTTP the
    # server could read (a malformed request, a timeout), so never seen by the recorder.
    origin: str
    violations: list[Violation] = field(default_factory=list)
    note: str = ""


def cut(text: str, limit: int = MESSAGE_MAX) -> str:
    """`text` at most about `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit:,} more characters cut)"


class _Rejected(Exception):
    """A request the server cannot take: answered `status` with `message`, then the connection closes."""

    def __init__(self, status: int, message: str, error_type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


class _TimedOut(Exception):
    """The client was too slow: silent too long while its request line and headers arrived ("head") or
    in its body ("body"), or its body trickled in below the minimum rate ("rate")."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


# ---------------------------------------------------------------- the server and its handler


class _HTTPServer(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(self, owner: ContractServer, address: tuple[str, int]) -> None:
        self.owner = owner
        self.request_queue_size = owner.backlog  # read by listen() in server_activate
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        owner = self.owner
        job = functools.partial(self._serve, request, client_address)
        if not owner._pool.run(job, owner.wait_timeout, lambda: owner._stopping):
            answer_overloaded(request, owner.max_workers)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-response is the client's business; a bug here should still show.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses
    server_version = "pytest-claude-contract"

    # ------------------------------------------------------------ the connection

    @property
    def owner(self) -> ContractServer:
        return cast("_HTTPServer", self.server).owner

    def setup(self) -> None:
        self.connection = self.request
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self._phase = "head"
        self._deadline = time.monotonic() + self.owner.header_timeout
        self._got = 0  # bytes of the current request received
        self._body_from, self._body_base = 0.0, 0  # when the body began, and _got then
        self._linger = False
        self._reader = SocketReader(self._recv_into)
        self._buffered = io.BufferedReader(self._reader, READ_CHUNK)
        self.rfile = self._buffered
        self.wfile = SocketWriter(self.connection, self.owner.send_timeout)
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        self.owner._track(self.connection, add=False)
        self._reader.recv_into = None  # no cycle: the connection's buffers go with the handler
        if self._linger:
            self._linger_close()

    def _linger_close(self) -> None:
        """After an error reply: stop sending, and read and drop what the client still sends for a
        moment, so that closing does not reset the connection before the client has read the reply."""
        connection = self.connection
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER
            buffer = bytearray(READ_CHUNK)
            while (left := deadline - time.monotonic()) > 0:
                connection.settimeout(left)
                if not connection.recv_into(buffer):
                    break

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the owner reports exchanges through on_exchange

    def _recv_into(self, buffer: Any) -> int:
        """One read from the socket, waiting as the phase allows: "head" (the request line and headers)
        until a fixed deadline, "idle" (a keep-alive connection between requests) until its deadline
        or until a waiting connection wants the worker (then as if the client had closed), "body" up to
        `body_timeout` for each read."""
        connection = self.connection
        while True:
            phase = self._phase
            if phase == "body":
                wait = self.owner.body_timeout
                # A trickle (a byte now and then, each within body_timeout) would hold a worker
                # for as long as the client likes: past the first body_timeout, the body must keep
                # an average of body_min_rate bytes a second.
                elapsed = time.monotonic() - self._body_from
                if elapsed > wait and self._got - self._body_base < self.owner.body_min_rate * elapsed:
                    raise _TimedOut("rate")
            else:
                wait = self._deadline - time.monotonic()
                if phase == "idle":
                    if wait <= 0 or self.owner._pool.claim():
                        return 0
                    wait = min(wait, POLL)
                elif wait <= 0:
                    raise _TimedOut("head")
            connection.settimeout(wait)
            try:
                got = connection.recv_into(buffer)
            except TimeoutError:
                if phase == "body":
                    raise _TimedOut("body") from None
                continue
            self._got += got
            return int(got)

    def handle(self) -> None:
        while True:
            self._one_request()
            if self.close_connection:
                return
            # Keep-alive: wait for the next request (it may be buffered already), then time its head.
            self._phase, self._deadline, self._got = "idle", time.monotonic() + self.owner.idle_timeout, 0
            try:
                if not self._buffered.peek(1):
                    return
            except OSError:
                return
            self._phase, self._deadline = "head", time.monotonic() + self.owner.header_timeout

    def _one_request(self) -> None:
        self.command, self.path, self.request_version, self.requestline = "", "", "HTTP/1.1", ""
        self.headers = HTTPMessage()
        self.close_connection = True  # until the head says otherwise
        self._answered = False  # a response was started: an error can no longer be sent
        self._expect_continue = False
        self._large = False  # a large body was taken into memory (see BodyBudget.large_done)
        try:
            self._request()
        finally:
            # The exchange is over and its frames gone: the request, its parse, a miss report's diff
            # are garbage now. The last large one out hands their memory back.
            if self._large and self.owner._budget.large_done():
                give_memory_back()

    def _request(self) -> None:
        try:
            if self._read_head():
                self._dispatch()
        except _Rejected as exc:
            self._reject(exc.status, exc.message, exc.error_type)
        except _TimedOut as exc:
            if self._got and not self._answered:  # part of a request came: say why it is dropped
                message = self._dropped_because(exc.what)
                self._reject(408, message, linger=False)  # all it sent was read: nothing to wait for
            self.close_connection = True
        except OSError:
            self.close_connection = True  # the client hung up, or would not take the answer
        except Exception as exc:
            self.close_connection = True
            if not self._answered:
                message = f"Claude contract server: internal error ({type(exc).__name__}: {exc})"
                self._send_error(500, "api_error", cut(message, 512), close=True)
            raise  # shown by handle_error: a bug

    def _dropped_because(self, what: str) -> str:
        owner = self.owner
        if what == "rate":
            return (
                f"The request was dropped: its body arrived slower than {owner.body_min_rate:,} bytes a "
                "second on average."
            )
        if what == "head":
            return (
                "The request was dropped: its request line and headers did not arrive in time "
                f"({owner.header_timeout:g} s)."
            )
        return f"The request was dropped: its body did not arrive in time ({owner.body_timeout:g} s)."

    # ------------------------------------------------------------ the head

    def _readline(self, limit: int, too_long: int, what: str) -> bytes:
        line = self.rfile.readline(limit + 1) if limit > 0 else b"x"
        if len(line) > limit:
            raise _Rejected(too_long, f"The {what} is longer than the server takes.")
        if line.endswith(b"\n") or not line:
            return line
        raise _Rejected(400, f"The request ended inside its {what}.")

    def _read_head(self) -> bool:
        """Read and check the request line and headers; False when the client closed before a request."""
        line = self._readline(MAX_REQUEST_LINE, 414, "request line")
        for _ in range(2):  # RFC 9112 2.2: empty lines before a request line are ignored
            if line not in (b"\r\n", b"\n"):
                break
            line = self._readline(MAX_REQUEST_LINE, 414, "request line")
        if not line:
            return False
        text = line.rstrip(b"\r\n")
        self.requestline = text.decode("latin-1")
        parts = text.split(b" ")
        shown = cut(repr(self.requestline), 200)
        if len(parts) != 3:
            raise _Rejected(400, f"Malformed request line {shown}: expected 'METHOD /path HTTP/1.1'.")
        method, target, version = parts
        if not _TOKEN.fullmatch(method):
            raise _Rejected(400, f"Malformed request line {shown}: the method is not a token.")
        if not _TARGET.fullmatch(target):
            raise _Rejected(
                400, f"Malformed request line {shown}: the target has spaces or control characters."
            )
        matched = _VERSION.fullmatch(version)
        if matched is None:
            raise _Rejected(
                400, f"Malformed request line {shown}: {version.decode('latin-1')!r} is no HTTP version."
            )
        if matched.group(1) != b"1":
            raise _Rejected(505, f"{version.decode()} is not supported; send HTTP/1.1.")
        self.command = method.decode()
        self.path = target.decode()
        self.request_version = "HTTP/1.0" if matched.group(2) == b"0" else "HTTP/1.1"
        self._read_headers()
        tokens = {t.strip().lower() for v in self.headers.get_all("connection", []) for t in v.split(",")}
        if "close" in tokens:
            self.close_connection = True
        elif self.request_version == "HTTP/1.1" or "keep-alive" in tokens:
            self.close_connection = False
        expect = self.headers.get("expect")
        if expect is not None:
            if expect.strip().lower() != "100-continue":
                raise _Rejected(417, f"Expect: {cut(expect, 100)!r} is not supported (only 100-continue).")
            self._expect_continue = self.request_version == "HTTP/1.1"
        return True

    def _read_headers(self) -> None:
        budget, count = MAX_HEADER_BYTES, 0
        while True:
            line = self._readline(budget, 431, "headers")
            budget -= len(line)
            if line in (b"\r\n", b"\n"):
                return
            if not line:
                raise _Rejected(400, "The request ended inside its headers.")
            if line[0] in b" \t":
                raise _Rejected(400, "A header line starts with whitespace (obsolete line folding).")
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.fullmatch(name):
                raise _Rejected(400, f"Malformed header line {cut(repr(line.decode('latin-1')), 200)}.")
            value = value.rstrip(b"\r\n").strip(b" \t")
            if _BAD_VALUE.search(value):
                raise _Rejected(400, f"The {name.decode()} header has control characters in its value.")
            count += 1
            if count > MAX_HEADERS:
                raise _Rejected(431, f"More than {MAX_HEADERS} headers.")
            self.headers[name.decode()] = value.decode("latin-1")

    def _framing(self) -> tuple[int | None, bool]:
        """(content-length, chunked): how the body is delimited, checked (RFC 9112 6)."""
        codings = [
            c.strip().lower() for v in self.headers.get_all("transfer-encoding", []) for c in v.split(",")
        ]
        lengths = self.headers.get_all("content-length", [])
        if codings:
            if lengths:
                raise _Rejected(400, "The request has both content-length and transfer-encoding.")
            if codings != ["chunked"]:
                raise _Rejected(
                    501,
                    f"transfer-encoding {', '.join(codings)!r} is not supported: send the body chunked, or with content-length.",
                )
            return None, True
        values = {v.strip() for value in lengths for v in value.split(",")}
        if not values:
            return None, False
        if len(values) != 1 or not all(v.isdigit() and v.isascii() and len(v) <= 18 for v in values):
            raise _Rejected(
                400, f"Bad content-length {cut(', '.join(lengths), 100)!r}: one decimal number is expected."
            )
        return int(values.pop()), False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own error page is HTML; every error here is the API's JSON error shape.
        text = message or self.responses.get(code, ("Error",))[0]
        self._send_error(code, "invalid_request_error" if code < 500 else "api_error", text, close=True)

    # ------------------------------------------------------------ the body

    def _chunks(self, length: int | None, chunked: bool) -> Iterator[memoryview]:
        """The body as it arrives, READ_CHUNK bytes at most at a time, each a view of one buffer that
        the next overwrites (no allocation per piece: a long upload would fragment the heap); a
        malformed or short body is rejected (400)."""
        self._start_body()
        buffer = memoryview(bytearray(READ_CHUNK))
        if not chunked:
            left = length or 0
            while left > 0:
                chunk = buffer[: self.rfile.readinto1(buffer[: min(READ_CHUNK, left)])]
                if not chunk:
                    raise _Rejected(
                        400,
                        f"The body ended after {(length or 0) - left:,} of the {length:,} bytes of its content-length.",
                    )
                left -= len(chunk)
                yield chunk
            return
        while True:
            line = self._readline(MAX_CHUNK_LINE, 400, "chunk size line")
            if not line:
                raise _Rejected(400, "The chunked body ended before its last chunk.")
            size_text = line.split(b";", 1)[0].strip(b" \t\r\n")
            if not _HEX.fullmatch(size_text):
                shown = cut(repr(size_text.decode("latin-1")), 100)
                raise _Rejected(400, f"Bad chunk size {shown}: a hexadecimal number is expected.")
            size = int(size_text, 16)
            if size == 0:
                break
            while size > 0:
                chunk = buffer[: self.rfile.readinto1(buffer[: min(READ_CHUNK, size)])]
                if not chunk:
                    raise _Rejected(400, "The chunked body ended inside a chunk.")
                size -= len(chunk)
                yield chunk
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Rejected(400, "A chunk's data is not followed by CRLF.")
        budget = MAX_HEADER_BYTES  # trailers: read within the same bounds as headers, and dropped
        while (line := self._readline(budget, 431, "trailers")) not in (b"\r\n", b"\n"):
            if not line:
                raise _Rejected(400, "The chunked body ended inside its trailers.")
            budget -= len(line)

    def _drain(self, chunks: Iterator[memoryview]) -> int:
        """Read and drop the rest of a refused body (up to DRAIN_MAX), so the client reads the answer;
        past that, or if it is malformed, the connection is closed instead. Returns the bytes dropped."""
        dropped = 0
        try:
            for chunk in chunks:
                dropped += len(chunk)
                if dropped > DRAIN_MAX:
                    self.close_connection = True
                    break
        except (_Rejected, _TimedOut):
            self.close_connection = True
        return dropped

    def _keeps_whole(self, meta: CapturedRequest, size: int | None) -> bool:
        if size is not None and size <= KEEP_WHOLE:
            return True
        endpoint = context_for(Exchange(meta, None, "not sent"), self.owner.recorder.contract).endpoint
        return endpoint is None or endpoint.body == "json"

    def _receive(
        self, meta: CapturedRequest, length: int | None, chunked: bool, limit: int | None
    ) -> tuple[bytes | SpooledUpload, int] | None:
        """The body under `limit`: (the bytes held whole, or a spooled upload; the bytes taken from the
        memory budget). None when it was answered already (over the limit, or no memory for it)."""
        budget = self.owner._budget
        if not chunked and self._keeps_whole(meta, length):
            size = length or 0
            if not budget.take(size, self.owner.wait_timeout):
                expecting = self._expect_continue  # then the body was never sent: nothing to drain
                self._no_memory(size, close=expecting)
                if not expecting:
                    self._drain(self._chunks(length, chunked))
                return None
            self._large = size >= TRIM_AFTER
            try:
                body = self._read_exact(size)
            except BaseException:
                budget.give(size)
                raise
            return body, size
        # Chunked (no length to judge by), or an upload too large to hold: counted as it arrives into a
        # temporary file (in memory up to 1 MB), with its digest when it may be too large to keep.
        normalized = (
            None
            if self._keeps_whole(meta, None)
            else UploadDigest(_boundary(meta.headers.get("content-type")))
        )
        may_go_live = not self.owner.recorder.write_protected
        # Closed below, or handed to the exchange with the upload (which closes it).
        spool: IO[bytes] | None = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        size = 0
        chunks = self._chunks(length, chunked)
        try:
            for chunk in chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    # Judged by its whole size: the rest is read and dropped first. The verdict is in
                    # the recorder before the client has its answer.
                    kept_open = not self.close_connection
                    size += self._drain(chunks)
                    self._too_large(meta, size, limit, close=kept_open and self.close_connection)
                    return None
                if normalized is not None:
                    normalized.update(chunk)
                if spool is not None:
                    spool.write(chunk)
                    if normalized is not None and size > KEEP_WHOLE and not may_go_live:
                        spool.close()  # matched by its digest, and never sent: no need to keep it
                        spool = None
            if normalized is not None and size > KEEP_WHOLE:
                upload = SpooledUpload(size, normalized.kept(), spool)
                spool = None  # the exchange closes it
                return upload, 0
            assert spool is not None
            if not budget.take(size, self.owner.wait_timeout):
                self._no_memory(size)
                return None
            self._large = size >= TRIM_AFTER
            spool.seek(0)
            return spool.read(), size
        finally:
            if spool is not None:
                spool.close()

    def _start_body(self) -> None:
        self._phase = "body"
        self._continue()
        self._body_from, self._body_base = time.monotonic(), self._got

    def _continue(self) -> None:
        if self._expect_continue:  # the client waits for the go-ahead before it sends the body
            self._expect_continue = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_exact(self, size: int) -> bytes:
        """A body of known length held whole: read into one buffer of its size (no chunk list to join)."""
        self._start_body()
        body = self.rfile.read(size)  # one bytes object of `size`; each socket read within body_timeout
        if len(body) != size:
            raise _Rejected(
                400, f"The body ended after {len(body):,} of the {size:,} bytes of its content-length."
            )
        return body

    # ------------------------------------------------------------ the exchange

    def _dispatch(self) -> None:
        if self.command not in _METHODS:
            raise _Rejected(501, f"Method {self.command} is not supported.")
        with self.owner._active():
            self._exchange()

    def _exchange(self) -> None:
        recorder = self.owner.recorder
        length, chunked = self._framing()
        meta = self._captured(b"", length)
        limit = recorder.body_limit_for(meta)
        if limit is not None and length is not None and length > limit:
            # Answered before the body is read; then drained in bounded chunks, or the next request
            # on this connection would start inside it (unless the client waits for a 100 Continue).
            expecting = self._expect_continue
            self._too_large(meta, length, limit, close=expecting)
            if not expecting:
                self._drain(self._chunks(length, chunked))
            return
        received = self._receive(meta, length, chunked, limit)
        if received is None:
            return
        body, held = received
        upload = body if isinstance(body, SpooledUpload) else None
        try:
            if upload is not None:
                request = self._captured(upload.kept, upload.size)
            else:
                assert isinstance(body, bytes)
                request = self._captured(body, len(body) if chunked else length)
            del body
            self._decide(request, upload)
        finally:
            if upload is not None and upload.file is not None:
                upload.file.close()
            self.owner._budget.give(held)

    def _decide(self, request: CapturedRequest, upload: SpooledUpload | None) -> None:
        recorder = self.owner.recorder
        decision = recorder.decide(request, claude=True)
        if isinstance(decision, Replay):
            self._send_recorded(decision.response)
            status = decision.response["status"]["code"]
            self.owner._report(Outcome(request, status, "replayed", list(decision.violations)))
        elif isinstance(decision, Refuse):
            # A replay miss, the placeholder key on its way to the live API, or a body over the limit.
            self._send_error(decision.status, decision.error_type, decision.message)
            found = list(decision.violations) or recorder.request_verdicts(request)
            self.owner._report(Outcome(request, decision.status, "refused", found, decision.message))
        else:
            self._forward(request, decision, upload)

    def _captured(self, body: bytes, size: int | None) -> CapturedRequest:
        headers = lower_headers(
            (name, value) for name, value in self.headers.items() if name.lower() not in NOT_FORWARDED
        )
        if size or self.headers.get("content-length") is not None:  # as sent; a chunked one: its length
            headers["content-length"] = str(size or 0)
        return CapturedRequest(self.command, self.owner.upstream + self._target(), headers, body)

    def _target(self) -> str:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute form, as sent to a proxy
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        return target if target.startswith("/") else "/" + target

    # ------------------------------------------------------------ answers

    def _too_large(self, meta: CapturedRequest, size: int, limit: int, *, close: bool = False) -> None:
        refusal = self.owner.recorder.refuse_oversized(meta, size, limit)
        self._send_error(413, "request_too_large", TOO_LARGE, close=close)
        self._linger = close
        note = f"{size:,} bytes, over {limit:,}"
        self.owner._report(Outcome(meta, 413, "refused", list(refusal.violations), note))

    def _no_memory(self, size: int, *, close: bool = False) -> None:
        budget = self.owner._budget.size
        message = (
            f"The Claude contract server holds request bodies of at most {budget:,} bytes at once "
            f"(body_memory), and this one ({size:,} bytes) waited {self.owner.wait_timeout:g} s for room; "
            "try again shortly."
        )
        self._send_error(503, "overloaded_error", message, retry=True, close=close)
        self._linger = close
        self.owner._report(Outcome(self._captured(b"", size), 503, "rejected", note=message))

    def _reject(
        self, status: int, message: str, error_type: str = "invalid_request_error", *, linger: bool = True
    ) -> None:
        """A request the server could not read as HTTP: answered, logged, and the connection closed
        (lingering: what the client still sends is read and dropped for a moment, see finish)."""
        self.close_connection = True
        if self._answered:
            return
        self._send_error(status, error_type, message, close=True)
        self._linger = linger
        method = self.command or "-"
        path = self._target() if self.path else "/"
        request = CapturedRequest(method, self.owner.upstream + path, {}, b"")
        self.owner._report(Outcome(request, status, "rejected", note=message))

    def _send_error(
        self, status: int, error_type: str, message: str, *, close: bool = False, retry: bool = False
    ) -> None:
        payload = {"type": "error", "error": {"type": error_type, "message": cut(message)}}
        body = json.dumps(payload).encode()
        self._answered = True
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-claude-contract", "refused")
        if retry:
            self.send_header("retry-after", "1")
        else:
            for name, value in NO_RETRY.items():
                self.send_header(name, value)
        if close:
            self.close_connection = True
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_recorded(self, recorded: dict[str, Any]) -> None:
        """A recorded response: its headers (body stored decoded, so with its own length) and body."""
        body: bytes = recorded["body"]["string"]
        status = recorded["status"]
        self._answered = True
        self.send_response_only(int(status["code"]), status.get("message") or None)
        for name, values in recorded["headers"].items():
            if name.lower() not in NOT_RETURNED:
                for value in values:
                    self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, request: CapturedRequest, decision: Live, upload: SpooledUpload | None) -> None:
        """Send upstream, pass the answer through chunk by chunk as it arrives, and let the recorder
        see each chunk (it checks and keeps the whole when the last one is through)."""
        owner = self.owner
        # As bytes: a value may hold latin-1 characters (obs-text), which httpx would not encode.
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
            if name.lower() not in NOT_FORWARDED
        ]
        client = owner._client()
        if upload is not None:  # from the temporary file, 64 KB at a time, with its length
            headers.append((b"content-length", str(upload.size).encode()))
            content: bytes | Iterator[bytes] | None = upload.chunks()
        else:
            content = request.body or None
        upstream_request = client.build_request(request.method, request.url, headers=headers, content=content)
        sent = {name.decode("latin-1").lower() for name, _ in headers}
        for name in ("accept", "accept-encoding", "user-agent"):  # httpx's defaults: not the client's
            if name not in sent and name in upstream_request.headers:
                del upstream_request.headers[name]
        try:
            response = client.send(upstream_request, stream=True)
        except (httpx.HTTPError, httpcore.ConnectError, httpcore.TimeoutException, OSError) as exc:
            message = f"Claude contract server: the upstream {owner.upstream} cannot be reached ({exc!r})"
            owner.recorder.fatal.append(message)
            self._send_error(502, "api_error", message)
            owner._report(Outcome(request, 502, "refused", note=message))
            return
        kept = [(n, v) for n, v in response.headers.multi_items() if n not in HOP_BY_HOP]
        recording = owner.recorder.live(
            request, decision, response.status_code, response.reason_phrase, grouped_headers(kept)
        )
        found: list[Violation] | None = None
        try:
            self._answered = True
            self.send_response_only(response.status_code, response.reason_phrase or None)
            returned = [(n, v) for n, v in response.headers.multi_items() if n not in NOT_RETURNED]
            for name, value in returned:
                self.send_header(name, value)
            bodiless = self.command == "HEAD" or response.status_code in (204, 304)
            # An HTTP/1.0 client cannot read chunks: its answer ends when the connection closes.
            framed = self.request_version != "HTTP/1.0"
            if not bodiless:
                if framed:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.close_connection = True
            self.end_headers()
            for chunk in response.iter_raw():
                recording.feed(chunk)
                if not bodiless and chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if framed else chunk)
            # Checked and recorded before the last chunk: once the client has its answer, the test
            # (or the next request) must find the exchange and its verdict in the recorder.
            found = recording.finish()
            if not bodiless and framed:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            response.close()
            if found is None:  # the client hung up mid-stream: kept as far as it got
                found = recording.finish(complete=False)
            owner._report(Outcome(request, response.status_code, "live", found))


class ContractServer:
    """The server: `with ContractServer(recorder) as server:` then point a client at `server.url`.

    The limits that protect it from clients that misbehave (see the module's docstring) are keyword
    arguments, kept as attributes of the same names; their defaults suit any well-behaved client."""

    def __init__(
        self,
        recorder: ClaudeContractRecorder,
        *,
        upstream: str = DEFAULT_UPSTREAM,
        host: str = "127.0.0.1",
        port: int = 0,
        on_exchange: Callable[[Outcome], None] | None = None,
        header_timeout: float = 5.0,
        idle_timeout: float = 30.0,
        body_timeout: float = 10.0,
        body_min_rate: int = 10_000,
        send_timeout: float = 60.0,
        max_workers: int = 64,
        backlog: int = 128,
        wait_timeout: float = 10.0,
        body_memory: int = 32 * MB,
    ) -> None:
        self.recorder = recorder
        self.upstream = upstream.rstrip("/")
        self.on_exchange = on_exchange
        # From a connection's start (or a keep-alive request's first byte) to the end of its headers.
        self.header_timeout = header_timeout
        # How long a keep-alive connection may wait for its next request.
        self.idle_timeout = idle_timeout
        # The longest silence while a request body arrives.
        self.body_timeout = body_timeout
        # Bytes a second a body must average once it has taken longer than `body_timeout`.
        self.body_min_rate = body_min_rate
        # The longest a client may take to accept the next 64 KB of its answer.
        self.send_timeout = send_timeout
        # Connections served at once (worker threads); more wait in the listen backlog of `backlog`.
        self.max_workers = max_workers
        self.backlog = backlog
        # How long a connection waits for a worker, or a body for room in `body_memory`, before 503.
        self.wait_timeout = wait_timeout
        # Bytes of request bodies held in memory at once, for all connections (see BodyBudget).
        self.body_memory = body_memory
        self._address = (host, port)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None
        self._lock = threading.Condition()
        self._busy = 0
        self._connections: set[socket.socket] = set()
        self._pool = WorkerPool(max_workers)
        self._budget = BodyBudget(body_memory)
        self._stopping = False

    # ------------------------------------------------------------ public surface

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"{self._address[0]}:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.host.rpartition(":")[2])

    @property
    def url(self) -> str:
        """The base URL to give a client: `base_url=`, or ANTHROPIC_BASE_URL for a subprocess."""
        return f"http://{self.host}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess client: `base` (default os.environ) with ANTHROPIC_BASE_URL."""
        return {**(os.environ if base is None else base), "ANTHROPIC_BASE_URL": self.url}

    def open(self) -> ContractServer:
        """Bind the port (the url is known from here on); `start` or `serve_forever` then serve."""
        if self._server is not None:
            raise RuntimeError("the server is already open")
        self._stopping = False
        self._server = _HTTPServer(self, self._address)
        for address in self._own_addresses():
            self.recorder.pass_through(address)  # in-process clients reach it unrecorded by the patches
        return self

    def _own_addresses(self) -> list[str]:
        port = self.port
        names = (
            {self._address[0], "localhost", "127.0.0.1"}
            if self._address[0] == "127.0.0.1"
            else {self._address[0]}
        )
        return [f"{name}:{port}" for name in names]

    def start(self) -> ContractServer:
        """Serve from a background thread."""
        if self._server is None:
            self.open()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="claude-contract-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until KeyboardInterrupt (the `serve` command); then close."""
        if self._server is None:
            self.open()
        assert self._server is not None
        try:
            self._server.serve_forever(0.2)
        finally:
            self._stopping = True
            self._close()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, let exchanges in flight finish (up to `timeout`), then cut idle connections."""
        server = self._server
        if server is None:
            return
        self._stopping = True  # a connection waiting for a worker stops waiting
        server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._close(timeout)

    def _close(self, timeout: float = 30.0) -> None:
        if self._server is not None:
            for address in self._own_addresses():
                self.recorder.pass_through(address, on=False)
        server, self._server = self._server, None
        with self._lock:
            self._lock.wait_for(lambda: self._busy == 0, timeout)
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if server is not None:
            server.server_close()
        self._pool.stop()
        self._pool = WorkerPool(self.max_workers)
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ what the handler asks

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                transport = httpx.HTTPTransport()
                setattr(transport, BYPASS, True)  # this leg is the server's to record, not the patches'
                self._http = httpx.Client(
                    transport=transport,
                    timeout=httpx.Timeout(600.0, connect=10.0),
                    follow_redirects=False,
                )
            return self._http

    @contextlib.contextmanager
    def _active(self) -> Iterator[None]:
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _report(self, outcome: Outcome) -> None:
        if self.on_exchange is not None:
            self.on_exchange(outcome)


def describe(outcome: Outcome) -> str:
    """One log line (and the violations under it) for the `serve` command; long notes and violation
    lines are cut, saying how much."""
    request = outcome.request
    kind = media_type(request.headers.get("content-type"))
    head = f"{request.method} {cut(request.path, 200)} -> {outcome.status} ({outcome.origin})"
    if kind and kind != "application/json":
        head += f" [{cut(kind, 100)}]"
    if outcome.origin == "rejected":
        return f"{head}: {cut(outcome.note)}"
    unanswered = bool(outcome.note) and outcome.status != 413  # a miss, the placeholder, no upstream
    verdicts = [f"{len(outcome.violations)} violation(s)"] if outcome.violations else []
    if unanswered:
        lines = [f"{head}: {'; '.join(['not answered from the cassette or upstream', *verdicts])}"]
    else:
        lines = [f"{head}: {verdicts[0] if verdicts else 'ok'}"]
    lines += [cut(f"  {violation}", LOG_LINE_MAX) for violation in outcome.violations]
    if unanswered:
        lines += cut(outcome.note).splitlines()
    return "\n".join(lines)
