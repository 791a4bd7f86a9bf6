"""The scrubber: replaces credentials (`contract.credentials` says what one looks like) before
anything is written, by value and by header name, never by substring of a key name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..contract import credentials
from ..contract.credentials import KEY_HINT, KEY_HINT_BYTES, SECRET_HEADERS, keeps_scheme

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
        return credentials.KEY_PATTERN.sub(REDACTED, value) if KEY_HINT.search(value) else value

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets:
            encoded = secret.encode()
            if encoded in value:
                value = value.replace(encoded, REDACTED.encode())
        if KEY_HINT_BYTES.search(value):
            value = re.sub(credentials.KEY_PATTERN.pattern.encode(), REDACTED.encode(), value)
        return value

    def header(self, name: str, value: str) -> str:
        if name.lower() in self._headers:
            scheme = keeps_scheme(value)
            return f"{scheme} {REDACTED}" if scheme else REDACTED
        return self.text(value)

    def leaks(self, text: str) -> Iterator[str]:
        """Anything credential-shaped left in `text`, shown by its first characters only."""
        for secret in self._secrets:
            if secret in text:
                yield secret[:10] + "..."
        if KEY_HINT.search(text):
            for match in credentials.KEY_PATTERN.finditer(text):
                yield match.group(0)[:10] + "..."
