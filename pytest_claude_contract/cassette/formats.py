"""Cassette files as text: reading vcrpy YAML and JSON as they exist in the wild (gzip, cassetter's
YAML and TOML), and writing the plugin's readable form.

The files stay plain vcrpy format (version 1), loadable by vcrpy itself. What we add is readability
(JSON bodies pretty-printed as YAML blocks, compressed bodies stored decoded) and a `recorded_at` per
interaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import yaml

from ..contract import aws_eventstream
from ..contract.excerpts import excerpt
from ..contract.exchange import (
    EVENTSTREAM,
    CapturedRequest,
    body_bytes,
    decode_body,
    lower_headers,
    media_type,
    undecodable,
)
from ..contract.limits import (
    LimitExceeded,
    current,
    decoded_limit,
    inflate,
    line_too_long,
    loads_json,
    long_line,
)
from . import secret_search, yaml_fast
from .model import CassetteError, Interaction
from .scrub import REDACTED

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from .scrub import Scrubber

try:  # libyaml's C loader and dumper are several times faster; PyYAML falls back without them.
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class _TextLoader(_Loader):
    """YAML with no timestamps: a date-like scalar stays the text it is. cassetter writes YAML 1.2,
    where `anthropic-version: 2023-06-01` unquoted is a string; YAML 1.1 would read a date, which no
    header value or JSON body can hold. `recorded_at` is read as text and parsed where it is used."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}


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
    # YAML with Python tags (`!!python/object/apply:...`), read as plain values: the first one's
    # tag and line.
    python_tag: tuple[str, int] | None = None
    # Another tool's format, read as vcrpy's (None: vcrpy's own, or cassetter's).
    source_format: str | None = None


def read_cassette_document(path: Path) -> CassetteDocument | None:
    """`path` parsed, or None when there is no file. Reads vcrpy's YAML and JSON serializers, either
    gzip-compressed (`.yaml.gz`, or gzip magic bytes), and cassetter's YAML. Raises CassetteError."""
    raw = _read_bytes(path)
    return None if raw is None else _document(path, raw)


def existing_cassette_document(path: Path) -> CassetteDocument:
    """`read_cassette_document` of a file that must be there (named on a command line, found in a
    folder): CassetteError "no such file" when it is not."""
    document = read_cassette_document(path)
    if document is None:
        raise CassetteError(path, "no such file")
    return document


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CassetteError(path, f"cannot be read: {exc.strerror}") from exc


def _document(path: Path, raw: bytes) -> CassetteDocument:
    limits = current()
    compressed = raw[:2] == b"\x1f\x8b"
    if compressed:
        try:
            raw = inflate(raw, 16 + zlib.MAX_WBITS, decoded_limit(), "the gzip-compressed cassette")
        except LimitExceeded as exc:
            raise CassetteError(path, str(exc)) from None
        except zlib.error as exc:
            raise CassetteError(path, f"is not valid gzip: {exc}") from exc
    # Before the text is decoded and parsed, which would cost several times the line's size.
    if (line := long_line(raw, limits.line_length)) is not None:
        raise CassetteError(path, str(line_too_long(line, limits)), line)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CassetteError(path, f"is not UTF-8 text (byte {exc.start})") from exc
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".json"):
        try:
            data = loads_json(text)
        except LimitExceeded as exc:
            raise CassetteError(path, str(exc), exc.line) from None
        except json.JSONDecodeError as exc:
            raise CassetteError(path, f"is not valid JSON: {exc.msg}", exc.lineno) from exc
        if _is_datadog(data):
            return CassetteDocument(
                path, text, _from_datadog(path, data), "json", compressed, source_format=DATADOG_FORMAT
            )
        return CassetteDocument(path, text, data, "json", compressed)
    if name.endswith(".toml"):
        return CassetteDocument(path, text, _parse_toml(path, text), "toml", compressed)
    # Python tags are rare: the loader that reads them only when the text may hold one.
    if "python/" in text and _PYTHON_TAG.search(text):
        loader = _PythonTagLoader(text)
        data = _parse_yaml(path, text, raw, loader)
        return CassetteDocument(path, text, data, "yaml", compressed, loader.first_tag)
    return CassetteDocument(path, text, _parse_yaml(path, text, raw), "yaml", compressed)


