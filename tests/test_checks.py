"""The checks as pure functions: every rule in the catalogue fires on its own example, and only there.

Fast unit tests over `_checks.check_exchange`; the same rules over real sockets are in test_rules.py.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import date
from typing import Any

import pytest

from pytest_claude_contract.cassette.formats import playable_response as _playable_response
from pytest_claude_contract.contract.checks import Violation, body_limit, check_exchange
from pytest_claude_contract.contract.docs import EXAMPLE_DAY
from pytest_claude_contract.contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    Exchange,
    decode_body,
    lower_headers,
)
from pytest_claude_contract.contract.models import (
    DEFAULT_CONTRACT,
    DEFAULT_ENDPOINTS,
    MB,
    Contract,
    Endpoint,
    ModelLifecycleEntry,
)
from pytest_claude_contract.contract.rules import (
    RULE_IDS,
    RULES,
    RULES_BY_ID,
    ExampleRequest,
    ExampleResponse,
    Rule,
)

MODEL = "claude-sonnet-4-6"
API = "https://api.anthropic.com"
BODY = json.dumps({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]})
REPLY = json.dumps(
    {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 8, "output_tokens": 4},
    }
)
# What GET /v1/models answers (response-schema checks it against the models list model).
MODELS_PAGE = json.dumps({"data": [{"type": "model", "id": MODEL}], "has_more": False})
RESPONSE_HEADERS = {
    "content-type": "application/json",
    "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    "anthropic-organization-id": "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
}
# The API sends retry-after with every 429 (ratelimit-headers flags a 429 without it).
RATE_LIMITED = {**RESPONSE_HEADERS, "retry-after": "30"}


@pytest.fixture(scope="module")
def key() -> str:
    """A key-shaped credential built at run time (no file holds a key-shaped literal)."""
    return "sk-ant-" + "api03-" + "Un1t" * 10 + "AA"


def request_headers(key: str, **changes: str | None) -> dict[str, str]:
    """Conformant request headers (x-api-key, 2023-06-01, JSON) with some changed or removed (None)."""
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json"}
    for name, value in changes.items():
        if value is None:
            headers.pop(name.replace("_", "-"), None)
        else:
            headers[name.replace("_", "-")] = value
    return headers


def exchange(
    headers: dict[str, str],
    body: bytes | str = BODY,
    *,
    method: str = "POST",
    url: str = f"{API}/v1/messages",
    status: int | None = 200,
    response_headers: dict[str, str] | None = None,
    response_body: bytes | str = REPLY,
) -> Exchange:
    """An exchange as the recorder builds it; status None: the request was not sent."""
    raw = body.encode() if isinstance(body, str) else body
    request = CapturedRequest(method, url, lower_headers(headers), raw)
    response = None
    if status is not None:
        answer = response_body.encode() if isinstance(response_body, str) else response_body
        response = CapturedResponse(status, lower_headers(response_headers or RESPONSE_HEADERS), answer)
    return Exchange(request, response, "live" if response else "not sent", 1)


def error(status: int, error_type: str, **extra: Any) -> Exchange:
    """A conformant request answered with a documented-shape error of `error_type`."""
    body = {"type": "error", "error": {"type": error_type, "message": "nope"}, "request_id": "req_01"}
    return exchange(
        request_headers("placeholder-credential"),
        status=status,
        response_headers=RATE_LIMITED if status == 429 else None,
        response_body=json.dumps({**body, **extra}),
    )


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def rule_exchange(rule: Rule) -> Exchange:
    """The catalogue's example for `rule`, its body padded (with JSON whitespace) to example_body_size."""
    example: ExampleRequest = rule.example_request
    answer: ExampleResponse = rule.example_response
    body = example.body.encode()
    if rule.example_body_size is not None:
        body += b" " * (rule.example_body_size - len(body))
    return exchange(
        example.headers,
        body,
        method=example.method,
        url=example.url,
        status=answer.status,
        response_headers=answer.headers,
        response_body=answer.wire_body(),
    )


# ------------------------------------------------------------------ the catalogue


def test_catalogue_names_every_rule_once() -> None:
    """The rule ids the plugin documents are exactly the ones the checks can emit, in catalogue order."""
    assert RULE_IDS == (
        "auth-missing",
        "auth-scheme",
        "version-missing",
        "version-unknown",
        "content-type",
        "body-too-large",
        "body-not-json",
        "response-request-id",
        "response-organization-id",
        "response-content-type",
        "error-shape",
        "error-status",
        "stream-order",
        "stream-event",
        "ratelimit-headers",
        "beta-header",
        "request-schema",
        "response-schema",
        "version-body",
        "beta-required",
        "auth-key-kind",
        "model-deprecated",
        "model-retired",
        "platform-version-body",
        "platform-model-in-body",
        "bedrock-sigv4",
        "bedrock-stream-frame",
    )


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_example_fires_exactly_that_rule(rule: Rule) -> None:
    """The example the docs show for a rule breaks that rule and no other, with the rule's fix attached."""
    found = check_exchange(rule_exchange(rule), DEFAULT_CONTRACT, today=EXAMPLE_DAY)
    assert rules(found) == [rule.id]
    violation = found[0]
    if rule.id == "version-unknown":  # its fix names the versions to choose from
        assert violation.hint == (
            "Send one of 2023-01-01, 2023-06-01, 2026-10-21, "
            "or add a profile for 2024-01-01 in configuration."
        )
    else:
        assert violation.hint == rule.hint
    assert violation.message
    assert str(violation) == f"[{rule.id}] {violation.message}"


def test_default_example_is_conformant() -> None:
    """The conformant example every rule's example is derived from fires nothing."""
    assert check_exchange(rule_exchange(Rule("ok", "request", "", "", "")), DEFAULT_CONTRACT) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_allow_drops_exactly_that_rule(rule: Rule) -> None:
    """`allow` silences the allowed rule only: allowing any other rule leaves it reported."""
    example = rule_exchange(rule)
    assert check_exchange(example, DEFAULT_CONTRACT, allow=frozenset({rule.id}), today=EXAMPLE_DAY) == []
    others = frozenset(RULE_IDS) - {rule.id}
    assert rules(check_exchange(example, DEFAULT_CONTRACT, allow=others, today=EXAMPLE_DAY)) == [rule.id]


# ------------------------------------------------------------------ credentials


