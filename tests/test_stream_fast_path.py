"""The stream rules' fast path (`_stream.stream_problems`): a delta to the open block, of a type that
fits it, skips the full rules; every other event, and every delta the fast path cannot vouch for,
gets them, with the same messages as with no fast path at all.

Which events took the full rules is seen by wrapping `_event_problem`, which only they reach; "no
fast path" is the same code with the table of fitting (delta, block) pairs emptied.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_claude_contract.contract import streams as _stream
from pytest_claude_contract.contract.streams import (
    Event,
    event_problems,
    order_problem,
    parse_events,
    stream_problems,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


def body(*events: dict[str, Any] | str, named: bool = True) -> bytes:
    """An event stream as the API writes it; a str is an event's raw `data:` text, sent unnamed."""
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(f"data: {event}\n\n")
        else:
            out.append((f"event: {event['type']}\n" if named else "") + f"data: {json.dumps(event)}\n\n")
    return "".join(out).encode()


def start(index: Any = 0, block: str = "text") -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": {"type": block}}


def delta(index: Any = 0, kind: str = "text_delta", **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}


def stop(index: Any = 0) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


MESSAGE_START = {"type": "message_start", "message": {"id": "msg_01", "content": []}}
MESSAGE_DELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
MESSAGE_STOP = {"type": "message_stop"}
ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
TEXT = delta(0, "text_delta", text="Hi")


@contextmanager
def full_rules_seen() -> Iterator[list[int]]:
    """The positions of the events that went through the full rules, in order."""
    seen: list[int] = []
    real = _stream._event_problem

    def recording(event: Event, blocks: dict[int, str]) -> str | None:
        seen.append(event.position)
        return real(event, blocks)

    with mock.patch.object(_stream, "_event_problem", recording):
        yield seen


def without_fast_path(events: list[Event]) -> tuple[str | None, list[str]]:
    with mock.patch.object(_stream, "_FITS", frozenset()):
        return stream_problems(events)


def test_sound_deltas_take_the_fast_path() -> None:
    """Text, thinking, signature, citations and tool-input deltas to their open block skip the full
    rules; the events around them do not."""
    events = parse_events(
        body(
            MESSAGE_START,
            start(0, "thinking"),
            *[delta(0, "thinking_delta", thinking="hm")] * 5,
            delta(0, "signature_delta", signature="EqQB"),
            stop(0),
            start(1, "text"),
            *[delta(1, "text_delta", text="Hi")] * 40,
            delta(1, "citations_delta", citation={}),
            stop(1),
            start(2, "tool_use"),
            *[delta(2, "input_json_delta", partial_json="{")] * 3,
            stop(2),
            MESSAGE_DELTA,
            MESSAGE_STOP,
        )
    )
    with full_rules_seen() as seen:
        assert stream_problems(events) == (None, [])
    others = [e.position for e in events if e.name != "content_block_delta"]
    assert seen == others
    assert len(events) - len(seen) == 50


