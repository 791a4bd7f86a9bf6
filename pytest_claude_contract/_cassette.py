"""Cassette files: reading vcrpy YAML as it exists in the wild, matching, scrubbing, atomic writing.

The files stay plain vcrpy format (version 1), loadable by vcrpy itself. What we add is readability
(JSON bodies pretty-printed as YAML blocks, compressed bodies stored decoded), a `recorded_at` per
interaction, and safety: secrets replaced before anything is written, writes atomic.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ._exchange import CapturedRequest, body_bytes, decode_body, lower_headers, media_type

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

try:  # libyaml's C loader and dumper are several times faster; PyYAML falls back without them.
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

REDACTED = "redacted-by-claude-contract"
# Header names whose whole value is a credential.
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "api-key"})
# Any Claude credential, wherever it stands: API keys, admin keys, OAuth tokens.
KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9]+-[A-Za-z0-9_\-]{8,}")

MatchKey = tuple[str, str, tuple[tuple[str, str], ...], str | bytes]


class CassetteError(Exception):
    """A cassette that cannot be used; the message names the file, the line and what is wrong."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(slots=True)
class Interaction:
    request: CapturedRequest
    response: dict[str, Any]  # vcrpy's shape: status {code, message}, headers {name: [values]}, body {string}
    recorded_at: str | None = None
    key: MatchKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = match_key(self.request)


def match_key(request: CapturedRequest) -> MatchKey:
    """What replay matches on: method, path, query and the body (JSON parsed, so key order and
    whitespace do not matter; multipart with its random boundary taken out)."""
    parsed = request.json
    body: str | bytes
    if parsed is not None:
        body = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        body = request.body
        boundary = _boundary(request.headers.get("content-type"))
        if boundary:
            body = body.replace(boundary, b"BOUNDARY")
    return (request.method, request.path, request.query, body)


def _boundary(content_type: str | None) -> bytes | None:
    if media_type(content_type) != "multipart/form-data" or content_type is None:
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


class ReplayIndex:
    """Recorded interactions by match key; identical requests play their recordings in order."""

    def __init__(self, interactions: list[Interaction]) -> None:
        self._queues: dict[MatchKey, deque[int]] = {}
        for position, interaction in enumerate(interactions):
            self._queues.setdefault(interaction.key, deque()).append(position)

    def peek(self, key: MatchKey) -> bool:
        return bool(self._queues.get(key))

    def take(self, key: MatchKey) -> int | None:
        queue = self._queues.get(key)
        return queue.popleft() if queue else None

    def recorded(self, key: MatchKey) -> bool:
        return key in self._queues


# ---------------------------------------------------------------- reading


def load_cassette(path: Path) -> list[Interaction] | None:
    """The interactions in `path`, or None when there is no file. Raises CassetteError."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CassetteError(path, f"cannot be read: {exc.strerror}") from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = str(exc.problem or exc)
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            # "found unexpected end of stream" points past the last line; the context says where the
            # unfinished construct (an unclosed quote, a block) starts.
            problem += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        raise CassetteError(path, f"is not valid YAML: {problem}", line) from exc
    except yaml.YAMLError as exc:
        raise CassetteError(path, f"is not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(
            path, "is not a vcrpy cassette: expected a mapping with an `interactions` list", 1
        )
    out = []
    for position, raw in enumerate(data["interactions"]):
        try:
            out.append(_interaction(raw))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteError(
                path,
                f"interaction {position + 1} is not a vcrpy interaction ({exc}); expected `request` with "
                "method, uri, headers and body, and `response` with status, headers and body",
                _line_of_interaction(text, position),
            ) from exc
    return out


def _interaction(raw: dict[str, Any]) -> Interaction:
    request = raw["request"]
    response = raw["response"]
    headers = request.get("headers") or {}
    if "parsed_body" in request:  # pydantic-ai stores JSON bodies parsed
        body = json.dumps(request["parsed_body"]).encode()
    else:
        body = body_bytes(_body_string(request.get("body")))
    captured = CapturedRequest(str(request["method"]), str(request["uri"]), lower_headers(headers), body)
    return Interaction(captured, _playable_response(response), raw.get("recorded_at"))


def _body_string(body: Any) -> Any:
    if isinstance(body, dict):  # some recorders nest the body as {string: ...}
        return body.get("string")
    return body


def _playable_response(response: dict[str, Any]) -> dict[str, Any]:
    """The recorded response as vcrpy's stubs play it: bytes decoded and headers that agree with them."""
    status = response["status"]
    if isinstance(status, dict):
        code, message = int(status["code"]), status.get("message") or ""
    else:
        code, message = int(status), ""
    headers: dict[str, list[str]] = {}
    for name, values in (response.get("headers") or {}).items():
        headers[str(name)] = [str(v) for v in values] if isinstance(values, list) else [str(values)]
    if "parsed_body" in response:
        body = json.dumps(response["parsed_body"]).encode()
    else:
        body = body_bytes(_body_string(response.get("body")))
    headers, body = _agreeing(headers, body)
    return {"status": {"code": code, "message": message}, "headers": headers, "body": {"string": body}}


