"""The tested matrix of real Python clients (issue #5): each works with `@pytest.mark.claude_contract`.

Every client in CLIENTS is used the way a suite uses it: a real pytest session (pytester) whose test
sends a Messages request over a real socket to the loopback stand-in of the API (`api`). For each one:

- `test_records_then_replays_offline`: the request is checked and recorded to a cassette on disk,
  with the key replaced by the placeholder; then the stand-in is stopped and, with no key and CI=1,
  the same test replays from that file;
- `test_violation_fires_and_conformant_is_quiet`: the client sending a request that breaks the
  contract (a header left out, where the client allows it) fails with the rule's report, and the same
  client sending the conformant request passes.

The anthropic SDK rows hold for whichever SDK generation is installed (the tox environments sdk0, sdk1
and sdk2 pin each): the generation's HTTP library, credential header and `anthropic-version` are
asserted where they land, on the wire and in the cassette. A client whose library is not installed is
skipped with `pytest.importorskip`, and only then.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from helpers import go_offline, interactions

from pytest_claude_contract.cassette.scrub import REDACTED

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

# pytester restores sys.modules after each in-process run, so a module first imported inside one is
# imported anew (and, for a pytest plugin's package, assertion-rewritten anew) by the next. Load them
# once here: the clients (those installed: an environment may lack some, and each test skips on its
# own library below), and what hypothesis's pytest plugin imports in every session it is installed in.
CLIENT_LIBRARIES = ("anthropic", "httpx", "httpx2", "requests", "aiohttp", "urllib3")
for _name in (*CLIENT_LIBRARIES, "hypothesis.internal.observability"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)
importlib.import_module("pytest_claude_contract.capture.core")

MODEL = "claude-sonnet-4-6"


@dataclass(frozen=True)
class Wire:
    """What a client puts on the wire: its HTTP library, the header carrying the key, the version."""

    library: str
    auth: str  # "x-api-key" (the key itself) or "authorization" ("Bearer <key>")
    version: str

    def credential(self, key: str) -> str:
        return f"Bearer {key}" if self.auth == "authorization" else key


# What each generation of the official SDK sends (shared/CONTRACT.md, "What the official SDK sends").
SDK_GENERATIONS = {
    "0": Wire("httpx", "x-api-key", "2023-06-01"),
    "1": Wire("httpx2", "x-api-key", "2023-06-01"),
    "2": Wire("httpx2", "authorization", "2026-10-21"),
}


def installed_sdk() -> Wire:
    """The installed SDK's generation, from `anthropic.__version__`; an unknown one fails, loudly."""
    version: str = pytest.importorskip("anthropic").__version__
    wire = SDK_GENERATIONS.get(version.partition(".")[0])
    if wire is None:
        pytest.fail(
            f"anthropic {version}: a generation this matrix does not know (add it to SDK_GENERATIONS)"
        )
    return wire


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str


# The SDK sends credentials and a version on every request; a caller can leave a header out only with
# `anthropic.Omit()`, so the SDK rows leave out anthropic-version. Plain clients send what they are
# given, so their rows leave out the credentials.
VERSION_MISSING = Violation("version-missing", "no `anthropic-version` header is sent")
AUTH_MISSING = Violation("auth-missing", "no `x-api-key` or `Authorization: Bearer` header is sent")


@dataclass(frozen=True)
class Client:
    """One row of the matrix: `code` defines `ask(text, broken=False)`, which sends one Messages
    request with the client and returns the answer's text; `broken` leaves out what `violation` names."""

    id: str
    library: str  # the module `pytest.importorskip` needs
    code: str
    violation: Violation
    streams: bool = False
    wire: Wire | None = None  # None: whatever the installed SDK generation sends

    def expected_wire(self) -> Wire:
        return self.wire if self.wire is not None else installed_sdk()


