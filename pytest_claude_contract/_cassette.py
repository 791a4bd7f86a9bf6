"""Cassette files: reading vcrpy YAML as it exists in the wild, matching, scrubbing, atomic writing.

The files stay plain vcrpy format (version 1), loadable by vcrpy itself. What we add is readability
(JSON bodies pretty-printed as YAML blocks, compressed bodies stored decoded), a `recorded_at` per
interaction, and safety: secrets replaced before anything is written, writes atomic.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import marshal
import os
import pickle
import re
import tempfile
import time
import zlib
from collections import Counter, OrderedDict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import yaml

from . import _yaml
from ._cache_files import read_marshal, write_atomically
from .contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    body_bytes,
    decode_body,
    lower_headers,
    media_type,
    undecodable,
)

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
# Where a key could start, looked for before KEY_PATTERN itself: a scan for the rarer "k" first is
# twice as fast over text that holds no key (nearly all text).
_KEY_HINT = re.compile(r"k-ant-(?<=sk-ant-)")
_KEY_HINT_BYTES = re.compile(rb"k-ant-(?<=sk-ant-)")

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
    # The client closed the (streamed) answer before it ended: recorded as far as it got, and
    # replayed the same way.
    closed_early: bool = False
    key: MatchKey = field(init=False)
    _captured: CapturedResponse | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.key = match_key(self.request)

    @property
    def captured_response(self) -> CapturedResponse:
        """The response as the checks see it, built once per loaded interaction. Not in the parse
        cache's pickle: parsed events would make it several times larger and slower to read than
        parsing them again when (and if) the interaction is replayed."""
        if self._captured is None:
            response = self.response
            headers = lower_headers(response["headers"])
            self._captured = CapturedResponse(response["status"]["code"], headers, response["body"]["string"])
        return self._captured


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
    """Recorded interactions by match key; identical requests play their recordings in order. Once
    all were played, `cycle` starts over at the first (`serve`); else there is none left (a miss)."""

    def __init__(self, interactions: list[Interaction], *, cycle: bool = False) -> None:
        self._queues: dict[MatchKey, deque[int]] = {}
        for position, interaction in enumerate(interactions):
            self._queues.setdefault(interaction.key, deque()).append(position)
        self._all = {key: tuple(queue) for key, queue in self._queues.items()} if cycle else None

    def take(self, key: MatchKey) -> int | None:
        queue = self._queues.get(key)
        if not queue and self._all is not None and key in self._all:
            queue = self._queues[key] = deque(self._all[key])
        return queue.popleft() if queue else None


# ---------------------------------------------------------------- reading

# What `lint` finds when it walks a folder; `load_cassette` reads any of them by name.
CASSETTE_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".yaml.gz", ".yml.gz", ".json.gz")


@dataclass(slots=True)
class CassetteDocument:
    """A cassette file as read: its text (gzip undone), the parsed data and how it was serialized."""

    path: Path
    text: str
    data: Any
    serializer: str  # "yaml" or "json"
    compressed: bool


def read_cassette_document(path: Path) -> CassetteDocument | None:
    """`path` parsed, or None when there is no file. Reads vcrpy's YAML and JSON serializers, either
    gzip-compressed (`.yaml.gz`, or gzip magic bytes), and cassetter's YAML. Raises CassetteError."""
    raw = _read_bytes(path)
    return None if raw is None else _document(path, raw)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CassetteError(path, f"cannot be read: {exc.strerror}") from exc


