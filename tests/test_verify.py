"""Record mode `verify`, end to end: each request goes live and its answer is compared with the
recording the same request would replay, by `pytest-claude-contract diff`'s rules. Real pytest sessions
(pytester), real clients (the anthropic SDK, httpx through claude_contract_server), real sockets
against the loopback stand-in, real cassette files that verify must never write."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

# Imported before any pytester run (see test_record_replay.py): in-process runs restore sys.modules.
import anthropic  # noqa: F401
import httpx  # noqa: F401
import pytest
from test_record_replay import PRELUDE

if TYPE_CHECKING:
    from pathlib import Path

    from fake_api import FakeClaudeAPI

# Two plain messages and a stream; TEXTS steers the plain ones, MARKER the marker's arguments.
CHAT = (
    PRELUDE
    + """

pytestmark = pytest.mark.claude_contract(**json.loads(os.environ.get("MARKER", "{}")))


def test_chat():
    with anthropic.Anthropic(max_retries=0) as client:
        for text in os.environ["TEXTS"].split(","):
            assert client.messages.create(**message(text)).content[0].text == f"Echo: {text}"
        events = list(client.messages.create(**message("a stream"), stream=True))
    assert events[-1].type == "message_stop"
"""
)

# The same through the contract server, for a client the marker cannot patch (httpx to a local URL).
SERVER = (
    PRELUDE
    + """

pytestmark = pytest.mark.claude_contract(upstream=os.environ["FAKE_API_URL"])


def test_server(claude_contract_server):
    with httpx.Client(base_url=claude_contract_server.url) as client:
        reply = client.post("/v1/messages", headers=headers(), json=message("via the server"))
        assert reply.json()["content"][0]["text"] == "Echo: via the server"
        with client.stream("POST", "/v1/messages", headers=headers(), json=message("s", stream=True)) as r:
            assert r.read().decode().rstrip().endswith('{"type":"message_stop"}')
"""
)

VERIFIED = "verified against cassettes (record mode verify): {} interaction(s) unchanged, {} drifted"


def cassette_of(pytester: pytest.Pytester, module: str, test: str) -> Path:
    return pytester.path / "cassettes" / module / f"{test}.yaml"


def record(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, texts: str = "hi,there") -> Path:
    monkeypatch.setenv("TEXTS", texts)
    suite.makepyfile(test_verified=CHAT)
    suite.runpytest().assert_outcomes(passed=1)
    cassette = cassette_of(suite, "test_verified", "test_chat")
    assert cassette.is_file()
    return cassette


@pytest.mark.usefixtures("api_key")
@pytest.mark.parametrize("how", ["cli", "ini", "marker"])
def test_verify_passes_when_only_volatile_values_changed(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Every request goes live again (new message ids and request-ids; the cassette's token counts
    edited by hand too), the answers keep their shape: the test passes, the summary counts the
    verified interactions, and the cassette is left byte for byte as it was."""
    cassette = record(suite, monkeypatch)
    text = cassette.read_text()
    edited = re.sub(r'"(input|output)_tokens": \d+', r'"\1_tokens": 999', text)
    assert edited != text
    cassette.write_text(edited)
    before = cassette.read_bytes()
    args: list[str] = []
    if how == "cli":
        args = ["--claude-record-mode=verify"]
    elif how == "ini":
        suite.makeini("[pytest]\nclaude_record_mode = verify\n")
    else:
        monkeypatch.setenv("MARKER", '{"record_mode": "verify"}')

    result = suite.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 3 (0 replayed, 3 live)", VERIFIED.format(3, 0)])
    assert "differ" not in result.stdout.str()
    assert len(api.requests) == 6  # recorded 3, verified 3 live
    assert cassette.read_bytes() == before
    assert "msg_" in text


