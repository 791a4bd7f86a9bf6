"""The AWS event-stream binary framing (`application/vnd.amazon.eventstream`: `exchange.EVENTSTREAM`),
as Amazon Bedrock's InvokeModelWithResponseStream sends it: decoded incrementally, encoded frame by
frame, and read as the Messages stream events its frames carry. Pure: no botocore import.

A frame (botocore's `EventStreamMessage`, AWS's "event stream message") is

    prelude:  total length (uint32), headers length (uint32), CRC32 of those 8 bytes (uint32)
    headers:  name length (uint8), name (UTF-8), value type (uint8), value - repeated
    payload:  total length - headers length - 16 bytes
    CRC32 of everything before it (prelude and its CRC included), uint32

all big-endian. Bedrock's frames carry string headers `:message-type` (`event` or `exception`),
`:event-type: chunk` (or `:exception-type: throttlingException` ...) and `:content-type`; a
chunk's payload is JSON `{"bytes": "<base64>"}` (other fields, such as padding, may come along),
whose decoded bytes are one Messages stream event, the same JSON an SSE `data:` line carries.
Source: botocore's `eventstream.py` (the decoder the anthropic SDK's Bedrock client uses) and the
Bedrock Runtime service model (`ResponseStream`, `PayloadPart`), botocore/data/bedrock-runtime.

A broken frame (a CRC that does not match, a length that cannot be, a stream that ends inside a
frame) is reported as a `FrameProblem`, never raised from deep inside: the checks turn it into a
finding, and the cassette writer keeps such a body as bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import zlib
from typing import TYPE_CHECKING, Any, NamedTuple

from .excerpts import excerpt
from .limits import loads_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_PRELUDE = struct.Struct("!III")
_PRELUDE_LENGTH = 12
_CRC_LENGTH = 4
# botocore's bounds (eventstream.py: _MAX_HEADERS_LENGTH, _MAX_PAYLOAD_LENGTH): a prelude that
# claims more is broken, and reading on would hold that much memory for nothing.
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024

# Header value types (botocore EventStreamHeaderParser._HEADER_TYPE_MAP).
TRUE, FALSE, BYTE, SHORT, INTEGER, LONG, BYTES, STRING, TIMESTAMP, UUID = range(10)
_FIXED = {BYTE: struct.Struct("!b"), SHORT: struct.Struct("!h"), INTEGER: struct.Struct("!i")}
_INT64 = struct.Struct("!q")


class Header(NamedTuple):
    name: str
    kind: int  # one of the value types above
    value: Any  # bool, int, bytes (BYTES, UUID) or str


class Frame(NamedTuple):
    headers: tuple[Header, ...]
    payload: bytes

    def header(self, name: str) -> Any:
        """The value of header `name`, or None."""
        for header in self.headers:
            if header.name == name:
                return header.value
        return None


class FrameProblem(NamedTuple):
    """Why the stream stops being readable at frame `position` (from 1), byte `offset`."""

    position: int
    offset: int
    message: str

    def __str__(self) -> str:
        return f"frame {self.position} (byte {self.offset}): {self.message}"


def string_frame(payload: bytes, **headers: str) -> Frame:
    """A frame with string headers, given as `message_type="event"` for `:message-type: event`."""
    return Frame(
        tuple(Header(":" + name.replace("_", "-"), STRING, value) for name, value in headers.items()),
        payload,
    )


# ---------------------------------------------------------------- encoding


def encode_frame(frame: Frame) -> bytes:
    """One frame's bytes, CRCs computed."""
    headers = b"".join(_encode_header(header) for header in frame.headers)
    total = _PRELUDE_LENGTH + len(headers) + len(frame.payload) + _CRC_LENGTH
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + headers + frame.payload
    return message + struct.pack("!I", zlib.crc32(message))


def encode_frames(frames: Iterable[Frame]) -> bytes:
    return b"".join(map(encode_frame, frames))


def _encode_header(header: Header) -> bytes:
    name = header.name.encode("utf-8")
    if not 0 < len(name) < 256:
        raise ValueError(f"header name {header.name!r} must be 1 to 255 bytes of UTF-8")
    kind, value = header.kind, header.value
    out = struct.pack("!B", len(name)) + name + struct.pack("!B", kind)
    if kind in (TRUE, FALSE):
        return out
    if kind in _FIXED:
        return out + _FIXED[kind].pack(value)
    if kind in (LONG, TIMESTAMP):
        return out + _INT64.pack(value)
    if kind in (BYTES, STRING):
        data = value.encode("utf-8") if kind == STRING else bytes(value)
        if len(data) > 0xFFFF:
            raise ValueError(f"header {header.name!r} is longer than 65535 bytes")
        return out + struct.pack("!H", len(data)) + data
    if kind == UUID:
        if len(value) != 16:
            raise ValueError(f"header {header.name!r}: a UUID is 16 bytes")
        return out + bytes(value)
    raise ValueError(f"header {header.name!r} has unknown value type {kind}")