def _parse_yaml(path: Path, text: str, raw: bytes, loader: _TextLoader | None = None) -> Any:
    if loader is None:
        fast = yaml_fast.load(text, raw)  # the plugin's own shape, at string speed; None: PyYAML's to read
        if fast is not None:
            return fast  # it reads no anchors or aliases
        loader = _TextLoader(text)
    try:
        if "&" in text and _ANCHOR.search(text):  # an alias needs an anchor: most files have none
            return _load_guarded(path, loader)
        return loader.get_single_data()
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
    finally:
        loader.dispose()


# A Python tag, short (`!!python/...`) or verbatim (`!<tag:yaml.org,2002:python/...>`).
_PYTHON_TAG = re.compile(r"!!python/\S*|!<tag:yaml\.org,2002:python/[^>\s]*>?")


class _PythonTagLoader(_TextLoader):
    """The safe loader, reading Python-tagged values as plain data instead of refusing them. vcrpy
    cassettes recorded through aiohttp write header names as `!!python/object/apply:multidict.
    _multidict.istr [Content-Type]` (or `object/new`): a full YAML loader would import multidict and
    call it to build them; this one runs no code and keeps the text."""

    first_tag: tuple[str, int] | None = None  # the first Python tag read, and its line


def _python_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    """A value tagged `tag:yaml.org,2002:python/<suffix>` as plain data: a scalar as its text; the
    arguments of `apply` or `new` (a sequence, or `args:` in a mapping) as their one value, or a list
    when there are several; any other mapping as a mapping."""
    if isinstance(loader, _PythonTagLoader) and loader.first_tag is None:
        loader.first_tag = ("!!python/" + suffix, int(node.start_mark.line) + 1)
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        items = loader.construct_sequence(node, deep=True)
        return items[0] if len(items) == 1 else items
    assert isinstance(node, yaml.MappingNode)
    mapping = loader.construct_mapping(node, deep=True)
    args = mapping.get("args")
    if isinstance(args, list) and len(args) == 1 and set(mapping) <= {"args", "kwds", "state"}:
        return args[0]
    return mapping


_PythonTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", _python_tagged)


# Where an anchor can stand: after a space, a line start, or a flow indicator ("a=1&b=2" in a URL is
# no anchor, and costs no second look).
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]")
_STRING_WEIGHT = 1_000  # a repeated string counts one node more per this many characters


def _load_guarded(path: Path, loader: _TextLoader) -> Any:
    """PyYAML's load, with what the aliases repeat bounded before anything is built from them. PyYAML
    builds an alias as a second reference to the same object, so a "billion laughs" loads quickly
    and small, but every later walk (json.dumps of a body, joining header values, a report) expands
    it: composed, the node graph says how large it is as if every alias were copied out."""
    node = loader.get_single_node()
    if node is None:
        return None
    _check_aliases(path, node, current().yaml_aliases)
    return loader.construct_document(node)


