"""stream-order, stream-event, ratelimit-headers and beta-header end to end: real pytest sessions
(pytester) whose tests stream from `FakeClaudeAPI` on 127.0.0.1 with the anthropic SDK and httpx.

A sound stream passes; each stream fault of the stand-in (`misbehave`) fails the test with its rule,
the event it is about and the fix; a 429 without `retry-after` fails ratelimit-headers; a malformed
`anthropic-beta` fails beta-header.
"""

from __future__ import annotations

import glob
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_claude_contract.contract.rules import RULES_BY_ID

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

# pytester restores sys.modules after each in-process run: keep the clients loaded across runs.
for _module in ("anthropic", "httpx", "pytest_claude_contract.capture.core"):
    importlib.import_module(_module)

STREAMING_MODULE = '''
"""Streams from the stand-in: with the anthropic SDK's stream helper, and with raw httpx."""
import json
import os

import anthropic
import httpx

URL = os.environ["FAKE_API_URL"]
KEY = os.environ["ANTHROPIC_API_KEY"]
MODEL = "claude-sonnet-4-6"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"}


def sdk():
    return anthropic.Anthropic(max_retries=0)


def sdk_stream(text="Hi there", **options):
    """The text the SDK's stream helper assembles (the client closed, so no socket is left to GC)."""
    messages = [{"role": "user", "content": text}]
    with sdk() as client:
        with client.messages.stream(model=MODEL, max_tokens=16, messages=messages, **options) as stream:
            return "".join(stream.text_stream)


def httpx_stream(text="Hi there", **headers):
    """The raw event-stream lines httpx reads from a `stream: true` request."""
    body = {"model": MODEL, "max_tokens": 16, "stream": True, "messages": [{"role": "user", "content": text}]}
    with httpx.stream("POST", URL + "/v1/messages", headers={**HEADERS, **headers}, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        return [line for line in response.iter_lines() if line]
'''


def lit(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself."""
    return glob.escape(text)


@pytest.fixture
def run(suite: pytest.Pytester, api_key: str) -> pytest.Pytester:
    suite.makepyfile(claude_streams=STREAMING_MODULE)
    return suite


def test_sound_streams_pass(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """The stand-in's streams, read by the SDK's stream helper and by httpx, break no rule; the
    exchanges the plugin checked are event streams."""
    run.makepyfile(
        test_streams="""
        import pytest
        from claude_streams import httpx_stream, sdk_stream

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_sdk(claude_contract):
            assert sdk_stream() == "Echo: Hi there"
            (exchange,) = claude_contract.exchanges
            assert exchange.response.headers["content-type"] == "text/event-stream"
            assert exchange.response.body.startswith(b"event: message_start")
            assert claude_contract.violations == []

        def test_httpx(claude_contract):
            lines = httpx_stream(**{"anthropic-beta": "files-api-2025-04-14, pdfs-2024-09-25"})
            assert lines[0] == "event: message_start"
            assert lines[-1] == 'data: {"type":"message_stop"}'
            assert claude_contract.violations == []
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["exchanges checked: 2 (0 replayed, 2 live)", "violations: 0"])


@dataclass(frozen=True)
class StreamCase:
    fault: str  # FakeClaudeAPI.misbehave
    rule: str
    message: str


# The stand-in streams "Echo: Hi there" as: message_start, content_block_start, ping, three
# text deltas (events 4-6), content_block_stop, message_delta, message_stop.
STREAM_CASES = (
    StreamCase(
        "stream-out-of-order", "stream-order", "event 8 is message_stop, but no message_delta came before it"
    ),
    StreamCase(
        "stream-bad-delta",
        "stream-event",
        "event 4 is content_block_delta (thinking_delta) for index 0, but content block 0 is a text block; "
        "thinking_delta belongs in a thinking block",
    ),
    StreamCase(
        "stream-type-mismatch",
        "stream-event",
        "event 3 is named ping, but its data has type 'pong'; the type must equal the event name",
    ),
)