def test_conformant_x_api_key_and_bearer(key: str) -> None:
    """Both documented schemes pass, in any header-name case: `x-api-key` and `Authorization: Bearer`."""
    assert check_exchange(exchange(request_headers(key)), DEFAULT_CONTRACT) == []
    bearer = request_headers(key, x_api_key=None, authorization=f"Bearer {key}")
    assert check_exchange(exchange(bearer), DEFAULT_CONTRACT) == []
    shouted = {"X-Api-Key": key, "Anthropic-Version": "2023-06-01", "Content-Type": "application/json"}
    assert check_exchange(exchange(shouted), DEFAULT_CONTRACT) == []


@pytest.mark.parametrize("param", ["api_key", "key", "x-api-key", "anthropic_api_key"])
def test_key_in_url_query_is_auth_scheme(key: str, param: str) -> None:
    """A key in the URL query is flagged (and names the parameter), even though it is a credential."""
    found = check_exchange(
        exchange(request_headers(key, x_api_key=None), url=f"{API}/v1/messages?{param}={key}"),
        DEFAULT_CONTRACT,
    )
    assert rules(found) == ["auth-scheme"]
    assert found[0].message == f"a credential is sent in the URL query parameter {param!r}"
    assert "never in the URL" in found[0].hint


def test_reports_never_show_a_key_sent_in_the_query(key: str) -> None:
    """The exchange line of a report hides credential query values and keeps every other parameter."""
    url = f"{API}/v1/messages?beta=true&api_key={key}&token={key}&limit=2"
    ex = exchange(request_headers(key, x_api_key=None), url=url)
    assert ex.describe() == (
        f"POST {API}/v1/messages?beta=true&api_key=redacted&token=redacted&limit=2 -> 200 (live)"
    )
    assert rules(check_exchange(ex, DEFAULT_CONTRACT)) == ["auth-scheme", "auth-scheme"]
    plain = exchange(request_headers(key), url=f"{API}/v1/messages?beta=true")
    assert plain.describe() == f"POST {API}/v1/messages?beta=true -> 200 (live)"


def test_key_shaped_value_in_any_query_parameter_is_auth_scheme(key: str) -> None:
    """A key-shaped value is caught under any parameter name; an innocent query is not."""
    url = f"{API}/v1/messages?token={key}"
    assert rules(check_exchange(exchange(request_headers(key), url=url), DEFAULT_CONTRACT)) == ["auth-scheme"]
    innocent = f"{API}/v1/models?limit=20&after_id=claude-sonnet-4-6"
    quiet = exchange(
        request_headers(key, content_type=None), "", method="GET", url=innocent, response_body=MODELS_PAGE
    )
    assert check_exchange(quiet, DEFAULT_CONTRACT) == []


def test_bare_api_key_header_is_auth_scheme(key: str) -> None:
    """`api-key: <key>` (Azure's name) is not read by the API: auth-scheme, not auth-missing."""
    found = check_exchange(exchange(request_headers(key, x_api_key=None, api_key=key)), DEFAULT_CONTRACT)
    assert rules(found) == ["auth-scheme"]
    assert "`x-api-key`" in found[0].message


@pytest.mark.parametrize("scheme", ["Basic", "Token", "bearer-ish"])
def test_authorization_with_other_scheme_is_auth_scheme(key: str, scheme: str) -> None:
    """`Authorization: Basic ...` (or any non-Bearer scheme) is flagged without echoing the credential."""
    headers = request_headers(key, x_api_key=None, authorization=f"{scheme} {key}")
    found = check_exchange(exchange(headers), DEFAULT_CONTRACT)
    assert rules(found) == ["auth-scheme"]
    assert found[0].message == f"`Authorization: {scheme} ...` is sent; the API takes Bearer"
    assert key not in found[0].message


def test_bearer_scheme_is_case_insensitive(key: str) -> None:
    """HTTP auth schemes are case-insensitive: `bearer <token>` is Bearer."""
    headers = request_headers(key, x_api_key=None, authorization=f"bearer {key}")
    assert check_exchange(exchange(headers), DEFAULT_CONTRACT) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"x_api_key": ""}, "the `x-api-key` header is empty"),
        ({"x_api_key": "   "}, "the `x-api-key` header is empty"),
        ({"x_api_key": None, "authorization": "Bearer"}, "`Authorization: Bearer` is sent with no token"),
        ({"x_api_key": None, "authorization": "Bearer   "}, "`Authorization: Bearer` is sent with no token"),
        ({"x_api_key": None, "authorization": ""}, "the `Authorization` header is empty"),
        ({"x_api_key": None}, "no `x-api-key` or `Authorization: Bearer` header is sent"),
    ],
    ids=["empty-x-api-key", "blank-x-api-key", "bearer-no-token", "bearer-blank", "empty-auth", "none"],
)
def test_empty_credentials_are_auth_missing(key: str, changes: dict[str, str | None], message: str) -> None:
    """A credential header with nothing in it counts as no credential at all."""
    found = check_exchange(exchange(request_headers(key, **changes)), DEFAULT_CONTRACT)
    assert rules(found) == ["auth-missing"]
    assert found[0].message == message


def test_auth_narrowed_to_x_api_key_flags_bearer(key: str) -> None:
    """`auth=["x-api-key"]` turns the SDK 2.x's Bearer into a violation that names what is accepted."""
    contract = DEFAULT_CONTRACT.narrowed(versions=None, auth=("x-api-key",))
    bearer = request_headers(key, x_api_key=None, authorization=f"Bearer {key}")
    found = check_exchange(exchange(bearer), contract)
    assert rules(found) == ["auth-scheme"]
    assert found[0].message == "`Authorization: Bearer` is sent, but this test accepts only `x-api-key`"
    assert found[0].hint == "Send credentials as `x-api-key`, or widen `auth=[...]`."
    assert check_exchange(exchange(request_headers(key)), contract) == []


def test_auth_narrowed_to_bearer_flags_x_api_key(key: str) -> None:
    """`auth=["bearer"]` flags `x-api-key` and still passes Bearer."""
    contract = DEFAULT_CONTRACT.narrowed(versions=None, auth=("bearer",))
    found = check_exchange(exchange(request_headers(key)), contract)
    assert rules(found) == ["auth-scheme"]
    assert "accepts only `Authorization: Bearer`" in found[0].message
    bearer = request_headers(key, x_api_key=None, authorization=f"Bearer {key}")
    assert check_exchange(exchange(bearer), contract) == []


