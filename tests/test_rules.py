"""Every rule, end to end: real pytest sessions (pytester) whose tests send real traffic over real sockets.

The inner tests use httpx, httpx2, requests and the anthropic SDK 2.x against `FakeClaudeAPI` on
127.0.0.1. Each rule is shown firing (the test fails, the output names the rule, says what is wrong and
how to fix it) and shown quiet (the same client sending the conformant request passes).
"""

from __future__ import annotations

import glob
import importlib
from dataclasses import dataclass

import pytest
from fake_api import FakeClaudeAPI

from pytest_claude_contract.contract.rules import RULES_BY_ID

# pytester restores sys.modules after each in-process run: modules first imported inside a run are
# imported again by the next one. Importing the clients here keeps them loaded across runs.
for _module in ("anthropic", "httpx", "httpx2", "requests", "pytest_claude_contract.capture.core"):
    importlib.import_module(_module)

CLIENTS = ("httpx", "httpx2", "requests")

# Real clients for the inner tests: each function sends one request and returns the HTTP status.
CLIENTS_MODULE = '''
"""One request to the stand-in with a real HTTP client; returns the HTTP status."""
import base64
import json
import os

import anthropic
import httpx
import httpx2
import requests

URL = os.environ["FAKE_API_URL"]
KEY = os.environ["ANTHROPIC_API_KEY"]
MODEL = "claude-sonnet-4-6"
BODY = json.dumps({"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]})
CLIENTS = ("httpx", "httpx2", "requests")


def headers(**changes):
    """Conformant headers (x-api-key, 2023-06-01, JSON) with some changed, or removed with None."""
    out = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"}
    for name, value in changes.items():
        out.pop(name.replace("_", "-"), None)
        if value is not None:
            out[name.replace("_", "-")] = value
    return out


def basic():
    return "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode()


def send(client, headers=None, body=BODY, params=None, path="/v1/messages"):
    headers = globals()["headers"]() if headers is None else headers
    url = URL + path
    if client == "httpx":
        return httpx.post(url, headers=headers, content=body, params=params).status_code
    if client == "httpx2":
        return httpx2.post(url, headers=headers, content=body, params=params).status_code
    return requests.post(url, headers=headers, data=body, params=params, timeout=30).status_code


def sdk():
    return anthropic.Anthropic(max_retries=0)


def ask(client=None, model=MODEL, content="Hi", **options):
    client = client or sdk()
    return client.messages.create(
        model=model, max_tokens=16, messages=[{"role": "user", "content": content}], **options
    )
'''


