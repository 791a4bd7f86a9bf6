"""Record and replay, end to end: real pytest sessions (pytester), real clients, real sockets, real files.

Every scenario records against the running stand-in (`api`), then stops it and replays the way CI
does: no ANTHROPIC_API_KEY, CI=1 (record mode none). What a test checks on disk it reads back from
the cassette file itself.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

# Imported here, before any pytester run: pytester's in-process runs restore sys.modules afterwards,
# and a second import of PyYAML's C extension would break the plugin's loader (and the anthropic SDK
# is slow to import: once per test session is enough).
import aiohttp  # noqa: F401
import anthropic  # noqa: F401
import httpx  # noqa: F401
import httpx2  # noqa: F401
import pytest
import requests  # noqa: F401
import urllib3  # noqa: F401
import vcr.serialize
from fake_api import FakeClaudeAPI
from helpers import go_offline, interactions
from vcr.serializers import yamlserializer

from pytest_claude_contract.cassette.scrub import REDACTED
from pytest_claude_contract.plugin.options import PLACEHOLDER_KEY

if TYPE_CHECKING:
    from pathlib import Path

MODEL = "claude-sonnet-4-6"

# Shared by the inner test modules: the stand-in's URL, a Messages body, headers for raw HTTP clients.
PRELUDE = f"""
import asyncio
import json
import os
from pathlib import Path

import aiohttp
import anthropic
import httpx
import httpx2
import pytest
import requests
import urllib3

MODEL = {MODEL!r}
URL = os.environ["FAKE_API_URL"]


def message(text, **extra):
    return {{"model": MODEL, "max_tokens": 64, "messages": [{{"role": "user", "content": text}}], **extra}}


def headers():
    # During replay the plugin lends a placeholder key: raw clients can read it like SDKs do.
    return {{
        "x-api-key": os.environ["ANTHROPIC_API_KEY"],
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }}
"""

# One conversation, steered by the outer test: TEXTS are the messages sent, in order; the ids of the
# answers land in got.json. FAIL=1 makes the test fail after its requests.
CHAT = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_chat():
    client = anthropic.Anthropic(max_retries=0)
    got = []
    for text in os.environ["TEXTS"].split(","):
        reply = client.messages.create(**message(text))
        assert reply.content[0].text == f"Echo: {text}"
        got.append([text, reply.id])
    Path("got.json").write_text(json.dumps(got))
    assert os.environ.get("FAIL") != "1", "failing on purpose"
"""
)