# ---------------------------------------------------------------- decoding


class FrameDecoder:
    """Frames out of a byte stream as it arrives: `feed` each chunk, get the frames it completes (a
    frame may be split across chunks, a chunk may hold several). Once a frame is broken, `problem`
    says where and why, and later bytes are ignored: a length that cannot be trusted leaves no way to
    find the next frame."""

    __slots__ = ("_buffer", "_headers", "_offset", "frames_read", "problem")

    def __init__(self) -> None:
        self._buffer = bytearray()
        # Header blocks already read: a stream's frames nearly all carry the same headers.
        self._headers: dict[bytes, tuple[Header, ...] | str] = {}
        self._offset = 0  # stream offset of the buffer's first byte
        self.frames_read = 0
        self.problem: FrameProblem | None = None

    def feed(self, chunk: bytes) -> list[Frame]:
        if self.problem is not None:
            return []
        buffer = self._buffer
        buffer += chunk
        frames = []
        at = 0  # where the next frame starts; the buffer is cut once, after the loop
        while len(buffer) - at >= _PRELUDE_LENGTH:
            total, headers_length, prelude_crc = _PRELUDE.unpack_from(buffer, at)
            problem = _prelude_problem(buffer[at : at + 8], total, headers_length, prelude_crc)
            if problem is not None:
                self._fail(problem)
                break
            if len(buffer) - at < total:
                break
            frame_or_problem = _frame(bytes(buffer[at : at + total]), headers_length, self._headers)
            if isinstance(frame_or_problem, str):
                self._fail(frame_or_problem)
                break
            frames.append(frame_or_problem)
            self.frames_read += 1
            at += total
            self._offset += total
        del buffer[:at]
        return frames

    def end(self) -> FrameProblem | None:
        """The stream is over: a problem if it broke, or if it ended inside a frame."""
        held = len(self._buffer)
        if self.problem is None and held >= _PRELUDE_LENGTH:
            total = _PRELUDE.unpack_from(self._buffer)[0]
            self._fail(f"the stream ends inside a frame ({held} of its {total} bytes arrived)")
        elif self.problem is None and held:
            self._fail(f"the stream ends inside a frame's prelude ({held} of its 12 bytes arrived)")
        return self.problem

    @property
    def pending(self) -> int:
        """Bytes held for a frame not complete yet."""
        return len(self._buffer)

    def _fail(self, message: str) -> None:
        self.problem = FrameProblem(self.frames_read + 1, self._offset, message)


def _prelude_problem(lengths: bytearray, total: int, headers_length: int, crc: int) -> str | None:
    computed = zlib.crc32(lengths)
    if computed != crc:
        return f"the prelude's CRC32 is 0x{crc:08x}, but its bytes give 0x{computed:08x}"
    payload_length = total - headers_length - _PRELUDE_LENGTH - _CRC_LENGTH
    if payload_length < 0:
        return f"a total length of {total} bytes cannot hold {headers_length} bytes of headers"
    if headers_length > MAX_HEADERS_LENGTH:
        return f"{headers_length:,} bytes of headers, more than the {MAX_HEADERS_LENGTH:,} a frame may hold"
    if payload_length > MAX_PAYLOAD_LENGTH:
        return f"a payload of {payload_length:,} bytes, more than the {MAX_PAYLOAD_LENGTH:,} a frame may hold"
    return None


def _frame(message: bytes, headers_length: int, seen: dict[bytes, tuple[Header, ...] | str]) -> Frame | str:
    """A whole frame's bytes (its prelude already checked) as a Frame, or what is wrong with it."""
    (crc,) = struct.unpack_from("!I", message, len(message) - _CRC_LENGTH)
    computed = zlib.crc32(memoryview(message)[:-_CRC_LENGTH])
    if computed != crc:
        return f"the frame's CRC32 is 0x{crc:08x}, but its bytes give 0x{computed:08x}"
    headers_end = _PRELUDE_LENGTH + headers_length
    block = message[_PRELUDE_LENGTH:headers_end]
    headers = seen.get(block)
    if headers is None:
        headers = _headers(block)
        if len(seen) < 64:
            seen[block] = headers
    if isinstance(headers, str):
        return headers
    return Frame(headers, message[headers_end:-_CRC_LENGTH])


