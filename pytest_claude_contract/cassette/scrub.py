"""The scrubber: replaces credentials (`contract.credentials` says what one looks like) before
anything is written, by value and by header name, never by substring of a key name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..contract import credentials
from ..contract.credentials import (
    SECRET_HEADERS,
    keeps_scheme,
    shape_hinted,
    shape_hinted_bytes,
    sigv4_scrubbed,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


REDACTED = "redacted-by-claude-contract"


class Scrubber:
    """Replaces credentials by value and by header name, never by substring of a key name.

    `headers` names more headers whose whole value is replaced (e.g. `anthropic-organization-id`)."""

    def __init__(self, secrets: Iterable[str], *, headers: Iterable[str] = ()) -> None:
        # Short values would match innocent text; a credential is long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        self._headers = SECRET_HEADERS | {h.lower() for h in headers} if headers else SECRET_HEADERS

    @property
    def values(self) -> tuple[str, ...]:
        """The credential values it replaces (besides anything shaped like a key), longest first."""
        return tuple(self._secrets)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return credentials.CREDENTIAL_SHAPES.sub(REDACTED, value) if shape_hinted(value) else value

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets:
            encoded = secret.encode()
            if encoded in value:
                value = value.replace(encoded, REDACTED.encode())
        if shape_hinted_bytes(value):
            value = credentials.CREDENTIAL_SHAPES_BYTES.sub(REDACTED.encode(), value)
        return value

    def header(self, name: str, value: str) -> str:
        if name.lower() in self._headers:
            signed = sigv4_scrubbed(value, REDACTED)  # SigV4 keeps its scope and signed header names
            if signed is not None:
                return signed
            scheme = keeps_scheme(value)
            return f"{scheme} {REDACTED}" if scheme else REDACTED
        return self.text(value)

    def leaks(self, text: str) -> Iterator[str]:
        """Anything credential-shaped left in `text`, shown by its first characters only."""
        for secret in self._secrets:
            if secret in text:
                yield secret[:10] + "..."
        if shape_hinted(text):
            for match in credentials.CREDENTIAL_SHAPES.finditer(text):
                yield match.group(0)[:10] + "..."
