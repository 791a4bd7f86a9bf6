"""Cassette YAML at string speed: the shape this plugin writes, read and written without PyYAML's
node-by-node Python constructors and representers.

Cassettes stay plain YAML that vcrpy and PyYAML read. `dump` writes exactly the text
`yaml.dump(data, Dumper=<libyaml's dumper, literal blocks for multi-line strings>, sort_keys=False,
allow_unicode=True, width=4096)` writes, and `load` returns exactly what libyaml's safe loader returns,
but only for what they can prove they handle: block mappings and sequences, plain and single-quoted
one-line scalars, literal blocks, null, booleans and decimal integers. Anything else (a double-quoted
or folded scalar, a tab, a comment, an anchor, a float, a very long line...) makes them return None
and the caller uses PyYAML, so errors and their line numbers still come from PyYAML. The bulk of a
cassette is literal blocks (pretty JSON bodies and SSE streams): those are cut and indented with
str.replace and one regex search each, not a Python step per character.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()

# Characters libyaml's emitter writes as they are (LF, printable ASCII, the BMP's printable range
# without the byte-order mark); any other (a tab, CR, NEL, LS, PS, an emoji) makes it double-quote.
_WRITTEN_AS_IS = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_ASCII_WRITTEN_AS_IS = bytes(range(0x20, 0x7F)) + b"\n"
# Indicators that stop a plain scalar at its first character.
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_BLOCK_HEADER = re.compile(r"\|([1-9])?([-+])?")
# Longer one-line scalars may be folded at the emitter's width (4096 columns): not ours to write.
_MAX_LINE_SCALAR = 1000
_MAX_KEY = 100


class _Decline(Exception):
    """Outside what this module handles: the caller uses PyYAML."""


@lru_cache(maxsize=8192)
def _resolved(value: str) -> str:
    """The tag PyYAML's resolver gives `value` written plain (header values repeat: cached)."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _plain_resolves_to_str(value: str) -> bool:
    return _resolved(value) == _STR_TAG


def _written_as_is(value: str) -> bool:
    if value.isascii():  # the common case, checked on bytes: the regex is several times slower
        return not value.encode("ascii").translate(None, _ASCII_WRITTEN_AS_IS)
    return _WRITTEN_AS_IS.fullmatch(value) is not None


def _plain_shape(value: str) -> bool:
    """libyaml's emitter would write `value` (one line, no special characters) plain in block context,
    if the resolver read it back as a string."""
    if not value or value[0] == " " or value[-1] == " " or value[0] in _FIRST_INDICATORS:
        return False
    if value[0] in "-?:" and (len(value) == 1 or value[1] == " "):
        return False
    return not (value.startswith(("---", "...")) or value.endswith(":") or ": " in value or " #" in value)


def _plain_allowed(value: str) -> bool:
    return _plain_shape(value) and _plain_resolves_to_str(value)


# ---------------------------------------------------------------- writing


def dump(data: Any) -> str | None:
    """The YAML text of a top-level mapping, as the plugin's PyYAML dumper writes it; None when
    `data` holds anything this writer does not handle."""
    if not isinstance(data, dict) or not data:
        return None
    out: list[str] = []
    try:
        _mapping(data, 0, out, "")
    except _Decline:
        return None
    if any(part.startswith((" |+", " |2+")) for part in out):
        # A block that keeps its final line breaks leaves the document open-ended for libyaml, which
        # then closes it with an explicit end marker.
        out.append("...\n")
    return "".join(out)


def _mapping(data: dict[Any, Any], column: int, out: list[str], first_prefix: str) -> None:
    """A non-empty block mapping whose keys stand at `column`; the first key's line starts with
    `first_prefix` (a sequence item's "- "), the others with spaces."""
    pad = " " * column
    for position, (key, value) in enumerate(data.items()):
        if type(key) is not str or len(key) > _MAX_KEY or "\n" in key or not _plain_allowed(key):
            raise _Decline
        if not _written_as_is(key):
            raise _Decline
        out.append(first_prefix if position == 0 and first_prefix else pad)
        out.append(key)
        out.append(":")
        _value(value, column, out)


def _value(value: Any, column: int, out: list[str]) -> None:
    """The value of a key at `column`, from just after its colon."""
    if type(value) is dict:
        if not value:
            out.append(" {}\n")
            return
        out.append("\n")
        _mapping(value, column + 2, out, "")
    elif type(value) is list:
        if not value:
            out.append(" []\n")
            return
        out.append("\n")
        _sequence(value, column, out)  # indentless: the items' dashes under the key
    else:
        _scalar(value, column + 2, out)


