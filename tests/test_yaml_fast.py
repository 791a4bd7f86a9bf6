"""The string-speed YAML reader (`yaml_fast.load`) never disagrees with PyYAML, its reference: it returns
what libyaml's loader returns, or declines (None) and the caller uses PyYAML. Shown on generated data
full of YAML's edge cases, on every cassette in the repository (copies of real ones other projects
recorded among them), and through the plugin's own write and load. Cassettes are written by PyYAML's
dumper, with JSON bodies as `json.dumps` indents them."""

from __future__ import annotations

import itertools
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_claude_contract.cassette import yaml_fast
from pytest_claude_contract.cassette.formats import _BlockDumper, dump_cassette, read_cassette_document
from pytest_claude_contract.cassette.model import CassetteError, Interaction
from pytest_claude_contract.cassette.scrub import REDACTED, Scrubber
from pytest_claude_contract.cassette.store import load_cassette, write_cassette
from pytest_claude_contract.contract import credentials
from pytest_claude_contract.contract.exchange import CapturedRequest

ROOT = Path(__file__).resolve().parent.parent


def pyyaml_dump(data: Any) -> str:
    text: str = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def pyyaml_load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def assert_edit_reads_as_pyyaml(edited: str) -> None:
    """Whatever load accepts of an edited text, PyYAML reads the same way (and load declines what
    PyYAML refuses)."""
    loaded = yaml_fast.load(edited)
    if loaded is None:
        return
    try:
        expected = pyyaml_load(edited)
    except yaml.YAMLError:
        pytest.fail(f"load accepted text PyYAML refuses: {edited!r}")
    assert loaded == expected


