"""The AWS event-stream codec (Amazon Bedrock's streams): frames round-trip, decoded however the bytes
are cut into chunks, agreeing with botocore's own parser (the one the anthropic SDK's Bedrock client
reads with) both ways, broken frames reported rather than raised, and the cassette's readable form
turning back into the very same bytes."""

from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.eventstream import EventStreamBuffer, ParserError
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_claude_contract.contract import aws_eventstream as es
from pytest_claude_contract.contract.aws_eventstream import (
    Frame,
    FrameDecoder,
    Header,
    body_from_text,
    decode_frames,
    encode_frame,
    encode_frames,
    frame_spans,
    readable_text,
    string_frame,
    whole_frames,
)
from pytest_claude_contract.contract.streams import frame_events, stream_problems

if TYPE_CHECKING:
    from pathlib import Path

NAME = st.text(min_size=1, max_size=12).filter(lambda n: 0 < len(n.encode()) < 256)
HEADER_VALUE = st.one_of(
    st.tuples(st.just(es.TRUE), st.just(True)),
    st.tuples(st.just(es.FALSE), st.just(False)),
    st.tuples(st.just(es.BYTE), st.integers(-128, 127)),
    st.tuples(st.just(es.SHORT), st.integers(-(2**15), 2**15 - 1)),
    st.tuples(st.just(es.INTEGER), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(es.LONG), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just(es.BYTES), st.binary(max_size=40)),
    st.tuples(st.just(es.STRING), st.text(max_size=40)),
    st.tuples(st.just(es.TIMESTAMP), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just(es.UUID), st.binary(min_size=16, max_size=16)),
)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    names = draw(st.lists(NAME, max_size=5, unique=True))
    headers = tuple(Header(name, *draw(HEADER_VALUE)) for name in names)
    return Frame(headers, draw(st.binary(max_size=200)))


def fed(data: bytes, cuts: list[int]) -> tuple[list[Frame], FrameDecoder]:
    """`data` fed to a decoder in pieces cut at `cuts`."""
    decoder = FrameDecoder()
    out: list[Frame] = []
    last = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += decoder.feed(data[last:cut])
        last = cut
    return out, decoder


@settings(max_examples=300, deadline=None)
@given(st.lists(frames(), max_size=5), st.lists(st.integers(0, 10_000), max_size=8))
def test_frames_round_trip_however_the_bytes_are_cut(sent: list[Frame], cuts: list[int]) -> None:
    data = encode_frames(sent)
    got, decoder = fed(data, cuts)
    assert got == sent
    assert decoder.end() is None
    assert frame_spans(data) == [encode_frame(f) for f in sent]


def botocore_frames(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(message.headers, message.payload) for message in buffer]


def plain(value: object) -> object:
    """A header value as botocore gives it (a UUID's bytes as bytes, booleans as booleans)."""
    return bytes(value) if isinstance(value, bytes | bytearray) else value


@settings(max_examples=300, deadline=None)
@given(st.lists(frames(), min_size=1, max_size=4))
def test_botocore_reads_what_we_encode(sent: list[Frame]) -> None:
    parsed = botocore_frames(encode_frames(sent))
    assert parsed == [({h.name: plain(h.value) for h in f.headers}, f.payload) for f in sent]


@settings(max_examples=300, deadline=None)
@given(st.lists(frames(), min_size=1, max_size=4), st.integers(0, 10_000), st.integers(1, 255))
def test_we_and_botocore_agree_on_every_corrupted_stream(sent: list[Frame], at: int, flip: int) -> None:
    """One byte changed anywhere: botocore's parser and ours read the same frames before it, and both
    refuse the frame it is in (a length byte may also just leave the stream short)."""
    data = bytearray(encode_frames(sent))
    data[at % len(data)] ^= flip
    ours, problem = decode_frames(bytes(data))
    theirs: list[tuple[dict[str, object], bytes]] = []
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(data))
    refused = False
    try:
        for message in buffer:
            theirs.append((message.headers, message.payload))
    except ParserError:
        refused = True
    assert [({h.name: plain(h.value) for h in f.headers}, f.payload) for f in ours] == theirs
    assert problem is not None  # botocore may only wait for bytes that never come; we say so
    if refused:
        assert problem.position == len(ours) + 1