def _sequence(items: list[Any], column: int, out: list[str]) -> None:
    pad = " " * column
    for item in items:
        if type(item) is dict:
            if not item:
                out.append(pad + "- {}\n")
            else:
                _mapping(item, column + 2, out, pad + "- ")
        elif type(item) is list:
            raise _Decline  # a sequence in a sequence: never in a cassette
        else:
            out.append(pad + "-")
            _scalar(item, column + 2, out)


def _scalar(value: Any, content_column: int, out: list[str]) -> None:
    """A scalar after "key:" or "-" (the space included); literal block lines at `content_column`."""
    kind = type(value)
    if value is None:
        out.append(" null\n")
    elif kind is bool:
        out.append(" true\n" if value else " false\n")
    elif kind is int:
        out.append(f" {value}\n")
    elif kind is str:
        out.append(_string(value, content_column))
    else:
        raise _Decline  # floats, bytes (!!binary), times: PyYAML's to write


def _string(value: str, content_column: int) -> str:
    if not _written_as_is(value):
        raise _Decline  # double-quoted, with escapes
    if "\n" in value:
        if " \n" in value or value.endswith(" "):
            raise _Decline  # a space before a line break, or at the end: double-quoted
        hints = "2" if value[0] in " \n" else ""
        if not value.endswith("\n"):
            hints += "-"
        elif value == "\n" or value.endswith("\n\n"):
            hints += "+"
        pad = " " * content_column
        # Every line indented, then the empty ones (the only blank lines a literal block can hold)
        # without it, as the emitter writes them; each replace skips every other one of a run.
        body = pad + value.replace("\n", "\n" + pad)
        empty = "\n" + pad + "\n"
        while empty in body:
            body = body.replace(empty, "\n\n")
        if body.startswith(pad + "\n"):
            body = body[len(pad) :]
        if value.endswith("\n"):
            return f" |{hints}\n{body[: -len(pad)]}"
        return f" |{hints}\n{body}\n"
    if len(value) > _MAX_LINE_SCALAR:
        raise _Decline
    if _plain_allowed(value):
        return f" {value}\n"
    quoted = value.replace("'", "''")
    return f" '{quoted}'\n"


# ---------------------------------------------------------------- reading


def load(text: str) -> Any | None:
    """What libyaml's safe loader returns for `text`, or None when `text` is not in the subset this
    reader proves it handles (the caller then parses with PyYAML)."""
    if text.endswith("\n...\n"):  # the end marker libyaml writes after a block that keeps its breaks
        text = text[:-4]
    if not text.endswith("\n") or not _loadable_as_is(text):
        return None
    reader = _Reader(text.split("\n"))
    try:
        data = reader.mapping(0)
        if reader.at != len(reader.lines) - 1:  # the last "line" is what follows the final break
            return None
    except (_Decline, ValueError, IndexError):
        return None
    return data