# Text that exercises what decides a scalar's style: YAML's indicators, words the resolver reads as
# something else, spaces and breaks at either end, characters the emitter escapes or PyYAML refuses.
EDGE_WORDS = st.sampled_from(
    [
        "",
        "yes",
        "No",
        "on",
        "OFF",
        "true",
        "null",
        "~",
        "123",
        "-1",
        "007",
        "0x1f",
        "1_000",
        "1.5",
        "1e3",
        ".inf",
        "2023-06-01",
        "2026-11-25T00:00:00Z",
        "12:30",
        "<<",
        "=",
        "-",
        "?",
        ":",
        "- a",
        "a: b",
        "a:b",
        "a:",
        "a #b",
        "#a",
        "'q'",
        "it's",
        '"d"',
        "---",
        "...",
        "[x]",
        "{x}",
        "&a",
        "*a",
        "!t",
        "%p",
        "@x",
        "`x",
        "|",
        ">",
        "http://x.y/z?q=1&r=2",
        "Mon, 24 Nov 2026 12:00:00 GMT",
    ]
)
EDGE_CHARS = st.sampled_from(
    [
        *" \n\t\r#:-'\"\\{}[],&*!|>%@`?",
        "\x00",
        "\x7f",
        "\x85",
        "\x9f",
        "\xa0",
        "\xad",
        "é",
        "“",
        "한",  # U+D55C: UTF-8 ED 95 9C, beside the surrogates (ED A0-BF)
        "\u2028",
        "\ufeff",
        "😀",
    ]
)
TEXT = st.one_of(
    EDGE_WORDS,
    st.lists(
        st.one_of(EDGE_WORDS, EDGE_CHARS, st.text(string.ascii_letters + " \n", max_size=8)), max_size=8
    ).map("".join),
    st.text(max_size=30),
)
SCALAR = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-(10**6), 10**6))
KEY = st.one_of(
    st.sampled_from(["body", "headers", "uri", "content-type", "x-api-key", "on", "200", "a b", "k:"]),
    st.text(string.ascii_lowercase + "-_", min_size=1, max_size=12),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEY, inner, max_size=3)),
    max_leaves=12,
)
DOCUMENT = st.dictionaries(KEY, VALUE, min_size=1, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_load_reads_what_pyyaml_reads_or_declines(data: dict[str, Any]) -> None:
    text = pyyaml_dump(data)
    loaded = yaml_fast.load(text)
    if loaded is not None:
        assert loaded == pyyaml_load(text)


@settings(max_examples=300, deadline=None)
@given(DOCUMENT, st.data())
def test_load_of_edited_text_reads_what_pyyaml_reads_or_declines(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    """Hand edits: a character inserted or a line re-indented anywhere. Whatever load accepts, PyYAML
    reads the same way (and where PyYAML refuses the text, load declines too)."""
    text = pyyaml_dump(data)
    at = draw.draw(st.integers(0, len(text)))
    edit = draw.draw(st.sampled_from([" ", "  ", "\n", "#", "- ", ": ", "'", "\t", "|", "x"]))
    assert_edit_reads_as_pyyaml(text[:at] + edit + text[at:])


CASSETTE = {
    "interactions": [
        {
            "request": {
                "body": '{\n  "model": "claude-sonnet-4-6",\n  "max_tokens": 16,\n  "stream": true\n}',
                "headers": {"anthropic-version": ["2023-06-01"], "content-length": ["72"]},
                "method": "POST",
                "uri": "https://api.anthropic.com/v1/messages",
            },
            "response": {
                "body": {"string": 'event: message_start\ndata: {"type":"message_start"}\n\n'},
                "headers": {"content-type": ["text/event-stream"], "request-id": ["req_1"]},
                "status": {"code": 200, "message": "OK"},
            },
            "recorded_at": "2026-11-25T04:00:00Z",
        }
    ],
    "version": 1,
}


def test_the_plugins_own_shape_takes_the_fast_path() -> None:
    """A cassette as the plugin writes it (a stream that keeps its final breaks, a timestamp, numbers
    as strings) is read here, not by PyYAML, as PyYAML reads it."""
    text = pyyaml_dump(CASSETTE)
    assert text.endswith("version: 1\n...\n")  # libyaml's end marker after a block that keeps breaks
    assert "recorded_at: '2026-11-25T04:00:00Z'" in text
    assert yaml_fast.load(text) == CASSETTE == pyyaml_load(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('k: "quoted"\n', "double-quoted"),
        ("k: v # comment\n", "a comment"),
        ("k: &a v\nj: *a\n", "anchors"),
        ("k: 1.5\n", "a float"),
        ("k: plain\n   continued\n", "a folded line indented further than the emitter writes it"),
        ("k: 'a\n b'\n", "a folded line indented less than the emitter writes it"),
        ("k: 'a \n  b'\n", "a space before a folded line break"),
        ("k: plain\n  - continued\n", "a plain scalar's folded line starting with an indicator"),
        ("k: plain\n  more: x\n", "a mapping inside a plain scalar's lines"),
        ("k: 'a\n  b' c\n", "something after the closing quote"),
        ("k: 'a\n  b\nj: c\n", "no closing quote"),
        ("k: |\n  a\r\n  b\n", "CR"),
        ("k:\n\tv\n", "a tab"),
        ("k: |\n  a\n  \n  b\n", "a whitespace-only line in a literal block"),
        ("k: |\n  \nj: 1\n", "a literal block of one whitespace-only line"),
        ("k: |\n  a\n   \n", "a literal block ending with a whitespace-only line"),
        ("k: v\n\x85j: w\n", "NEL: a line break to YAML"),
        ("k: \ud800\n", "a surrogate"),
        ("k: >\n  folded\n", "a folded block"),
        ("--- \nk: v\n", "a document marker"),
    ],
)
def test_load_declines_what_it_does_not_read_itself(text: str, why: str) -> None:
    assert yaml_fast.load(text) is None, why


def _cassette_files() -> list[Path]:
    # The real cassettes other projects recorded are here as copies (tests/data/real-cassettes): the
    # tests read nothing outside the repository.
    return sorted([*ROOT.glob("tests/**/*.yaml"), *ROOT.glob("examples/**/*.yaml")])


def test_every_cassette_here_reads_the_same_fast_or_declines() -> None:
    files = _cassette_files()
    assert files
    fast = 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        try:
            expected = pyyaml_load(text)
        except yaml.YAMLError:
            assert yaml_fast.load(text) is None, path
            continue
        loaded = yaml_fast.load(text)
        if loaded is not None:
            fast += 1
            assert loaded == expected, path
    assert fast, "no cassette took the fast path"


def test_a_broken_cassette_still_gets_pyyamls_error_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text('interactions:\n- request:\n    uri: "unclosed\n    method: POST\n', encoding="utf-8")
    with pytest.raises(CassetteError, match=r"broken\.yaml:\d+: is not valid YAML"):
        read_cassette_document(path)


def test_the_plugin_reads_the_cassettes_it_writes_through_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What dump_cassette writes, load_cassette reads with PyYAML's loader kept out, to the same
    interactions, which are written again to the same text."""
    source = tmp_path / "source.yaml"
    source.write_text(pyyaml_dump(CASSETTE), encoding="utf-8")
    interactions = load_cassette(source)
    assert interactions is not None
    expected_text = dump_cassette(interactions, Scrubber([]))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PyYAML was used")

    monkeypatch.setattr(yaml, "load", refuse)
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text(expected_text, encoding="utf-8")
    again = load_cassette(fresh)
    assert again is not None
    assert [i.request for i in again] == [i.request for i in interactions]
    assert [i.response for i in again] == [i.response for i in interactions]
    assert dump_cassette(again, Scrubber([])) == expected_text


BLOCK_HEADERS = ["|", "|-", "|+", "|2", "|2-", "|2+", "|1", "|4"]
BLOCK_LINES = [
    "",
    "\n",
    "\n\n",
    "  x\n",
    "  x\n\n",
    "  x\n\n\n",
    "\n  x\n",
    "  \n",
    "    \n",
    "  x\n  \n  y\n",
    "   x\n  y\n",
    "  x\n   \n",
    "  x\n\n  y\n",
    "    x\n  y\n",
    "  \n  x\n",
    "\n\n  x\n\n",
    "  x\n    y\n\n",
    " x\n",
    "  x\t\n  \ty\n",
]
AFTER_BLOCK = ["", "b: 1\n", "\n", "  \n", "b:\n- 1\n"]


@pytest.mark.parametrize("header", BLOCK_HEADERS)
def test_literal_blocks_written_by_hand_read_as_pyyaml_reads_them(header: str) -> None:
    """Every mix of indentation indicator, chomping, empty and whitespace-only lines, at the top and
    one mapping down: load returns PyYAML's value or declines, and declines what PyYAML refuses."""
    read_fast = 0
    for lines, after in itertools.product(BLOCK_LINES, AFTER_BLOCK):
        nested = "\n".join(f"  {line}" if line else line for line in lines.split("\n"))
        for text in (f"k: {header}\n{lines}{after}", f"a:\n  k: {header}\n{nested}{after}"):
            loaded = yaml_fast.load(text)
            try:
                expected = pyyaml_load(text)
            except yaml.YAMLError:
                assert loaded is None, text
                continue
            if loaded is not None:
                read_fast += 1
                assert loaded == expected, text
    assert read_fast >= 10


def test_text_beyond_ascii_takes_the_fast_path() -> None:
    """Accents, typographic quotes, Hangul (whose UTF-8 starts like a surrogate's) and a no-break space
    are written and read as they are; a character outside the BMP is read as it is, and left to PyYAML
    where its dumper escapes it."""
    data = {"k": "café “quoted” 한국어\xa0x", "block": "é\n한\n", "list": ["ü"]}
    text = pyyaml_dump(data)
    assert "café “quoted” 한국어" in text
    assert yaml_fast.load(text) == data == pyyaml_load(text)
    escaped = pyyaml_dump({"k": "emoji 😀"})
    assert yaml_fast.load(escaped) is None
    assert pyyaml_load(escaped) == {"k": "emoji 😀"}
    hand_written = "k: |-\n  emoji 😀\n  é\n"
    assert yaml_fast.load(hand_written) == pyyaml_load(hand_written) == {"k": "emoji 😀\né"}


def test_load_checks_the_bytes_it_is_given() -> None:
    """The caller's bytes are checked instead of the text encoded again: the same answer, and a
    byte-order mark in them declines (PyYAML's to read)."""
    text = pyyaml_dump(CASSETTE)
    assert yaml_fast.load(text, text.encode()) == yaml_fast.load(text) == CASSETTE
    assert yaml_fast.load(text, b"\xef\xbb\xbf" + text.encode()) is None


JSON_STRINGS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀", "\ud800", "</", "'"]
    ),
)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        JSON_STRINGS,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(JSON_STRINGS, inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES, st.booleans())
def test_json_bodies_are_written_readable_and_read_back_the_same(
    tmp_path_factory: pytest.TempPathFactory, value: Any, ascii_only: bool
) -> None:
    """A JSON body, however it was sent (escaped to ASCII or not), is written pretty-printed as
    `json.dumps` indents it (a literal block when it spans lines, text beyond ASCII as it is, but
    escaped in a body that holds a lone surrogate, which UTF-8 cannot) and plays back as the same
    JSON."""
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    request = CapturedRequest("POST", "https://api.anthropic.com/v1/messages", {}, b"")
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": body},
    }
    text = dump_cassette([Interaction(request, response)], Scrubber([]))
    lone_surrogate = "\ud800" in json.dumps(value, ensure_ascii=False)
    pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=lone_surrogate)
    (written,) = pyyaml_load(text)["interactions"]
    assert written["response"]["body"]["string"] == pretty
    if "\n" in pretty and pretty.isascii() and "\x7f" not in pretty:
        assert "  string: |" in text
    path = tmp_path_factory.mktemp("json") / "body.yaml"
    path.write_text(text, encoding="utf-8")
    (played,) = load_cassette(path) or []
    assert json.dumps(json.loads(played.response["body"]["string"])) == json.dumps(json.loads(body))


