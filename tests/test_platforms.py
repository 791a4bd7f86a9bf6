"""Claude on other platforms: a request is judged by the contract of the platform its host selects.

Through the real SDK classes (`AnthropicVertex`, `AnthropicFoundry`) against the loopback stand-in,
which answers as Vertex AI and Foundry do (tests/fake_api.py): recorded through the marker, replayed
offline with the stand-in stopped and no credentials, a broken request of the platform failing with
a report that names the platform and the rule. The stand-in's host is 127.0.0.1, so the inner suites
select the platform with `hosts={host: platform}`, as a user does for a gateway.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from helpers import a_key, a_token, go_offline, interactions

from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.checks import check_exchange, context_for
from pytest_claude_contract.contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    Exchange,
    lower_headers,
)
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

VERTEX_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"hosts": {os.environ["FAKE_API_HOST"]: "vertex"}}
"""

VERTEX_SUITE = """
import os
import pytest
from anthropic import AnthropicVertex

MESSAGES = [{"role": "user", "content": "Hello from Vertex"}]

def client():
    # Recording: a Google OAuth access token; replaying in CI there is none, and none is needed.
    return AnthropicVertex(region="us-east5", project_id="my-project", max_retries=0,
                           access_token=os.environ.get("VERTEX_ACCESS_TOKEN", "offline"),
                           base_url=os.environ["VERTEX_BASE_URL"])

@pytest.mark.claude_contract
def test_vertex(claude_contract):
    with client() as vertex:
        check(vertex, claude_contract)

def check(vertex, claude_contract):
    reply = vertex.messages.create(model="claude-sonnet-4-6@20260101", max_tokens=64, messages=MESSAGES)
    assert reply.content[0].text == "Echo: Hello from Vertex"
    assert reply.model == "claude-sonnet-4-6@20260101"
    with vertex.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES) as stream:
        assert "".join(stream.text_stream) == "Echo: Hello from Vertex"
    assert vertex.messages.count_tokens(model="claude-sonnet-4-6", messages=MESSAGES).input_tokens == 3
    assert [v.rule for v in claude_contract.violations] == []
    assert len(claude_contract.exchanges) == 3
"""


