"""Property test of the Scrubber: wherever a credential stands in an interaction, in whatever header
name casing, `dump_cassette` writes no trace of it, and token-count fields are left alone."""

from __future__ import annotations

import json
import string
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_claude_contract.cassette.formats import dump_cassette
from pytest_claude_contract.cassette.model import Interaction
from pytest_claude_contract.cassette.scrub import REDACTED, Scrubber
from pytest_claude_contract.contract.exchange import CapturedRequest

KEY_CHARS = string.ascii_letters + string.digits + "_-"
# Built at run time: no file holds a key-shaped literal.
PREFIX = "sk-" + "ant-"


@st.composite
def credentials(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["api03", "admin01", "oat01"]))
    return f"{PREFIX}{kind}-" + draw(st.text(KEY_CHARS, min_size=12, max_size=60))


@st.composite
def casings(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(name, flips, strict=True))


@st.composite
def nested(draw: st.DrawFn, leaf: Any) -> Any:
    """`leaf` at a random depth (0 to 6) of objects and arrays, with innocent siblings."""
    value = leaf
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            name = draw(st.sampled_from(["content", "text", "metadata", "input", "api_key", "token", "x"]))
            value = {name: value, "n": draw(st.integers(0, 9))}
        else:
            value = [draw(st.integers(0, 9)), value][:: draw(st.sampled_from([1, -1]))]
    return value


PLACES = ("request header", "response header", "query", "request json", "response json", "sse")
TOKEN_COUNTS = ("max_tokens", "input_tokens", "output_tokens", "cache_read_input_tokens")


@settings(max_examples=300, deadline=None, database=None)
@given(
    key=credentials(),
    places=st.sets(st.sampled_from(PLACES), min_size=1),
    header=st.sampled_from(
        ["x-api-key", "authorization", "api-key", "proxy-authorization", "x-other"]
    ).flatmap(casings),
    scheme=st.sampled_from(["", "Bearer ", "bearer ", "BEARER "]),
    wrap=st.sampled_from(["{}", "my key is {} ok", "{}\n", "key={}&x=1", '"{}"']),
    depth_data=st.data(),
    counts=st.fixed_dictionaries({name: st.integers(0, 10**9) for name in TOKEN_COUNTS}),
    known=st.booleans(),
)
def test_no_trace_of_the_key_is_written(
    *,
    key: str,
    places: set[str],
    header: str,
    scheme: str,
    wrap: str,
    depth_data: st.DataObject,
    counts: dict[str, int],
    known: bool,
) -> None:
    text = wrap.format(key)
    request_headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    response_headers: dict[str, list[str]] = {
        "Content-Type": ["application/json"],
        "anthropic-ratelimit-input-tokens-remaining": [str(counts["input_tokens"])],
    }
    if "request header" in places:
        request_headers[header] = scheme + key
    if "response header" in places:
        response_headers[header] = [scheme + key]
    url = "https://api.anthropic.com/v1/messages"
    if "query" in places:
        url += f"?beta=true&api_key={key}"
    request_body: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "max_tokens": counts["max_tokens"],
        "messages": [{"role": "user", "content": "hi"}],
    }
    if "request json" in places:
        request_body["metadata"] = depth_data.draw(nested(text))
    usage = {name: counts[name] for name in TOKEN_COUNTS if name != "max_tokens"}
    response_body: Any = {"type": "message", "usage": usage}
    if "response json" in places:
        response_body["content"] = depth_data.draw(nested(text))
    body = json.dumps(response_body).encode()
    if "sse" in places:
        response_headers["Content-Type"] = ["text/event-stream"]
        delta = json.dumps({"type": "content_block_delta", "index": 0, "delta": {"text": text}})
        start = json.dumps({"type": "message_start", "message": response_body})
        body = (
            f"event: message_start\ndata: {start}\n\nevent: content_block_delta\ndata: {delta}\n\n".encode()
        )
    request = CapturedRequest("POST", url, request_headers, json.dumps(request_body).encode())
    interaction = Interaction(
        request,
        {"status": {"code": 200, "message": "OK"}, "headers": response_headers, "body": {"string": body}},
    )

    written = dump_cassette([interaction], Scrubber([key] if known else []))

    assert key not in written
    assert key[len(PREFIX) :] not in written
    assert REDACTED in written
    (data,) = yaml.safe_load(written)["interactions"]
    assert json.loads(data["request"]["body"])["max_tokens"] == counts["max_tokens"]
    headers = data["response"]["headers"]
    assert headers["anthropic-ratelimit-input-tokens-remaining"] == [str(counts["input_tokens"])]
    written_body = data["response"]["body"]["string"]
    if "sse" in places:
        start_line = written_body.split("\n")[1]
        written_usage = json.loads(start_line.removeprefix("data: "))["message"]["usage"]
    else:
        written_usage = json.loads(written_body)["usage"]
    assert written_usage == usage