# ------------------------------------------------------------------ versions


@pytest.mark.parametrize("version", ["2023-01-01", "2023-06-01", "2026-10-21"])
def test_documented_versions_pass(key: str, version: str) -> None:
    """Every documented `anthropic-version` is accepted by the default contract."""
    assert check_exchange(exchange(request_headers(key, anthropic_version=version)), DEFAULT_CONTRACT) == []


def test_unknown_version_lists_the_known_ones(key: str) -> None:
    """An undocumented version is flagged, and the message says which ones would do."""
    found = check_exchange(exchange(request_headers(key, anthropic_version="2024-01-01")), DEFAULT_CONTRACT)
    assert rules(found) == ["version-unknown"]
    assert "2024-01-01" in found[0].message
    assert "known: 2023-01-01, 2023-06-01, 2026-10-21" in found[0].message
    assert (
        found[0].hint
        == "Send one of 2023-01-01, 2023-06-01, 2026-10-21, or add a profile for 2024-01-01 in configuration."
    )


def test_versions_narrowed_flag_a_documented_version(key: str) -> None:
    """`api_versions=["2023-06-01"]` makes the SDK 2.x's 2026-10-21 a version-unknown."""
    contract = DEFAULT_CONTRACT.narrowed(versions=("2023-06-01",), auth=None)
    found = check_exchange(exchange(request_headers(key, anthropic_version="2026-10-21")), contract)
    assert rules(found) == ["version-unknown"]
    assert "(known: 2023-06-01)" in found[0].message
    assert check_exchange(exchange(request_headers(key)), contract) == []


def test_added_profile_makes_a_version_known(key: str) -> None:
    """A profile added in configuration (`profiles=`) accepts its version with the default endpoints."""
    contract = DEFAULT_CONTRACT.with_profile_edits({"2027-01-01": {"status": "current"}})
    assert check_exchange(exchange(request_headers(key, anthropic_version="2027-01-01")), contract) == []


def test_openai_compatible_endpoint_needs_no_version(key: str) -> None:
    """POST /v1/chat/completions takes no anthropic-version; /v1/messages without one is flagged."""
    headers = request_headers(key, x_api_key=None, anthropic_version=None, authorization=f"Bearer {key}")
    chat = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]})
    openai_headers = {"content-type": "application/json", "x-request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"}
    completions = exchange(
        headers, chat, url=f"{API}/v1/chat/completions", response_headers=openai_headers, response_body="{}"
    )
    assert check_exchange(completions, DEFAULT_CONTRACT) == []
    found = check_exchange(exchange(headers), DEFAULT_CONTRACT)
    assert rules(found) == ["version-missing"]
    assert found[0].hint.startswith("Send `anthropic-version: 2023-06-01`")


def test_unlisted_endpoint_still_needs_a_version(key: str) -> None:
    """Endpoints the contract does not list (beta /v1/vaults) are judged by the every-request rules."""
    found = check_exchange(
        exchange(request_headers(key, anthropic_version=None), "", method="GET", url=f"{API}/v1/vaults"),
        DEFAULT_CONTRACT,
    )
    assert rules(found) == ["version-missing"]


# ------------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_type_parameters_and_case_pass(key: str, content_type: str) -> None:
    """The media type is compared without parameters and case-insensitively."""
    assert check_exchange(exchange(request_headers(key, content_type=content_type)), DEFAULT_CONTRACT) == []


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_json_body_with_other_content_type(key: str, content_type: str | None) -> None:
    """A JSON body sent as text/plain, or with no content type, breaks content-type only."""
    found = check_exchange(exchange(request_headers(key, content_type=content_type)), DEFAULT_CONTRACT)
    assert rules(found) == ["content-type"]
    assert found[0].message.endswith("not 'application/json'")
    assert repr(content_type or "(none)") in found[0].message


@pytest.mark.parametrize("body", ["model=x&max_tokens=1", "[1, 2]", '"text"', '{"model": '])
def test_body_not_json_object(key: str, body: str) -> None:
    """Form data, a JSON array, a JSON string or truncated JSON to /v1/messages: body-not-json."""
    found = check_exchange(exchange(request_headers(key), body), DEFAULT_CONTRACT)
    assert rules(found) == ["body-not-json"]
    assert found[0].message.startswith("the body of POST /v1/messages is not a JSON object (starts ")


def test_body_not_json_preview_is_short(key: str) -> None:
    """The message quotes the start of a body, never the whole (possibly huge) body."""
    found = check_exchange(exchange(request_headers(key), "x" * 10_000), DEFAULT_CONTRACT)
    assert found[0].message.endswith("(starts '" + "x" * 24 + "…' (10.0 kB))")


def test_bodiless_get_needs_no_content_type(key: str) -> None:
    """GET /v1/models sends no body and no content type: nothing to flag."""
    headers = request_headers(key, content_type=None)
    models = exchange(headers, "", method="GET", url=f"{API}/v1/models", response_body=MODELS_PAGE)
    assert check_exchange(models, DEFAULT_CONTRACT) == []


def test_files_upload_needs_multipart(key: str) -> None:
    """POST /v1/files takes multipart/form-data; JSON there is a content-type violation with its own fix."""
    form = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n'
    file_reply = (
        '{"id": "file_01", "type": "file", "filename": "a.txt", "mime_type": "text/plain", '
        '"size_bytes": 5, "created_at": "2026-12-07T10:00:00Z"}'
    )
    upload = request_headers(key, content_type="multipart/form-data; boundary=b")
    ok = exchange(upload, form, url=f"{API}/v1/files", response_body=file_reply)
    assert check_exchange(ok, DEFAULT_CONTRACT) == []
    as_json = exchange(
        request_headers(key), '{"file": "hello"}', url=f"{API}/v1/files", response_body=file_reply
    )
    found = check_exchange(as_json, DEFAULT_CONTRACT)
    assert rules(found) == ["content-type"]
    assert "not 'multipart/form-data'" in found[0].message
    assert "multipart/form-data" in found[0].hint


# ------------------------------------------------------------------ size limits


