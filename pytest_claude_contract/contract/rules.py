"""The catalogue of rules: stable ids, what each one checks, how to fix a violation, and an example.

The examples are real exchanges: the test suite runs each one through the checks and asserts that
its rule (and only its rule) fires, and docs/rules.md is generated from this module, so the
documentation cannot drift from what the plugin does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

_OK_HEADERS = {
    "x-api-key": "<your API key>",
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}
_OK_BODY = '{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}'
_OK_RESPONSE_HEADERS = {
    "content-type": "application/json",
    "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    "anthropic-organization-id": "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
}
_OK_RESPONSE_BODY = (
    '{"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", '
    '"model": "claude-sonnet-4-6", "content": [{"type": "text", "text": "Hello!"}], '
    '"stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 8, "output_tokens": 4}}'
)


# Plain dataclasses, not pydantic: plugin.py validates marker arguments against the rule ids at
# collection, and that must not pay for importing pydantic in suites that never use the marker.
@dataclass(frozen=True)
class ExampleRequest:
    method: str = "POST"
    url: str = "https://api.anthropic.com/v1/messages"
    headers: dict[str, str] = field(default_factory=lambda: dict(_OK_HEADERS))
    body: str = _OK_BODY


@dataclass(frozen=True)
class ExampleResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(_OK_RESPONSE_HEADERS))
    # An AWS event stream (Bedrock) is written as the cassette shows it, one group of lines per frame.
    body: str = _OK_RESPONSE_BODY

    def wire_body(self) -> bytes:
        """The body as it crosses the wire: an event stream's frames encoded, anything else as UTF-8."""
        if self.headers.get("content-type") == "application/vnd.amazon.eventstream":
            from .aws_eventstream import body_from_text

            return body_from_text(self.body)
        return self.body.encode("utf-8")


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    id: str
    side: Literal["request", "response"]
    summary: str
    hint: str
    source: str
    # An error fails the test (contract mode strict) and makes `lint` exit 1; a warning is reported
    # (the report, the summary, a pytest warning, lint's output) and fails nothing.
    severity: Severity = "error"
    example_request: ExampleRequest = field(default_factory=ExampleRequest)
    example_response: ExampleResponse = field(default_factory=ExampleResponse)
    # Lets the docs say "a body of 40 MB" without shipping one: the example body is padded to this size.
    example_body_size: int | None = None


def changed_headers(base: dict[str, str], **changes: str | None) -> dict[str, str]:
    """`base` headers with some changed (a value) or removed (None); `x_api_key` names `x-api-key`.
    The rules' examples are made with it, and so are the tests' variations of a request."""
    out = dict(base)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _headers(**changes: str | None) -> dict[str, str]:
    """The conformant request headers with some changed or removed."""
    return changed_headers(_OK_HEADERS, **changes)


def _response_headers(**changes: str | None) -> dict[str, str]:
    return changed_headers(_OK_RESPONSE_HEADERS, **changes)


_STREAM_REQUEST_BODY = (
    '{"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": true, '
    '"messages": [{"role": "user", "content": "Hi"}]}'
)


def _sse(*events: str) -> str:
    """An event-stream body: each event is named after the `type` in its JSON data."""
    return "".join(f"event: {e.split(chr(34))[3]}\ndata: {e}\n\n" for e in events)


_MESSAGE_START = (
    '{"type": "message_start", "message": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", '
    '"role": "assistant", "model": "claude-sonnet-4-6", "content": [], "stop_reason": null, '
    '"stop_sequence": null, "usage": {"input_tokens": 8, "output_tokens": 1}}}'
)
_TEXT_START = '{"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}'
_TEXT_DELTA = '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello!"}}'
_BLOCK_STOP = '{"type": "content_block_stop", "index": 0}'
_MESSAGE_DELTA = (
    '{"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, '
    '"usage": {"output_tokens": 4}}'
)
_MESSAGE_STOP = '{"type": "message_stop"}'


