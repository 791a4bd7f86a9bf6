"""The string-speed YAML reader and writer (`_yaml`) never disagree with PyYAML: `dump` writes the
very text PyYAML's dumper writes, `load` returns what libyaml's loader returns, or either declines
(None) and the caller uses PyYAML. Shown on generated data full of YAML's edge cases, on every
cassette in the repository (copies of real ones among them), and through the plugin's own load and write."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_claude_contract import _yaml
from pytest_claude_contract._cassette import (
    CassetteError,
    Scrubber,
    _BlockDumper,
    dump_cassette,
    load_cassette,
    read_cassette_document,
)

ROOT = Path(__file__).resolve().parent.parent


def pyyaml_dump(data: Any) -> str:
    text: str = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def pyyaml_load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


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
        "\xa0",
        "\xad",
        "é",
        "“",
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
def test_dump_writes_what_pyyaml_writes_or_declines(data: dict[str, Any]) -> None:
    written = _yaml.dump(data)
    if written is not None:
        assert written == pyyaml_dump(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_load_reads_what_pyyaml_reads_or_declines(data: dict[str, Any]) -> None:
    text = pyyaml_dump(data)
    loaded = _yaml.load(text)
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
    edited = text[:at] + edit + text[at:]
    loaded = _yaml.load(edited)
    if loaded is None:
        return
    try:
        expected = pyyaml_load(edited)
    except yaml.YAMLError:
        pytest.fail(f"load accepted text PyYAML refuses: {edited!r}")
    assert loaded == expected


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
    as strings) is written and read here, not by PyYAML, with the same text and data."""
    text = _yaml.dump(CASSETTE)
    assert text is not None
    assert text == pyyaml_dump(CASSETTE)
    assert text.endswith("version: 1\n...\n")  # libyaml's end marker after a block that keeps breaks
    assert "recorded_at: '2026-11-25T04:00:00Z'" in text
    assert _yaml.load(text) == CASSETTE == pyyaml_load(text)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"k": "tab\there"}, "a tab: double-quoted"),
        ({"k": "\u2028"}, "a line separator: a line break to YAML"),
        ({"k": "emoji 😀\nline"}, "outside the BMP: escaped"),
        ({"k": "a \nb"}, "a space before a line break"),
        ({"k": 1.5}, "a float"),
        ({"k": b"\x00\x01"}, "bytes: !!binary"),
        ({"k": "x" * 5000}, "a long line the emitter may fold"),
        ({"on": 1}, "a key the resolver reads as a boolean"),
    ],
)
def test_dump_declines_what_it_does_not_write_itself(data: dict[str, Any], why: str) -> None:
    assert _yaml.dump(data) is None, why


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('k: "quoted"\n', "double-quoted"),
        ("k: v # comment\n", "a comment"),
        ("k: &a v\nj: *a\n", "anchors"),
        ("k: 1.5\n", "a float"),
        ("k: plain\n  continued\n", "a plain scalar over two lines"),
        ("k: |\n  a\r\n  b\n", "CR"),
        ("k:\n\tv\n", "a tab"),
        ("k: >\n  folded\n", "a folded block"),
        ("--- \nk: v\n", "a document marker"),
    ],
)
def test_load_declines_what_it_does_not_read_itself(text: str, why: str) -> None:
    assert _yaml.load(text) is None, why


def _cassette_files() -> list[Path]:
    # tests/ and examples/ hold copies of the real cassettes other projects recorded.
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
            assert _yaml.load(text) is None, path
            continue
        loaded = _yaml.load(text)
        if loaded is not None:
            fast += 1
            assert loaded == expected, path
        if isinstance(expected, dict) and expected:
            written = _yaml.dump(expected)
            assert written is None or written == pyyaml_dump(expected), path
    assert fast, "no cassette took the fast path"


def test_a_broken_cassette_still_gets_pyyamls_error_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text('interactions:\n- request:\n    uri: "unclosed\n    method: POST\n', encoding="utf-8")
    with pytest.raises(CassetteError, match=r"broken\.yaml:\d+: is not valid YAML"):
        read_cassette_document(path)


def test_the_plugin_writes_and_reads_its_cassettes_through_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dump_cassette and load_cassette give the same text and interactions with PyYAML kept out."""
    source = tmp_path / "source.yaml"
    source.write_text(pyyaml_dump(CASSETTE), encoding="utf-8")
    interactions = load_cassette(source)
    assert interactions is not None
    expected_text = dump_cassette(interactions, Scrubber([]))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PyYAML was used")

    monkeypatch.setattr(yaml, "load", refuse)
    monkeypatch.setattr(yaml, "dump", refuse)
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text(expected_text, encoding="utf-8")
    again = load_cassette(fresh)
    assert again is not None
    assert [i.request for i in again] == [i.request for i in interactions]
    assert [i.response for i in again] == [i.response for i in interactions]
    assert dump_cassette(again, Scrubber([])) == expected_text
