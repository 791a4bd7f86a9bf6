"""Streams pass through while recording: through the marker (httpx and httpx2, sync and async, the
SDK's `messages.stream()` and `create(stream=True)`, `iter_lines()` / `aiter_raw()`) and for
in-process clients of the loopback server, a live stream reaches the client event by event, and is
written to the cassette when it ends; a stream the client closes early is recorded as far as it got,
marked so, and replays the same way.

The proof: the stand-in holds each stream after its first delta until the client has seen that
delta (`FakeClaudeAPI.stream_gate`). A client that is handed the stream only once it has ended sees
the delta after the stand-in gave up waiting and finished the stream, and the inner test fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anthropic  # noqa: F401
import httpx  # noqa: F401
import httpx2  # noqa: F401
import pytest
from helpers import go_offline, interactions

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"hosts": [os.environ["FAKE_API_HOST"]], "upstream": os.environ["FAKE_API_URL"]}
"""

STREAMS = """
import asyncio
import os
import threading

import anthropic
import httpx
import httpx2
import pytest
from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"
URL = os.environ["FAKE_API_URL"]


def message(text, **extra):
    return {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}


def headers():
    return {
        "x-api-key": os.environ["ANTHROPIC_API_KEY"],
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }


class Gate:
    # While recording, the stand-in holds its stream after the first delta until seen() opens it;
    # replaying, the stand-in is stopped and there is nothing to hold.
    def __init__(self):
        self.api = FakeClaudeAPI.running.get(os.environ["FAKE_API_HOST"])
        self.finished_when_seen = None
        if self.api is not None:
            self.api.stream_gate = threading.Event()
            self.before = self.api.streams_finished

    def seen(self):
        if self.finished_when_seen is None and self.api is not None:
            self.finished_when_seen = self.api.streams_finished - self.before
            self.api.stream_gate.set()

    def check(self):
        if self.api is not None:
            assert self.finished_when_seen == 0, "the client saw the first delta only after the stream ended"


def streamed_lines(base_url, text):
    # httpx's iter_lines() over a stream, the gate opened at the first delta
    gate = Gate()
    lines = []
    with httpx.Client(base_url=base_url) as client:
        body = message(text, stream=True)
        with client.stream("POST", "/v1/messages", json=body, headers=headers()) as response:
            for line in response.iter_lines():
                if line == "event: content_block_delta":
                    gate.seen()
                lines.append(line)
    gate.check()
    assert [line for line in lines if line][-1] == 'data: {"type":"message_stop"}'


@pytest.mark.claude_contract
def test_sdk_stream(claude_contract):
    gate = Gate()
    with anthropic.Anthropic(max_retries=0) as client:
        with client.messages.stream(**message("sdk stream")) as stream:
            for event in stream:
                if event.type == "content_block_delta":
                    gate.seen()
            final = stream.get_final_message()
    gate.check()
    assert final.content[0].text == "Echo: sdk stream"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]


@pytest.mark.claude_contract
def test_sdk_stream_async(claude_contract):
    gate = Gate()

    async def run():
        async with anthropic.AsyncAnthropic(max_retries=0) as client:
            async with client.messages.stream(**message("async stream")) as stream:
                async for event in stream:
                    if event.type == "content_block_delta":
                        gate.seen()
                return await stream.get_final_message()

    final = asyncio.run(run())
    gate.check()
    assert final.content[0].text == "Echo: async stream"


@pytest.mark.claude_contract
def test_create_stream_true(claude_contract):
    gate = Gate()
    with anthropic.Anthropic(max_retries=0) as client:
        text = ""
        for event in client.messages.create(**message("create stream"), stream=True):
            if event.type == "content_block_delta":
                gate.seen()
                text += event.delta.text
    gate.check()
    assert text == "Echo: create stream"


@pytest.mark.claude_contract
def test_httpx_iter_lines(claude_contract):
    streamed_lines(URL, "httpx lines")


@pytest.mark.claude_contract
def test_httpx2_async_aiter_raw(claude_contract):
    gate = Gate()

    async def run():
        raw = b""
        async with httpx2.AsyncClient() as client:
            async with client.stream("POST", URL + "/v1/messages", json=message("httpx2 raw", stream=True), headers=headers()) as response:
                async for chunk in response.aiter_raw():
                    raw += chunk
                    if b"content_block_delta" in raw:
                        gate.seen()
        return raw

    raw = asyncio.run(run())
    gate.check()
    assert raw.rstrip().endswith(b'data: {"type":"message_stop"}')


@pytest.mark.claude_contract
def test_closed_early(claude_contract):
    gate = Gate()
    seen = []
    with anthropic.Anthropic(max_retries=0) as client:
        with client.messages.stream(**message("closed early")) as stream:
            for event in stream:
                seen.append(event.type)
                if event.type == "content_block_delta":
                    gate.seen()
                    break
    gate.check()
    assert seen[-1] == "content_block_delta"
    assert claude_contract.violations == []


@pytest.mark.claude_contract
def test_through_the_server_in_process(claude_contract_server, claude_contract):
    streamed_lines(claude_contract_server.url, "via the server")
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
"""