# Bytes of UTF-8 text that PyYAML reads as themselves: printable ASCII, tab and LF (multi-byte
# characters are looked at apart).
_ASCII_AS_IS = bytes(range(0x20, 0x7F)) + b"\t\n" + bytes(range(0x80, 0x100))
# Multi-byte characters PyYAML refuses (BOM, non-characters) or reads as line breaks (LS, PS).
_REFUSED_SEQUENCES = (b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xef\xbb\xbf", b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _loadable_as_is(text: str) -> bool:
    """No character PyYAML's reader refuses or turns into another (CR, NEL, LS and PS are line breaks
    to it). Checked on the UTF-8 bytes: str methods and regexes are several times slower here."""
    data = text.encode("utf-8", "surrogatepass")
    if data.translate(None, _ASCII_AS_IS):
        return False  # C0 controls (CR included) or DEL
    if data.isascii():
        return True
    if any(sequence in data for sequence in _REFUSED_SEQUENCES) or b"\xed" in data:
        return False  # ...and surrogates (ED A0-BF), never valid in a file read as UTF-8
    position = data.find(b"\xc2")
    while position != -1:  # C1 controls, NEL among them: C2 80 to C2 9F
        if data[position + 1] < 0xA0:
            return False
        position = data.find(b"\xc2", position + 2)
    return True


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 0  # the next line to read
        # A sequence item's "- key: value" line, read as "  key: value" (indentation, content).
        self.rewritten: tuple[int, str] | None = None

    def _line(self) -> tuple[int, str] | None:
        """The indentation and content of the next line (empty lines skipped), or None at the end."""
        if self.rewritten is not None:
            return self.rewritten
        lines, last = self.lines, len(self.lines) - 1
        while self.at < last and not lines[self.at]:
            self.at += 1
        if self.at >= last:
            return None
        line = lines[self.at]
        content = line.lstrip(" ")
        if not content or "\t" in line or content[0] == "#":
            raise _Decline  # whitespace-only lines, tabs and comments: PyYAML's
        return len(line) - len(content), content

    def _next_line(self) -> None:
        self.rewritten = None
        self.at += 1

    def mapping(self, column: int) -> dict[str, Any]:
        """A block mapping whose keys stand at `column`."""
        data: dict[str, Any] = {}
        while (line := self._line()) is not None:
            indent, content = line
            if indent < column or content.startswith("-"):
                break
            if indent > column:
                raise _Decline
            key, colon, rest = content.partition(":")
            if not colon or not _KEY.fullmatch(key) or not _plain_resolves_to_str(key):
                raise _Decline
            self._next_line()
            data[key] = self._value(rest, column)
        if not data:
            raise _Decline
        return data

    def _value(self, rest: str, column: int) -> Any:
        """The value after "key:" (`rest`), for a key at `column`."""
        if not rest:
            line = self._line()
            if line is None:
                return None
            indent, content = line
            if indent == column and (content == "-" or content.startswith("- ")):
                return self.sequence(column)
            if indent > column:
                if content == "-" or content.startswith("- "):
                    return self.sequence(indent)
                return self.mapping(indent)
            return None
        if rest[0] != " " or rest[1:2] == " " or rest.endswith(" "):
            raise _Decline
        rest = rest[1:]
        if rest == "{}":
            return {}
        if rest == "[]":
            return []
        if rest[0] == "|":
            return self._literal(rest, column)
        value = _inline(rest)
        self._no_continuation(column)
        return value

    def _no_continuation(self, column: int) -> None:
        # A more indented line after a one-line scalar would continue it (or be an error).
        line = self._line()
        if line is not None and line[0] > column:
            raise _Decline

    def sequence(self, column: int) -> list[Any]:
        items: list[Any] = []
        while (line := self._line()) is not None:
            indent, content = line
            if indent != column or not (content == "-" or content.startswith("- ")):
                break
            rest = content[2:]
            if not rest or rest.startswith(("-", "|", " ")):
                raise _Decline
            if rest in ("{}", "[]"):
                items.append({} if rest == "{}" else [])
                self._next_line()
                self._no_continuation(column)
            elif _is_key_line(rest):
                # "- key: value": a mapping whose keys stand two columns in; its first line is read
                # as if the dash were a space.
                self.rewritten = (column + 2, rest)
                items.append(self.mapping(column + 2))
            else:
                self._next_line()
                items.append(_inline(rest))
                self._no_continuation(column)
        return items

    def _literal(self, header: str, column: int) -> str:
        match = _BLOCK_HEADER.fullmatch(header)
        if match is None:
            raise _Decline
        lines, last, start = self.lines, len(self.lines) - 1, self.at
        if match.group(1):
            indent = column + int(match.group(1))
        else:
            first = start
            while first < last and not lines[first]:
                first += 1
            indent = len(lines[first]) - len(lines[first].lstrip(" "))
            if indent <= column or first >= last:
                raise _Decline
        pad = " " * indent
        end = start
        # The block: empty lines and lines indented by `pad`, up to the first line that is neither.
        while end < last and (not (line := lines[end]) or line.startswith(pad)):
            end += 1
        if end == start:
            raise _Decline  # an empty block: PyYAML's
        self.at = end
        raw = "\n".join(lines[start:end])
        # A whitespace-only line: its part in the value depends on its length and the chomping.
        if (" \n" in raw or raw.endswith(" ")) and re.search(r"(?:^|\n) +(?:\n|$)", raw):
            raise _Decline
        content = ("\n" + raw).replace("\n" + pad, "\n")[1:] + "\n"
        chomp = match.group(2)
        if chomp == "+":
            return content
        core = content.rstrip("\n")
        if chomp == "-" or not core:
            return core
        return core + "\n"


def _is_key_line(rest: str) -> bool:
    key, colon, after = rest.partition(":")
    return bool(colon) and (not after or after[0] == " ") and _KEY.fullmatch(key) is not None


def _inline(rest: str) -> Any:
    """A one-line scalar: single-quoted, or plain (str, null, bool or decimal int); else _Decline."""
    if rest[0] == "'":
        inner = rest[1:-1]
        if len(rest) < 2 or rest[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Decline
        return inner.replace("''", "'")
    if not _plain_shape(rest):
        raise _Decline
    tag = _resolved(rest)
    if tag == _STR_TAG:
        return rest
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return _BOOLS[rest.lower()]
    if tag == "tag:yaml.org,2002:int" and _INT.fullmatch(rest):
        return int(rest)
    raise _Decline  # floats, octal and sexagesimal ints, times: PyYAML's
