"""The Claude API's HTTP contract as data.

Every fact the checks use lives here, with its source in shared/CONTRACT.md terms: the Claude API
documentation ("Docs") or the official SDK ("SDK"). Checks read these models; they hold no facts of
their own, so a user can change any of them (``profiles=`` in the marker or ``claude_contract_config``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..plugin.options import DOCUMENTED_VERSIONS

AuthScheme = Literal["x-api-key", "bearer"]
# The response headers a rule asks for (each has its rule: checks._RESPONSE_HEADER_RULES).
ResponseHeader = Literal["request-id", "anthropic-organization-id", "x-request-id"]
AUTH_SCHEMES: tuple[str, ...] = ("x-api-key", "bearer")
BodyKind = Literal["json", "multipart", "none"]

MB = 1_000_000  # the docs give limits in MB; we read them as decimal megabytes, the stricter reading


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeaderIntroduced(_Model):
    """The day the API started sending a response header, and where that is said."""

    since: date
    source: str


class Endpoint(_Model):
    """One API endpoint: how a request to it must look."""

    name: str
    method: str
    path: str = Field(description="Path pattern; `{name}` matches one path segment.")
    body: BodyKind = "json"
    max_body_bytes: int | None = Field(default=32 * MB, description="Docs: 'Request size limits'.")
    response_body: Literal["json", "binary"] = "json"
    requires_version: bool = Field(
        default=True,
        description="False for the OpenAI-compatible endpoint, which takes no anthropic-version.",
    )
    openai_errors: bool = Field(
        default=False,
        description="Error bodies may also take OpenAI's shape, {error: {message, type, ...}}, as an "
        "OpenAI-compatible endpoint's clients expect (not yet seen in recorded traffic).",
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
        from .bodies import BODY_MODELS  # the models are defined without building their schemas

        if value is not None and value not in BODY_MODELS:
            raise ValueError(f"unknown body model {value!r}; known: {', '.join(BODY_MODELS)}")
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

    @field_validator("auth")
    @classmethod
    def _auth_not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a profile must accept at least one auth scheme")
        return value

    def endpoint_for(self, method: str, path: str) -> Endpoint | None:
        cache = self._endpoint_cache
        if cache[0] is not self.endpoints:  # a model_copy(update={"endpoints": ...}) shares the cache
            cache[:] = [self.endpoints, {}]
        by_target: dict[tuple[str, str], Endpoint | None] = cache[1]
        try:
            return by_target[method, path]
        except KeyError:
            found = next((e for e in self.endpoints if e.matches(method, path)), None)
            if len(by_target) > 4096:  # paths with ids in them: keep it bounded
                by_target.clear()
            by_target[method, path] = found
            return found

    @cached_property
    def _endpoint_cache(self) -> list[Any]:
        # Every request asks, twice (before it is sent and when it is checked): the patterns are
        # matched once per method and path. [the endpoints it is for, {(method, path): endpoint}]
        return [self.endpoints, {}]

    def expected_error_types(self, status: int) -> tuple[str, ...]:
        """Error types the docs allow for `status` (empty: the docs name none)."""
        if status in self.error_types:
            # Docs, Errors: the fallback is for "other 4xx not listed"; a listed status has its own type.
            return (self.error_types[status],)
        if 400 <= status < 500:
            return (self.fallback_4xx_error_type,)
        return ()


# Docs, API overview ("Request size limits") and endpoint references.
DEFAULT_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="Messages",
        method="POST",
        path="/v1/messages",
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
    # Results are JSON Lines, one result per line: no single-body model.
    Endpoint(name="Message Batches", method="GET", path="/v1/messages/batches/{id}/results", body="none"),
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
    Endpoint(name="Files", method="POST", path="/v1/files", body="multipart", max_body_bytes=500 * MB),
    Endpoint(name="Files", method="GET", path="/v1/files", body="none"),
    Endpoint(name="Files", method="GET", path="/v1/files/{id}", body="none"),
    Endpoint(name="Files", method="GET", path="/v1/files/{id}/content", body="none", response_body="binary"),
    Endpoint(name="Files", method="DELETE", path="/v1/files/{id}", body="none"),
    Endpoint(name="Text Completions (legacy)", method="POST", path="/v1/complete"),
    Endpoint(
        name="OpenAI SDK compatibility",
        method="POST",
        path="/v1/chat/completions",
        requires_version=False,
        openai_errors=True,
        response_headers=("x-request-id",),
    ),
)


class Contract(_Model):
    """All profiles, keyed by the `anthropic-version` value that selects them."""

    profiles: dict[str, Profile]
    # Used to judge a request that names no version, or one we have no profile for.
    fallback_version: str

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
        return Contract(profiles=profiles, fallback_version=self.fallback_version)

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
        fallback = self.fallback_version if self.fallback_version in profiles else next(iter(profiles))
        return Contract(profiles=profiles, fallback_version=fallback)


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