def test_several_frames_in_one_chunk_and_one_frame_in_many() -> None:
    chunk = string_frame(b'{"bytes":"e30="}', event_type="chunk", message_type="event")
    data = encode_frames([chunk, chunk, chunk])
    decoder = FrameDecoder()
    assert decoder.feed(data[:5]) == []
    assert decoder.pending == 5
    assert decoder.feed(data[5:-3]) == [chunk, chunk]
    assert decoder.feed(data[-3:]) == [chunk]
    assert decoder.end() is None


def test_a_bad_crc_is_a_finding_with_its_place() -> None:
    good = encode_frame(string_frame(b"{}", message_type="event", event_type="chunk"))
    broken = bytearray(good)
    broken[-1] ^= 0xFF
    frames_read, problem = decode_frames(good + bytes(broken) + good)
    assert len(frames_read) == 1
    assert problem is not None
    assert str(problem).startswith(f"frame 2 (byte {len(good)}): the frame's CRC32 is 0x")
    prelude = bytearray(good)
    prelude[9] ^= 0x01
    assert "prelude's CRC32" in str(decode_frames(bytes(prelude))[1])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            encode_frame(Frame((), b"x" * 40))[:-10],
            "the stream ends inside a frame (46 of its 56 bytes arrived)",
        ),
        (
            es._PRELUDE.pack(10, 0, 0)[:8],
            "the stream ends inside a frame's prelude (8 of its 12 bytes arrived)",
        ),
    ],
)
def test_a_stream_that_stops_inside_a_frame_says_so(data: bytes, message: str) -> None:
    assert str(decode_frames(data)[1]) == f"frame 1 (byte 0): {message}"


def test_impossible_lengths_are_refused_before_anything_is_held() -> None:
    import struct
    import zlib

    def prelude(total: int, headers: int) -> bytes:
        head = struct.pack("!II", total, headers)
        return head + struct.pack("!I", zlib.crc32(head))

    huge = prelude(es.MAX_PAYLOAD_LENGTH + 100, 0)
    assert "more than the 25,165,824 a frame may hold" in str(decode_frames(huge)[1])
    assert "cannot hold 50 bytes of headers" in str(decode_frames(prelude(20, 50))[1])
    decoder = FrameDecoder()
    decoder.feed(huge)
    assert decoder.feed(b"more") == []  # once broken, nothing more is read or held
    assert decoder.pending == len(huge)


# ---------------------------------------------------------------- Bedrock's chunks as Messages events


def chunk(event: Any, padding: str = "abcdefgh") -> Frame:
    data = base64.b64encode(json.dumps(event).encode()).decode()
    payload = json.dumps({"bytes": data, "p": padding}, separators=(",", ":")).encode()
    return string_frame(payload, event_type="chunk", content_type="application/json", message_type="event")


START: dict[str, Any] = {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
         "model": "claude-sonnet-4-6", "content": [], "stop_reason": None, "stop_sequence": None,
         "usage": {"input_tokens": 3, "output_tokens": 1}}}  # fmt: skip
EVENTS: list[dict[str, Any]] = [
    START,
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 3}},
]


def test_chunks_are_read_as_the_messages_events_they_carry() -> None:
    events, problems = frame_events(encode_frames(chunk(e) for e in EVENTS))
    assert problems == []
    assert [e.type for e in events] == [e["type"] for e in EVENTS]
    assert [e.parsed for e in events] == EVENTS
    assert stream_problems(events) == (None, [])


def test_stream_checks_judge_bedrock_events_as_sse_events() -> None:
    swapped = [*EVENTS[:4], EVENTS[5], EVENTS[4]]
    events, _ = frame_events(encode_frames(chunk(e) for e in swapped))
    order, _ = stream_problems(events)
    assert order == "event 5 is message_stop, but no message_delta came before it"


def test_an_exception_frame_is_an_error_event_that_ends_the_stream() -> None:
    exception = string_frame(
        b'{"message":"Too many requests"}',
        exception_type="throttlingException",
        content_type="application/json",
        message_type="exception",
    )
    events, problems = frame_events(encode_frames([chunk(EVENTS[0]), exception]))
    assert problems == []
    assert events[1].name == "error"
    assert events[1].parsed == {
        "type": "error",
        "error": {"type": "throttlingException", "message": "Too many requests"},
    }
    assert stream_problems(events) == (None, [])