@pytest.fixture(scope="module")
def over_32_mb() -> bytes:
    """One real body just over 32 MB (valid JSON: the padding is trailing whitespace), built once."""
    return BODY.encode() + b" " * (32 * MB + 1 - len(BODY))


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [
        ("/v1/messages", "application/json", "Messages"),
        ("/v1/messages/count_tokens", "application/json", "Token Counting"),
        ("/v1/complete", "application/json", "Text Completions (legacy)"),
        ("/v1/messages/batches", "application/json", None),  # 256 MB
        ("/v1/files", "multipart/form-data; boundary=b", None),  # 500 MB
    ],
)
def test_32_mb_limit_is_per_endpoint(
    key: str, over_32_mb: bytes, path: str, content_type: str, name: str | None
) -> None:
    """32 MB + 1 byte is too large for Messages and Token Counting, not for Batches or Files."""
    ex = exchange(
        request_headers(key, content_type=content_type), over_32_mb, url=f"{API}{path}", status=None
    )
    found = list(body_limit(ex, DEFAULT_CONTRACT))
    if name is None:
        assert found == []
        return
    assert rules(found) == ["body-too-large"]
    assert found[0].message == (
        f"the request body is 32,000,001 bytes; {name} (POST {path}) accepts at most 32 MB "
        "(32,000,000 bytes) and would answer 413 request_too_large"
    )
    assert found[0].hint.startswith("Send large documents through the Files API")


def test_32_mb_exactly_is_allowed(key: str, over_32_mb: bytes) -> None:
    """The limit is inclusive: a body of exactly 32,000,000 bytes passes."""
    ex = exchange(request_headers(key), over_32_mb[:-1], status=None)
    assert len(ex.request.body) == 32 * MB
    assert list(body_limit(ex, DEFAULT_CONTRACT)) == []


def test_documented_limits_are_data() -> None:
    """The shipped endpoint table holds the documented limits: 32 MB, 256 MB and 500 MB."""
    limits = {(e.method, e.path): e.max_body_bytes for e in DEFAULT_ENDPOINTS}
    assert limits[("POST", "/v1/messages")] == 32 * MB
    assert limits[("POST", "/v1/messages/count_tokens")] == 32 * MB
    assert limits[("POST", "/v1/messages/batches")] == 256 * MB
    assert limits[("POST", "/v1/files")] == 500 * MB


def small_limits(batches: int, files: int) -> Contract:
    """The default contract with the Batches and Files limits edited through `with_profile_edits`."""
    endpoints = [
        e.model_copy(update={"max_body_bytes": batches})
        if (e.method, e.path) == ("POST", "/v1/messages/batches")
        else e.model_copy(update={"max_body_bytes": files})
        if (e.method, e.path) == ("POST", "/v1/files")
        else e
        for e in DEFAULT_ENDPOINTS
    ]
    return DEFAULT_CONTRACT.with_profile_edits({"2023-06-01": {"endpoints": endpoints}})


@pytest.mark.parametrize(
    ("path", "content_type", "limit_text"),
    [
        ("/v1/messages/batches", "application/json", "Message Batches (POST /v1/messages/batches)"),
        ("/v1/files", "multipart/form-data; boundary=b", "Files (POST /v1/files)"),
    ],
)
def test_batches_and_files_limits_are_read_from_the_profile(
    key: str, path: str, content_type: str, limit_text: str
) -> None:
    """The size check reads each endpoint's limit from the contract data, up to and over the limit."""
    contract = small_limits(batches=1_000, files=2_000)
    limit = 1_000 if "batches" in path else 2_000
    headers = request_headers(key, content_type=content_type)
    at_limit = BODY.encode() + b" " * (limit - len(BODY))
    quiet = exchange(headers, at_limit, url=f"{API}{path}", status=None)
    assert list(body_limit(quiet, contract)) == []
    loud = exchange(headers, at_limit + b" ", url=f"{API}{path}", status=None)
    found = list(body_limit(loud, contract))
    assert rules(found) == ["body-too-large"]
    assert found[0].message == (
        f"the request body is {limit + 1:,} bytes; {limit_text} accepts at most {limit:,} bytes "
        f"({limit:,} bytes) and would answer 413 request_too_large"
    )
    # Other versions keep the documented limits.
    other = exchange(
        request_headers(key, content_type=content_type, anthropic_version="2026-10-21"), at_limit + b" "
    )
    assert list(body_limit(other, contract)) == []


def test_endpoint_without_limit_and_unlisted_endpoint() -> None:
    """`max_body_bytes=None` means no limit; an unlisted endpoint gets the standard (Messages) limit."""
    endpoint = Endpoint(name="Unlimited", method="POST", path="/v1/unlimited", max_body_bytes=None)
    assert endpoint.limit_text == "no limit"
    edited = DEFAULT_CONTRACT.with_profile_edits(
        {"2023-06-01": {"endpoints": [*DEFAULT_ENDPOINTS[:1], endpoint]}}
    )
    messages = edited.profiles["2023-06-01"].endpoints[0].model_copy(update={"max_body_bytes": 10})
    tiny = edited.with_profile_edits({"2023-06-01": {"endpoints": [messages, endpoint]}})
    headers = request_headers("placeholder-credential")
    assert list(body_limit(exchange(headers, BODY, url=f"{API}/v1/unlimited"), tiny)) == []
    unlisted = list(body_limit(exchange(headers, BODY, url=f"{API}/v1/skills"), tiny))
    assert rules(unlisted) == ["body-too-large"]
    assert "POST /v1/skills accepts at most 10 bytes" in unlisted[0].message


def test_smallest_limit_and_endpoint_lookups_follow_copies() -> None:
    """Both are worked out once per contract or profile (every request asks), and a model_copy with
    other profiles or endpoints, which shares the copied object's caches, is not answered from them."""
    assert DEFAULT_CONTRACT.smallest_body_limit == 20 * MB  # Amazon Bedrock's InvokeModel
    small = small_limits(batches=1_000, files=2_000)
    assert small.smallest_body_limit == 1_000
    assert DEFAULT_CONTRACT.model_copy(update={"profiles": small.profiles}).smallest_body_limit == 1_000
    assert DEFAULT_CONTRACT.smallest_body_limit == 20 * MB
    profile = DEFAULT_CONTRACT.profiles["2023-06-01"]
    found = profile.endpoint_for("POST", "/v1/messages")
    assert found is not None
    assert found.name == "Messages"
    assert (
        profile.model_copy(update={"endpoints": profile.endpoints[1:]}).endpoint_for("POST", "/v1/messages")
        is None
    )
    assert profile.endpoint_for("POST", "/v1/messages") is found
    assert profile.endpoint_for("GET", "/v1/messages") is None