# Shared by every inner module: the stand-in's URL, a Messages body, headers for plain clients.
PRELUDE = f"""
import asyncio
import importlib
import json
import os

import pytest

MODEL = {MODEL!r}
URL = os.environ["FAKE_API_URL"]


def message(text):
    return {{"model": MODEL, "max_tokens": 64, "messages": [{{"role": "user", "content": text}}]}}


def headers(broken=False):
    # In replay the plugin lends a placeholder ANTHROPIC_API_KEY; plain clients read it like SDKs do.
    sent = {{"anthropic-version": "2023-06-01", "content-type": "application/json"}}
    if not broken:
        sent["x-api-key"] = os.environ["ANTHROPIC_API_KEY"]
    return sent
"""

# Prepended to the SDK rows' code; SDK_LIBRARY is filled in with the installed generation's library.
SDK_PRELUDE = """
import anthropic

HTTP = importlib.import_module(SDK_LIBRARY)


def options(broken):
    return {"extra_headers": {"anthropic-version": anthropic.Omit()}} if broken else {}


def on_library(client):
    # The SDK's HTTP client (its private `_client`): proves which library carried the request.
    assert isinstance(client._client, (HTTP.Client, HTTP.AsyncClient)), type(client._client).__mro__
    return client
"""

SDK_SYNC = """
def ask(text, broken=False):
    with on_library(anthropic.Anthropic(max_retries=0)) as client:
        reply = client.messages.create(**message(text), **options(broken))
    assert reply.stop_reason == "end_turn"
    return reply.content[0].text
"""

SDK_ASYNC = """
def ask(text, broken=False):
    async def main():
        async with on_library(anthropic.AsyncAnthropic(max_retries=0)) as client:
            return await client.messages.create(**message(text), **options(broken))

    return asyncio.run(main()).content[0].text
"""

SDK_SYNC_CREATE_STREAM = """
def ask(text, broken=False):
    with on_library(anthropic.Anthropic(max_retries=0)) as client:
        events = list(client.messages.create(**message(text), stream=True, **options(broken)))
    assert (events[0].type, events[-1].type) == ("message_start", "message_stop")
    pieces = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert len(pieces) > 1
    return "".join(pieces)
"""

SDK_ASYNC_CREATE_STREAM = """
def ask(text, broken=False):
    async def main():
        async with on_library(anthropic.AsyncAnthropic(max_retries=0)) as client:
            stream = await client.messages.create(**message(text), stream=True, **options(broken))
            return [event async for event in stream]

    events = asyncio.run(main())
    assert (events[0].type, events[-1].type) == ("message_start", "message_stop")
    pieces = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert len(pieces) > 1
    return "".join(pieces)
"""

SDK_SYNC_STREAM_HELPER = """
def ask(text, broken=False):
    with on_library(anthropic.Anthropic(max_retries=0)) as client:
        with client.messages.stream(**message(text), **options(broken)) as stream:
            pieces = list(stream.text_stream)
            final = stream.get_final_message()
    assert len(pieces) > 1
    assert final.stop_reason == "end_turn"
    assert "".join(pieces) == final.content[0].text
    return final.content[0].text
"""

SDK_ASYNC_STREAM_HELPER = """
def ask(text, broken=False):
    async def main():
        async with on_library(anthropic.AsyncAnthropic(max_retries=0)) as client:
            async with client.messages.stream(**message(text), **options(broken)) as stream:
                return [piece async for piece in stream.text_stream], await stream.get_final_text()

    pieces, final = asyncio.run(main())
    assert len(pieces) > 1
    assert "".join(pieces) == final
    return final
"""

HTTPX_SYNC = """
import httpx


def ask(text, broken=False):
    with httpx.Client() as client:
        response = client.post(f"{URL}/v1/messages", headers=headers(broken), json=message(text))
    assert response.status_code == 200
    return response.json()["content"][0]["text"]
"""

HTTPX_ASYNC = """
import httpx


def ask(text, broken=False):
    async def main():
        async with httpx.AsyncClient() as client:
            return await client.post(f"{URL}/v1/messages", headers=headers(broken), json=message(text))

    response = asyncio.run(main())
    assert response.status_code == 200
    return response.json()["content"][0]["text"]
"""

HTTPX2_SYNC = HTTPX_SYNC.replace("httpx", "httpx2")
HTTPX2_ASYNC = HTTPX_ASYNC.replace("httpx", "httpx2")