# The same Messages request from every client the plugin supports; each asserts the answer's text.
EVERY_CLIENT = (
    PRELUDE
    + """

pytestmark = pytest.mark.claude_contract


# Clients are closed: an unclosed one leaves a pooled socket for the garbage collector, whose
# ResourceWarning would land in whichever later test happens to trigger a collection.
def test_sdk_sync():
    with anthropic.Anthropic(max_retries=0) as client:
        reply = client.messages.create(**message("sync"))
    assert reply.content[0].text == "Echo: sync"


def test_sdk_async():
    async def main():
        async with anthropic.AsyncAnthropic(max_retries=0) as client:
            return await client.messages.create(**message("async"))

    assert asyncio.run(main()).content[0].text == "Echo: async"


def test_sdk_create_stream():
    with anthropic.Anthropic(max_retries=0) as client:
        events = list(client.messages.create(**message("raw stream of words"), stream=True))
    assert [e.type for e in events][:2] == ["message_start", "content_block_start"]
    assert events[-1].type == "message_stop"
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert text == "Echo: raw stream of words"


def test_sdk_stream_helper():
    with anthropic.Anthropic(max_retries=0) as client, client.messages.stream(
        **message("helper stream of words")
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == final.content[0].text == "Echo: helper stream of words"
    assert final.stop_reason == "end_turn"


def test_sdk_async_stream_helper():
    async def main():
        async with anthropic.AsyncAnthropic(max_retries=0) as client:
            async with client.messages.stream(**message("async stream of words")) as stream:
                pieces = [piece async for piece in stream.text_stream]
                return pieces, await stream.get_final_text()

    pieces, final = asyncio.run(main())
    assert len(pieces) > 1
    assert "".join(pieces) == final == "Echo: async stream of words"


def test_httpx_sync():
    with httpx.Client() as client:
        response = client.post(f"{URL}/v1/messages", headers=headers(), json=message("httpx"))
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "Echo: httpx"


def test_httpx_async():
    async def main():
        async with httpx.AsyncClient() as client:
            return await client.post(f"{URL}/v1/messages", headers=headers(), json=message("httpx async"))

    assert asyncio.run(main()).json()["content"][0]["text"] == "Echo: httpx async"


def test_httpx2_sync():
    with httpx2.Client() as client:
        response = client.post(f"{URL}/v1/messages", headers=headers(), json=message("httpx2"))
    assert response.json()["content"][0]["text"] == "Echo: httpx2"


def test_requests():
    response = requests.post(f"{URL}/v1/messages", headers=headers(), json=message("requests"), timeout=10)
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "Echo: requests"


def test_aiohttp():
    # json= without a content-type header: aiohttp adds it after vcrpy has seen the request.
    sent = {k: v for k, v in headers().items() if k != "content-type"}

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{URL}/v1/messages", headers=sent, json=message("aiohttp")) as response:
                return response.status, await response.json()

    status, body = asyncio.run(main())
    assert status == 200
    assert body["content"][0]["text"] == "Echo: aiohttp"


def test_urllib3():
    with urllib3.PoolManager() as http:
        body = json.dumps(message("urllib3")).encode()
        response = http.request("POST", f"{URL}/v1/messages", headers=headers(), body=body)
    assert response.status == 200
    assert json.loads(response.data)["content"][0]["text"] == "Echo: urllib3"
"""
)
CLIENT_TESTS = [
    "test_sdk_sync",
    "test_sdk_async",
    "test_sdk_create_stream",
    "test_sdk_stream_helper",
    "test_sdk_async_stream_helper",
    "test_httpx_sync",
    "test_httpx_async",
    "test_httpx2_sync",
    "test_requests",
    "test_aiohttp",
    "test_urllib3",
]


def answers(path: Path) -> list[list[str]]:
    """[message text, answer id] for each recorded Messages interaction, in file order."""
    out = []
    for interaction in interactions(path):
        sent = json.loads(interaction["request"]["body"])
        got = json.loads(interaction["response"]["body"]["string"])
        out.append([sent["messages"][0]["content"], got["id"]])
    return out


def got(pytester: pytest.Pytester) -> list[list[str]]:
    """[message text, answer id] for what the CHAT module received in its last run."""
    result: list[list[str]] = json.loads((pytester.path / "got.json").read_text())
    return result


def run_chat(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, texts: str, *args: str
) -> pytest.RunResult:
    monkeypatch.setenv("TEXTS", texts)
    (pytester.path / "got.json").unlink(missing_ok=True)
    """Run the CHAT module sending `texts` (comma-separated), with a fresh got.json."""
    return pytester.runpytest(*args)


# ---------------------------------------------------------------- record, then replay offline


