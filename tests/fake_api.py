"""A fake Claude API: a real HTTP server on 127.0.0.1 that answers like the Claude API does.

The tests record traffic against it with real clients (anthropic SDK, httpx, requests) and then
replay with it stopped. It deliberately does not check auth or anthropic-version: flagging those is
the plugin's job. ``misbehave`` injects server-side faults so that the plugin's response rules fire
(e.g. "no-request-id", "wrong-error-type", "no-retry-after", "stream-out-of-order", "stream-bad-delta",
"stream-type-mismatch"), or changes the answers' shape for record mode verify ("new-field",
"new-header", "bad-message-body"), or echoes the request's credential into a response header, the
JSON body and the stream's message_start ("echo-credential").

It also answers as Claude on the other platforms does: Vertex AI's rawPredict, streamRawPredict and
count-tokens paths (`/v1/projects/{p}/locations/{r}/publishers/anthropic/models/{model}:...`: the
model from the URL, `anthropic_version` required in the body and `model` refused there, a Google
error body for a request with no Bearer token), and Foundry's (the API's paths under `/anthropic`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import socket
import sys
import threading
import uuid
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

ORGANIZATION_ID = "6f1c2a4e-8b3d-4e5f-9a7c-0d2e4f6a8b1c"
MAX_MESSAGES_BODY = 32_000_000  # the documented request size limit for the Messages API
READ_CHUNK = 64 * 1024
CREATED_AT = "2026-11-24T12:00:00Z"
MODEL = {"type": "model", "id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6"}
MODELS_PAGE = {
    "data": [{**MODEL, "created_at": "2026-02-17T00:00:00Z"}],
    "has_more": False,
    "first_id": MODEL["id"],
    "last_id": MODEL["id"],
}
# The Admin API (Docs, Admin API; Usage and Cost API; Claude Code Analytics API): a few GET answers.
ADMIN_ANSWERS: dict[str, object] = {
    "/v1/organizations/users": {
        "data": [
            {
                "id": "user_01WCz1FkmYMm4gnmykNKUu3Q",
                "type": "user",
                "email": "ada@example.com",
                "role": "admin",
            }
        ],
        "has_more": False,
        "first_id": "user_01WCz1FkmYMm4gnmykNKUu3Q",
        "last_id": "user_01WCz1FkmYMm4gnmykNKUu3Q",
    },
    "/v1/organizations/workspaces": {
        "data": [{"id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "type": "workspace", "name": "Default"}],
        "has_more": False,
    },
    "/v1/organizations/usage_report/messages": {
        "data": [{"starting_at": CREATED_AT, "ending_at": CREATED_AT, "results": []}],
        "has_more": False,
        "next_page": None,
    },
    "/v1/organizations/cost_report": {"data": [], "has_more": False, "next_page": None},
    "/v1/organizations/usage_report/claude_code": {"data": [], "has_more": False, "next_page": None},
}
SSE_HEADERS = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "transfer-encoding": "chunked",
}
# Vertex AI: .../publishers/anthropic/models/{model}:{rawPredict|streamRawPredict} (SDK lib/vertex).
VERTEX_PATH = re.compile(
    r"/v1/projects/[^/]+/locations/[^/]+/publishers/anthropic/models/(?P<model>[^/:]+):(?P<method>\w+)"
)
FOUNDRY_PREFIX = "/anthropic"  # Foundry: https://{resource}.services.ai.azure.com/anthropic/v1/...
# model name -> (status, error type, message) for provoking error responses
TRIGGERS = {
    "trigger-401": (401, "authentication_error", "invalid x-api-key"),
    "trigger-429": (429, "rate_limit_error", "Number of requests has exceeded your rate limit"),
    "trigger-500": (500, "api_error", "Internal server error"),
    "trigger-529": (529, "overloaded_error", "Overloaded"),
}


@dataclass
class ReceivedRequest:
    method: str
    path: str  # including the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes  # empty for a body refused as too large (it is drained, not kept)


def _hex_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _text_of(content: object) -> str:
    """Text of a message's content: a plain string, or the text blocks of a block list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        )
    return ""