TESTS = 7


def test_streams_reach_the_client_while_recording_and_replay_the_same(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording: every client sees the first delta while the stand-in still holds the stream; the
    cassettes hold whole streams, and the one closed early its first events, marked. Replaying (the
    stand-in stopped): the same tests pass on the recordings."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_streams=STREAMS)
    monkeypatch.setenv("ORIGIN", "live")
    result = pytester.runpytest()
    result.assert_outcomes(passed=TESTS)
    result.stdout.fnmatch_lines([f"exchanges checked: {TESTS} (0 replayed, {TESTS} live)", "violations: 0"])

    folder = pytester.path / "cassettes" / "test_streams"
    whole = interactions(folder / "test_sdk_stream.yaml")[0]
    assert "closed_early" not in whole
    assert whole["response"]["body"]["string"].rstrip().endswith('data: {"type":"message_stop"}')
    (early,) = interactions(folder / "test_closed_early.yaml")
    assert early["closed_early"] is True
    events = [line for line in early["response"]["body"]["string"].splitlines() if line.startswith("event:")]
    assert events == [
        "event: message_start",
        "event: content_block_start",
        "event: ping",
        "event: content_block_delta",
    ]
    assert len(interactions(folder / "test_through_the_server_in_process.yaml")) == 1  # once, by the server

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = pytester.runpytest()
    result.assert_outcomes(passed=TESTS)
    result.stdout.fnmatch_lines([f"exchanges checked: {TESTS} ({TESTS} replayed, 0 live)", "violations: 0"])


def test_a_stream_left_open_is_kept_as_far_as_the_client_read_it(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """A test that reads part of a stream and never closes it: at the end of the test the recording
    is finished as far as the client read, marked closed early."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_open="""
import os
import httpx
import pytest

@pytest.mark.claude_contract
def test_left_open():
    client = httpx.Client()
    body = {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": True,
            "messages": [{"role": "user", "content": "left open"}]}
    request = client.build_request("POST", os.environ["FAKE_API_URL"] + "/v1/messages", json=body,
        headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"})
    response = client.send(request, stream=True)
    next(response.iter_lines())
    pytest.left_open = (client, response)  # neither closed nor collected before the test ends
"""
    )
    pytester.runpytest("-W", "ignore::ResourceWarning").assert_outcomes(passed=1)
    (interaction,) = interactions(pytester.path / "cassettes" / "test_open" / "test_left_open.yaml")
    assert interaction["closed_early"] is True
    assert interaction["response"]["body"]["string"].startswith("event: message_start")
    assert "message_stop" not in interaction["response"]["body"]["string"]
    del pytest.left_open  # type: ignore[attr-defined]