def test_a_json_body_with_a_lone_surrogate_is_written(tmp_path: Path) -> None:
    """JSON may escape half a surrogate pair (a string cut in the middle of an emoji): UTF-8 cannot
    hold it, so that body is written with its escapes, and plays back as the same JSON."""
    body = b'{"text": "caf\\u00e9 \\ud83d"}'
    request = CapturedRequest("POST", "https://api.anthropic.com/v1/messages", {}, b"")
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": body}}
    path = tmp_path / "surrogate.yaml"
    write_cassette(path, [Interaction(request, response)], Scrubber([]))
    assert '"text": "caf\\u00e9 \\ud83d"' in path.read_text(encoding="utf-8")
    (played,) = load_cassette(path) or []
    assert json.loads(played.response["body"]["string"]) == json.loads(body)


def test_keys_are_still_found_behind_the_quick_look(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text without the start of a key is not scanned with the credential shapes; a key is still
    replaced and reported, in text and in bytes."""
    key_pattern = credentials.CREDENTIAL_SHAPES
    scanned: list[str] = []

    class CountingPattern:
        pattern = key_pattern.pattern

        def sub(self, replacement: str, text: str) -> str:
            scanned.append(text)
            return key_pattern.sub(replacement, text)

        def finditer(self, text: str) -> Any:
            scanned.append(text)
            return key_pattern.finditer(text)

    monkeypatch.setattr(credentials, "CREDENTIAL_SHAPES", CountingPattern())
    scrubber = Scrubber([])
    clean = "sk-ant is not a key, nor is k-ant-api03 alone, nor AKI, nor bedrock-api"
    assert scrubber.text(clean) == clean
    assert list(scrubber.leaks(clean)) == []
    assert scanned == []
    key = "sk-ant-api03-abcdefghijklmnop"
    assert scrubber.text(f"x {key} y") == f"x {REDACTED} y"
    assert list(scrubber.leaks(f"a\n{key}")) == [key[:10] + "..."]
    assert len(scanned) == 2
    assert scrubber.data(f"x {key} y".encode()) == f"x {REDACTED} y".encode()


# Strings long enough for vcrpy's dumper (PyYAML's default style, 80 columns) to fold over lines.
LONG_TEXT = st.lists(
    st.one_of(
        EDGE_WORDS,
        EDGE_CHARS,
        st.text(string.ascii_lowercase + "'", min_size=1, max_size=12),
        st.sampled_from(["\n", "\n\n", "''", "  ", '{"type": "text"}']),
    ),
    min_size=1,
    max_size=60,
).flatmap(lambda words: st.sampled_from([" ".join(words), "".join(words)]))
VCRPY_DOCUMENT = st.dictionaries(
    KEY,
    st.recursive(
        st.one_of(LONG_TEXT, SCALAR),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEY, inner, max_size=3)),
        max_leaves=6,
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VCRPY_DOCUMENT, st.sampled_from([80, 30]), st.data())
def test_load_reads_vcrpys_folded_strings_as_pyyaml_does_or_declines(
    data: dict[str, Any], width: int, draw: st.DataObject
) -> None:
    """vcrpy writes with PyYAML's default style: long strings folded over lines, plain or in quotes;
    read the same, or declined, also after a hand edit anywhere."""
    text = yaml.dump(data, Dumper=yaml.CDumper, width=width)
    loaded = yaml_fast.load(text)
    if loaded is not None:
        assert loaded == pyyaml_load(text)
    at = draw.draw(st.integers(0, len(text)))
    edit = draw.draw(
        st.sampled_from([" ", "\n", "\n\n", "#", " #", "- ", ": ", "'", "''", "\t", "x", "\n  "])
    )
    assert_edit_reads_as_pyyaml(text[:at] + edit + text[at:])


def test_a_cassette_vcrpy_wrote_takes_the_fast_path() -> None:
    """vcrpy's own serializer: a JSON body and an SSE stream folded in single quotes, a prose string
    folded plain; read here, as PyYAML reads them. Text it escapes in double quotes is PyYAML's."""
    from vcr.serializers import yamlserializer

    prose = " ".join(["the refund is processed within five business days"] * 6)
    stream = "".join(f'event: content_block_delta\ndata: {{"text": "{prose[:60]}"}}\n\n' for _ in range(3))
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": '{"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "'
                    + prose
                    + '"}], "note": "it\'s"}',
                    "headers": {"anthropic-version": ["2023-06-01"]},
                    "method": "POST",
                    "uri": "https://api.anthropic.com/v1/messages",
                },
                "response": {
                    "body": {"string": stream},
                    "headers": {"x-note": [prose]},
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    text = yamlserializer.serialize(cassette)
    assert "\n      " in text  # folded over lines
    assert yaml_fast.load(text) == cassette == pyyaml_load(text)
    escaped = yamlserializer.serialize({"k": "café " * 30, "version": 1})
    assert '"' in escaped
    assert yaml_fast.load(escaped) is None
