"""What a credential looks like: the Claude key pattern, the headers and query parameters that carry
one, and how a header's token is read. The checks, the scrubber, lint and every report ask here."""

from __future__ import annotations

import re

# Header names whose whole value is a credential (x-amz-security-token: AWS temporary credentials'
# session token, sent with SigV4 by Amazon Bedrock clients).
SECRET_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "api-key", "x-amz-security-token"}
)
# Query parameters that carry a credential: the checks flag them, and reports never show their
# values (the X-Amz-* ones: SigV4 signed in the query, a presigned URL).
CREDENTIAL_PARAMS = frozenset(
    {
        "api_key",
        "api-key",
        "apikey",
        "key",
        "x-api-key",
        "x_api_key",
        "anthropic_api_key",
        "x-amz-credential",
        "x-amz-signature",
        "x-amz-security-token",
    }
)
# Environment variables that hold a credential: the recorder scrubs their values and every report
# cuts them. The AWS ones are what an Amazon Bedrock client signs or authenticates with.
CONFIGURED_SECRET_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
)
# Any Claude credential, wherever it stands: API keys (sk-ant-api03-), admin keys (sk-ant-admin01-),
# OAuth tokens (sk-ant-oat01-). A value that starts like one is treated as one (`looks_like_key`).
_KEY_PREFIX = r"sk-ant-[A-Za-z0-9]+-"
KEY_PATTERN = re.compile(_KEY_PREFIX + r"[A-Za-z0-9_\-]{8,}")
_KEY_START = re.compile(_KEY_PREFIX)
# Anything that starts like a key, however short its tail: what reports cut (contract.redaction).
KEY_LIKE = re.compile(_KEY_PREFIX + r"[A-Za-z0-9_\-]*")
# Where a key could start, looked for before KEY_PATTERN itself: a scan for the rarer "k" first is
# twice as fast over text that holds no key (nearly all text).
KEY_HINT = re.compile(r"k-ant-(?<=sk-ant-)")
KEY_HINT_BYTES = re.compile(rb"k-ant-(?<=sk-ant-)")
# Other credentials known by their shape, wherever they stand: AWS access key ids (AKIA: long-term,
# ASIA: temporary; 20 characters, AWS IAM "Unique identifiers"), and Amazon Bedrock API keys
# (long-term: `ABSK` + base64 of "BedrockAPIKey-...", short-term: `bedrock-api-key-` + base64 of a
# presigned URL, as the AWS token generators write them). Not inside a run of base64 (an image, a
# PDF): a key id is bounded by characters base64 does not use, a long-term key starts with the
# base64 of "BedrockAPIKey-".
AWS_SHAPES = re.compile(
    r"(?<![A-Za-z0-9+/])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9+/])"
    r"|ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{8,}={0,2}|bedrock-api-key-[A-Za-z0-9+/_\-]{16,}={0,2}"
)
_AWS_HINTS = ("AKIA", "ASIA", "ABSK", "bedrock-api-key-")
# How every credential of a known shape starts (secret_search looks for their base64 forms).
CREDENTIAL_STARTS = ("sk-ant-", *_AWS_HINTS)
_AWS_HINTS_BYTES = tuple(hint.encode() for hint in _AWS_HINTS)
# Every credential shape: Claude keys, AWS access key ids, Bedrock API keys. Searched for only where
# `shape_hinted` says one may be (the alternation has no literal prefix a scan could skip ahead by).
CREDENTIAL_SHAPES = re.compile(KEY_PATTERN.pattern + "|" + AWS_SHAPES.pattern)
CREDENTIAL_SHAPES_BYTES = re.compile(CREDENTIAL_SHAPES.pattern.encode())


def shape_hinted(text: str) -> bool:
    """Whether `text` may hold a credential by its shape (CREDENTIAL_SHAPES): substring scans, fast
    over the text that holds none (nearly all)."""
    return KEY_HINT.search(text) is not None or any(hint in text for hint in _AWS_HINTS)


def shape_hinted_bytes(data: bytes) -> bool:
    return KEY_HINT_BYTES.search(data) is not None or any(hint in data for hint in _AWS_HINTS_BYTES)