def test_every_client_records_then_replays_offline(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each client (SDK sync/async, create(stream=True), stream helpers sync/async, httpx sync/async,
    httpx2, requests, aiohttp, urllib3) records a cassette per test at cassettes/<module path>/<test>.yaml, and the
    whole module replays with the stand-in stopped, no key and CI=1; the summary counts both runs."""
    suite.mkpydir("pkg")
    suite.makepyfile(**{"pkg/test_clients": EVERY_CLIENT})
    n = len(CLIENT_TESTS)

    recorded = suite.runpytest()
    recorded.assert_outcomes(passed=n)
    recorded.stdout.fnmatch_lines(
        [
            "*= claude contract =*",
            f"exchanges checked: {n} (0 replayed, {n} live)",
            "violations: 0",
            f"cassettes: {n} recorded, 0 replayed",
        ]
    )
    assert len(api.requests) == n
    folder = suite.path / "cassettes" / "pkg" / "test_clients"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.yaml" for name in CLIENT_TESTS)
    stream = (folder / "test_sdk_create_stream.yaml").read_text()
    assert "event: content_block_delta" in stream  # the SSE body itself, replayed byte for byte

    go_offline(api, monkeypatch)
    replayed = suite.runpytest()
    replayed.assert_outcomes(passed=n)
    replayed.stdout.fnmatch_lines(
        [
            "claude contract: checks=strict, record mode=none, *",
            "*= claude contract =*",
            f"exchanges checked: {n} ({n} replayed, 0 live)",
            f"cassettes: 0 recorded, {n} replayed",
        ]
    )
    assert len(api.requests) == n  # nothing new reached the (stopped) stand-in


def test_cassette_name_and_folder_options(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cassette="name"` names the file inside the module's folder, a class test is named
    Class.test, and the `claude_cassette_dir` ini option moves the whole tree; replay finds them there."""
    monkeypatch.setenv("TEXTS", "named")
    suite.makeini("[pytest]\nclaude_cassette_dir = recordings/claude\n")
    suite.makepyfile(
        test_names=CHAT
        + """

@pytest.mark.claude_contract(cassette="shared-story")
def test_named(claude_cassette):
    anthropic.Anthropic(max_retries=0).messages.create(**message("named"))
    assert claude_cassette.path.name == "shared-story.yaml"


class TestGroup:
    @pytest.mark.claude_contract
    def test_in_class(self):
        anthropic.Anthropic(max_retries=0).messages.create(**message("in class"))
"""
    )
    suite.runpytest().assert_outcomes(passed=3)
    folder = suite.path / "recordings" / "claude" / "test_names"
    assert sorted(p.name for p in folder.iterdir()) == [
        "TestGroup.test_in_class.yaml",
        "shared-story.yaml",
        "test_chat.yaml",
    ]
    assert not (suite.path / "cassettes").exists()

    go_offline(api, monkeypatch)
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["cassettes: 0 recorded, 3 replayed"])


# ---------------------------------------------------------------- matching


BODY_STYLES = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_raw_body():
    body = message(os.environ.get("TEXT", "hello"), metadata={"user_id": "u-1"})
    if os.environ.get("STYLE") == "pretty":  # same JSON value: other key order, other whitespace
        body = dict(reversed(list(body.items())))
        content = json.dumps(body, indent=4)
    else:
        content = json.dumps(body, separators=(",", ":"))
    response = httpx.post(f"{URL}/v1/messages", headers=headers(), content=content)
    assert response.status_code == 200
"""
)


def test_json_body_matches_by_value_not_by_text(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body that differs only in key order and whitespace replays the recording; one changed value
    is a miss naming the cassette, the request and the deepdiff of the nearest recorded request."""
    suite.makepyfile(test_body=BODY_STYLES)
    suite.runpytest().assert_outcomes(passed=1)
    go_offline(api, monkeypatch)

    monkeypatch.setenv("STYLE", "pretty")
    suite.runpytest().assert_outcomes(passed=1)

    monkeypatch.setenv("TEXT", "hullo")
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    cassette = suite.path / "cassettes" / "test_body" / "test_raw_body.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: no recorded answer for POST {api.url}/v1/messages",
            f"*  cassette: {cassette}",
            f"*  nearest recorded request: interaction 1, POST {api.url}/v1/messages",
            "*  what differs (recorded -> sent):",
        ]
    )
    assert """    Value of root['body']['messages'][0]['content'] changed from "hello" to "hullo".\n""" in (
        result.stdout.str()
    )