@pytest.mark.usefixtures("api_key")
def test_drift_in_the_answers_fails_the_test_with_each_difference(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in now answers with a new field (in the JSON and in the stream's message_start), a
    count typed as a string and a new header: the test fails naming the cassette, each interaction and
    each difference, and how to re-record; nothing is written. Under --claude-contract=warn the test
    passes and the summary lists the drift."""
    cassette = record(suite, monkeypatch)
    before = cassette.read_bytes()
    api.misbehave.update({"new-field", "bad-message-body", "new-header"})
    # The string count breaks response-schema too; accepted here, to read the drift report alone.
    monkeypatch.setenv("MARKER", '{"allow": ["response-schema"]}')

    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(failed=1)
    url = api.url
    result.stdout.fnmatch_lines(
        [
            "Claude contract: the live API's answers drifted from the cassette (record mode verify): "
            "3 interactions differ, 0 unchanged",
            f"  cassette: {cassette}",
            "",
            f"  interaction 1: POST {url}/v1/messages: 2 differences",
            "    + new header      header `anthropic-priority` = 'standard'",
            "    + new field       body: event message_start.message.usage.service_tier = 'standard'",
            "",
            f"  interaction 2: POST {url}/v1/messages: 3 differences",
            "    + new header      header `anthropic-priority` = 'standard'",
            "    ~ changed type    body: usage.output_tokens: int -> str",
            "    + new field       body: usage.service_tier = 'standard'",
            "",
            f"  interaction 3: POST {url}/v1/messages: 3 differences",
            "*",
            "Ignored as volatile: ids (msg_, req_, toolu_, ...)*",
            "If the API changed on purpose, record the cassette anew against the live API, with "
            "ANTHROPIC_API_KEY set:",
            "  pytest 'test_verified.py::test_chat' --claude-record-mode=rewrite",
        ]
    )
    result.stdout.fnmatch_lines([VERIFIED.format(0, 3) + " (failing tests)"])
    assert cassette.read_bytes() == before

    result = suite.runpytest("--claude-record-mode=verify", "--claude-contract=warn")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            VERIFIED.format(0, 3),
            "drift (not failing in this contract mode):",
            f"  test_verified.py::test_chat: {cassette} interaction 1: POST {url}/v1/messages: 2 differences",
            "      + new header      header `anthropic-priority` = 'standard'",
        ]
    )
    assert cassette.read_bytes() == before

    api.misbehave.clear()  # the API is back to what was recorded
    suite.runpytest("--claude-record-mode=verify").assert_outcomes(passed=1)


@pytest.mark.usefixtures("api_key")
def test_a_request_not_in_the_cassette_and_an_unsent_recording_are_drift(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request the cassette holds no recording of fails the test ("not in the cassette"); a recording
    no request played is reported when the test ends (an error at teardown in strict mode, a summary
    line in warn mode)."""
    cassette = record(suite, monkeypatch)
    url = api.url

    monkeypatch.setenv("TEXTS", "hi,changed")
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the live API's answers drifted from the cassette (record mode verify): 1 interaction "
            "differ, 2 unchanged",
            f"  POST {url}/v1/messages: not in the cassette (the cassette holds no recording of this "
            "request (method, path, query and body))",
        ]
    )

    result = suite.runpytest("--claude-record-mode=verify", "--claude-contract=warn")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            VERIFIED.format(2, 2),
            "drift (not failing in this contract mode):",
            f"  test_verified.py::test_chat: {cassette} POST {url}/v1/messages: not in the cassette *",
            f"  test_verified.py::test_chat: {cassette} interaction 3: POST {url}/v1/messages: not sent "
            "(recorded, but the test did not send this request)",
        ]
    )

    monkeypatch.setenv("TEXTS", "hi")  # sends less than was recorded
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_chat*",
            "*1 interaction differ, 2 unchanged",
            f"  interaction 3: POST {url}/v1/messages: not sent (recorded, but the test did not send this "
            "request)",
        ]
    )


@pytest.mark.usefixtures("api_key")
def test_verify_without_a_cassette_reports_every_request(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cassette: every request still goes live, each is drift ("the cassette does not exist"), and
    no file is created."""
    monkeypatch.setenv("TEXTS", "hi")
    suite.makepyfile(test_verified=CHAT)
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*2 interactions differ, 0 unchanged", "*: not in the cassette (the cassette does not exist)"]
    )
    assert len(api.requests) == 2
    assert not (suite.path / "cassettes").exists()


def test_verify_refuses_the_placeholder_key(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify talks to the live API: without ANTHROPIC_API_KEY the request that would carry the
    replay placeholder is stopped before it leaves, with the fix, for the marker's patches and for
    claude_contract_server alike."""
    monkeypatch.setenv("TEXTS", "hi")
    suite.makepyfile(test_verified=CHAT, test_served=SERVER)
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: POST {api.url}/v1/messages would go to the live API with the replay "
            "placeholder key, because ANTHROPIC_API_KEY is not set.",
            "*Set ANTHROPIC_API_KEY to verify it, or replay with --claude-record-mode=none.",
        ]
    )
    # Both: the SDK's request stopped inside the client, the server's answered 401 with the message.
    assert result.stdout.str().count("would go to the live API with the replay placeholder key") >= 2
    result.stdout.fnmatch_lines(["*- Captured claude contract server call -*"])
    assert api.requests == []


@pytest.mark.usefixtures("api_key")
def test_verify_through_the_contract_server(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """claude_contract_server in verify mode forwards every request to the upstream and compares the
    answers (JSON and stream) with the cassette: unchanged passes, a new field fails listing it; the
    cassette is never written."""
    suite.makepyfile(test_served=SERVER)
    suite.runpytest().assert_outcomes(passed=1)
    cassette = cassette_of(suite, "test_served", "test_server")
    before = cassette.read_bytes()

    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([VERIFIED.format(2, 0)])
    assert len(api.requests) == 4

    api.misbehave.add("new-field")
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*drifted from the cassette (record mode verify): 2 interactions differ, 0 unchanged",
            f"  cassette: {cassette}",
            "*interaction 1: POST http://127.0.0.1:*/v1/messages: 1 difference",
            "    + new field       body: event message_start.message.usage.service_tier = 'standard'",
            "*interaction 2: POST http://127.0.0.1:*/v1/messages: 1 difference",
            "    + new field       body: usage.service_tier = 'standard'",
            "  pytest 'test_served.py::test_server' --claude-record-mode=rewrite",
        ]
    )
    assert cassette.read_bytes() == before