@pytest.fixture
def vertex_suite(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("VERTEX_BASE_URL", f"{api.url}/v1")
    pytester.makeconftest(VERTEX_CONFTEST)
    return pytester


def test_vertex_records_replays_offline_and_keeps_the_token_off_disk(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "ya29." + a_token()  # a Google OAuth access token: not shaped like a Claude key
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", token)
    vertex_suite.makepyfile(test_vertex=VERTEX_SUITE)
    vertex_suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {token}"] * 3

    cassette = vertex_suite.path / "cassettes" / "test_vertex" / "test_vertex.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert token not in text
    assert token[:12] not in text
    recorded = interactions(cassette)
    assert sorted(i["request"]["uri"].rsplit("/", 1)[1] for i in recorded) == [
        "claude-sonnet-4-6:streamRawPredict",
        "claude-sonnet-4-6@20260101:rawPredict",
        "count-tokens:rawPredict",
    ]
    assert {i["request"]["headers"]["authorization"][0] for i in recorded} == {
        "Bearer redacted-by-claude-contract"
    }
    assert "event: message_start" in text  # the stream, readable

    go_offline(api, monkeypatch)
    monkeypatch.delenv("VERTEX_ACCESS_TOKEN")
    result = vertex_suite.runpytest()
    result.assert_outcomes(passed=1)
    assert len(api.requests) == 3  # nothing reached the stopped stand-in


BROKEN_VERTEX = """
import os
import httpx
import pytest
from anthropic import AnthropicVertex

BASE = os.environ["VERTEX_BASE_URL"] + "/projects/my-project/locations/us-east5/publishers/anthropic/models"
BODY = {"max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}
TOKEN = {"authorization": "Bearer " + os.environ["VERTEX_ACCESS_TOKEN"]}

@pytest.mark.claude_contract(cassette=False)
def test_wrong_version():
    with AnthropicVertex(region="us-east5", project_id="my-project", max_retries=0,
                         access_token=os.environ["VERTEX_ACCESS_TOKEN"], base_url=os.environ["VERTEX_BASE_URL"]) as vertex:
        vertex.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=BODY["messages"],
                               extra_body={"anthropic_version": "vertex-2099-01-01"})

@pytest.mark.claude_contract(cassette=False)
def test_no_version():
    httpx.post(f"{BASE}/claude-sonnet-4-6:rawPredict", json=BODY, headers=TOKEN)

@pytest.mark.claude_contract(cassette=False)
def test_model_in_body():
    body = {**BODY, "anthropic_version": "vertex-2023-10-16", "model": "claude-sonnet-4-6"}
    httpx.post(f"{BASE}/claude-sonnet-4-6:rawPredict", json=body, headers=TOKEN)

@pytest.mark.claude_contract(cassette=False)
def test_claude_key():
    body = {**BODY, "anthropic_version": "vertex-2023-10-16"}
    httpx.post(f"{BASE}/claude-sonnet-4-6:rawPredict", json=body, headers={"x-api-key": os.environ["CLAUDE_KEY"]})
"""


def test_a_broken_vertex_request_fails_with_a_report_naming_the_platform(
    vertex_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, key = "ya29." + a_token(), a_key()
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", token)
    monkeypatch.setenv("CLAUDE_KEY", key)
    vertex_suite.makepyfile(test_broken=BROKEN_VERTEX)
    result = vertex_suite.runpytest()
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_wrong_version*",
            "*:rawPredict -> 200 (live), exchange 1, judged by the vertex contract",
            "  [[]platform-version-body[]] the body's `anthropic_version` is 'vertex-2099-01-01', not a version "
            "Vertex AI accepts (vertex-2023-10-16, 2023-01-01, 2023-06-01, 2026-10-21)",
            "*test_no_version*",
            "  [[]platform-version-body[]] the body has no `anthropic_version` field; Vertex AI reads the "
            "version there",
            "*test_model_in_body*",
            "  [[]platform-model-in-body[]] the body names `model` ('claude-sonnet-4-6'), but Vertex AI takes "
            "the model from the URL*",
            "*test_claude_key*",
            "  [[]auth-scheme[]] `x-api-key` is sent, but Vertex AI accepts only `Authorization: Bearer`",
        ]
    )
    output = result.stdout.str()
    assert token not in output
    assert key not in output
    assert "[error-shape]" not in output  # the stand-in's Google 401 body is Vertex AI's own shape


FOUNDRY_SUITE = """
import os
import pytest
from anthropic import AnthropicFoundry

MESSAGES = [{"role": "user", "content": "Hello from Foundry"}]

@pytest.mark.claude_contract(hosts={os.environ["FAKE_API_HOST"]: "foundry"})
def test_foundry_key(claude_contract):
    with AnthropicFoundry(api_key=os.environ.get("FOUNDRY_KEY", "offline-key"), max_retries=0,
                          base_url=os.environ["FAKE_API_URL"] + "/anthropic/") as foundry:
        reply = foundry.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES)
        assert reply.content[0].text == "Echo: Hello from Foundry"
        with foundry.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES) as stream:
            assert "".join(stream.text_stream) == "Echo: Hello from Foundry"
    assert len(claude_contract.exchanges) == 2

@pytest.mark.claude_contract(hosts={os.environ["FAKE_API_HOST"]: "foundry"})
def test_foundry_entra(claude_contract):
    token = os.environ.get("ENTRA_TOKEN", "offline-token")
    with AnthropicFoundry(azure_ad_token_provider=lambda: token, max_retries=0,
                          base_url=os.environ["FAKE_API_URL"] + "/anthropic/") as foundry:
        reply = foundry.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES)
    assert reply.content[0].text == "Echo: Hello from Foundry"
    assert len(claude_contract.exchanges) == 1
"""


def test_foundry_records_replays_offline_and_keeps_its_credentials_off_disk(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    foundry_key, entra_token = a_token(), "eyJ0eXAiOiJKV1Qi." + a_token()
    monkeypatch.setenv("FOUNDRY_KEY", foundry_key)
    monkeypatch.setenv("ENTRA_TOKEN", entra_token)
    pytester.makepyfile(test_foundry=FOUNDRY_SUITE)
    pytester.runpytest("--claude-record-mode=once").assert_outcomes(passed=2)
    sent = [
        (r.headers.get("x-api-key"), r.headers.get("api-key"), r.headers.get("authorization"))
        for r in api.requests
    ]
    assert sent == [(foundry_key, foundry_key, None)] * 2 + [(None, None, f"Bearer {entra_token}")]

    folder = pytester.path / "cassettes" / "test_foundry"
    for cassette in folder.iterdir():
        text = cassette.read_text(encoding="utf-8")
        assert foundry_key not in text
        assert entra_token not in text
        for interaction in interactions(cassette):
            assert interaction["request"]["uri"].endswith("/anthropic/v1/messages")

    go_offline(api, monkeypatch)
    monkeypatch.delenv("FOUNDRY_KEY")
    monkeypatch.delenv("ENTRA_TOKEN")
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_broken_foundry_request_fails_with_a_report_naming_the_platform(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = a_key()
    monkeypatch.setenv("CLAUDE_KEY", key)
    pytester.makepyfile(
        test_broken="""
import os
import httpx
import pytest
from anthropic import AnthropicFoundry

MARK = pytest.mark.claude_contract(cassette=False, hosts={os.environ["FAKE_API_HOST"]: "foundry"})
URL = os.environ["FAKE_API_URL"] + "/anthropic/v1/messages"
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}

@MARK
def test_claude_key():
    with AnthropicFoundry(api_key=os.environ["CLAUDE_KEY"], max_retries=0, base_url=URL[: -len("v1/messages")]) as foundry:
        foundry.messages.create(**BODY)

@MARK
def test_no_version():
    httpx.post(URL, json=BODY, headers={"api-key": "a-foundry-key-of-some-length"})
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*/anthropic/v1/messages -> 200 (live), exchange 1, judged by the foundry contract",
            "  [[]auth-scheme[]] a Claude API key (sk-ant-...) is sent to Microsoft Foundry, which takes "
            "`x-api-key` or `api-key` or `Authorization: Bearer` with its own credentials",
            "  [[]version-missing[]] no `anthropic-version` header is sent",
        ]
    )
    assert key not in result.stdout.str()


def test_a_platform_host_is_a_claude_host_and_selects_its_contract(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded at the stand-in, replayed at Vertex AI's own host (replay matches path and query): with
    no hosts= given, `us-east5-aiplatform.googleapis.com` is a Claude host judged as Vertex AI, offline;
    with hosts= listing only another host, it is not a Claude host (recorded, not checked)."""
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    vertex_suite.makepyfile(test_vertex=VERTEX_SUITE)
    vertex_suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    go_offline(api, monkeypatch)
    monkeypatch.setenv("VERTEX_BASE_URL", "https://us-east5-aiplatform.googleapis.com/v1")  # the SDK's own
    vertex_suite.makeconftest("")  # no hosts=: every platform's hosts are Claude hosts
    vertex_suite.runpytest().assert_outcomes(passed=1)  # the suite asserts 3 checked exchanges

    vertex_suite.makeconftest(VERTEX_CONFTEST)  # hosts= names the stand-in only
    result = vertex_suite.runpytest("-W", "default")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert 0 == 3*",  # replayed, but not a Claude exchange
            "*ClaudeTrafficToUnlistedHost: *us-east5-aiplatform.googleapis.com:443 is not a Claude host*",
        ]
    )


def test_the_report_header_shows_which_contract_each_host_is_judged_by(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "claude contract platforms: api.anthropic.com → anthropic; *-aiplatform.googleapis.com, "
            "aiplatform.googleapis.com, aiplatform.*.rep.googleapis.com → vertex; *.services.ai.azure.com "
            "→ foundry; bedrock-runtime.*.amazonaws.com → bedrock; bedrock-mantle.*.api.aws → bedrock-mantle",
        ]
    )


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (
            '{"127.0.0.1:8080": "vertx"}',
            "hosts={'127.0.0.1:8080': 'vertx'} names unknown platform(s) 'vertx'; "
            "platforms are: anthropic, vertex, foundry, bedrock, bedrock-mantle",
        ),
        (
            '{"https://x.example/v1": "vertex"}',
            "hosts={'https://x.example/v1': 'vertex'}; use a non-empty list*",
        ),
        ("{}", "hosts={}; use a non-empty list of host names*"),
    ],
)
def test_an_unknown_platform_or_a_bad_host_is_a_usage_error(
    pytester: pytest.Pytester, hosts: str, message: str
) -> None:
    pytester.makepyfile(
        f"import pytest\n\n@pytest.mark.claude_contract(hosts={hosts})\ndef test_it():\n    pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: test_*.py::test_it: @pytest.mark.claude_contract: {message}"])


