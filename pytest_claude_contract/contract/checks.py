"""The checks: small pure functions over one exchange, each returning the violations it finds.

A check reads facts from the contract models (``_contract``) and nothing else; which platform applies
is chosen by the request's host (once per host), which profile by the version the request sends (the
`anthropic-version` header, or the body's `anthropic_version` on a platform that reads it there).
Every request to a Claude host passes through here, so each check does a few dict look-ups and
nothing more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal, NamedTuple, cast

from .credentials import (
    SIGV4_SCHEME,
    header_token,
    is_credential_param,
    looks_like_key,
    secret_of,
    sigv4_fields,
)
from .excerpts import excerpt
from .exchange import EVENTSTREAM, Exchange, beta_names, media_type
from .redaction import redact, request_secrets, shown_secret
from .streams import frame_events, stream_problems

if TYPE_CHECKING:
    from .models import Contract, Endpoint, Platform, Profile
    from .verdicts import VerdictStore


# How a finding counts. "violation" fails; the others are findings about a recording that do not
# blame the client: "recorded before" (a header the API did not send yet when it was recorded, found
# by the checks) and "not recorded" (a header its recorder filtered out, found by `lint`).
Level = Literal["violation", "recorded before", "not recorded"]


class Violation(NamedTuple):
    """One finding. A NamedTuple, not a frozen dataclass: the dataclass compiles its methods when its
    module is imported, 5.0 M instructions (about 1.1 ms) once a session, against 0.9 M for this
    (callgrind, 2026-12-07)."""

    rule: str
    message: str
    hint: str
    exchange: Exchange | None = None
    platform: str = ""  # the name of the platform whose contract judged the exchange
    level: Level = "violation"

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"

    @property
    def severity(self) -> str:
        """The rule's: "error" fails, "warning" is only reported (rules.Rule.severity)."""
        from .rules import RULES_BY_ID

        rule = RULES_BY_ID.get(self.rule)
        return rule.severity if rule is not None else "error"


def errors_and_warnings(violations: Sequence[Violation]) -> tuple[list[Violation], list[Violation]]:
    """The violations that fail, and the warnings that are only reported."""
    errors: list[Violation] = []
    warnings: list[Violation] = []
    for violation in violations:
        (warnings if violation.severity == "warning" else errors).append(violation)
    return errors, warnings


class Context:
    """What every check reads about one exchange. A plain class, built once per exchange: a
    dataclass compiles its methods when it is defined (see capture.core.Replay)."""

    __slots__ = (
        "api_version",
        "contract",
        "endpoint",
        "exchange",
        "platform",
        "profile",
        "recorded_on",
        "today",
        "version",
    )

    def __init__(  # noqa: PLR0917 - as the dataclass it replaces took them
        self,
        exchange: Exchange,
        contract: Contract,
        profile: Profile,
        endpoint: Endpoint | None,
        version: str | None,
        platform: Platform,
        api_version: str | None = None,
        today: date | None = None,
        recorded_on: date | None = None,
    ) -> None:
        self.exchange = exchange
        self.contract = contract
        self.profile = profile
        self.endpoint = endpoint
        # The version value the request sends (header or body, as its platform reads it), and the API
        # version it stands for (None: not one accepted).
        self.version = version
        self.platform = platform
        self.api_version = api_version
        # The day model lifecycle rules judge by (None: today) and, for `lint`, the day the exchange
        # was recorded (the message says what the model's status was then).
        self.today = today
        self.recorded_on = recorded_on


Check = Callable[[Context], Iterator[Violation]]


def _violation(
    ctx: Context, rule: str, message: str, hint: str | None = None, level: Level = "violation"
) -> Violation:
    if hint is None:
        from .rules import RULES_BY_ID  # the catalogue costs milliseconds: only once a rule fires

        hint = RULES_BY_ID[rule].hint
    # Every rule's message passes here: a value it quotes (a header, a body excerpt) may hold a key.
    secrets = request_secrets(ctx.exchange.request)
    return Violation(
        rule, redact(message, secrets), redact(hint, secrets), ctx.exchange, ctx.platform.name, level
    )


# The `Authorization` schemes and the auth value (models.AuthScheme) each one is.
_AUTHORIZATION_SCHEMES = {"bearer": "bearer", SIGV4_SCHEME: "sigv4"}
_SCHEME_WORDS = {"bearer": "Bearer", "sigv4": "AWS4-HMAC-SHA256"}
SCHEME_NAMES = {
    "x-api-key": "`x-api-key`",
    "bearer": "`Authorization: Bearer`",
    "api-key": "`api-key`",
    "sigv4": "`Authorization: AWS4-HMAC-SHA256` (SigV4)",
}


