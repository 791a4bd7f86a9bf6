"""The documented bodies: request-schema, response-schema and version-body.

Unit tests over `_checks.check_exchange` (each rule firing and quiet, unknown additions accepted, every
documented response model on a realistic body), then real pytest sessions over real sockets: the
anthropic SDK and httpx against the stand-in in tests/fake_api.py.
"""

from __future__ import annotations

import glob
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from pytest_claude_contract.cassette.store import load_cassette
from pytest_claude_contract.contract.bodies import BODY_MODELS, DOCUMENTED_STOP_REASONS, validate_body
from pytest_claude_contract.contract.checks import Violation, check_exchange
from pytest_claude_contract.contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    Exchange,
    lower_headers,
)
from pytest_claude_contract.contract.models import (
    DEFAULT_CONTRACT,
    DEFAULT_ENDPOINTS,
    VERTEX_ENDPOINTS,
    Endpoint,
)
from pytest_claude_contract.contract.rules import RULES_BY_ID

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

for _module in ("anthropic", "httpx", "pytest_claude_contract.capture.core"):
    importlib.import_module(_module)  # kept loaded across pytester runs (see test_rules.py)

API = "https://api.anthropic.com"
MODEL = "claude-sonnet-4-6"
HEADERS = {"x-api-key": "placeholder-credential", "anthropic-version": "2023-06-01"}
RESPONSE_HEADERS = {
    "content-type": "application/json",
    "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    "anthropic-organization-id": "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
}
HI = [{"role": "user", "content": "Hi"}]
REQUEST: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": HI}
MESSAGE: dict[str, Any] = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}
BODY_RULES = {"request-schema", "response-schema", "version-body"}


def exchange(
    body: object = REQUEST,
    answer: object = MESSAGE,
    *,
    method: str = "POST",
    path: str = "/v1/messages",
    version: str | None = "2023-06-01",
    status: int = 200,
    content_type: str = "application/json",
    beta: str | None = None,
) -> Exchange:
    """A conformant exchange with the given JSON bodies (None: no body; bytes: as they are)."""
    headers = dict(HEADERS)
    if beta is not None:
        headers["anthropic-beta"] = beta
    if version is None:
        del headers["anthropic-version"]
    else:
        headers["anthropic-version"] = version
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    if raw:
        headers["content-type"] = "application/json"
    request = CapturedRequest(method, f"{API}{path}", lower_headers(headers), raw)
    answer_raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    response_headers = {**RESPONSE_HEADERS, "content-type": content_type}
    response = CapturedResponse(status, lower_headers(response_headers), answer_raw)
    return Exchange(request, response, "live", 1)


def found(ex: Exchange) -> list[Violation]:
    return check_exchange(ex, DEFAULT_CONTRACT)


def messages_of(ex: Exchange, rule: str) -> list[str]:
    return [v.message for v in found(ex) if v.rule == rule]


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in names}


# ------------------------------------------------------------------ request-schema


def test_request_schema_names_the_missing_field() -> None:
    assert messages_of(exchange(without(REQUEST, "max_tokens")), "request-schema") == [
        "the Messages request body does not match the documented request: max_tokens: field required"
    ]
    (violation,) = found(exchange(without(REQUEST, "max_tokens")))
    assert violation.hint == RULES_BY_ID["request-schema"].hint


def test_request_schema_is_quiet_on_conformant_bodies_with_every_documented_field() -> None:
    full = with_(
        REQUEST,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Sun"}]},
        ],
        tools=[{"name": "w", "description": "weather", "input_schema": {"type": "object"}}],
        tool_choice={"type": "auto"},
        stream=False,
        metadata={"user_id": "u-1"},
        stop_sequences=["END"],
        temperature=1,  # an integer is a valid number
        top_p=0.9,
        top_k=40,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert found(exchange(full)) == []
    assert found(exchange(with_(REQUEST, system="Be brief."))) == []


