"""A support bot's tests: plain, streaming and async calls through the official anthropic SDK."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

MODEL = "claude-sonnet-4-6"
pytestmark = pytest.mark.claude_contract


@pytest.fixture(scope="module")
def client() -> anthropic.Anthropic:
    # Built once per module; in replay the plugin lends a placeholder key, so no key is needed.
    return anthropic.Anthropic(max_retries=0)


def ask(client: anthropic.Anthropic, question: str) -> str:
    message = client.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": question}]
    )
    block = message.content[0]
    assert block.type == "text"
    return block.text


def test_answers_a_question(client: anthropic.Anthropic) -> None:
    assert "reset my password" in ask(client, "How do I reset my password?")


def test_two_turns_replay_in_order(client: anthropic.Anthropic) -> None:
    # The same request twice replays its two recordings in order, never one twice.
    first = ask(client, "Say hello")
    second = ask(client, "Say hello")
    assert first == second == "Echo: Say hello"


def test_streams_a_reply(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Stream the status page"}]
    ) as stream:
        chunks = list(stream.text_stream)
    assert len(chunks) > 1
    assert "".join(chunks).endswith("status page")


def test_counts_tokens(client: anthropic.Anthropic) -> None:
    count = client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "How long is this prompt?"}]
    )
    assert count.input_tokens > 0


def test_async_client() -> None:
    async def run() -> str:
        async with anthropic.AsyncAnthropic(max_retries=0) as client:
            message = await client.messages.create(
                model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Async hello"}]
            )
        block = message.content[0]
        assert block.type == "text"
        return block.text

    assert asyncio.run(run()) == "Echo: Async hello"


def test_rate_limit_is_surfaced(client: anthropic.Anthropic) -> None:
    # Error responses replay too, and the contract checks their shape and status/type pairing.
    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(
            model="trigger-429", max_tokens=16, messages=[{"role": "user", "content": "Too fast"}]
        )
    assert raised.value.response.headers["retry-after"] == "1"
