"""The whole test's traffic is under its cassette: requests to other hosts are recorded and replayed
(never checked), record mode none refuses what the cassette cannot answer instead of reaching the
network, `allowed_hosts=` lets named hosts through live, and Claude-shaped traffic to an unlisted host
gets a warning. Also: a key in the URL matches its placeholder on replay."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import anthropic  # noqa: F401
import httpx  # noqa: F401
import pytest
import requests  # noqa: F401
from fake_api import FakeClaudeAPI
from helpers import go_offline, interactions

from pytest_claude_contract.cassette.scrub import REDACTED

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OTHER = """
import os
import httpx
import pytest
import requests

URL = os.environ["OTHER_URL"]


def fetch_httpx():
    return httpx.get(URL + "/image.png").status_code


def fetch_requests():
    return requests.get(URL + "/image.png").status_code


@pytest.mark.claude_contract
def test_fetches_elsewhere(claude_contract):
    # Not Claude traffic: no anthropic-version, no key, a path the contract does not list.
    assert fetch_httpx() == 404
    assert fetch_requests() == 404
    assert claude_contract.exchanges == []
"""


@pytest.fixture
def other(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaudeAPI]:
    """A second loopback server, not a Claude host of the inner tests."""
    with FakeClaudeAPI() as server:
        monkeypatch.setenv("OTHER_URL", server.url)
        yield server


def test_other_hosts_are_recorded_and_replayed_unchecked(
    suite: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx (the plugin's transport) and requests (vcrpy's patchers): recorded, then replayed with
    the other host stopped; never contract-checked, counted on their own summary line."""
    suite.makepyfile(test_other=OTHER)
    result = suite.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "exchanges checked: 0 (0 replayed, 0 live)",
            "other hosts: 2 exchange(s) recorded or replayed, not checked",
        ]
    )
    assert len(other.requests) == 2
    recorded = interactions(suite.path / "cassettes" / "test_other" / "test_fetches_elsewhere.yaml")
    assert [i["request"]["uri"] for i in recorded] == [f"{other.url}/image.png"] * 2

    other.stop()
    go_offline(api, monkeypatch)
    result = suite.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["other hosts: 2 exchange(s) recorded or replayed, not checked"])


