"""What a session reuses to keep the per-test cost low, and that reuse never changes an answer.

- vcrpy's patches are entered once and stay on across consecutive tests that use the plugin; they
  come off before a test that does not (its requests reach the network untouched) and at the end.
- Parsed cassettes are pickled into the pytest cache, keyed by the file's content: a later session
  reads the pickle, an edited cassette is parsed again, a broken pickle is ignored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import anthropic  # noqa: F401  (imported once, before any in-process pytester run)
import httpx
from helpers import go_offline

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"

SUITE = f"""
import os

import anthropic
import httpx
import pytest

from pytest_claude_contract._recorder import PATCHES

ORIGINAL = httpx.HTTPTransport.handle_request
URL = os.environ["FAKE_API_URL"]


def ask(text):
    client = anthropic.Anthropic(base_url=URL, max_retries=0)
    reply = client.messages.create(
        model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": text}}]
    )
    return reply.content[0].text


ENTERED = []


@pytest.mark.claude_contract
def test_first():
    assert "one" in ask("one")
    assert PATCHES.active
    ENTERED.append(PATCHES.entered)  # a count for the process: earlier sessions may have added to it


@pytest.mark.claude_contract
def test_second():
    assert "two" in ask("two")
    print("entered again", PATCHES.entered - ENTERED[0])


def test_unmarked():
    # The patches are off: this request goes to the network, not to any cassette.
    assert not PATCHES.active
    assert httpx.HTTPTransport.handle_request is ORIGINAL
    print("live status", httpx.get(URL + "/v1/models").status_code)


@pytest.mark.claude_contract
def test_third():
    assert "three" in ask("three")
"""


def test_patches_stay_on_between_plugin_tests_and_off_for_others(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    suite.makepyfile(test_reuse=SUITE)
    result = suite.runpytest("-s", "--claude-record-mode=once")
    result.assert_outcomes(passed=4)
    # Entered for test_first and kept for test_second (not entered again); released before test_unmarked.
    result.stdout.fnmatch_lines(["*entered again 0*", "*live status 200*"])
    assert any(r.path == "/v1/models" for r in api.requests)
    # The session is over: nothing is left patched in this (the outer) process either.
    assert httpx.HTTPTransport.handle_request.__module__.startswith("httpx")


def test_unmarked_test_between_replays_reaches_the_network(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_reuse=SUITE)
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=4)
    before = len(api.requests)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("CI", "1")  # replay: record mode none
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*live status 200*"])
    # Only the unmarked test's request went out; the three Claude calls replayed.
    assert [r.path for r in api.requests[before:]] == ["/v1/models"]


def _reply(result: pytest.RunResult) -> str:
    found = re.search(r"reply: (.*)", result.stdout.str())
    assert found is not None, result.stdout.str()
    return found.group(1)


def _pickles(root: Path) -> list[Path]:
    return sorted((root / ".pytest_cache" / "d" / "claude_contract").glob("*.pickle"))


REPLAY = f"""
import os

import anthropic
import pytest

pytestmark = pytest.mark.claude_contract


def test_reply():
    client = anthropic.Anthropic(base_url=os.environ["FAKE_API_URL"], max_retries=0)
    reply = client.messages.create(
        model={MODEL!r}, max_tokens=32, messages=[{{"role": "user", "content": "cache me"}}]
    )
    print("reply:", reply.content[0].text)
"""


def test_parsed_cassettes_are_cached_by_content_between_sessions(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_cache=REPLAY)
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_cache" / "test_reply.yaml"
    assert cassette.is_file()
    go_offline(api, monkeypatch)

    # First replay parses the YAML and leaves a pickle; the second replays from the pickle.
    suite.runpytest("-s").assert_outcomes(passed=1)
    first = _pickles(suite.path)
    assert len(first) == 1
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert _pickles(suite.path) == first
    original_reply = _reply(result)

    # An edited cassette is parsed again: the answer is the edited one, never the cached one.
    text = cassette.read_text(encoding="utf-8")
    marker = "cache me"
    assert text.count(marker) >= 2, "the stand-in echoes the prompt in its answer"
    assert "Echo:" in text
    cassette.write_text(text.replace("Echo:", "Echoed:"), encoding="utf-8")
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    edited_reply = _reply(result)
    assert edited_reply != original_reply
    assert edited_reply == original_reply.replace("Echo:", "Echoed:")
    assert len(_pickles(suite.path)) == 2

    # A broken pickle is ignored (the YAML is parsed instead), never a crash.
    for pickled in _pickles(suite.path):
        pickled.write_bytes(b"not a pickle")
    result = suite.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert _reply(result) == edited_reply


def test_no_pickles_without_the_cache_provider(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_cache=REPLAY)
    suite.runpytest("--claude-record-mode=once", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    go_offline(api, monkeypatch)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert not (suite.path / ".pytest_cache").exists()


def test_lazily_parsed_values_survive_the_pickle_cache() -> None:
    """A pickled response whose JSON was never parsed parses it after unpickling (the "not parsed"
    marker must come back as itself, not as a copy that would pass for a parsed value)."""
    import pickle

    from pytest_claude_contract._exchange import CapturedResponse
    from pytest_claude_contract._stream import parse_events

    response = CapturedResponse(200, {"content-type": "application/json"}, b'{"type": "message"}')
    assert pickle.loads(pickle.dumps(response)).json == {"type": "message"}
    stream = CapturedResponse(200, {}, b"event: ping\ndata: not json\n\n")
    restored = pickle.loads(pickle.dumps(stream))
    assert restored.events == parse_events(stream.body)
    assert restored.events[0].data == "not json"
    assert not isinstance(restored.events[0].json, dict)
    assert restored.events[0].json is parse_events(b"data: x\n\n")[0].json
