"""A loopback stand-in for Claude on Amazon Bedrock: a real HTTP server on 127.0.0.1 that answers
InvokeModel and InvokeModelWithResponseStream as Bedrock Runtime does.

- `POST /model/{modelId}/invoke`: the Messages response as JSON, with `x-amzn-requestid` and the
  `x-amzn-bedrock-*` invocation headers (no `request-id`, no `anthropic-organization-id`).
- `POST /model/{modelId}/invoke-with-response-stream`: `application/vnd.amazon.eventstream`, each
  Messages event in a `chunk` frame whose payload is `{"bytes": "<base64 of the event>", "p": ...}`;
  the frames are written the way TCP may deliver them: the first split across two writes, two later
  ones in one write. The last event carries `amazon-bedrock-invocationMetrics`, as Bedrock's does.
- Errors as Bedrock's REST-JSON protocol sends them: `{"message": ...}` with `x-amzn-errortype`.

Like `FakeClaudeAPI`, it does not check the request's auth or body: flagging those is the plugin's.
`misbehave`: "stream-exception" (a modelStreamErrorException frame ends the stream), "stream-bad-crc"
(a frame's CRC does not match). `stream_gate`, as
FakeClaudeAPI's: the stream holds after its first delta's frame until the gate opens.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

from fake_api import FakeClaudeAPI, ReceivedRequest, _count_words, _Handler, _hex_id, _reply_to

from pytest_claude_contract.contract.aws_eventstream import encode_frame, string_frame

REGION = "us-east-1"
MODEL_ID = "anthropic.claude-sonnet-4-6-v1:0"  # what a Bedrock model id looks like
_ROUTE = re.compile(r"/model/([^/]+)/(invoke|invoke-with-response-stream)")
# Bedrock's error types and their statuses (Bedrock Runtime service model, botocore data).
TRIGGERS = {
    "trigger-throttling": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "trigger-validation": (
        400,
        "ValidationException",
        "Malformed input request, please reformat your input.",
    ),
}
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"  # Bedrock pads each chunk with a `p` field


def chunk_frame(event: dict[str, Any]) -> bytes:
    """One Messages event in a Bedrock `chunk` frame."""
    data = base64.b64encode(json.dumps(event, separators=(",", ":")).encode()).decode()
    payload = json.dumps({"bytes": data, "p": _PADDING[: 4 + len(data) % 30]}, separators=(",", ":"))
    return encode_frame(
        string_frame(
            payload.encode(), event_type="chunk", content_type="application/json", message_type="event"
        )
    )


def exception_frame(exception_type: str, message: str) -> bytes:
    payload = json.dumps({"message": message}).encode()
    return encode_frame(
        string_frame(
            payload, exception_type=exception_type, content_type="application/json", message_type="exception"
        )
    )


class _BedrockHandler(_Handler):
    def version_string(self) -> str:
        return "Bedrock"

    def _handle(self) -> None:
        self.request_id = str(uuid.uuid4())
        path = self.path.split("?", 1)[0]
        body = self._read_body(None) or b""
        headers: dict[str, str] = {}
        for raw_name, value in self.headers.items():
            name = raw_name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.fake._record(ReceivedRequest(self.command, self.path, headers, body))
        route = _ROUTE.fullmatch(path)
        if self.command != "POST" or route is None:
            self._aws_error(404, "UnknownOperationException", f"Not found: {self.command} {path}")
            return
        try:
            data = json.loads(body)
        except ValueError:
            self._aws_error(400, "ValidationException", "Malformed input request: not JSON")
            return
        if (trigger := TRIGGERS.get(route.group(1))) is not None:
            self._aws_error(*trigger)
            return
        messages = data.get("messages") if isinstance(data, dict) else None
        messages = messages if isinstance(messages, list) else []
        reply = _reply_to(messages)
        message = {
            "id": _hex_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": reply}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": _count_words(messages), "output_tokens": len(reply.split())},
        }
        if route.group(2) == "invoke":
            self._send(200, json.dumps(message).encode(), {"content-type": "application/json"}, message)
        else:
            self._stream_frames(message, reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _bedrock_headers(self, message: dict[str, Any] | None) -> dict[str, str]:
        headers = {"x-amzn-requestid": self.request_id}
        if message is not None:
            usage = message["usage"]
            headers["x-amzn-bedrock-invocation-latency"] = "321"
            headers["x-amzn-bedrock-input-token-count"] = str(usage["input_tokens"])
            headers["x-amzn-bedrock-output-token-count"] = str(usage["output_tokens"])
        return headers

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], message: dict[str, Any] | None
    ) -> None:
        self.send_response(status)
        for name, value in {**self._bedrock_headers(message), **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _aws_error(self, status: int, error_type: str, message: str) -> None:
        kind = f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        body = json.dumps({"message": message}).encode()
        self._send(status, body, {"content-type": "application/json", "x-amzn-errortype": kind}, None)

    def _stream_frames(self, message: dict[str, Any], reply: str) -> None:
        self.send_response(200)
        headers = {
            **self._bedrock_headers(None),
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-bedrock-content-type": "application/json",
            "transfer-encoding": "chunked",
        }
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
        start["usage"] = {**message["usage"], "output_tokens": 1}
        words = re.split(r"(?<=\s)(?=\S)", reply)
        usage = message["usage"]
        metrics = {
            "inputTokenCount": usage["input_tokens"],
            "outputTokenCount": usage["output_tokens"],
            "invocationLatency": 321,
            "firstByteLatency": 123,
        }
        events: list[dict[str, Any]] = [
            {"type": "message_start", "message": start},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            *(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}
                for w in words
            ),
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
            {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics},
        ]
        frames = [chunk_frame(event) for event in events]
        misbehave = self.fake.misbehave
        if "stream-exception" in misbehave:  # the model's stream broke off after its first block started
            frames = [*frames[:2], exception_frame("modelStreamErrorException", "The model stream failed.")]
        if "stream-bad-crc" in misbehave:  # a bit flipped in the third frame's payload
            broken = bytearray(frames[2])
            broken[-6] ^= 0x01
            frames[2] = bytes(broken)
        first = frames[0]
        # A frame split across writes, then one write per frame, the last two in a single write.
        writes = [first[:7], first[7:], *frames[1:-2], frames[-2] + frames[-1]] if len(frames) > 2 else frames
        gate = self.fake.stream_gate
        for position, piece in enumerate(writes):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            if gate is not None and position == 3:  # the first delta's frame is out: hold the rest
                gate.wait(self.fake.gate_timeout)
                gate = None
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        with self.fake._lock:
            self.fake.streams_finished += 1


class FakeBedrock(FakeClaudeAPI):
    """Bedrock Runtime's look-alike on 127.0.0.1 (start, stop and `requests` as FakeClaudeAPI's)."""

    handler_class = _BedrockHandler