def test_in_ci_an_unrecorded_request_to_any_host_fails_instead_of_reaching_the_network(
    suite: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record mode none and no cassette: the request to the other host is refused with the miss
    report, and the other host never sees it."""
    suite.makepyfile(test_other=OTHER)
    go_offline(api, monkeypatch)
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: no recorded answer for GET {other.url}/image.png",
            "*the cassette does not exist*",
        ]
    )
    assert other.requests == []


@pytest.mark.parametrize("how", ["marker", "option", "ini"])
def test_allowed_hosts_go_live_unrecorded(
    suite: pytest.Pytester,
    api: FakeClaudeAPI,
    other: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """allowed_hosts= (marker), --claude-allowed-hosts and the ini claude_allowed_hosts: the host is
    reached live in record mode none, and nothing is written."""
    source = OTHER
    args: list[str] = []
    if how == "marker":
        source = source.replace(
            "@pytest.mark.claude_contract", f"@pytest.mark.claude_contract(allowed_hosts=[{other.host!r}])"
        )
    elif how == "option":
        args = [f"--claude-allowed-hosts=example.invalid,{other.host}"]
    else:
        suite.makeini(f"[pytest]\nclaude_allowed_hosts =\n    example.invalid\n    {other.host}\n")
    suite.makepyfile(test_other=source)
    go_offline(api, monkeypatch)
    result = suite.runpytest(*args)
    result.assert_outcomes(passed=1)
    assert len(other.requests) == 2
    assert not (suite.path / "cassettes").exists()


@pytest.mark.parametrize(
    ("where", "value"),
    [("marker", "['https://x.example/path']"), ("option", "a.example,http://b.example/")],
)
def test_a_bad_allowed_hosts_value_is_a_usage_error(
    pytester: pytest.Pytester, where: str, value: str
) -> None:
    args: list[str] = []
    if where == "marker":
        pytester.makepyfile(
            f"import pytest\n\n@pytest.mark.claude_contract(allowed_hosts={value})\ndef test_it():\n    pass\n"
        )
        expected = "*allowed_hosts=*no scheme, no path*"
    else:
        pytester.makepyfile("def test_it():\n    pass\n")
        args = [f"--claude-allowed-hosts={value}"]
        expected = "*--claude-allowed-hosts=*no scheme, no path*"
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])


def test_claude_shaped_traffic_to_an_unlisted_host_is_recorded_with_a_warning(
    suite: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, api_key: str
) -> None:
    """A Messages request with anthropic-version to a host not in hosts=: recorded, not checked, and
    a warning names the host and the hosts= line to add. A plain fetch gets no warning."""
    suite.makepyfile(
        test_gateway="""
import os
import anthropic
import pytest

@pytest.mark.claude_contract
def test_gateway(claude_contract):
    client = anthropic.Anthropic(base_url=os.environ["OTHER_URL"], max_retries=0)
    reply = client.messages.create(model="claude-sonnet-4-6", max_tokens=32,
                                   messages=[{"role": "user", "content": "via a gateway"}])
    assert reply.content[0].text == "Echo: via a gateway"
    assert claude_contract.exchanges == []
"""
    )
    suite.makepyfile(test_other=OTHER)
    result = suite.runpytest("-W", "default")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*ClaudeTrafficToUnlistedHost: Claude contract: POST "
            f"{other.url}/v1/messages looks like Claude API traffic*but {other.host} is not a Claude host*"
            f"hosts=[[]'{api.host}', '{other.host}'[]]*",
        ]
    )
    assert result.stdout.str().count("ClaudeTrafficToUnlistedHost") == 1  # test_other's fetches: none


def test_the_host_of_anthropic_base_url_is_a_claude_host(
    pytester: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """With no hosts= naming it, the stand-in at ANTHROPIC_BASE_URL is checked as Claude's."""
    pytester.makepyfile(
        test_base="""
import anthropic
import pytest

@pytest.mark.claude_contract
def test_base(claude_contract):
    anthropic.Anthropic(max_retries=0).messages.create(
        model="claude-sonnet-4-6", max_tokens=32, messages=[{"role": "user", "content": "hi"}])
    assert [e.origin for e in claude_contract.exchanges] == ["live"]
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (0 replayed, 1 live)"])
    assert os.environ["ANTHROPIC_BASE_URL"] == api.url


def test_a_key_in_the_url_replays_its_own_recording(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The cassette holds the placeholder where the URL had the key; on replay the live request is
    scrubbed the same way before it is matched, so it finds its recording."""
    suite.makepyfile(
        test_query="""
import os
import httpx
import pytest

@pytest.mark.claude_contract(allow=["auth-scheme"])
def test_query():
    key = os.environ.get("URL_KEY")
    response = httpx.post(os.environ["FAKE_API_URL"] + "/v1/messages?key=" + key,
        headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"},
        json={"model": "claude-sonnet-4-6", "max_tokens": 32, "messages": [{"role": "user", "content": "q"}]})
    assert response.status_code == 200
"""
    )
    monkeypatch.setenv("URL_KEY", api_key)
    suite.runpytest().assert_outcomes(passed=1)
    cassette = suite.path / "cassettes" / "test_query" / "test_query.yaml"
    text = cassette.read_text()
    assert api_key not in text
    assert f"key={REDACTED}" in text

    go_offline(api, monkeypatch)  # the key stays in the URL: the client still sends it
    result = suite.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 1 (1 replayed, 0 live)"])


def test_verify_compares_the_claude_answers_only(
    suite: pytest.Pytester, api: FakeClaudeAPI, other: FakeClaudeAPI, api_key: str
) -> None:
    """Record mode verify sends every request live; the other host's recording counts as sent and is
    not compared (its answers are not the API's), so only the Claude exchange is verified."""
    suite.makepyfile(
        test_mixed="""
import os
import anthropic
import httpx
import pytest

@pytest.mark.claude_contract
def test_mixed():
    assert httpx.get(os.environ["OTHER_URL"] + "/image.png").status_code == 404
    anthropic.Anthropic(max_retries=0).messages.create(
        model="claude-sonnet-4-6", max_tokens=32, messages=[{"role": "user", "content": "verify me"}])
"""
    )
    suite.runpytest().assert_outcomes(passed=1)
    result = suite.runpytest("--claude-record-mode=verify")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*verified against cassettes (record mode verify): 1 interaction(s) unchanged, 0 drifted*"]
    )


MOCKED = """
import json
import os
import httpx
import pytest

CALLS = []


def answer(request):
    CALLS.append(request.url.host)
    if request.url.host != "api.anthropic.com":
        return httpx.Response(200, json={"app": "ok"})
    headers = {"request-id": "req_011", "anthropic-organization-id": "org-1"}
    if os.environ.get("DROP_ORG"):
        del headers["anthropic-organization-id"]
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1}}
    return httpx.Response(200, json=body, headers=headers)


@pytest.mark.claude_contract
def test_mocked(claude_contract):
    client = httpx.Client(transport=httpx.MockTransport(answer))
    assert client.get("http://app.internal/health").json() == {"app": "ok"}
    reply = client.post("https://api.anthropic.com/v1/messages",
        headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"},
        json={"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
    assert reply.json()["content"][0]["text"] == "hi"
    print("mock called for:", ",".join(CALLS))
"""


def test_claude_requests_through_httpx_mock_transport_are_checked_and_recorded(
    pytester: pytest.Pytester, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An httpx MockTransport answering for api.anthropic.com: the exchange is checked (a dropped
    header fails the test) and recorded, then replayed without the mock being asked; a request to
    another host through the mock is the test's own business, passed through every time."""
    pytester.makepyfile(test_mocked=MOCKED)
    monkeypatch.setenv("DROP_ORG", "1")
    pytester.runpytest().assert_outcomes(failed=1)
    monkeypatch.delenv("DROP_ORG")
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*mock called for: app.internal,api.anthropic.com*", "exchanges checked: 1 (0 replayed, 1 live)"]
    )
    monkeypatch.setenv("CI", "1")
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*mock called for: app.internal", "exchanges checked: 1 (1 replayed, 0 live)"]
    )