# ---------------------------------------------------------------- selection, as data


def _exchange(url: str, headers: dict[str, str], body: object) -> Exchange:
    request = CapturedRequest("POST", url, lower_headers(headers), json.dumps(body).encode())
    message: dict[str, object] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude-sonnet-4-6",
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    response = CapturedResponse(200, {"content-type": "application/json"}, json.dumps(message).encode())
    return Exchange(request, response, "live", 1)


@pytest.mark.parametrize(
    ("host", "platform"),
    [
        ("api.anthropic.com", "anthropic"),
        ("us-east5-aiplatform.googleapis.com", "vertex"),
        ("aiplatform.googleapis.com", "vertex"),
        ("aiplatform.eu.rep.googleapis.com", "vertex"),
        ("my-resource.services.ai.azure.com", "foundry"),
        ("gateway.example.com:8443", "anthropic"),  # a host no pattern selects: first-party
        ("127.0.0.1:8080", "anthropic"),
    ],
)
def test_the_host_selects_the_platform(host: str, platform: str) -> None:
    assert DEFAULT_CONTRACT.platform_for(host).name == platform


def test_hosts_mapping_selects_a_platform_for_a_name_or_an_address() -> None:
    contract = DEFAULT_CONTRACT.with_host_platforms(
        {"127.0.0.1:8080": "vertex", "gateway.internal": "foundry"}
    )
    assert contract.platform_for("127.0.0.1:8080").name == "vertex"
    assert contract.platform_for("127.0.0.1:9090").name == "anthropic"
    assert contract.platform_for("gateway.internal:443").name == "foundry"
    with pytest.raises(ValueError, match="unknown platform"):
        DEFAULT_CONTRACT.with_host_platforms({"x": "nowhere"})


