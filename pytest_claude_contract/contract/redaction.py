"""The one redaction step in front of everything the plugin shows: violation messages and reports, the
miss report, the terminal summary, `lint` (text, JSON, GitHub annotations), `diff`, `serve`'s log and
the drift report of record mode `verify`.

A credential is shown as at most its first `SHOWN` characters (`sk-ant-api...`), wherever it stands
in the text: anything that starts like a Claude key, the token of a credential header written out
(`x-api-key: ...`, `Authorization: Bearer ...`), a credential query parameter of a URL, a URL's
password, an AWS access key id, a SigV4 signature, a Bedrock API key, the configured keys
(`ANTHROPIC_API_KEY`, `ANTHROPIC_AUTH_TOKEN`, the AWS credentials' variables) and the secrets the caller
knows (the credentials the reported requests carried). Text with none of these is returned as it is:
a token count, a model id, a request id stay readable.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from .credentials import (
    AWS_SHAPES,
    CONFIGURED_SECRET_ENV,
    KEY_LIKE,
    SECRET_HEADERS,
    SIGV4_SCHEME,
    TOKEN_SCHEMES,
    credentials_in,
    is_credential_param,
    shape_hinted,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .exchange import CapturedRequest

SHOWN = 10  # characters of a secret a report may show: enough to tell two keys apart, not to use one
# Where a configured key comes from; the replay placeholder the plugin lends is not a secret.
CONFIGURED_KEYS = CONFIGURED_SECRET_ENV
# A key, with the "..." or "…" of an excerpt that cut it short (shown once, not twice).
_KEY_EXCERPT = re.compile(KEY_LIKE.pattern + r"(?:\.\.\.|…)?")
# A credential header written out as text: `x-api-key: v`, `'authorization': 'Bearer v'`, `api-key=v`
# (the headers and schemes credentials.py knows).
_HEADER_VALUE = re.compile(
    r"(?i)\b(?:"
    + "|".join(sorted(map(re.escape, SECRET_HEADERS), key=len, reverse=True))
    + r")[\"'`]?\s*[:=]"
    r"\s*[\"'`]?(?:(?:" + "|".join((*TOKEN_SCHEMES, SIGV4_SCHEME)) + r")\s+)?([^\s\"'`,;&]+)"
)
# A SigV4 signature however it is written out (`Signature=<hex>`, `X-Amz-Signature=<hex>` in a URL);
# AWS key ids and Bedrock API keys are cut by their shape (credentials.AWS_SHAPES).
_SIGNATURE = re.compile(r"(?i)\bSignature=([0-9a-f]{11,})")
# The query of a URL (up to a space, a quote or a closing bracket of the sentence around it).
_QUERY = re.compile(r"\?([^\s\"'`<>()\[\]{}]+)")
# A URL's userinfo password: scheme://user:password@host.
_USERINFO = re.compile(r"(?<=://)[^/\s:@]*:([^/\s@]+)@")


def shown_secret(value: str) -> str:
    """What a report shows of a secret: its first `SHOWN` characters (a shorter value shows no more
    than itself)."""
    return value if len(value) <= SHOWN else value[:SHOWN] + "..."


def shown_query(query: str) -> str:
    """A URL query (without its `?`) with the values of credential parameters replaced."""
    items = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        secret = eq and is_credential_param(unquote_plus(name), unquote_plus(value))
        items.append(f"{name}=redacted" if secret else item)
    return "&".join(items)


def configured_secrets() -> list[str]:
    """The keys set in the environment (not the placeholder the plugin lends in replay)."""
    from ..plugin.options import PLACEHOLDER_KEY  # light; imported here to keep contract/ free of plugin/

    return [v for v in map(os.environ.get, CONFIGURED_KEYS) if v and v != PLACEHOLDER_KEY]


def request_secrets(request: CapturedRequest) -> list[str]:
    """The credentials a request carries: its credential headers' tokens, word by word (a message may
    quote one word of a value with no known scheme: `Authorization: <word> ...`; the whole value
    would start with that word and so be taken for an excerpt of itself), and credential query
    values. The replay placeholder the plugin lends SDK clients is no secret (it is in this source):
    left out, or every excerpt of it, `claude-contract...`, would be cut from the reports' hints."""
    from ..plugin.options import PLACEHOLDER_KEY

    found = []
    for token in credentials_in(request.headers):
        found += token.split()
    if PLACEHOLDER_KEY in found:
        found = [word for word in found if word != PLACEHOLDER_KEY]
    found += [value for name, value in request.query if value and is_credential_param(name, value)]
    return found


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every credential in it cut to its first `SHOWN` characters (see the module's
    docstring for what counts). Idempotent: redacting a redacted text changes nothing."""
    return _redactor(secrets)(text)


def redact_data(data: Any, secrets: Iterable[str] = ()) -> Any:
    """`data` (what a JSON report dumps) with `redact` applied to every string in it, keys too."""
    cut = _redactor(secrets)  # once for the whole document: a report may hold thousands of strings

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return cut(value)
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(data)


def redact_shapes(text: str) -> str:
    """`redact` without the known secrets: only what looks like a credential by its shape or place
    (what `shown_url` needs for every URL it shows, without reading the environment each time)."""
    # The query first: a credential parameter's value goes whole, and it is known by its shape too.
    if "?" in text:
        text = _QUERY.sub(lambda m: "?" + shown_query(m.group(1)), text)
    if "sk-ant-" in text:  # a key however short its tail: 9 more characters of one are still too many
        text = _KEY_EXCERPT.sub(_cut_whole, text)
    if shape_hinted(text):
        text = AWS_SHAPES.sub(_cut_whole, text)
    if "ignature=" in text:
        text = _SIGNATURE.sub(_cut_group, text)
    text = _HEADER_VALUE.sub(_cut_group, text)
    if "://" in text and "@" in text:
        text = _USERINFO.sub(_cut_group, text)
    return text


def _redactor(secrets: Iterable[str]) -> Callable[[str], str]:
    """`redact` for these secrets (and the configured keys), made once."""
    known = {s.strip().lower() for s in (*secrets, *configured_secrets())}
    ordered = sorted((s for s in known if len(s) > SHOWN), key=len, reverse=True)
    if not ordered:
        return redact_shapes

    def cut(text: str) -> str:
        # Shapes first: keys share their first characters (`sk-ant-api03-`), and a known key's
        # excerpt must not be taken for the start of another key, which would then show its rest.
        return _cut_known(redact_shapes(text), ordered)

    return cut


def _cut_known(text: str, secrets: list[str]) -> str:
    """Each place a known secret starts, cut: the secret whole, or as much of it as a truncated
    excerpt (`got 'tok...'`) quotes, once that is more than `SHOWN` characters. In any case: a
    message may quote a value lower-cased (a content type)."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: positions would not match
        low = text
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        head = secret[: SHOWN + 1]
        start = low.find(head)
        while start >= 0:
            end = start + len(head)
            while end < len(low) and end - start < len(secret) and low[end] == secret[end - start]:
                end += 1
            spans.append((start, end))
            start = low.find(head, end)
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:  # inside a span already cut (another secret's): extend it
            last = max(last, end)
            continue
        out += [text[last:start], text[start : start + SHOWN], "..."]
        # An excerpt's own "..." (or "…", `excerpts.excerpt`) once.
        last = end + 3 if text.startswith("...", end) else end + 1 if text.startswith("…", end) else end
    out.append(text[last:])
    return "".join(out)


def _cut_whole(match: re.Match[str]) -> str:
    return shown_secret(match.group(0))


def _cut_group(match: re.Match[str]) -> str:
    """The match with its group 1 (the secret) shown as `shown_secret` shows it."""
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + shown_secret(match.group(1)) + whole[end - offset :]