# ------------------------------------------------------------------ responses


def test_response_headers_are_required_on_errors_too() -> None:
    """request-id and anthropic-organization-id are required on every response, errors included."""
    headers = {k: v for k, v in RATE_LIMITED.items() if k in ("content-type", "retry-after")}
    body = json.dumps({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}})
    found = check_exchange(
        exchange(
            request_headers("placeholder-credential"),
            status=429,
            response_headers=headers,
            response_body=body,
        ),
        DEFAULT_CONTRACT,
    )
    assert rules(found) == ["response-request-id", "response-organization-id"]
    assert found[0].message == "the 429 response has no `request-id` header"
    assert found[1].message == "the 429 response has no `anthropic-organization-id` header"


def test_streaming_response_content_type() -> None:
    """A `stream: true` request is answered with text/event-stream (JSON is flagged); its errors are JSON."""
    stream_body = json.dumps({**json.loads(BODY), "stream": True})
    headers = request_headers("placeholder-credential")
    sse = {**RESPONSE_HEADERS, "content-type": "text/event-stream"}
    events = RULES_BY_ID["stream-order"].example_response.body  # out of order, but an event stream
    found = check_exchange(
        exchange(headers, stream_body, response_headers=sse, response_body=events), DEFAULT_CONTRACT
    )
    assert rules(found) == ["stream-order"]  # no response-content-type: the content type is right
    found = check_exchange(exchange(headers, stream_body), DEFAULT_CONTRACT)
    assert rules(found) == ["response-content-type"]
    assert found[0].message == (
        "a stream: true request's response has content-type 'application/json', not 'text/event-stream'"
    )
    failed = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert (
        check_exchange(exchange(headers, stream_body, status=529, response_body=failed), DEFAULT_CONTRACT)
        == []
    )


def test_html_error_page_breaks_content_type_and_shape() -> None:
    """A proxy's HTML 502 page is neither JSON nor the documented error shape: both rules say so."""
    html = {**RESPONSE_HEADERS, "content-type": "text/html"}
    found = check_exchange(
        exchange(
            request_headers("placeholder-credential"),
            status=502,
            response_headers=html,
            response_body="<html>Bad gateway</html>",
        ),
        DEFAULT_CONTRACT,
    )
    assert rules(found) == ["response-content-type", "error-shape"]
    assert found[0].message == "the 502 response has content-type 'text/html', not 'application/json'"


def test_binary_file_download_is_not_json() -> None:
    """GET /v1/files/{id}/content answers raw bytes: no JSON content type is required there."""
    headers = request_headers("placeholder-credential", content_type=None)
    binary = {**RESPONSE_HEADERS, "content-type": "application/octet-stream"}
    download = exchange(
        headers,
        "",
        method="GET",
        url=f"{API}/v1/files/file_01/content",
        response_headers=binary,
        response_body=b"\x00\x01",
    )
    assert check_exchange(download, DEFAULT_CONTRACT) == []


@pytest.mark.parametrize(
    "body",
    [
        '{"error": "slow down"}',
        '{"type": "error", "error": "slow down"}',
        '{"type": "error", "error": {"message": "slow down"}}',
        '{"type": "error", "error": {"type": "rate_limit_error"}}',
        '{"type": "failure", "error": {"type": "rate_limit_error", "message": "slow down"}}',
        "[]",
        "slow down",
    ],
)
def test_error_shape(body: str) -> None:
    """Anything but {"type": "error", "error": {"type": str, "message": str}} on a >= 400 is error-shape."""
    found = check_exchange(
        exchange(
            request_headers("placeholder-credential"),
            status=429,
            response_headers=RATE_LIMITED,
            response_body=body,
        ),
        DEFAULT_CONTRACT,
    )
    assert rules(found) == ["error-shape"]
    assert (
        found[0].message
        == 'the 429 response body is not {"type": "error", "error": {"type": ..., "message": ...}}'
    )


@pytest.mark.parametrize(
    ("status", "error_type"), sorted(DEFAULT_CONTRACT.profiles["2026-10-21"].error_types.items())
)
def test_documented_status_and_error_type_pairs(status: int, error_type: str) -> None:
    """Each documented status passes with its own error type and fails with another status's type."""
    assert check_exchange(error(status, error_type), DEFAULT_CONTRACT) == []
    wrong = "api_error" if error_type != "api_error" else "overloaded_error"
    found = check_exchange(error(status, wrong), DEFAULT_CONTRACT)
    assert rules(found) == ["error-status"]
    assert found[0].message == (
        f"a {status} response carries error type {wrong!r}; the docs pair {status} with {error_type!r}"
    )


@pytest.mark.parametrize("status", [401, 402, 403, 404, 409, 413, 429])
def test_listed_4xx_does_not_take_the_fallback_type(status: int) -> None:
    """invalid_request_error is the fallback for 4xx statuses the docs do not list, not for listed ones."""
    assert rules(check_exchange(error(status, "invalid_request_error"), DEFAULT_CONTRACT)) == ["error-status"]


@pytest.mark.parametrize("status", [405, 408, 411, 422])
def test_unlisted_4xx_takes_invalid_request_error(status: int) -> None:
    """Other 4xx may carry invalid_request_error; another type there is flagged."""
    assert check_exchange(error(status, "invalid_request_error"), DEFAULT_CONTRACT) == []
    found = check_exchange(error(status, "not_found_error"), DEFAULT_CONTRACT)
    assert rules(found) == ["error-status"]
    assert found[0].message.endswith(f"the docs pair {status} with 'invalid_request_error'")


@pytest.mark.parametrize("status", [502, 503])
def test_undocumented_5xx_type_is_not_judged(status: int) -> None:
    """The docs name no error type for 502/503: any well-shaped error passes."""
    assert check_exchange(error(status, "api_error"), DEFAULT_CONTRACT) == []


def test_error_status_edits_are_data() -> None:
    """The status-to-type table is read from the profile: an edited pair changes the verdict."""
    edited = DEFAULT_CONTRACT.with_profile_edits(
        {
            "2023-06-01": {
                "error_types": {**DEFAULT_CONTRACT.profiles["2023-06-01"].error_types, 429: "slow_down"}
            }
        }
    )
    assert check_exchange(error(429, "slow_down"), edited) == []
    assert rules(check_exchange(error(429, "rate_limit_error"), edited)) == ["error-status"]