def check_auth(ctx: Context) -> Iterator[Violation]:
    req = ctx.exchange.request
    headers = req.headers
    accepted = ctx.profile.auth
    where = "the API" if ctx.platform.first_party else ctx.platform.title
    found = False
    for name, value in req.query:
        if is_credential_param(name, value):
            found = True
            yield _violation(ctx, "auth-scheme", f"a credential is sent in the URL query parameter {name!r}")
    for header in ("x-api-key", "api-key"):
        api_key = headers.get(header)
        if api_key is None:
            continue
        found = True
        if not api_key.strip() and header in accepted:
            yield _violation(ctx, "auth-missing", f"the `{header}` header is empty")
        elif header not in accepted:
            if header == "api-key" and "x-api-key" in accepted:
                yield _violation(
                    ctx, "auth-scheme", f"a bare `api-key` header is sent; {where} reads `x-api-key`"
                )
            else:
                yield _violation(
                    ctx,
                    "auth-scheme",
                    f"`{header}` is sent, but {_accepts(ctx)} only {_schemes(accepted)}",
                    _auth_hint(ctx),
                )
        else:
            yield from _claude_key_refused(ctx, api_key)
    authorization = headers.get("authorization")
    if authorization is not None:
        found = True
        scheme, token = header_token(authorization)
        kind = _AUTHORIZATION_SCHEMES.get(scheme.lower())
        takes = " or ".join(_SCHEME_WORDS[a] for a in accepted if a in _SCHEME_WORDS) or "Bearer"
        if not scheme and not token:
            yield _violation(ctx, "auth-missing", "the `Authorization` header is empty")
        elif not scheme:
            yield _violation(
                ctx, "auth-scheme", f"`Authorization` is sent with no scheme; {where} takes `{takes} <token>`"
            )
        elif kind is None or (kind not in accepted and kind != "bearer"):
            yield _violation(
                ctx, "auth-scheme", f"`Authorization: {scheme} ...` is sent; {where} takes {takes}"
            )
        elif not token:
            yield _violation(ctx, "auth-missing", f"`Authorization: {scheme}` is sent with no token")
        elif kind not in accepted:
            yield _violation(
                ctx,
                "auth-scheme",
                f"`Authorization: {scheme}` is sent, but {_accepts(ctx)} only {_schemes(accepted)}",
                _auth_hint(ctx),
            )
        elif kind == "bearer":
            yield from _claude_key_refused(ctx, token)
    if not found:
        yield _violation(ctx, "auth-missing", f"no {_schemes(accepted)} header is sent")


def _accepts(ctx: Context) -> str:
    return "this test accepts" if ctx.platform.first_party else f"{ctx.platform.title} accepts"


def _auth_hint(ctx: Context) -> str:
    accepted = _schemes(ctx.profile.auth)
    if ctx.platform.first_party:
        return f"Send credentials as {accepted}, or widen `auth=[...]`."
    return f"Send credentials as {accepted}, as {ctx.platform.title} takes them (see docs/platforms.md)."


def _claude_key_refused(ctx: Context, credential: str) -> Iterator[Violation]:
    """A Claude API key sent to a platform that takes its own credentials."""
    if ctx.platform.rejects_claude_keys and looks_like_key(credential.strip()):
        yield _violation(
            ctx,
            "auth-scheme",
            f"a Claude API key (sk-ant-...) is sent to {ctx.platform.title}, which takes "
            f"{_schemes(ctx.profile.auth)} with its own credentials",
            f"Authenticate as {ctx.platform.title} does (see docs/platforms.md), or send the request "
            "to api.anthropic.com.",
        )


def _schemes(schemes: tuple[str, ...]) -> str:
    return " or ".join(SCHEME_NAMES.get(s, s) for s in schemes)


def check_version(ctx: Context) -> Iterator[Violation]:
    if ctx.endpoint is not None and not ctx.endpoint.requires_version:
        return
    version = ctx.version
    if ctx.platform.version_in == "body":
        yield from _check_body_version(ctx)
    elif version is None:
        yield _violation(ctx, "version-missing", "no `anthropic-version` header is sent")
    elif version not in ctx.contract.profiles:
        known = ", ".join(sorted(ctx.contract.profiles))
        yield _violation(
            ctx,
            "version-unknown",
            f"`anthropic-version: {excerpt(version, 60, quoted=False)}` is not a documented version "
            f"accepted here (known: {known})",
            f"Send one of {known}, or add a profile for {excerpt(version, 60, quoted=False)} in configuration.",
        )


def _check_body_version(ctx: Context) -> Iterator[Violation]:
    """A platform that reads the version from the body field `anthropic_version` (Vertex AI)."""
    data = ctx.exchange.request.json
    if ctx.endpoint is None or not isinstance(data, dict):
        return  # a request the platform's contract does not list, or a body that is not JSON
    accepted = ctx.contract.accepted_versions(ctx.platform)
    shown = ", ".join(accepted)
    title = ctx.platform.title
    if "anthropic_version" not in data:
        header = ctx.exchange.request.headers.get("anthropic-version")
        also = (
            f" (an `anthropic-version: {excerpt(header, quoted=False)}` header is sent, which {title} does not read)"
            if header
            else ""
        )
        yield _violation(
            ctx,
            "platform-version-body",
            f"the body has no `anthropic_version` field; {title} reads the version there{also}",
        )
    elif ctx.api_version is None:
        yield _violation(
            ctx,
            "platform-version-body",
            f"the body's `anthropic_version` is {_quoted(data['anthropic_version'])}, not a version {title} "
            f"accepts ({shown})",
            f"Send one of {shown}, or add a profile for it in configuration.",
        )


def _quoted(value: object) -> str:
    """A body value in a message: a string quoted and cut when long, anything else as its repr, cut."""
    return excerpt(value) if isinstance(value, str) else excerpt(repr(value), quoted=False)