def test_identical_requests_replay_in_recorded_order_then_miss(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two identical requests replay their two recordings in order (two different answers); a third
    identical one is a miss saying every recording was already played, never a silent repeat."""
    suite.makepyfile(test_chat=CHAT)
    run_chat(suite, monkeypatch, "same,same").assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    recorded = answers(cassette)
    assert [text for text, _ in recorded] == ["same", "same"]
    assert recorded[0][1] != recorded[1][1]

    go_offline(api, monkeypatch)
    run_chat(suite, monkeypatch, "same,same").assert_outcomes(passed=1)
    assert got(suite) == recorded

    result = run_chat(suite, monkeypatch, "same,same,same")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*no recorded answer for POST {api.url}/v1/messages",
            "*the cassette holds this request 2 time(s), and every recording was already played*",
        ]
    )
    assert not (suite.path / "got.json").exists()


def test_query_string_is_part_of_the_match(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /v1/models?limit=5 replays for the same query (in any order of parameters) and is a miss,
    with the query in the diff, for another value."""
    suite.makepyfile(
        test_query=PRELUDE
        + """

@pytest.mark.claude_contract
def test_models():
    params = json.loads(os.environ.get("PARAMS", '{"limit": "5", "after_id": "m-1"}'))
    response = httpx.get(f"{URL}/v1/models", headers=headers(), params=params)
    assert response.json()["data"][0]["type"] == "model"
"""
    )
    suite.runpytest().assert_outcomes(passed=1)
    go_offline(api, monkeypatch)

    monkeypatch.setenv("PARAMS", '{"after_id": "m-1", "limit": "5"}')
    suite.runpytest().assert_outcomes(passed=1)

    monkeypatch.setenv("PARAMS", '{"after_id": "m-1", "limit": "6"}')
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*no recorded answer for GET {api.url}/v1/models?after_id=m-1&limit=6",
            f"*nearest recorded request: interaction 1, GET {api.url}/v1/models?limit=5&after_id=m-1",
        ]
    )
    assert """Value of root['query']['limit'] changed from "5" to "6".""" in result.stdout.str()


def test_a_miss_is_not_wrapped_or_retried_by_the_sdk(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK (sync and async, with retries on) does not turn a miss into APIConnectionError after
    retry delays: the failure is our message, at once."""
    suite.makepyfile(
        test_retries=PRELUDE
        + """

pytestmark = pytest.mark.claude_contract


def test_sync():
    anthropic.Anthropic(max_retries=4).messages.create(**message("never recorded"))


def test_async():
    async def main():
        async with anthropic.AsyncAnthropic(max_retries=4) as client:
            await client.messages.create(**message("never recorded"))

    asyncio.run(main())
"""
    )
    go_offline(api, monkeypatch)
    started = time.monotonic()
    result = suite.runpytest()
    elapsed = time.monotonic() - started
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_sync _*",
            f"Claude contract: no recorded answer for POST {api.url}/v1/messages",
            "*_ test_async _*",
            f"Claude contract: no recorded answer for POST {api.url}/v1/messages",
        ]
    )
    output = result.stdout.str()
    assert "APIConnectionError" not in output
    assert "Connection error" not in output
    # Four retries would wait at least 0.375 + 0.75 + 1.5 + 3 seconds per test, 11.25 s for both: a
    # bound that a loaded machine cannot reach without retries (this run takes about 1 s when idle).
    assert elapsed < 11.25, elapsed


# ---------------------------------------------------------------- record modes


def test_record_mode_none_never_records(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record mode none with no cassette: a miss saying the cassette does not exist and how to record,
    even with a key and the API reachable; nothing is sent, nothing written."""
    suite.makepyfile(test_chat=CHAT)
    result = run_chat(suite, monkeypatch, "hi", "--claude-record-mode=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the cassette does not exist (record mode 'none' does not record)",
            "*To record it: run once with --claude-record-mode=once and an ANTHROPIC_API_KEY*",
        ]
    )
    assert api.requests == []
    assert not (suite.path / "cassettes").exists()