# ------------------------------------------------------------------ additions the API may make


def test_unknown_additions_are_allowed(key: str) -> None:
    """New optional fields, headers, block types and error details (Docs, Versions) are not violations."""
    request = json.dumps({**json.loads(BODY), "brand_new_option": {"x": 1}})
    headers = request_headers(key, anthropic_beta="files-api-2025-04-14,some-future-beta")
    reply = json.loads(REPLY)
    reply["content"].append({"type": "future_block", "payload": [1, 2]})
    reply["brand_new_field"] = "x"
    response_headers = {**RESPONSE_HEADERS, "anthropic-priority-input-tokens-limit": "1000"}
    assert (
        check_exchange(
            exchange(headers, request, response_headers=response_headers, response_body=json.dumps(reply)),
            DEFAULT_CONTRACT,
        )
        == []
    )
    details = {"details": {"error_code": "enforced_spend_limit_reached"}}
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "limit", **details}, "new": 1}
    limited = exchange(headers, status=429, response_headers=RATE_LIMITED, response_body=json.dumps(body))
    assert check_exchange(limited, DEFAULT_CONTRACT) == []
    # Older recorded errors lack request_id in the body: still conformant.
    assert (
        check_exchange(
            exchange(
                headers,
                status=529,
                response_body=json.dumps(
                    {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}
                ),
            ),
            DEFAULT_CONTRACT,
        )
        == []
    )


# ------------------------------------------------------------------ compressed bodies


def test_decode_body_undoes_gzip_and_deflate() -> None:
    """gzip, zlib deflate and raw deflate are undone; identity and broken encodings come back unchanged."""
    data = REPLY.encode()
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = raw.compress(data) + raw.flush()
    assert decode_body(gzip.compress(data), "gzip") == data
    assert decode_body(gzip.compress(data), " GZIP ") == data
    assert decode_body(gzip.compress(data), "x-gzip") == data
    assert decode_body(zlib.compress(data), "deflate") == data
    assert decode_body(raw_deflate, "deflate") == data
    assert decode_body(data, None) == data
    assert decode_body(data, "br") == data
    assert decode_body(b"not gzip at all", "gzip") == b"not gzip at all"


def test_gzip_response_is_checked_decoded() -> None:
    """A gzip-compressed response (as vcrpy hands it over) is decoded before the checks read its JSON."""
    wrong = json.dumps({"type": "error", "error": {"type": "api_error", "message": "x"}}).encode()
    raw = {
        "status": {"code": 429, "message": "Too Many Requests"},
        "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]}
        | {k: [v] for k, v in RATE_LIMITED.items() if k != "content-type"},
        "body": {"string": gzip.compress(wrong)},
    }
    playable = _playable_response(raw)
    assert playable["body"]["string"] == wrong
    assert "Content-Encoding" not in playable["headers"]
    response = CapturedResponse(429, lower_headers(playable["headers"]), playable["body"]["string"])
    ex = Exchange(exchange(request_headers("placeholder-credential")).request, response, "live", 1)
    # Decoded, the body is well-shaped and its type is the wrong one for 429: error-status, not error-shape.
    assert rules(check_exchange(ex, DEFAULT_CONTRACT)) == ["error-status"]
    # The same bytes left compressed would not even be JSON: that is what decoding avoids.
    still_compressed = CapturedResponse(429, response.headers, gzip.compress(wrong))
    ex_raw = Exchange(ex.request, still_compressed, "live", 1)
    assert rules(check_exchange(ex_raw, DEFAULT_CONTRACT)) == ["error-shape"]


# ------------------------------------------------------------------ auth-key-kind, per endpoint family

# One endpoint of each family: (method, path, request body, response body).
FAMILIES = {
    "Messages": ("POST", "/v1/messages", BODY, REPLY),
    "Token Counting": ("POST", "/v1/messages/count_tokens", BODY, '{"input_tokens": 3}'),
    "Message Batches": ("GET", "/v1/messages/batches", "", '{"data": [], "has_more": false}'),
    "Models": ("GET", "/v1/models", "", MODELS_PAGE),
    "Files": ("DELETE", "/v1/files/file_01", "", '{"id": "file_01", "type": "file_deleted"}'),
    "Skills": ("GET", "/v1/skills", "", '{"data": []}'),
    "Text Completions (legacy)": (
        "POST",
        "/v1/complete",
        json.dumps({"model": MODEL, "prompt": "Human: Hi", "max_tokens_to_sample": 8}),
        '{"type": "completion", "completion": "Hi", "stop_reason": "stop_sequence"}',
    ),
    "OpenAI SDK compatibility": ("POST", "/v1/chat/completions", '{"model": "x", "messages": []}', "{}"),
    "Agents (beta)": ("GET", "/v1/agents", "", "{}"),
    "Admin API: users": ("GET", "/v1/organizations/users", "", '{"data": [], "has_more": false}'),
    "Admin API: invites": ("DELETE", "/v1/organizations/invites/invite_01", "", "{}"),
    "Admin API: workspaces": ("GET", "/v1/organizations/workspaces", "", '{"data": []}'),
    "Admin API: workspace members": ("GET", "/v1/organizations/workspaces/w_1/members", "", '{"data": []}'),
    "Admin API: API keys": ("GET", "/v1/organizations/api_keys", "", '{"data": []}'),
    "Usage and Cost API": ("GET", "/v1/organizations/cost_report", "", '{"data": []}'),
    "Claude Code Analytics API": ("GET", "/v1/organizations/usage_report/claude_code", "", '{"data": []}'),
}