def check_model_in_body(ctx: Context) -> Iterator[Violation]:
    """An endpoint that takes the model from its URL (Vertex AI's rawPredict): no `model` in the body."""
    endpoint = ctx.endpoint
    data = ctx.exchange.request.json
    if endpoint is None or not endpoint.model_in_url or not isinstance(data, dict) or "model" not in data:
        return
    yield _violation(
        ctx,
        "platform-model-in-body",
        f"the body names `model` ({_quoted(data['model'])}), but {ctx.platform.title} takes the model from the URL "
        f"({endpoint.path}) and refuses it in the body",
    )


def body_limit_of(ctx: Context) -> int | None:
    """The body limit of the endpoint a request goes to; one the contract does not list gets the
    standard (Messages) limit."""
    return ctx.endpoint.max_body_bytes if ctx.endpoint is not None else _standard_limit(ctx.profile)


def body_too_large(ctx: Context, size: int, limit: int, outcome: str) -> Violation:
    """The body-too-large verdict: `size` bytes over `limit`, and what came of it (`outcome`, the end
    of the sentence)."""
    req, endpoint = ctx.exchange.request, ctx.endpoint
    where = f"{endpoint.name} ({req.method} {endpoint.path})" if endpoint else f"{req.method} {req.path}"
    limit_text = endpoint.limit_text if endpoint else f"{limit:,} bytes"
    return _violation(
        ctx,
        "body-too-large",
        f"the request body is {size:,} bytes; {where} accepts at most {limit_text} ({limit:,} bytes){outcome}",
    )


def check_body(ctx: Context) -> Iterator[Violation]:
    req = ctx.exchange.request
    endpoint = ctx.endpoint
    size = len(req.body)
    limit = body_limit_of(ctx)
    if limit is not None and size > limit:
        yield body_too_large(ctx, size, limit, " and would answer 413 request_too_large")
    kind = endpoint.body if endpoint is not None else None
    if not size or kind == "none":
        return
    sent = media_type(req.headers.get("content-type"))
    if kind == "json":
        if sent != ctx.profile.json_content_type:
            yield _violation(
                ctx,
                "content-type",
                f"the JSON body is sent with content-type {sent or '(none)'!r}, "
                f"not {ctx.profile.json_content_type!r}",
            )
        if not isinstance(req.json, dict):
            yield _violation(
                ctx,
                "body-not-json",
                f"the body of {req.method} {req.path} is not a JSON object (starts {excerpt(req.body, 24)})",
            )
    elif kind == "multipart":
        if sent != ctx.profile.multipart_content_type:
            yield _violation(
                ctx,
                "content-type",
                f"the upload is sent with content-type {sent or '(none)'!r}, "
                f"not {ctx.profile.multipart_content_type!r}",
                "Upload files as `multipart/form-data` (the SDK's `files.upload` does).",
            )
    elif sent not in (ctx.profile.json_content_type, ctx.profile.multipart_content_type):
        # An endpoint the contract does not list: the API takes only these two body types.
        yield _violation(
            ctx,
            "content-type",
            f"the body is sent with content-type {sent or '(none)'!r}, not application/json",
        )


def _standard_limit(profile: Profile) -> int | None:
    for endpoint in profile.endpoints:
        if endpoint.path == "/v1/messages":
            return endpoint.max_body_bytes
    return None


def check_response_headers(ctx: Context) -> Iterator[Violation]:
    response = ctx.exchange.response
    if response is None:
        return
    profile, endpoint = ctx.profile, ctx.endpoint
    required = profile.required_response_headers
    if endpoint is not None and endpoint.response_headers is not None:
        required = endpoint.response_headers
    for name in required:
        if name in response.headers:
            continue
        absent_on = profile.response_headers_absent_on_error.get(name)
        if absent_on and response.status >= 400 and _error_type(ctx) in absent_on:
            continue
        rule = _RESPONSE_HEADER_RULES[name]
        message = f"the {response.status} response has no `{name}` header"
        introduced = profile.response_headers_since.get(name)
        recorded = recording_day(ctx.exchange) if introduced is not None else None
        if introduced is not None and recorded is not None and recorded < introduced.since:
            message += (
                f" (recorded before the header existed: recorded {recorded.isoformat()}; the API sends "
                f"it since {introduced.since.isoformat()}, per {introduced.source})"
            )
            yield _violation(ctx, rule, message, level="recorded before")
        else:
            yield _violation(ctx, rule, message)


_RESPONSE_HEADER_RULES = {
    "request-id": "response-request-id",
    "x-request-id": "response-request-id",
    "anthropic-organization-id": "response-organization-id",
}


def _error_type(ctx: Context) -> str | None:
    """The error type of an error answer: its body's, else the one the docs pair with its status."""
    response = ctx.exchange.response
    assert response is not None
    body = response.json
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        found: str = error["type"]
        return found
    expected = ctx.profile.expected_error_types(response.status)
    return expected[0] if expected else None


def recording_day(exchange: Exchange) -> date | None:
    """The day a replayed answer was recorded: the cassette's `recorded_at`, else the answer's `Date`
    header (vcrpy stores no time); None for a live answer, or when neither tells."""
    if exchange.origin != "replayed" or exchange.response is None:
        return None
    from ..cassette.model import recorded_time  # only for an absent header that has a start date

    when = recorded_time(exchange.recorded_at)
    if when is None:
        sent = exchange.response.headers.get("date")
        try:
            when = parsedate_to_datetime(sent) if sent else None
        except (TypeError, ValueError, IndexError):
            when = None
    return None if when is None else when.date()