def _check_aliases(path: Path, root: yaml.Node, limit: int) -> None:
    """CassetteError when the aliases under `root` repeat more than `limit` nodes (each counted as
    if copied out; a string one more per 1,000 characters), or one repeats itself. One pass over the
    distinct nodes, with no recursion: the expanded size of each is worked out once."""
    size: dict[int, int] = {}  # id(node) -> expanded size, once known
    seen_at: dict[int, int] = {}  # id(node) -> times referenced
    open_nodes: set[int] = set()
    distinct = 0
    first_repeated: yaml.Node | None = None
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else _pairs(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            continue
        seen_at[key] = seen_at.get(key, 0) + 1
        if seen_at[key] > 1:
            if key in open_nodes:
                raise CassetteError(
                    path, "holds a YAML alias that repeats itself (an endless structure)", _line(node)
                )
            if first_repeated is None or node.start_mark.index < first_repeated.start_mark.index:
                first_repeated = node
            continue
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1 + len(node.value) // _STRING_WEIGHT
            distinct += size[key]
            continue
        distinct += 1
        open_nodes.add(key)
        stack.append((node, True))
        children = node.value if isinstance(node, yaml.SequenceNode) else _pairs(node)
        stack.extend((child, False) for child in reversed(children))
    repeated = size[id(root)] - distinct
    if repeated > limit:
        limits = current()
        raise CassetteError(
            path,
            f"holds YAML aliases that repeat {repeated:,} nodes, more than the limit of {limit:,} "
            f"({limits.setting('yaml_aliases')})",
            _line(first_repeated),
        )


def _pairs(node: yaml.Node) -> list[yaml.Node]:
    return [part for pair in node.value for part in pair]


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else int(node.start_mark.line) + 1


DATADOG_FORMAT = "the Datadog test agent's JSON cassette (dd-apm-test-agent's VCR proxy: one interaction)"


def _is_datadog(data: Any) -> bool:
    """The Datadog test agent's format: one interaction per file, `{request: {method, url, headers,
    body}, response: {status: {code, message}, headers, body}}`, header values as strings, bodies as
    text or `base64:...` (ddapm_test_agent/vcr_proxy.py, CassetteData)."""
    if not isinstance(data, dict) or "interactions" in data:
        return False
    request, response = data.get("request"), data.get("response")
    return (
        isinstance(request, dict)
        and isinstance(response, dict)
        and "url" in request
        and "method" in request
        and "status" in response
    )


def _datadog_body(path: Path, body: Any, where: str) -> Any:
    if isinstance(body, str) and body.startswith("base64:"):
        try:
            return base64.b64decode(body[len("base64:") :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CassetteError(path, f"{where} is `base64:` but not base64 ({exc})", 1) from None
    return body or None


def _from_datadog(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The Datadog test agent's cassette in vcrpy's shape (what every reader here takes)."""
    request, response = data["request"], data["response"]
    return {
        "interactions": [
            {
                "request": {
                    "method": request.get("method"),
                    "uri": request.get("url"),
                    "headers": request.get("headers") or {},
                    "body": _datadog_body(path, request.get("body"), "request.body"),
                },
                "response": {
                    "status": response.get("status"),
                    "headers": response.get("headers") or {},
                    "body": {"string": _datadog_body(path, response.get("body"), "response.body")},
                },
            }
        ],
        "version": 1,
    }


def _parse_toml(path: Path, text: str) -> Any:
    """cassetter's TOML format, shaped like its YAML one: `body_type` and `body_content` (JSON as a
    JSON string, binary as hex) become `body: {type, content}`."""
    import tomllib

    limits = current()
    too_deep = CassetteError(
        path,
        f"is nested deeper than the limit of {limits.json_depth} levels ({limits.setting('json_depth')})",
    )
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise too_deep from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise CassetteError(path, f"is not valid TOML: {exc}", line) from exc
    if _nesting_over(data, limits.json_depth):  # what tomllib's recursion let through
        raise too_deep
    interactions = data.get("interactions")
    for interaction in interactions if isinstance(interactions, list) else []:
        if not isinstance(interaction, dict):
            continue
        for side in (interaction.get("request"), interaction.get("response")):
            if isinstance(side, dict) and "body_type" in side:
                side["body"] = {"type": side.pop("body_type"), "content": side.pop("body_content", None)}
    return data


def _nesting_over(data: Any, limit: int) -> bool:
    """Whether lists and dicts in `data` nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


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
        except (LimitExceeded, UnreadableFrames) as exc:
            raise CassetteError(
                document.path,
                f"interaction {position + 1}: {exc}",
                _line_of_interaction(document.text, position),
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteError(
                document.path,
                f"interaction {position + 1} is not a vcrpy interaction ({exc}); expected `request` with "
                "method, uri, headers and body, and `response` with status, headers and body",
                _line_of_interaction(document.text, position),
            ) from exc
    return out


class UnreadableFrames(ValueError):
    """A response body stored as readable event-stream frames (Amazon Bedrock) that cannot be encoded
    back into frames."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"its event-stream response body cannot be played: {problem}. Each frame is a group of "
            "`:header: value` lines, then `data: <event JSON>` and/or `payload: <text>`, groups parted by "
            "an empty line; fix the group, or record the interaction again"
        )


class _WrongType(TypeError):
    """A field of an interaction that is there but of the wrong type."""


def _typed(value: Any, kinds: type | tuple[type, ...], where: str, expected: str) -> Any:
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        shown = excerpt(value) if isinstance(value, str | bytes) else excerpt(repr(value), quoted=False)
        raise _WrongType(f"{where} is {shown}, a {type(value).__name__}; expected {expected}")
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


_HEADER_VALUE = (str, bytes, int, float)


def _checked_headers(headers: Any, where: str) -> dict[Any, Any]:
    """`headers` as vcrpy stores them (a mapping of names to a value or a list of values), or
    _WrongType naming the field: lenient conversions would let `headers: "x"` pass as "ok"."""
    if headers is None:
        return {}
    _typed(headers, dict, where, "a mapping of header names to values")
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            if value is not None:
                _typed(value, _HEADER_VALUE, f"{where}[{name!r}]", "a string or a list of strings")
    checked: dict[Any, Any] = headers
    return checked


_BODY_TEXT = (str, bytes, type(None))


def _checked_body(side: dict[str, Any], where: str) -> Any:
    """The stored body: text, bytes or null; vcrpy's {string: ...}; cassetter's {type, content}; a
    structure aiohttp's json= left (a mapping or list). A number is none of them."""
    body = side.get("body")
    if isinstance(body, dict):
        if "string" in body:
            _typed(body["string"], _BODY_TEXT, f"{where}.body.string", "a string, !!binary or null")
        return body
    if not isinstance(body, list):
        _typed(body, _BODY_TEXT, f"{where}.body", "a string, !!binary or null")
    return body


def _interaction(raw: Any) -> Interaction:
    raw = _typed(raw, dict, "the interaction", "a mapping with `request` and `response`")
    request = _typed(raw["request"], dict, "request", "a mapping")
    response = _typed(raw["response"], dict, "response", "a mapping")
    method = _typed(request["method"], str, "request.method", "a string such as POST")
    uri = _typed(request["uri"], str, "request.uri", "a URL string")
    headers = _checked_headers(request.get("headers"), "request.headers")
    if "parsed_body" in request:  # pydantic-ai stores JSON bodies parsed
        body = json.dumps(request["parsed_body"]).encode()
    else:
        body = body_bytes(_body_string(_checked_body(request, "request")))
    captured = CapturedRequest(method, uri, lower_headers(headers), body)
    _checked_headers(response.get("headers"), "response.headers")
    if "parsed_body" not in response:
        _checked_body(response, "response")
    status = response["status"]
    code = status.get("code") if isinstance(status, dict) else status
    _typed(code, int, "response.status.code" if isinstance(status, dict) else "response.status", "an integer")
    limit = decoded_limit(method, captured.path) if "content-encoding" in _lower_names(response) else None
    return Interaction(
        captured,
        playable_response(response, limit=limit, strict=True),
        raw.get("recorded_at"),
        raw.get("closed_early") is True,
    )


def _lower_names(side: dict[str, Any]) -> set[str]:
    headers = side.get("headers")
    return {str(name).lower() for name in headers} if isinstance(headers, dict) else set()


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


def playable_response(
    response: dict[str, Any], *, limit: int | None = None, strict: bool = False
) -> dict[str, Any]:
    """The recorded response as vcrpy's stubs play it: bytes decoded and headers that agree with them.
    A compressed body that would inflate past `limit` raises LimitExceeded when `strict` (a cassette
    being read), else is kept as it came, encoded, header too (a live answer: nothing is lost)."""
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
        stored = _body_string(response.get("body"))
        if isinstance(stored, str) and _is_eventstream(headers):
            try:
                stored = aws_eventstream.body_from_text(stored)  # the readable form: frames again
            except ValueError as exc:
                raise UnreadableFrames(str(exc)) from None
        body = body_bytes(stored)
    headers, body = _agreeing(headers, body, limit, strict)
    return {"status": {"code": code, "message": message}, "headers": headers, "body": {"string": body}}


def _is_eventstream(headers: dict[str, list[str]]) -> bool:
    return any(
        name.lower() == "content-type" and values and media_type(values[0]) == EVENTSTREAM
        for name, values in headers.items()
    )


def _agreeing(
    headers: dict[str, list[str]], body: bytes, limit: int | None, strict: bool
) -> tuple[dict[str, list[str]], bytes]:
    """Headers that agree with `body` once it is stored decoded: gzip/deflate content-encoding is
    undone (some libraries hand vcrpy the body already decoded, with the header still on), and
    content-length is the length of what will be played."""
    lower = {name.lower(): name for name in headers}
    encoding = lower.get("content-encoding")
    # `content-encoding: []` (a hand edit, or a recorder that kept the name only) encodes nothing.
    coding = headers[encoding][0] if encoding is not None and headers[encoding] else None
    if encoding is not None and coding is not None:
        try:
            decoded = _decoded(body, coding, limit)
        except LimitExceeded:
            if strict:
                raise
            return headers, body  # kept encoded, as the content-encoding header says
        if decoded is not None:
            body = decoded
            del headers[encoding]
    length = lower.get("content-length")
    if length is not None:
        headers[length] = [str(len(body))]
    return headers, body


def _decoded(body: bytes, coding: str, limit: int | None = None) -> bytes | None:
    """`body` with every listed coding undone (`gzip, gzip`: twice), or None when one is not gzip,
    deflate or br, or br cannot be undone without brotli (kept as it is, header too). A layer that
    does not decode was already undone by the HTTP library (some hand vcrpy the decoded body with
    the header still on): the body is taken as it is from there."""
    codings = [c.strip().lower() for c in coding.split(",") if c.strip()]
    if not codings or any(c not in ("gzip", "x-gzip", "deflate", "br") for c in codings):
        return None
    for one in reversed(codings):
        if undecodable(body, one):
            return None
        inner = decode_body(body, one, limit)
        if inner is body:  # decode_body hands back what it could not decode
            break
        body = inner
    return body


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
    if count and {getattr(key, "value", None) for key, _ in node.value} >= {"request", "response"}:
        lines[0] = int(node.start_mark.line) + 1  # one interaction, the whole file (Datadog's format)
        return lines
    for key, value in node.value:
        if getattr(key, "value", None) == "interactions" and isinstance(value, yaml.SequenceNode):
            for position, item in enumerate(value.value[:count]):
                lines[position] = int(item.start_mark.line) + 1
    return lines


def _line_of_interaction(text: str, position: int) -> int | None:
    """Line of the `position`-th interaction (error path only)."""
    return interaction_lines(text, position + 1)[position]


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
            parsed = loads_json(body)
        except (ValueError, UnicodeDecodeError):  # not JSON, or too deep (LimitExceeded): as text
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


def _written_body(body: bytes, headers: dict[str, str], scrubber: Scrubber, place: str) -> str | bytes:
    """The body as written: credentials replaced however they are encoded (`secret_search`), where
    that can be done exactly. Raises CredentialLeft when one is left (the caller refuses the write)."""
    content_type, coding = headers.get("content-type"), headers.get("content-encoding")
    if coding is None and media_type(content_type) == EVENTSTREAM:
        # Bedrock's binary frames as text (each event's JSON), searched and scrubbed as text: a
        # credential inside a frame's base64 is replaced where it reads, and the frames are built
        # again from the text when it is played (`playable_response`). None: kept as bytes.
        text = aws_eventstream.readable_text(body)
        if text is not None:
            body, content_type = text.encode(), "text/plain; charset=utf-8"
    found = [
        f.value
        for f in secret_search.search(
            body, scrubber.values, content_encoding=coding, content_type=content_type
        )
    ]
    if found:  # before the Scrubber: a key split across events must be found whole to be replaced
        body = secret_search.redact_bytes(body, found, REDACTED, content_type=content_type)
    readable = _readable_body(scrubber.data(body), content_type)
    if isinstance(readable, str):
        readable = scrubber.text(readable)
        if found:
            readable = secret_search.redact_text(readable, found, REDACTED)
    if found:
        _refuse_left(readable, [*found, *scrubber.values], place, coding, content_type)
    return readable


def _written_text(value: str, scrubber: Scrubber, place: str) -> str:
    """A header value or the URL as written: as `_written_body`, for text."""
    written = scrubber.text(value)
    found = [f.value for f in secret_search.search(value, scrubber.values)]
    if found:
        written = scrubber.text(secret_search.redact_text(value, found, REDACTED))
        _refuse_left(written, [*found, *scrubber.values], place, None, None)
    return written


def _refuse_left(
    written: str | bytes, wanted: list[str], place: str, coding: str | None, content_type: str | None
) -> None:
    # A piece of a found credential counts too: a key split across events, whose first piece was
    # key-shaped enough to be replaced on its own, must not leave the rest behind. A piece is
    # reported as the credential it belongs to.
    whole = {piece: value for value in set(wanted) for piece in (value[i:] for i in range(len(value) - 15))}
    left = secret_search.search(
        written,
        [*wanted, *whole],
        content_encoding=coding if isinstance(written, bytes) else None,
        content_type=content_type,
    )
    if left:
        shown = {whole.get(f.value, f.value): f for f in left}
        found = [secret_search.Found(value, f.how) for value, f in shown.items()]
        raise secret_search.CredentialLeft(place, found)


def _length(body: str | bytes) -> int:
    return len(body.encode() if isinstance(body, str) else body)


def interaction_dict(interaction: Interaction, scrubber: Scrubber) -> dict[str, Any]:
    request = interaction.request
    response = interaction.response
    # Sorted header names: re-recording the same traffic gives a minimal diff in review.
    request_headers = {
        name: [_written_header(scrubber, "request", name, value)]
        for name, value in sorted(request.headers.items())
    }
    response_headers = {
        name: [_written_header(scrubber, "response", name, v) for v in values]
        for name, values in sorted(response["headers"].items())
    }
    request_body = _written_body(request.body, request.headers, scrubber, "request body")
    if "content-length" in request_headers:  # the length of the body as written, not as sent
        request_headers["content-length"] = [str(_length(request_body))]
    response_body = _written_body(
        response["body"]["string"], lower_headers(response["headers"]), scrubber, "response body"
    )
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
            "uri": _written_text(request.url, scrubber, "request URL"),
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


def _written_header(scrubber: Scrubber, side: str, name: str, value: str) -> str:
    written = scrubber.header(name, value)
    return written if written != value else _written_text(value, scrubber, f"{side} header `{name}`")


def dump_cassette(interactions: list[Interaction], scrubber: Scrubber) -> str:
    """The cassette's text. Raises CredentialLeft (naming the interaction and the place) when a
    credential would be written in a form that cannot be replaced exactly."""
    dicts = []
    for position, interaction in enumerate(interactions, 1):
        try:
            dicts.append(interaction_dict(interaction, scrubber))
        except secret_search.CredentialLeft as exc:
            raise secret_search.CredentialLeft(f"interaction {position}, {exc.place}", exc.found) from None
    data = {"interactions": dicts, "version": 1}
    text: str = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def write_order(interactions: Iterable[Interaction], scrubber: Scrubber) -> list[Interaction]:
    """The order a cassette is written in: by what each request is, never by when it was sent.

    Sorted by method, path, query and canonical body (JSON with sorted keys), compared as they are
    written (scrubbed), so concurrent requests (asyncio.gather, threads, xdist workers) land in the same
    place on every recording. The sort is stable: identical requests keep their relative order, which
    is the order they were sent and the order replay plays them back in. Replay matches per request,
    so sorting never changes what a test is answered."""

    def key(interaction: Interaction) -> tuple[str, str, str, str, tuple[str, ...]]:
        method, path, query, body, headers = interaction.key
        text = body.decode("latin-1") if isinstance(body, bytes) else body
        shown = tuple(value or "" for value in headers)
        return (method, path, scrubber.text(urlencode(query)), scrubber.text(text), shown)

    return sorted(interactions, key=key)