def _agreeing(headers: dict[str, list[str]], body: bytes) -> tuple[dict[str, list[str]], bytes]:
    """Headers that agree with `body` once it is stored decoded: gzip/deflate content-encoding is
    undone (some libraries hand vcrpy the body already decoded, with the header still on), and
    content-length is the length of what will be played."""
    lower = {name.lower(): name for name in headers}
    encoding = lower.get("content-encoding")
    if encoding is not None and headers[encoding][0].strip().lower() in ("gzip", "x-gzip", "deflate"):
        body = decode_body(body, headers[encoding][0])
        del headers[encoding]
    length = lower.get("content-length")
    if length is not None:
        headers[length] = [str(len(body))]
    return headers, body


def _line_of_interaction(text: bytes, position: int) -> int | None:
    """Line of the `position`-th interaction, found by composing the YAML again (error path only)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return 1
    for key, value in node.value:
        is_list = getattr(key, "value", None) == "interactions" and isinstance(value, yaml.SequenceNode)
        if is_list and position < len(value.value):
            return int(value.value[position].start_mark.line) + 1
    return None


# ---------------------------------------------------------------- scrubbing


class Scrubber:
    """Replaces credentials by value and by header name, never by substring of a key name."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Short values would match innocent text; a credential is long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return KEY_PATTERN.sub(REDACTED, value)

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets:
            encoded = secret.encode()
            if encoded in value:
                value = value.replace(encoded, REDACTED.encode())
        if b"sk-ant-" in value:
            value = re.sub(KEY_PATTERN.pattern.encode(), REDACTED.encode(), value)
        return value

    def header(self, name: str, value: str) -> str:
        if name.lower() in SECRET_HEADERS:
            scheme, sep, _ = value.partition(" ")
            # Keep the scheme, so a reader (and lint) still sees which kind of credential was sent.
            return f"{scheme} {REDACTED}" if sep and scheme.lower() in ("bearer", "basic") else REDACTED
        return self.text(value)

    def leaks(self, text: str) -> Iterator[str]:
        """Anything credential-shaped left in `text`, shown by its first characters only."""
        for secret in self._secrets:
            if secret in text:
                yield secret[:10] + "..."
        for match in KEY_PATTERN.finditer(text):
            yield match.group(0)[:10] + "..."


def credentials_in(headers: dict[str, str]) -> list[str]:
    """The secret values a request carries in its credential headers."""
    found = []
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            scheme, sep, token = value.partition(" ")
            found.append(token.strip() if sep and scheme.lower() in ("bearer", "basic") else value.strip())
    return found


# ---------------------------------------------------------------- writing


class _BlockDumper(_Dumper):
    """Multi-line strings (pretty JSON, SSE streams) as YAML literal blocks, readable in review."""


def _represent_str(dumper: _BlockDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _readable_body(body: bytes, content_type: str | None) -> str | bytes:
    """JSON pretty-printed; text as text; anything else as bytes (YAML !!binary)."""
    if media_type(content_type).endswith("json") or body[:1] in (b"{", b"["):
        try:
            return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except (ValueError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _written_body(body: bytes, content_type: str | None, scrubber: Scrubber) -> str | bytes:
    readable = _readable_body(scrubber.data(body), content_type)
    return scrubber.text(readable) if isinstance(readable, str) else readable


def _length(body: str | bytes) -> int:
    return len(body.encode() if isinstance(body, str) else body)


def interaction_dict(interaction: Interaction, scrubber: Scrubber) -> dict[str, Any]:
    request = interaction.request
    response = interaction.response
    # Sorted header names: re-recording the same traffic gives a minimal diff in review.
    request_headers = {
        name: [scrubber.header(name, value)] for name, value in sorted(request.headers.items())
    }
    response_headers = {
        name: [scrubber.header(name, v) for v in values]
        for name, values in sorted(response["headers"].items())
    }
    request_body = _written_body(request.body, request.headers.get("content-type"), scrubber)
    if "content-length" in request_headers:  # the length of the body as written, not as sent
        request_headers["content-length"] = [str(_length(request_body))]
    content_type = lower_headers(response["headers"]).get("content-type")
    response_body = _written_body(response["body"]["string"], content_type, scrubber)
    if any(name.lower() == "content-length" for name in response_headers):
        response_headers = {
            name: [str(_length(response_body))] if name.lower() == "content-length" else values
            for name, values in response_headers.items()
        }
    return {
        "request": {
            "body": request_body or None,
            "headers": request_headers,
            "method": request.method,
            "uri": scrubber.text(request.url),
        },
        "response": {
            "body": {"string": response_body},
            "headers": response_headers,
            "status": dict(response["status"]),
        },
        "recorded_at": interaction.recorded_at or now(),
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_cassette(interactions: list[Interaction], scrubber: Scrubber) -> str:
    data = {"interactions": [interaction_dict(i, scrubber) for i in interactions], "version": 1}
    text: str = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def write_cassette(path: Path, interactions: list[Interaction], scrubber: Scrubber) -> None:
    """Write atomically: a temporary file in the same folder, then a rename. Refuses a leak."""
    text = dump_cassette(interactions, scrubber)
    leaked = sorted(set(scrubber.leaks(text)))
    if leaked:
        line = next(n for n, row in enumerate(text.splitlines(), 1) if any(s[:10] in row for s in leaked))
        raise CassetteError(
            path, f"not written: it would hold a credential ({', '.join(leaked)}) at line {line}", line
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