REQUESTS = """
import requests


def ask(text, broken=False):
    response = requests.post(f"{URL}/v1/messages", headers=headers(broken), json=message(text), timeout=10)
    assert response.status_code == 200
    return response.json()["content"][0]["text"]
"""

AIOHTTP = """
import aiohttp


def ask(text, broken=False):
    # json= and no content-type header, as aiohttp is used: aiohttp sets it itself.
    sent = {k: v for k, v in headers(broken).items() if k != "content-type"}

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{URL}/v1/messages", headers=sent, json=message(text)) as response:
                return response.status, await response.json()

    status, body = asyncio.run(main())
    assert status == 200
    return body["content"][0]["text"]
"""

URLLIB3 = """
import urllib3


def ask(text, broken=False):
    body = json.dumps(message(text)).encode()
    with urllib3.PoolManager() as http:
        response = http.request("POST", f"{URL}/v1/messages", headers=headers(broken), body=body)
    assert response.status == 200
    return json.loads(response.data)["content"][0]["text"]
"""


def plain(library: str) -> Wire:
    """A plain HTTP client sends what the test gives it: `headers()` above."""
    return Wire(library, "x-api-key", "2023-06-01")


CLIENTS = (
    Client("sdk_sync", "anthropic", SDK_SYNC, VERSION_MISSING),
    Client("sdk_async", "anthropic", SDK_ASYNC, VERSION_MISSING),
    Client("sdk_sync_create_stream", "anthropic", SDK_SYNC_CREATE_STREAM, VERSION_MISSING, streams=True),
    Client("sdk_async_create_stream", "anthropic", SDK_ASYNC_CREATE_STREAM, VERSION_MISSING, streams=True),
    Client("sdk_sync_stream_helper", "anthropic", SDK_SYNC_STREAM_HELPER, VERSION_MISSING, streams=True),
    Client("sdk_async_stream_helper", "anthropic", SDK_ASYNC_STREAM_HELPER, VERSION_MISSING, streams=True),
    Client("httpx_sync", "httpx", HTTPX_SYNC, AUTH_MISSING, wire=plain("httpx")),
    Client("httpx_async", "httpx", HTTPX_ASYNC, AUTH_MISSING, wire=plain("httpx")),
    Client("httpx2_sync", "httpx2", HTTPX2_SYNC, AUTH_MISSING, wire=plain("httpx2")),
    Client("httpx2_async", "httpx2", HTTPX2_ASYNC, AUTH_MISSING, wire=plain("httpx2")),
    Client("requests", "requests", REQUESTS, AUTH_MISSING, wire=plain("requests")),
    Client("aiohttp", "aiohttp", AIOHTTP, AUTH_MISSING, wire=plain("aiohttp")),
    Client("urllib3", "urllib3", URLLIB3, AUTH_MISSING, wire=plain("urllib3")),
)


def client_module(client: Client, tests: str) -> str:
    """The inner test module: the prelude, the client's `ask`, then `tests`."""
    pytest.importorskip(client.library)
    code = PRELUDE
    if client.wire is None:
        code += f"SDK_LIBRARY = {client.expected_wire().library!r}\n" + SDK_PRELUDE
    return code + client.code + tests