def test_record_mode_once(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once records when the cassette is absent, replays (sending nothing) when present, and a new
    request with the cassette present is a miss that leaves the file as it was."""
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    run_chat(suite, monkeypatch, "one", "--claude-record-mode=once").assert_outcomes(passed=1)
    assert len(api.requests) == 1
    before = cassette.read_bytes()
    recorded = answers(cassette)

    run_chat(suite, monkeypatch, "one", "--claude-record-mode=once").assert_outcomes(passed=1)
    assert got(suite) == recorded
    assert len(api.requests) == 1

    result = run_chat(suite, monkeypatch, "one,two", "--claude-record-mode=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no recorded answer for POST*", "*--claude-record-mode=new_episodes adds*"])
    assert len(api.requests) == 1
    assert cassette.read_bytes() == before


def test_record_mode_new_episodes_adds_and_keeps(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """new_episodes replays what is recorded, records what is new, and the file keeps both (in
    write order: sorted by request, so "new" comes first)."""
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    run_chat(suite, monkeypatch, "old").assert_outcomes(passed=1)
    old = answers(cassette)

    result = run_chat(suite, monkeypatch, "old,new", "--claude-record-mode=new_episodes")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 2 (1 replayed, 1 live)"])
    assert len(api.requests) == 2
    both = answers(cassette)
    assert both[1] == old[0]
    assert both[0][0] == "new"
    assert got(suite) == [both[1], both[0]]

    go_offline(api, monkeypatch)
    run_chat(suite, monkeypatch, "old,new").assert_outcomes(passed=1)
    assert got(suite) == [both[1], both[0]]


def test_record_mode_all_rerecords_and_keeps_the_rest(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """all sends every request live and re-records it; interactions the run did not re-record stay."""
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    run_chat(suite, monkeypatch, "first,second").assert_outcomes(passed=1)
    first, second = answers(cassette)

    result = run_chat(suite, monkeypatch, "first", "--claude-record-mode=all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (0 replayed, 1 live)"])
    after = dict(answers(cassette))
    assert sorted(after) == ["first", "second"]
    assert after["second"] == second[1]  # loaded, not re-recorded: kept
    assert after["first"] != first[1]  # re-recorded: the new answer
    assert got(suite) == [["first", after["first"]]]


def test_record_mode_rewrite_keeps_only_the_new_run(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rewrite sends everything live and the file holds only what this run sent."""
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    run_chat(suite, monkeypatch, "first,second").assert_outcomes(passed=1)
    first, _ = answers(cassette)

    run_chat(suite, monkeypatch, "first", "--claude-record-mode=rewrite").assert_outcomes(passed=1)
    after = answers(cassette)
    assert len(after) == 1
    assert after[0][0] == "first"
    assert after[0][1] != first[1]
    assert len(api.requests) == 3


def test_default_record_mode_follows_ci(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CI set the default is none (a missing cassette is a miss, nothing sent); with CI unset or
    "false", once (it records)."""
    suite.makepyfile(test_chat=CHAT)
    run_chat(suite, monkeypatch, "hi", "--collect-only").stdout.fnmatch_lines(["*record mode=once*"])
    monkeypatch.setenv("CI", "true")
    result = run_chat(suite, monkeypatch, "hi")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*record mode 'none' does not record*"])
    assert api.requests == []

    monkeypatch.setenv("CI", "false")  # what some setups export on a developer's machine
    run_chat(suite, monkeypatch, "hi").assert_outcomes(passed=1)
    assert len(api.requests) == 1
    assert (suite.path / "cassettes" / "test_chat" / "test_chat.yaml").is_file()


# ---------------------------------------------------------------- secrets and keys


def test_recorded_cassette_holds_no_key(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key (sent as x-api-key, as a Bearer token, and as message text the stand-in echoes back)
    is replaced everywhere in the file; the credential headers stay, with the placeholder."""
    suite.makepyfile(
        test_secret=PRELUDE
        + """

@pytest.mark.claude_contract
def test_leaky():
    key = os.environ["ANTHROPIC_API_KEY"]
    reply = anthropic.Anthropic(max_retries=0).messages.create(**message(f"my key is {key}"))
    assert key in reply.content[0].text
    raw = httpx.post(f"{URL}/v1/messages", headers=headers(), json=message(key))
    assert raw.json()["content"][0]["text"] == f"Echo: {key}"
"""
    )
    suite.runpytest().assert_outcomes(passed=1)
    sent = [r.headers.get("authorization") or r.headers.get("x-api-key") for r in api.requests]
    assert sent == [f"Bearer {api_key}", api_key]  # the key did cross the wire

    cassette = suite.path / "cassettes" / "test_secret" / "test_leaky.yaml"
    text = cassette.read_text()
    assert api_key not in text
    assert "sk-ant-" not in text
    sdk, raw = interactions(cassette)
    assert sdk["request"]["headers"]["authorization"] == [f"Bearer {REDACTED}"]
    assert raw["request"]["headers"]["x-api-key"] == [REDACTED]
    for interaction in (sdk, raw):
        assert REDACTED in interaction["request"]["body"]
        assert REDACTED in interaction["response"]["body"]["string"]
    assert json.loads(raw["response"]["body"]["string"])["content"][0]["text"] == f"Echo: {REDACTED}"


def test_replay_needs_no_key(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ANTHROPIC_API_KEY unset, `anthropic.Anthropic()` can be built and replays; the placeholder
    is lent for the session only."""
    suite.makepyfile(
        test_keyless=PRELUDE
        + f"PLACEHOLDER = {PLACEHOLDER_KEY!r}\n"
        + """

@pytest.mark.claude_contract
def test_plain_client():
    if os.environ.get("CI"):  # the replay run
        assert os.environ["ANTHROPIC_API_KEY"] == PLACEHOLDER
    client = anthropic.Anthropic()
    assert client.messages.create(**message("no key")).content[0].text == "Echo: no key"
"""
    )
    suite.runpytest().assert_outcomes(passed=1)
    go_offline(api, monkeypatch)
    suite.runpytest().assert_outcomes(passed=1)
    assert "ANTHROPIC_API_KEY" not in os.environ


def test_placeholder_key_never_goes_live(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record mode once, no cassette, no key: the request that would carry the placeholder to the API
    fails saying ANTHROPIC_API_KEY is not set, the stand-in receives nothing and no file is written."""
    suite.makepyfile(test_chat=CHAT)
    result = run_chat(suite, monkeypatch, "hi", "--claude-record-mode=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: POST {api.url}/v1/messages would go to the live API with the replay "
            "placeholder key, because ANTHROPIC_API_KEY is not set.",
        ]
    )
    assert "APIConnectionError" not in result.stdout.str()
    assert api.requests == []
    assert not (suite.path / "cassettes").exists()


# ---------------------------------------------------------------- what is (not) written


def test_failing_test_writes_no_cassette(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that fails after recording leaves no cassette, and the summary says so."""
    suite.makepyfile(test_chat=CHAT)
    monkeypatch.setenv("FAIL", "1")
    result = run_chat(suite, monkeypatch, "doomed")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failing on purpose*", "*not saved: *test_chat.yaml (the test failed*"])
    assert len(api.requests) == 1
    assert not (suite.path / "cassettes").exists()


# Not YAML: a key indented off its block (line 5), and a quote that never closes (opened on line 5).
MISINDENTED = """\
interactions:
- request:
    body: '{}'
    method: POST
   uri: http://127.0.0.1/v1/messages
  response:
    status: {code: 200}
"""
UNCLOSED = MISINDENTED.replace("   uri: http", '    uri: "http')


@pytest.mark.parametrize("mode", ["none", "once", "new_episodes"])
@pytest.mark.parametrize(
    "case",
    [
        (
            MISINDENTED,
            ":5: is not valid YAML: * (while parsing a block mapping that starts at line 2)",
        ),
        (
            UNCLOSED,
            ":8: is not valid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar that starts at line 5)",
        ),
    ],
    ids=["misindented", "unclosed-quote"],
)
@pytest.mark.usefixtures("api_key")
def test_invalid_yaml_fails_with_line_and_is_left_alone(
    suite: pytest.Pytester,
    api: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    case: tuple[str, str],
) -> None:
    """A cassette that is not YAML fails the test naming the file and the line (and where an unclosed
    construct starts), sends nothing even with a key, and the file is left byte for byte as it was, in
    every record mode that reads it."""
    content, expected = case
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(content)
    result = run_chat(suite, monkeypatch, "hi", f"--claude-record-mode={mode}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["Claude contract: cannot use the cassette", f"  {cassette}{expected}"])
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "direct cause" not in output
    assert cassette.read_text() == content
    assert api.requests == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- just\n- a list\n", ":1: is not a vcrpy cassette: expected a mapping with an `interactions` list"),
        (
            "version: 1\ninteractions:\n- request: {method: POST, uri: 'http://x/v1/messages'}\n",
            ":3: interaction 1 is not a vcrpy interaction ('response'); expected `request` with method, uri, *",
        ),
    ],
)
def test_wrong_structure_is_a_clear_message(
    suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch, content: str, expected: str
) -> None:
    """YAML with the wrong shape gives one clear message (file, line, what a cassette holds), not a
    traceback from inside the loader."""
    suite.makepyfile(test_chat=CHAT)
    cassette = suite.path / "cassettes" / "test_chat" / "test_chat.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(content)
    result = run_chat(suite, monkeypatch, "hi")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["Claude contract: cannot use the cassette", f"  {cassette}{expected}"])
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "KeyError" not in output
    assert "direct cause" not in output
    assert cassette.read_text() == content


# ---------------------------------------------------------------- readable files


def test_cassette_is_readable_and_plain_vcrpy(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON bodies are pretty-printed YAML blocks and SSE streams plain text; vcrpy's own serializer
    loads the file without error."""
    suite.makepyfile(
        test_readable=PRELUDE
        + """

@pytest.mark.claude_contract
def test_two():
    client = anthropic.Anthropic(max_retries=0)
    client.messages.create(**message("plain"))
    with client.messages.stream(**message("streamed")) as stream:
        stream.until_done()
"""
    )
    suite.runpytest().assert_outcomes(passed=1)
    text = (suite.path / "cassettes" / "test_readable" / "test_two.yaml").read_text()
    assert '      "max_tokens": 64,\n' in text  # one field a line, indented inside the YAML block
    assert '          "text": "Echo: plain"\n' in text
    assert "      event: message_start\n" in text

    requests_, responses = vcr.serialize.deserialize(text, yamlserializer)
    assert [r.path for r in requests_] == ["/v1/messages", "/v1/messages"]
    assert [r["status"]["code"] for r in responses] == [200, 200]


def test_gzip_responses_are_stored_decoded_and_replay(
    pytester: pytest.Pytester, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gzip-compressed answer is stored decoded (no content-encoding, a content-length that fits)
    and replays to the SDK and to requests."""
    with FakeClaudeAPI(gzip_responses=True) as api:
        monkeypatch.setenv("FAKE_API_URL", api.url)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        pytester.makeconftest(
            "import pytest\n\n@pytest.fixture(scope='module')\ndef claude_contract_config():\n"
            f"    return {{'hosts': [{api.host!r}]}}\n"
        )
        pytester.makepyfile(
            test_gzip=PRELUDE
            + """

pytestmark = pytest.mark.claude_contract


def test_sdk():
    assert anthropic.Anthropic(max_retries=0).messages.create(**message("zip")).content[0].text == "Echo: zip"


def test_requests():
    response = requests.post(f"{URL}/v1/messages", headers=headers(), json=message("zap"), timeout=10)
    assert response.json()["content"][0]["text"] == "Echo: zap"
"""
        )
        pytester.runpytest().assert_outcomes(passed=2)
        assert all("gzip" in r.headers.get("accept-encoding", "") for r in api.requests)
    for name in ("test_sdk", "test_requests"):
        (interaction,) = interactions(pytester.path / "cassettes" / "test_gzip" / f"{name}.yaml")
        response = interaction["response"]
        assert "content-encoding" not in {h.lower() for h in response["headers"]}
        body = response["body"]["string"]
        assert json.loads(body)["type"] == "message"
        assert response["headers"]["content-length"] == [str(len(body.encode()))]

    go_offline(api, monkeypatch)
    pytester.runpytest().assert_outcomes(passed=2)
