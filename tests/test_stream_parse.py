"""The SSE parse's fast path (streams shaped as the API sends them) reads every stream exactly as the
line-by-line reading does, and is taken for the API's own shape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_claude_contract.contract.streams import _api_shaped, _parsed_line_by_line, parse_events

LINE = st.one_of(
    st.sampled_from(
        [
            "event: message_start",
            "event:  ping ",
            "event: ",
            "event:x",
            "events: x",
            "data: {}",
            "data:  x",
            "data:",
            "data: a:b",
            ": comment",
            "id: 1",
            "retry: 5",
            "",
            " ",
            "\r",
            "data: é",
        ]
    ),
    st.text(max_size=12).map(lambda t: t.replace("\n", "")),
)


def pairs(shaped: tuple[list[str | None], list[str | None]]) -> list[tuple[str | None, str | None]]:
    """The fast path's names and data as the line-by-line reading's (name, data) pairs."""
    names, datas = shaped
    return list(zip(names, datas, strict=True))


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE, max_size=12), st.sampled_from(["", "\n", "\n\n", "\r\n"]))
def test_the_fast_path_reads_what_line_by_line_reads(lines: list[str], end: str) -> None:
    text = "\n".join(lines) + end
    fast = _api_shaped(text)
    if fast is not None:
        assert pairs(fast) == _parsed_line_by_line(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), min_size=1, max_size=8))
def test_api_shaped_streams_take_the_fast_path(events: list[tuple[str, str]]) -> None:
    events = [
        (n.replace("\n", "").replace("\r", ""), d.replace("\n", "").replace("\r", "")) for n, d in events
    ]
    text = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in events)
    fast = _api_shaped(text)
    assert fast is not None
    assert pairs(fast) == _parsed_line_by_line(text)
    assert [(e.name, e.data) for e in parse_events(text.encode())] == pairs(fast)


def test_other_shapes_are_read_line_by_line() -> None:
    for text in (
        "event: a\ndata: 1\n",
        ": hi\nevent: a\ndata: 1\n\n",
        "data: 1\n\n",
        "event: a\r\ndata: 1\r\n\r\n",
    ):
        assert _api_shaped(text) is None
        assert parse_events(text.encode())