def lit(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself ([, ], *, ? escaped)."""
    return glob.escape(text)


@pytest.fixture
def run(suite: pytest.Pytester, api_key: str) -> pytest.Pytester:
    """The pytester suite (stand-in running, key in the environment) with the client helpers."""
    suite.makepyfile(claude_clients=CLIENTS_MODULE)
    return suite


def no_key_in(result: pytest.RunResult, api_key: str) -> None:
    """The key crossed the wire in every request; it must not appear in what the plugin prints."""
    assert api_key not in result.stdout.str() + result.stderr.str(), "the plugin's output shows the API key"


# ------------------------------------------------------------------ request rules


@dataclass(frozen=True)
class RequestCase:
    rule: str
    broken: str  # the arguments to send(client, ...) that break the rule
    status: int  # what the stand-in answers to the broken request (it does not check auth or version)
    message: str
    fix: str
    url_tail: str = ""

    @property
    def id(self) -> str:
        return self.rule if not self.url_tail else f"{self.rule}-in-query"


REQUEST_CASES = (
    RequestCase(
        "auth-missing",
        "headers(x_api_key=None)",
        200,
        "no `x-api-key` or `Authorization: Bearer` header is sent",
        "Send the API key in the `x-api-key` header (the SDK does this when given `api_key=`), "
        "or a token as `Authorization: Bearer <token>`.",
    ),
    RequestCase(
        "auth-scheme",
        "headers(x_api_key=None, authorization=basic())",
        200,
        "`Authorization: Basic ...` is sent; the API takes Bearer",
        "Send the key as `x-api-key: <key>` or `Authorization: Bearer <token>`; never in the URL, "
        "where proxies and logs keep it.",
    ),
    RequestCase(
        "auth-scheme",
        'headers(x_api_key=None), params={"api_key": KEY}',
        200,
        "a credential is sent in the URL query parameter 'api_key'",
        "Send the key as `x-api-key: <key>` or `Authorization: Bearer <token>`; never in the URL, "
        "where proxies and logs keep it.",
        url_tail="?api_key=redacted",  # the report never shows the key
    ),
    RequestCase(
        "version-missing",
        "headers(anthropic_version=None)",
        200,
        "no `anthropic-version` header is sent",
        "Send `anthropic-version: 2023-06-01` (or the version your client was written for).",
    ),
    RequestCase(
        "version-unknown",
        'headers(anthropic_version="2024-01-01")',
        200,
        "`anthropic-version: 2024-01-01` is not a documented version accepted here "
        "(known: 2023-01-01, 2023-06-01, 2026-10-21)",
        "Send one of 2023-01-01, 2023-06-01, 2026-10-21, or add a profile for 2024-01-01 in configuration.",
    ),
    RequestCase(
        "content-type",
        'headers(content_type="text/plain")',
        200,
        "the JSON body is sent with content-type 'text/plain', not 'application/json'",
        "Send `content-type: application/json` with JSON bodies.",
    ),
    RequestCase(
        "body-not-json",
        'body="model=claude-sonnet-4-6&max_tokens=16"',
        400,  # the stand-in's (conformant) invalid_request_error
        "the body of POST /v1/messages is not a JSON object (starts 'model=claude-sonnet-4-6&…' (37 bytes))",
        "Serialise the request body with a JSON encoder (e.g. `json.dumps(payload)`).",
    ),
)


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c.id for c in REQUEST_CASES])
def test_request_rule_fires_per_client_and_fixed_request_passes(
    run: pytest.Pytester, api: FakeClaudeAPI, api_key: str, case: RequestCase
) -> None:
    """httpx, httpx2 and requests each fail with the rule, its message and its fix; fixed, each passes."""
    run.makepyfile(
        test_requests=f"""
        import pytest
        from claude_clients import CLIENTS, KEY, basic, headers, send

        pytestmark = pytest.mark.claude_contract(cassette=False)

        @pytest.mark.parametrize("client", CLIENTS)
        def test_broken(client):
            assert send(client, {case.broken}) == {case.status}

        @pytest.mark.parametrize("client", CLIENTS)
        def test_fixed(client):
            assert send(client) == 200
        """
    )
    result = run.runpytest("-rf")
    result.assert_outcomes(passed=3, failed=3)
    for client in CLIENTS:
        result.stdout.fnmatch_lines(
            [
                f"_* test_broken?{client}? _*",
                "Claude API contract: 1 violation in 1 of 1 exchange",
                "",
                f"POST {api.url}/v1/messages{case.url_tail} -> {case.status} (live), exchange 1",
                f"  {lit(f'[{case.rule}] {case.message}')}",
                f"    fix: {lit(case.fix)}",
                "",
                lit(f'To accept a rule for a test: @pytest.mark.claude_contract(allow=["{case.rule}"]).'),
            ],
            consecutive=True,
        )
        result.stdout.fnmatch_lines([f"FAILED test_requests.py::test_broken?{client}? - *"])
    result.stdout.no_fnmatch_line("FAILED *test_fixed*")
    result.stdout.fnmatch_lines(
        ["*= claude contract =*", "violations: 3 (failing tests)", f"  {case.rule}: 3"]
    )
    # The stand-in saw every request: request rules judge what was sent, they do not block it.
    assert len(api.requests) == 6
    no_key_in(result, api_key)


def test_files_upload_must_be_multipart(run: pytest.Pytester) -> None:
    """The SDK's multipart upload to /v1/files passes; a JSON body posted there fails content-type."""
    run.makepyfile(
        test_files="""
        import json
        import pytest
        from claude_clients import headers, sdk, send

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_sdk_upload(claude_contract):
            uploaded = sdk().beta.files.upload(file=("notes.txt", b"hello", "text/plain"))
            assert uploaded.size_bytes == 5
            sent = claude_contract.exchanges[0].request.headers["content-type"]
            assert sent.startswith("multipart/form-data; boundary=")

        def test_json_upload():
            assert send("httpx", headers(), json.dumps({"file": "hello"}), path="/v1/files") == 400
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_json_upload _*",
            "  [[]content-type] the upload is sent with content-type 'application/json', "
            "not 'multipart/form-data'",
            lit("    fix: Upload files as `multipart/form-data` (the SDK's `files.upload` does)."),
        ]
    )


# ------------------------------------------------------------------ body-too-large

HUGE = """
import anthropic
import pytest
from claude_clients import ask

@pytest.mark.claude_contract(cassette=False)
def test_huge_document():
    with pytest.raises(anthropic.APIStatusError) as error:  # reached only when the request is sent
        ask(content="x" * 33_000_000)
    assert error.value.status_code == 413

@pytest.mark.claude_contract(cassette=False)
def test_small_document():
    assert ask(content="x" * 1_000).content[0].text.startswith("Echo: x")
"""


def test_body_too_large_is_reported_before_sending(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """A 33 MB Messages body from the SDK fails the test before it leaves: the server never sees it."""
    run.makepyfile(test_huge=HUGE)
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_huge_document _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages (not sent), exchange 1",
            "  [[]body-too-large] the request body is 33,000,* bytes; Messages (POST /v1/messages) accepts "
            "at most 32 MB (32,000,000 bytes) and would answer 413 request_too_large",
            "    fix: Send large documents through the Files API, or split the work into a Message Batch.",
            "*",
            "The request was not sent.",
        ]
    )
    # The huge request never arrived; the small one did.
    sizes = [len(r.body) for r in api.requests]
    assert len(sizes) == 1
    assert sizes[0] < 2_000


def test_body_too_large_in_warn_mode_is_sent_and_listed(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """In warn mode the 33 MB request goes out (the API answers 413) and only the summary lists it."""
    run.makepyfile(test_huge=HUGE)
    result = run.runpytest("--claude-contract=warn")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*= claude contract =*",
            "violations: 1 (reported only)",
            "  body-too-large: 1",
            "violations (warn mode):",
            "  test_huge.py::test_huge_document: [[]body-too-large] the request body is 33,000,* bytes; *",
        ]
    )
    assert [r.path for r in api.requests] == ["/v1/messages", "/v1/messages"]  # both were sent


# ------------------------------------------------------------------ response rules


@dataclass(frozen=True)
class ResponseCase:
    fault: str  # FakeClaudeAPI.misbehave
    rule: str
    call: str  # the inner test's body
    status: int
    message: str


RESPONSE_CASES = (
    ResponseCase(
        "no-request-id",
        "response-request-id",
        'assert ask().content[0].text == "Echo: Hi"',
        200,
        "the 200 response has no `request-id` header",
    ),
    ResponseCase(
        "no-organization-id",
        "response-organization-id",
        'assert send("httpx2") == 200',
        200,
        "the 200 response has no `anthropic-organization-id` header",
    ),
    ResponseCase(
        "text-content-type",
        "response-content-type",
        'assert send("requests") == 200',
        200,
        "the 200 response has content-type 'text/plain', not 'application/json'",
    ),
    ResponseCase(
        "bad-error-shape",
        "error-shape",
        'with pytest.raises(anthropic.APIStatusError) as error:\n    ask(model="trigger-529")\n'
        "assert error.value.status_code == 529",
        529,
        'the 529 response body is not {"type": "error", "error": {"type": ..., "message": ...}}',
    ),
    ResponseCase(
        "wrong-error-type",
        "error-status",
        'with pytest.raises(anthropic.RateLimitError):\n    ask(model="trigger-429")',
        429,
        "a 429 response carries error type 'api_error'; the docs pair 429 with 'rate_limit_error'",
    ),
)


@pytest.mark.parametrize("case", RESPONSE_CASES, ids=[c.rule for c in RESPONSE_CASES])
def test_response_rule_fires_on_fault_and_is_quiet_without(
    run: pytest.Pytester, api: FakeClaudeAPI, case: ResponseCase
) -> None:
    """A server fault fails the test with its rule and fix; the same test against a sound server passes."""
    body = "\n".join(f"    {line}" for line in case.call.splitlines())
    run.makepyfile(
        test_responses="import anthropic\nimport pytest\nfrom claude_clients import ask, send\n\n"
        f"@pytest.mark.claude_contract(cassette=False)\ndef test_call():\n{body}\n"
    )
    api.misbehave.add(case.fault)
    result = run.runpytest()
    result.assert_outcomes(failed=1)
    hint = RULES_BY_ID[case.rule].hint
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "",
            f"POST {api.url}/v1/messages -> {case.status} (live), exchange 1",
            f"  {lit(f'[{case.rule}] {case.message}')}",
            f"    fix: {lit(hint)}",
        ],
        consecutive=True,
    )

    api.misbehave.clear()
    quiet = run.runpytest()
    quiet.assert_outcomes(passed=1)
    quiet.stdout.fnmatch_lines(
        ["*= claude contract =*", "exchanges checked: 1 (0 replayed, 1 live)", "violations: 0"]
    )


def test_documented_errors_are_quiet(run: pytest.Pytester) -> None:
    """401, 429, 500 and 529 in the documented shape, with their documented types, break no rule."""
    run.makepyfile(
        test_errors="""
        import anthropic
        import pytest
        from claude_clients import ask

        @pytest.mark.claude_contract(cassette=False)
        @pytest.mark.parametrize("status", [401, 429, 500, 529])
        def test_error(status, claude_contract):
            with pytest.raises(anthropic.APIStatusError) as error:
                ask(model=f"trigger-{status}")
            assert error.value.status_code == status
            assert claude_contract.exchanges[0].response.json["error"]["type"]
            assert claude_contract.violations == []
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["exchanges checked: 4 (0 replayed, 4 live)", "violations: 0"])


def test_gzip_responses_are_checked_decoded(run: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against a server that gzips its answers, bodies are checked decoded: a wrong error type is
    error-status (read from the JSON), not error-shape, and a sound exchange passes."""
    with FakeClaudeAPI(gzip_responses=True) as zipped:
        monkeypatch.setenv("FAKE_API_URL", zipped.url)
        monkeypatch.setenv("FAKE_API_HOST", zipped.host)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", zipped.url)
        zipped.misbehave.add("wrong-error-type")
        run.makepyfile(
            test_gzip="""
            import anthropic
            import pytest
            from claude_clients import ask

            pytestmark = pytest.mark.claude_contract(cassette=False)

            def test_message(claude_contract):
                assert ask().content[0].text == "Echo: Hi"
                assert claude_contract.exchanges[0].response.json["type"] == "message"

            def test_rate_limited():
                with pytest.raises(anthropic.RateLimitError):
                    ask(model="trigger-429")
            """
        )
        result = run.runpytest()
        assert all(r.headers.get("accept-encoding", "").startswith("gzip") for r in zipped.requests)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["_* test_rate_limited _*", "  [[]error-status] a 429 response carries error type 'api_error'; *"]
    )
    result.stdout.no_fnmatch_line("*error-shape*")


# ------------------------------------------------------------------ the SDK and narrowing


def test_sdk_passes_by_default_and_narrowing_flags_it(run: pytest.Pytester, api_key: str) -> None:
    """The SDK 2.x (Bearer, 2026-10-21) passes as is; `auth=["x-api-key"]` flags its Bearer with
    auth-scheme and `api_versions=["2023-06-01"]` flags its 2026-10-21 with version-unknown."""
    run.makepyfile(
        test_sdk="""
        import pytest
        from claude_clients import MODEL, ask, sdk

        MESSAGES = [{"role": "user", "content": "Hi there"}]

        @pytest.mark.claude_contract(cassette=False)
        def test_sdk_default(claude_contract):
            client = sdk()
            assert ask(client).content[0].text == "Echo: Hi"
            with client.messages.stream(model=MODEL, max_tokens=16, messages=MESSAGES) as stream:
                assert stream.get_final_text() == "Echo: Hi there"
            assert client.messages.count_tokens(model=MODEL, messages=MESSAGES).input_tokens == 2
            assert len(list(client.models.list())) == 1
            sent = claude_contract.exchanges[0].request.headers
            assert sent["authorization"].startswith("Bearer ")
            assert "x-api-key" not in sent
            assert sent["anthropic-version"] == "2026-10-21"
            assert [e.response.headers["content-type"] for e in claude_contract.exchanges] == [
                "application/json", "text/event-stream", "application/json", "application/json"
            ]
            assert claude_contract.violations == []
            claude_contract.assert_conformant()

        @pytest.mark.claude_contract(cassette=False, auth=["x-api-key"])
        def test_sdk_key_header_only():
            ask()

        @pytest.mark.claude_contract(cassette=False, api_versions=["2023-06-01"])
        def test_sdk_old_version_only():
            ask()
        """
    )
    result = run.runpytest("-rf")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "_* test_sdk_key_header_only _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "*",
            lit("  [auth-scheme] `Authorization: Bearer` is sent, but this test accepts only `x-api-key`"),
            lit("    fix: Send credentials as `x-api-key`, or widen `auth=[...]`."),
            "_* test_sdk_old_version_only _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "*",
            lit(
                "  [version-unknown] `anthropic-version: 2026-10-21` is not a documented version accepted "
                "here (known: 2023-06-01)"
            ),
            lit("    fix: Send one of 2023-06-01, or add a profile for 2026-10-21 in configuration."),
        ]
    )
    result.stdout.no_fnmatch_line("FAILED *test_sdk_default*")
    no_key_in(result, api_key)


# ------------------------------------------------------------------ allow, warn, off

BROKEN_AND_FIXED = """
import pytest
from claude_clients import headers, send

pytestmark = pytest.mark.claude_contract(cassette=False)

def test_broken():
    assert send("httpx", headers(x_api_key=None)) == 200

def test_fixed():
    assert send("httpx") == 200
"""


def test_allow_silences_exactly_that_rule(run: pytest.Pytester) -> None:
    """`allow=["version-missing"]` drops that rule only: a second rule in the same exchange still fails."""
    run.makepyfile(
        test_allow="""
        import pytest
        from claude_clients import basic, headers, send

        pytestmark = pytest.mark.claude_contract(cassette=False, allow=["version-missing"])

        def test_only_allowed_rule():
            assert send("requests", headers(anthropic_version=None)) == 200

        def test_allowed_and_another_rule():
            broken = headers(anthropic_version=None, x_api_key=None, authorization=basic())
            assert send("requests", broken) == 200
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_allowed_and_another_rule _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            "*",
            lit("  [auth-scheme] `Authorization: Basic ...` is sent; the API takes Bearer"),
            "*",
            lit('To accept a rule for a test: @pytest.mark.claude_contract(allow=["auth-scheme"]).'),
            "*= claude contract =*",
            "*",
            "violations: 1 (failing tests)",
            "  auth-scheme: 1",
            "allowed by marker: version-missing 2",
        ]
    )
    result.stdout.no_fnmatch_line("*[[]version-missing]*")


