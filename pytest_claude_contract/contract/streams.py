"""Server-sent events: parsing a recorded Messages stream, and what is wrong with its events.

Pure functions over the decoded response body; `checks.check_stream` turns the messages into
violations of `stream-order` and `stream-event`. Events are numbered from 1 in stream order, so a
message can point at the event it is about.

The parser follows the WHATWG event-stream rules where real traffic needs them (CRLF, CR or LF line
ends; one optional space after the colon; several `data:` lines joined by "\\n"; lines starting with
":" are comments) and is lenient where recorded traffic is: `data:` JSON padded with trailing spaces,
and a last event with no blank line after it (a recorder may drop it) still counts.
"""

from __future__ import annotations

import json
import re
from itertools import count, repeat
from operator import add, itemgetter
from typing import Any, NamedTuple, cast

from . import limits

_LINE_END = re.compile(r"\r\n|\r|\n")


class _NotJson:
    """The data of an event that is not JSON; pickles as a reference to the one instance."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_NOT_JSON"

    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()

# The event types whose order the docs fix; any other type (ping, error, types added later) is free.
_ORDERED = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)
_BLOCK_EVENTS = ("content_block_start", "content_block_delta", "content_block_stop")

# Which content blocks each documented delta type belongs in. A delta type not listed here, or a
# block type not in _KNOWN_BLOCKS, is an addition the API may make within a version: accepted.
_DELTA_BLOCKS: dict[str, tuple[str, ...]] = {
    "text_delta": ("text",),
    "citations_delta": ("text",),
    "input_json_delta": ("tool_use", "server_tool_use", "mcp_tool_use"),
    "thinking_delta": ("thinking",),
    "signature_delta": ("thinking",),
}
_KNOWN_BLOCKS = frozenset(
    {"text", "tool_use", "server_tool_use", "mcp_tool_use", "thinking", "redacted_thinking"}
)
# (delta type, block type) of every documented delta in its own block: what the fast path accepts.
_FITS = frozenset((delta, block) for delta, blocks in _DELTA_BLOCKS.items() for block in blocks)


class Event(NamedTuple):
    """One server-sent event. A named tuple: a stream has hundreds, built several times faster than
    dataclass instances."""

    position: int  # from 1, in stream order
    name: str | None  # the `event:` line, if any
    data: str | None  # the `data:` lines joined by "\n"; None if there was none
    json: Any = _NOT_JSON  # `data` parsed; _NOT_JSON when it is not JSON

    @property
    def type(self) -> str | None:
        """What the event is: its name, or the `type` of its data when it has no name."""
        if self.name:
            return self.name
        return self.json.get("type") if isinstance(self.json, dict) else None

    @property
    def parsed(self) -> Any:
        """The data parsed as JSON; None when there is none or it is not JSON."""
        return None if self.json is _NOT_JSON else self.json

    @property
    def block_index(self) -> int | None:
        value = self.json.get("index") if isinstance(self.json, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None


_new_event = tuple.__new__
_after_event = itemgetter(slice(7, None))
_after_data = itemgetter(slice(6, None))


def parse_events(body: bytes) -> list[Event]:
    """The events of an event-stream body, numbered from 1."""
    text = body.decode("utf-8", "replace")
    shaped = _api_shaped(text)
    if shaped is None:
        raw = _parsed_line_by_line(text)
        names: list[str | None] = [name for name, _ in raw]
        datas: list[str | None] = [data for _, data in raw]
    else:
        names, datas = shaped
    # Built by map over C functions: a Python step per event costs more than the rest of the parse.
    return list(map(_new_event, repeat(Event), zip(count(1), names, datas, _parse_all(datas))))


def frame_events(body: bytes) -> tuple[list[Event], list[str]]:
    """The Messages events of an AWS event-stream body (Amazon Bedrock's streams), numbered from 1
    as `parse_events` numbers an SSE stream's, and what kept frames from being read: a broken frame
    (a CRC, a length; nothing after it can be read) or a chunk that is not base64 JSON."""
    from .aws_eventstream import decode_frames, stream_frame

    frames, broken = decode_frames(body)
    names: list[str | None] = []
    datas: list[str | None] = []
    problems: list[str] = []
    for position, frame in enumerate(frames, 1):
        read = stream_frame(frame)
        if read.problem is not None:
            problems.append(f"frame {position}: {read.problem}")
        elif read.data is not None:
            names.append(read.event)
            datas.append(read.data)
    if broken is not None:
        problems.append(str(broken))
    events = list(map(_new_event, repeat(Event), zip(count(1), names, datas, _parse_all(datas))))
    return events, problems


def _api_shaped(text: str) -> tuple[list[str | None], list[str | None]] | None:
    """The names and the data of the events when the stream is shaped as the API sends it, every
    event an "event: " line, a "data: " line and an empty line; None otherwise. The same values as
    reading it line by line, with slices and C-level checks instead of a Python step per line."""
    if "\r" in text or not text.endswith("\n\n"):
        return None
    lines = text.split("\n")
    if len(lines) % 3 != 1:
        return None
    names, datas, blanks = lines[0:-1:3], lines[1::3], lines[2::3]
    if any(blanks) or not all(map(str.startswith, names, repeat("event: "))):
        return None
    if not all(map(str.startswith, datas, repeat("data: "))):
        return None
    stripped: list[str | None] = list(map(str.strip, map(_after_event, names)))
    if "" in stripped:  # an empty name is no name
        stripped = [name or None for name in stripped]
    return stripped, list(map(_after_data, datas))


def _parsed_line_by_line(text: str) -> list[tuple[str | None, str | None]]:
    raw: list[tuple[str | None, str | None]] = []  # (name, data) per event
    name: str | None = None
    data: list[str] | None = None
    # str.split is several times faster than the regex; only CR line ends need the regex.
    for line in _LINE_END.split(text) if "\r" in text else text.split("\n"):
        if not line:
            if name is not None or data is not None:
                raw.append((name or None, _joined(data)))
            name, data = None, None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value.strip()
        elif field == "data":
            if data is None:
                data = [value]
            else:
                data.append(value)
    if name is not None or data is not None:  # a last event without its blank line
        raw.append((name or None, _joined(data)))
    return raw


def _joined(data: list[str] | None) -> str | None:
    if data is None:
        return None
    return data[0] if len(data) == 1 else "\n".join(data)


def _parse_all(texts: list[str | None]) -> list[Any]:
    """Each event's data parsed as JSON (_NOT_JSON where it is not JSON or there is no data).

    One json.loads over a JSON array of every event's data is several times faster than one call per
    event. It is taken only when each data is one object on its own (it starts with "{" and ends with
    "}", so no object can span two events) and the array has one element per event; otherwise, and
    when any data is not JSON, each event is parsed alone."""
    if (
        texts
        and None not in texts
        and _objects_alone(strings := cast("list[str]", texts))
        and _shallow(strings)
    ):
        try:
            together = json.loads("[" + ",".join(strings) + "]")
        except ValueError:
            pass
        else:
            if len(together) == len(texts) and all(map(isinstance, together, repeat(dict))):
                return list(together)
    return [_NOT_JSON if t is None else _parse_one(t) for t in texts]


def _objects_alone(texts: list[str]) -> bool:
    """Each text starts with "{" and ends with "}", whitespace aside."""
    if all(map(str.startswith, texts, repeat("{"))) and all(map(str.endswith, texts, repeat("}"))):
        return True  # as the API sends them: checked in C, no Python step per event
    return all(t.lstrip().startswith("{") and t.rstrip().endswith("}") for t in texts)


def _shallow(texts: list[str]) -> bool:
    """No event can nest deeper than the JSON depth limit: none has more opening brackets (counted
    in C, no Python step per event). Else each is parsed alone, through the depth guard."""
    openers = map(add, map(str.count, texts, repeat("{")), map(str.count, texts, repeat("[")))
    return bool(max(openers) < limits.current().json_depth)


def _parse_one(text: str) -> Any:
    try:
        return limits.loads_json(text)  # trailing padding is JSON whitespace
    except ValueError:  # not JSON, or nested past the limit (LimitExceeded)
        return _NOT_JSON


def order_problem(events: list[Event]) -> str | None:
    """The first place where the events leave the documented order, or None.

    message_start; per content block: content_block_start, its deltas, content_block_stop; one or
    more message_delta; message_stop. ping and unknown types may come anywhere; an `error` event
    may end the stream early, and then no ordered event may follow it.
    """
    return stream_problems(events)[0]


def event_problems(events: list[Event]) -> list[str]:
    """Every event whose data does not fit it: not JSON, a type other than its name, a missing
    block index, a delta type that does not belong in its block's type."""
    return stream_problems(events)[1]


def stream_problems(events: list[Event]) -> tuple[str | None, list[str]]:
    """`order_problem` and `event_problems` in one pass over the events.

    Nearly every event of a stream is a text or JSON delta to the open block: those take a fast path
    that does only the look-ups that prove them sound, and every other event (or a delta that is not
    plainly sound) takes the full rules."""
    order = _Order()
    problems: list[str] = []
    blocks: dict[int, str] = {}  # block index -> content block type
    # A delta to this block index, of a type that fits its block, is sound on both counts; None while
    # no block is open, or once an error event or a break in the order makes every event count.
    fast_index: int | None = None
    fast_block: str | None = None
    for event in events:
        _, name, text, data = event
        if (
            name == "content_block_delta"
            and data.__class__ is dict
            and data.get("type") == "content_block_delta"
            and (index := data.get("index")).__class__ is int
            and index == fast_index
            and (delta := data.get("delta")).__class__ is dict
            and (delta.get("type"), fast_block) in _FITS
            and text is not None
        ):
            continue
        problem = _event_problem(event, blocks)
        if problem is not None:
            problems.append(problem)
        if order.problem is None:
            order.step(event)
            fast_index = order.open_block if order.problem is None and order.error is None else None
            fast_block = None if fast_index is None else blocks.get(fast_index)
    return order.end(events), problems


class _Order:
    """Where a stream stands in the documented order, one event at a time; `problem` is the first
    break (events after it are not looked at)."""

    __slots__ = (
        "error",
        "message_delta",
        "message_start",
        "message_stop",
        "open_block",
        "problem",
        "started",
        "stopped",
    )

    def __init__(self) -> None:
        self.message_start: int | None = None
        self.message_delta: int | None = None
        self.message_stop: int | None = None
        self.error: int | None = None
        self.started: dict[int, int] = {}  # block index -> position of its content_block_start
        self.stopped: dict[int, int] = {}  # block index -> position of its content_block_stop
        self.open_block: int | None = None
        self.problem: str | None = None

    def step(self, event: Event) -> None:
        kind, at = event.type, event.position
        if kind == "error":
            self.error = self.error or at
            return
        if kind not in _ORDERED:
            return
        index = event.block_index
        if kind in _BLOCK_EVENTS and index is None:
            # stream-event reports the missing index; a delta or stop goes with the open block.
            if kind == "content_block_start" or self.open_block is None:
                return
            index = self.open_block
        self.problem = self._problem(kind, at, index)

    def _problem(self, kind: str, at: int, index: int | None) -> str | None:
        what = f"event {at} is {kind}" + (f" for index {index}" if kind in _BLOCK_EVENTS else "")
        if self.error is not None:
            return f"{what}, but an error event (event {self.error}) ended the stream; nothing may follow it"
        if self.message_stop is not None:
            return f"{what}, but message_stop (event {self.message_stop}) must be the last event"
        if self.message_start is None and kind != "message_start":
            return f"{what}, but no message_start came before it; a stream opens with message_start"
        if kind == "message_start":
            if self.message_start is not None:
                return f"event {at} is a second message_start (the first is event {self.message_start})"
            self.message_start = at
        elif kind in _BLOCK_EVENTS and index is not None:
            if self.message_delta is not None:
                return (
                    f"{what}, but message_delta (event {self.message_delta}) came before it; "
                    "content blocks come before message_delta"
                )
            started, stopped = self.started, self.stopped
            if kind == "content_block_start":
                if index in started:
                    return f"{what}, but index {index} was already started (event {started[index]})"
                if self.open_block is not None:
                    return (
                        f"{what}, but content block {self.open_block} (event {started[self.open_block]}) "
                        "has no content_block_stop yet"
                    )
                started[index] = at
                self.open_block = index
            elif index not in started:
                return f"{what}, but no content_block_start for index {index} came before it"
            elif index in stopped:
                return f"{what}, but content_block_stop for index {index} (event {stopped[index]}) came before it"
            elif kind == "content_block_stop":
                stopped[index] = at
                self.open_block = None
        elif kind == "message_delta":
            if self.open_block is not None:
                return (
                    f"event {at} is message_delta, but content block {self.open_block} "
                    f"(event {self.started[self.open_block]}) has no content_block_stop yet"
                )
            self.message_delta = self.message_delta or at
        elif self.message_delta is None:  # message_stop
            return f"event {at} is message_stop, but no message_delta came before it"
        else:
            self.message_stop = at
        return None

    def end(self, events: list[Event]) -> str | None:
        """The first break, or what the stream lacks once it is over."""
        if self.problem is not None or self.message_stop is not None or self.error is not None:
            return self.problem
        if not events:
            return "the stream has no events; expected message_start first and message_stop last"
        last = events[-1]
        return f"the stream ends after event {last.position} ({last.type or 'unnamed'}) without message_stop"


def _event_problem(event: Event, blocks: dict[int, str]) -> str | None:
    """What is wrong with one event's data, or None; records the type of each block started."""
    at, name, data = event.position, event.name, event.json
    label = f"event {at} ({name})" if name else f"event {at}"
    if event.data is None:
        return f"{label} has no `data:` line"
    if not isinstance(data, dict):
        from .excerpts import excerpt

        return f"{label} carries data that is not a JSON object: {excerpt(event.data)}"
    kind = data.get("type")
    if not isinstance(kind, str):
        return f"{label} carries JSON with no string `type`"
    if name is not None and kind != name:
        return (
            f"event {at} is named {name}, but its data has type {kind!r}; the type must equal the event name"
        )
    if kind not in _BLOCK_EVENTS:
        return None
    index = event.block_index
    if index is None:
        return f"event {at} ({kind}) has no integer `index`"
    if kind == "content_block_start":
        block = data.get("content_block")
        block_type = block.get("type") if isinstance(block, dict) else None
        blocks[index] = block_type if isinstance(block_type, str) else ""
        return None
    if kind == "content_block_delta":
        return _delta_problem(at, index, data.get("delta"), blocks.get(index))
    return None


def _delta_problem(at: int, index: int, delta: Any, block_type: str | None) -> str | None:
    delta_type = delta.get("type") if isinstance(delta, dict) else None
    if not isinstance(delta_type, str):
        return f"event {at} (content_block_delta for index {index}) has no `delta` with a string `type`"
    allowed = _DELTA_BLOCKS.get(delta_type)
    if allowed is None or block_type not in _KNOWN_BLOCKS or block_type in allowed:
        return None
    fits = " or ".join(allowed)
    return (
        f"event {at} is content_block_delta ({delta_type}) for index {index}, but content block {index} "
        f"is a {block_type} block; {delta_type} belongs in a {fits} block"
    )