def check_response_body(ctx: Context) -> Iterator[Violation]:
    response = ctx.exchange.response
    if response is None:
        return
    kind = ctx.endpoint.response_body if ctx.endpoint is not None else "json"
    if kind in ("binary", "jsonl") and response.status < 400:
        return  # jsonl: its lines are response-schema's; its content type is not documented
    sent = media_type(response.headers.get("content-type"))
    request_json = ctx.exchange.request.json
    streaming = kind == "event-stream" or (
        isinstance(request_json, dict) and request_json.get("stream") is True
    )
    stream_type = ctx.platform.stream_content_type
    expected = stream_type if response.status < 400 and streaming else ctx.profile.json_content_type
    if response.body and sent != expected:
        what = f"the {response.status}"
        if expected == stream_type:
            always = kind == "event-stream" and ctx.endpoint is not None
            what = f"the {ctx.endpoint.name}" if always and ctx.endpoint else "a stream: true request's"
        yield _violation(
            ctx,
            "response-content-type",
            f"{what} response has content-type {sent or '(none)'!r}, not {expected!r}",
        )
    if response.status >= 400:
        yield from _check_error(ctx, response.status, response.json)


def _check_error(ctx: Context, status: int, body: object) -> Iterator[Violation]:
    error = body.get("error") if isinstance(body, dict) else None
    if (
        ctx.endpoint is not None
        and ctx.endpoint.openai_errors
        and isinstance(body, dict)
        and body.get("type") != "error"
        and isinstance(error, dict)
        and isinstance(error.get("message"), str)
    ):
        return  # OpenAI's error shape: its types are OpenAI's, not paired with statuses here
    if "google" in ctx.platform.error_shapes and _google_error(body):
        return  # Google's front end answered (Vertex AI): its `status` names are Google's
    if "aws" in ctx.platform.error_shapes:
        yield from _check_aws_error(ctx, status, body)
        return
    if (
        not isinstance(body, dict)
        or body.get("type") != "error"
        or not isinstance(error, dict)
        or not isinstance(error.get("type"), str)
        or not isinstance(error.get("message"), str)
    ):
        yield _violation(
            ctx,
            "error-shape",
            f'the {status} response body is not {{"type": "error", "error": {{"type": ..., "message": ...}}}}',
        )
        return
    expected = ctx.profile.expected_error_types(status)
    if expected and error["type"] not in expected:
        yield _violation(
            ctx,
            "error-status",
            f"a {status} response carries error type {error['type']!r}; "
            f"the docs pair {status} with {' or '.join(repr(e) for e in expected)}",
        )


def _check_aws_error(ctx: Context, status: int, body: object) -> Iterator[Violation]:
    """AWS's REST-JSON error (Amazon Bedrock): `{"message": ...}`, its type named by the
    `x-amzn-errortype` header (`ThrottlingException:http://internal.amazon.com/...`) or a `__type`."""
    message = body.get("message", body.get("Message")) if isinstance(body, dict) else None
    if not isinstance(message, str):
        yield _violation(
            ctx,
            "error-shape",
            f'the {status} response body is not {{"message": ...}}, the error shape {ctx.platform.title} answers with',
            f"Whatever answered is not {ctx.platform.title} (a proxy, a stub): answer with "
            '`{"message": "..."}` and the error type in `x-amzn-errortype`, as AWS does.',
        )
        return
    response = ctx.exchange.response
    named = response.headers.get("x-amzn-errortype") if response is not None else None
    if named is None and isinstance(body, dict) and isinstance(body.get("__type"), str):
        named = body["__type"]
    error_type = (named or "").split(":", 1)[0].rpartition("#")[2].strip()
    expected = ctx.platform.error_statuses.get(error_type)
    if expected is not None and expected != status:
        yield _violation(
            ctx,
            "error-status",
            f"a {status} response carries error type {error_type!r}; {ctx.platform.title} answers "
            f"{error_type} with {expected}",
        )


def _google_error(body: object) -> bool:
    """Google APIs' error body: {"error": {"code": 401, "message": "...", "status": "UNAUTHENTICATED"}}."""
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), int)
        and isinstance(error.get("message"), str)
        and isinstance(error.get("status"), str)
    )


# ---------------------------------------------------------------- streams, rate limits, betas


def check_stream(ctx: Context) -> Iterator[Violation]:
    """A Messages event stream: its order (stream-order, the first break only: later ones follow from
    it) and each event's data (stream-event, the first problem and how many more)."""
    response = ctx.exchange.response
    if response is None or ctx.endpoint is None or not ctx.endpoint.messages_stream:
        return
    kind = media_type(response.headers.get("content-type"))
    if kind == EVENTSTREAM:  # Amazon Bedrock: each frame's `bytes` is a Messages event
        events, frame_problems = frame_events(response.body)
        if frame_problems:
            more = len(frame_problems) - 1
            suffix = f" (and {more} more frame problem{'s' if more > 1 else ''})" if more else ""
            yield _violation(ctx, "bedrock-stream-frame", frame_problems[0] + suffix)
    elif kind == "text/event-stream":
        events = response.events
    else:
        return
    problem, problems = stream_problems(events)  # both rules in one pass over the events
    if problem is not None:
        yield _violation(ctx, "stream-order", problem)
    if problems:
        more = len(problems) - 1
        suffix = f" (and {more} more event{'s' if more > 1 else ''} like it)" if more else ""
        yield _violation(ctx, "stream-event", problems[0] + suffix)


