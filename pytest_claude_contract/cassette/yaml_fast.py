"""Cassette YAML read at string speed. PyYAML is the reference: `load` returns exactly what
`yaml.load(text, Loader=CSafeLoader)` returns, or None, and the caller then parses with PyYAML.

Kept for what it saves when nothing is cached yet (a fresh CI checkout: every cassette is parsed).
One-off probe, 2026-12-07, 2-core machine shared with other work, medians of fresh processes:
`load_cassette` of the 500 cassettes bench/gen_suite.py records (4.5 MB, 1000 interactions), parse
cache off, took 194 ms with this reader and 438 ms with CSafeLoader alone (244 ms less, 2.3x; the
bare parse 123 against 340 ms). Whole cold replay runs of that suite (.pytest_cache removed before
each): 6.34 against 6.78 s (0.44 s, 6.5%; 1.6 s on a busier machine). The 1000-interaction, 28 MB
cassette of bench/large_cassette.py: 308 against 703 ms as this plugin writes it, 458 against 760 ms
as vcrpy does.

It handles only what it can prove it reads as libyaml does: block mappings and sequences, plain and
single-quoted scalars (also when folded over lines, as vcrpy's dumper writes long strings), literal
blocks, null, booleans and decimal integers. Anything else (a double-quoted or folded-block scalar, a
tab, a comment, an anchor, a float...) makes it return None, so errors and their line numbers still
come from PyYAML. The bulk of a cassette is its bodies (pretty JSON and SSE streams in literal
blocks, or long folded strings): those are cut out, unindented and folded with str.replace and a
regex search or substitution each, not a Python step per line. Cassettes are written by PyYAML's
dumper (`formats.dump_cassette`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()

# Indicators that stop a plain scalar at its first character.
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_BLOCK_HEADER = re.compile(r"\|([1-9])?([-+])?")


class _Decline(Exception):
    """Outside what this module handles: the caller uses PyYAML."""


@lru_cache(maxsize=8192)
def _resolved(value: str) -> str:
    """The tag PyYAML's resolver gives `value` written plain (header values repeat: cached)."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _plain_resolves_to_str(value: str) -> bool:
    return _resolved(value) == _STR_TAG


