"""Bounds on the work reading hostile input can cause: YAML aliases, JSON depth, decompressed size and
line length. One guard for each, used by every reader (cassette files, bodies, streams, lint, diff).

The limits are process-wide: the plugin sets them from its options when pytest configures it, and
`lint` from its flags; a reader asks `current()`. Light on imports: `plugin.options` imports this
module in every session.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator

MB = 1_000_000  # decimal, as the contract's body limits are given
# The largest request-body limit the contract documents (Files, 500 MB) and the standard one
# (Messages, 32 MB); kept in step with contract.models by tests/test_limits.py.
STANDARD_BODY_LIMIT = 32 * MB
DECODED_MULTIPLE = 4  # a compressed body may inflate to this many times its endpoint's limit

SIZE_UNITS = {"": 1, "b": 1, "kb": 1_000, "mb": MB, "gb": 1_000 * MB}
SIZE_FORMS = "a whole number of bytes, or with a unit: KB, MB or GB (decimal), e.g. 256MB"


# What each limit is, for the pytest options and lint's flags alike (`--claude-max-<name>`,
# `--max-<name>`); sizes take a unit (SIZE), counts do not (N).
LIMIT_HELP = {
    "yaml_aliases": "the most nodes YAML aliases in a cassette may repeat, counted as copied out "
    "(default 10000)",
    "json_depth": "how deep JSON in a cassette or body may nest, 1 to 1000 (default 200)",
    "decoded_size": "how far a compressed body or cassette may inflate, e.g. 512MB (default: 4x the "
    "endpoint's documented body limit; 128MB for a cassette file)",
    "line_length": "the longest line a cassette may hold, e.g. 256MB (default 128MB)",
}
LIMIT_METAVAR = {"yaml_aliases": "N", "json_depth": "N", "decoded_size": "SIZE", "line_length": "SIZE"}


def limit_flags(prefix: str) -> Iterator[tuple[str, str, str, str]]:
    """Each reading limit's command-line flag, as pytest (`--claude-max-...`) and lint (`--max-...`)
    take it: (flag, dest, metavar, help)."""
    for name, help_text in LIMIT_HELP.items():
        yield (
            f"--{prefix}max-{name.replace('_', '-')}",
            f"{prefix.replace('-', '_')}max_{name}",
            LIMIT_METAVAR[name],
            help_text,
        )


class Limits(NamedTuple):
    """The bounds in force. A NamedTuple, as every settings class the plugin defines at start-up: a
    frozen dataclass compiles its methods when it is defined, about 7 M instructions (1.7 ms) each
    (2026-12-07; bench/README.md section 3)."""

    # Nodes YAML aliases may repeat, counted as if each alias were copied out (a string counts one
    # more per 1,000 characters): a few aliased header mappings pass, a "billion laughs" does not.
    yaml_aliases: int = 10_000
    # Nesting of JSON arrays and objects; Python's own reader stops near 1,000 (RecursionError).
    json_depth: int = 200
    # What a compressed body or cassette may inflate to; None: 4x the endpoint's body limit for a
    # body, 4x the standard (Messages) limit for a cassette file.
    decoded_size: int | None = None
    # The longest line of a cassette file (a JSON cassette holds each body on one line).
    line_length: int = DECODED_MULTIPLE * STANDARD_BODY_LIMIT
    # Who reads the settings: the plugin (ini options and --claude-* flags) or `lint` (--max-*).
    via: str = "plugin"

    def setting(self, name: str) -> str:
        """How a user raises limit `name` (e.g. "json_depth") where these limits came from."""
        flag = name.replace("_", "-")
        if self.via == "lint":
            return f"raise it with `pytest-claude-contract lint --max-{flag}`"
        return f"raise it with the ini option claude_max_{name} or --claude-max-{flag}"


_held = [Limits()]  # the process's limits: one slot, replaced by `configure`


def current() -> Limits:
    return _held[0]


def configure(limits: Limits) -> None:
    """Set the process's limits (the plugin at configure time, `lint` before it reads)."""
    _held[0] = limits


class LimitExceeded(ValueError):
    """Input over one of the limits; the message names the limit and the setting that raises it.
    A ValueError: readers that treat unreadable JSON or encodings as "not JSON" keep doing so."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def parse_size(value: str) -> int:
    """`256MB`, `2GB`, `1000` as bytes; ValueError for anything else (or zero)."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?b?)\s*", value.lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(value)
    return int(match.group(1)) * SIZE_UNITS[match.group(2)]


def shown_size(size: int) -> str:
    return f"{size // MB:,} MB" if size >= MB and size % MB == 0 else f"{size:,} bytes"


# ---------------------------------------------------------------- JSON depth

# A JSON string, so that brackets inside strings are not counted (unrolled: no backtracking).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")