def test_unknown_extra_fields_are_accepted_everywhere() -> None:
    """The API adds optional inputs within a version: new fields, in the body, a message or a block."""
    body = with_(
        REQUEST,
        messages=[{"role": "user", "content": [{"type": "brand_new_block", "payload": 1}], "name": "x"}],
        output_config={"effort": "high"},
        service_tier="auto",
    )
    assert found(exchange(body)) == []
    answer = with_(MESSAGE, container=None, diagnostics={"x": 1}, usage={**MESSAGE["usage"], "speed": "fast"})
    assert found(exchange(answer=answer)) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_tokens": "64"}, "max_tokens: input should be a valid integer (got '64')"),
        ({"max_tokens": True}, "max_tokens: input should be a valid integer (got True)"),
        ({"model": None}, "model: input should be a valid string (got None)"),
        ({"messages": "Hi"}, "messages: input should be a valid list (got 'Hi')"),
        (
            {"messages": [{"role": "system", "content": "Hi"}]},
            "messages[0].role: input should be 'user' or 'assistant' (got 'system')",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"text": "b"}]}]},
            "messages[0].content[1].type: field required",
        ),
        (
            {"messages": [{"role": "user", "content": 5}]},
            "messages[0].content: input should be a string or a list of content blocks (got 5)",
        ),
        ({"messages": [["user", "Hi"]]}, "messages[0]: input should be a JSON object (got a list of 2)"),
        ({"system": [{"type": "text"}]}, "system[0].text: field required"),
        (
            {"system": {"text": "x"}},
            "system: input should be a string or a list of text blocks (got an object)",
        ),
        ({"tools": [{"description": "no name"}]}, "tools[0].name: field required"),
        ({"stream": "true"}, "stream: input should be a valid boolean (got 'true')"),
        ({"stop_sequences": ["a", 1]}, "stop_sequences[1]: input should be a valid string (got 1)"),
        ({"temperature": "0.5"}, "temperature: input should be a valid number (got '0.5')"),
        ({"top_k": 1.5}, "top_k: input should be a valid integer (got 1.5)"),
        ({"tool_choice": "auto"}, "tool_choice: input should be a JSON object (got 'auto')"),
    ],
)
def test_request_schema_names_the_json_path_and_the_value(change: dict[str, Any], message: str) -> None:
    prefix = "the Messages request body does not match the documented request: "
    assert messages_of(exchange(with_(REQUEST, **change)), "request-schema") == [prefix + message]


def test_long_values_are_truncated_and_many_errors_counted() -> None:
    body = {"model": "x" * 500, "max_tokens": "y" * 500, "messages": [{"role": r} for r in "abcdefg"]}
    (message,) = messages_of(exchange(body), "request-schema")
    assert (
        "max_tokens: input should be a valid integer (got 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...)"
        in message
    )
    # 1 (max_tokens) + 7 roles + 7 contents: five listed, ten counted
    assert message.count(": ") == 6
    assert message.endswith("; and 10 more")
    assert "x" * 50 not in message


def test_a_body_that_is_not_a_json_object_is_body_not_json_only() -> None:
    assert [v.rule for v in found(exchange(b"model=claude"))] == ["body-not-json"]
    assert [v.rule for v in found(exchange(["not", "an", "object"]))] == ["body-not-json"]


def test_token_counting_and_batches_have_their_own_request_models() -> None:
    count = {"model": MODEL, "messages": HI}
    assert found(exchange(count, {"input_tokens": 3}, path="/v1/messages/count_tokens")) == []
    assert messages_of(
        exchange(without(count, "messages"), {"input_tokens": 3}, path="/v1/messages/count_tokens"),
        "request-schema",
    ) == ["the Token Counting request body does not match the documented request: messages: field required"]
    batch = {
        "requests": [{"custom_id": "a", "params": REQUEST}, {"custom_id": "b", "params": {"model": MODEL}}]
    }
    assert messages_of(exchange(batch, BATCH, path="/v1/messages/batches"), "request-schema") == [
        "the Message Batches request body does not match the documented request: "
        "requests[1].params.max_tokens: field required; requests[1].params.messages: field required"
    ]


def test_endpoints_without_a_request_model_are_not_checked() -> None:
    assert found(exchange({"anything": 1}, {}, path="/v1/not-documented")) == []
    assert found(exchange({"name": 1}, {}, path="/v1/agents", beta="managed-agents-2026-04-01")) == []