# Text is checked on its UTF-8 bytes: str methods and regexes are several times slower. The ASCII
# bytes libyaml's reader reads as themselves (the others it refuses, or reads CR as a line break), and
# every byte of a multi-byte character.
_READ_AS_IS = bytes(range(0x20, 0x7F)) + b"\t\n" + bytes(range(0x80, 0x100))
# Characters libyaml does not read as they are: LS and PS (line breaks to YAML), the BOM and the
# non-characters U+FFFE and U+FFFF; C1 controls (NEL among them) and surrogates.
_REFUSED_SEQUENCES = (b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xef\xbb\xbf", b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_REFUSED_PAIRS = re.compile(b"\xc2[\x80-\x9f]|\xed[\xa0-\xbf]")


def _as_is(data: bytes, kept: bytes) -> bool:
    """`data`, UTF-8, holds only bytes in `kept` and none of the refused characters."""
    if data.translate(None, kept):
        return False
    if data.isascii():
        return True
    if any(sequence in data for sequence in _REFUSED_SEQUENCES):
        return False
    return not ((b"\xc2" in data or b"\xed" in data) and _REFUSED_PAIRS.search(data))


def _plain_shape(value: str) -> bool:
    """`value` (one line, no special characters) read plain is the whole scalar: the shapes libyaml's
    emitter writes plain in block context (what it means, string or not, is the resolver's to say)."""
    if not value or value[0] == " " or value[-1] == " " or value[0] in _FIRST_INDICATORS:
        return False
    if value[0] in "-?:" and (len(value) == 1 or value[1] == " "):
        return False
    return not (value.startswith(("---", "...")) or value.endswith(":") or ": " in value or " #" in value)


def load(text: str, raw: bytes | None = None) -> Any | None:
    """What libyaml's safe loader returns for `text`, or None when `text` is not in the subset this
    reader proves it handles (the caller then parses with PyYAML). `raw`: the UTF-8 bytes `text` was
    decoded from, when the caller has them (checked instead of encoding `text` again)."""
    if not text.endswith("\n") or not _as_is(
        text.encode("utf-8", "surrogatepass") if raw is None else raw, _READ_AS_IS
    ):
        return None
    if text.endswith("\n...\n"):  # the end marker libyaml writes after a block that keeps its breaks
        text = text[:-4]
    reader = _Reader(text)
    try:
        data = reader.mapping(0)
        if reader.at != reader.size:
            return None
    except (_Decline, ValueError, IndexError):
        return None
    return data


# A line break with something after it: a space once a flow scalar's lines are folded.
_FOLDED_BREAK = re.compile("\n(?!\n)")
# A folded plain scalar whose line (after the first) starts with an indicator: PyYAML's to read.
_CONTINUATION_INDICATOR = re.compile("\n *[-?:,\\[\\]{}#&*!|>'\"%@`]")


@lru_cache(maxsize=64)
def _block_end(indent: int) -> re.Pattern[str]:
    """The line break that ends a literal block indented by `indent`: the next line is neither empty
    nor indented that far with more than spaces after (or the text ends)."""
    return re.compile(f"\n(?! {{{indent}}}(?! *\n)|\n)")


@lru_cache(maxsize=64)
def _flow_line_break(indent: int) -> re.Pattern[str]:
    """A line break in a flow scalar's lines that this reader does not fold: after a space, or before
    a line neither empty nor `indent` spaces and then something else than a space (in a search that
    ends at the closing quote, that end is something else)."""
    return re.compile(f"\n(?:(?<= \n)|(?! {{{indent}}}(?:[^ \n]|\\Z)|\n))")


class _Reader:
    """Reads the text line by line from `at`; literal blocks and scalars folded over lines are cut
    out whole."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)
        self.at = 0  # where the next line starts
        # The line last looked at (most are looked at twice or more): where it starts and ends, its
        # indentation and content (None: the end of the text). A sequence item's "- key: value" is
        # turned into "  key: value" here, the first line of the mapping it starts.
        self._seen_at = -1
        self._seen_end = 0
        self._seen: tuple[int, str] | None = None

    def _line(self) -> tuple[int, str] | None:
        """The indentation and content of the next line (empty lines skipped), or None at the end."""
        at = self.at
        if at == self._seen_at:
            return self._seen
        text, size = self.text, self.size
        while at < size and text[at] == "\n":
            at += 1
        self.at = self._seen_at = at
        if at == size:
            self._seen = None
            return None
        end = text.index("\n", at)
        line = text[at:end]
        content = line.lstrip(" ")
        if not content or "\t" in line or content[0] == "#":
            raise _Decline  # whitespace-only lines, tabs and comments: PyYAML's
        self._seen_end = end + 1
        self._seen = (len(line) - len(content), content)
        return self._seen

    def _next_line(self) -> None:
        """Past the line `_line` returned."""
        self.at = self._seen_end

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
            if not colon or not _is_key(key):
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
        return self._flow_scalar(rest, column)

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
                self._seen = (column + 2, rest)
                items.append(self.mapping(column + 2))
            else:
                self._next_line()
                items.append(self._flow_scalar(rest, column))
        return items

    def _flow_scalar(self, rest: str, column: int) -> Any:
        """A plain or single-quoted scalar that starts with `rest`, the end of the line just read (a
        key's value, the key at `column`, or a sequence item, its dash there). It goes on over the
        lines after when they are indented further: vcrpy's cassettes fold long strings so."""
        if rest[0] == "'":
            try:
                value = _inline(rest)
            except _Decline:  # no closing quote on this line
                return self._quoted_lines(rest, column)
        else:
            line = self._line()
            if line is not None and line[0] > column:
                return self._plain_lines(rest, column)
            value = _inline(rest)
        self._no_continuation(column)
        return value

    def _quoted_lines(self, rest: str, column: int) -> str:
        """A single-quoted scalar from `rest` on, over more lines."""
        text = self.text
        start = self.at - len(rest)  # just after the opening quote
        end = start
        while (end := text.find("'", end)) != -1 and text[end + 1] == "'":
            end += 2  # an escaped quote
        if end < self.at or text[end + 1] != "\n":
            raise _Decline  # no closing quote, or something after it
        value = self._folded(start, end, column)
        if "'" in value:  # one character: looked for several times faster than two
            value = value.replace("''", "'")
        self.at = end + 2
        self._no_continuation(column)
        return value

    def _plain_lines(self, rest: str, column: int) -> str:
        """A plain scalar from `rest` on, over more lines; always a string."""
        text = self.text
        start = self.at - 1 - len(rest)
        found = _flow_line_break(column + 2).search(text, self.at - 1)
        if found is None or found.start() < self.at or text[found.start() - 1] == " ":
            raise _Decline  # the next line indented otherwise than this reader wants, or a space
        region = text[start : found.start()].rstrip("\n")  # the final breaks are not part of it
        if ": " in region or ":\n" in region or region.endswith(":") or " #" in region:
            raise _Decline  # a mapping or a comment, in or after it
        if _CONTINUATION_INDICATOR.search(region) or not _plain_shape(rest):
            raise _Decline
        value = self._folded(start, start + len(region), column)
        if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:  # type: ignore[no-untyped-call]
            raise _Decline
        self.at = found.start() + 1
        self._no_continuation(column)
        return value

    def _folded(self, start: int, end: int, column: int) -> str:
        """The text from `start` to `end` (exclusive) folded as YAML folds a flow scalar's lines: a
        single line break becomes a space, a run of them one break fewer; the indentation of the
        lines after the first (column + 2 spaces, as the emitter writes them) goes."""
        text = self.text
        region = text[start:end]
        if _flow_line_break(column + 2).search(text, self.at - 1, end) or "\t" in region:
            raise _Decline  # lines indented otherwise, spaces before a break, tabs: PyYAML's
        lines = region.replace("\n" + " " * (column + 2), "\n")
        if "\n\n" not in lines:  # no empty line: every break becomes a space
            return lines.replace("\n", " ")
        # A break with something after it becomes a space; at the end of a run, that space goes.
        return _FOLDED_BREAK.sub(" ", lines).replace("\n ", "\n")

    def _literal(self, header: str, column: int) -> str:
        """A literal block whose header (after "key: ") is `header`; its lines start at `at`."""
        match = _BLOCK_HEADER.fullmatch(header)
        if match is None:
            raise _Decline
        text, start = self.text, self.at
        if match.group(1):
            indent = column + int(match.group(1))
        else:  # the indentation of the first line that is not empty
            first = start
            while first < len(text) and text[first] == "\n":
                first += 1
            line = text[first : text.find("\n", first)]
            indent = len(line) - len(line.lstrip(" "))
            if indent <= column:
                raise _Decline
        end = _block_end(indent).search(text, start - 1)
        if end is None or end.start() < start:
            raise _Decline  # an empty block: PyYAML's
        block_end = end.start() + 1
        if block_end < len(text) and not text[block_end : text.index("\n", block_end)].strip(" "):
            # A whitespace-only line: its part in the value depends on its length and the chomping.
            raise _Decline
        self.at = block_end
        # The lines with their final break, the first line's indentation left out (an empty first
        # line has none).
        lines = text[start if text[start] == "\n" else start + indent : block_end]
        content = lines.replace("\n" + " " * indent, "\n")
        chomp = match.group(2)
        if chomp == "+":
            return content
        if chomp == "-":
            return content.rstrip("\n")
        if content.endswith("\n\n") or content == "\n":  # clipped to one final break, or to none
            core = content.rstrip("\n")
            return core + "\n" if core else ""
        return content


@lru_cache(maxsize=1024)
def _is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None and _plain_resolves_to_str(key)


@lru_cache(maxsize=1024)
def _is_key_line(rest: str) -> bool:
    key, colon, after = rest.partition(":")
    return bool(colon) and (not after or after[0] == " ") and _KEY.fullmatch(key) is not None


@lru_cache(maxsize=4096)  # header values repeat
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