_RATELIMIT = re.compile(
    r"anthropic-ratelimit-(?:requests|tokens|input-tokens|output-tokens)-(limit|remaining|reset)"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))"
)
# A recorder's stand-in for a filtered header: crewAI writes the name upper-cased plus "-XXX".
_PLACEHOLDER = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*-XXX")


def check_ratelimit_headers(ctx: Context) -> Iterator[Violation]:
    response = ctx.exchange.response
    if response is None:
        return
    for name, value in response.headers.items():
        if not name.startswith("anthropic-ratelimit-"):
            continue
        match = _RATELIMIT.fullmatch(name)
        text = value.strip()
        if match is None or _PLACEHOLDER.fullmatch(text):
            continue  # a limit the docs do not list yet, or a value the recorder filtered out
        shown = excerpt(value, 60, quoted=False)
        if match.group(1) == "reset":
            if not _is_rfc3339(text):
                yield _violation(ctx, "ratelimit-headers", f"`{name}: {shown}` is not an RFC 3339 time")
        elif not text.isascii() or not text.isdigit():
            yield _violation(ctx, "ratelimit-headers", f"`{name}: {shown}` is not a non-negative integer")
    retry_after = response.headers.get("retry-after")
    if retry_after is None:
        if response.status == 429 and ctx.platform.retry_after_on_429:
            yield _violation(
                ctx,
                "ratelimit-headers",
                "the 429 response has no `retry-after` header; clients read it to know when to retry",
            )
    elif not _PLACEHOLDER.fullmatch(retry_after.strip()) and not _is_retry_after(retry_after.strip()):
        yield _violation(
            ctx,
            "ratelimit-headers",
            f"`retry-after: {excerpt(retry_after, 60, quoted=False)}` is neither a number of seconds "
            "nor an HTTP date",
        )


def _is_rfc3339(text: str) -> bool:
    match = _RFC3339.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second, off_hour, off_minute = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59))
    except ValueError:
        return False
    return off_hour is None or (int(off_hour) < 24 and int(off_minute) < 60)


def _is_retry_after(text: str) -> bool:
    if text.isascii() and text.isdigit():
        return True
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return False
    return True


_BETA_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_beta_header(ctx: Context) -> Iterator[Violation]:
    if ctx.platform.version_in == "body":
        yield from _check_body_betas(ctx)
    value = ctx.exchange.request.headers.get("anthropic-beta")
    if value is None:
        return
    entries = value.split(",")
    shown = excerpt(value, 120, quoted=False)
    for position, entry in enumerate(entries, 1):
        name = entry.strip()
        if not name:
            where = f"entry {position} of {len(entries)}" if len(entries) > 1 else "its only entry"
            yield _violation(ctx, "beta-header", f"`anthropic-beta: {shown}` has an empty entry ({where})")
        elif not _BETA_NAME.fullmatch(name):
            what = (
                "is not a beta name"
                if len(entries) == 1
                else f"names {excerpt(name)}, which is not a beta name"
            )
            yield _violation(
                ctx,
                "beta-header",
                f"`anthropic-beta: {shown}` {what} (lowercase letters, digits and hyphens, "
                "e.g. files-api-2025-04-14; several names are separated by commas)",
            )


def _check_body_betas(ctx: Context) -> Iterator[Violation]:
    """A platform that reads the version from the body reads the betas there too, as a list
    (Bedrock user guide: `"anthropic_beta": ["computer-use-2024-10-22"]`; the SDK puts them there)."""
    data = ctx.exchange.request.json
    betas = data.get("anthropic_beta") if isinstance(data, dict) and ctx.endpoint is not None else None
    if betas is None:
        return
    if not isinstance(betas, list) or not all(isinstance(b, str) for b in betas):
        shown = json.dumps(betas)
        yield _violation(
            ctx,
            "beta-header",
            f"the body's `anthropic_beta` is {excerpt(shown, 60, quoted=False)}, not a list of "
            f"beta names as {ctx.platform.title} takes them",
            'Send `"anthropic_beta": ["name1", "name2"]` (the SDK\'s `betas=[...]` does this).',
        )
        return
    for name in betas:
        if not _BETA_NAME.fullmatch(name):
            yield _violation(
                ctx,
                "beta-header",
                f"the body's `anthropic_beta` names {name!r}, which is not a beta name (lowercase letters, "
                "digits and hyphens, e.g. files-api-2025-04-14)",
                'Send `"anthropic_beta": ["name1", "name2"]` (the SDK\'s `betas=[...]` does this).',
            )


def check_beta_required(ctx: Context) -> Iterator[Violation]:
    endpoint = ctx.endpoint
    if endpoint is None or endpoint.required_beta is None:
        return
    value = ctx.exchange.request.headers.get("anthropic-beta")
    names = beta_names(value) if value is not None else frozenset()
    if endpoint.required_beta not in names:
        sent = (
            f"`anthropic-beta: {excerpt(value, 120, quoted=False)}`"
            if value is not None
            else "no `anthropic-beta` header"
        )
        yield _violation(
            ctx,
            "beta-required",
            f"{endpoint.name} ({ctx.exchange.request.method} {endpoint.path}) requires the beta "
            f"{endpoint.required_beta!r}, and the request sends {sent}",
        )


