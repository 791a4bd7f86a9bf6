"""Credentials however they are written: the one search that the cassette writer and `lint` share.

A key echoed by a server or sent by a client may reach a cassette in a form no plain substring search
sees: percent-encoded, as JSON `\\u` escapes, as HTML entities, base64-encoded, split across the
events of a stream, in a body compressed once or several times, or in UTF-16. `search` reads a value
the ways a reader could decode it and returns every credential it finds: the configured secret values
(the Scrubber's) and anything shaped like a credential (`credentials.CREDENTIAL_SHAPES`: a Claude key,
an AWS access key id, an Amazon Bedrock API key). `redact` replaces
a credential where it stands, in its encoded form, when that can be done exactly (an escape run, a
base64 run, a UTF-16 text); what it cannot reach is left for the writer to refuse.

The work is bounded: decompression stops at a cap, base64 is decoded only in runs long enough to hold
a credential, decodings nest at most `_DEPTH` deep, and one search reads at most `_BUDGET_FACTOR`
times its input (plus a floor). Text with no sign of any encoding is searched once, as it is.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import functools
import html.entities
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..contract.credentials import CREDENTIAL_SHAPES, CREDENTIAL_STARTS, shape_hinted
from ..contract.limits import inflate

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

# How many decodings may nest (e.g. base64 of a gzip body of percent-encoded text: 3).
_DEPTH = 4
# Decompressed output is capped: a compression bomb costs this much and no more.
DECOMPRESSED_CAP = 64 * 1024 * 1024
# One search reads at most this many times its input's length, plus the floor, across all decodings.
_BUDGET_FACTOR = 8
_BUDGET_FLOOR = 4 * 1024 * 1024
# The shortest base64 run worth decoding: 12 characters hold 9 bytes, and a configured secret is at
# least 8 characters long (Scrubber drops shorter ones), a Claude key more than 16.
_BASE64_MIN = 12
# Line breaks belong to a run (MIME wraps base64 at 76 characters); one character class keeps the
# scan at regex-engine speed.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-\r\n]{12,}")
# Escapes a reader undoes: %XX, \uXXXX (JSON), &#NN; &#xNN; &name; (HTML).
_ESCAPE = re.compile(
    r"%([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|&#([0-9]{1,7});|&#[xX]([0-9A-Fa-f]{1,6});|&([A-Za-z][A-Za-z0-9]{1,31};)"
)
_PRINTABLE = re.compile(rb"[\x20-\x7e\t\r\n]{12,}")
_ESCAPE_HINTS = ("%", "\\u", "&")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_CODINGS = ("gzip", "x-gzip", "deflate", "br", "identity")


@dataclass(frozen=True, slots=True)
class Found:
    """A credential found: its value as decoded, and the decodings that show it ("" for none)."""

    value: str
    how: str

    def shown(self) -> str:
        """What a message shows: the first 10 characters, and how it was written."""
        return self.value[:10] + "..." + (f" ({self.how})" if self.how else "")


class CredentialLeft(Exception):
    """A credential that would be written in a form `redact_*` cannot replace exactly."""

    def __init__(self, place: str, found: list[Found]) -> None:
        self.place = place
        self.found = found
        shown = list(dict.fromkeys(f.shown() for f in found))
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        super().__init__(f"{place} would hold a credential ({', '.join(shown[:3])}{more})")


class _Search:
    def __init__(self, secrets: Sequence[str], size: int) -> None:
        self.secrets = secrets
        self.budget = _BUDGET_FACTOR * size + _BUDGET_FLOOR
        self.found: dict[str, str] = {}
        self.base64_hints = _base64_hint_pattern(tuple(secrets))

    def spend(self, size: int) -> bool:
        self.budget -= size
        return self.budget >= 0

    def note(self, value: str, how: tuple[str, ...]) -> None:
        label = ", ".join(how)
        if value not in self.found or len(label) < len(self.found[value]):
            self.found[value] = label

    def text(self, text: str, how: tuple[str, ...], depth: int) -> None:
        if not text or not self.spend(len(text)):
            return
        for secret in self.secrets:
            if secret in text:
                self.note(secret, how)
        if shape_hinted(text):
            for match in CREDENTIAL_SHAPES.finditer(text):
                self.note(match.group(0), how)
        if depth <= 0:
            return
        if any(hint in text for hint in _ESCAPE_HINTS):
            unescaped, kinds = unescape(text)
            if kinds:
                self.text(unescaped, (*how, *kinds), depth - 1)
        if "data:" in text:
            for joined in _sse_joins(text):
                self.text(joined, (*how, "split across SSE events"), depth - 1)
        if not self.base64_hinted(text):
            return
        for data in _base64_blobs(text):
            if data[:2] == b"\x1f\x8b":
                self.data(data, (*how, "base64"), depth - 1)
                continue
            self.text(data.decode("utf-8", errors="replace"), (*how, "base64"), 0)
            # Only its stretches of printable text are decoded further: binary (an image, a PDF, a
            # random id read as base64) is full of chance escapes and runs.
            printable = b"\n".join(_PRINTABLE.findall(data)).decode("ascii")
            self.text(printable, (*how, "base64"), depth - 1)
            if b"\x00" in data:  # ASCII in UTF-16 reads as itself once its NUL bytes are gone
                stripped = data.replace(b"\x00", b"").decode("utf-8", errors="replace")
                self.text(stripped, (*how, "base64", "UTF-16"), 0)

    def base64_hinted(self, text: str) -> bool:
        """Whether `text` may hold a credential in base64: the encoding of one's start, at any of
        the three alignments, is in it (one scan, where decoding every run would read the whole text
        several times). Line breaks (MIME-wrapped base64) are looked through: a hint, which holds
        none, is in the text without them wherever it is in the text."""
        if "\n" in text:
            text = text.replace("\r", "").replace("\n", "")
        return self.base64_hints.search(text) is not None

    def data(self, data: bytes, how: tuple[str, ...], depth: int, *, charset: str | None = None) -> None:
        if not data:
            return
        if data[:2] == b"\x1f\x8b" or _zlib_header(data):
            inner = _inflate(data)
            if inner is not None:
                self.data(inner, (*how, "gzip" if data[:1] == b"\x1f" else "deflate"), depth - 1)
                return
        decoded = _decoded(data, charset)
        if decoded is None:
            self.text(data.decode("utf-8", errors="replace"), how, depth)
            return
        text, _, label = decoded
        self.text(text, (*how, label) if label else how, depth)


def search(
    value: str | bytes,
    secrets: Iterable[str] = (),
    *,
    content_encoding: str | None = None,
    content_type: str | None = None,
) -> list[Found]:
    """Every credential in `value` (a header value, a URL, a stored or sent body) as it stands and as
    a reader could decode it. `content_encoding`: the body's listed codings, undone last to first;
    `content_type`: where its charset is named."""
    wanted = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
    run = _Search(wanted, len(value))
    if isinstance(value, str):
        run.text(value, (), _DEPTH)
        return [Found(v, h) for v, h in run.found.items()]
    data, how = undo_codings(value, content_encoding)
    if data is None:
        return [Found(v, h) for v, h in run.found.items()]
    run.data(data, how, _DEPTH + len(how), charset=charset_of(content_type))
    return [Found(v, h) for v, h in run.found.items()]


def undo_codings(body: bytes, content_encoding: str | None) -> tuple[bytes | None, tuple[str, ...]]:
    """`body` with every listed content-coding undone (the last applied is listed last), capped;
    the codings undone. None: a listed coding is unknown or broken (the body cannot be read)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    how: list[str] = []
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in _CODINGS:
            return None, tuple(how)
        inner = _unbrotli(body) if coding == "br" else _inflate(body)
        if inner is None:
            return None, tuple(how)
        body = inner
        how.append(f"content-encoding {coding}")
    return body, tuple(how)