CASES = [
    # (what, the stream, the position of the delta in question, the problems)
    (
        "delta-for-another-index",
        (MESSAGE_START, start(0), delta(1, text="x"), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (
            "event 3 is content_block_delta for index 1, but no content_block_start for index 1 came before it",
            [],
        ),
    ),
    (
        "delta-without-index",
        (MESSAGE_START, start(0), {"type": "content_block_delta", "delta": {"type": "text_delta"}}, stop(0)),
        3,
        (
            "the stream ends after event 4 (content_block_stop) without message_stop",
            ["event 3 (content_block_delta) has no integer `index`"],
        ),
    ),
    (
        "boolean-index",  # true == 1: the open block's index, but not an integer index
        (
            MESSAGE_START,
            start(0),
            stop(0),
            start(1),
            delta(True, text="x"),
            stop(1),
            MESSAGE_DELTA,
            MESSAGE_STOP,
        ),
        5,
        (None, ["event 5 (content_block_delta) has no integer `index`"]),
    ),
    (
        "string-index",
        (MESSAGE_START, start(0), delta("0", text="x"), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (None, ["event 3 (content_block_delta) has no integer `index`"]),
    ),
    (
        "float-index",
        (MESSAGE_START, start(0), delta(0.0, text="x"), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (None, ["event 3 (content_block_delta) has no integer `index`"]),
    ),
    (
        "no-delta",
        (
            MESSAGE_START,
            start(0),
            {"type": "content_block_delta", "index": 0},
            stop(0),
            MESSAGE_DELTA,
            MESSAGE_STOP,
        ),
        3,
        (None, ["event 3 (content_block_delta for index 0) has no `delta` with a string `type`"]),
    ),
    (
        "delta-not-an-object",
        (
            MESSAGE_START,
            start(0),
            {"type": "content_block_delta", "index": 0, "delta": "Hi"},
            stop(0),
            MESSAGE_DELTA,
            MESSAGE_STOP,
        ),
        3,
        (None, ["event 3 (content_block_delta for index 0) has no `delta` with a string `type`"]),
    ),
    (
        "delta-type-not-a-string",
        (
            MESSAGE_START,
            start(0),
            {"type": "content_block_delta", "index": 0, "delta": {"type": 1}},
            stop(0),
            MESSAGE_DELTA,
            MESSAGE_STOP,
        ),
        3,
        (None, ["event 3 (content_block_delta for index 0) has no `delta` with a string `type`"]),
    ),
    (
        "delta-of-the-wrong-type-for-its-block",
        (MESSAGE_START, start(0, "text"), delta(0, "thinking_delta"), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (
            None,
            [
                "event 3 is content_block_delta (thinking_delta) for index 0, but content block 0 is a text "
                "block; thinking_delta belongs in a thinking block"
            ],
        ),
    ),
    (
        "text-delta-in-a-tool-block",
        (MESSAGE_START, start(0, "tool_use"), TEXT, stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (
            None,
            [
                "event 3 is content_block_delta (text_delta) for index 0, but content block 0 is a tool_use "
                "block; text_delta belongs in a text block"
            ],
        ),
    ),
    (
        "unknown-delta-type",  # accepted, by the full rules
        (MESSAGE_START, start(0), delta(0, "future_delta"), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (None, []),
    ),
    (
        "unknown-block-type",  # any delta is accepted in it, by the full rules
        (MESSAGE_START, start(0, "future_block"), TEXT, stop(0), MESSAGE_DELTA, MESSAGE_STOP),
        3,
        (None, []),
    ),
    (
        "delta-after-an-error-event",
        (MESSAGE_START, start(0), ERROR, TEXT, stop(0)),
        4,
        (
            "event 4 is content_block_delta for index 0, but an error event (event 3) ended the stream; "
            "nothing may follow it",
            [],
        ),
    ),
    (
        "delta-after-its-block-stopped",
        (MESSAGE_START, start(0), stop(0), TEXT, MESSAGE_DELTA, MESSAGE_STOP),
        4,
        (
            "event 4 is content_block_delta for index 0, but content_block_stop for index 0 (event 3) came "
            "before it",
            [],
        ),
    ),
]


@pytest.mark.parametrize(
    ("events", "position", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_deltas_the_fast_path_cannot_vouch_for_get_the_full_rules(
    events: tuple[dict[str, Any], ...], position: int, expected: tuple[str | None, list[str]]
) -> None:
    parsed = parse_events(body(*events))
    assert parsed[position - 1].name == "content_block_delta"
    with full_rules_seen() as seen:
        found = stream_problems(parsed)
    assert position in seen
    assert found == expected
    assert found == without_fast_path(parsed)
    assert (order_problem(parsed), event_problems(parsed)) == found


def test_a_non_string_text_is_left_alone_as_before() -> None:
    """No rule reads a text delta's `text`: a number there is accepted, fast path or not."""
    events = parse_events(
        body(MESSAGE_START, start(0), delta(0, text=5), stop(0), MESSAGE_DELTA, MESSAGE_STOP)
    )
    assert stream_problems(events) == (None, []) == without_fast_path(events)


def test_a_misnamed_event_and_unnamed_deltas_get_the_full_rules() -> None:
    """The fast path needs the event's name: unnamed deltas, and a delta event whose data is another
    type, go through the full rules."""
    unnamed = parse_events(
        body(MESSAGE_START, start(0), TEXT, TEXT, stop(0), MESSAGE_DELTA, MESSAGE_STOP, named=False)
    )
    with full_rules_seen() as seen:
        assert stream_problems(unnamed) == (None, [])
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    misnamed = parse_events(
        b"event: message_start\ndata: {}\n\n"
        b'event: content_block_delta\ndata: {"type": "ping"}\n\n'
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0}\n\n'
    )
    with full_rules_seen() as seen:
        found = stream_problems(misnamed)
    assert seen == [1, 2, 3]
    assert found == without_fast_path(misnamed)
    assert found[1] == [
        "event 1 (message_start) carries JSON with no string `type`",
        "event 2 is named content_block_delta, but its data has type 'ping'; the type must equal the event name",
        "event 3 (content_block_delta for index 0) has no `delta` with a string `type`",
    ]


def test_after_a_break_in_the_order_every_delta_gets_the_full_rules() -> None:
    """Once the order is broken only stream-event is still looked for, in every later event."""
    events = parse_events(
        body(MESSAGE_START, MESSAGE_START, start(0, "text"), TEXT, delta(0, "thinking_delta"), TEXT, stop(0))
    )
    with full_rules_seen() as seen:
        found = stream_problems(events)
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert found == (
        "event 2 is a second message_start (the first is event 1)",
        [
            "event 5 is content_block_delta (thinking_delta) for index 0, but content block 0 is a text block; "
            "thinking_delta belongs in a thinking block"
        ],
    )
    assert found == without_fast_path(events)


# Streams made of these events in any order and number: the fast path must never change a verdict.
INDEXES = st.sampled_from([0, 1, 2, True, False, "0", None, 1.5])
BLOCKS = st.sampled_from(["text", "tool_use", "thinking", "redacted_thinking", "future_block"])
DELTAS = st.one_of(
    st.sampled_from(
        ["text_delta", "thinking_delta", "signature_delta", "input_json_delta", "citations_delta", "future"]
    ).map(lambda kind: {"type": kind}),
    st.sampled_from([None, "text", {"text": "x"}, {"type": 3}]),
)
EVENT = st.one_of(
    st.sampled_from([MESSAGE_START, MESSAGE_DELTA, MESSAGE_STOP, ERROR, {"type": "ping"}, {"type": "new"}]),
    st.builds(start, INDEXES, BLOCKS),
    st.builds(stop, INDEXES),
    st.builds(lambda i, d: {"type": "content_block_delta", "index": i, "delta": d}, INDEXES, DELTAS),
    st.sampled_from(["[DONE]", "{}", '{"type": "content_block_delta"}']),
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.one_of(EVENT, st.builds(delta, st.sampled_from([0, 1, 2]))), max_size=30),
    st.booleans(),
)
def test_the_fast_path_never_changes_a_verdict(events: list[dict[str, Any] | str], named: bool) -> None:
    parsed = parse_events(body(MESSAGE_START, start(0), *events, named=named))
    assert stream_problems(parsed) == without_fast_path(parsed)


def test_objects_alone_checks_padded_data_the_slow_way() -> None:
    """Data exactly "{...}" is recognised in C; padded data by stripping each; anything else is not."""
    assert _stream._objects_alone(['{"a": 1}', "{}"])
    assert _stream._objects_alone(['{"a": 1}   ', '  {"b": 2}'])
    assert not _stream._objects_alone(['{"a": 1}', "[1]"])
    assert not _stream._objects_alone(['{"a": 1} x', "{}"])


def test_an_empty_event_name_is_no_name_on_the_fast_path() -> None:
    text = 'event: \ndata: {"type": "ping"}\n\nevent: ping\ndata: {"type": "ping"}\n\n'
    assert _stream._api_shaped(text) == ([None, "ping"], ['{"type": "ping"}', '{"type": "ping"}'])
    assert [(e.name, e.type) for e in parse_events(text.encode())] == [(None, "ping"), ("ping", "ping")]


def test_an_event_without_data_text_gets_the_full_rules() -> None:
    """Events built by hand may carry parsed data without its text: still "no `data:` line"."""
    events = parse_events(body(MESSAGE_START, start(0), TEXT, stop(0), MESSAGE_DELTA, MESSAGE_STOP))
    events[2] = events[2]._replace(data=None)
    with full_rules_seen() as seen:
        found = stream_problems(events)
    assert 3 in seen
    assert found == (None, ["event 3 (content_block_delta) has no `data:` line"]) == without_fast_path(events)