def test_warn_mode_lists_violations_without_failing(run: pytest.Pytester) -> None:
    """`--claude-contract=warn`: the broken test passes and the "claude contract" summary lists it."""
    run.makepyfile(test_modes=BROKEN_AND_FIXED)
    result = run.runpytest("--claude-contract=warn")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "claude contract: checks=warn, *",
            "*= claude contract =*",
            "exchanges checked: 2 (0 replayed, 2 live)",
            "violations: 1 (reported only)",
            "  auth-missing: 1",
            "*",
            "violations (warn mode):",
            "  test_modes.py::test_broken: [[]auth-missing] "
            "no `x-api-key` or `Authorization: Bearer` header is sent",
        ]
    )
    result.stdout.no_fnmatch_line("*test_fixed: [[]*")


def test_off_mode_checks_nothing(run: pytest.Pytester) -> None:
    """`--claude-contract=off`: traffic still flows and is counted, but no rule is checked."""
    run.makepyfile(test_modes=BROKEN_AND_FIXED)
    result = run.runpytest("--claude-contract=off")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*= claude contract =*", "exchanges checked: 2 (0 replayed, 2 live) - checks off", "violations: 0"]
    )
    result.stdout.no_fnmatch_line("*auth-missing*")


# ------------------------------------------------------------------ the fixture from inside a test