def test_legacy_text_completions_have_their_own_models() -> None:
    assert found(exchange(COMPLETION_REQUEST, COMPLETION, path="/v1/complete")) == []
    assert messages_of(
        exchange(without(COMPLETION_REQUEST, "max_tokens_to_sample"), COMPLETION, path="/v1/complete"),
        "request-schema",
    ) == [
        "the Text Completions (legacy) request body does not match the documented request: "
        "max_tokens_to_sample: field required"
    ]
    assert messages_of(
        exchange(COMPLETION_REQUEST, without(COMPLETION, "completion"), path="/v1/complete"),
        "response-schema",
    ) == [
        "the 200 Text Completions (legacy) response body does not match the documented response: "
        "completion: field required"
    ]


def test_batch_results_are_judged_line_by_line() -> None:
    """Results are JSON Lines (the SDK reads them as a stream): each line against the result model,
    whatever the content type."""
    path = f"/v1/messages/batches/{BATCH['id']}/results"
    good = b'{"custom_id": "a", "result": {"type": "succeeded", "message": {}}}\n{"custom_id": "b", "result": {"type": "expired"}}\n'
    assert found(response_exchange("GET", path, good, content_type="application/binary")) == []
    bad = good + b'{"custom_id": 3, "result": {"type": "errored"}}\nnot json\n'
    assert messages_of(response_exchange("GET", path, bad), "response-schema") == [
        "the Message Batches results (JSON Lines) do not match the documented result: "
        "line 3: custom_id: input should be a valid string (got 3) (and 1 more line)"
    ]


# ------------------------------------------------------------------ response-schema