VERTEX_URL = (
    "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/"
    "models/claude-sonnet-4-6@20260101:rawPredict"
)
VERTEX_HEADERS = {"authorization": "Bearer ya29.a-google-access-token", "content-type": "application/json"}
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("version", ["vertex-2023-10-16", "2026-10-21", "2023-06-01"])
def test_a_vertex_request_as_the_sdk_sends_it_is_quiet(version: str) -> None:
    body = {"anthropic_version": version, "max_tokens": 8, "messages": MESSAGES}
    assert check_exchange(_exchange(VERTEX_URL, VERTEX_HEADERS, body), DEFAULT_CONTRACT) == []


def test_vertex_reads_the_body_version_for_what_it_removed() -> None:
    """`anthropic_version: 2026-10-21` in the body is judged by that version's profile (version-body)."""
    body = {"anthropic_version": "2026-10-21", "max_tokens": 8, "messages": MESSAGES, "temperature": 0.5}
    exchange = _exchange(VERTEX_URL, VERTEX_HEADERS, body)
    ctx = context_for(exchange, DEFAULT_CONTRACT)
    assert (ctx.platform.name, ctx.profile.version, ctx.api_version) == ("vertex", "2026-10-21", "2026-10-21")
    assert [v.rule for v in check_exchange(exchange, DEFAULT_CONTRACT)] == ["version-body"]
    legacy = {**body, "anthropic_version": "vertex-2023-10-16"}  # read as 2023-06-01: temperature allowed
    assert check_exchange(_exchange(VERTEX_URL, VERTEX_HEADERS, legacy), DEFAULT_CONTRACT) == []