def _count_words(messages: list[Any]) -> int:
    return sum(len(_text_of(m.get("content")).split()) for m in messages if isinstance(m, dict))


def _reply_to(messages: list[Any]) -> str:
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return "Echo: " + (_text_of(users[-1].get("content")) if users else "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a client's idle keep-alive connection must not block stop()

    def __init__(self, fake: FakeClaudeAPI) -> None:
        super().__init__(("127.0.0.1", 0), fake.handler_class)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Quiet when a client hangs up mid-response; a bug in this fake should still show.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, for the SDK's connection pool
    request_id = ""

    @property
    def fake(self) -> FakeClaudeAPI:
        return cast("_Server", self.server).fake

    # Track open connections so that stop() can cut idle keep-alive ones.
    def setup(self) -> None:
        super().setup()
        server = cast("_Server", self.server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = cast("_Server", self.server)
        with server.connections_lock:
            server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def version_string(self) -> str:
        return "cloudflare"  # what the real API reports

    # -- request handling ------------------------------------------------------------------

    def _read_up_to(self, size: int) -> Iterator[bytes]:
        while size > 0 and (chunk := self.rfile.read(min(READ_CHUNK, size))):
            size -= len(chunk)
            yield chunk

    def _body_chunks(self) -> Iterator[bytes]:
        if "chunked" not in self.headers.get("transfer-encoding", "").lower():
            yield from self._read_up_to(int(self.headers.get("content-length") or 0))
            return
        # requests sends a generator body chunked: "<hex size>\r\n<data>\r\n" ... "0\r\n", trailers, "\r\n".
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            yield from self._read_up_to(size)
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass

    def _read_body(self, limit: int | None) -> bytes | None:
        """The body, read in bounded chunks; None if over limit (the rest is drained, not kept)."""
        too_large = limit is not None and int(self.headers.get("content-length") or 0) > limit
        chunks: list[bytes] = []
        total = 0
        for chunk in self._body_chunks():
            total += len(chunk)
            too_large = too_large or (limit is not None and total > limit)
            if too_large:
                chunks.clear()
            else:
                chunks.append(chunk)
        return None if too_large else b"".join(chunks)

    def _handle(self) -> None:
        self.request_id = _hex_id("req")
        path = self.path.split("?", 1)[0]
        limit = MAX_MESSAGES_BODY if path == "/v1/messages" else None
        body = self._read_body(limit)
        headers: dict[str, str] = {}
        for raw_name, value in self.headers.items():
            name = raw_name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.fake._record(ReceivedRequest(self.command, self.path, headers, body or b""))

        if path.startswith(FOUNDRY_PREFIX + "/"):
            path = path[len(FOUNDRY_PREFIX) :]
        route = (self.command, path)
        vertex = VERTEX_PATH.fullmatch(path) if self.command == "POST" else None
        if body is None:
            self._error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
        elif route == ("POST", "/v1/messages"):
            self._messages(body)
        elif route == ("POST", "/v1/messages/count_tokens"):
            self._count_tokens(body)
        elif route == ("GET", "/v1/models"):
            self._send_json(200, MODELS_PAGE)
        elif route == ("POST", "/v1/files"):
            self._upload(body)
        elif route == ("POST", "/v1/chat/completions"):
            self._chat_completions(body)
        elif self.command == "GET" and path in ADMIN_ANSWERS:
            self._send_json(200, ADMIN_ANSWERS[path])
        elif vertex is not None:
            self._vertex(vertex["model"], vertex["method"], body)
        else:
            self._error(404, "not_found_error", f"Not found: {self.command} {path}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _json_body(self, body: bytes, required: tuple[str, ...]) -> dict[str, Any] | None:
        """The parsed JSON object, or None after answering with the matching error."""
        try:
            data = json.loads(body)
        except ValueError:
            self._error(400, "invalid_request_error", "Request body is not valid JSON.")
            return None
        if not isinstance(data, dict):
            self._error(400, "invalid_request_error", "Request body must be a JSON object.")
            return None
        if (trigger := TRIGGERS.get(str(data.get("model")))) is not None:
            status, error_type, message = trigger
            rate_limited = status == 429 and "no-retry-after" not in self.fake.misbehave
            self._error(status, error_type, message, {"retry-after": "1"} if rate_limited else None)
            return None
        for field in required:
            if field not in data:
                self._error(400, "invalid_request_error", f"{field}: Field required")
                return None
        if not isinstance(data.get("messages"), list):
            self._error(400, "invalid_request_error", "messages: Input should be a valid list")
            return None
        return data

    def _messages(self, body: bytes) -> None:
        data = self._json_body(body, ("model", "max_tokens", "messages"))
        if data is None:
            return
        reply = _reply_to(data["messages"])
        message = {
            "id": _hex_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": data["model"],
            "content": [{"type": "text", "text": reply}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": _count_words(data["messages"]), "output_tokens": len(reply.split())},
        }
        if "new-field" in self.fake.misbehave:  # the API grew a field (in the stream's message_start too)
            message["usage"] = {**message["usage"], "service_tier": "standard"}
        if "echo-credential" in self.fake.misbehave:  # a leaky server: the credential in the answer
            message["credential"] = self._credential()
        if data.get("stream") is True:
            self._stream(message, reply)
        else:
            if "bad-message-body" in self.fake.misbehave:  # a mistyped field: a count as a string
                usage = message["usage"]
                message["usage"] = {**usage, "output_tokens": str(usage["output_tokens"])}
            self._send_json(200, message)

    def _vertex(self, model: str, method: str, body: bytes) -> None:
        """Vertex AI's Claude: the model from the URL; the version in the body, where `model` is refused."""
        if not self.headers.get("authorization", "").lower().startswith("bearer "):
            payload = {
                "error": {
                    "code": 401,
                    "message": "Request is missing required authentication credential.",
                    "status": "UNAUTHENTICATED",
                }
            }
            self._send_json(401, payload)
            return
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._error(400, "invalid_request_error", "Request body must be a JSON object.")
        elif "anthropic_version" not in data:
            self._error(400, "invalid_request_error", "anthropic_version: Field required")
        elif model == "count-tokens" and method == "rawPredict":
            self._count_tokens(body)
        elif "model" in data:
            self._error(400, "invalid_request_error", "model: Extra inputs are not permitted")
        elif method not in ("rawPredict", "streamRawPredict"):
            self._error(404, "not_found_error", f"Not found: {method}")
        else:
            del data["anthropic_version"]
            self._messages(json.dumps({**data, "model": model}).encode())

    def _count_tokens(self, body: bytes) -> None:
        data = self._json_body(body, ("model", "messages"))
        if data is not None:
            self._send_json(200, {"input_tokens": _count_words(data["messages"])})

    def _upload(self, body: bytes) -> None:
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            self._error(400, "invalid_request_error", "Expected a multipart/form-data body.")
            return
        # The email parser understands multipart once it is given the content-type header.
        form = BytesParser(policy=policy.HTTP).parsebytes(
            f"content-type: {content_type}\r\n\r\n".encode() + body
        )
        for part in form.iter_parts() if form.is_multipart() else ():
            if part.get_param("name", header="content-disposition") != "file":
                continue
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            mime_type = part.get_content_type() if "content-type" in part else "application/octet-stream"
            file = {
                "id": _hex_id("file"),
                "type": "file",
                "filename": part.get_filename() or "unnamed",
                "mime_type": mime_type,
                "size_bytes": size,
                "created_at": CREATED_AT,
                "downloadable": False,
            }
            self._send_json(200, file)
            return
        self._error(400, "invalid_request_error", "file: Field required")

    def _chat_completions(self, body: bytes) -> None:
        """The OpenAI-compatible endpoint: OpenAI's chat-completions format, JSON or a `data:` stream."""
        data = self._json_body(body, ("model", "messages"))
        if data is None:
            return
        reply = _reply_to(data["messages"])
        completion_id, created, model = _hex_id("chatcmpl"), 1764000000, data["model"]
        if data.get("stream") is not True:
            prompt, completion = _count_words(data["messages"]), len(reply.split())
            total = prompt + completion
            usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
            message = {"role": "assistant", "content": reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [choice],
                    "usage": usage,
                },
            )
            return
        # OpenAI's stream: unnamed `data:` events, each a chat.completion.chunk, then `data: [DONE]`.
        self._start_response(200, SSE_HEADERS)
        head = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model}
        deltas: list[tuple[dict[str, str], str | None]] = [({"role": "assistant", "content": ""}, None)]
        deltas += [({"content": word}, None) for word in re.split(r"(?<=\s)(?=\S)", reply)]
        deltas.append(({}, "stop"))
        events = [
            json.dumps({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
            for delta, finish_reason in deltas
        ]
        for text in [*events, "[DONE]"]:
            event = f"data: {text}\n\n".encode()
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- responses -------------------------------------------------------------------------

    def _start_response(self, status: int, headers: dict[str, str]) -> None:
        misbehave = self.fake.misbehave
        self.send_response(status, "Overloaded" if status == 529 else None)  # 529 has no stdlib phrase
        # The OpenAI-compatible endpoint answers with `x-request-id` and no organization (observed in
        # real recordings, shared/CONTRACT.md).
        openai = self.path.split("?", 1)[0].rstrip("/") == "/v1/chat/completions"
        if "no-request-id" not in misbehave:
            self.send_header("x-request-id" if openai else "request-id", self.request_id)
        if "no-organization-id" not in misbehave and not openai:
            self.send_header("anthropic-organization-id", ORGANIZATION_ID)
        self.send_header("anthropic-ratelimit-requests-limit", "50")
        self.send_header("anthropic-ratelimit-requests-remaining", "49")
        self.send_header("anthropic-ratelimit-requests-reset", CREATED_AT)
        if "new-header" in misbehave:
            self.send_header("anthropic-priority", "standard")
        if "echo-credential" in misbehave:
            self.send_header("x-echo-credential", self._credential())
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_json(self, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        text = "text-content-type" in self.fake.misbehave
        headers = {"content-type": "text/plain" if text else "application/json", **(extra or {})}
        accepted = {
            e.split(";")[0].strip() for e in self.headers.get("accept-encoding", "").lower().split(",")
        }
        if self.fake.gzip_responses and "gzip" in accepted:
            body = gzip.compress(body)
            headers["content-encoding"] = "gzip"
        elif self.fake.brotli_responses and "br" in accepted:
            import brotli  # the test extra installs it; clients ask for br only when they have it

            body = brotli.compress(body)
            headers["content-encoding"] = "br"
        headers["content-length"] = str(len(body))
        self._start_response(status, headers)
        self.wfile.write(body)

    def _credential(self) -> str:
        """The credential the request carries: its x-api-key, or its Bearer token."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else self.headers.get("x-api-key", "")

    def _error(self, status: int, error_type: str, message: str, extra: dict[str, str] | None = None) -> None:
        misbehave = self.fake.misbehave
        if "wrong-error-type" in misbehave and status == 429:
            error_type = "api_error"
        error = {"type": error_type, "message": message}
        payload = {"type": "error", "error": error, "request_id": self.request_id}
        if "bad-error-shape" in misbehave:
            payload = {"error": message}
        self._send_json(status, payload, extra)

    def _stream(self, message: dict[str, Any], reply: str) -> None:
        """Send the reply as server-sent events, one chunked write per event, like the API."""
        if not (self.fake.gzip_streams and "gzip" in self.headers.get("accept-encoding", "").lower()):
            self._start_response(200, SSE_HEADERS)
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
        start["usage"] = {**message["usage"], "output_tokens": 1}
        # Split after whitespace so the deltas join back to exactly the non-streaming text.
        words = re.split(r"(?<=\s)(?=\S)", reply)
        delta = {"stop_reason": "end_turn", "stop_sequence": None}
        usage = {"output_tokens": message["usage"]["output_tokens"]}
        events: list[dict[str, Any]] = [
            {"type": "message_start", "message": start},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            {"type": "ping"},
            *(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}
                for w in words
            ),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": delta, "usage": usage},
            {"type": "message_stop"},
        ]
        misbehave = self.fake.misbehave
        if "stream-out-of-order" in misbehave:  # message_stop before message_delta
            events[-2], events[-1] = events[-1], events[-2]
        if "stream-bad-delta" in misbehave:  # a thinking_delta inside the text block
            events[3] = {**events[3], "delta": {"type": "thinking_delta", "thinking": words[0]}}
        gate = self.fake.stream_gate
        if self.fake.gzip_streams and "gzip" in self.headers.get("accept-encoding", "").lower():
            self._gzip_stream(events)
            return
        for event in events:
            # Each event is named after its type; the API spaces the ping's JSON, and only the ping's.
            text = '{"type": "ping"}' if event["type"] == "ping" else json.dumps(event, separators=(",", ":"))
            if "stream-type-mismatch" in misbehave and event["type"] == "ping":
                text = '{"type": "pong"}'  # the data's type is not the event's name
            chunk = f"event: {event['type']}\ndata: {text}\n\n".encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            if gate is not None and event["type"] == "content_block_delta":
                gate.wait(self.fake.gate_timeout)  # hold the rest until the client has seen this
                gate = None
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        with self.fake._lock:
            self.fake.streams_finished += 1

    def _gzip_stream(self, events: list[dict[str, Any]]) -> None:
        text = "".join(
            f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events
        )
        body = gzip.compress(text.encode())
        self._start_response(200, {**SSE_HEADERS, "content-encoding": "gzip"})
        self.wfile.write(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        self.wfile.flush()
        with self.fake._lock:
            self.fake.streams_finished += 1


class FakeClaudeAPI:
    """A Claude API look-alike on 127.0.0.1; use as a context manager or via start()/stop()."""

    # Running stand-ins by host: inner pytester tests (in process) reach theirs to open its gate.
    running: ClassVar[dict[str, FakeClaudeAPI]] = {}
    # What answers each request; a stand-in of another platform (fake_bedrock.py) brings its own.
    handler_class: ClassVar[type[BaseHTTPRequestHandler]] = _Handler

    def __init__(self, *, gzip_responses: bool = False, brotli_responses: bool = False) -> None:
        self.gzip_responses = gzip_responses
        # Streams gzip-compressed too (to clients that accept gzip), as one write: what a recorder
        # that keeps raw bytes stores as a `!!binary` body.
        self.gzip_streams = False
        self.brotli_responses = brotli_responses  # br-compressed JSON for clients that accept br
        self.requests: list[ReceivedRequest] = []
        self.misbehave: set[str] = set()
        # When set: each stream holds after its first content_block_delta until the event is set (or
        # gate_timeout passes), so a test can prove a proxy passes events on before the stream ends.
        self.stream_gate: threading.Event | None = None
        self.gate_timeout = 5.0
        self.streams_finished = 0
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._host: str | None = None  # kept after stop(): replays use the recorded URL

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeClaudeAPI is already running")
        self._server = _Server(self)
        self._host = f"127.0.0.1:{self._server.server_address[1]}"
        FakeClaudeAPI.running[self._host] = self
        # A short poll interval: stop() waits for serve_forever to notice, and tests stop it often.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-claude-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        FakeClaudeAPI.running.pop(self.host, None)
        server.shutdown()
        # Cut open keep-alive connections too, so no pooled client connection outlives the server.
        with server.connections_lock:
            for conn in server.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        if self._host is None:
            raise RuntimeError("FakeClaudeAPI was never started")
        return self._host

    @property
    def url(self) -> str:
        return f"http://{self.host}"