BATCH = {
    "id": "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF",
    "type": "message_batch",
    "processing_status": "in_progress",
    "request_counts": {"processing": 2, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
    "ended_at": None,
    "created_at": "2026-11-24T12:00:00Z",
    "expires_at": "2026-11-25T12:00:00Z",
    "archived_at": None,
    "cancel_initiated_at": None,
    "results_url": None,
}
MODEL_INFO = {
    "type": "model",
    "id": "claude-sonnet-4-6",
    "display_name": "Claude Sonnet 4.6",
    "created_at": "2026-02-17T00:00:00Z",
}
RICH_MESSAGE = with_(
    MESSAGE,
    content=[
        {"type": "thinking", "thinking": "Let me see.", "signature": "EqQBCgIYAhIM"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
        {"type": "text", "text": "Checking.", "citations": None},
        {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {"query": "x"}},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": []},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    stop_reason="tool_use",
    usage={
        "input_tokens": 2095,
        "output_tokens": 503,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 1800,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "server_tool_use": {"web_search_requests": 1},
        "service_tier": "standard",
    },
)
# Every documented response, on a realistic body: (method, path, body, model that checks it).
RESPONSES = [
    ("POST", "/v1/messages", MESSAGE, "messages_response"),
    ("POST", "/v1/messages", RICH_MESSAGE, "messages_response"),
    ("POST", "/v1/messages/count_tokens", {"input_tokens": 14}, "count_tokens_response"),
    ("POST", "/v1/messages/batches", BATCH, "message_batch"),
    ("GET", "/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF", BATCH, "message_batch"),
    (
        "POST",
        "/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/cancel",
        with_(BATCH, processing_status="canceling"),
        "message_batch",
    ),
    (
        "GET",
        "/v1/messages/batches",
        {"data": [BATCH], "has_more": False, "first_id": BATCH["id"], "last_id": BATCH["id"]},
        "message_batch_list",
    ),
    (
        "DELETE",
        "/v1/messages/batches/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF",
        {"id": BATCH["id"], "type": "message_batch_deleted"},
        "deleted_message_batch",
    ),
    (
        "GET",
        "/v1/models",
        {"data": [MODEL_INFO], "has_more": False, "first_id": MODEL_INFO["id"], "last_id": MODEL_INFO["id"]},
        "models_list",
    ),
    ("GET", "/v1/models/claude-sonnet-4-6", MODEL_INFO, "model_info"),
]
COMPLETION_REQUEST = {"model": MODEL, "prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 8}
COMPLETION = {"type": "completion", "completion": " Hi", "stop_reason": "stop_sequence", "model": MODEL}
FILE = {
    "id": "file_011CNha8iCJcU1wXNR6q4V8w",
    "type": "file",
    "filename": "report.pdf",
    "mime_type": "application/pdf",
    "size_bytes": 102400,
    "created_at": "2026-12-07T10:00:00Z",
    "downloadable": False,
}
SKILL = {
    "id": "skill_01JAbcdefghijklmnopqrstuvw",
    "type": "skill",
    "created_at": "2026-12-07T10:00:00Z",
    "display_name": "My Custom Skill",
    "latest_version_id": "skillver_01",
    "source": {"type": "custom"},
    "updated_at": "2026-12-07T10:00:00Z",
}
WORKSPACE = {"id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "type": "workspace", "name": "Workspace Name"}
API_KEY = {
    "id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
    "type": "api_key",
    "name": "Developer Key",
    "status": "active",
}
USER = {"id": "user_01WCz1FkmYMm4gnmykNKUu3Q", "type": "user", "email": "user@example.com", "role": "user"}
REPORT = {
    "data": [{"starting_at": "2026-12-01T00:00:00Z", "results": []}],
    "has_more": False,
    "next_page": None,
}
ADMIN = "/v1/organizations"
RESPONSES += [
    ("POST", "/v1/complete", COMPLETION, "completion_response"),
    ("POST", "/v1/files", FILE, "file_metadata"),
    ("GET", "/v1/files", {"data": [FILE], "next_page": None}, "file_list"),
    ("GET", f"/v1/files/{FILE['id']}", FILE, "file_metadata"),
    ("DELETE", f"/v1/files/{FILE['id']}", {"id": FILE["id"], "type": "file_deleted"}, "deleted_file"),
    ("POST", "/v1/skills", SKILL, "skill"),
    ("GET", "/v1/skills", {"data": [SKILL], "next_page": None}, "skill_list"),
    ("GET", f"/v1/skills/{SKILL['id']}", SKILL, "skill"),
    ("GET", f"{ADMIN}/users", {"data": [USER], "has_more": False}, "admin_list"),
    ("GET", f"{ADMIN}/workspaces/{WORKSPACE['id']}", WORKSPACE, "workspace"),
    ("GET", f"{ADMIN}/api_keys/{API_KEY['id']}", API_KEY, "api_key"),
    ("GET", f"{ADMIN}/usage_report/messages", REPORT, "report"),
    ("GET", f"{ADMIN}/cost_report", REPORT, "report"),
    ("GET", f"{ADMIN}/usage_report/claude_code", REPORT, "report"),
]
REQUEST_FOR = {
    "/v1/messages": REQUEST,
    "/v1/messages/count_tokens": {"model": MODEL, "messages": HI},
    "/v1/complete": COMPLETION_REQUEST,
}


def response_exchange(method: str, path: str, answer: object, **options: Any) -> Exchange:
    body: object = None if method != "POST" or path.endswith("/cancel") else REQUEST_FOR.get(path)
    if path == "/v1/messages/batches" and method == "POST":
        body = {"requests": [{"custom_id": "a", "params": REQUEST}]}
    return exchange(body, answer, method=method, path=path, **options)


@pytest.mark.parametrize(
    ("method", "path", "answer", "model"), RESPONSES, ids=[f"{r[3]}-{r[1]}" for r in RESPONSES]
)
def test_every_documented_response_validates_on_a_realistic_body(
    method: str, path: str, answer: dict[str, Any], model: str
) -> None:
    assert DEFAULT_CONTRACT.profile_for("2023-06-01").endpoint_for(method, path).response_schema == model  # type: ignore[union-attr]
    assert validate_body(model, answer) == ([], 0)
    assert found(response_exchange(method, path, answer)) == []
    # ... and the same body with its first documented field removed is a response-schema violation.
    first = next(iter(answer))
    (message,) = messages_of(response_exchange(method, path, without(answer, first)), "response-schema")
    assert f": {first}: field required" in message


def test_every_model_in_the_registry_is_exercised() -> None:
    shown = {r[3] for r in RESPONSES} | {
        "messages_request",
        "count_tokens_request",
        "batch_create_request",
        "completion_request",  # test_legacy_text_completions_have_their_own_models
        "batch_result",  # test_batch_results_are_judged_line_by_line
        "messages_request_model_in_url",  # tests/test_platforms.py (Vertex AI's rawPredict)
    }
    assert shown | {"error"} == set(BODY_MODELS)
    endpoints = DEFAULT_ENDPOINTS + VERTEX_ENDPOINTS
    named = {e.request_schema for e in endpoints} | {e.response_schema for e in endpoints}
    assert named - {None} == set(BODY_MODELS) - {"error"}


def test_the_error_body_model_matches_documented_errors() -> None:
    """Kept in the registry for completeness; error-shape / error-status check error responses."""
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert validate_body("error", error) == ([], 0)
    assert validate_body("error", {**error, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}) == ([], 0)
    errors, total = validate_body("error", {"type": "error", "error": {"type": "api_error"}})
    assert [str(e) for e in errors] == ["error.message: field required"]
    assert total == 1


def test_response_schema_names_the_field_and_the_value() -> None:
    answer = with_(MESSAGE, usage={"input_tokens": 8, "output_tokens": "4"})
    (violation,) = found(exchange(answer=answer))
    assert violation.rule == "response-schema"
    assert violation.message == (
        "the 200 Messages response body does not match the documented response: "
        "usage.output_tokens: input should be a valid integer (got '4')"
    )
    assert violation.hint == RULES_BY_ID["response-schema"].hint
    assert messages_of(
        exchange(answer=with_(MESSAGE, type="completion", role="user")), "response-schema"
    ) == [
        "the 200 Messages response body does not match the documented response: "
        "type: input should be 'message' (got 'completion'); role: input should be 'assistant' (got 'user')"
    ]
    assert messages_of(exchange(answer=without(MESSAGE, "stop_reason")), "response-schema") == [
        "the 200 Messages response body does not match the documented response: stop_reason: field required"
    ]
    assert messages_of(exchange(answer=b"<html>oops</html>"), "response-schema") == [
        "the 200 Messages response body does not match the documented response: "
        "(body): input should be a JSON object (got None)"
    ]


@pytest.mark.parametrize("stop_reason", [*DOCUMENTED_STOP_REASONS, None, "a_reason_added_later"])
def test_any_stop_reason_string_is_accepted(stop_reason: str | None) -> None:
    """New enum variants may be added within a version (Docs, Versions): an unknown one is no violation."""
    assert found(exchange(answer=with_(MESSAGE, stop_reason=stop_reason))) == []
    assert messages_of(exchange(answer=with_(MESSAGE, stop_reason=1)), "response-schema") == [
        "the 200 Messages response body does not match the documented response: "
        "stop_reason: input should be a valid string (got 1)"
    ]


def test_unknown_block_types_and_batch_statuses_are_accepted() -> None:
    answer = with_(MESSAGE, content=[{"type": "a_block_added_later", "x": 1}])
    assert found(exchange(answer=answer)) == []
    batch = with_(BATCH, processing_status="a_status_added_later")
    assert found(response_exchange("GET", f"/v1/messages/batches/{BATCH['id']}", batch)) == []


def test_response_schema_skips_errors_streams_and_unmodelled_endpoints() -> None:
    broken = without(MESSAGE, "usage")
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    assert found(exchange(answer=error, status=400)) == []
    stream = b'event: message_stop\ndata: {"type": "message_stop"}\n\n'
    streamed = exchange(with_(REQUEST, stream=True), stream, content_type="text/event-stream")
    assert not {v.rule for v in found(streamed)} & BODY_RULES
    # A stream: true request answered with JSON is response-content-type's, not a body to model.
    assert {v.rule for v in found(exchange(with_(REQUEST, stream=True), broken))} == {"response-content-type"}
    results = b'{"custom_id": "a", "result": {"type": "succeeded"}}\n'
    assert not found(response_exchange("GET", f"/v1/messages/batches/{BATCH['id']}/results", results))
    assert messages_of(exchange(answer=broken), "response-schema")  # the same body, where it is checked


# ------------------------------------------------------------------ version-body

V2 = "2026-10-21"
PREFIX = f"the request sends what `anthropic-version: {V2}` rejects: "


def test_removed_sampling_parameters_fire_only_for_the_version_that_removed_them() -> None:
    body = with_(REQUEST, temperature=0.5, top_p=0.9, top_k=40)
    assert messages_of(exchange(body, version=V2), "version-body") == [
        PREFIX + "temperature: removed in this version (got 0.5); top_p: removed in this version (got 0.9); "
        "top_k: removed in this version (got 40)"
    ]
    assert found(exchange(body, version="2023-06-01")) == []
    # No version declared: that is version-missing, and the body is not judged against the fallback.
    assert [v.rule for v in found(exchange(body, version=None))] == ["version-missing"]
    assert found(exchange(REQUEST, version=V2)) == []
    (violation,) = found(exchange(body, version=V2))
    assert violation.hint == RULES_BY_ID["version-body"].hint


def test_document_block_in_an_assistant_message() -> None:
    document = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}
    messages = [
        {"role": "user", "content": [document, {"type": "text", "text": "Summarise"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Here:"}, document]},
    ]
    assert messages_of(exchange(with_(REQUEST, messages=messages), version=V2), "version-body") == [
        PREFIX + "messages[1].content[1].type: a `document` block in an `assistant` message returns 400"
    ]
    assert found(exchange(with_(REQUEST, messages=messages[:1]), version=V2)) == []
    assert found(exchange(with_(REQUEST, messages=messages), version="2023-06-01")) == []


def test_user_text_with_citations_directly_or_inside_a_search_result() -> None:
    cite = [{"type": "char_location", "cited_text": "x", "document_index": 0}]
    cited = {"type": "text", "text": "As said", "citations": cite}
    search = {"type": "search_result", "source": "https://x", "title": "X", "content": [cited]}
    tool_result = {"type": "tool_result", "tool_use_id": "t1", "content": [search]}
    messages = [
        {"role": "user", "content": [cited, {"type": "text", "text": "ok", "citations": []}, search]},
        {"role": "assistant", "content": [cited]},  # the model's own cited answer: fine
        {"role": "user", "content": [tool_result]},
    ]
    assert messages_of(exchange(with_(REQUEST, messages=messages), version=V2), "version-body") == [
        PREFIX + "messages[0].content[0].citations: a user `text` block with citations returns 400 "
        "(got a list of 1); messages[0].content[2].content[0].citations: a `text` block with citations "
        "inside a `search_result` returns 400 (got a list of 1); messages[2].content[0].content[0].content[0]"
        ".citations: a `text` block with citations inside a `search_result` returns 400 (got a list of 1)"
    ]
    assert found(exchange(with_(REQUEST, messages=messages), version="2023-06-01")) == []


def test_version_body_applies_to_token_counting_and_each_batch_request() -> None:
    count = {"model": MODEL, "messages": [{"role": "assistant", "content": [{"type": "document"}]}]}
    assert messages_of(
        exchange(count, {"input_tokens": 3}, path="/v1/messages/count_tokens", version=V2), "version-body"
    ) == [PREFIX + "messages[0].content[0].type: a `document` block in an `assistant` message returns 400"]
    batch = {
        "requests": [
            {"custom_id": "a", "params": REQUEST},
            {"custom_id": "b", "params": with_(REQUEST, top_k=5)},
        ]
    }
    assert messages_of(exchange(batch, BATCH, path="/v1/messages/batches", version=V2), "version-body") == [
        PREFIX + "requests[1].params.top_k: removed in this version (got 5)"
    ]


def test_version_body_lists_five_and_counts_the_rest() -> None:
    messages = [{"role": "assistant", "content": [{"type": "document"}]} for _ in range(4)]
    body = with_(REQUEST, temperature=0.5, top_p=0.5, top_k=5, messages=messages)
    (message,) = messages_of(exchange(body, version=V2), "version-body")
    assert message.count("; ") == 5
    assert message.endswith(
        "messages[1].content[0].type: a `document` block in an `assistant` message returns 400; and 2 more"
    )


def test_version_body_rules_are_profile_data() -> None:
    """A profile can carry its own removed fields and content flags (and drop the shipped ones)."""
    edited = DEFAULT_CONTRACT.with_profile_edits(
        {
            "2023-06-01": {"removed_request_fields": ["stop_sequences"]},
            V2: {"removed_request_fields": [], "rejects_assistant_document": False},
        }
    )
    old = exchange(with_(REQUEST, stop_sequences=["END"]))
    assert [v.message for v in check_exchange(old, edited)] == [
        "the request sends what `anthropic-version: 2023-06-01` rejects: stop_sequences: removed in this "
        "version (got a list of 1)"
    ]
    new = with_(REQUEST, temperature=0.5, messages=[{"role": "assistant", "content": [{"type": "document"}]}])
    assert check_exchange(exchange(new, version=V2), edited) == []


# ------------------------------------------------------------------ real recorded traffic

REAL_CASSETTES = Path(__file__).parent / "data" / "real-cassettes"  # see PROVENANCE.md there


@pytest.mark.parametrize("path", sorted(REAL_CASSETTES.glob("*.yaml")), ids=lambda p: p.name[:60])
def test_real_recorded_messages_requests_match_the_request_model(path: Path) -> None:
    """Requests the anthropic SDK sent to the real API (2023-06-01, streams) break no body rule, and
    their bodies really are checked: each one validates against `messages_request`."""
    for position, interaction in enumerate(load_cassette(path) or [], 1):
        raw = interaction.response
        response = CapturedResponse(
            raw["status"]["code"], lower_headers(raw["headers"]), raw["body"]["string"]
        )
        ex = Exchange(interaction.request, response, "replayed", position)
        assert interaction.request.path == "/v1/messages"
        assert validate_body("messages_request", interaction.request.json) == ([], 0)
        assert not {v.rule for v in check_exchange(ex, DEFAULT_CONTRACT)} & BODY_RULES


# ------------------------------------------------------------------ the models are data, built lazily


def test_an_endpoint_names_only_known_models() -> None:
    with pytest.raises(ValidationError, match="unknown body model 'message_reqest'"):
        Endpoint(name="X", method="POST", path="/v1/x", request_schema="message_reqest")
    assert Endpoint(name="X", method="POST", path="/v1/x", response_schema="models_list").response_schema


def test_importing_the_contract_builds_no_validator() -> None:
    code = (
        "import time; t = time.perf_counter()\n"
        "from pytest_claude_contract.contract import bodies as _bodies, checks, models\n"
        "assert _bodies._adapter.cache_info().currsize == 0\n"
        "assert not any(m.__pydantic_complete__ for m in _bodies.BODY_MODELS.values())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_one_validator_per_model_is_built_and_reused() -> None:
    from pytest_claude_contract.contract.bodies import _adapter

    found(exchange())
    before = _adapter.cache_info()
    for _ in range(3):
        found(exchange())
    after = _adapter.cache_info()
    assert after.currsize == before.currsize
    assert after.hits == before.hits + 6  # a request and a response model per exchange


# ------------------------------------------------------------------ over real sockets

CLIENTS = """
import json
import os

import anthropic
import httpx

URL = os.environ["FAKE_API_URL"]
KEY = os.environ["ANTHROPIC_API_KEY"]
MODEL = "claude-sonnet-4-6"
HI = [{"role": "user", "content": "Hi"}]


def sdk():
    return anthropic.Anthropic(max_retries=0)  # use as a context manager: no socket left to the GC


def ask(**options):
    with sdk() as client:
        return client.messages.create(model=MODEL, max_tokens=16, messages=HI, **options)


def post(body):
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"}
    return httpx.post(URL + "/v1/messages", headers=headers, content=json.dumps(body))
"""


def lit(text: str) -> str:
    return glob.escape(text)


@pytest.fixture
def run(suite: pytest.Pytester, api_key: str) -> pytest.Pytester:
    suite.makepyfile(body_clients=CLIENTS)
    return suite


def report(api: FakeClaudeAPI, status: int, rule: str) -> list[str]:
    (violation,) = [v for v in EXAMPLES if v.rule == rule]
    return [
        "Claude API contract: 1 violation in 1 of 1 exchange",
        "",
        f"POST {api.url}/v1/messages -> {status} (live), exchange 1",
        f"  {lit(str(violation))}",
        f"    fix: {lit(RULES_BY_ID[rule].hint)}",
    ]


EXAMPLES = [
    Violation(
        "request-schema",
        "the Messages request body does not match the documented request: max_tokens: field required",
        "",
    ),
    Violation(
        "version-body",
        f"the request sends what `anthropic-version: {V2}` rejects: temperature: removed in this version (got 0.5)",
        "",
    ),
    Violation(
        "response-schema",
        "the 200 Messages response body does not match the documented response: "
        "usage.output_tokens: input should be a valid integer (got '2')",
        "",
    ),
]


def test_conformant_sdk_calls_pass(run: pytest.Pytester) -> None:
    run.makepyfile(
        test_sdk="""
        import pytest
        from body_clients import HI, MODEL, sdk

        @pytest.mark.claude_contract(cassette=False)
        def test_calls(claude_contract):
            with sdk() as client:
                reply = client.messages.create(
                    model=MODEL, max_tokens=16, messages=HI, system="Be brief.", stop_sequences=["END"],
                    metadata={"user_id": "u-1"},
                )
                assert reply.content[0].text == "Echo: Hi"
                assert client.messages.count_tokens(model=MODEL, messages=HI).input_tokens == 1
                assert len(list(client.models.list())) == 1
            assert [e.request.headers["anthropic-version"] for e in claude_contract.exchanges] == ["2026-10-21"] * 3
            assert claude_contract.violations == []
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["exchanges checked: 3 (0 replayed, 3 live)", "violations: 0"])


def test_httpx_body_without_max_tokens_is_request_schema(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    run.makepyfile(
        test_httpx="""
        import pytest
        from body_clients import HI, MODEL, post

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_without_max_tokens():
            assert post({"model": MODEL, "messages": HI}).status_code == 400  # the stand-in says so too

        def test_with_max_tokens():
            assert post({"model": MODEL, "max_tokens": 16, "messages": HI, "new_field": 1}).status_code == 200
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["_* test_without_max_tokens _*", *report(api, 400, "request-schema")], consecutive=False
    )
    result.stdout.fnmatch_lines(
        ["*= claude contract =*", "violations: 1 (failing tests)", "  request-schema: 1"]
    )


def test_sdk_2_with_temperature_is_version_body(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    """The SDK 2.x sends 2026-10-21 and no longer takes `temperature=`; code ported from 1.x that passes
    it through `extra_body` reaches the wire, and version-body flags it."""
    run.makepyfile(
        test_sdk2="""
        import pytest
        from body_clients import ask

        pytestmark = pytest.mark.claude_contract(cassette=False)

        def test_temperature():
            with pytest.raises(TypeError, match="temperature"):
                ask(temperature=0.5)  # the SDK 2.x no longer takes it
            ask(extra_body={"temperature": 0.5})

        def test_without_temperature():
            ask()
        """
    )
    result = run.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["_* test_temperature _*", *report(api, 200, "version-body")])
    assert json.loads(api.requests[0].body)["temperature"] == 0.5
    assert api.requests[0].headers["anthropic-version"] == V2


def test_stand_in_with_a_mistyped_field_is_response_schema(run: pytest.Pytester, api: FakeClaudeAPI) -> None:
    run.makepyfile(
        test_fault="""
        import pytest
        from body_clients import ask

        @pytest.mark.claude_contract(cassette=False)
        def test_call():
            ask()
        """
    )
    api.misbehave.add("bad-message-body")
    result = run.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(report(api, 200, "response-schema"), consecutive=True)
    api.misbehave.clear()
    run.runpytest().assert_outcomes(passed=1)


def test_remembered_verdicts_find_what_the_rules_find() -> None:
    """With a verdict store (replay), the body rules' and response rules' verdicts are read back by
    key: for every body, declared version (known, unknown, none) and endpoint, in any order, what
    is found must be what the rules find without the store."""
    from pytest_claude_contract.contract.verdicts import VerdictStore

    bodies = [REQUEST, with_(REQUEST, temperature=0.5), with_(REQUEST, max_tokens="many"), b"not json"]
    versions = [V2, "2023-06-01", "2099-01-01", None]
    paths = ["/v1/messages", "/v1/messages/count_tokens"]
    cases = [(b, v, p) for b in bodies for v in versions for p in paths]
    store = VerdictStore(None)
    for order in (cases, cases[::-1]):  # the first pass fills the store, the second reads it back
        for body, version, path in order:
            plain = check_exchange(exchange(body, version=version, path=path), DEFAULT_CONTRACT)
            remembered = check_exchange(
                exchange(body, version=version, path=path), DEFAULT_CONTRACT, verdicts=store
            )
            assert [(v.rule, v.message) for v in remembered] == [(v.rule, v.message) for v in plain], (
                body,
                version,
                path,
            )