def family_exchange(family: str, credential: dict[str, str]) -> Exchange:
    method, path, body, answer = FAMILIES[family]
    headers = {"anthropic-version": "2023-06-01", **credential}
    if body:
        headers["content-type"] = "application/json"
    if family == "Agents (beta)":
        headers["anthropic-beta"] = "managed-agents-2026-04-01"
    answered = None
    if family == "OpenAI SDK compatibility":  # answers with x-request-id, and no organization
        answered = {"content-type": "application/json", "x-request-id": "req_01"}
    return exchange(
        headers, body, method=method, url=f"{API}{path}", response_headers=answered, response_body=answer
    )


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
def test_key_kind_fires_and_is_quiet_on_each_endpoint_family(family: str, how: str) -> None:
    """A standard key fails on the Admin API and passes elsewhere; an admin key the other way round;
    an OAuth token and a value of no known shape are never judged. Sent in x-api-key or as Bearer."""
    endpoint = DEFAULT_CONTRACT.profile_for(None).endpoint_for(FAMILIES[family][0], FAMILIES[family][1])
    assert endpoint is not None
    assert endpoint.name == family
    admin = family.startswith(("Admin API", "Usage and Cost", "Claude Code Analytics"))
    assert (endpoint.credential == "admin-key") == admin

    def sent(token: str) -> dict[str, str]:
        return {"x-api-key": token} if how == "x-api-key" else {"authorization": f"Bearer {token}"}

    standard = "sk-ant-" + "api03-" + "Un1t" * 10 + "AA"
    admin_key = "sk-ant-" + "admin01-" + "Adm1" * 10 + "AA"
    oauth = "sk-ant-" + "oat01-" + "0Aut" * 10 + "AA"
    wrong, right = (standard, admin_key) if admin else (admin_key, standard)
    found = check_exchange(family_exchange(family, sent(wrong)), DEFAULT_CONTRACT)
    assert rules(found) == ["auth-key-kind"]
    message = found[0].message
    assert wrong not in message
    assert f"`{wrong[:10]}...` in `{'x-api-key' if how == 'x-api-key' else 'authorization'}`" in message
    assert f"{endpoint.name} ({endpoint.method} {endpoint.path})" in message
    for quiet in (right, oauth, "placeholder-credential"):
        assert check_exchange(family_exchange(family, sent(quiet)), DEFAULT_CONTRACT) == [], quiet


def test_key_kind_messages_name_the_kind() -> None:
    admin_key = "sk-ant-" + "admin01-" + "Adm1" * 10 + "AA"
    standard = "sk-ant-" + "api03-" + "Un1t" * 10 + "AA"
    [on_messages] = check_exchange(family_exchange("Messages", {"x-api-key": admin_key}), DEFAULT_CONTRACT)
    assert on_messages.message == (
        "an admin key (`sk-ant-adm...` in `x-api-key`) is sent to Messages (POST /v1/messages); admin keys "
        "work only on the Admin API (`/v1/organizations/...`), the other endpoints take a standard API key"
    )
    [on_admin] = check_exchange(
        family_exchange("Usage and Cost API", {"x-api-key": standard}), DEFAULT_CONTRACT
    )
    assert on_admin.message == (
        "a standard API key (`sk-ant-api...` in `x-api-key`) is sent to Usage and Cost API "
        "(GET /v1/organizations/cost_report), which takes an admin key"
    )


def test_key_kind_is_not_judged_on_an_unlisted_endpoint() -> None:
    admin_key = "sk-ant-" + "admin01-" + "Adm1" * 10 + "AA"
    headers = {"x-api-key": admin_key, "anthropic-version": "2023-06-01"}
    unlisted = exchange(headers, "", method="GET", url=f"{API}/v1/vaults", response_body="{}")
    assert check_exchange(unlisted, DEFAULT_CONTRACT) == []


# ------------------------------------------------------------------ beta-required


def test_beta_required_fires_without_the_beta_and_is_quiet_with_it(key: str) -> None:
    agents = f"{API}/v1/agents"
    body = json.dumps({"model": MODEL, "name": "Support agent"})
    missing = check_exchange(
        exchange(request_headers(key), body, url=agents, response_body="{}"), DEFAULT_CONTRACT
    )
    assert [(v.rule, v.message) for v in missing] == [
        (
            "beta-required",
            "Agents (beta) (POST /v1/agents) requires the beta 'managed-agents-2026-04-01', and the request "
            "sends no `anthropic-beta` header",
        )
    ]
    other = request_headers(key, anthropic_beta="files-api-2025-04-14")
    [wrong] = check_exchange(exchange(other, body, url=agents, response_body="{}"), DEFAULT_CONTRACT)
    assert wrong.message.endswith("and the request sends `anthropic-beta: files-api-2025-04-14`")
    listed = request_headers(key, anthropic_beta="files-api-2025-04-14, managed-agents-2026-04-01")
    assert check_exchange(exchange(listed, body, url=agents, response_body="{}"), DEFAULT_CONTRACT) == []
    # Files and Skills are generally available: no beta needed (SDK 2.17 client.files sends none).
    files = exchange(
        request_headers(key), "", method="GET", url=f"{API}/v1/skills", response_body='{"data": []}'
    )
    assert check_exchange(files, DEFAULT_CONTRACT) == []


def test_session_event_stream_is_an_event_stream(key: str) -> None:
    """GET /v1/sessions/{id}/events/stream answers with SSE: JSON there is response-content-type."""
    headers = request_headers(key, anthropic_beta="managed-agents-2026-04-01")
    url = f"{API}/v1/sessions/sesn_01/events/stream"
    sse = {**RESPONSE_HEADERS, "content-type": "text/event-stream"}
    events = 'event: message\ndata: {"type": "session.status_idle"}\n\n'
    assert (
        check_exchange(
            exchange(headers, "", method="GET", url=url, response_headers=sse, response_body=events),
            DEFAULT_CONTRACT,
        )
        == []
    )
    assert rules(
        check_exchange(exchange(headers, "", method="GET", url=url, response_body="{}"), DEFAULT_CONTRACT)
    ) == ["response-content-type"]


# ------------------------------------------------------------------ model lifecycle

DAY = date(2026, 12, 7)


def model_exchange(key: str, model: str, path: str = "/v1/messages") -> Exchange:
    body = json.dumps({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]})
    return exchange(request_headers(key), body, url=f"{API}{path}")


def test_retired_model_fails_with_its_date_and_replacement(key: str) -> None:
    [retired] = check_exchange(model_exchange(key, "claude-sonnet-4-5"), DEFAULT_CONTRACT, today=DAY)
    assert (retired.rule, retired.severity) == ("model-retired", "error")
    assert retired.message == (
        "the request names model 'claude-sonnet-4-5', retired on 2026-11-30 (judged on 2026-12-07): the API "
        "refuses it; use 'claude-sonnet-4-6' instead"
    )