def check_key_kind(ctx: Context) -> Iterator[Violation]:
    """An admin key where a standard key belongs, or the other way round (OAuth tokens and values of
    other shapes are not judged)."""
    endpoint = ctx.endpoint
    if endpoint is None:
        return
    headers = ctx.exchange.request.headers
    prefixes = ctx.profile.key_prefixes
    where = f"{endpoint.name} ({ctx.exchange.request.method} {endpoint.path})"
    for name in ("x-api-key", "authorization"):
        value = headers.get(name)
        if not value:
            continue
        key = secret_of(value)
        kind = next((k for k, prefix in prefixes.items() if key.startswith(prefix)), None)
        if kind is None or kind == endpoint.credential:
            continue
        shown = f"`{shown_secret(key)}` in `{name}`"
        if kind == "admin-key":
            message = (
                f"an admin key ({shown}) is sent to {where}; admin keys work only on the Admin API "
                "(`/v1/organizations/...`), the other endpoints take a standard API key"
            )
        else:
            message = f"a standard API key ({shown}) is sent to {where}, which takes an admin key"
        yield _violation(ctx, "auth-key-kind", message)


def requested_models(ctx: Context) -> list[tuple[str, str]]:
    """The model ids a request names, each with where it stands: the JSON body's `model`, and each
    Message Batches request's `params.model`. (Bedrock and Vertex name the model in the URL: a
    platform profile adds it here.)"""
    data = ctx.exchange.request.json
    if not isinstance(data, dict):
        return []
    found: list[tuple[str, str]] = []
    if isinstance(data.get("model"), str):
        found.append(("the request", data["model"]))
    requests = data.get("requests")
    if isinstance(requests, list):
        for position, item in enumerate(requests):
            params = item.get("params") if isinstance(item, dict) else None
            if isinstance(params, dict) and isinstance(params.get("model"), str):
                found.append((f"requests[{position}].params", params["model"]))
    return found


def judging_day() -> date:
    """The day the plugin judges model lifecycles by when the context names none: today. (The
    project's own tests fix it here, so that they do not change verdict as time passes.)"""
    return date.today()


def check_model_lifecycle(ctx: Context) -> Iterator[Violation]:
    """model-retired and model-deprecated, by the contract's lifecycle table on `ctx.today`."""
    if not ctx.platform.anthropic_model_lifecycle:
        return  # the platform sets its own schedule (Amazon Bedrock)
    lifecycle = ctx.contract.model_lifecycle
    body = ctx.exchange.request.body
    if not body or not lifecycle.named_in(body):
        return  # names no listed model (nearly every request): the body is not parsed here
    day = ctx.today or judging_day()
    for where, model in requested_models(ctx):
        entry = lifecycle.entry_for(model)
        if entry is None:
            continue
        status = entry.status_on(day)
        if status == "active":
            continue
        instead = f"; use {entry.replacement!r} instead" if entry.replacement else ""
        recorded = ""
        if ctx.recorded_on is not None:
            recorded = f"; recorded {ctx.recorded_on} when it was {entry.status_on(ctx.recorded_on)}"
        if status == "retired":
            yield _violation(
                ctx,
                "model-retired",
                f"{where} names model {model!r}, retired on {entry.retired_on} (judged on {day}): "
                f"the API refuses it{instead}{recorded}",
            )
        else:
            yield _violation(
                ctx,
                "model-deprecated",
                f"{where} names model {model!r}, deprecated: it retires on {entry.retired_on} "
                f"(judged on {day}){instead}{recorded}",
            )


# ---------------------------------------------------------------- documented bodies
# The models live in contract.bodies (pydantic), imported on first use: importing the checks stays light.


def check_request_schema(ctx: Context) -> Iterator[Violation]:
    """A JSON request body against its endpoint's documented request model."""
    endpoint = ctx.endpoint
    data = ctx.exchange.request.json
    if endpoint is None or endpoint.request_schema is None or not isinstance(data, dict):
        return  # a body that is no JSON object is body-not-json's
    from .bodies import validate_body

    errors, total = validate_body(endpoint.request_schema, data)
    if errors:
        yield _violation(
            ctx,
            "request-schema",
            f"the {endpoint.name} request body does not match the documented request: "
            f"{_listed(errors, total)}",
        )


def check_response_schema(ctx: Context) -> Iterator[Violation]:
    """A 2xx JSON response body against its endpoint's documented response model (not streams)."""
    response = ctx.exchange.response
    endpoint = ctx.endpoint
    if (
        response is None
        or endpoint is None
        or endpoint.response_schema is None
        or not 200 <= response.status < 300
        or not response.body
        or media_type(response.headers.get("content-type")) in ("text/event-stream", EVENTSTREAM)
    ):
        return
    request_json = ctx.exchange.request.json
    if isinstance(request_json, dict) and request_json.get("stream") is True:
        return  # a stream, or a stream request answered as JSON (response-content-type's)
    from .bodies import validate_body

    if endpoint.response_body == "jsonl":
        yield from _check_json_lines(ctx, endpoint, response.body)
        return
    errors, total = validate_body(endpoint.response_schema, response.json)
    if errors:
        yield _violation(
            ctx,
            "response-schema",
            f"the {response.status} {endpoint.name} response body does not match the documented "
            f"response: {_listed(errors, total)}",
        )