def test_a_missing_model_is_not_a_schema_error_on_vertex_but_a_missing_max_tokens_is() -> None:
    body = {"anthropic_version": "vertex-2023-10-16", "messages": MESSAGES}
    found = check_exchange(_exchange(VERTEX_URL, VERTEX_HEADERS, body), DEFAULT_CONTRACT)
    assert [(v.rule, v.message) for v in found] == [
        (
            "request-schema",
            "the Messages request body does not match the documented request: max_tokens: field required",
        )
    ]


def test_vertex_token_counting_keeps_the_model_in_the_body() -> None:
    url = VERTEX_URL.replace("claude-sonnet-4-6@20260101:rawPredict", "count-tokens:rawPredict")
    body = {"anthropic_version": "2026-10-21", "model": "claude-sonnet-4-6", "messages": MESSAGES}
    exchange = _exchange(url, VERTEX_HEADERS, body)
    exchange.response = CapturedResponse(200, {"content-type": "application/json"}, b'{"input_tokens": 3}')
    assert check_exchange(exchange, DEFAULT_CONTRACT) == []


def test_the_first_party_api_still_refuses_a_bare_api_key_header() -> None:
    """Foundry accepts `api-key`; the API (and so a gateway judged as first-party) does not."""
    headers = {
        "api-key": "a-key-of-some-length",
        "anthropic-version": "2026-10-21",
        "content-type": "application/json",
    }
    body = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": MESSAGES}
    foundry = _exchange("https://r.services.ai.azure.com/anthropic/v1/messages", headers, body)
    assert check_exchange(foundry, DEFAULT_CONTRACT) == []
    first_party = _exchange("https://api.anthropic.com/v1/messages", headers, body)
    assert "auth-scheme" in [v.rule for v in check_exchange(first_party, DEFAULT_CONTRACT)]


CREDENTIALS_SUITE = """
import asyncio
import os
import pytest
from anthropic import AsyncAnthropicVertex
from google.auth.credentials import Credentials

class StaticCredentials(Credentials):
    '''google-auth credentials whose refresh hands over a fixed token: the SDK's own credentials
    path (refresh when there is no token), with no call to Google.'''
    def __init__(self, token):
        super().__init__()
        self._static = token
        self.refreshed = 0

    def refresh(self, request):
        self.refreshed += 1
        self.token = self._static

async def talk(credentials):
    async with AsyncAnthropicVertex(region="europe-west1", project_id="my-project", max_retries=0,
                                    credentials=credentials, base_url=os.environ["VERTEX_BASE_URL"]) as vertex:
        messages = [{"role": "user", "content": "Hello async"}]
        async with vertex.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=messages) as stream:
            return "".join([text async for text in stream.text_stream])

@pytest.mark.claude_contract
def test_credentials(claude_contract):
    credentials = StaticCredentials(os.environ.get("VERTEX_ACCESS_TOKEN", "offline"))
    assert asyncio.run(talk(credentials)) == "Echo: Hello async"
    assert credentials.refreshed == 1
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["EXPECTED_ORIGIN"]]
    assert claude_contract.violations == []
"""