def test_deprecated_model_is_a_warning(key: str) -> None:
    [deprecated] = check_exchange(model_exchange(key, "claude-opus-4-5"), DEFAULT_CONTRACT, today=DAY)
    assert (deprecated.rule, deprecated.severity) == ("model-deprecated", "warning")
    assert deprecated.message == (
        "the request names model 'claude-opus-4-5', deprecated: it retires on 2027-01-22 (judged on "
        "2026-12-07); use 'claude-opus-4-8' instead"
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 30), []),  # before the 60 days' notice: active
        (date(2026, 10, 1), ["model-deprecated"]),
        (date(2026, 11, 29), ["model-deprecated"]),
        (date(2026, 11, 30), ["model-retired"]),  # the retirement day itself is refused
    ],
)
def test_status_follows_the_day_judged_on(key: str, day: date, expected: list[str]) -> None:
    assert (
        rules(check_exchange(model_exchange(key, "claude-sonnet-4-5"), DEFAULT_CONTRACT, today=day))
        == expected
    )


@pytest.mark.parametrize(
    "model", ["claude-sonnet-4-6", "claude-sonnet-4-5-preview", "my-fine-tune", "CLAUDE-2.1"]
)
def test_active_and_unknown_models_are_accepted(key: str, model: str) -> None:
    assert check_exchange(model_exchange(key, model), DEFAULT_CONTRACT, today=DAY) == []


@pytest.mark.parametrize(
    "path",
    ["/v1/messages", "/v1/messages/count_tokens", "/v1/complete", "/v1/chat/completions", "/v1/vaults"],
)
def test_model_is_judged_on_every_endpoint_that_names_one(key: str, path: str) -> None:
    found = check_exchange(model_exchange(key, "claude-2.1", path), DEFAULT_CONTRACT, today=DAY)
    assert "model-retired" in rules(found)


def test_each_batch_request_is_judged(key: str) -> None:
    def item(n: int, model: str) -> dict[str, Any]:
        return {
            "custom_id": f"r{n}",
            "params": {"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]},
        }

    body = json.dumps(
        {"requests": [item(0, MODEL), item(1, "claude-3-opus-20240229"), item(2, "claude-opus-4-5")]}
    )
    reply = json.dumps({"id": "msgbatch_01", "type": "message_batch", "processing_status": "in_progress"})
    batch = exchange(request_headers(key), body, url=f"{API}/v1/messages/batches", response_body=reply)
    found = check_exchange(batch, DEFAULT_CONTRACT, today=DAY)
    assert [(v.rule, v.message.split(",")[0]) for v in found] == [
        ("model-retired", "requests[1].params names model 'claude-3-opus-20240229'"),
        ("model-deprecated", "requests[2].params names model 'claude-opus-4-5'"),
    ]


def test_lint_says_what_the_status_was_when_recorded(key: str) -> None:
    [found] = check_exchange(
        model_exchange(key, "claude-sonnet-4-5"), DEFAULT_CONTRACT, today=DAY, recorded_on=date(2026, 9, 1)
    )
    assert found.message.endswith("; recorded 2026-09-01 when it was active")


def test_model_lifecycle_table_is_data() -> None:
    """Every listed id has a source; a user's contract can carry its own table (a platform's)."""
    lifecycle = DEFAULT_CONTRACT.model_lifecycle
    assert all(entry.source for entry in lifecycle.models)
    assert lifecycle.entry_for("claude-sonnet-4-5").retired_on == date(2026, 11, 30)  # type: ignore[union-attr]
    assert lifecycle.entry_for("claude-sonnet-4-6") is None
    own = lifecycle.model_copy(
        update={
            "platform": "Amazon Bedrock",
            "models": (
                ModelLifecycleEntry(model="claude-sonnet-4-6", retired_on=date(2026, 1, 1), source="test"),
            ),
        }
    )
    contract = DEFAULT_CONTRACT.model_copy(update={"model_lifecycle": own})
    assert rules(check_exchange(model_exchange("k", "claude-sonnet-4-6"), contract, today=DAY)) == [
        "model-retired"
    ]
    assert check_exchange(model_exchange("k", "claude-sonnet-4-5"), contract, today=DAY) == []
    # Edits of the profiles keep the table.
    assert contract.with_profile_edits({"2023-06-01": {"notes": "x"}}).model_lifecycle is own


def test_endpoint_lookup_by_first_segment_keeps_the_first_match() -> None:
    """Endpoints are looked up among those that share the path's first segment after /v1/ (and those
    whose segment is a `{name}`): the first listed that matches wins, as in a scan of the whole list."""
    endpoints = (
        Endpoint(name="Literal", method="GET", path="/v1/things/{id}", body="none"),
        Endpoint(name="Any first segment", method="GET", path="/v1/{kind}/{id}", body="none"),
        Endpoint(name="Short", method="GET", path="/health", body="none"),
        Endpoint(name="Root", method="GET", path="/", body="none"),
    )
    profile = DEFAULT_CONTRACT.profile_for(None).model_copy(update={"endpoints": endpoints})
    found = {
        path: (e.name if (e := profile.endpoint_for("GET", path)) else None)
        for path in ("/v1/things/1", "/v1/other/1", "/health", "/", "/v1/things", "/v2/things/1")
    }
    assert found == {
        "/v1/things/1": "Literal",
        "/v1/other/1": "Any first segment",
        "/health": "Short",
        "/": "Root",
        "/v1/things": None,
        "/v2/things/1": None,
    }
    assert profile.endpoint_for("POST", "/v1/things/1") is None
    # Every shipped endpoint is found by its own path, with ids filled in.
    shipped = DEFAULT_CONTRACT.profile_for(None)
    for endpoint in shipped.endpoints:
        path = endpoint.path.replace("{id}", "x_1").replace("{user}", "u_1").replace("{version}", "2")
        assert shipped.endpoint_for(endpoint.method, path) == endpoint, endpoint.path


def test_lifecycle_verdicts_are_not_remembered_with_the_body_rules(key: str) -> None:
    """A replayed body's request-schema verdict is remembered (contract.verdicts); its model's status
    is judged again each time, as it changes with the day."""
    from pytest_claude_contract.contract.verdicts import VerdictStore

    store = VerdictStore(None)
    replayed = model_exchange(key, "claude-sonnet-4-5")
    replayed.origin = "replayed"
    before = check_exchange(replayed, DEFAULT_CONTRACT, verdicts=store, today=date(2026, 9, 1))
    after = check_exchange(replayed, DEFAULT_CONTRACT, verdicts=store, today=date(2026, 12, 7))
    assert (rules(before), rules(after)) == ([], ["model-retired"])