def _check_json_lines(ctx: Context, endpoint: Endpoint, body: bytes) -> Iterator[Violation]:
    """A JSON Lines body: each line against the response model; the first bad line is reported, with
    how many more there are."""
    from .bodies import validate_body
    from .exchange import parse_json

    assert endpoint.response_schema is not None
    bad: list[str] = []
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        data = parse_json(line)
        if not isinstance(data, dict):
            bad.append(f"line {number} is not a JSON object")
            continue
        errors, total = validate_body(endpoint.response_schema, data)
        if errors:
            bad.append(f"line {number}: {_listed(errors, total)}")
    if bad:
        more = f" (and {len(bad) - 1} more line{'s' if len(bad) > 2 else ''})" if len(bad) > 1 else ""
        yield _violation(
            ctx,
            "response-schema",
            f"the {endpoint.name} results (JSON Lines) do not match the documented result: {bad[0]}{more}",
        )


def check_version_body(ctx: Context) -> Iterator[Violation]:
    """What the declared `anthropic-version` removed or rejects, in Messages-shaped request bodies."""
    profile = ctx.profile
    endpoint = ctx.endpoint
    data = ctx.exchange.request.json
    if (
        ctx.api_version != profile.version  # judged only against the version the client declares
        or not (
            profile.removed_request_fields
            or profile.rejects_assistant_document
            or profile.rejects_user_text_citations
        )
        or endpoint is None
        or endpoint.request_schema is None
        or not isinstance(data, dict)
    ):
        return
    from .bodies import message_params, version_body_errors

    errors = [
        error
        for prefix, params in message_params(endpoint.request_schema, data)
        for error in version_body_errors(
            params,
            prefix,
            removed=profile.removed_request_fields,
            assistant_document=profile.rejects_assistant_document,
            user_text_citations=profile.rejects_user_text_citations,
        )
    ]
    if errors:
        yield _violation(
            ctx,
            "version-body",
            f"the request sends what `anthropic-version: {profile.version}` rejects: "
            f"{_listed(errors[:MAX_LISTED], len(errors))}",
        )


MAX_LISTED = 5  # body errors listed in one violation; the rest are counted


def _listed(errors: Sequence[object], total: int) -> str:
    text = "; ".join(str(e) for e in errors[:MAX_LISTED])
    more = total - min(len(errors), MAX_LISTED)
    return f"{text}; and {more} more" if more > 0 else text


# ---------------------------------------------------------------- SigV4 (Amazon Bedrock)
# AWS Signature Version 4 (AWS IAM user guide, "Create a signed AWS API request" and "Elements of an
# AWS API request signature"): `Authorization: AWS4-HMAC-SHA256 Credential=<access key id>/<yyyymmdd>/
# <region>/<service>/aws4_request, SignedHeaders=<names;...>, Signature=<64 hex>`, the request time in
# `x-amz-date` (yyyymmddThhmmssZ, signed, its date the scope's; or a signed `Date`), `host` signed; temporary
# credentials (access key ids starting ASIA) send their session token as `x-amz-security-token`.
_AMZ_DATE = re.compile(r"(\d{8})T\d{6}Z")
_REGION_HOST = re.compile(r"[a-z0-9-]+\.([a-z0-9-]+)\.(?:amazonaws\.com|api\.aws)(?::\d+)?")


def check_sigv4(ctx: Context) -> Iterator[Violation]:
    """A SigV4 `Authorization` header: well formed, scoped to the platform's service and the host's
    region, dated by `x-amz-date`, and sent with the session token temporary credentials need."""
    headers = ctx.exchange.request.headers
    fields = sigv4_fields(headers.get("authorization", ""))
    if fields is None or "sigv4" not in ctx.profile.auth:
        return  # another scheme: check_auth's; SigV4 where it is not taken: auth-scheme
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        yield _violation(ctx, "bedrock-sigv4", f"the SigV4 `Authorization` has no {', '.join(missing)}")
        return
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        yield _violation(
            ctx,
            "bedrock-sigv4",
            "the SigV4 credential is not `<access key id>/<date>/<region>/<service>/aws4_request`",
        )
        return
    key_id, day, region, service, _ = scope
    wanted = ctx.platform.sigv4_service
    if wanted is not None and service != wanted:
        yield _violation(
            ctx,
            "bedrock-sigv4",
            f"the SigV4 signature is scoped to service {service!r}; {ctx.platform.title} takes {wanted!r}",
        )
    host_region = _REGION_HOST.fullmatch(ctx.exchange.request.host)
    if host_region is not None and host_region.group(1) != region:
        yield _violation(
            ctx,
            "bedrock-sigv4",
            f"the SigV4 signature is scoped to region {region!r}, but the request goes to "
            f"{host_region.group(1)!r} ({ctx.exchange.request.host})",
        )
    signed = fields["SignedHeaders"].lower().split(";")
    amz_date = headers.get("x-amz-date")
    if amz_date is None:
        if "date" not in headers or "date" not in signed:  # SigV4 takes a signed `Date` instead
            yield _violation(ctx, "bedrock-sigv4", "no `x-amz-date` header is sent with the SigV4 signature")
    elif (dated := _AMZ_DATE.fullmatch(amz_date.strip())) is None:
        yield _violation(ctx, "bedrock-sigv4", f"`x-amz-date: {amz_date}` is not yyyymmddThhmmssZ")
    elif dated.group(1) != day:
        yield _violation(
            ctx, "bedrock-sigv4", f"`x-amz-date: {amz_date}` is not on the credential scope's date {day}"
        )
    unsigned = [
        name for name in ("host", "x-amz-date") if name not in signed and (name == "host" or amz_date)
    ]
    if unsigned:
        yield _violation(ctx, "bedrock-sigv4", f"SignedHeaders leaves out {', '.join(unsigned)}")
    token = "x-amz-security-token" in headers
    if key_id.startswith("ASIA") and not token:
        yield _violation(
            ctx,
            "bedrock-sigv4",
            f"the access key id {key_id} is temporary (ASIA...), but no `x-amz-security-token` is sent",
        )
    elif key_id.startswith("AKIA") and token:
        yield _violation(
            ctx,
            "bedrock-sigv4",
            f"an `x-amz-security-token` is sent with a long-term access key id ({key_id}); "
            "only temporary credentials (ASIA...) have one",
        )