def _headers(data: bytes) -> tuple[Header, ...] | str:
    out: list[Header] = []
    at = 0
    try:
        while at < len(data):
            size = data[at]
            name = data[at + 1 : at + 1 + size].decode("utf-8")
            at += 1 + size
            kind = data[at]
            at += 1
            value: Any
            if kind in (TRUE, FALSE):
                value = kind == TRUE
            elif kind in _FIXED:
                (value,) = _FIXED[kind].unpack_from(data, at)
                at += _FIXED[kind].size
            elif kind in (LONG, TIMESTAMP):
                (value,) = _INT64.unpack_from(data, at)
                at += 8
            elif kind in (BYTES, STRING):
                (length,) = struct.unpack_from("!H", data, at)
                raw = data[at + 2 : at + 2 + length]
                if len(raw) != length:
                    return f"header {name!r} runs past the end of the headers"
                value = raw.decode("utf-8") if kind == STRING else raw
                at += 2 + length
            elif kind == UUID:
                value = data[at : at + 16]
                if len(value) != 16:
                    return f"header {name!r} runs past the end of the headers"
                at += 16
            else:
                return f"header {name!r} has unknown value type {kind}"
            if any(h.name == name for h in out):
                return f"header {name!r} appears twice"
            out.append(Header(name, kind, value))
    except (IndexError, struct.error):
        return "the headers end inside a header"
    except UnicodeDecodeError:
        return "a header name or string value is not UTF-8"
    return tuple(out)


def decode_frames(data: bytes) -> tuple[list[Frame], FrameProblem | None]:
    """Every frame of a whole body, and the problem that stopped the reading (None: all read)."""
    decoder = FrameDecoder()
    frames = decoder.feed(data)
    return frames, decoder.end()


def frame_spans(data: bytes) -> list[bytes]:
    """The body cut into its frames' bytes (what replay sends one at a time); what follows a broken
    frame comes as one last piece, as it is."""
    pieces = []
    at = 0
    while len(data) - at >= _PRELUDE_LENGTH:
        total = _PRELUDE.unpack_from(data, at)[0]
        if total < _PRELUDE_LENGTH + _CRC_LENGTH or at + total > len(data):
            break
        pieces.append(data[at : at + total])
        at += total
    if at < len(data):
        pieces.append(data[at:])
    return pieces


def whole_frames(data: bytes) -> bytes:
    """`data` up to the end of its last whole frame (a stream the client closed early)."""
    return b"".join(piece for piece in frame_spans(data) if _is_whole(piece))


def _is_whole(piece: bytes) -> bool:
    return len(piece) >= _PRELUDE_LENGTH and _PRELUDE.unpack_from(piece)[0] == len(piece)


# ---------------------------------------------------------------- Bedrock's frames as stream events


class StreamFrame(NamedTuple):
    """What one Bedrock frame says: a Messages stream event's JSON text (`event` None), or an error
    the stream ended with (`event` "error", `data` the JSON of a Messages `error` event), or
    nothing the Messages stream knows (`data` None). `problem`: why a chunk could not be read."""

    event: str | None
    data: str | None
    problem: str | None = None


def stream_frame(frame: Frame) -> StreamFrame:
    """One frame read as the anthropic SDK's Bedrock decoder reads it: a `chunk` event's base64
    `bytes` are the event; an `exception` (or `error`) frame becomes an `error` event."""
    kind = frame.header(":message-type")
    if kind in ("exception", "error"):
        name = frame.header(":exception-type") or frame.header(":error-code") or "error"
        message = frame.header(":error-message")
        if message is None:
            parsed = _json(frame.payload)
            message = parsed.get("message") if isinstance(parsed, dict) else None
        error = {"type": "error", "error": {"type": str(name), "message": str(message or "")}}
        return StreamFrame("error", json.dumps(error))
    if kind != "event" or frame.header(":event-type") != "chunk":
        return StreamFrame(None, None)  # an event type the Bedrock stream may add: not a Messages event
    quick = _CHUNK_PAYLOAD.match(frame.payload)  # as Bedrock writes it: no JSON parse per frame
    if quick is not None and frame.payload.endswith(b"}"):
        encoded: Any = quick.group(1).decode("ascii")
    else:
        payload = _json(frame.payload)
        encoded = payload.get("bytes") if isinstance(payload, dict) else None
    if not isinstance(encoded, str):
        preview = excerpt(frame.payload.decode("utf-8", "replace"), 40)
        return StreamFrame(None, None, f'a chunk\'s payload is not JSON {{"bytes": "<base64>"}} ({preview})')
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return StreamFrame(None, None, "a chunk's `bytes` is not base64 of UTF-8 text")
    return StreamFrame(None, text)


