"""What a credential looks like: the Claude key pattern, the headers and query parameters that carry
one, and how a header's token is read. The checks, the scrubber, lint and every report ask here."""

from __future__ import annotations

import re

# Header names whose whole value is a credential.
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "api-key"})
# Query parameters that carry a credential: the checks flag them, and reports never show their values.
CREDENTIAL_PARAMS = frozenset(
    {"api_key", "api-key", "apikey", "key", "x-api-key", "x_api_key", "anthropic_api_key"}
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
# Schemes whose token follows a space in the header's value.
_TOKEN_SCHEMES = ("bearer", "basic")


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
    if sep or scheme.lower() in _TOKEN_SCHEMES:
        return scheme, token.strip()
    return "", scheme


def secret_of(value: str) -> str:
    """The secret in a credential header's value: the token after Bearer or Basic, else all of it."""
    scheme, token = header_token(value)
    return token if scheme.lower() in _TOKEN_SCHEMES else value.strip()


def keeps_scheme(value: str) -> str | None:
    """The scheme a scrubbed value keeps (Bearer, Basic), so a reader still sees which kind of
    credential was sent; None: the whole value goes."""
    scheme, _ = header_token(value)
    return scheme if scheme.lower() in _TOKEN_SCHEMES else None


def credentials_in(headers: dict[str, str]) -> list[str]:
    """The secret values a request carries in its credential headers (names lower-cased)."""
    found = []
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            found.append(secret_of(value))
    return found