REQUEST_CHECKS: tuple[Check, ...] = (
    check_auth,
    check_sigv4,
    check_key_kind,
    check_version,
    check_body,
    check_model_in_body,
    check_beta_header,
    check_beta_required,
    # Not remembered with the body rules: its verdict on the same body changes with the day.
    check_model_lifecycle,
    check_request_schema,
    check_version_body,
)
# The request rules that read only the body (with profile and endpoint): pydantic validation, most of
# a request's checking cost, so their verdict on a replayed request's body is remembered (contract.verdicts).
# Last in REQUEST_CHECKS, so header rules, then these, keeps the order of the violations found.
BODY_CHECKS: tuple[Check, ...] = (check_request_schema, check_version_body)
HEADER_CHECKS: tuple[Check, ...] = tuple(c for c in REQUEST_CHECKS if c not in BODY_CHECKS)
assert REQUEST_CHECKS == HEADER_CHECKS + BODY_CHECKS
RESPONSE_CHECKS: tuple[Check, ...] = (
    check_response_headers,
    check_response_body,
    check_ratelimit_headers,
    check_stream,
    check_response_schema,
)


def context_for(
    exchange: Exchange, contract: Contract, *, today: date | None = None, recorded_on: date | None = None
) -> Context:
    request = exchange.request
    platform = contract.platform_for(request.host)
    if platform.version_in == "header":
        version = request.headers.get("anthropic-version")
    else:
        data = request.json
        sent = data.get("anthropic_version") if isinstance(data, dict) else None
        version = sent if isinstance(sent, str) or sent is None else json.dumps(sent)
    profile, api_version = contract.judged_by(platform, version)
    endpoint = profile.endpoint_for(request.method, request.path)
    return Context(exchange, contract, profile, endpoint, version, platform, api_version, today, recorded_on)


def check_exchange(
    exchange: Exchange,
    contract: Contract,
    allow: frozenset[str] = frozenset(),
    verdicts: VerdictStore | None = None,
    *,
    today: date | None = None,
    recorded_on: date | None = None,
    notes: bool = False,
) -> list[Violation]:
    """Every violation in one exchange, less the allowed rules. With `verdicts` (a replayed exchange:
    its response is a recorded one), the verdicts of the response rules and of the body rules are
    looked up there first; the header rules always run. `today`: the day the model lifecycle rules
    judge by (default: today); `recorded_on`: when the exchange was recorded (lint). With `notes`
    (`lint`), the findings that do not fail (level "recorded before") are in the list too; without,
    they are left out."""
    ctx = context_for(exchange, contract, today=today, recorded_on=recorded_on)
    if verdicts is None:
        found = [v for check in REQUEST_CHECKS for v in check(ctx)]
        if exchange.response is not None:
            found.extend(v for check in RESPONSE_CHECKS for v in check(ctx))
    else:
        found = [v for check in HEADER_CHECKS for v in check(ctx)]
        found.extend(_remembered(ctx, BODY_CHECKS, verdicts, verdicts.request_key_for(ctx)))
        if exchange.response is not None:
            found.extend(_remembered(ctx, RESPONSE_CHECKS, verdicts, verdicts.key_for(ctx)))
    if allow:
        found = [v for v in found if v.rule not in allow]
    if not notes:
        found = [v for v in found if v.level == "violation"]
    return found


def _remembered(
    ctx: Context, checks: tuple[Check, ...], verdicts: VerdictStore, key: bytes
) -> list[Violation]:
    remembered = verdicts.get(key)
    if remembered == ():  # judged before, and nothing found (nearly always): nothing to cut
        return []
    if remembered is not None:
        # Judged on another exchange with the same body: cut this one's credentials too.
        secrets = request_secrets(ctx.exchange.request)
        return [
            Violation(
                rule,
                redact(message, secrets),
                redact(hint, secrets),
                ctx.exchange,
                ctx.platform.name,
                cast("Level", level),
            )
            for rule, message, hint, level in remembered
        ]
    found = [v for check in checks for v in check(ctx)]
    verdicts.put(key, tuple((v.rule, v.message, v.hint, v.level) for v in found))
    return found


def body_limit(exchange: Exchange, contract: Contract) -> Iterator[Violation]:
    """Only the size check: run before a request is sent, so an oversized body never leaves."""
    ctx = context_for(exchange, contract)
    return (v for v in check_body(ctx) if v.rule == "body-too-large")