def test_vertex_with_google_auth_credentials_and_the_async_client(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`credentials=` (google-auth, the SDK's vertex extra) instead of `access_token=`: the token the
    credentials hand over is sent, and kept off disk; the async client's stream replays offline."""
    pytest.importorskip("google.auth", reason="the anthropic[vertex] extra (tox -e platforms)")
    token = "ya29." + a_token()
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", token)
    monkeypatch.setenv("EXPECTED_ORIGIN", "live")
    vertex_suite.makepyfile(test_credentials=CREDENTIALS_SUITE)
    vertex_suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {token}"]
    cassette = vertex_suite.path / "cassettes" / "test_credentials" / "test_credentials.yaml"
    assert token not in cassette.read_text(encoding="utf-8")

    go_offline(api, monkeypatch)
    monkeypatch.delenv("VERTEX_ACCESS_TOKEN")
    monkeypatch.setenv("EXPECTED_ORIGIN", "replayed")
    vertex_suite.runpytest().assert_outcomes(passed=1)


def test_lint_judges_a_host_as_the_platform_given_and_finds_a_bearer_token(
    vertex_suite: pytest.Pytester,
    api: FakeClaudeAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`lint --host HOST=vertex` judges the stand-in's recordings as Vertex AI's (clean); as the
    first-party API they break its contract. A Google token written into a cassette by hand is found."""
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    vertex_suite.makepyfile(test_vertex=VERTEX_SUITE)
    vertex_suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    cassette = vertex_suite.path / "cassettes" / "test_vertex" / "test_vertex.yaml"
    capsys.readouterr()

    assert main(["lint", "--host", f"{api.host}=vertex", str(cassette)]) == 0
    assert f"{cassette}: 3 interactions, 3 with a Claude host: ok" in capsys.readouterr().out
    # Judged as the first-party API (with every header taken as recorded): no anthropic-version header.
    assert main(["lint", "--assume-recorded", "--host", api.host, str(cassette)]) == 1
    assert "[version-missing] no `anthropic-version` header is sent" in capsys.readouterr().out
    assert main(["lint", "--assume-recorded", "--host", f"{api.host}=vertex", str(cassette)]) == 0
    capsys.readouterr()
    assert main(["lint", "--host", f"{api.host}=bedrock-ish", str(cassette)]) == 2
    assert (
        "--host " + f"{api.host}=bedrock-ish: unknown platform; platforms are: anthropic, vertex, foundry"
        in (capsys.readouterr().err)
    )

    leaked = "ya29." + a_token()
    text = cassette.read_text(encoding="utf-8")
    cassette.write_text(
        text.replace("Bearer redacted-by-claude-contract", f"Bearer {leaked}", 1), encoding="utf-8"
    )
    assert main(["lint", "--host", f"{api.host}=vertex", str(cassette)]) == 1
    out = capsys.readouterr().out
    assert f"request header `authorization` holds a credential ({leaked[:10]}...)" in out
    assert leaked not in out


def test_ini_claude_hosts_maps_a_host_for_the_session_and_the_header_shows_it(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    vertex_suite.makeconftest("")
    vertex_suite.makeini(f"[pytest]\nclaude_hosts =\n    {api.host} = vertex\n    api.anthropic.com\n")
    vertex_suite.makepyfile(test_vertex=VERTEX_SUITE)
    result = vertex_suite.runpytest("--claude-record-mode=once")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"claude contract platforms: {api.host} → vertex; api.anthropic.com; api.anthropic.com → anthropic; *"
        ]
    )

    vertex_suite.makeini(f"[pytest]\nclaude_hosts =\n    {api.host} = vertexai\n")
    result = vertex_suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: ini option claude_hosts: hosts={{'{api.host}': 'vertexai'}} names unknown platform(s) *"]
    )


def test_vertex_traffic_to_an_unlisted_host_is_recorded_with_a_warning_naming_the_platform(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hosts= lists another host: the Vertex requests to the stand-in are recorded, not checked, and
    the warning gives the hosts= dict that would judge them as Vertex AI's."""
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    vertex_suite.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef claude_contract_config():\n    return {'hosts': ['api.anthropic.com']}\n"
    )
    monkeypatch.delenv("ANTHROPIC_BASE_URL")  # its host would be a Claude host
    exchanges = "assert len(claude_contract.exchanges) =="
    vertex_suite.makepyfile(test_vertex=VERTEX_SUITE.replace(f"{exchanges} 3", f"{exchanges} 0"))
    result = vertex_suite.runpytest("--claude-record-mode=once", "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"*ClaudeTrafficToUnlistedHost: Claude contract: POST {api.url}/v1/projects/*:* looks like Claude "
            f"traffic of the vertex platform*but {api.host} is not a Claude host*"
            f"hosts={{'api.anthropic.com': 'anthropic', '{api.host}': 'vertex'}}*",
        ]
    )
    assert result.stdout.str().count("ClaudeTrafficToUnlistedHost") == 1  # once per host


def test_auth_narrows_a_platforms_credentials_too() -> None:
    """auth=["x-api-key"]: Foundry's Entra ID bearer token is refused, its key accepted."""
    contract = DEFAULT_CONTRACT.narrowed(versions=None, auth=("x-api-key",))
    url = "https://r.services.ai.azure.com/anthropic/v1/messages"
    body = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": MESSAGES}
    base = {"anthropic-version": "2026-10-21", "content-type": "application/json"}
    bearer = _exchange(url, {**base, "authorization": "Bearer an-entra-id-token"}, body)
    assert [str(v) for v in check_exchange(bearer, contract)] == [
        "[auth-scheme] `Authorization: Bearer` is sent, but Microsoft Foundry accepts only `x-api-key`"
    ]
    keyed = _exchange(url, {**base, "x-api-key": "a-foundry-key-of-some-length"}, body)
    assert check_exchange(keyed, contract) == []


TOKEN_FETCH = """
import os
import socket

import httpx
import pytest

REAL_GETADDRINFO = socket.getaddrinfo

def to_the_stand_in(host, *args, **kwargs):
    # Google's token endpoint and another host, both answered by the stand-in on 127.0.0.1.
    local = host in ("oauth2.googleapis.com", "tracker.example")
    return REAL_GETADDRINFO("127.0.0.1" if local else host, *args, **kwargs)

@pytest.mark.claude_contract
def test_token(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", to_the_stand_in)
    port = os.environ["FAKE_API_HOST"].rsplit(":", 1)[1]
    form = {"grant_type": "refresh_token", "refresh_token": os.environ["REFRESH_TOKEN"],
            "client_secret": os.environ["CLIENT_SECRET"]}
    assert httpx.post(f"http://oauth2.googleapis.com:{port}/token", data=form).status_code == 404
    assert httpx.get(f"http://tracker.example:{port}/v1/models").status_code == 200
"""


def test_a_platforms_token_endpoint_passes_through_unrecorded(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """google-auth's token request (a refresh token and a client secret in its body, the access token
    in its answer) goes to oauth2.googleapis.com: live, and never into the cassette; the test's other
    traffic is recorded as ever."""
    refresh_token, client_secret = "1//" + a_token(), "GOCSPX-" + a_token()
    monkeypatch.setenv("REFRESH_TOKEN", refresh_token)
    monkeypatch.setenv("CLIENT_SECRET", client_secret)
    pytester.makepyfile(test_token=TOKEN_FETCH)
    pytester.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    assert [r.path for r in api.requests] == ["/token", "/v1/models"]  # both went out
    assert client_secret in api.requests[0].body.decode()

    text = (pytester.path / "cassettes" / "test_token" / "test_token.yaml").read_text(encoding="utf-8")
    assert "tracker.example" in text
    assert "oauth2.googleapis.com" not in text
    assert refresh_token[3:] not in text  # as sent: form-encoded
    assert client_secret not in text


def test_each_violation_names_the_platform_that_judged_it() -> None:
    body = {"anthropic_version": "vertex-2023-10-16", "model": "m", "max_tokens": 8, "messages": MESSAGES}
    (vertex,) = check_exchange(_exchange(VERTEX_URL, VERTEX_HEADERS, body), DEFAULT_CONTRACT)
    assert (vertex.rule, vertex.platform) == ("platform-model-in-body", "vertex")
    headers = {"x-api-key": "a-key-of-some-length", "content-type": "application/json"}
    first_party = check_exchange(
        _exchange("https://api.anthropic.com/v1/messages", headers, body), DEFAULT_CONTRACT
    )
    assert {(v.rule, v.platform) for v in first_party} == {
        ("version-missing", "anthropic"),
        ("response-request-id", "anthropic"),  # required on the API, not on Vertex AI
        ("response-organization-id", "anthropic"),
    }


def test_a_vertex_stream_is_checked_as_the_apis(
    vertex_suite: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """streamRawPredict's SSE goes through the stream rules: an out-of-order stream fails."""
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    api.misbehave.add("stream-out-of-order")
    vertex_suite.makepyfile(
        test_stream="""
import os
import pytest
from anthropic import AnthropicVertex

@pytest.mark.claude_contract(cassette=False)
def test_stream():
    with AnthropicVertex(region="us-east5", project_id="my-project", max_retries=0,
                         access_token=os.environ["VERTEX_ACCESS_TOKEN"], base_url=os.environ["VERTEX_BASE_URL"]) as vertex:
        with vertex.messages.stream(model="claude-sonnet-4-6", max_tokens=64,
                                    messages=[{"role": "user", "content": "Hi"}]) as stream:
            stream.until_done()
"""
    )
    result = vertex_suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*:streamRawPredict -> 200 (live), exchange 1, judged by the vertex contract",
            "  [[]stream-order[]] *message_stop*",
        ]
    )


def test_the_contract_server_judges_by_the_upstreams_platform(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client pointed at `claude_contract_server`, recording from the stand-in as upstream: its
    requests are judged by the platform `hosts=` maps the upstream's host to."""
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29." + a_token())
    pytester.makepyfile(
        test_upstream_platform="""
import os
import httpx
import pytest

@pytest.mark.claude_contract(cassette=False, upstream=os.environ["FAKE_API_URL"],
                             hosts={os.environ["FAKE_API_HOST"]: "vertex"})
def test_curl_like(claude_contract_server):
    url = (claude_contract_server.url + "/v1/projects/p/locations/us-east5/publishers/anthropic/models/"
           "claude-sonnet-4-6:rawPredict")
    body = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 8, "model": "claude-sonnet-4-6",
            "messages": [{"role": "user", "content": "Hi"}]}
    httpx.post(url, json=body, headers={"authorization": "Bearer " + os.environ["VERTEX_ACCESS_TOKEN"]})
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"POST {api.url}/v1/projects/*:rawPredict -> 400 (live), exchange 1, judged by the vertex contract",
            "  [[]platform-model-in-body[]] *",
        ]
    )


def test_model_lifecycle_is_judged_on_foundry_not_on_vertex() -> None:
    """The retirement dates are Anthropic's, for the platforms it operates (the API, Foundry); Google
    sets Vertex AI's own (shared/CONTRACT.md, Model lifecycle): a retired id is judged on Foundry only."""
    retired = "claude-sonnet-4-5"  # retired 2026-11-30 (Docs, Model deprecations)
    foundry = _exchange(
        "https://r.services.ai.azure.com/anthropic/v1/messages",
        {
            "x-api-key": "a-foundry-key-of-some-length",
            "anthropic-version": "2026-10-21",
            "content-type": "application/json",
        },
        {"model": retired, "max_tokens": 8, "messages": MESSAGES},
    )
    assert [v.rule for v in check_exchange(foundry, DEFAULT_CONTRACT)] == ["model-retired"]
    vertex_url = VERTEX_URL.replace("claude-sonnet-4-6@20260101", f"{retired}@20250929")
    vertex = _exchange(
        vertex_url, VERTEX_HEADERS, {"anthropic_version": "2026-10-21", "max_tokens": 8, "messages": MESSAGES}
    )
    assert check_exchange(vertex, DEFAULT_CONTRACT) == []
    # A retired id in the body as well (platform-model-in-body): still no Anthropic date on Vertex AI.
    named = _exchange(
        VERTEX_URL,
        VERTEX_HEADERS,
        {"anthropic_version": "2026-10-21", "model": retired, "max_tokens": 8, "messages": MESSAGES},
    )
    assert [v.rule for v in check_exchange(named, DEFAULT_CONTRACT)] == ["platform-model-in-body"]