@pytest.mark.parametrize("case", STREAM_CASES, ids=[c.fault for c in STREAM_CASES])
@pytest.mark.parametrize("client", ["sdk_stream", "httpx_stream"])
def test_stream_fault_fails_with_its_rule(
    run: pytest.Pytester, api: FakeClaudeAPI, case: StreamCase, client: str
) -> None:
    """Each stream fault fails the test (the client itself reads the stream without complaint) with the
    rule, the event's position and the fix; without the fault the same test passes."""
    run.makepyfile(
        test_fault=f"""
        import pytest
        from claude_streams import {client}

        @pytest.mark.claude_contract(cassette=False)
        def test_stream():
            assert {client}()
        """
    )
    api.misbehave.add(case.fault)
    result = run.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            f"  {lit(f'[{case.rule}] {case.message}')}",
            f"    fix: {lit(RULES_BY_ID[case.rule].hint)}",
        ],
        consecutive=True,
    )
    api.misbehave.clear()
    run.runpytest().assert_outcomes(passed=1)


def test_stream_faults_replayed_from_a_cassette_fail_too(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """An out-of-order stream recorded (in warn mode) is judged again on replay, with the stand-in
    stopped: the stream is checked from the cassette's bytes."""
    run.makepyfile(
        test_replay="""
        import pytest
        from claude_streams import sdk_stream

        @pytest.mark.claude_contract
        def test_stream():
            assert sdk_stream() == "Echo: Hi there"
        """
    )
    api.misbehave.add("stream-out-of-order")
    # Recorded in warn mode: a failing test's cassette is not written.
    recorded = run.runpytest("--claude-record-mode=once", "--claude-contract=warn")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  stream-order: 1"])
    api.stop()
    replayed = run.runpytest("--claude-record-mode=none")
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(
        [
            "POST */v1/messages -> 200 (replayed), exchange 1",
            lit("  [stream-order] event 8 is message_stop, but no message_delta came before it"),
        ]
    )


def test_429_without_retry_after_fails_ratelimit_headers(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """The SDK's RateLimitError path against a 429 that has no `retry-after`: ratelimit-headers. The
    stand-in's usual 429 (with `retry-after: 1` and rate-limit headers) passes."""
    run.makepyfile(
        test_limited="""
        import anthropic
        import pytest
        from claude_streams import MODEL, sdk

        @pytest.mark.claude_contract(cassette=False)
        def test_rate_limited(claude_contract):
            with sdk() as client, pytest.raises(anthropic.RateLimitError):
                client.messages.create(
                    model="trigger-429", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
                )
            headers = claude_contract.exchanges[0].response.headers
            assert headers["anthropic-ratelimit-requests-limit"] == "50"
        """
    )
    api.misbehave.add("no-retry-after")
    result = run.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"POST {api.url}/v1/messages -> 429 (live), exchange 1",
            lit(
                "  [ratelimit-headers] the 429 response has no `retry-after` header; "
                "clients read it to know when to retry"
            ),
            f"    fix: {lit(RULES_BY_ID['ratelimit-headers'].hint)}",
        ],
        consecutive=True,
    )
    api.misbehave.clear()
    quiet = run.runpytest()
    quiet.assert_outcomes(passed=1)
    quiet.stdout.fnmatch_lines(["violations: 0"])


def test_malformed_beta_header_fails_beta_header(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """Beta names joined with ";" (the SDK's `betas=[...]` joins with ",") fail beta-header; the SDK's
    own header passes."""
    run.makepyfile(
        test_betas="""
        import pytest
        from claude_streams import MODEL, httpx_stream, sdk

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_semicolons():
            assert httpx_stream(**{"anthropic-beta": "prompt-caching-2024-07-31;pdfs-2024-09-25"})

        def test_sdk_betas(claude_contract):
            with sdk() as client:
                client.beta.messages.create(
                    model=MODEL,
                    max_tokens=16,
                    messages=[{"role": "user", "content": "Hi"}],
                    betas=["files-api-2025-04-14", "pdfs-2024-09-25"],
                )
            sent = claude_contract.exchanges[0].request.headers["anthropic-beta"]
            assert sent == "files-api-2025-04-14,pdfs-2024-09-25"
            assert claude_contract.violations == []
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_semicolons _*",
            "*",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            lit(
                "  [beta-header] `anthropic-beta: prompt-caching-2024-07-31;pdfs-2024-09-25` is not a beta "
                "name (lowercase letters, digits and hyphens, e.g. files-api-2025-04-14; several names are "
                "separated by commas)"
            ),
        ]
    )