INSPECTING = """
import pytest
from claude_clients import headers, send

@pytest.mark.claude_contract(cassette=False)
def test_inspects(claude_contract):
    assert claude_contract.exchanges == [] and claude_contract.violations == []
    claude_contract.assert_conformant()  # nothing sent yet: nothing to object to
    assert send("httpx2", headers(anthropic_version=None)) == 200
    (exchange,) = claude_contract.exchanges
    assert (exchange.origin, exchange.request.method) == ("live", "POST")
    assert exchange.request.path == "/v1/messages"
    assert exchange.response.status == 200 and exchange.response.json["type"] == "message"
    assert [v.rule for v in claude_contract.violations] == ["version-missing"]
    assert claude_contract.violations[0].exchange is exchange
    claude_contract.assert_conformant()
"""


@pytest.mark.parametrize("mode", ["strict", "warn"])
def test_fixture_exposes_exchanges_and_violations(run: pytest.Pytester, mode: str) -> None:
    """`.exchanges` and `.violations` reflect the traffic so far, and `assert_conformant()` fails the test
    with the full report (in warn mode too: it is how one test opts into strictness)."""
    run.makepyfile(test_inspect=INSPECTING)
    result = run.runpytest(f"--claude-contract={mode}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * AssertionError: Claude API contract: 1 violation in 1 of 1 exchange",
            "E * POST http://*/v1/messages -> 200 (live), exchange 1",
            "E *" + lit("[version-missing] no `anthropic-version` header is sent"),
        ]
    )