def charset_of(content_type: str | None) -> str | None:
    found = _CHARSET.search(content_type or "")
    return found.group(1).lower() if found else None


def _zlib_header(data: bytes) -> bool:
    return len(data) > 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0


def _inflate(data: bytes) -> bytes | None:
    """gzip (possibly several members), zlib or raw deflate data decoded as far as it goes, at most
    DECOMPRESSED_CAP bytes; None if it is none of them."""
    wbits = 31 if data[:2] == b"\x1f\x8b" else 15
    try:
        return inflate(data, wbits, DECOMPRESSED_CAP, partial=True)
    except zlib.error:
        if wbits == 31:
            return None
    try:  # raw deflate, as some servers send `deflate`
        return inflate(data, -15, DECOMPRESSED_CAP, partial=True)
    except zlib.error:
        return None


def _unbrotli(data: bytes) -> bytes | None:
    try:
        import brotli
    except ImportError:
        return None
    from ..contract.limits import LimitExceeded, unbrotli

    try:  # bounded as the readers are: a br bomb stops at the cap, never inflated whole
        return unbrotli(data, DECOMPRESSED_CAP)
    except (brotli.error, LimitExceeded):
        return None


def _decoded(data: bytes, charset: str | None) -> tuple[str, str, str] | None:
    """`data` read as text by the first of `_text_codecs` that reads it: (text, codec, how the
    search names it); None when none does."""
    for codec, label in _text_codecs(data, charset):
        try:
            return data.decode(codec), codec, label
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _text_codecs(data: bytes, charset: str | None) -> Iterator[tuple[str, str]]:
    """The codecs to read `data` with, most likely first: its BOM, its charset, UTF-16 when every
    other byte is NUL (ASCII text in UTF-16 without a BOM), then UTF-8."""
    if data[:3] == codecs.BOM_UTF8:
        yield "utf-8-sig", ""
    if data[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        yield "utf-32", "UTF-32"
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        yield "utf-16", "UTF-16"
    if charset and charset.replace("-", "").replace("_", "") not in ("utf8", "usascii", "ascii"):
        yield charset, charset
    sample = data[:64]
    if len(sample) >= 4 and sample[1::2].count(0) * 4 >= len(sample) * 3 // 2:
        yield "utf-16-le", "UTF-16"
    if len(sample) >= 4 and sample[0::2].count(0) * 4 >= len(sample) * 3 // 2:
        yield "utf-16-be", "UTF-16"
    yield "utf-8", ""


# ---------------------------------------------------------------- escapes


def _escape_char(match: re.Match[str]) -> str | None:
    percent, unicode, decimal, hexa, named = match.groups()
    if percent is not None:
        return chr(int(percent, 16))
    if unicode is not None:
        return chr(int(unicode, 16))
    number = int(decimal) if decimal is not None else int(hexa, 16) if hexa is not None else None
    if number is not None:
        return chr(number) if number < 0x110000 else None
    return html.entities.html5.get(named)


_KIND = ("percent-encoding", "JSON \\u escapes", "HTML entities", "HTML entities", "HTML entities")


def unescape(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` with its percent-escapes, JSON `\\u` escapes and HTML entities undone in one pass, and
    which of those it held (none: `text` itself)."""
    kinds: dict[str, None] = {}

    def one(match: re.Match[str]) -> str:
        char = _escape_char(match)
        if char is None:
            return match.group(0)
        kinds[_KIND[(match.lastindex or 1) - 1]] = None
        return char

    out = _ESCAPE.sub(one, text)
    return out, tuple(kinds)


def _unescape_mapped(text: str) -> tuple[str, list[int], list[int]]:
    """`unescape`, with where each decoded character stands in `text` (start and end)."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for match in _ESCAPE.finditer(text):
        char = _escape_char(match)
        if char is None:
            continue
        pieces.append(text[last : match.start()])
        starts.extend(range(last, match.start()))
        ends.extend(range(last + 1, match.start() + 1))
        pieces.append(char)
        starts.extend([match.start()] * len(char))
        ends.extend([match.end()] * len(char))
        last = match.end()
    pieces.append(text[last:])
    starts.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return "".join(pieces), starts, ends


# ---------------------------------------------------------------- base64


def _base64_blobs(text: str) -> Iterator[bytes]:
    """The bytes of the base64 runs in `text` (standard or URL-safe alphabet, padded or not, MIME-
    wrapped lines too), each run decoded from each of the four alignments (a run may start with a
    character or three of the text before it), all in one decoding, kept apart by newlines. A run
    that holds gzip data comes on its own, to be decompressed."""
    pieces = []
    for found in _BASE64_RUN.findall(text):
        run = found.replace("\r", "").replace("\n", "") if "\n" in found else found
        if len(run) < _BASE64_MIN or not _maybe_base64(run):
            continue
        if "-" in run or "_" in run:
            run = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            piece = _whole(run[offset:])
            if piece.startswith("H4sI"):  # gzip's magic bytes
                gzipped = _b64(piece)
                if gzipped is not None:
                    yield gzipped
            pieces.append(piece)
    if pieces:
        blob = _b64("CgoK".join(pieces))  # CgoK: three newlines between runs
        if blob is not None:
            yield blob


@functools.lru_cache(maxsize=64)
def _base64_hint_pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    """`_base64_hints` as one regular expression shaped as a trie (hints sharing a start share a
    branch): one scan of a text instead of one per hint. Writing the bench's 1000-interaction
    cassette (bench/README.md, section 2) took 1.29 s this way, 1.90 s with a scan per hint of the
    text and another of it without line breaks (2026-12-07)."""
    return re.compile(_trie(_base64_hints(secrets)))


def _trie(words: Iterable[str]) -> str:
    """An alternation of `words` (none empty) with common starts factored out."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict[str, Any]) -> str:
        alternatives = [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]
        if not alternatives:
            return ""
        group = (
            alternatives[0] if len(alternatives) == 1 and "" not in node else f"(?:{'|'.join(alternatives)})"
        )
        return f"{group}?" if "" in node else group

    return branch(root)


@functools.lru_cache(maxsize=64)
def _base64_hints(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """What the base64 of a credential's start looks like at each alignment, in both alphabets: for
    credential of a known shape (credentials.CREDENTIAL_STARTS) and for each configured secret, as
    UTF-8 and as UTF-16; and gzip's magic bytes (a compressed body in base64 is decompressed and
    searched). AWS access key ids and Bedrock API keys start with four letters, a shorter hint: a few
    more runs get decoded."""
    starts = [s.encode() for s in (*CREDENTIAL_STARTS, *(s[:12] for s in secrets))]
    hints = {"H4sI"}
    for start in starts:
        text = start.decode("latin-1")
        for form in (start, text.encode("utf-16-le"), text.encode("utf-16-be")):
            for align in range(3):
                encoded = base64.b64encode(b"\x00" * align + form).decode("ascii")
                hint = encoded[-(-8 * align // 6) : 8 * (align + len(form)) // 6]
                hints.add(hint)
                hints.add(hint.replace("+", "-").replace("/", "_"))
    return tuple(sorted(hints))


def _whole(piece: str) -> str:
    """`piece` cut or filled to whole base64 quanta (filling with "A" adds zero bits only)."""
    rest = len(piece) % 4
    return piece[: len(piece) - 1] if rest == 1 else piece + "A" * ((4 - rest) % 4)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _maybe_base64(run: str) -> bool:
    # Prose, identifiers (`content_block_delta`) and numbers are one case or none; base64 of a dozen
    # bytes or more has both (a Claude key's encoding always has: `c2stYW50` is its prefix's).
    return not run.islower() and not run.isupper() and not run.isdigit()


# ---------------------------------------------------------------- server-sent events


def _sse_joins(text: str) -> list[str]:
    """What a reader of an event stream puts together: the text of each kind of delta (`text`,
    `partial_json`, `thinking`...) joined across the events that carry it, and, when some event's
    data is not JSON, every event's data in order."""
    fields: dict[str, list[str]] = {}
    for name, value in _DELTA_FIELD.findall(text):
        fields.setdefault(name, []).append(value)
    joined = ["\n".join("".join(parts) for parts in fields.values() if len(parts) > 1)]
    if text.count("data: {") + text.count("data:{") < text.count("data:"):
        events = _DATA_LINE.findall(text)
        if len(events) > 1:
            joined.append("".join(events))
    return [j for j in joined if j]


_DATA_LINE = re.compile(r"^data: ?(.*)$", re.MULTILINE)
# A streamed piece of text, as the Messages API (`text`, `partial_json`, `thinking`, `signature`)
# and other streaming APIs (`content`, `delta`, `chunk`, `data`) send it; escapes kept (the search
# undoes them next). Names listed: the literal start keeps the scan fast; the string unrolled (no
# alternation per character): the 688 streams of the bench's large cassette in 0.12 s, not 0.25 s.
_DELTA_FIELD = re.compile(
    r'"(text|partial_json|thinking|signature|content|delta|chunk|data)":\s*"([^"\\\n]*(?:\\.[^"\\\n]*)*)"'
)


# ---------------------------------------------------------------- replacing where it stands


def redact_text(text: str, values: Iterable[str], placeholder: str) -> str:
    """`text` with each of `values` replaced by `placeholder` where it stands: as written, inside an
    escape run (the whole escaped span goes), or inside a base64 run (re-encoded with the placeholder
    in its place). What needs more than one decoding to show is left for the caller to refuse."""
    wanted = sorted({v for v in values if v}, key=len, reverse=True)
    if not wanted:
        return text
    if "data:" in text:  # first: a key-shaped first piece, replaced alone, would hide the rest
        text = _redact_split(text, wanted, placeholder)
    for value in wanted:
        text = text.replace(value, placeholder)
    if any(hint in text for hint in _ESCAPE_HINTS):
        text = _redact_escaped(text, wanted, placeholder)
    return _PADDED_RUN.sub(lambda m: _redact_run(m.group(0), wanted, placeholder), text)


# A run as `redact_text` re-encodes it, with its padding (and its line breaks, when MIME-wrapped).
_PADDED_RUN = re.compile(r"[A-Za-z0-9+/_\-](?:[A-Za-z0-9+/_\-]|\r?\n(?=[A-Za-z0-9+/_\-])){11,}={0,2}")


def _redact_split(text: str, wanted: Sequence[str], placeholder: str) -> str:
    """A value split across the events of a stream (a JSON string field, or the data lines): its
    first piece becomes the placeholder, the other pieces empty."""
    groups: dict[str, list[tuple[int, int]]] = {"": []}
    for match in _DATA_LINE.finditer(text):
        groups[""].append(match.span(1))
    for match in _DELTA_FIELD.finditer(text):
        groups.setdefault("f" + match.group(1), []).append(match.span(2))
    edits: dict[tuple[int, int], str] = {}
    for spans in groups.values():
        if len(spans) < 2:
            continue
        joined = "".join(text[start:end] for start, end in spans)
        bounds = []  # where each piece starts in `joined`
        at = 0
        for start, end in spans:
            bounds.append(at)
            at += end - start
        for value in wanted:
            position = joined.find(value)
            while position >= 0:
                stop = position + len(value)
                first = True
                for (start, end), base in zip(spans, bounds, strict=True):
                    low, high = max(position, base), min(stop, base + end - start)
                    if low < high:
                        edits[start + low - base, start + high - base] = placeholder if first else ""
                        first = False
                position = joined.find(value, stop)
    taken = -1
    out = []
    last = 0
    for (start, end), replacement in sorted(edits.items()):
        if start < taken:  # overlapping finds: the first one stands
            continue
        out.append(text[last:start])
        out.append(replacement)
        last = taken = end
    out.append(text[last:])
    return "".join(out)


def _redact_escaped(text: str, wanted: Sequence[str], placeholder: str) -> str:
    decoded, starts, ends = _unescape_mapped(text)
    spans: list[tuple[int, int]] = []
    for value in wanted:
        position = decoded.find(value)
        while position >= 0:
            spans.append((starts[position], ends[position + len(value) - 1]))
            position = decoded.find(value, position + len(value))
    for start, end in sorted(set(spans), reverse=True):
        if all(not (s < end and start < e) or (s, e) == (start, end) for s, e in spans):
            text = text[:start] + placeholder + text[end:]
    return text


def _redact_run(run: str, wanted: Sequence[str], placeholder: str) -> str:
    if "\n" in run:
        lines = run.splitlines()
        width, newline = len(lines[0]), "\r\n" if "\r\n" in run else "\n"
        if any(len(line) != width for line in lines[:-1]) or len(lines[-1]) > width:
            return run  # not evenly wrapped: left as it is (and refused by the writer)
        joined = _redact_run("".join(lines), wanted, placeholder)
        return newline.join(joined[i : i + width] for i in range(0, len(joined), width))
    urlsafe = "-" in run or "_" in run
    stripped = run.rstrip("=")
    standard = stripped.replace("-", "+").replace("_", "/")
    for offset in range(4):
        body = standard[offset:]
        if len(body) % 4 == 1:
            continue
        try:
            decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        fixed = decoded
        for value in wanted:
            fixed = fixed.replace(value.encode(), placeholder.encode())
        if fixed == decoded:
            continue
        encoded = base64.b64encode(fixed).decode("ascii")
        if urlsafe:
            encoded = encoded.replace("+", "-").replace("/", "_")
        if len(stripped) == len(run):  # it was unpadded
            encoded = encoded.rstrip("=")
        return stripped[:offset] + encoded
    return run


def redact_bytes(
    data: bytes, values: Iterable[str], placeholder: str, *, content_type: str | None = None
) -> bytes:
    """`data` with each of `values` replaced where it stands, in the text it reads as (UTF-8, or its
    charset: UTF-16 and the like), encoded back the same way; as bytes when it is not text."""
    wanted = sorted({v for v in values if v}, key=len, reverse=True)
    if not wanted:
        return data
    decoded = _decoded(data, charset_of(content_type))
    if decoded is not None:
        text, codec, _ = decoded
        fixed = redact_text(text, wanted, placeholder)
        if fixed == text:
            return data
        with contextlib.suppress(UnicodeEncodeError, LookupError):  # then replaced as bytes, below
            return _bom(data, codec) + fixed.encode(_encoder(codec, data))
    for value in wanted:
        data = data.replace(value.encode(), placeholder.encode())
    return data


def _bom(data: bytes, codec: str) -> bytes:
    if codec == "utf-8-sig":
        return codecs.BOM_UTF8
    for bom in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if codec in ("utf-16", "utf-32") and data.startswith(bom):
            return bom
    return b""


def _encoder(codec: str, data: bytes) -> str:
    """The codec that writes text back as `codec` read it, without a second BOM."""
    if codec == "utf-16":
        return "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    if codec == "utf-32":
        return "utf-32-le" if data.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"
    return "utf-8" if codec == "utf-8-sig" else codec