def lit(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself."""
    return glob.escape(text)


def lower(headers: dict[str, Any]) -> dict[str, Any]:
    return {name.lower(): value for name, value in headers.items()}


# ---------------------------------------------------------------- record, then replay offline

RECORDED = """

@pytest.mark.claude_contract
def test_conformant():
    assert ask("hello from {id}") == "Echo: hello from {id}"
"""


@pytest.mark.parametrize("client", CLIENTS, ids=[c.id for c in CLIENTS])
def test_records_then_replays_offline(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    """The client records one checked exchange to cassettes/test_<client>/test_conformant.yaml: the
    real key went over the wire in the generation's header, the file holds that header with the
    placeholder and the generation's anthropic-version (and, for a stream, the events); then, the
    stand-in stopped, no key and CI=1, the test replays from the file, which stays as it was."""
    suite.makepyfile(**{f"test_{client.id}": client_module(client, RECORDED.format(id=client.id))})
    wire = client.expected_wire()

    recorded = suite.runpytest()
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*= claude contract =*",
            "exchanges checked: 1 (0 replayed, 1 live)",
            "violations: 0",
            "cassettes: 1 recorded, 0 replayed",
        ]
    )
    (sent,) = api.requests
    assert sent.headers[wire.auth] == wire.credential(api_key)
    other = {"x-api-key", "authorization"} - {wire.auth}
    assert not other & set(sent.headers), "a second credential header was sent"
    assert sent.headers["anthropic-version"] == wire.version

    cassette = suite.path / "cassettes" / f"test_{client.id}" / "test_conformant.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert api_key not in text
    assert "sk-ant-" not in text
    (interaction,) = interactions(cassette)
    request = lower(interaction["request"]["headers"])
    assert request[wire.auth] == [wire.credential(REDACTED)]
    assert not other & set(request)
    assert request["anthropic-version"] == [wire.version]
    if client.wire is None:  # the SDK names itself: the installed generation made this recording
        version = pytest.importorskip("anthropic").__version__
        assert request["user-agent"][0].endswith(f"Anthropic/Python {version}"), request["user-agent"]
    assert json.loads(interaction["request"]["body"])["messages"][0]["content"] == f"hello from {client.id}"
    response = interaction["response"]
    assert response["status"]["code"] == 200
    body = response["body"]["string"]
    if client.streams:
        assert lower(response["headers"])["content-type"] == ["text/event-stream"]
        assert "event: message_start" in body
        assert "event: message_stop" in body
    else:
        assert json.loads(body)["content"][0]["text"] == f"Echo: hello from {client.id}"
    before = cassette.read_bytes()

    go_offline(api, monkeypatch)
    replayed = suite.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(
        [
            "claude contract: checks=strict, record mode=none, *",
            "*= claude contract =*",
            "exchanges checked: 1 (1 replayed, 0 live)",
            "violations: 0",
            "cassettes: 0 recorded, 1 replayed",
        ]
    )
    assert len(api.requests) == 1  # nothing reached the (stopped) stand-in
    assert cassette.read_bytes() == before


# ---------------------------------------------------------------- a violation, and the same client quiet

BROKEN_AND_FIXED = """

pytestmark = pytest.mark.claude_contract(cassette=False)


def test_broken():
    assert ask("broken request", broken=True) == "Echo: broken request"


def test_fixed():
    assert ask("fixed request") == "Echo: fixed request"
"""


@pytest.mark.parametrize("client", CLIENTS, ids=[c.id for c in CLIENTS])
def test_violation_fires_and_conformant_is_quiet(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, client: Client
) -> None:
    """The client leaving out a header (the SDK: anthropic-version, through `anthropic.Omit()`; plain
    clients: the credentials) fails with the rule, its message and its place; the same client sending
    the conformant request passes. Both went over the wire (request rules judge, they do not block)."""
    suite.makepyfile(**{f"test_{client.id}": client_module(client, BROKEN_AND_FIXED)})
    wire = client.expected_wire()
    rule, message = client.violation.rule, client.violation.message

    result = suite.runpytest("-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_broken _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            f"  {lit(f'[{rule}] {message}')}",
            "    fix: *",
            "",
            lit(f'To accept a rule for a test: @pytest.mark.claude_contract(allow=["{rule}"]).'),
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "*= claude contract =*",
            "exchanges checked: 2 (0 replayed, 2 live)",
            "violations: 1 (failing tests)",
            f"  {rule}: 1",
            f"FAILED test_{client.id}.py::test_broken - *",
        ]
    )
    result.stdout.no_fnmatch_line("FAILED *test_fixed*")
    assert api_key not in result.stdout.str()

    broken, fixed = api.requests
    if rule == "version-missing":  # only the version was left out
        assert "anthropic-version" not in broken.headers
        assert broken.headers[wire.auth] == wire.credential(api_key)
    else:  # only the credentials were left out
        assert not {"x-api-key", "authorization"} & set(broken.headers)
        assert broken.headers["anthropic-version"] == wire.version
    assert fixed.headers[wire.auth] == wire.credential(api_key)
    assert fixed.headers["anthropic-version"] == wire.version