def json_depth_over(data: bytes | str, limit: int) -> bool:
    """Whether `data` nests arrays and objects deeper than `limit`. Cheap when it cannot: nesting
    that deep needs more than `limit` opening brackets, which two C-level counts rule out for almost
    every body; otherwise the strings are cut out and matched pairs peeled, one pass a level."""
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= limit:
            return False
        raw = data.encode("utf-8", "surrogatepass")
    else:
        raw = data
        if raw.count(b"[") + raw.count(b"{") <= limit:
            return False
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _BRACKETS_ONLY)
    for _ in range(limit):
        peeled = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if not peeled or peeled == brackets:  # all matched, or not JSON (its reader will say)
            return False
        brackets = peeled
    return True


def _deep_line(raw: bytes, limit: int) -> int | None:
    """The line where nesting first goes past `limit` (error path only)."""
    depth = 0
    at = 0
    for match in re.finditer(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                at = match.start()
                return raw.count(b"\n", 0, at) + 1
        elif token in (b"]", b"}"):
            depth -= 1
    return None


def too_deep(limits: Limits, line: int | None = None) -> LimitExceeded:
    return LimitExceeded(
        f"JSON nested deeper than the limit of {limits.json_depth} levels ({limits.setting('json_depth')})",
        line,
    )


def loads_json(data: bytes | str) -> Any:
    """json.loads with the depth limit: LimitExceeded (a ValueError, with the line) when the text
    nests deeper, instead of RecursionError or a structure every later walk must survive."""
    limits = _held[0]
    if json_depth_over(data, limits.json_depth):
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        raise too_deep(limits, _deep_line(raw, limits.json_depth))
    try:
        return json.loads(data)
    except RecursionError:  # unbalanced brackets the peeling could not pair, nested past Python's
        raise too_deep(limits) from None


# ---------------------------------------------------------------- decompression


def decoded_limit(method: str | None = None, path: str | None = None) -> int:
    """How far a compressed body may inflate: the setting, else 4x the body limit of the documented
    endpoint `method path` (the standard limit for others and for a cassette file)."""
    if _held[0].decoded_size is not None:
        return _held[0].decoded_size
    limit = STANDARD_BODY_LIMIT
    if method is not None and path is not None:
        from .models import DEFAULT_ENDPOINTS  # pydantic: only once a compressed body is met

        for endpoint in DEFAULT_ENDPOINTS:
            if endpoint.max_body_bytes and endpoint.matches(method.upper(), path):
                limit = endpoint.max_body_bytes
                break
    return DECODED_MULTIPLE * limit


def too_large(limit: int, what: str) -> LimitExceeded:
    return LimitExceeded(
        f"{what} inflates to more than the limit of {shown_size(limit)} "
        f"({_held[0].setting('decoded_size')}; the default is 4x the endpoint's documented body limit)"
    )


def inflate(
    data: bytes, wbits: int, limit: int, what: str = "the compressed body", *, partial: bool = False
) -> bytes:
    """zlib/gzip/deflate data (`wbits` as zlib takes it) decompressed, never past `limit` bytes:
    zlib's max_length stops the output there, so a bomb costs `limit` bytes, not what it would
    inflate to. Concatenated gzip members are read as gzip.decompress reads them. Raises zlib.error
    for broken data and LimitExceeded past the limit.

    `partial`: for a search, not a reader: what decodes is returned, cut at `limit`, where a reader
    is refused (a truncated stream, a bomb, garbage after a member); zlib.error only when nothing
    decodes at all."""
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error:
            if partial and out:
                return bytes(out)
            raise
        if len(out) > limit or inflater.unconsumed_tail:
            if partial:
                return bytes(out[:limit])
            raise too_large(limit, what)
        if not inflater.eof:
            if partial:
                return bytes(out)
            raise zlib.error("incomplete or truncated stream")
        data = inflater.unused_data
        if wbits <= 15 or not data.lstrip(b"\0"):  # gzip members may follow; zlib/raw: the end
            return bytes(out)


def unbrotli(data: bytes, limit: int, what: str = "the compressed body") -> bytes:
    """br data decompressed, never past `limit` bytes (brotli's output_buffer_limit)."""
    import brotli

    inflater = brotli.Decompressor()
    out = inflater.process(data, output_buffer_limit=limit + 1)
    if len(out) > limit or (not inflater.is_finished() and not inflater.can_accept_more_data()):
        raise too_large(limit, what)
    if not inflater.is_finished():
        raise brotli.error("incomplete or truncated stream")
    return bytes(out)


# ---------------------------------------------------------------- lines


def long_line(raw: bytes, limit: int) -> int | None:
    """The number of the first line longer than `limit` bytes, or None. Free for a file no longer
    than the limit; otherwise one C-level search per half-limit block, not a step per line: a line
    over the limit holds a whole block with no line break."""
    size = len(raw)
    if size <= limit:
        return None
    step = max(limit // 2, 1)
    for start in range(0, size, step):
        end = min(start + step, size)
        if end - start == step and raw.find(b"\n", start, end) == -1:
            begin = raw.rfind(b"\n", 0, start) + 1
            stop = raw.find(b"\n", end)
            if (size if stop == -1 else stop) - begin > limit:
                return raw.count(b"\n", 0, begin) + 1
    return None


def line_too_long(line: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        f"line {line} is longer than the limit of {shown_size(limits.line_length)} "
        f"({limits.setting('line_length')})",
        line,
    )