def test_a_chunk_that_is_not_base64_json_is_a_frame_problem() -> None:
    odd = string_frame(b'{"chunk":"x"}', event_type="chunk", message_type="event")
    bad64 = string_frame(b'{"bytes":"!!"}', event_type="chunk", message_type="event")
    _, problems = frame_events(encode_frames([chunk(EVENTS[0]), odd, bad64]))
    assert problems == [
        'frame 2: a chunk\'s payload is not JSON {"bytes": "<base64>"} (\'{"chunk":"x"}\')',
        "frame 3: a chunk's `bytes` is not base64 of UTF-8 text",
    ]


# ---------------------------------------------------------------- the cassette's readable form


def test_the_readable_form_shows_each_event_and_plays_back_the_same_bytes() -> None:
    exception = string_frame(
        b'{"message":"slow down"}', exception_type="throttlingException", message_type="exception"
    )
    body = encode_frames([*(chunk(e, "p" * n) for n, e in enumerate(EVENTS)), exception])
    text = readable_text(body)
    assert text is not None
    groups = text.split("\n\n")
    assert groups[0].splitlines() == [
        ":event-type: chunk",
        ":content-type: application/json",
        ":message-type: event",
        "data: " + json.dumps(START),
        'payload: {"p":""}',
    ]
    assert groups[-1].splitlines() == [
        ":exception-type: throttlingException",
        ":message-type: exception",
        'payload: {"message":"slow down"}',
    ]
    assert body_from_text(text) == body


@pytest.mark.parametrize(
    "frame",
    [
        Frame((Header(":date", es.TIMESTAMP, 1),), b"{}"),  # a header that is not a string
        Frame((Header("no-colon", es.STRING, "x"),), b"{}"),
        string_frame(b"\xff\xfe", message_type="event"),  # a payload that is not text
        string_frame(b"two\nlines", message_type="event"),
    ],
)
def test_what_the_readable_form_cannot_hold_stays_bytes(frame: Frame) -> None:
    assert readable_text(encode_frame(frame)) is None


def test_a_broken_body_stays_bytes() -> None:
    body = bytearray(encode_frame(chunk(START)))
    body[-1] ^= 1
    assert readable_text(bytes(body)) is None


def test_a_hand_edited_readable_form_names_the_frame_that_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"event-stream frame 2: 'nonsense' is not `name: value`"):
        body_from_text(":message-type: event\ndata: {}\n\nnonsense\n")
    with pytest.raises(ValueError, match=r"event-stream frame 1: with `data:`, `payload:` is a JSON object"):
        body_from_text("data: {}\npayload: [1]\n")


def test_whole_frames_cuts_a_stream_closed_early_at_its_last_whole_frame() -> None:
    frames_bytes = [encode_frame(chunk(e)) for e in EVENTS[:3]]
    data = b"".join(frames_bytes)
    assert whole_frames(data[:-5]) == b"".join(frames_bytes[:2])
    assert whole_frames(data) == data
    assert whole_frames(b"") == b""


def test_random_ids_survive_the_round_trip() -> None:
    """A UUID header, as other AWS event streams send one, encodes and decodes as its 16 bytes."""
    value = uuid.uuid4().bytes
    frame = Frame((Header(":id", es.UUID, value),), b"")
    assert decode_frames(encode_frame(frame))[0] == [frame]


def test_a_cassette_whose_readable_frames_are_broken_names_the_file_line_and_group(tmp_path: Path) -> None:
    import yaml

    from pytest_claude_contract.cassette.model import CassetteError
    from pytest_claude_contract.cassette.store import load_cassette

    interaction = {
        "request": {"method": "POST", "uri": "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke",
                    "headers": {}, "body": "{}"},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": ["application/vnd.amazon.eventstream"]},
            "body": {"string": ":message-type: event\ndata: {}\n\nwhat is this\n"},
        },
    }  # fmt: skip
    path = tmp_path / "edited.yaml"
    path.write_text(
        yaml.safe_dump({"interactions": [interaction, interaction], "version": 1}), encoding="utf-8"
    )
    with pytest.raises(CassetteError) as raised:
        load_cassette(path)
    assert str(raised.value).startswith(
        f"{path}:2: interaction 1: its event-stream response body cannot be played: event-stream frame 2: "
        "'what is this' is not `name: value`."
    )