def _document(path: Path, raw: bytes) -> CassetteDocument:
    compressed = raw[:2] == b"\x1f\x8b"
    if compressed:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise CassetteError(path, f"is not valid gzip: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CassetteError(path, f"is not UTF-8 text (byte {exc.start})") from exc
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CassetteError(path, f"is not valid JSON: {exc.msg}", exc.lineno) from exc
        return CassetteDocument(path, text, data, "json", compressed)
    if name.endswith(".toml"):
        return CassetteDocument(path, text, _parse_toml(path, text), "toml", compressed)
    return CassetteDocument(path, text, _parse_yaml(path, text, raw), "yaml", compressed)


def _parse_yaml(path: Path, text: str, raw: bytes) -> Any:
    fast = _yaml.load(text, raw)  # the plugin's own shape, at string speed; None: PyYAML's to read
    if fast is not None:
        return fast
    try:
        return yaml.load(text, Loader=_Loader)
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


def _parse_toml(path: Path, text: str) -> Any:
    """cassetter's TOML format, shaped like its YAML one: `body_type` and `body_content` (JSON as a
    JSON string, binary as hex) become `body: {type, content}`."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise CassetteError(path, f"is not valid TOML: {exc}", line) from exc
    interactions = data.get("interactions")
    for interaction in interactions if isinstance(interactions, list) else []:
        if not isinstance(interaction, dict):
            continue
        for side in (interaction.get("request"), interaction.get("response")):
            if isinstance(side, dict) and "body_type" in side:
                side["body"] = {"type": side.pop("body_type"), "content": side.pop("body_content", None)}
    return data


def raw_interactions(document: CassetteDocument) -> list[Any]:
    """The `interactions` list as stored. Raises CassetteError when the data is not a cassette."""
    data = document.data
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(
            document.path, "is not a vcrpy cassette: expected a mapping with an `interactions` list", 1
        )
    interactions: list[Any] = data["interactions"]
    return interactions


def document_interactions(document: CassetteDocument) -> list[Interaction]:
    """The interactions of a read cassette, as the replay plays them. Raises CassetteError."""
    out = []
    for position, raw in enumerate(raw_interactions(document)):
        try:
            out.append(_interaction(raw))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteError(
                document.path,
                f"interaction {position + 1} is not a vcrpy interaction ({exc}); expected `request` with "
                "method, uri, headers and body, and `response` with status, headers and body",
                _line_of_interaction(document.text, position),
            ) from exc
    return out


def load_cassette(path: Path, cache_dir: Path | None = None) -> list[Interaction] | None:
    """The interactions in `path`, or None when there is no file. Raises CassetteError.

    YAML is parsed once per content: the result is kept in memory for the session (tests sharing a
    cassette) and, with `cache_dir` (the pytest cache), pickled for later sessions, keyed by a hash of
    the bytes, so an edited or re-recorded cassette is parsed again. Callers share the Interaction
    objects and must not change them."""
    if cache_dir is not None:
        # The file's identity on disk, taken before it is read: unchanged since an earlier session
        # hashed it, its digest is known without reading it (see StatIndex).
        index = _stat_index(cache_dir)
        try:
            identity = _identity(os.stat(path))
        except FileNotFoundError:
            return None
        except OSError:
            identity = None
        digest = index.digest(str(path), identity)
        if digest is not None:
            interactions = _PARSED.get(digest)
            if interactions is not None:
                _PARSED.move_to_end(digest)
                return list(interactions)
            interactions = _unpickle(cache_dir / f"{digest}.{_PICKLE_FORMAT}")
            if interactions is not None:
                _remember(digest, interactions)
                return list(interactions)
    raw = _read_bytes(path)
    if raw is None:
        return None
    hasher = hashlib.sha256(raw)  # twice blake2b's speed where the CPU has SHA instructions
    hasher.update(path.name.lower().removesuffix(".gz").rpartition(".")[2].encode())  # how it is parsed
    digest = hasher.hexdigest()[:40]
    if cache_dir is not None:
        index.note(str(path), identity, digest)
    interactions = _PARSED.get(digest)
    if interactions is not None:
        _PARSED.move_to_end(digest)
        return list(interactions)
    pickled = cache_dir / f"{digest}.{_PICKLE_FORMAT}" if cache_dir is not None else None
    interactions = _unpickle(pickled) if pickled is not None else None
    if interactions is None:
        interactions = document_interactions(_document(path, raw))
        if any(_left_encoded(i.response["headers"]) for i in interactions):
            # A body left encoded (br without the brotli package): decodable once brotli is
            # installed, so this parse must not outlive the session's environment.
            return interactions
        if pickled is not None:
            _pickle(pickled, interactions)
    _remember(digest, interactions)
    return list(interactions)


def _remember(digest: str, interactions: list[Interaction]) -> None:
    _PARSED[digest] = interactions
    if len(_PARSED) > _PARSED_LIMIT:
        _PARSED.popitem(last=False)


# What identifies a file's content without reading it: inode, size, and modification and change
# times in nanoseconds (ctime cannot be set back by hand; a checkout or an edit always moves it).
Identity = tuple[int, int, int, int]
# A file changed this recently may change again within its file system's timestamp granularity
# (a second or two on some): its digest is not noted, so it is read and hashed again next time.
_SETTLED_NS = 3_000_000_000


def _identity(stat: os.stat_result) -> Identity:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class StatIndex:
    """Cassette path -> (identity, content digest), kept in the pytest cache between sessions, so an
    unchanged cassette is found in the parse cache from one `stat`, as git's index finds unchanged
    files. Any change to the file changes its identity, and it is read and hashed as before."""

    FILE = "stat-index-v1.marshal"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._entries: dict[str, tuple[Identity, str]] | None = None
        self._noted: dict[str, tuple[Identity, str]] = {}

    def digest(self, path: str, identity: Identity | None) -> str | None:
        if identity is None:
            return None
        entry = self._noted.get(path) or self._read().get(path)
        return entry[1] if entry is not None and entry[0] == identity else None

    def note(self, path: str, identity: Identity | None, digest: str) -> None:
        if identity is None:
            return
        now = time.time_ns()
        if now - identity[2] < _SETTLED_NS or now - identity[3] < _SETTLED_NS:
            return
        if self._read().get(path) != (identity, digest):
            self._noted[path] = (identity, digest)

    def save(self) -> None:
        """Best effort and atomic, merged with what other processes (xdist workers) wrote since."""
        if not self._noted:
            return
        path = self.folder / self.FILE
        merged = read_marshal(path)
        merged.update(self._noted)
        if len(merged) > _STAT_INDEX_LIMIT:  # paths no longer used fall out, oldest first
            merged = dict(list(merged.items())[-_STAT_INDEX_LIMIT:])
        if not write_atomically(path, lambda handle: marshal.dump(merged, handle)):
            return
        self._entries = merged
        self._noted = {}

    def _read(self) -> dict[str, tuple[Identity, str]]:
        if self._entries is None:
            loaded = read_marshal(self.folder / self.FILE)
            self._entries = {
                path: entry
                for path, entry in loaded.items()
                if isinstance(path, str)
                and isinstance(entry, tuple)
                and len(entry) == 2
                and isinstance(entry[1], str)
                and isinstance(entry[0], tuple)
            }
        return self._entries


_STAT_INDEX_LIMIT = 100_000
_STAT_INDEXES: dict[Path, StatIndex] = {}


def _stat_index(folder: Path) -> StatIndex:
    index = _STAT_INDEXES.get(folder)
    if index is None:
        index = _STAT_INDEXES[folder] = StatIndex(folder)
    return index


def save_stat_indexes() -> None:
    """Write what this session noted (the plugin calls it when the session finishes)."""
    for index in _STAT_INDEXES.values():
        index.save()


def _left_encoded(headers: dict[str, list[str]]) -> bool:
    return any(name.lower() == "content-encoding" for name in headers)


# Parsed cassettes by content hash, the few most recently used (tests sharing a cassette tend to run
# one after another; any other is read from the parse cache in tens of microseconds). Few, because
# every full garbage collection walks what is held (about 35 objects a cassette), four of them after
# the session alone: 256 held were 8,700 objects, about 25 ms a 500-test session (bench/README.md).
_PARSED: OrderedDict[str, list[Interaction]] = OrderedDict()
_PARSED_LIMIT = 16


def forget_parsed() -> None:
    """Drop the parsed cassettes held in memory (the plugin calls it when pytest is done with them)."""
    _PARSED.clear()


# Pickles of an older layout of Interaction are never read: the name carries the layout.
_PICKLE_FORMAT = "interactions-v4.pickle"


def _unpickle(path: Path) -> list[Interaction] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        # Our own cache, written by _pickle below into the project's pytest cache: as trusted as the
        # project's .pyc files.
        loaded = pickle.loads(data)
    except Exception:  # a truncated or foreign file: parse the cassette instead
        return None
    return loaded if isinstance(loaded, list) else None


def _pickle(path: Path, interactions: list[Interaction]) -> None:
    """Best effort and atomic (xdist workers share the cache): a failure only costs a parse later."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    write_atomically(path, lambda handle: pickle.dump(interactions, handle, protocol=pickle.HIGHEST_PROTOCOL))


def _interaction(raw: dict[str, Any]) -> Interaction:
    request = raw["request"]
    response = raw["response"]
    headers = request.get("headers") or {}
    if "parsed_body" in request:  # pydantic-ai stores JSON bodies parsed
        body = json.dumps(request["parsed_body"]).encode()
    else:
        body = body_bytes(_body_string(request.get("body")))
    captured = CapturedRequest(str(request["method"]), str(request["uri"]), lower_headers(headers), body)
    return Interaction(
        captured, _playable_response(response), raw.get("recorded_at"), raw.get("closed_early") is True
    )


def _body_string(body: Any) -> Any:
    if isinstance(body, dict):
        if "type" in body and "string" not in body:  # cassetter: {type: json|text|binary|none, content}
            return _typed_body(body)
        return body.get("string")  # vcrpy nests the response body as {string: ...}
    return body


def _typed_body(body: dict[str, Any]) -> Any:
    kind, content = body.get("type"), body.get("content")
    if kind == "none" or content is None:
        return None
    if kind == "json":  # structure in YAML; a JSON string in cassetter's TOML
        return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    if kind == "binary":
        return bytes.fromhex(str(content))
    return str(content)


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
    # `content-encoding: []` (a hand edit, or a recorder that kept the name only) encodes nothing.
    coding = headers[encoding][0] if encoding is not None and headers[encoding] else None
    if (
        encoding is not None
        and coding is not None
        and coding.strip().lower() in ("gzip", "x-gzip", "deflate", "br")
        and not undecodable(body, coding)  # br without brotli: kept as it is, header too
    ):
        body = decode_body(body, coding)
        del headers[encoding]
    length = lower.get("content-length")
    if length is not None:
        headers[length] = [str(len(body))]
    return headers, body


def interaction_lines(text: str, count: int) -> list[int | None]:
    """The line where each of the first `count` interactions starts (YAML or JSON text), found by
    composing the text again; None where it cannot be told."""
    lines: list[int | None] = [None] * count
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return lines
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if getattr(key, "value", None) == "interactions" and isinstance(value, yaml.SequenceNode):
            for position, item in enumerate(value.value[:count]):
                lines[position] = int(item.start_mark.line) + 1
    return lines


def _line_of_interaction(text: str, position: int) -> int | None:
    """Line of the `position`-th interaction (error path only)."""
    return interaction_lines(text, position + 1)[position]


# ---------------------------------------------------------------- scrubbing


class Scrubber:
    """Replaces credentials by value and by header name, never by substring of a key name.

    `headers` names more headers whose whole value is replaced (e.g. `anthropic-organization-id`)."""

    def __init__(self, secrets: Iterable[str], *, headers: Iterable[str] = ()) -> None:
        # Short values would match innocent text; a credential is long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        self._headers = SECRET_HEADERS | {h.lower() for h in headers}

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return KEY_PATTERN.sub(REDACTED, value) if _KEY_HINT.search(value) else value

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets:
            encoded = secret.encode()
            if encoded in value:
                value = value.replace(encoded, REDACTED.encode())
        if _KEY_HINT_BYTES.search(value):
            value = re.sub(KEY_PATTERN.pattern.encode(), REDACTED.encode(), value)
        return value

    def header(self, name: str, value: str) -> str:
        if name.lower() in self._headers:
            scheme, sep, _ = value.partition(" ")
            # Keep the scheme, so a reader (and lint) still sees which kind of credential was sent.
            return f"{scheme} {REDACTED}" if sep and scheme.lower() in ("bearer", "basic") else REDACTED
        return self.text(value)

    def leaks(self, text: str) -> Iterator[str]:
        """Anything credential-shaped left in `text`, shown by its first characters only."""
        for secret in self._secrets:
            if secret in text:
                yield secret[:10] + "..."
        if _KEY_HINT.search(text):
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
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            pass
        else:
            text = json.dumps(parsed, indent=2, ensure_ascii=False)
            try:
                text.encode()
            except UnicodeEncodeError:  # a lone surrogate, which JSON may escape and UTF-8 cannot hold
                return json.dumps(parsed, indent=2)  # as its escape (the rest of the body in ASCII too)
            return text
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
        # Kept as read: an interaction recorded by another tool has no time, and is not given one.
        **({"recorded_at": interaction.recorded_at} if interaction.recorded_at else {}),
        **({"closed_early": True} if interaction.closed_early else {}),
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recorded_time(value: object) -> datetime | None:
    """`recorded_at` as an aware datetime (ISO 8601 text, or a timestamp YAML already parsed); None
    when it is missing or not a time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def dump_cassette(interactions: list[Interaction], scrubber: Scrubber) -> str:
    data = {"interactions": [interaction_dict(i, scrubber) for i in interactions], "version": 1}
    text: str = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def write_order(interactions: Iterable[Interaction], scrubber: Scrubber) -> list[Interaction]:
    """The order a cassette is written in: by what each request is, never by when it was sent.

    Sorted by method, path, query and canonical body (JSON with sorted keys), compared as they are
    written (scrubbed), so concurrent requests (asyncio.gather, threads, xdist workers) land in the same
    place on every recording. The sort is stable: identical requests keep their relative order, which
    is the order they were sent and the order replay plays them back in. Replay matches per request,
    so sorting never changes what a test is answered."""

    def key(interaction: Interaction) -> tuple[str, str, str, str]:
        method, path, query, body = interaction.key
        text = body.decode("latin-1") if isinstance(body, bytes) else body
        return (method, path, scrubber.text(urlencode(query)), scrubber.text(text))

    return sorted(interactions, key=key)


def merge_missing(present: list[Interaction], wanted: Iterable[Interaction]) -> list[Interaction]:
    """`present` plus each of `wanted` that it does not hold yet. Identity is match key and occurrence:
    the n-th `wanted` request with a key is there when `present` holds that key n times or more (so
    two tests or workers that recorded the same request leave it once, as a sequential run would)."""
    seen = Counter(i.key for i in present)
    merged = list(present)
    for interaction in wanted:
        if seen[interaction.key] > 0:
            seen[interaction.key] -= 1
        else:
            merged.append(interaction)
    return merged


_LOCK_TIMEOUT = 120.0


def _lock_dir() -> Path:
    # Outside the project: a lock file in the cassette folder would show up in `git status`.
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"pytest-claude-contract-{user}"


@contextmanager
def cassette_lock(path: Path) -> Iterator[Path]:
    """Hold the lock that serialises load-merge-save of `path` across processes (pytest-xdist
    workers); yields a per-cassette scratch path beside the lock (for small session notes)."""
    from filelock import FileLock, Timeout

    folder = _lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    lock = FileLock(str(folder / f"{name}.lock"), timeout=_LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout as exc:
        raise CassetteError(
            path, f"not written: another process held its lock for {_LOCK_TIMEOUT:.0f} s ({lock.lock_file})"
        ) from exc
    try:
        yield folder / name
    finally:
        lock.release()


def write_cassette(path: Path, interactions: list[Interaction], scrubber: Scrubber) -> None:
    """Write atomically: a temporary file in the same folder, then a rename. Refuses a leak. A write
    that fails leaves the file as it was and no temporary file behind (CassetteError)."""
    text = dump_cassette(interactions, scrubber)
    leaked = sorted(set(scrubber.leaks(text)))
    if leaked:
        line = next(n for n, row in enumerate(text.splitlines(), 1) if any(s[:10] in row for s in leaked))
        raise CassetteError(
            path, f"not written: it would hold a credential ({', '.join(leaked)}) at line {line}", line
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CassetteError(path, f"not written: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CassetteError(
                path, f"not written ({exc.strerror or exc}); the file on disk is as it was"
            ) from exc
        raise