# A chunk's payload as Bedrock sends it: `{"bytes":"<base64>"` first, padding fields after (a JSON
# string of base64 characters has no escapes, so the match is the value).
_CHUNK_PAYLOAD = re.compile(rb'\{"bytes":"([A-Za-z0-9+/=]*)"[,}]')


def _json(data: bytes) -> Any:
    try:
        return loads_json(data)  # depth-guarded: a frame is hostile input like any body
    except (ValueError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- the cassette's readable form
# Each frame is a group of lines, groups parted by an empty line, in the manner of SSE:
#
#   :event-type: chunk                  a string header, as `name: value`
#   :content-type: application/json
#   :message-type: event
#   data: {"type":"message_start",...}  a chunk's `bytes`, decoded
#   payload: {"p":"abcd"}               the payload's other fields (with `data:`), else the payload
#
# Only what reads back to the very same bytes is written this way (`readable_text` checks it);
# anything else (a broken frame, a binary header) stays bytes.


def readable_text(body: bytes) -> str | None:
    """The body as text that `body_from_text` turns back into the same bytes; None if it cannot be."""
    frames, problem = decode_frames(body)
    if problem is not None or not frames:
        return None
    groups = []
    for frame in frames:
        group = _group(frame)
        if group is None:
            return None
        groups.append(group)
    text = "\n\n".join(groups) + "\n"
    try:
        if body_from_text(text) != body:
            return None
    except ValueError:
        return None
    return text


def _group(frame: Frame) -> str | None:
    lines = []
    for header in frame.headers:
        if header.kind != STRING or not header.name.startswith(":") or _breaks(header.name + header.value):
            return None
        lines.append(f"{header.name}: {header.value}")
    try:
        payload_text = frame.payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    payload = _json(frame.payload) if frame.payload[:1] == b"{" else None
    encoded = payload.pop("bytes", None) if isinstance(payload, dict) else None
    if isinstance(encoded, str):
        try:
            data = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            data = None
        if data is not None and not _breaks(data):
            lines.append(f"data: {data}")
            if payload:
                lines.append("payload: " + json.dumps(payload, separators=(",", ":")))
            return "\n".join(lines)
    if _breaks(payload_text):
        return None
    if payload_text:
        lines.append(f"payload: {payload_text}")
    return "\n".join(lines)


def _breaks(text: str) -> bool:
    return "\n" in text or "\r" in text


def body_from_text(text: str) -> bytes:
    """The frames a readable text describes, encoded. ValueError names the group that is wrong."""
    return encode_frames(frames_from_text(text))


def frames_from_text(text: str) -> Iterator[Frame]:
    for position, group in enumerate(_groups(text), 1):
        headers: list[Header] = []
        data: str | None = None
        payload: str | None = None
        for line in group:
            field, sep, value = line[1:].partition(": ") if line.startswith(":") else line.partition(": ")
            if not sep:
                raise ValueError(f"event-stream frame {position}: {excerpt(line, 60)} is not `name: value`")
            if line.startswith(":"):
                headers.append(Header(":" + field, STRING, value))
            elif field == "data" and data is None:
                data = value
            elif field == "payload" and payload is None:
                payload = value
            else:
                raise ValueError(
                    f"event-stream frame {position}: {field!r} is not a header (`:name: value`), "
                    "`data:` or `payload:`, or comes twice"
                )
        yield Frame(tuple(headers), _payload(position, data, payload))


def _groups(text: str) -> Iterator[list[str]]:
    group: list[str] = []
    for line in text.split("\n"):
        if line:
            group.append(line)
        elif group:
            yield group
            group = []
    if group:
        yield group


def _payload(position: int, data: str | None, payload: str | None) -> bytes:
    if data is None:
        return (payload or "").encode("utf-8")
    rest: Any = {}
    if payload is not None:
        try:
            rest = loads_json(payload)
        except ValueError:
            rest = None
        if not isinstance(rest, dict):
            raise ValueError(f"event-stream frame {position}: with `data:`, `payload:` is a JSON object")
    encoded = base64.b64encode(data.encode("utf-8")).decode("ascii")
    return json.dumps({"bytes": encoded, **rest}, separators=(",", ":")).encode("utf-8")