_ADMIN_KEY = "sk-ant-admin01-..."  # read as an admin key; too short to pass for a real one
_STANDARD_KEY = "sk-ant-api03-..."
# Claude on Vertex AI (contract.models.PLATFORMS): the model in the URL, the version in the body, a
# Google OAuth access token as Bearer.
_VERTEX_URL = (
    "https://us-east5-aiplatform.googleapis.com/v1/projects/my-project/locations/us-east5/"
    "publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
)
_VERTEX_HEADERS = {"authorization": "Bearer <Google OAuth access token>", "content-type": "application/json"}
_VERTEX_BODY = (
    '{"anthropic_version": "vertex-2023-10-16", "max_tokens": 64, '
    '"messages": [{"role": "user", "content": "Hi"}]}'
)
_VERTEX_RESPONSE_HEADERS = {"content-type": "application/json"}

# Claude on Amazon Bedrock: the model in the URL, the version in the body, SigV4 signing (the key id
# is AKIDEXAMPLE, the one AWS's SigV4 documentation signs with), streams in AWS event-stream frames.
_BEDROCK_URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-6-v1:0/invoke"
_BEDROCK_STREAM_URL = _BEDROCK_URL + "-with-response-stream"
_BEDROCK_HEADERS = {
    "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, "
    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    "content-type": "application/json",
    "x-amz-date": "20261207T120000Z",
}
_BEDROCK_BODY = (
    '{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, '
    '"messages": [{"role": "user", "content": "Hi"}]}'
)
_BEDROCK_RESPONSE_HEADERS = {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": "2b8a3c1e-5d6f-4a7b-8c9d-0e1f2a3b4c5d",
}


def _frames(*events: str, broken: str = "") -> str:
    """An event-stream body as the cassette writes it: a `chunk` frame per event (its `bytes`
    decoded), and `broken` as one more frame's payload, after the first."""
    group = ":event-type: chunk\n:content-type: application/json\n:message-type: event\n"
    groups = [f"{group}data: {event}\n" for event in events]
    if broken:
        groups.insert(1, f"{group}payload: {broken}\n")
    return "\n".join(groups)