# Schemes whose token follows a space in the header's value.
TOKEN_SCHEMES = ("bearer", "basic")
# AWS Signature Version 4 (Amazon Bedrock): `AWS4-HMAC-SHA256 Credential=<access key id>/<date>/
# <region>/<service>/aws4_request, SignedHeaders=<names>, Signature=<hex>`. The key id and the
# signature are its secrets; the scope and the signed header names are not, and stay readable. The
# one parser of it: the scrubber, the reports' redaction and rule bedrock-sigv4 all read it here.
SIGV4_SCHEME = "aws4-hmac-sha256"
# Field names in any case, so that no spelling keeps a secret from the scrubber (rule bedrock-sigv4
# asks for them as AWS spells them); a value runs to the next comma or space, whatever it holds.
_SIGV4_FIELD = re.compile(r"(?i)\b(Credential|SignedHeaders|Signature)=([^,\s]*)")


def _sigv4_parts(value: str) -> tuple[str, str] | None:
    """(scheme as written, the fields after it) of a SigV4 `Authorization` value; None for another."""
    scheme, _, rest = value.strip().partition(" ")
    return (scheme, rest) if scheme.lower() == SIGV4_SCHEME else None


def _field_secret(name: str, value: str) -> str:
    # The secret part of one field: the credential's key id (before its scope), the whole signature.
    kind = name.lower()
    if kind == "credential":
        return value.partition("/")[0]
    return value if kind == "signature" else ""


def sigv4_fields(value: str) -> dict[str, str] | None:
    """A SigV4 `Authorization` value's fields by their name as written (`Credential`,
    `SignedHeaders`, `Signature`); None when the value is not SigV4."""
    parts = _sigv4_parts(value)
    return None if parts is None else dict(_SIGV4_FIELD.findall(parts[1]))


def sigv4_secrets(value: str) -> list[str]:
    """The access key id and the signature of a SigV4 `Authorization` value ([] for another)."""
    parts = _sigv4_parts(value)
    if parts is None:
        return []
    found = (_field_secret(*m.groups()) for m in _SIGV4_FIELD.finditer(parts[1]))
    return [secret for secret in found if secret]


def sigv4_scrubbed(value: str, placeholder: str) -> str | None:
    """A SigV4 `Authorization` value with its key id and signature replaced, the rest kept (None:
    not SigV4)."""
    parts = _sigv4_parts(value)
    if parts is None:
        return None

    def scrubbed(match: re.Match[str]) -> str:
        name, field = match.groups()
        secret = _field_secret(name, field)
        return f"{name}={placeholder}{field[len(secret) :]}" if secret else match.group(0)

    return f"{parts[0]} {_SIGV4_FIELD.sub(scrubbed, parts[1])}"


def looks_like_key(value: str) -> bool:
    """`value` starts like a Claude key (however short what follows)."""
    return _KEY_START.match(value) is not None


def is_credential_param(name: str, value: str) -> bool:
    return name.lower() in CREDENTIAL_PARAMS or looks_like_key(value)


def header_token(value: str) -> tuple[str, str]:
    """A credential header's value as (scheme, token): `Bearer abc` -> ("Bearer", "abc"), `Bearer`
    -> ("Bearer", ""), `Token abc` -> ("Token", "abc"); a value with no scheme (`x-api-key`'s) ->
    ("", value)."""
    scheme, sep, token = value.strip().partition(" ")
    if sep or scheme.lower() in TOKEN_SCHEMES:
        return scheme, token.strip()
    return "", scheme


def secret_of(value: str) -> str:
    """The secret in a credential header's value: the token after Bearer or Basic, a SigV4
    signature, else all of it."""
    scheme, token = header_token(value)
    if scheme.lower() in TOKEN_SCHEMES:
        return token
    signed = sigv4_secrets(value)
    return signed[-1] if signed else value.strip()


def keeps_scheme(value: str) -> str | None:
    """The scheme a scrubbed value keeps (Bearer, Basic), so a reader still sees which kind of
    credential was sent; None: the whole value goes."""
    scheme, _ = header_token(value)
    return scheme if scheme.lower() in TOKEN_SCHEMES else None


def credentials_in(headers: dict[str, str]) -> list[str]:
    """The secret values a request carries in its credential headers (names lower-cased)."""
    found = []
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            found.extend(sigv4_secrets(value) or [secret_of(value)])
    return found
