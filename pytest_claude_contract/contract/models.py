"""The Claude API's HTTP contract as data.

Every fact the checks use lives here, with its source in shared/CONTRACT.md terms: the Claude API
documentation ("Docs") or the official SDK ("SDK"). Checks read these models; they hold no facts of
their own, so a user can change any of them (``profiles=`` in the marker or ``claude_contract_config``).

A request is judged by a `Platform` (the first-party API, Vertex AI, Foundry, ...), chosen by its
host, and within it by the `Profile` of the API version it sends. See `Platform` for how to add one.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..plugin.options import AUTH_VALUES, DOCUMENTED_VERSIONS, PLATFORM_HOSTS
from .exchange import EVENTSTREAM

if TYPE_CHECKING:
    from collections.abc import Iterable

# `x-api-key: <key>`; `Authorization: Bearer <token>`; the bare `api-key: <key>` header (Foundry's);
# `Authorization: AWS4-HMAC-SHA256 ...` (SigV4, Bedrock's). plugin.options.AUTH_VALUES lists the same.
AuthScheme = Literal["x-api-key", "bearer", "api-key", "sigv4"]
AUTH_SCHEMES: tuple[str, ...] = ("x-api-key", "bearer", "api-key", "sigv4")
BodyKind = Literal["json", "multipart", "none"]
# The error bodies a platform answers with: the API's {"type": "error", "error": {type, message}};
# Google's {"error": {"code", "message", "status"}} (Vertex AI's own front end: a bad token, a quota).
# AWS's REST-JSON errors {"message": ...} with the type in `x-amzn-errortype` (Amazon Bedrock).
ErrorShape = Literal["anthropic", "google", "aws"]
# The response headers a rule asks for (each has its rule: checks._RESPONSE_HEADER_RULES).
ResponseHeader = Literal["request-id", "anthropic-organization-id", "x-request-id"]
# Which kind of key an endpoint takes (rule auth-key-kind): the Admin API (`/v1/organizations/...`)
# takes an admin key, every other endpoint a standard API key (Docs, Admin API overview).
KeyKind = Literal["api-key", "admin-key"]

_KEY_PREFIXES: dict[KeyKind, str] = {"api-key": "sk-ant-api", "admin-key": "sk-ant-admin"}
MB = 1_000_000  # the docs give limits in MB; we read them as decimal megabytes, the stricter reading


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeaderIntroduced(_Model):
    """The day the API started sending a response header, and where that is said."""

    since: date
    source: str


# The names of `bodies.BODY_MODELS`, which that module checks at import: the contract is built
# without importing the body models (about 42 M instructions, 10 ms, of class definitions; a replay
# whose verdicts are remembered never validates a body).
BODY_MODEL_NAMES = (
    "messages_request",
    "messages_request_model_in_url",
    "count_tokens_request",
    "batch_create_request",
    "messages_response",
    "count_tokens_response",
    "message_batch",
    "message_batch_list",
    "deleted_message_batch",
    "model_info",
    "models_list",
    "batch_result",
    "completion_request",
    "completion_response",
    "file_metadata",
    "file_list",
    "deleted_file",
    "skill",
    "skill_list",
    "admin_list",
    "workspace",
    "api_key",
    "report",
    "error",
)


class Endpoint(_Model):
    """One API endpoint: how a request to it must look."""

    name: str
    method: str
    path: str = Field(description="Path pattern; `{name}` matches one path segment.")
    body: BodyKind = "json"
    max_body_bytes: int | None = Field(default=32 * MB, description="Docs: 'Request size limits'.")
    # jsonl: one JSON object a line (Message Batches results), each line checked against the response
    # model; its content type is not checked. event-stream: the endpoint always answers with a stream
    # (the platform's stream content type: SSE, or Amazon Bedrock's AWS event stream).
    response_body: Literal["json", "binary", "jsonl", "event-stream"] = "json"
    credential: KeyKind = Field(
        default="api-key", description="The kind of key the endpoint takes (rule auth-key-kind)."
    )
    required_beta: str | None = Field(
        default=None,
        description="A beta name the request's `anthropic-beta` must list (rule beta-required).",
    )
    requires_version: bool = Field(
        default=True,
        description="False for the OpenAI-compatible endpoint, which takes no anthropic-version.",
    )
    openai_errors: bool = Field(
        default=False,
        description="Error bodies may also take OpenAI's shape, {error: {message, type, ...}}, as an "
        "OpenAI-compatible endpoint's clients expect (not yet seen in recorded traffic).",
    )
    model_in_url: bool = Field(
        default=False,
        description="The model is named in the URL path (Vertex AI's rawPredict): a `model` field in the "
        "body is a violation (rule platform-model-in-body).",
    )
    messages_stream: bool = Field(
        default=False,
        description="A `stream: true` request is answered with a Messages event stream (rules "
        "stream-order, stream-event).",
    )
    response_headers: tuple[ResponseHeader, ...] | None = Field(
        default=None,
        description="The headers every answer from this endpoint carries; None: the profile's "
        "`required_response_headers`. The OpenAI-compatible endpoint answers with `x-request-id`, not "
        "`request-id`, and no organization header (observed in real recordings).",
    )
    # Names of models in `bodies.BODY_MODELS` (rules request-schema / response-schema); None: not checked.
    request_schema: str | None = None
    response_schema: str | None = Field(default=None, description="Checked on 2xx JSON responses.")

    @field_validator("request_schema", "response_schema")
    @classmethod
    def _known_schema(cls, value: str | None) -> str | None:
        if value is not None and value not in BODY_MODEL_NAMES:
            raise ValueError(f"unknown body model {value!r}; known: {', '.join(BODY_MODEL_NAMES)}")
        return value

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.path))
        return re.compile(pattern + "/?")

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self._regex.fullmatch(path) is not None

    @property
    def limit_text(self) -> str:
        if self.max_body_bytes is None:
            return "no limit"
        if self.max_body_bytes % MB == 0:
            return f"{self.max_body_bytes // MB} MB"
        return f"{self.max_body_bytes:,} bytes"


class Profile(_Model):
    """What one `anthropic-version` value promises and requires."""

    version: str
    status: Literal["current", "supported", "legacy"] = "supported"
    auth: tuple[AuthScheme, ...] = ("x-api-key", "bearer")
    json_content_type: str = "application/json"
    multipart_content_type: str = "multipart/form-data"
    # Each has its own rule id; a profile can drop one (a gateway that strips it), not add others.
    required_response_headers: tuple[ResponseHeader, ...] = ("request-id", "anthropic-organization-id")
    # A recording made before the API sent a header lacks it for that reason: "recorded before the
    # header existed", not a failure.
    response_headers_since: dict[str, HeaderIntroduced] = Field(
        default_factory=lambda: {
            "anthropic-organization-id": HeaderIntroduced(
                since=date(2025, 2, 10), source="the API release notes"
            )
        }
    )
    # Observed (live recordings of 2025-12-30 in a public project): a 401 authentication_error (a bad
    # key) carries `request-id` but no organization, as no organization is known.
    response_headers_absent_on_error: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict[str, tuple[str, ...]](
            {"anthropic-organization-id": ("authentication_error",)}
        )
    )
    # Docs, Errors: the error type each HTTP status carries.
    error_types: dict[int, str] = Field(
        default_factory=lambda: {
            400: "invalid_request_error",
            401: "authentication_error",
            402: "billing_error",
            403: "permission_error",
            404: "not_found_error",
            409: "conflict_error",
            413: "request_too_large",
            429: "rate_limit_error",
            500: "api_error",
            504: "timeout_error",
            529: "overloaded_error",
        }
    )
    # Docs, Errors: "invalid_request_error ... also allowed for other 4xx not listed".
    fallback_4xx_error_type: str = "invalid_request_error"
    # Docs, Versions: request fields a version removed, and content a version rejects with 400 (rule
    # version-body). Read from every Messages-shaped request: Messages, Token Counting, each batch item.
    removed_request_fields: tuple[str, ...] = ()
    rejects_assistant_document: bool = Field(
        default=False, description="A `document` block directly in an `assistant` message returns 400."
    )
    rejects_user_text_citations: bool = Field(
        default=False,
        description="A user `text` block with a non-empty `citations` array (directly or inside a "
        "`search_result` block) returns 400.",
    )
    endpoints: tuple[Endpoint, ...]
    notes: str = ""
    # Docs, Admin API overview: admin keys start `sk-ant-admin01-`, standard keys `sk-ant-api03-`; the
    # generation digits are left out so that a later one is still told apart (rule auth-key-kind).
    key_prefixes: dict[KeyKind, str] = Field(default_factory=lambda: dict(_KEY_PREFIXES))

    @field_validator("auth")
    @classmethod
    def _auth_not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a profile must accept at least one auth scheme")
        return value

    def endpoint_for(self, method: str, path: str) -> Endpoint | None:
        cache = self._endpoint_cache
        if cache[0] is not self.endpoints:  # a model_copy(update={"endpoints": ...}) shares the cache
            cache[:] = [self.endpoints, {}, _index_endpoints(self.endpoints)]
        by_target: dict[tuple[str, str], Endpoint | None] = cache[1]
        try:
            return by_target[method, path]
        except KeyError:
            index: dict[tuple[str, str], tuple[Endpoint, ...]] = cache[2]
            candidates = index.get((method, _head(path))) or index.get((method, _ANY_HEAD), ())
            found = next((e for e in candidates if e.matches(method, path)), None)
            if len(by_target) > 4096:  # paths with ids in them: keep it bounded
                by_target.clear()
            by_target[method, path] = found
            return found

    @cached_property
    def _endpoint_cache(self) -> list[Any]:
        # Every request asks, twice (before it is sent and when it is checked): the patterns are
        # matched once per method and path, and only those that share the path's first segment
        # after /v1/. [the endpoints it is for, {(method, path): endpoint}, index]
        return [self.endpoints, {}, _index_endpoints(self.endpoints)]

    def expected_error_types(self, status: int) -> tuple[str, ...]:
        """Error types the docs allow for `status` (empty: the docs name none)."""
        if status in self.error_types:
            # Docs, Errors: the fallback is for "other 4xx not listed"; a listed status has its own type.
            return (self.error_types[status],)
        if 400 <= status < 500:
            return (self.fallback_4xx_error_type,)
        return ()


_ANY_HEAD = "\0"  # the index key of every endpoint of a method (no path segment holds a NUL)


def _head(path: str) -> str:
    """`/v1/messages/batches` -> `messages`: the segment endpoints are indexed by."""
    parts = path.split("/", 3)
    return parts[2] if len(parts) > 2 else ""


def _index_endpoints(endpoints: tuple[Endpoint, ...]) -> dict[tuple[str, str], tuple[Endpoint, ...]]:
    """Endpoints by (method, first segment after /v1/), in their order; a pattern whose segment is a
    `{name}` is a candidate for every path, after the literal ones. (method, _ANY_HEAD): every
    endpoint of the method, for a path whose segment no endpoint names."""
    index: dict[tuple[str, str], list[Endpoint]] = {}
    wild: list[Endpoint] = []
    for endpoint in endpoints:
        head = _head(endpoint.path)
        index.setdefault((endpoint.method, _ANY_HEAD), []).append(endpoint)
        if "{" in head:
            wild.append(endpoint)
        else:
            index.setdefault((endpoint.method, head), []).append(endpoint)
    out = {key: tuple(found) for key, found in index.items()}
    for (method, head), found in list(out.items()):
        if head != _ANY_HEAD:
            out[method, head] = found + tuple(e for e in wild if e.method == method)
    return out


# SDK 2.17 resources/beta/agents/agents.py and its siblings add it to every request they send.
MANAGED_AGENTS_BETA = "managed-agents-2026-04-01"

# (name, method, path, request body) of the Managed Agents beta endpoints.
_MANAGED_AGENTS_ENDPOINTS: tuple[tuple[str, str, str, BodyKind], ...] = (
    ("Agents (beta)", "POST", "/v1/agents", "json"),
    ("Agents (beta)", "GET", "/v1/agents", "none"),
    ("Agents (beta)", "GET", "/v1/agents/{id}", "none"),
    ("Agents (beta)", "POST", "/v1/agents/{id}", "json"),
    ("Agents (beta)", "POST", "/v1/agents/{id}/archive", "none"),
    ("Agents (beta)", "GET", "/v1/agents/{id}/versions", "none"),
    ("Sessions (beta)", "POST", "/v1/sessions", "json"),
    ("Sessions (beta)", "GET", "/v1/sessions", "none"),
    ("Sessions (beta)", "GET", "/v1/sessions/{id}", "none"),
    ("Sessions (beta)", "POST", "/v1/sessions/{id}", "json"),
    ("Sessions (beta)", "DELETE", "/v1/sessions/{id}", "none"),
    ("Sessions (beta)", "POST", "/v1/sessions/{id}/archive", "none"),
    ("Sessions (beta)", "GET", "/v1/sessions/{id}/events", "none"),
    ("Sessions (beta)", "POST", "/v1/sessions/{id}/events", "json"),
    ("Environments (beta)", "POST", "/v1/environments", "json"),
    ("Environments (beta)", "GET", "/v1/environments", "none"),
    ("Environments (beta)", "GET", "/v1/environments/{id}", "none"),
    ("Environments (beta)", "POST", "/v1/environments/{id}", "json"),
    ("Environments (beta)", "DELETE", "/v1/environments/{id}", "none"),
    ("Environments (beta)", "POST", "/v1/environments/{id}/archive", "none"),
)
# (name, method, path, request body, response model) of the Admin API endpoints.
_ADMIN_ENDPOINTS: tuple[tuple[str, str, str, BodyKind, str | None], ...] = (
    ("Admin API: organization", "GET", "/v1/organizations/me", "none", None),
    ("Admin API: users", "GET", "/v1/organizations/users", "none", "admin_list"),
    ("Admin API: users", "GET", "/v1/organizations/users/{id}", "none", None),
    ("Admin API: users", "POST", "/v1/organizations/users/{id}", "json", None),
    ("Admin API: users", "DELETE", "/v1/organizations/users/{id}", "none", None),
    ("Admin API: invites", "POST", "/v1/organizations/invites", "json", None),
    ("Admin API: invites", "GET", "/v1/organizations/invites", "none", "admin_list"),
    ("Admin API: invites", "GET", "/v1/organizations/invites/{id}", "none", None),
    ("Admin API: invites", "DELETE", "/v1/organizations/invites/{id}", "none", None),
    ("Admin API: workspaces", "POST", "/v1/organizations/workspaces", "json", "workspace"),
    ("Admin API: workspaces", "GET", "/v1/organizations/workspaces", "none", "admin_list"),
    ("Admin API: workspaces", "GET", "/v1/organizations/workspaces/{id}", "none", "workspace"),
    ("Admin API: workspaces", "POST", "/v1/organizations/workspaces/{id}", "json", "workspace"),
    (
        "Admin API: workspaces",
        "POST",
        "/v1/organizations/workspaces/{id}/archive",
        "none",
        "workspace",
    ),
    (
        "Admin API: workspace members",
        "POST",
        "/v1/organizations/workspaces/{id}/members",
        "json",
        None,
    ),
    (
        "Admin API: workspace members",
        "GET",
        "/v1/organizations/workspaces/{id}/members",
        "none",
        "admin_list",
    ),
    (
        "Admin API: workspace members",
        "GET",
        "/v1/organizations/workspaces/{id}/members/{user}",
        "none",
        None,
    ),
    (
        "Admin API: workspace members",
        "POST",
        "/v1/organizations/workspaces/{id}/members/{user}",
        "json",
        None,
    ),
    (
        "Admin API: workspace members",
        "DELETE",
        "/v1/organizations/workspaces/{id}/members/{user}",
        "none",
        None,
    ),
    ("Admin API: API keys", "GET", "/v1/organizations/api_keys", "none", "admin_list"),
    ("Admin API: API keys", "GET", "/v1/organizations/api_keys/{id}", "none", "api_key"),
    ("Admin API: API keys", "POST", "/v1/organizations/api_keys/{id}", "json", "api_key"),
    ("Usage and Cost API", "GET", "/v1/organizations/usage_report/messages", "none", "report"),
    ("Usage and Cost API", "GET", "/v1/organizations/cost_report", "none", "report"),
    ("Usage and Cost API", "GET", "/v1/organizations/analytics/usage_report", "none", "report"),
    ("Usage and Cost API", "GET", "/v1/organizations/analytics/cost_report", "none", "report"),
    (
        "Claude Code Analytics API",
        "GET",
        "/v1/organizations/usage_report/claude_code",
        "none",
        "report",
    ),
)

# Docs, API overview ("Request size limits") and endpoint references.
DEFAULT_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="Messages",
        method="POST",
        path="/v1/messages",
        messages_stream=True,
        request_schema="messages_request",
        response_schema="messages_response",
    ),
    Endpoint(
        name="Token Counting",
        method="POST",
        path="/v1/messages/count_tokens",
        request_schema="count_tokens_request",
        response_schema="count_tokens_response",
    ),
    Endpoint(
        name="Message Batches",
        method="POST",
        path="/v1/messages/batches",
        max_body_bytes=256 * MB,
        request_schema="batch_create_request",
        response_schema="message_batch",
    ),
    Endpoint(
        name="Message Batches",
        method="GET",
        path="/v1/messages/batches",
        body="none",
        response_schema="message_batch_list",
    ),
    Endpoint(
        name="Message Batches",
        method="GET",
        path="/v1/messages/batches/{id}",
        body="none",
        response_schema="message_batch",
    ),
    # Results are JSON Lines, one result per line, which the SDK reads as a stream (SDK
    # resources/messages/batches.py `results`, JSONLDecoder): each line is checked against the model.
    Endpoint(
        name="Message Batches",
        method="GET",
        path="/v1/messages/batches/{id}/results",
        body="none",
        response_body="jsonl",
        response_schema="batch_result",
    ),
    Endpoint(
        name="Message Batches",
        method="POST",
        path="/v1/messages/batches/{id}/cancel",
        body="none",
        response_schema="message_batch",
    ),
    Endpoint(
        name="Message Batches",
        method="DELETE",
        path="/v1/messages/batches/{id}",
        body="none",
        response_schema="deleted_message_batch",
    ),
    Endpoint(name="Models", method="GET", path="/v1/models", body="none", response_schema="models_list"),
    Endpoint(name="Models", method="GET", path="/v1/models/{id}", body="none", response_schema="model_info"),
    # Files: generally available since 2026-08-19, so no beta header is required any more: the SDK
    # 2.17's `client.files` sends none (SDK resources/files.py); `files-api-2025-04-14`, which the beta
    # required, is still accepted (Docs, Files API; SDK types/anthropic_beta_param.py).
    Endpoint(
        name="Files",
        method="POST",
        path="/v1/files",
        body="multipart",
        max_body_bytes=500 * MB,
        response_schema="file_metadata",
    ),
    Endpoint(name="Files", method="GET", path="/v1/files", body="none", response_schema="file_list"),
    Endpoint(name="Files", method="GET", path="/v1/files/{id}", body="none", response_schema="file_metadata"),
    Endpoint(name="Files", method="GET", path="/v1/files/{id}/content", body="none", response_body="binary"),
    Endpoint(
        name="Files", method="DELETE", path="/v1/files/{id}", body="none", response_schema="deleted_file"
    ),
    # Skills: multipart upload of a skill's files; generally available like Files (SDK 2.17
    # resources/skills/: no beta header; the beta was `skills-2025-10-02`). No size limit documented:
    # none checked.
    Endpoint(
        name="Skills",
        method="POST",
        path="/v1/skills",
        body="multipart",
        max_body_bytes=None,
        response_schema="skill",
    ),
    Endpoint(name="Skills", method="GET", path="/v1/skills", body="none", response_schema="skill_list"),
    Endpoint(name="Skills", method="GET", path="/v1/skills/{id}", body="none", response_schema="skill"),
    Endpoint(name="Skills", method="DELETE", path="/v1/skills/{id}", body="none"),
    Endpoint(
        name="Skills",
        method="POST",
        path="/v1/skills/{id}/versions",
        body="multipart",
        max_body_bytes=None,
    ),
    Endpoint(name="Skills", method="GET", path="/v1/skills/{id}/versions", body="none"),
    Endpoint(name="Skills", method="GET", path="/v1/skills/{id}/versions/{version}", body="none"),
    Endpoint(name="Skills", method="DELETE", path="/v1/skills/{id}/versions/{version}", body="none"),
    Endpoint(
        name="Skills",
        method="GET",
        path="/v1/skills/{id}/versions/{version}/content",
        body="none",
        response_body="binary",
    ),
    Endpoint(
        name="Text Completions (legacy)",
        method="POST",
        path="/v1/complete",
        request_schema="completion_request",
        response_schema="completion_response",
    ),
    # Docs, OpenAI SDK compatibility: the OpenAI SDK's request and answer shapes, no anthropic-version.
    Endpoint(
        name="OpenAI SDK compatibility",
        method="POST",
        path="/v1/chat/completions",
        requires_version=False,
        openai_errors=True,
        response_headers=("x-request-id",),
    ),
    *(
        # Beta endpoints of the current overview (Docs, API overview "Endpoints"): the SDK 2.17 adds
        # `managed-agents-2026-04-01` to every request to them (SDK resources/beta/agents/,
        # sessions/, environments/), and the API refuses them without it.
        Endpoint(name=name, method=method, path=path, body=body, required_beta=MANAGED_AGENTS_BETA)
        for name, method, path, body in _MANAGED_AGENTS_ENDPOINTS
    ),
    # The session's events as Server-Sent Events (Docs, API overview: "/v1/sessions (with an SSE
    # events stream)"; SDK resources/beta/sessions/events.py `stream`).
    Endpoint(
        name="Sessions (beta)",
        method="GET",
        path="/v1/sessions/{id}/events/stream",
        body="none",
        response_body="event-stream",
        required_beta=MANAGED_AGENTS_BETA,
    ),
    *(
        # The Admin API: an admin key (`sk-ant-admin01-...`) only (Docs, Admin API overview; SDK 2.17
        # resources/organization/). Usage and Cost API and Claude Code Analytics API: Docs, "Usage
        # and Cost API", "Claude Code Analytics API"; the SDK 2.17's analytics reports (beta
        # resources/organization/analytics/, no beta header) under /analytics/.
        Endpoint(
            name=name,
            method=method,
            path=path,
            body=body,
            credential="admin-key",
            response_schema=schema,
        )
        for name, method, path, body, schema in _ADMIN_ENDPOINTS
    ),
)


# ---------------------------------------------------------------- model lifecycle

LifecycleStatus = Literal["active", "deprecated", "retired"]
# Docs, Model deprecations: "at least 60 days notice before model retirement for publicly released
# models". A model whose deprecation date the table does not hold is taken as deprecated from then.
MIN_NOTICE = timedelta(days=60)


class ModelLifecycleEntry(_Model):
    """One model id the docs deprecated: when it retires (requests fail from that day on), and what to
    use instead."""

    model: str
    retired_on: date = Field(description="From this day on the API refuses the model.")
    deprecated_on: date | None = Field(
        default=None, description="None: not recorded; taken as 60 days before retirement."
    )
    replacement: str | None = None
    source: str

    @property
    def deprecated_from(self) -> date:
        return self.deprecated_on or self.retired_on - MIN_NOTICE

    def status_on(self, day: date) -> LifecycleStatus:
        if day >= self.retired_on:
            return "retired"
        return "deprecated" if day >= self.deprecated_from else "active"


# A `model` key's string value in a raw JSON body (model ids hold no quote or backslash).
_MODEL_VALUE = re.compile(rb'"model"\s*:\s*"([^"\\]*)"')


class ModelLifecycle(_Model):
    """The deprecated and retired model ids of one platform; an id it does not list is accepted."""

    platform: str = Field(
        description="Whose schedule this is: the dates of Anthropic-operated platforms differ from "
        "Amazon Bedrock's and Vertex AI's, which set their own (Docs, Model deprecations)."
    )
    models: tuple[ModelLifecycleEntry, ...]
    notes: str = ""

    def entry_for(self, model: str) -> ModelLifecycleEntry | None:
        by_id: dict[str, ModelLifecycleEntry] = self._lookups()[1]
        return by_id.get(model)

    def named_in(self, body: bytes) -> bool:
        """Whether a raw body holds a listed id as the JSON string value of a `model` key, before it is
        parsed (nearly every body names no listed model: the check then costs one scan)."""
        by_id: dict[str, ModelLifecycleEntry] = self._lookups()[1]
        return any(m.group(1).decode("utf-8", "replace") in by_id for m in _MODEL_VALUE.finditer(body))

    def _lookups(self) -> list[Any]:
        held = self._held
        if held[0] is not self.models:  # a model_copy(update={"models": ...}) shares the cache
            held[:] = [self.models, {entry.model: entry for entry in self.models}]
        return held

    @cached_property
    def _held(self) -> list[Any]:
        # [the entries it is for, {id: entry}]
        return [None, {}]


def _retired(day: str, replacement: str | None, source: str, *models: str) -> tuple[ModelLifecycleEntry, ...]:
    return tuple(
        ModelLifecycleEntry(
            model=m, retired_on=date.fromisoformat(day), replacement=replacement, source=source
        )
        for m in models
    )


_DEPRECATIONS = "Docs, Model deprecations"
_RELEASE_NOTES = "Docs, Model deprecations; API release notes"
_SDK_TABLE = "SDK 2.17 anthropic/_data/deprecated_models.py; Docs, Model deprecations"

# Docs, Model deprecations (status table), the API release notes and the SDK's own table of deprecated
# ids (anthropic/_data/deprecated_models.py, which lists only ids not yet retired); see
# shared/CONTRACT.md "Model lifecycle". Replacements: the API release notes of 2026-06-15 name
# claude-sonnet-4-6 and claude-opus-4-8 as the upgrades from Sonnet 4 and Opus 4; older ids of each
# family are given the same, and Haiku ids the current Haiku (Docs, Models overview).
FIRST_PARTY_MODEL_LIFECYCLE = ModelLifecycle(
    platform="Claude API",
    notes="The dates apply to Anthropic-operated platforms: the Claude API, Claude Platform on AWS and "
    "Microsoft Foundry. Amazon Bedrock and Vertex AI set their own schedules.",
    models=(
        *_retired(
            "2024-11-06",
            "claude-sonnet-4-6",
            _DEPRECATIONS,
            "claude-1.0",
            "claude-1.1",
            "claude-1.2",
            "claude-1.3",
        ),
        *_retired(
            "2024-11-06",
            "claude-haiku-4-5",
            _DEPRECATIONS,
            "claude-instant-1.0",
            "claude-instant-1.1",
            "claude-instant-1.2",
        ),
        *_retired(
            "2025-07-21",
            "claude-sonnet-4-6",
            _DEPRECATIONS,
            "claude-2.0",
            "claude-2.1",
            "claude-3-sonnet-20240229",
        ),
        *_retired(
            "2025-10-22",
            "claude-sonnet-4-6",
            _DEPRECATIONS,
            "claude-3-5-sonnet-20240620",
            "claude-3-5-sonnet-20241022",
        ),
        *_retired("2026-01-05", "claude-opus-4-8", _DEPRECATIONS, "claude-3-opus-20240229"),
        *_retired(
            "2026-06-15",
            "claude-sonnet-4-6",
            _RELEASE_NOTES,
            "claude-sonnet-4-20250514",
            "claude-sonnet-4-0",
        ),
        *_retired(
            "2026-06-15", "claude-opus-4-8", _RELEASE_NOTES, "claude-opus-4-20250514", "claude-opus-4-0"
        ),
        *_retired("2026-06-30", None, _SDK_TABLE, "claude-mythos-preview"),
        *_retired("2026-11-30", "claude-sonnet-4-6", _DEPRECATIONS, "claude-sonnet-4-5"),
        # The snapshot the alias names retires with it: its date is inferred (CONTRACT.md names the alias).
        *_retired(
            "2026-11-30",
            "claude-sonnet-4-6",
            _DEPRECATIONS + " (inferred from its alias)",
            "claude-sonnet-4-5-20250929",
        ),
        *_retired("2027-01-22", "claude-opus-4-8", _SDK_TABLE, "claude-opus-4-5", "claude-opus-4-5-20251101"),
    ),
)


class Platform(_Model):
    """One way to reach Claude, selected by the request's host: how its requests differ from the
    first-party API's. A request is judged by the profile of the API version it sends, as its platform
    changes that profile (`auth`, `endpoints`, `required_response_headers`); a field left None keeps
    the profile's (the first-party API's).

    To add a platform (say Bedrock):
    1. List its name and host patterns in `plugin.options.PLATFORM_HOSTS` (read there, without
       pydantic, by the report header and `hosts=` validation).
    2. Add a `Platform` to `PLATFORMS` below (same order), each fact with its source: `version_in` and
       `version_aliases`, `auth`, `endpoints` (`model_in_url=True` where the URL names the model),
       `required_response_headers`, `stream_content_type`, `error_shapes`.
    3. A difference no field holds yet: add a field here whose default is the first-party behaviour,
       read it in the check (`ctx.platform`, contract/checks.py), and give a new rule an example on the
       platform's host in contract/rules.py (docs/rules.md is generated from it).
    Users select a platform for any other host (a gateway, a loopback stand-in) with
    `hosts={"host:port": "name"}`.
    """

    name: str
    title: str
    hosts: tuple[str, ...] = Field(description="Host name patterns that select it; `*` matches any run.")
    version_in: Literal["header", "body"] = Field(
        default="header",
        description="Where the version is carried: the `anthropic-version` header, or the body field "
        "`anthropic_version` (rule platform-version-body).",
    )
    version_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="The platform's own version values, each with the API version whose profile judges "
        "it; the API's versions (the profiles' keys) are accepted too.",
    )
    auth: tuple[AuthScheme, ...] | None = None
    endpoints: tuple[Endpoint, ...] | None = None
    required_response_headers: tuple[ResponseHeader, ...] | None = None
    stream_content_type: str = "text/event-stream"
    error_shapes: tuple[ErrorShape, ...] = ("anthropic",)
    rejects_claude_keys: bool = Field(
        default=False, description="A Claude API key (`sk-ant-...`) is the wrong credential here."
    )
    retry_after_on_429: bool = Field(
        default=True,
        description="A 429 carries `retry-after` (Docs, Rate limits); False where the platform's docs "
        "promise no such header (rule ratelimit-headers).",
    )
    sigv4_service: str | None = Field(
        default=None,
        description="The service name a SigV4 signature's credential scope must name (rule bedrock-sigv4).",
    )
    error_statuses: dict[str, int] = Field(
        default_factory=dict,
        description="AWS error types (`x-amzn-errortype`) and the HTTP status each is answered with "
        "(rule error-status); a type not listed is not paired.",
    )
    anthropic_model_lifecycle: bool = Field(
        default=True,
        description="Anthropic's model lifecycle dates apply (rules model-deprecated, model-retired); "
        "False where the platform sets its own schedule (shared/CONTRACT.md, Model lifecycle: Amazon "
        "Bedrock and Google Cloud). A model named in the URL is never judged.",
    )
    credential_hosts: tuple[str, ...] = Field(
        default=(),
        description="Host patterns where the platform's credentials are fetched (OAuth token endpoints, "
        "metadata servers): their requests pass through live and are never recorded, as they carry "
        "refresh tokens, client secrets and the tokens themselves.",
    )
    source: str = ""
    notes: str = ""

    @field_validator("auth")
    @classmethod
    def _auth_not_empty(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("a platform must accept at least one auth scheme")
        return value

    @cached_property
    def _host_patterns(self) -> HostGlobs:
        return HostGlobs(self.hosts)

    @cached_property
    def _credential_patterns(self) -> HostGlobs:
        return HostGlobs(self.credential_hosts)

    def serves(self, hostname: str) -> bool:
        """Whether one of its host patterns matches `hostname` (no port, lower-cased)."""
        return self._host_patterns.match(hostname)

    def fetches_credentials_at(self, hostname: str) -> bool:
        """Whether `hostname` is one where its credentials are fetched (`credential_hosts`)."""
        return self._credential_patterns.match(hostname)

    @cached_property
    def first_party(self) -> bool:
        """Judged by the profiles as they are (no field of its own)."""
        return (
            self.version_in == "header"
            and not self.version_aliases
            and self.auth is None
            and self.endpoints is None
            and self.required_response_headers is None
        )


def _prefixed(prefix: str, names: tuple[str, ...]) -> tuple[Endpoint, ...]:
    """The first-party endpoints named `names`, under the path `prefix`."""
    return tuple(
        Endpoint(**{**e.model_dump(), "path": prefix + e.path}) for e in DEFAULT_ENDPOINTS if e.name in names
    )


# SDK anthropic/lib/vertex/_client.py (`_prepare_options`): the model moves from the body to the URL,
# `stream: true` picks streamRawPredict; token counting goes to the model `count-tokens` with the model
# left in the body. Base URL `https://{region}-aiplatform.googleapis.com/v1`.
_VERTEX_MODELS = "/v1/projects/{project}/locations/{region}/publishers/anthropic/models"
VERTEX_ENDPOINTS: tuple[Endpoint, ...] = (
    # Before `{model}:rawPredict`, which its path matches too: the first match is taken.
    Endpoint(
        name="Token Counting",
        method="POST",
        path=f"{_VERTEX_MODELS}/count-tokens:rawPredict",
        max_body_bytes=None,  # Vertex AI's own limit is not in our sources: not checked
        request_schema="count_tokens_request",
        response_schema="count_tokens_response",
    ),
    *(
        Endpoint(
            name="Messages",
            method="POST",
            path=f"{_VERTEX_MODELS}/{{model}}:{specifier}",
            max_body_bytes=None,
            model_in_url=True,
            messages_stream=True,
            request_schema="messages_request_model_in_url",
            response_schema="messages_response",
        )
        for specifier in ("rawPredict", "streamRawPredict")
    ),
)

# Claude on Amazon Bedrock (SDK anthropic/lib/bedrock/_client.py, `_prepare_options`): the model moves
# from the body to the URL, `stream: true` picks InvokeModelWithResponseStream; Message Batches and
# Token Counting are refused by the SDK ("not supported in Bedrock yet"). Body limit: Bedrock user
# guide, Anthropic Claude Messages API "Request and Response": "The maximum size of the payload you
# can send in a request is 20MB" (the Runtime API model caps the `body` blob at 25,000,000 bytes:
# the stricter, Claude-specific figure is used).
_BEDROCK_MODEL = "/model/{model}"
BEDROCK_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="Messages (InvokeModel)",
        method="POST",
        path=f"{_BEDROCK_MODEL}/invoke",
        max_body_bytes=20 * MB,
        model_in_url=True,
        request_schema="messages_request_model_in_url",
        response_schema="messages_response",
    ),
    Endpoint(
        name="Messages (InvokeModelWithResponseStream)",
        method="POST",
        path=f"{_BEDROCK_MODEL}/invoke-with-response-stream",
        max_body_bytes=20 * MB,
        model_in_url=True,
        messages_stream=True,
        # Every answer is a stream, whatever the body says: the SDK takes `stream` out of the body
        # and picks this path.
        response_body="event-stream",
        request_schema="messages_request_model_in_url",
    ),
)
# The Bedrock Runtime API model (botocore data bedrock-runtime/2023-09-30/service-2.json): each error
# type InvokeModel and InvokeModelWithResponseStream list, with its `httpStatusCode`.
BEDROCK_ERROR_STATUSES: dict[str, int] = {
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "ModelTimeoutException": 408,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "ModelNotReadyException": 429,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
}

# Where boto3 (the SDK's bedrock extra) fetches AWS credentials, its answers holding a secret access key
# and a session token: STS (AssumeRole, web identity; global and regional hosts), IAM Identity
# Center (SSO: portal.sso.{region}, its token refresh at oidc.{region}), the EC2 instance metadata
# service and the container credentials endpoints (botocore utils.py: METADATA_BASE_URL,
# METADATA_BASE_URL_IPv6, ContainerMetadataFetcher).
AWS_CREDENTIAL_HOSTS: tuple[str, ...] = (
    "sts.amazonaws.com",
    "sts.*.amazonaws.com",
    "portal.sso.*.amazonaws.com",
    "oidc.*.amazonaws.com",
    "169.254.169.254",
    "fd00:ec2::254",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
)

PLATFORMS: tuple[Platform, ...] = (
    Platform(
        name="anthropic",
        title="Claude API",
        hosts=PLATFORM_HOSTS["anthropic"],
        source="Docs, API overview",
    ),
    Platform(
        name="vertex",
        title="Vertex AI",
        hosts=PLATFORM_HOSTS["vertex"],
        version_in="body",
        # Docs, Claude on Vertex AI: `anthropic_version` in the body, "vertex-2023-10-16" (SDK 0.x and
        # 1.x send it); SDK 2.x sends the API version (ANTHROPIC_API_VERSION). The Vertex value is read
        # as 2023-06-01, the API version those SDKs speak (named SSE events).
        version_aliases={"vertex-2023-10-16": "2023-06-01"},
        auth=("bearer",),  # a Google OAuth access token (SDK: `access_token=` or google-auth credentials)
        endpoints=VERTEX_ENDPOINTS,
        required_response_headers=(),  # Google's front end answers: the API's headers are not promised
        error_shapes=("anthropic", "google"),
        rejects_claude_keys=True,
        anthropic_model_lifecycle=False,  # Google sets Vertex AI's schedule (Docs, Model deprecations)
        # google-auth (the SDK's vertex extra) fetches tokens at oauth2.googleapis.com (and the older
        # accounts.google.com), sts.googleapis.com (workload identity federation),
        # iamcredentials.googleapis.com (impersonation), reauth.googleapis.com, and the metadata server
        # metadata.google.internal / 169.254.169.254 (google/auth/compute_engine/_metadata.py).
        credential_hosts=(
            "oauth2.googleapis.com",
            "accounts.google.com",
            "sts.googleapis.com",
            "iamcredentials.googleapis.com",
            "reauth.googleapis.com",
            "metadata.google.internal",
            "169.254.169.254",
        ),
        source="Docs, Claude on Vertex AI; SDK anthropic/lib/vertex/_client.py",
        notes="The model is named in the URL, not the body; streams are SSE, as the API's. Body sizes are "
        "not checked: Vertex AI's own limit is not in our sources.",
    ),
    Platform(
        name="foundry",
        title="Microsoft Foundry",
        hosts=PLATFORM_HOSTS["foundry"],
        # SDK anthropic/lib/foundry.py: an API key goes as `x-api-key` and, for backwards
        # compatibility, `api-key`; an Entra ID token (`azure_ad_token_provider=`) as Bearer.
        auth=("x-api-key", "api-key", "bearer"),
        # The first-party paths under /anthropic; the SDK refuses Models and Message Batches there.
        endpoints=_prefixed("/anthropic", ("Messages", "Token Counting")),
        required_response_headers=(),  # not documented for Foundry
        rejects_claude_keys=True,
        # An Entra ID token (azure-identity, foundry.md) comes from the Microsoft identity platform's
        # authority host, or from the instance metadata service for a managed identity.
        credential_hosts=("login.microsoftonline.com", "169.254.169.254"),
        source="Docs, Claude in Microsoft Foundry; SDK anthropic/lib/foundry.py and foundry.md",
        notes="The `anthropic-version` header as on the API; the model in the body.",
    ),
    Platform(
        name="bedrock",
        title="Amazon Bedrock",
        hosts=PLATFORM_HOSTS["bedrock"],
        version_in="body",
        # Bedrock user guide (Anthropic Claude Messages API): `anthropic_version` is required and "must
        # be bedrock-2023-05-31" (SDK 0.x and 1.x send it); SDK 2.x sends the API version
        # (ANTHROPIC_API_VERSION), with `anthropic_beta` in the body too. Read as 2023-06-01, the
        # Messages API version of its time (named stream events).
        version_aliases={"bedrock-2023-05-31": "2023-06-01"},
        # SigV4 (AWS credentials; the SDK signs with botocore's SigV4Auth, service "bedrock"), or an
        # Amazon Bedrock API key as `Authorization: Bearer` (SDK `api_key=`, AWS_BEARER_TOKEN_BEDROCK).
        auth=("sigv4", "bearer"),
        endpoints=BEDROCK_ENDPOINTS,
        # Bedrock answers with `x-amzn-requestid`, not the API's `request-id` and organization id.
        required_response_headers=(),
        stream_content_type=EVENTSTREAM,
        error_shapes=("aws",),
        error_statuses=BEDROCK_ERROR_STATUSES,
        retry_after_on_429=False,  # not in the Bedrock Runtime API reference's errors
        rejects_claude_keys=True,
        anthropic_model_lifecycle=False,  # Amazon sets Bedrock's schedule (Docs, Model deprecations)
        credential_hosts=AWS_CREDENTIAL_HOSTS,
        # The Runtime API model's `signingName` (metadata), what the SDK passes as service_name.
        sigv4_service="bedrock",
        source="Bedrock user guide, Anthropic Claude models and API keys; Bedrock Runtime API reference "
        "and API model (InvokeModel, InvokeModelWithResponseStream); SDK anthropic/lib/bedrock/",
        notes="The model is in the URL, not the body; streams are AWS event-stream frames, each "
        "carrying one Messages event in base64.",
    ),
    Platform(
        name="bedrock-mantle",
        title="Amazon Bedrock (Mantle)",
        hosts=PLATFORM_HOSTS["bedrock-mantle"],
        # SDK anthropic/lib/bedrock/_mantle.py (AnthropicBedrockMantle, "an Amazon Bedrock endpoint"):
        # the API's Messages (and beta Messages) under /anthropic, the `anthropic-version` header, the
        # model in the body, SSE streams; SigV4 for service "bedrock-mantle", or an API key
        # (AWS_BEARER_TOKEN_BEDROCK, ANTHROPIC_AWS_API_KEY) as `Authorization: Bearer`. Its own body
        # limits and response headers are not in our sources: the API's endpoints (and limits) are
        # taken as they are, and no response header is required.
        auth=("sigv4", "bearer"),
        endpoints=_prefixed("/anthropic", ("Messages", "Token Counting")),
        required_response_headers=(),
        rejects_claude_keys=True,
        # Docs, Model deprecations: the dates apply to Anthropic-operated platforms; Amazon Bedrock sets
        # its own (the model is in the body here, so this must say it).
        anthropic_model_lifecycle=False,
        credential_hosts=AWS_CREDENTIAL_HOSTS,
        sigv4_service="bedrock-mantle",
        source="SDK anthropic/lib/bedrock/_mantle.py",
        notes="The first-party Messages API under /anthropic on a Bedrock host, signed for bedrock-mantle.",
    ),
)
assert tuple(p.name for p in PLATFORMS) == tuple(PLATFORM_HOSTS), "keep plugin.options.PLATFORM_HOSTS in step"
assert set(AUTH_SCHEMES) == set(AUTH_VALUES), "keep plugin.options.AUTH_VALUES in step"


class HostGlobs:
    """Host patterns (`*.example.com`, fnmatch's) matched against a lower-cased host name. Their regex
    is compiled only for a name that ends as one of them does: nearly every host a test calls ends as
    none, and compiling every platform's patterns took 2.7 ms at a session's first request (cProfile,
    2026-12-07; with the body models no longer imported, 59 M instructions less once a session)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(p.lower() for p in patterns)
        # The literal end of each pattern, after its last wildcard.
        self._ends = tuple(re.split(r"[*?\]]", p)[-1] for p in self._patterns)
        self._regex: re.Pattern[str] | None = None

    def match(self, name: str) -> bool:
        if not name.endswith(self._ends):  # () for no patterns: matches nothing
            return False
        if self._regex is None:
            self._regex = re.compile("|".join(fnmatch.translate(p) for p in self._patterns))
        return self._regex.match(name) is not None


def _host_name(host: str) -> str:
    """`user@name:port` or `[::1]:port` -> the name alone."""
    host = host.rpartition("@")[2]
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.partition(":")[0]


class Contract(_Model):
    """All profiles, keyed by the `anthropic-version` value that selects them, and the platforms a
    request's host selects (`platform_for`)."""

    profiles: dict[str, Profile]
    # Used to judge a request that names no version, or one we have no profile for.
    fallback_version: str
    # Rules model-deprecated and model-retired. One table for now; a platform's profile will name its own.
    model_lifecycle: ModelLifecycle = FIRST_PARTY_MODEL_LIFECYCLE
    platforms: tuple[Platform, ...] = Field(default_factory=lambda: PLATFORMS)
    # hosts={host: platform}: a host (a name, or name:port) judged by the named platform.
    host_platforms: dict[str, str] = Field(default_factory=dict)
    # A Claude host no pattern selects (a gateway, ANTHROPIC_BASE_URL's) is judged by this platform.
    default_platform: str = "anthropic"

    @field_validator("platforms")
    @classmethod
    def _platform_names_unique(cls, value: tuple[Platform, ...]) -> tuple[Platform, ...]:
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError(f"platform names must be unique: {names}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        known = {p.name for p in self.platforms}
        unknown = sorted({*self.host_platforms.values(), self.default_platform} - known)
        if unknown:
            raise ValueError(f"unknown platform(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")

    @field_validator("profiles")
    @classmethod
    def _keys_are_versions(cls, value: dict[str, Profile]) -> dict[str, Profile]:
        for key, profile in value.items():
            if key != profile.version:
                raise ValueError(f"profile under key {key!r} declares version {profile.version!r}")
        return value

    @property
    def smallest_body_limit(self) -> float:
        """No request body at or under this many bytes can be too large, whatever its endpoint."""
        held = self._smallest_limit
        if held[0] is not self.profiles:  # a model_copy(update={"profiles": ...}) shares the cache
            limits = [
                e.max_body_bytes for p in self.profiles.values() for e in p.endpoints if e.max_body_bytes
            ]
            limits += [
                e.max_body_bytes for p in self.platforms for e in p.endpoints or () if e.max_body_bytes
            ]
            held[:] = [self.profiles, min(limits, default=float("inf"))]
        limit: float = held[1]
        return limit

    @cached_property
    def _smallest_limit(self) -> list[Any]:
        return [None, 0]

    def profile_for(self, version: str | None) -> Profile:
        if version is not None and version in self.profiles:
            return self.profiles[version]
        return self.profiles[self.fallback_version]

    def platform_for(self, host: str) -> Platform:
        """The platform a request to `host` (its URL's netloc, lower-cased) is judged by: the one
        `host_platforms` names for it, else the first whose host patterns match, else the default.
        Worked out once per host."""
        cache: dict[str, Platform] = self._platform_cache
        found = cache.get(host)
        if found is None:
            name = _host_name(host)
            chosen = self.host_platforms.get(host) or self.host_platforms.get(name)
            found = self._platform_named[chosen] if chosen else self.platform_serving(name)
            if found is None:
                found = self._platform_named[self.default_platform]
            if len(cache) > 1024:
                cache.clear()
            cache[host] = found
        return found

    def platform_serving(self, hostname: str) -> Platform | None:
        """The first platform whose host patterns match `hostname` (no port, lower-cased): once per
        name (every request to a host no `hosts=` lists asks)."""
        cache: dict[str, Platform | None] = self._serving_cache
        if hostname not in cache:
            if len(cache) > 1024:
                cache.clear()
            cache[hostname] = next((p for p in self.platforms if p.serves(hostname)), None)
        return cache[hostname]

    def credential_host(self, hostname: str) -> bool:
        """Whether a platform fetches its credentials at `hostname` (no port, lower-cased)."""
        cache: dict[str, bool] = self._credential_cache
        found = cache.get(hostname)
        if found is None:
            if len(cache) > 1024:
                cache.clear()
            found = cache[hostname] = any(p.fetches_credentials_at(hostname) for p in self.platforms)
        return found

    def judged_by(self, platform: Platform, version: str | None) -> tuple[Profile, str | None]:
        """The profile that judges a request to `platform` sending `version`, and the API version it
        stands for (None: not one the platform accepts; then the fallback profile judges)."""
        if platform.first_party:  # every first-party request: two look-ups
            profiles = self.profiles
            if version in profiles:
                return profiles[version], version
            return profiles[self.fallback_version], None
        known = platform.version_aliases.get(version, version) if version is not None else None
        if known not in self.profiles:
            known = None
        base = self.profile_for(known)
        cache: dict[tuple[str, str], Profile] = self._judged_cache
        profile = cache.get((platform.name, base.version))
        if profile is None:
            update: dict[str, Any] = {}
            if platform.auth is not None:
                update["auth"] = platform.auth
            if platform.endpoints is not None:
                update["endpoints"] = platform.endpoints
            if platform.required_response_headers is not None:
                update["required_response_headers"] = platform.required_response_headers
            profile = base.model_copy(update=update)
            profile.__dict__.pop("_endpoint_cache", None)  # its own endpoints: its own cache
            cache[platform.name, base.version] = profile
        return profile, known

    def accepted_versions(self, platform: Platform) -> tuple[str, ...]:
        """The version values a request to `platform` may send."""
        aliases = [alias for alias, version in platform.version_aliases.items() if version in self.profiles]
        return (*aliases, *self.profiles)

    def with_host_platforms(self, host_platforms: dict[str, str]) -> Contract:
        """A copy that judges each listed host (name, or name:port) by the named platform."""
        if not host_platforms:
            return self
        return self._copy(host_platforms={**self.host_platforms, **host_platforms})

    def _copy(self, **fields: Any) -> Contract:
        # A new, validated contract (never model_copy: that would share the caches).
        kept = {
            "profiles": self.profiles,
            "fallback_version": self.fallback_version,
            "model_lifecycle": self.model_lifecycle,
            "platforms": self.platforms,
            "host_platforms": self.host_platforms,
            "default_platform": self.default_platform,
        }
        return Contract(**{**kept, **fields})

    @cached_property
    def _platform_named(self) -> dict[str, Platform]:
        return {p.name: p for p in self.platforms}

    @cached_property
    def _platform_cache(self) -> dict[str, Platform]:
        return {}

    @cached_property
    def _credential_cache(self) -> dict[str, bool]:
        return {}

    @cached_property
    def _serving_cache(self) -> dict[str, Platform | None]:
        return {}

    @cached_property
    def _judged_cache(self) -> dict[tuple[str, str], Profile]:
        return {}

    def with_profile_edits(self, edits: dict[str, Any]) -> Contract:
        """A copy with profiles added or changed; each edit is a Profile or a dict of fields."""
        profiles = dict(self.profiles)
        for version, edit in edits.items():
            if isinstance(edit, Profile):
                profiles[version] = edit
            elif isinstance(edit, dict):
                base = profiles.get(version)
                fields = {**(base.model_dump() if base else {"endpoints": DEFAULT_ENDPOINTS}), **edit}
                fields.setdefault("version", version)
                profiles[version] = Profile.model_validate(fields)
            else:
                raise TypeError(
                    f"profile edit for {version!r} must be a Profile or a dict, not {type(edit).__name__}"
                )
        return self._copy(profiles=profiles)

    def narrowed(self, *, versions: tuple[str, ...] | None, auth: tuple[str, ...] | None) -> Contract:
        """A copy that accepts only `versions` and only the `auth` schemes (None: keep as is)."""
        profiles = self.profiles
        if versions is not None:
            profiles = {v: p for v, p in profiles.items() if v in versions}
        if auth is not None:
            profiles = {
                v: p.model_copy(update={"auth": tuple(a for a in p.auth if a in auth) or tuple(auth)})
                for v, p in profiles.items()
            }
        platforms = self.platforms
        if auth is not None:
            platforms = tuple(
                p.model_copy(update={"auth": tuple(a for a in p.auth if a in auth) or tuple(auth)})
                if p.auth is not None
                else p
                for p in platforms
            )
        fallback = self.fallback_version if self.fallback_version in profiles else next(iter(profiles))
        return self._copy(profiles=profiles, fallback_version=fallback, platforms=platforms)


# Docs, Versions: 2023-01-01 initial; 2023-06-01 named SSE events; 2026-10-21 latest (removes
# temperature/top_p/top_k; what the official SDK 2.x sends, with the key as a Bearer token).
DEFAULT_CONTRACT = Contract(
    profiles={
        "2023-01-01": Profile(version="2023-01-01", status="legacy", endpoints=DEFAULT_ENDPOINTS),
        "2023-06-01": Profile(
            version="2023-06-01",
            endpoints=DEFAULT_ENDPOINTS,
            notes="Sent by the anthropic SDK 0.x and 1.x (x-api-key).",
        ),
        "2026-10-21": Profile(
            version="2026-10-21",
            status="current",
            endpoints=DEFAULT_ENDPOINTS,
            removed_request_fields=("temperature", "top_p", "top_k"),
            rejects_assistant_document=True,
            rejects_user_text_citations=True,
            notes="Sent by the anthropic SDK 2.x (Authorization: Bearer).",
        ),
    },
    fallback_version="2026-10-21",
)

assert tuple(DEFAULT_CONTRACT.profiles) == DOCUMENTED_VERSIONS, (
    "keep plugin.options.DOCUMENTED_VERSIONS in step"
)