RULES: tuple[Rule, ...] = (
    Rule(
        id="auth-missing",
        side="request",
        summary="The request carries no credentials: no `x-api-key` header and no `Authorization` header.",
        hint="Send the API key in the `x-api-key` header (the SDK does this when given `api_key=`), "
        "or a token as `Authorization: Bearer <token>`.",
        source="Docs, API overview: Authentication",
        example_request=ExampleRequest(headers=_headers(x_api_key=None)),
    ),
    Rule(
        id="auth-scheme",
        side="request",
        summary="Credentials are sent in a form the request's API version or platform does not accept: "
        "`Authorization` with a scheme other than Bearer (or SigV4's `AWS4-HMAC-SHA256`, on Amazon "
        "Bedrock only), a bare `api-key` header (accepted by Foundry only), a key in the URL query, a "
        "scheme the profile was narrowed to exclude (`auth=[...]`), or a Claude API key sent to a "
        "platform that takes its own credentials (Vertex AI, Foundry, Amazon Bedrock).",
        hint="Send the key as `x-api-key: <key>` or `Authorization: Bearer <token>`; never in the URL, "
        "where proxies and logs keep it.",
        source="Docs, API overview: Authentication",
        example_request=ExampleRequest(headers=_headers(x_api_key=None, authorization="Basic dXNlcjprZXk=")),
    ),
    Rule(
        id="version-missing",
        side="request",
        summary="The request has no `anthropic-version` header (required on every endpoint except the "
        "OpenAI-compatible one).",
        hint="Send `anthropic-version: 2023-06-01` (or the version your client was written for).",
        source="Docs, API overview; Versions",
        example_request=ExampleRequest(headers=_headers(anthropic_version=None)),
    ),
    Rule(
        id="version-unknown",
        side="request",
        summary="The `anthropic-version` value is not a documented version (or not one this test accepts "
        "with `api_versions=[...]`).",
        hint="Use a documented version; add a profile in configuration if you target a newer one.",
        source="Docs, Versions",
        example_request=ExampleRequest(headers=_headers(anthropic_version="2024-01-01")),
    ),
    Rule(
        id="content-type",
        side="request",
        summary="A request body is sent without the content type its endpoint takes: "
        "`application/json` (Files uploads: `multipart/form-data`).",
        hint="Send `content-type: application/json` with JSON bodies.",
        source="Docs, API overview: Content types; Files API",
        example_request=ExampleRequest(headers=_headers(content_type="text/plain")),
    ),
    Rule(
        id="body-too-large",
        side="request",
        summary="The request body, as sent on the wire, is over its endpoint's limit (32 MB for Messages "
        "and Token Counting, 256 MB for Message Batches, 500 MB for Files); the API would answer 413. "
        "Reported before the request is sent.",
        hint="Send large documents through the Files API, or split the work into a Message Batch.",
        source="Docs, API overview: Request size limits",
        example_body_size=32_000_001,
    ),
    Rule(
        id="body-not-json",
        side="request",
        summary="A request to a JSON endpoint has a body that is not a JSON object.",
        hint="Serialise the request body with a JSON encoder (e.g. `json.dumps(payload)`).",
        source="Docs, API overview: Content types",
        example_request=ExampleRequest(body="model=claude-sonnet-4-6&max_tokens=64"),
    ),
    Rule(
        id="response-request-id",
        side="response",
        summary="The response has no `request-id` header (the OpenAI-compatible endpoint, "
        "`/v1/chat/completions`: no `x-request-id`).",
        hint="The API sends `request-id` on every response (its OpenAI-compatible endpoint: "
        "`x-request-id`): a proxy or stub in between dropped it, or the cassette was edited. Keep it: "
        "support needs it to trace a request.",
        source="Docs, API overview: Response headers; the `x-request-id` of the OpenAI-compatible "
        "endpoint is observed in real recordings",
        example_response=ExampleResponse(headers=_response_headers(request_id=None)),
    ),
    Rule(
        id="response-organization-id",
        side="response",
        summary="The response has no `anthropic-organization-id` header. Not asked of a 401 "
        "`authentication_error` (a bad key: the API knows no organization), nor of the "
        "OpenAI-compatible endpoint. A replayed answer recorded before 2025-02-10, when the API started "
        "sending it, is reported as recorded before the header existed and does not fail.",
        hint="The API sends `anthropic-organization-id` on every response but a 401: a proxy or stub in "
        "between dropped it, or the cassette was edited.",
        source="Docs, API overview: Response headers; the date, API release notes; the 401, observed in "
        "real recordings",
        example_response=ExampleResponse(headers=_response_headers(anthropic_organization_id=None)),
    ),
    Rule(
        id="response-content-type",
        side="response",
        summary="The response's content type is not the documented one: `application/json`, or "
        "`text/event-stream` for a successful `stream: true` request (on Amazon Bedrock, "
        "`application/vnd.amazon.eventstream` for InvokeModelWithResponseStream).",
        hint="Whatever answered is not behaving like the API (a proxy's HTML error page, a stub); "
        "check `base_url` and the stub.",
        source="Docs, API overview: Content types; Streaming Messages",
        example_response=ExampleResponse(headers=_response_headers(content_type="text/html")),
    ),
    Rule(
        id="error-shape",
        side="response",
        summary='An error response (status >= 400) whose body is not `{"type": "error", "error": '
        '{"type": ..., "message": ...}}` (Vertex AI: or Google\'s `{"error": {"code", "message", '
        '"status"}}`; Amazon Bedrock: AWS\'s `{"message": ...}`, its type in `x-amzn-errortype`).',
        hint="Whatever answered is not the API (a proxy, a load balancer, a stub): point the client at "
        "the API or make the stub answer with the documented error shape.",
        source="Docs, Errors",
        example_response=ExampleResponse(
            status=429, headers=_response_headers(retry_after="30"), body='{"error": "slow down"}'
        ),
    ),
    Rule(
        id="error-status",
        side="response",
        summary="An error response whose `error.type` does not belong to its HTTP status (e.g. 429 must "
        "be `rate_limit_error`, 529 `overloaded_error`; other 4xx may be `invalid_request_error`; on "
        "Amazon Bedrock, the `x-amzn-errortype` against the status the Runtime API model gives it, "
        "e.g. `ThrottlingException` 429, `ValidationException` 400).",
        hint="Retry logic keys on the status: a stub that pairs them wrongly tests the wrong branch.",
        source="Docs, Errors",
        example_response=ExampleResponse(
            status=429,
            headers=_response_headers(retry_after="30"),
            body='{"type": "error", "error": {"type": "api_error", "message": "Internal error"}}',
        ),
    ),
    Rule(
        id="stream-order",
        side="response",
        summary="A Messages event stream whose events are out of the documented order: `message_start` "
        "first; per content block `content_block_start`, its `content_block_delta`s, "
        "`content_block_stop`; then one or more `message_delta`; `message_stop` last. `ping` and event "
        "types the docs do not list may come anywhere; an `error` event may end the stream early.",
        hint="Whatever produced the stream is not behaving like the API (a stub, a proxy that buffers "
        "or reorders, an edited cassette): SDKs build the message from this order. Re-record it, or "
        "emit the events in the documented order.",
        source="Docs, Streaming Messages",
        example_request=ExampleRequest(body=_STREAM_REQUEST_BODY),
        example_response=ExampleResponse(
            headers=_response_headers(content_type="text/event-stream"),
            body=_sse(_MESSAGE_START, _TEXT_START, _TEXT_DELTA, _BLOCK_STOP, _MESSAGE_STOP, _MESSAGE_DELTA),
        ),
    ),
    Rule(
        id="stream-event",
        side="response",
        summary="An event in a Messages stream whose data does not fit it: `data:` is not a JSON object, "
        "its `type` differs from the `event:` name, a content block event has no `index`, or a delta "
        "type is in the wrong kind of block (`text_delta` belongs in text blocks, `input_json_delta` in "
        "tool use blocks, `thinking_delta` and `signature_delta` in thinking blocks). Delta and block "
        "types the docs do not list are accepted.",
        hint="Whatever produced the stream is not the API (a stub, an edited cassette): SDKs dispatch "
        "on the event name and the delta type. Re-record it, or emit events as the API does.",
        source="Docs, Streaming Messages",
        example_request=ExampleRequest(body=_STREAM_REQUEST_BODY),
        example_response=ExampleResponse(
            headers=_response_headers(content_type="text/event-stream"),
            body=_sse(
                _MESSAGE_START,
                _TEXT_START,
                _TEXT_DELTA.replace('"text_delta", "text"', '"thinking_delta", "thinking"'),
                _BLOCK_STOP,
                _MESSAGE_DELTA,
                _MESSAGE_STOP,
            ),
        ),
    ),
    Rule(
        id="ratelimit-headers",
        side="response",
        summary="A rate-limit header with a malformed value: "
        "`anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining}` must be "
        "non-negative integers and `...-reset` an RFC 3339 time; `retry-after` must be a number of "
        "seconds or an HTTP date, and a 429 must carry it (not on Amazon Bedrock, whose docs promise "
        "none). Other `anthropic-ratelimit-*` names are accepted.",
        hint="Retry and back-off logic reads these headers: a stub that omits `retry-after` on 429 or "
        "sends malformed limits tests a path the API never takes. Send them as the API does.",
        source="Docs, Rate limits; Errors",
        example_response=ExampleResponse(
            status=429,
            headers=_response_headers(
                anthropic_ratelimit_requests_limit="50",
                anthropic_ratelimit_requests_remaining="0",
                anthropic_ratelimit_requests_reset="2026-11-24T12:00:30Z",
            ),
            body='{"type": "error", "error": {"type": "rate_limit_error", "message": '
            '"Number of requests has exceeded your rate limit"}}',
        ),
    ),
    Rule(
        id="beta-header",
        side="request",
        summary="The request's `anthropic-beta` header is not a comma-separated list of beta names "
        "(lowercase letters, digits and hyphens, such as `files-api-2025-04-14`): an entry is empty or "
        "has other characters. On a platform that reads the version from the body (Vertex AI, Amazon "
        "Bedrock), the body's `anthropic_beta` is checked too: a list of such names.",
        hint="Send `anthropic-beta: name1,name2` with names as the docs spell them (the SDK's "
        "`betas=[...]` does this).",
        source="Docs, Beta headers",
        example_request=ExampleRequest(
            headers=_headers(anthropic_beta="prompt-caching-2024-07-31; pdfs-2024-09-25")
        ),
    ),
    Rule(
        id="request-schema",
        side="request",
        summary="A JSON request body misses or mistypes a field its endpoint's documented request "
        "model requires (Messages, Token Counting, Message Batches): e.g. no `max_tokens`, a `content` "
        "block without a `type`, `max_tokens` as a string. Unknown extra fields are accepted.",
        hint="Send the fields the endpoint reference lists, with their documented types; the message "
        "names each JSON path (the SDK's typed `messages.create(...)` builds a valid body).",
        source="Docs, Messages API reference (Token Counting, Message Batches); SDK `types/`",
        example_request=ExampleRequest(
            body='{"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}'
        ),
    ),
    Rule(
        id="response-schema",
        side="response",
        summary="A successful (2xx) JSON response misses or mistypes a field of its endpoint's documented "
        "response model (the Message object, a token count, a Message Batch, a model list). Unknown "
        "extra fields and new enum values (an unknown `stop_reason`) are accepted; streams are not "
        "checked here.",
        hint="Whatever answered is not the API, or the cassette was edited: make the stub or the "
        "cassette answer with the documented body (the SDK parses it into typed objects).",
        source="Docs, Messages API reference (Token Counting, Message Batches, Models); SDK `types/`",
        example_response=ExampleResponse(
            body=_OK_RESPONSE_BODY.replace('"output_tokens": 4', '"output_tokens": "4"')
        ),
    ),
    Rule(
        id="version-body",
        side="request",
        summary="A request that declares an `anthropic-version` sends what that version removed or "
        "rejects. For 2026-10-21: `temperature`, `top_p` and `top_k`; a `document` block directly in an "
        "`assistant` message; a user `text` block with a non-empty `citations` array (directly or inside "
        "a `search_result`). Checked in Messages, Token Counting and each Message Batches request.",
        hint="Follow the version's migration guide (drop the removed parameters, move documents and "
        "cited text where the version takes them), or declare the version the code was written for.",
        source="Docs, Versions",
        example_request=ExampleRequest(
            headers=_headers(anthropic_version="2026-10-21"),
            body='{"model": "claude-sonnet-4-6", "max_tokens": 64, "temperature": 0.5, '
            '"messages": [{"role": "user", "content": "Hi"}]}',
        ),
    ),
    Rule(
        id="beta-required",
        side="request",
        summary="A request to a beta endpoint does not list the beta it requires in `anthropic-beta` "
        "(the Managed Agents endpoints `/v1/agents`, `/v1/sessions` and `/v1/environments` need "
        "`managed-agents-2026-04-01`); the API refuses it. The endpoint table names each endpoint's beta.",
        hint="Send the beta in `anthropic-beta` (the SDK's `client.beta....` resources add it), alongside "
        "any others, comma-separated.",
        source="Docs, API overview (Endpoints); Beta headers; SDK resources/beta/",
        example_request=ExampleRequest(
            url="https://api.anthropic.com/v1/agents",
            body='{"model": "claude-sonnet-4-6", "name": "Support agent"}',
        ),
        example_response=ExampleResponse(
            body='{"id": "agent_011CSHoEeqs5C35K2UUqR7Fy", "type": "agent", "name": "Support agent"}'
        ),
    ),
    Rule(
        id="auth-key-kind",
        side="request",
        summary="The key sent is the wrong kind for the endpoint: a standard API key (`sk-ant-api03-...`) "
        "on the Admin API (`/v1/organizations/...`), which takes an admin key (`sk-ant-admin01-...`), "
        "or an admin key on any other endpoint (Messages, Models, Files...). Judged from the key in "
        "`x-api-key` or `Authorization: Bearer` as the client sent it; an OAuth token "
        "(`sk-ant-oat01-...`) or a value of another shape is not judged.",
        hint="Use an admin key (Console, Settings, Admin keys) for the Admin API only, and a standard "
        "API key for everything else: an admin key cannot call Messages, and a leaked admin key can "
        "manage the whole organization, so keep it out of inference code.",
        source="Docs, Admin API overview",
        example_request=ExampleRequest(headers=_headers(x_api_key=_ADMIN_KEY)),
    ),
    Rule(
        id="model-deprecated",
        side="request",
        summary="The request names a deprecated model: still served, but with a retirement date after "
        "which the API refuses it. A warning: reported, but it fails no test and does not make "
        "`lint` exit 1. `pytest-claude-contract models` prints the table of ids and dates; an id it "
        "does not list is accepted.",
        hint="Move to the suggested replacement before the retirement date (the SDK warns at run time "
        "too); test with the new model well before then.",
        source="Docs, Model deprecations; SDK anthropic/_data/deprecated_models.py",
        severity="warning",
        example_request=ExampleRequest(body=_OK_BODY.replace("claude-sonnet-4-6", "claude-opus-4-5")),
    ),
    Rule(
        id="model-retired",
        side="request",
        summary="The request names a retired model: the API refuses it (an error, not an answer). The "
        "plugin judges by today's date; `lint` by today's and says what the model's status was when "
        "the cassette was recorded (`recorded_at`, else the response's `Date`).",
        hint="Change the model id to the suggested replacement and re-record the cassette: a replayed "
        "cassette hides that the live API would refuse the request.",
        source="Docs, Model deprecations",
        example_request=ExampleRequest(body=_OK_BODY.replace("claude-sonnet-4-6", "claude-sonnet-4-5")),
    ),
    Rule(
        id="platform-version-body",
        side="request",
        summary="A request to a platform that reads the version from the body (Vertex AI, Amazon "
        "Bedrock) has no `anthropic_version` field there, or one the platform does not accept: "
        "`vertex-2023-10-16` or `bedrock-2023-05-31` (SDK 0.x and 1.x) or an API version (SDK 2.x "
        "sends `2026-10-21`). An `anthropic-version` header is not read there.",
        hint='Put the version in the body, e.g. `"anthropic_version": "vertex-2023-10-16"` (the SDK\'s '
        "`AnthropicVertex` and `AnthropicBedrock` clients do this).",
        source="Docs, Claude on Vertex AI; Bedrock user guide, Anthropic Claude Messages API; SDK "
        "anthropic/lib/vertex/_client.py, anthropic/lib/bedrock/_client.py",
        example_request=ExampleRequest(
            url=_VERTEX_URL,
            headers={**_VERTEX_HEADERS, "anthropic-version": "2023-06-01"},
            body='{"max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}',
        ),
        example_response=ExampleResponse(headers=_VERTEX_RESPONSE_HEADERS),
    ),
    Rule(
        id="platform-model-in-body",
        side="request",
        summary="A request to an endpoint that takes the model from its URL (Vertex AI's `rawPredict` "
        "and `streamRawPredict`: `.../publishers/anthropic/models/{model}:rawPredict`; Amazon "
        "Bedrock's `/model/{modelId}/invoke` and `/invoke-with-response-stream`) names `model` in the "
        "body too.",
        hint="Leave `model` out of the body: name it in the URL (the SDK's `AnthropicVertex` and "
        "`AnthropicBedrock` clients move it there).",
        source="Docs, Claude on Vertex AI; Bedrock Runtime API reference (InvokeModel: `modelId` in the "
        "URI); SDK anthropic/lib/vertex/_client.py, anthropic/lib/bedrock/_client.py",
        example_request=ExampleRequest(
            url=_VERTEX_URL,
            headers=_VERTEX_HEADERS,
            body=_VERTEX_BODY.replace('"max_tokens"', '"model": "claude-sonnet-4-5@20250929", "max_tokens"'),
        ),
        example_response=ExampleResponse(headers=_VERTEX_RESPONSE_HEADERS),
    ),
    Rule(
        id="bedrock-sigv4",
        side="request",
        summary="A SigV4-signed request to Amazon Bedrock whose signature cannot be valid: the "
        "`Authorization: AWS4-HMAC-SHA256` value lacks `Credential`, `SignedHeaders` or `Signature`; "
        "its credential scope names another service than `bedrock` (`bedrock-mantle` on Bedrock's Mantle "
        "endpoint) or another region than the host's; "
        "no `x-amz-date` (nor a signed `Date`) is sent, or one not on the scope's date, or it or "
        "`host` is not signed; "
        "temporary credentials (an access key id starting `ASIA`) are sent without their "
        "`x-amz-security-token`, or a long-term key (`AKIA`) with one.",
        hint="Sign with botocore's SigV4Auth for service `bedrock` and the endpoint's region (the SDK's "
        "`AnthropicBedrock` does), passing the session token of temporary credentials "
        "(`aws_session_token=`).",
        source="AWS IAM user guide, Signature Version 4 (signed requests, credential scope, temporary "
        "credentials); Bedrock Runtime API model (signingName `bedrock`); SDK anthropic/lib/aws/_auth.py",
        example_request=ExampleRequest(
            url=_BEDROCK_URL,
            headers={
                **_BEDROCK_HEADERS,
                "authorization": _BEDROCK_HEADERS["authorization"].replace("/bedrock/", "/bedrock-runtime/"),
            },
            body=_BEDROCK_BODY,
        ),
        example_response=ExampleResponse(
            headers={**_BEDROCK_RESPONSE_HEADERS, "content-type": "application/json"}
        ),
    ),
    Rule(
        id="bedrock-stream-frame",
        side="response",
        summary="An Amazon Bedrock stream (`application/vnd.amazon.eventstream`) that cannot be read as "
        "the SDK reads it: a frame whose prelude or message CRC32 does not match its bytes, a length "
        "no frame can have, a stream that ends inside a frame, or a `chunk` whose payload is not "
        'JSON `{"bytes": "<base64 of a Messages event>"}`. Exception frames (`:message-type: '
        "exception`) are read as `error` events.",
        hint="Whatever produced the stream is not Bedrock (a stub, a proxy that rewrites bytes, a "
        "cassette edited as bytes): the SDK's botocore decoder stops at such a frame. Re-record it, or "
        "emit frames as Bedrock does (tests/fake_bedrock.py shows how).",
        source="Bedrock Runtime API model (ResponseStream, PayloadPart); botocore eventstream.py; SDK "
        "anthropic/lib/bedrock/_stream_decoder.py",
        example_request=ExampleRequest(url=_BEDROCK_STREAM_URL, headers=_BEDROCK_HEADERS, body=_BEDROCK_BODY),
        example_response=ExampleResponse(
            headers=_BEDROCK_RESPONSE_HEADERS,
            body=_frames(
                _MESSAGE_START,
                _TEXT_START,
                _TEXT_DELTA,
                _BLOCK_STOP,
                _MESSAGE_DELTA,
                _MESSAGE_STOP,
                broken='{"chunk": "Hello!"}',
            ),
        ),
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULE_IDS: tuple[str, ...] = tuple(RULES_BY_ID)
