"""Streams, rate-limit headers and beta names as pure checks: stream-order, stream-event,
ratelimit-headers and beta-header firing and quiet, on made-up exchanges and on real recorded traffic.

Fast unit tests over `_checks.check_exchange`; the same rules over real sockets are in
test_stream_rules.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.contract.checks import Violation, check_exchange
from pytest_claude_contract.contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    Exchange,
    lower_headers,
)
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT
from pytest_claude_contract.contract.streams import event_problems, order_problem, parse_events

API = "https://api.anthropic.com"
REAL_CASSETTES = Path(__file__).parent / "data" / "real-cassettes"
MINE = ("stream-order", "stream-event", "ratelimit-headers", "beta-header")
REQUEST_HEADERS = {
    "x-api-key": "placeholder-credential",
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}
STREAM_REQUEST = json.dumps(
    {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "Hi"}],
    }
)
PLAIN_REQUEST = json.dumps({**json.loads(STREAM_REQUEST), "stream": False})
RESPONSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    "anthropic-organization-id": "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
}
ERROR_BODY = json.dumps({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})

# Events by short name; a stream is written as a list of them.
MESSAGE: dict[str, Any] = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [],
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 1},
}
BLOCKS = {
    "text": {"type": "text", "text": ""},
    "tool_use": {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
    "server_tool_use": {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {}},
    "mcp_tool_use": {
        "type": "mcp_tool_use",
        "id": "mcptoolu_01",
        "name": "echo",
        "server_name": "s",
        "input": {},
    },
    "thinking": {"type": "thinking", "thinking": "", "signature": ""},
    "redacted_thinking": {"type": "redacted_thinking", "data": "abc"},
    "web_search_tool_result": {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": []},
    "future_block": {"type": "future_block"},
}
DELTAS = {
    "text_delta": {"type": "text_delta", "text": "Hi"},
    "citations_delta": {"type": "citations_delta", "citation": {"type": "web_search_result_location"}},
    "input_json_delta": {"type": "input_json_delta", "partial_json": '{"city": '},
    "thinking_delta": {"type": "thinking_delta", "thinking": "Hmm"},
    "signature_delta": {"type": "signature_delta", "signature": "EqQB"},
    "future_delta": {"type": "future_delta", "payload": 1},
}


def start(index: int = 0, block: str = "text") -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": BLOCKS[block]}


def delta(index: int = 0, kind: str = "text_delta") -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": DELTAS[kind]}


def stop(index: int = 0) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


MESSAGE_START = {"type": "message_start", "message": MESSAGE}
MESSAGE_DELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}
MESSAGE_STOP = {"type": "message_stop"}
PING = {"type": "ping"}
ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def stream(*events: dict[str, Any], named: bool = True) -> str:
    """An event-stream body as the API writes it: `event: <type>`, `data: <json>`, blank line."""
    return "".join((f"event: {e['type']}\n" if named else "") + f"data: {json.dumps(e)}\n\n" for e in events)


def sound(*middle: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """A well-ordered stream around `middle` (default: one text block)."""
    blocks = middle or (start(), delta(), stop())
    return (MESSAGE_START, *blocks, MESSAGE_DELTA, MESSAGE_STOP)


def exchange(
    body: str | bytes = "",
    *,
    status: int = 200,
    response_headers: dict[str, str] | None = None,
    request_headers: dict[str, str] | None = None,
    url: str = f"{API}/v1/messages",
    request_body: str = STREAM_REQUEST,
) -> Exchange:
    raw = body.encode() if isinstance(body, str) else body
    request = CapturedRequest(
        "POST", url, lower_headers(request_headers or REQUEST_HEADERS), request_body.encode()
    )
    response = CapturedResponse(status, lower_headers(response_headers or RESPONSE_HEADERS), raw)
    return Exchange(request, response, "live", 1)


def found(ex: Exchange) -> list[Violation]:
    return check_exchange(ex, DEFAULT_CONTRACT)


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


# ------------------------------------------------------------------ parsing


def test_parser_reads_real_traffic_quirks() -> None:
    """CRLF and CR line ends, `data:` padded with trailing spaces, data lines joined by "\\n", comments,
    no space after the colon, and a last event with no blank line after it."""
    body = (
        b": a comment the server sends to keep the connection open\r\n"
        b'event: message_start\r\ndata: {"type": "message_start",    \r\ndata:  "message": {}}         \r\n\r\n'
        b'event:ping\rdata:{"type": "ping"}\r\r'
        b'event: message_stop\ndata: {"type": "message_stop"}'
    )
    events = parse_events(body)
    assert [(e.position, e.name, e.type) for e in events] == [
        (1, "message_start", "message_start"),
        (2, "ping", "ping"),
        (3, "message_stop", "message_stop"),
    ]
    assert events[0].data == '{"type": "message_start",    \n "message": {}}         '
    assert events[0].json == {"type": "message_start", "message": {}}
    assert parse_events(b"") == []
    unnamed = parse_events(b'data: {"type": "content_block_stop", "index": 2}\n\n')
    assert (unnamed[0].name, unnamed[0].type, unnamed[0].block_index) == (None, "content_block_stop", 2)


def test_conformant_streams_are_quiet() -> None:
    """Text, tool use, thinking, several blocks, several message_delta, pings anywhere, unnamed events."""
    streams = [
        sound(),
        sound(start(0, "thinking"), delta(0, "thinking_delta"), delta(0, "signature_delta"), stop(0)),
        (
            PING,
            MESSAGE_START,
            PING,
            start(0, "text"),
            PING,
            delta(0),
            delta(0, "citations_delta"),
            stop(0),
            start(1, "tool_use"),
            delta(1, "input_json_delta"),
            stop(1),
            MESSAGE_DELTA,
            PING,
            MESSAGE_DELTA,
            MESSAGE_STOP,
            PING,
        ),
        sound(start(0, "redacted_thinking"), stop(0)),
        (MESSAGE_START, MESSAGE_DELTA, MESSAGE_STOP),  # no content blocks at all
    ]
    for events in streams:
        assert found(exchange(stream(*events))) == [], events
    assert found(exchange(stream(*sound(), named=False))) == []


def test_unknown_additions_in_streams_are_accepted() -> None:
    """New event types anywhere, new block types with any delta, new delta types in known blocks
    (Docs, Versions: the API adds enum variants, streaming event types included, within a version)."""
    future_event = {"type": "message_progress", "percent": 50}
    events = (
        future_event,
        MESSAGE_START,
        future_event,
        start(0, "future_block"),
        delta(0, "future_delta"),
        delta(0, "text_delta"),
        stop(0),
        start(1, "text"),
        delta(1, "future_delta"),
        stop(1),
        start(2, "web_search_tool_result"),
        stop(2),
        start(3, "server_tool_use"),
        delta(3, "input_json_delta"),
        stop(3),
        start(4, "mcp_tool_use"),
        delta(4, "input_json_delta"),
        stop(4),
        MESSAGE_DELTA,
        future_event,
        MESSAGE_STOP,
        future_event,
    )
    assert found(exchange(stream(*events))) == []


def test_error_event_may_end_the_stream() -> None:
    """An `error` event ends a stream early (no message_stop needed), even as its first event."""
    assert found(exchange(stream(MESSAGE_START, start(), delta(), ERROR))) == []
    assert found(exchange(stream(ERROR))) == []
    assert found(exchange(stream(MESSAGE_START, PING, ERROR, PING))) == []


# ------------------------------------------------------------------ stream-order


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            (MESSAGE_START, start(0), delta(0), stop(0), MESSAGE_STOP, MESSAGE_DELTA),
            "event 5 is message_stop, but no message_delta came before it",
        ),
        (
            (MESSAGE_START, delta(1), stop(1), MESSAGE_DELTA, MESSAGE_STOP),
            "event 2 is content_block_delta for index 1, but no content_block_start for index 1 came before it",
        ),
        (
            (MESSAGE_START, start(0), PING, delta(1), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 4 is content_block_delta for index 1, but no content_block_start for index 1 came before it",
        ),
        (
            (start(0), MESSAGE_START, stop(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 1 is content_block_start for index 0, but no message_start came before it; "
            "a stream opens with message_start",
        ),
        (
            (MESSAGE_START, start(0), delta(0), stop(0), delta(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 5 is content_block_delta for index 0, but content_block_stop for index 0 (event 4) came before it",
        ),
        (
            (MESSAGE_START, start(0), start(1), stop(1), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 3 is content_block_start for index 1, but content block 0 (event 2) has no content_block_stop yet",
        ),
        (
            (MESSAGE_START, start(0), stop(0), start(0), stop(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 4 is content_block_start for index 0, but index 0 was already started (event 2)",
        ),
        (
            (MESSAGE_START, start(0), delta(0), MESSAGE_DELTA, MESSAGE_STOP),
            "event 4 is message_delta, but content block 0 (event 2) has no content_block_stop yet",
        ),
        (
            (MESSAGE_START, MESSAGE_DELTA, start(0), stop(0), MESSAGE_STOP),
            "event 3 is content_block_start for index 0, but message_delta (event 2) came before it; "
            "content blocks come before message_delta",
        ),
        (
            (*sound(), MESSAGE_DELTA),
            "event 7 is message_delta, but message_stop (event 6) must be the last event",
        ),
        (
            (MESSAGE_START, MESSAGE_START, MESSAGE_DELTA, MESSAGE_STOP),
            "event 2 is a second message_start (the first is event 1)",
        ),
        (
            (MESSAGE_START, ERROR, MESSAGE_DELTA, MESSAGE_STOP),
            "event 3 is message_delta, but an error event (event 2) ended the stream; nothing may follow it",
        ),
        (
            (MESSAGE_START, start(0), delta(0), stop(0), MESSAGE_DELTA, PING),
            "the stream ends after event 6 (ping) without message_stop",
        ),
        ((), "the stream has no events; expected message_start first and message_stop last"),
    ],
    ids=[
        "stop-before-delta",
        "delta-without-start",
        "delta-for-other-index",
        "block-before-message-start",
        "delta-after-block-stop",
        "interleaved-blocks",
        "index-reused",
        "message-delta-with-open-block",
        "block-after-message-delta",
        "event-after-message-stop",
        "second-message-start",
        "event-after-error",
        "truncated",
        "empty",
    ],
)
def test_stream_order(events: tuple[dict[str, Any], ...], message: str) -> None:
    """Each break of the documented order is stream-order, with the event's 1-based position and what
    was expected; only the first break is reported (what follows from it is noise)."""
    violations = found(exchange(stream(*events)))
    assert rules(violations) == ["stream-order"]
    assert violations[0].message == message


def test_order_checks_only_messages_event_streams() -> None:
    """JSON responses, other endpoints' event streams (a beta session's events) and error responses
    are not read as Messages streams."""
    out_of_order = stream(MESSAGE_STOP, MESSAGE_START)
    session = {**REQUEST_HEADERS, "anthropic-beta": "managed-agents-2026-04-01"}  # beta-required's
    assert (
        found(exchange(out_of_order, url=f"{API}/v1/sessions/sesn_01/events", request_headers=session)) == []
    )
    json_headers = {**RESPONSE_HEADERS, "content-type": "application/json"}
    plain = json.dumps({**MESSAGE, "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn"})
    no_stream = json.dumps({**json.loads(STREAM_REQUEST), "stream": False})
    assert "stream-order" not in rules(
        found(exchange(plain, response_headers=json_headers, request_body=no_stream))
    )


def test_stream_true_answered_with_json_stays_response_content_type() -> None:
    """A 2xx JSON answer to `stream: true` is response-content-type, not a stream rule."""
    json_headers = {**RESPONSE_HEADERS, "content-type": "application/json"}
    plain = json.dumps({**MESSAGE, "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn"})
    assert rules(found(exchange(plain, response_headers=json_headers))) == ["response-content-type"]


# ------------------------------------------------------------------ stream-event


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            stream(*sound(start(0, "text"), delta(0, "thinking_delta"), stop(0))),
            "event 3 is content_block_delta (thinking_delta) for index 0, but content block 0 is a text block; "
            "thinking_delta belongs in a thinking block",
        ),
        (
            stream(*sound(start(0, "tool_use"), delta(0, "text_delta"), stop(0))),
            "event 3 is content_block_delta (text_delta) for index 0, but content block 0 is a tool_use block; "
            "text_delta belongs in a text block",
        ),
        (
            stream(*sound(start(0, "text"), delta(0, "input_json_delta"), stop(0))),
            "event 3 is content_block_delta (input_json_delta) for index 0, but content block 0 is a text block; "
            "input_json_delta belongs in a tool_use or server_tool_use or mcp_tool_use block",
        ),
        (
            stream(*sound(start(0, "redacted_thinking"), delta(0, "signature_delta"), stop(0))),
            "event 3 is content_block_delta (signature_delta) for index 0, but content block 0 is a redacted_thinking block; "
            "signature_delta belongs in a thinking block",
        ),
        (
            stream(*sound()).replace('data: {"type": "message_delta"', 'data: {"type": "message_update"'),
            "event 5 is named message_delta, but its data has type 'message_update'; "
            "the type must equal the event name",
        ),
        (
            stream(*sound()).replace('data: {"type": "content_block_stop", "index": 0}', "data: [DONE]"),
            "event 4 (content_block_stop) carries data that is not a JSON object: '[DONE]'",
        ),
        (
            stream(*sound()).replace('data: {"type": "message_stop"}', "data: {}"),
            "event 6 (message_stop) carries JSON with no string `type`",
        ),
        (
            stream(*sound()).replace('data: {"type": "message_stop"}\n', ""),
            "event 6 (message_stop) has no `data:` line",
        ),
        (
            stream(*sound()).replace(
                '"type": "content_block_stop", "index": 0', '"type": "content_block_stop"'
            ),
            "event 4 (content_block_stop) has no integer `index`",
        ),
        (
            stream(*sound()).replace('"delta": {"type": "text_delta", "text": "Hi"}', '"delta": "Hi"'),
            "event 3 (content_block_delta for index 0) has no `delta` with a string `type`",
        ),
    ],
    ids=[
        "thinking-delta-in-text",
        "text-delta-in-tool-use",
        "json-delta-in-text",
        "signature-in-redacted",
        "type-mismatch",
        "not-json",
        "no-type",
        "no-data",
        "no-index",
        "no-delta-type",
    ],
)
def test_stream_event(body: str, message: str) -> None:
    """Each event whose data does not fit it is stream-event, naming the event and what was expected."""
    violations = found(exchange(body))
    assert rules(violations) == ["stream-event"]
    assert violations[0].message == message


def test_stream_event_counts_further_problems() -> None:
    """One violation per stream: the first bad event, and how many more there are."""
    events = sound(
        start(0, "text"),
        delta(0, "thinking_delta"),
        delta(0, "thinking_delta"),
        delta(0, "thinking_delta"),
        stop(0),
    )
    violations = found(exchange(stream(*events)))
    assert rules(violations) == ["stream-event"]
    assert violations[0].message.endswith("belongs in a thinking block (and 2 more events like it)")
    assert len(event_problems(parse_events(stream(*events).encode()))) == 3


def test_both_stream_rules_in_one_stream() -> None:
    events = (MESSAGE_START, start(0, "text"), delta(0, "thinking_delta"), stop(0), MESSAGE_STOP)
    assert rules(found(exchange(stream(*events)))) == ["stream-order", "stream-event"]
    assert order_problem(parse_events(stream(*events).encode())) == (
        "event 5 is message_stop, but no message_delta came before it"
    )


# ------------------------------------------------------------------ ratelimit-headers

RATE_HEADERS = {
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-requests-reset": "2026-02-17T19:29:32Z",
    "anthropic-ratelimit-tokens-limit": "2000000",
    "anthropic-ratelimit-tokens-remaining": "2000000",
    "anthropic-ratelimit-tokens-reset": "2026-02-17T19:29:32.123+00:00",
    "anthropic-ratelimit-input-tokens-limit": "2000000",
    "anthropic-ratelimit-input-tokens-remaining": "0",
    "anthropic-ratelimit-input-tokens-reset": "2026-02-17t19:29:32z",
    "anthropic-ratelimit-output-tokens-limit": "400000",
    "anthropic-ratelimit-output-tokens-remaining": "400000",
    "anthropic-ratelimit-output-tokens-reset": "2026-02-17T21:29:32+02:00",
}


def json_exchange(status: int = 200, headers: dict[str, str] | None = None) -> Exchange:
    response_headers = {**RESPONSE_HEADERS, "content-type": "application/json", **(headers or {})}
    body = ERROR_BODY if status >= 400 else ""
    return exchange(body, status=status, response_headers=response_headers, request_body=PLAIN_REQUEST)


def test_rate_limit_headers_quiet() -> None:
    """Documented values, real traffic's retry-after on a 200, an HTTP date, names the docs do not list
    (accepted), and a recorder's placeholders (crewAI's `<NAME>-XXX`) are all quiet."""
    assert found(json_exchange(200, {**RATE_HEADERS, "retry-after": "12"})) == []
    assert found(json_exchange(429, {**RATE_HEADERS, "retry-after": "30"})) == []
    assert found(json_exchange(429, {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"})) == []
    unknown = {
        "anthropic-ratelimit-unified-status": "allowed",
        "anthropic-ratelimit-unified-reset": "1760000000",
        "anthropic-ratelimit-priority-tokens-limit": "lots",
    }
    assert found(json_exchange(200, unknown)) == []
    placeholders = {name: f"{name.upper()}-XXX" for name in RATE_HEADERS}
    assert found(json_exchange(200, placeholders)) == []


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (429, {}, "the 429 response has no `retry-after` header; clients read it to know when to retry"),
        (
            200,
            {"anthropic-ratelimit-tokens-remaining": "-5"},
            "`anthropic-ratelimit-tokens-remaining: -5` is not a non-negative integer",
        ),
        (
            200,
            {"anthropic-ratelimit-requests-limit": "50.0"},
            "`anthropic-ratelimit-requests-limit: 50.0` is not a non-negative integer",
        ),
        (
            200,
            {"anthropic-ratelimit-input-tokens-reset": "1760000000"},
            "`anthropic-ratelimit-input-tokens-reset: 1760000000` is not an RFC 3339 time",
        ),
        (
            200,
            {"anthropic-ratelimit-output-tokens-reset": "2026-13-01T00:00:00Z"},
            "`anthropic-ratelimit-output-tokens-reset: 2026-13-01T00:00:00Z` is not an RFC 3339 time",
        ),
        (
            200,
            {"anthropic-ratelimit-requests-reset": "2026-02-17 19:29:32"},
            "`anthropic-ratelimit-requests-reset: 2026-02-17 19:29:32` is not an RFC 3339 time",
        ),
        (
            429,
            {"retry-after": "soon"},
            "`retry-after: soon` is neither a number of seconds nor an HTTP date",
        ),
    ],
    ids=[
        "429-no-retry-after",
        "negative",
        "not-integer",
        "reset-epoch",
        "reset-bad-month",
        "reset-no-zone",
        "retry-after-words",
    ],
)
def test_rate_limit_headers_fire(status: int, headers: dict[str, str], message: str) -> None:
    violations = found(json_exchange(status, headers))
    assert rules(violations) == ["ratelimit-headers"]
    assert violations[0].message == message


# ------------------------------------------------------------------ beta-header


@pytest.mark.parametrize(
    "value",
    [
        "files-api-2025-04-14",  # real values, from recorded traffic
        "tools-2024-04-04",
        "structured-outputs-2025-11-13",
        "prompt-caching-2024-07-31,pdfs-2024-09-25",
        "interleaved-thinking-2025-05-14, fine-grained-tool-streaming-2025-05-14",
        "context-1m-2025-08-07 ,  oauth-2025-04-20",
        "claude-code-20250219",
    ],
)
def test_beta_header_quiet(value: str) -> None:
    ex = exchange(stream(*sound()), request_headers={**REQUEST_HEADERS, "anthropic-beta": value})
    assert found(ex) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "prompt-caching-2024-07-31; pdfs-2024-09-25",
            "`anthropic-beta: prompt-caching-2024-07-31; pdfs-2024-09-25` is not a beta name",
        ),
        (
            "files-api-2025-04-14,Files_API",
            "`anthropic-beta: files-api-2025-04-14,Files_API` names 'Files_API', which is not a beta name",
        ),
        (
            "files-api-2025-04-14,",
            "`anthropic-beta: files-api-2025-04-14,` has an empty entry (entry 2 of 2)",
        ),
        ("a-1,,b-2", "`anthropic-beta: a-1,,b-2` has an empty entry (entry 2 of 3)"),
        ("", "`anthropic-beta: ` has an empty entry (its only entry)"),
        ("files--api", "`anthropic-beta: files--api` is not a beta name"),
    ],
    ids=["semicolon", "other-characters", "trailing-comma", "double-comma", "empty", "double-hyphen"],
)
def test_beta_header_fires(value: str, message: str) -> None:
    ex = exchange(stream(*sound()), request_headers={**REQUEST_HEADERS, "anthropic-beta": value})
    violations = found(ex)
    assert rules(violations) == ["beta-header"]
    assert violations[0].message.startswith(message)


# ------------------------------------------------------------------ real recorded traffic


@pytest.mark.parametrize("path", sorted(REAL_CASSETTES.glob("*.yaml")), ids=lambda p: p.name[:60])
def test_real_cassettes_break_none_of_these_rules(path: Path) -> None:
    """Cassettes other projects recorded against the real API (see tests/data/real-cassettes/
    PROVENANCE.md): gzip SSE, padded `data:` lines, anthropic-beta, crewAI's placeholder headers."""
    interactions = load_cassette(path)
    assert interactions
    streams = 0
    for position, interaction in enumerate(interactions, 1):
        raw = interaction.response
        response = CapturedResponse(
            raw["status"]["code"], lower_headers(raw["headers"]), raw["body"]["string"]
        )
        ex = Exchange(interaction.request, response, "replayed", position)
        streams += response.headers.get("content-type", "").startswith("text/event-stream")
        assert [v for v in check_exchange(ex, DEFAULT_CONTRACT) if v.rule in MINE] == []
    assert streams


def test_real_cassettes_are_the_three_documented() -> None:
    names = sorted(p.name for p in REAL_CASSETTES.glob("*.yaml"))
    provenance = (REAL_CASSETTES / "PROVENANCE.md").read_text(encoding="utf-8")
    assert len(names) == 3
    for name in names:
        assert name in provenance


def test_parser_never_lets_one_event_s_data_borrow_another_s() -> None:
    """Events are parsed together when every data is one JSON object; data that is two objects, or a
    fragment, makes each event be parsed on its own, so each keeps its own verdict."""
    two_in_one = parse_events(b'data: {"a": 1},{"b": 2}\n\ndata: {"c": 3}\n\n')
    assert [isinstance(e.json, dict) for e in two_in_one] == [False, True]
    assert two_in_one[1].json == {"c": 3}
    split = parse_events(b'data: {"a": [1\n\ndata: 2]}\n\ndata: {"d": 4}\n\n')
    assert [isinstance(e.json, dict) for e in split] == [False, False, True]
    together = parse_events(b'event: a\ndata: {"type": "a"}\n\nevent: b\ndata: {"type": "b"}   \n\n')
    assert [e.json for e in together] == [{"type": "a"}, {"type": "b"}]
